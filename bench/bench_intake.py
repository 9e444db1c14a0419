"""Intake end to end on PostgreSQL: a signed packet of N students, each with an enrolment, a
representative and a year of period marks, streamed (``iter_packet``) under a detached signature
(``verify_packet_file``), matched, merged and written in one transaction.

    .venv/bin/python bench/bench_intake.py --url postgresql+psycopg2://postgres@127.0.0.1:5432/postgres \
        [--students 100000] [--subjects 5] [--annual] [--keep]

A fresh database is created next to the one ``--url`` names (and dropped unless ``--keep``). The
packet is generated into a temporary directory, signed, stored as received and loaded by
``process_packet`` – the same code a ``kontingent worker`` runs. Then the same rows are written by
a raw ``COPY`` into empty copies of the tables, and the ratio is printed. Peak RSS of the process
is printed at the end (``ru_maxrss``), and the floor: the CPU of the schema check alone (as the
load's child process runs it) plus the raw COPY, what a load costs before any mapping, matching or
checking.
Targets: ≥ 5,000 students/s; peak RSS < 500 MB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

import adapters.packet as adapters_packet
from adapters import packet_check
from adapters.identifiers import make_inn_org, make_snils
from db import hierarchy
from db.engine import make_engine, make_session_factory
from db.migrate import initdb
from db.models import Authority, Organization, Region
from kontingent_ws.security.demo_accounts import self_signed_identity
from kontingent_ws.security.provisioning import new_system
from kontingent_ws.settings import Settings
from kontingent_ws.usecases.intake.formats import XML_PACKET
from kontingent_ws.usecases.intake.pipeline import process_packet
from kontingent_ws.usecases.intake.receive import Sender, store_packet
from kontingent_ws.xmlsig.packet import sign_packet_file

NS = "urn://kontingent-region.ru/packet/1.0.0"
SUBJECT_CODES = ("01", "11", "02", "03", "04", "05", "06", "07", "08", "09")
QUARTERS = (("2024-09-02", "2024-10-25"), ("2024-11-05", "2024-12-27"), ("2025-01-09", "2025-03-21"),
            ("2025-03-31", "2025-05-26"))
FIRST = ("Иван", "Пётр", "Анна", "Мария", "Олег", "Ольга", "Глеб", "Вера")
LAST = ("Иванов", "Петров", "Сидоров", "Кузнецов", "Смирнов", "Попов", "Соколов", "Лебедев")
BIRTH, PARENT_BIRTH = dt.date(2010, 9, 1), dt.date(1975, 1, 1)
"""Pupils born over four years, parents over fifteen: a name and a birth date are shared by a few
persons (as in a real region), not by hundreds – which would make every identity lookup scan them all."""


def write_packet(stream: IO[str], *, students: int, subjects: int, inn: str, annual: bool = False) -> int:
    """Write the packet; return the number of period-mark rows (with ``annual``, an annual mark after
    each subject's four quarter marks)."""
    stream.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<Packet xmlns="{NS}" id="bench-{uuid.uuid4()}" '
                 f'version="1.0.0" created="2025-06-01T10:00:00+03:00" provider="bench" orgInn="{inn}">\n')
    stream.write('<ClassGroups><ClassGroup providerRef="g"><Name>5А</Name><SchoolYear>2024/2025</SchoolYear>'
                 "<ProgramKind>13</ProgramKind><SchoolClass><Grade>5</Grade><Letter>А</Letter></SchoolClass>"
                 "</ClassGroup></ClassGroups>\n<Subjects>")
    for n in range(subjects):
        stream.write(f'<Subject providerRef="sub{n}"><Name>Предмет {n}</Name>'
                     f"<BaseSubject>{SUBJECT_CODES[n]}</BaseSubject></Subject>")
    stream.write("</Subjects>\n<StudyPeriods>")
    for n, (start, end) in enumerate(QUARTERS, start=1):
        stream.write(f'<StudyPeriod providerRef="q{n}"><Kind>quarter</Kind><Number>{n}</Number>'
                     f"<SchoolYear>2024/2025</SchoolYear><StartDate>{start}</StartDate><EndDate>{end}</EndDate>"
                     "</StudyPeriod>")
    stream.write("</StudyPeriods>\n<Students>\n")
    for i in range(students):
        sex = "1" if i % 2 == 0 else "2"
        stream.write(
            f'<Student providerRef="s{i}"><LastName>{LAST[i % 8]}{"а" if sex == "2" else ""}</LastName>'
            f"<FirstName>{FIRST[i % 8]}</FirstName><MiddleName>Тестович{i}</MiddleName><Sex>{sex}</Sex>"
            f"<BirthDate>{BIRTH + dt.timedelta(days=i * 7 % 1461)}</BirthDate><Citizenship>1</Citizenship>"
            f"<Snils>{make_snils(2_000_000 + i)}</Snils><Representatives><Representative><Kind>1</Kind><Person>"
            f"<LastName>{LAST[i % 8]}а</LastName><FirstName>Мать{i}</FirstName><Sex>2</Sex>"
            f"<BirthDate>{PARENT_BIRTH + dt.timedelta(days=i * 13 % 5479)}</BirthDate>"
            f"<Snils>{make_snils(50_000_000 + i)}</Snils>"
            "</Person></Representative></Representatives></Student>\n"
        )
    stream.write("</Students>\n<Enrolments>\n")
    for i in range(students):
        stream.write(f'<Enrolment providerRef="e{i}"><StudentRef>s{i}</StudentRef><ClassGroupRef>g</ClassGroupRef>'
                     "<ProgramKind>13</ProgramKind><EducationLevel>3</EducationLevel>"
                     "<EducationForm>11</EducationForm><EntryDate>2024-09-01</EntryDate><EntryReason>1</EntryReason>"
                     "</Enrolment>\n")
    stream.write("</Enrolments>\n<PeriodMarks>\n")
    marks = 0
    for i in range(students):
        for n in range(subjects):
            for q in range(1, 5):
                stream.write(f'<PeriodMark providerRef="p{marks}"><StudentRef>s{i}</StudentRef>'
                             f"<SubjectRef>sub{n}</SubjectRef><PeriodRef>q{q}</PeriodRef>"
                             f"<SchoolYear>2024/2025</SchoolYear><Scale>five_point</Scale>"
                             f"<Value>{3 + (i + n + q) % 3}</Value></PeriodMark>\n")
                marks += 1
            if annual:
                stream.write(f'<PeriodMark providerRef="p{marks}"><StudentRef>s{i}</StudentRef>'
                             f"<SubjectRef>sub{n}</SubjectRef><Kind>annual</Kind>"
                             f"<SchoolYear>2024/2025</SchoolYear><Scale>five_point</Scale>"
                             f"<Value>{3 + (i + n) % 3}</Value></PeriodMark>\n")
                marks += 1
    stream.write("</PeriodMarks>\n</Packet>\n")
    return marks


