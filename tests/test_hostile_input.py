"""A hostile-input corpus against every XML entry point: SOAP envelopes and provider packets.

Each attack of ``tests/hostile/`` (a prolog, then ``@@ROOT@@``, then what goes inside the root) and
each generated one (deep nesting, a huge text node, a huge attribute count, truncated, invalid UTF-8,
UTF-16, CDATA-wrapped) is sent (1) as the envelope of ``/ws/ServiceInfo`` and (2) as the packet of
``SubmitPacket`` by a provider, in process. It must be refused with a stable fault code, quickly,
within a memory bound, and change no data (a refused packet is kept as received, rejected).
"""

from __future__ import annotations

import base64
import io
import resource
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from db.engine import make_engine, make_session_factory
from db.migrate import initdb
from db.models import AuditEvent, LoadJournal, Packet, Person
from kontingent_ws.app import KontingentWsgi, make_app
from kontingent_ws.call import CallContext
from kontingent_ws.errors import XmlInputError
from kontingent_ws.security.caller import SYSTEM, Caller
from kontingent_ws.settings import Settings
from kontingent_ws.usecases.intake.formats import PacketSource, open_xml_packet
from tests.intakekit import World, make_world, packet_xml, signed, student
from tests.live import SOAP_CONTENT_TYPE, WsgiResponse, call_wsgi, read_fault, soap_envelope

HOSTILE = Path(__file__).parent / "hostile"
SERVICE_INFO_NS = "urn://kontingent-region.ru/ws/serviceinfo/1.0"
INTAKE_NS = "urn://kontingent-region.ru/ws/intake/1.0"
MAX_BYTES = 50 * 1024 * 1024
MAX_SECONDS = 2.0
MAX_MEMORY = 200 * 1024 * 1024
LEAKS = (b"root:", b"lollollol", b"/bin/")
INSIDE = "@@INSIDE@@"
"""Where a template's content goes in the operation element of an envelope (else first in the root)."""


@dataclass(frozen=True, kw_only=True)
class Target:
    """A hostile input goes either into the SOAP envelope itself or into a provider's packet."""

    name: str
    document: Callable[[World], bytes]
    """The harmless document the attack is built from (with its XML declaration)."""
    path: str
    request: Callable[[bytes], bytes]
    """The SOAP request body carrying the hostile document."""


def _submit_packet(packet: bytes) -> bytes:
    encoded = base64.b64encode(packet).decode()
    return soap_envelope(f'<i:SubmitPacket xmlns:i="{INTAKE_NS}"><i:PacketXml>{encoded}</i:PacketXml>'
                         f"<i:FileName>hostile.xml</i:FileName></i:SubmitPacket>")


TARGETS = {
    "envelope": Target(
        name="envelope",
        document=lambda _world: soap_envelope(
            f'<s:GetServiceInfo xmlns:s="{SERVICE_INFO_NS}">{INSIDE}</s:GetServiceInfo>'
        ),
        path="/ws/ServiceInfo",
        request=lambda envelope: envelope,
    ),
    "packet": Target(
        name="packet",
        document=lambda _world: packet_xml("hostile-1", {"Students": [student("s1", "Орлов", "Олег", "2013-01-01")]}),
        path="/ws/Intake",
        request=_submit_packet,
    ),
}


def _split(document: bytes) -> tuple[bytes, bytes, bytes]:
    """(declaration, root start tag, rest) of a document with an XML declaration."""
    declaration, _, rest = document.replace(INSIDE.encode(), b"").partition(b"?>")
    body = rest.lstrip()
    start_end = body.index(b">") + 1
    return declaration + b"?>", body[:start_end], body[start_end:]


def from_template(name: str, pad: int = 0) -> Callable[[bytes, World], bytes]:
    """An attack of ``tests/hostile/<name>.xml``: its prolog before the root, its tail inside the root."""

    def build(document: bytes, _world: World) -> bytes:
        template = (HOSTILE / f"{name}.xml").read_bytes().replace(b"@@PAD@@", b" " * pad)
        prolog, _, inside = template.partition(b"@@ROOT@@\n")
        if INSIDE.encode() in document:
            return prolog + document.partition(b"?>")[2].lstrip().replace(INSIDE.encode(), inside.strip())
        _declaration, start, rest = _split(document)
        return prolog + start + inside.strip() + rest

    return build


def deep_nesting(document: bytes, _world: World) -> bytes:
    _declaration, start, rest = _split(document)
    return start + b"<d>" * 100_000 + b"</d>" * 100_000 + rest


def huge_text(document: bytes, _world: World) -> bytes:
    _declaration, start, rest = _split(document)
    return start + b"<t>" + b"x" * (60 * 1024 * 1024) + b"</t>" + rest


def many_attributes(document: bytes, _world: World) -> bytes:
    _declaration, start, rest = _split(document)
    attributes = b" ".join(b'a%d="1"' % n for n in range(200_000))
    return start[:-1] + b" " + attributes + b">" + rest


