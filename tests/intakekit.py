"""Building provider packets and a small region with providers for the intake tests."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.excel_kinds import KINDS
from adapters.excel_template import build_template
from adapters.identifiers import make_snils
from adapters.safexml import parse_bytes
from db.models import Organization
from kontingent_ws.security.provisioning import new_system
from kontingent_ws.settings import Settings
from kontingent_ws.usecases.intake.formats import XML_PACKET
from kontingent_ws.usecases.intake.pipeline import Outcome, process_packet
from kontingent_ws.usecases.intake.receive import Sender, Stored, store_packet
from kontingent_ws.xmlsig.packet import sign_packet
from tests.authkit import SmallRegion, make_small_region
from tests.pki import RsaIdentity, make_rsa_identity

NS = "urn://kontingent-region.ru/packet/1.0.0"
NORTH_INN, NORTH_KPP = "7707083893", "770701001"
SOUTH_INN, SOUTH_KPP = "7736050003", "773601001"
SECTION_ORDER = ("ClassGroups", "Subjects", "StudyPeriods", "Students", "Enrolments", "DiaryMarks", "PeriodMarks",
                 "ExamResults", "QueueApplications")


def snils(n: int) -> str:
    """A valid СНИЛС (11 digits)."""
    return make_snils(100_000_000 + n)


def packet_xml(packet_id: str, sections: dict[str, list[str]], *, provider: str = "netschool",
               org_inn: str = NORTH_INN, org_kpp: str = NORTH_KPP, organization: str = "") -> bytes:
    """A packet with the given rows (XML fragments) per section, in schema order, after the
    ``Organization`` element when one is given."""
    body = organization + "".join(
        f"<{name}>{''.join(sections[name])}</{name}>" for name in SECTION_ORDER if sections.get(name)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Packet xmlns="{NS}" id="{packet_id}" version="1.0.0" '
        f'created="2025-03-01T10:00:00+03:00" provider="{provider}" orgInn="{org_inn}" orgKpp="{org_kpp}">'
        f"{body}</Packet>"
    ).encode()


def student(ref: str, last: str, first: str, birth: str, *, middle: str | None = None, sex: str = "1",
            snils_value: str | None = None, phone: str | None = None, representatives: str = "") -> str:
    parts = [f"<LastName>{last}</LastName><FirstName>{first}</FirstName>"]
    if middle:
        parts.append(f"<MiddleName>{middle}</MiddleName>")
    parts.append(f"<Sex>{sex}</Sex><BirthDate>{birth}</BirthDate><Citizenship>1</Citizenship>")
    if snils_value:
        parts.append(f"<Snils>{snils_value}</Snils>")
    if phone:
        parts.append(f"<Contacts><Phone>{phone}</Phone></Contacts>")
    if representatives:
        parts.append(f"<Representatives>{representatives}</Representatives>")
    return f'<Student providerRef="{ref}">{"".join(parts)}</Student>'


def representative(last: str, first: str, birth: str, *, sex: str = "2", snils_value: str | None = None) -> str:
    extra = f"<Snils>{snils_value}</Snils>" if snils_value else ""
    return (
        f"<Representative><Kind>1</Kind><Person><LastName>{last}</LastName><FirstName>{first}</FirstName>"
        f"<Sex>{sex}</Sex><BirthDate>{birth}</BirthDate>{extra}</Person></Representative>"
    )


def enrolment(ref: str, student_ref: str, entry: str, *, exit_date: str | None = None, exit_reason: str = "2",
              level: str = "3", program: str = "13") -> str:
    leaving = f"<ExitDate>{exit_date}</ExitDate><ExitReason>{exit_reason}</ExitReason>" if exit_date else ""
    return (
        f'<Enrolment providerRef="{ref}"><StudentRef>{student_ref}</StudentRef><ProgramKind>{program}</ProgramKind>'
        f"<EducationLevel>{level}</EducationLevel><EducationForm>11</EducationForm><EntryDate>{entry}</EntryDate>"
        f"<EntryReason>1</EntryReason>{leaving}</Enrolment>"
    )


def signed(data: bytes, identity: RsaIdentity) -> bytes:
    """The packet signed (enveloped XMLDSig, RSA-SHA256) by ``identity``."""
    root = sign_packet(parse_bytes(data), identity.key_pem, identity.cert_pem)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@dataclass(frozen=True, kw_only=True)
class Provider:
    system_id: int
    mnemonic: str
    identity: RsaIdentity


@dataclass(frozen=True, kw_only=True)
class World:
    """A small region whose northern school and southern school carry real requisites, and providers."""

    region: SmallRegion
    netschool: Provider
    """Writes the northern municipality."""
    dnevnik: Provider
    """Writes the whole region."""


def _provider(session: Session, mnemonic: str, scopes: list[int]) -> Provider:
    identity = make_rsa_identity(mnemonic)
    system = new_system(session, mnemonic=mnemonic, name=f"ИС {mnemonic}", is_provider=True, is_consumer=False,
                        certificate_pem=identity.cert_pem, write_unit_ids=scopes, contracts=["Intake"])
    return Provider(system_id=system.id, mnemonic=mnemonic, identity=identity)


def make_world(session: Session) -> World:
    region = make_small_region(session)
    for unit_id, inn, kpp in ((region.north_school_id, NORTH_INN, NORTH_KPP),
                              (region.south_school_id, SOUTH_INN, SOUTH_KPP)):
        organization = session.get(Organization, unit_id)
        assert organization is not None
        organization.inn, organization.kpp = inn, kpp
    world = World(
        region=region,
        netschool=_provider(session, "netschool", [region.north_id]),
        dnevnik=_provider(session, "dnevnik", [region.ministry_id]),
    )
    session.commit()
    return world


def load(session: Session, settings: Settings, provider: Provider, data: bytes) -> Outcome:
    """Store a packet signed by ``provider`` and run the pipeline on it, as a worker would."""
    stored = store_packet(session, settings, data=signed(data, provider.identity),
                          sender=Sender(system_id=provider.system_id, user_id=None), file_name="packet.xml",
                          format=XML_PACKET)
    session.commit()
    return process_packet(session, settings, stored.packet_id, job_id=stored.job_id)


def org_id(session: Session, inn: str) -> int:
    return session.scalars(select(Organization.id).where(Organization.inn == inn)).one()


def day(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def settings_for(db_url: str, data_dir: Path) -> Settings:
    return Settings(database_url=db_url, data_dir=data_dir)


def store_enrolled_students(session: Session, world: World, settings: Settings, packet_id: str, count: int) -> Stored:
    """A packet of ``count`` new students, each enrolled, signed by netschool and stored as received
    (its job queued for a worker); no commit."""
    rows = {
        "Students": [student(f"s{i}", "Ткачёв", f"Имя{i}", "2013-01-01", snils_value=snils(1000 + i))
                     for i in range(count)],
        "Enrolments": [enrolment(f"e{i}", f"s{i}", "2024-09-01") for i in range(count)],
    }  # fmt: skip
    return store_packet(session, settings, data=signed(packet_xml(packet_id, rows), world.netschool.identity),
                        sender=Sender(system_id=world.netschool.system_id, user_id=None), file_name="big.xml",
                        format=XML_PACKET)  # fmt: skip


def excel_student_row(n: int, last: str, *, inn: str = NORTH_INN, **changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "last_name": last, "first_name": "Иван", "sex": "Мужской", "birth_date": dt.date(2014, 3, 12),
        "citizenship": "Гражданин Российской Федерации", "snils": snils(n), "org_inn": inn, "class_name": "5А",
        "school_year": "2025/2026", "program_kind": "Образовательная программа основного общего образования",
        "education_form": "Очная", "entry_date": dt.date(2025, 9, 1), "entry_reason": "Зачисление (приём)",
    }
    row.update(changes)
    return row


def fill_template(kind: str, rows: list[dict[str, object]], template: bytes | None = None) -> bytes:
    """The template of ``kind`` (or ``template``) with ``rows`` (column key → value) written from row 3,
    as a person would."""
    workbook = load_workbook(io.BytesIO(template or build_template(kind)))
    sheet = workbook[KINDS[kind].title]
    keys = [column.key for column in KINDS[kind].columns]
    for offset, values in enumerate(rows):
        for key, value in values.items():
            sheet.cell(row=3 + offset, column=keys.index(key) + 1, value=value)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def fill_students_template(template: bytes, rows: list[dict[str, object]]) -> bytes:
    """The ``students`` template filled as a person would: one row per student from row 3."""
    return fill_template("students", rows, template)