@contextmanager
def scratch_database(base_url: str, prefix: str, *, keep: bool = False) -> Iterator[str]:
    """A fresh database next to the one ``base_url`` names; dropped at the end unless ``keep``."""
    base = make_url(base_url)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def setup(url: str, directory: Path, inn: str = make_inn_org(770_000_001)) -> tuple[int, str, Path, Path]:
    """A region with one school and the provider ``bench``; returns (provider id, school ИНН, key, certificate)."""
    initdb(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        region = Region(code="99", name="Тестовая область", oktmo="99000000")
        session.add(region)
        session.flush()
        ministry = Authority(full_name="Министерство", short_name="Министерство", full_name_norm="МИНИСТЕРСТВО",
                             level="region", region_id=region.id, status_code="1")
        session.add(ministry)
        session.flush()
        hierarchy.attach(session, ministry.id, None)
        school = Organization(full_name="Школа", short_name="Школа", full_name_norm="ШКОЛА", parent_id=ministry.id,
                              type_code="12", status_code="1", inn=inn)
        session.add(school)
        session.flush()
        hierarchy.attach(session, school.id, ministry.id)
        key, cert = self_signed_identity("bench", directory, "bench")
        system = new_system(session, mnemonic="bench", name="Бенчмарк", is_provider=True, is_consumer=False,
                            certificate_pem=cert.read_bytes(), write_unit_ids=[ministry.id], contracts=["Intake"])
        session.commit()
        system_id = system.id
    engine.dispose()
    return system_id, inn, key, cert


def backends_cpu(session: Session) -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL backend of the session's database (the server runs
    on this host): the load's own connection and the one it takes ids on."""
    pids = session.execute(
        text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'")
    ).scalars()
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return used


def server_cpu_since(session: Session, before: dict[int, float]) -> float:
    """CPU seconds the database's backends used since ``before`` (a backend opened since counts whole)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in backends_cpu(session).items())


PACKET_TABLES = ("person", "student", "legal_representative", "enrolment", "period_mark", "field_provenance",
                 "change_log")
"""The tables a benchmark packet's load writes row by row."""


def raw_copy(url: str, tables: tuple[str, ...] = PACKET_TABLES) -> float:
    """Seconds to COPY the rows the load wrote into empty copies of the same tables."""
    engine = create_engine(url)
    dumps = {}
    with engine.begin() as connection:
        cursor = connection.connection.cursor()
        for table in tables:
            buffer = io.StringIO()
            cursor.copy_expert(f"COPY {table} TO STDOUT", buffer)
            dumps[table] = buffer.getvalue()
            connection.execute(text(f"CREATE TABLE raw_{table} (LIKE {table} INCLUDING ALL)"))
    started = time.perf_counter()
    with engine.begin() as connection:
        cursor = connection.connection.cursor()
        for table in tables:
            cursor.copy_expert(f"COPY raw_{table} FROM STDIN", io.StringIO(dumps[table]))
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def parse_floor(packet: Path) -> float:
    """CPU seconds of the packet's schema check alone, as the load's child process runs it (plain
    quarter marks checked by ``packet_scan``, every other byte by libxml2's validating parse, the
    marks' frames written to ``/dev/null``): the part of a load no mapping work can remove."""
    from adapters.packet import packet_schema

    started = time.process_time()
    with packet.open("rb") as stream, open(os.devnull, "wb") as sink:
        verdict = packet_check.check_stream(stream, packet_schema(), sink)
    assert verdict == {"valid": True}, verdict
    return time.process_time() - started


