"""Building authenticated SOAP envelopes and call contexts for security tests."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import xmlsec
from lxml import etree
from sqlalchemy.orm import Session
from zeep.wsse.signature import BinarySignature
from zeep.wsse.username import UsernameToken

from db import hierarchy
from db.models import Authority, Municipality, Organization, Region
from kontingent_ws.call import CallContext
from kontingent_ws.security.caller import Caller
from kontingent_ws.settings import Settings

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


def bare_envelope(body_xml: str = '<m:Ping xmlns:m="urn:test"/>') -> etree._Element:
    return etree.fromstring(
        f'<soap:Envelope xmlns:soap="{SOAP}"><soap:Header/><soap:Body>{body_xml}</soap:Body></soap:Envelope>'.encode()
    )


def username_envelope(
    login: str,
    password: str,
    *,
    digest: bool = True,
    created: dt.datetime | None = None,
    nonce: str | None = None,
) -> etree._Element:
    envelope = bare_envelope()
    header = envelope.find(f"{{{SOAP}}}Header")
    token = UsernameToken(login, password, use_digest=digest, created=created, nonce=nonce)
    token.apply(envelope, header)
    return envelope


def signed_envelope(key_path: Path, cert_path: Path, body_xml: str | None = None) -> etree._Element:
    envelope = bare_envelope(body_xml) if body_xml else bare_envelope()
    header = envelope.find(f"{{{SOAP}}}Header")
    signer = BinarySignature(
        str(key_path),
        str(cert_path),
        signature_method=xmlsec.constants.TransformRsaSha256,
        digest_method=xmlsec.constants.TransformSha256,
    )
    envelope, _ = signer.apply(envelope, header)
    return etree.fromstring(etree.tostring(envelope))  # as the server receives it


def random_nonce() -> str:
    """A nonce as zeep takes it (it sends the UTF-8 bytes of this string, Base64-encoded)."""
    return os.urandom(12).hex()


def call_context(
    session: Session,
    settings: Settings,
    *,
    envelope: etree._Element | None = None,
    contract: str = "ServiceInfo",
    operation: str = "GetServiceInfo",
    caller: Caller | None = None,
) -> CallContext:
    return CallContext(
        request_id="0" * 32,
        session=session,
        client_address="127.0.0.1",
        contract=contract,
        operation=operation,
        envelope=envelope,
        settings=settings,
        contracts=(),
        caller=caller,
    )


@dataclass(frozen=True, kw_only=True)
class SmallRegion:
    ministry_id: int
    north_id: int
    south_id: int
    north_school_id: int
    north_kindergarten_id: int
    south_school_id: int
    north_municipality_id: int


def make_small_region(session: Session) -> SmallRegion:
    """A ministry, two municipal authorities, two schools and a kindergarten, closure included."""
    region = Region(code="99", name="Тестовая область", oktmo="99000000")
    session.add(region)
    session.flush()
    north = Municipality(region_id=region.id, oktmo="99601000", name="Северный район", kind_code="1")
    south = Municipality(region_id=region.id, oktmo="99602000", name="Южный район", kind_code="1")
    session.add_all([north, south])
    session.flush()

    def authority(name: str, parent: int | None, municipality: int | None, level: str) -> Authority:
        unit = Authority(
            full_name=name,
            short_name=name,
            full_name_norm=name.lower(),
            parent_id=parent,
            municipality_id=municipality,
            level=level,
            region_id=region.id,
            status_code="1",
        )
        session.add(unit)
        session.flush()
        hierarchy.attach(session, unit.id, parent)
        return unit

    def organization(name: str, parent: int, municipality: int, type_code: str) -> Organization:
        unit = Organization(
            full_name=name,
            short_name=name,
            full_name_norm=name.lower(),
            parent_id=parent,
            municipality_id=municipality,
            type_code=type_code,
            status_code="1",
        )
        session.add(unit)
        session.flush()
        hierarchy.attach(session, unit.id, parent)
        return unit

    ministry = authority("Министерство образования", None, None, "region")
    north_auth = authority("Управление образования Северного района", ministry.id, north.id, "municipality")
    south_auth = authority("Управление образования Южного района", ministry.id, south.id, "municipality")
    north_school = organization("МБОУ СОШ № 1", north_auth.id, north.id, "12")
    north_dou = organization("МБДОУ Детский сад № 1", north_auth.id, north.id, "11")
    south_school = organization("МБОУ СОШ № 2", south_auth.id, south.id, "12")
    session.flush()
    return SmallRegion(
        ministry_id=ministry.id,
        north_id=north_auth.id,
        south_id=south_auth.id,
        north_school_id=north_school.id,
        north_kindergarten_id=north_dou.id,
        south_school_id=south_school.id,
        north_municipality_id=north.id,
    )