def truncated(document: bytes, _world: World) -> bytes:
    return document[: len(document) * 2 // 3]


def invalid_utf8(document: bytes, _world: World) -> bytes:
    declaration, start, rest = _split(document)
    return declaration + start + b"<n>\xff\xfe\xc3\x28\xed\xa0\x80</n>" + rest


def utf16_with_bom(document: bytes, _world: World) -> bytes:
    text = document.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    return text.encode("utf-16")


def cdata_wrapped(document: bytes, _world: World) -> bytes:
    _declaration, start, rest = _split(document)
    return b"<![CDATA[" + start + rest + b"]]>"


def xinclude_signed(document: bytes, world: World) -> bytes:
    """XInclude signed by a trusted provider, so it reaches the schema check."""
    attack = from_template("xinclude")(document, world)
    return attack if document.find(b"<Packet") < 0 else signed(attack, world.netschool.identity)


@dataclass(frozen=True, kw_only=True)
class Attack:
    build: Callable[[bytes, World], bytes]
    expected: dict[str, tuple[str, str | None]]
    """By target: the fault code and its ``Info`` (the refusal reason), ``None`` when it has none."""
    packet_stored: bool = True
    """The packet reaches the intake (and is kept, rejected); else the envelope carrying it is refused."""


def _xml_input(reason: str) -> dict[str, tuple[str, str | None]]:
    return {"envelope": ("Client.XmlInput", reason), "packet": ("Client.XmlInput", reason)}


ATTACKS = {
    "billion-laughs": Attack(build=from_template("billion-laughs"), expected=_xml_input("dtd")),
    "external-entity-file": Attack(build=from_template("external-entity-file"), expected=_xml_input("dtd")),
    "external-entity-http": Attack(build=from_template("external-entity-http"), expected=_xml_input("dtd")),
    "external-dtd": Attack(build=from_template("external-dtd"), expected=_xml_input("dtd")),
    "parameter-entities": Attack(build=from_template("parameter-entity"), expected=_xml_input("dtd")),
    "doctype-after-8k-comment": Attack(build=from_template("doctype-after-long-comment", pad=8192),
                                       expected=_xml_input("dtd")),
    "xinclude": Attack(build=xinclude_signed, expected={"envelope": ("Client.SchemaValidation", None),
                                                        "packet": ("Client.SchemaValidation", None)}),
    "deep-nesting-100k": Attack(build=deep_nesting, expected=_xml_input("syntax")),
    "huge-text-60mb": Attack(build=huge_text, expected=_xml_input("too-large"), packet_stored=False),
    "attributes-200k": Attack(build=many_attributes, expected=_xml_input("too-many-attributes")),
    "truncated": Attack(build=truncated, expected=_xml_input("syntax")),
    "invalid-utf8": Attack(build=invalid_utf8, expected=_xml_input("not-utf8")),
    "utf16-bom": Attack(build=utf16_with_bom, expected=_xml_input("not-utf8")),
    "cdata-wrapped": Attack(build=cdata_wrapped, expected=_xml_input("syntax")),
}


class ProviderAuthenticator:
    """Every call comes from the ``netschool`` provider (the signature layer is tested elsewhere)."""

    def __init__(self) -> None:
        self.world: World | None = None

    def authenticate(self, call: CallContext) -> object:
        assert self.world is not None
        return Caller(kind="system", role=SYSTEM, name="netschool", system_id=self.world.netschool.system_id,
                      write_unit_ids=frozenset({self.world.region.north_id}), is_provider=True)


@dataclass(frozen=True, kw_only=True)
class Service:
    app: KontingentWsgi
    engine: Engine
    world: World


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    directory = tmp_path_factory.mktemp("hostile")
    url = f"sqlite:///{directory / 'kontingent.sqlite3'}"
    initdb(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        world = make_world(session)
    authenticator = ProviderAuthenticator()
    authenticator.world = world
    settings = Settings(database_url=url, data_dir=directory / "data", max_request_bytes=MAX_BYTES)
    try:
        yield Service(app=make_app(settings, authenticator=authenticator), engine=engine, world=world)
    finally:
        engine.dispose()


def counts(engine: Engine) -> dict[str, int]:
    """Rows of the main tables; the audit log without authentication failures."""
    with engine.connect() as connection:
        def count(model: Any, *where: Any) -> int:
            return int(connection.execute(select(func.count()).select_from(model).where(*where)).scalar_one())

        return {
            "person": count(Person),
            "packet": count(Packet),
            "packet rejected": count(Packet, Packet.status == "rejected"),
            "load_journal": count(LoadJournal),
            "load_journal error": count(LoadJournal, LoadJournal.status == "error"),
            "audit_log": count(AuditEvent, AuditEvent.action != "auth_failed"),
        }


@dataclass(frozen=True, kw_only=True)
class Measured:
    response: WsgiResponse
    seconds: float
    python_peak: int
    rss_growth: int


def measured(send: Callable[[], WsgiResponse]) -> Measured:
    """Run ``send`` timing it and recording its Python heap peak and the growth of the process' peak RSS."""
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    started = time.perf_counter()
    try:
        response = send()
        seconds = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss_before
    return Measured(response=response, seconds=seconds, python_peak=peak, rss_growth=rss_growth)


def expected_changes(target: str, attack: Attack) -> dict[str, int]:
    """A refused packet is kept as received (rejected, journal «Ошибка»); nothing else changes."""
    if target == "envelope" or not attack.packet_stored:
        return {}
    return {"packet": 1, "packet rejected": 1, "load_journal": 1, "load_journal error": 1}


@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_a_hostile_input_is_refused_quickly_and_changes_nothing(service: Service, attack: str, target: str) -> None:
    hostile = ATTACKS[attack].build(TARGETS[target].document(service.world), service.world)
    body = TARGETS[target].request(hostile)
    code, reason = ATTACKS[attack].expected[target]
    before = counts(service.engine)

    result = measured(lambda: call_wsgi(service.app, TARGETS[target].path, body))

    after = counts(service.engine)
    fault = read_fault(result.response.body)
    assert (result.response.status, fault.code) == (500, code), f"{attack} must be refused as {code}: {fault}"
    if reason is not None:
        assert fault.detail.get("Info") == reason, f"{attack} must be refused for the reason {reason}: {fault}"
    assert not any(leak in result.response.body for leak in LEAKS), "no file content or entity expansion answered"
    assert result.seconds < MAX_SECONDS, f"refused within {MAX_SECONDS} s, took {result.seconds:.2f} s"
    assert result.python_peak < MAX_MEMORY, f"Python heap peak below 200 MB, was {result.python_peak >> 20} MB"
    assert result.rss_growth < MAX_MEMORY, f"process peak RSS grew below 200 MB, grew {result.rss_growth >> 20} MB"
    changes = {table: after[table] - before[table] for table in before if after[table] != before[table]}
    assert changes == expected_changes(target, ATTACKS[attack]), "only the stored, rejected packet may be new"



def test_a_60mb_packet_is_refused_by_the_packet_opener_before_parsing(service: Service) -> None:
    data = huge_text(TARGETS["packet"].document(service.world), service.world)
    source = PacketSource(content=data, path=None, detached_signature=None, trust=lambda _cert: None,
                          chunk_size=100, max_bytes=MAX_BYTES)

    started = time.perf_counter()
    with pytest.raises(XmlInputError) as refused:
        open_xml_packet(source)

    assert refused.value.code == "Client.XmlInput", "an oversize packet is an XML input fault"
    assert refused.value.detail == "too-large", "refused for its size, not for what parsing found"
    assert time.perf_counter() - started < MAX_SECONDS, "refused without parsing 60 MB"


@pytest.mark.parametrize(
    ("content_type", "content_length", "reason"),
    [
        ("application/json", None, "content-type"),
        ("text/plain; charset=utf-8", None, "content-type"),
        ('multipart/related; type="application/xop+xml"; boundary=b', None, "content-type"),
        (SOAP_CONTENT_TYPE, str(MAX_BYTES + 1), "too-large"),
        (SOAP_CONTENT_TYPE, "-1", "content-length"),
    ],
    ids=["json", "text-plain", "multipart-mtom", "content-length-over-cap", "content-length-negative"],
)
def test_a_packet_in_a_wrong_http_request_is_refused_before_reading(
    service: Service, content_type: str, content_length: str | None, reason: str
) -> None:
    packet = TARGETS["packet"].document(service.world)
    stream = io.BytesIO(_submit_packet(packet))
    before = counts(service.engine)

    result = measured(lambda: call_wsgi(service.app, "/ws/Intake", content_type=content_type,
                                        content_length=content_length, extra={"wsgi.input": stream}))

    fault = read_fault(result.response.body)
    assert (fault.code, fault.detail.get("Info")) == ("Client.XmlInput", reason), f"refused for {reason}: {fault}"
    assert stream.tell() == 0, "the body is not read when the HTTP head already refuses it"
    assert result.seconds < MAX_SECONDS, f"refused within {MAX_SECONDS} s, took {result.seconds:.2f} s"
    assert counts(service.engine) == before, "no packet stored, nothing journaled or audited"


def test_processing_instructions_before_the_root_are_dropped_unread(service: Service) -> None:
    plain = TARGETS["envelope"].document(service.world).replace(INSIDE.encode(), b"")
    hostile = from_template("processing-instruction")(plain, service.world)
    before = counts(service.engine)

    answered = call_wsgi(service.app, "/ws/ServiceInfo", hostile)

    assert b"<?php" in hostile and b"xml-stylesheet" in hostile, "the attack carries its instructions"
    assert answered.status == 200, "instructions outside the root are removed by the parser, not executed"
    assert answered.body == call_wsgi(service.app, "/ws/ServiceInfo", plain).body, "answered as without them"
    assert counts(service.engine) == before, "nothing changed"