class _RecordedCheck(packet_check.SchemaCheck):
    """The load's schema check, kept to read its child's peak RSS from its verdict."""

    made: list[packet_check.SchemaCheck] = []

    def __init__(self, path: Path):
        super().__init__(path)
        self.made.append(self)


def children_cpu() -> float:
    """CPU seconds of this process's children that have ended (the packet's schema check)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="PostgreSQL URL of an existing database (a new one is made)")
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--subjects", type=int, default=5, help="subjects with four quarter marks each")
    parser.add_argument("--annual", action="store_true", help="and an annual mark each")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()
    adapters_packet.SchemaCheck = _RecordedCheck  # type: ignore[misc]
    with scratch_database(args.url, "kt_intake_bench", keep=args.keep) as url, tempfile.TemporaryDirectory() as temp:
        directory = Path(temp)
        system_id, inn, key_path, cert_path = setup(url, directory)
        packet = directory / "packet.xml"
        started = time.perf_counter()
        with packet.open("w", encoding="utf-8") as stream:
            marks = write_packet(stream, students=args.students, subjects=args.subjects, inn=inn,
                                  annual=args.annual)
        generated = time.perf_counter() - started
        signature = sign_packet_file(packet, key_path.read_bytes(), cert_path.read_bytes())
        size = packet.stat().st_size
        print(f"packet: {args.students} students, {marks} period marks, {size / 2**20:.0f} MiB "
              f"(generated in {generated:.1f} s)")
        settings = Settings(database_url=url, data_dir=directory / "data")
        engine = make_engine(url)
        factory = make_session_factory(engine)
        load_before = os.getloadavg()[0]
        with factory() as session:
            started = time.perf_counter()
            stored = store_packet(session, settings, source_path=packet, detached_signature=signature,
                                  sender=Sender(system_id=system_id, user_id=None), file_name=packet.name,
                                  format=XML_PACKET)
            session.commit()
            received = time.perf_counter() - started
            server_started = backends_cpu(session)
            started, cpu_started, children_started = time.perf_counter(), time.process_time(), children_cpu()
            outcome = process_packet(session, settings, stored.packet_id, job_id=stored.job_id)
            loaded, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            child_cpu = children_cpu() - children_started
            server = server_cpu_since(session, server_started)
        engine.dispose()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        peaks = [(check.verdict or {}).get("peak_rss_kib") or 0 for check in _RecordedCheck.made]
        child_peak = max(peaks, default=0) / 1024
        if outcome.status != "done":
            print(f"load failed: {outcome}", file=sys.stderr)
            return 1
        copy_seconds = raw_copy(url)
        parse_seconds = parse_floor(packet)
        rate = args.students / loaded
        print(f"stored as received: {received:.1f} s")
        print(f"applied: {outcome.counts.applied} rows in {loaded:.1f} s = {rate:,.0f} students/s "
              f"({outcome.counts.applied / loaded:,.0f} rows/s)")
        print(f"CPU of the load: this process {cpu:.1f} s ({cpu / args.students * 1e3:.3f} ms a student), "
              f"the schema check in a child process {child_cpu:.1f} s, "
              f"its PostgreSQL backends {server:.1f} s ({server / args.students * 1e3:.3f} ms a student) "
              f"= {args.students / (cpu + child_cpu + server):,.0f} students per CPU-second; all at once "
              f"{(cpu + child_cpu + server) / loaded:.2f} of {os.cpu_count()} cores; load average {load_before:.1f} "
              f"before, {os.getloadavg()[0]:.1f} after")
        print(f"raw COPY of the same rows: {copy_seconds:.1f} s; load / COPY = {loaded / copy_seconds:.1f}×")
        floor, cores = parse_seconds + copy_seconds, os.cpu_count() or 1
        each = 1e3 / args.students
        print(f"floor: the schema check alone {parse_seconds:.1f} s of CPU ({parse_seconds * each:.3f} ms a "
              f"student) + raw COPY {copy_seconds:.1f} s ({copy_seconds * each:.3f} ms) = {floor * each:.3f} ms a "
              f"student: at most {args.students * cores / floor:,.0f} students/s on {cores} cores doing nothing else")
        print(f"peak RSS of the load: {peak:.0f} MiB in this process + {child_peak:.0f} MiB in the child process "
              f"of the schema check = {peak + child_peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
