"""Benchmark of a filled ``students`` Excel template: reading it (python-calamine + the pure row
mapper) and, with ``--url``, the whole upload on PostgreSQL (stored as received, then loaded by
``process_packet`` as a worker does: students, representatives, classes, enrolments).

    .venv/bin/python bench/bench_excel.py --rows 100000
    .venv/bin/python bench/bench_excel.py --rows 100000 --url postgresql+psycopg2://postgres@127.0.0.1:5432/postgres \
        [--representatives registered|new]

Generates an upload of ``--rows`` valid student rows (openpyxl, write-only: the data sheet and the
template mark, as a filled template carries them; each student with a birth certificate, an
address, a phone, one of 20 classes and one representative with СНИЛС and phone), then reads it
with ``read_upload`` and prints the file size, the seconds spent (wall clock and CPU of this
process, since a busy machine stretches the former), rows per second and the number of records and
row errors. openpyxl writes every string inline, the slowest layout for a reader; a file saved by
Excel (shared strings) reads faster.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from adapters.excel_kinds import META_SHEET, STUDENTS
from adapters.excel_read import open_workbook, read_upload
from adapters.identifiers import make_inn_org, make_snils

ORG_INN = make_inn_org(770708389)
REGISTERED, NEW = "registered", "new"
PROGRAMME = "Образовательная программа основного общего образования"


def representative_snils(number: int) -> str:
    return make_snils(300_000_000 + number)


def register_representatives(url: str, rows: int) -> None:
    """The representatives of the rows as persons already in the registry (as the school's own
    information system or an earlier packet would have registered them), by COPY."""
    import psycopg2

    from db.copytext import copy_text
    from db.names import normalize_name

    people = [
        (f"Фамилия{n}", "Пётр", "Иванович", normalize_name(f"Фамилия{n}"), normalize_name("Пётр"),
         normalize_name("Иванович"), "1", dt.date(1980, 1, 1) + dt.timedelta(days=n % 5000), "1",
         representative_snils(n))
        for n in range(rows)
    ]
    connection = psycopg2.connect(url.replace("postgresql+psycopg2://", "postgresql://"))
    try:
        with connection, connection.cursor() as cursor:  # commits
            cursor.copy_expert(
                "COPY person (last_name, first_name, middle_name, last_name_norm, first_name_norm, middle_name_norm, "
                "sex, birth_date, citizenship_code, snils) FROM STDIN", io.StringIO(copy_text(people)),
            )
            cursor.execute("ANALYZE person")
    finally:
        connection.close()


def student_row(number: int) -> dict[str, object]:
    """A valid row of the students template, different for every ``number``."""
    return {
        "last_name": f"Фамилия{number}",
        "first_name": "Иван" if number % 2 else "Мария",
        "middle_name": "Петрович" if number % 2 else "Петровна",
        "sex": "Мужской" if number % 2 else "Женский",
        "birth_date": dt.date(2012, 1, 1) + dt.timedelta(days=number % 700),
        "citizenship": "Гражданин Российской Федерации",
        "snils": make_snils(100_000_000 + number),
        "document_type": "Свидетельство о рождении",
        "document_series": "IV-АБ",
        "document_number": f"{number % 1_000_000:06d}",
        "address": f"г. Энск, ул. Школьная, д. {number % 200 + 1}",
        "postal_code": "012345",
        "phone": "+7 900 000-00-00",
        "rep_kind": "Родитель",
        "rep_last_name": f"Фамилия{number}",
        "rep_first_name": "Пётр",
        "rep_middle_name": "Иванович",
        "rep_snils": representative_snils(number),
        "rep_phone": f"+7 900 {number % 1000:03d}-{number // 1000 % 100:02d}-00",
        "org_inn": ORG_INN,
        "class_name": f"{5 + number % 5}{'АБВГ'[number % 4]}",
        "school_year": "2025/2026",
        "program_kind": PROGRAMME,
        "education_form": "Очная",
        "entry_date": dt.date(2025, 9, 1),
        "entry_reason": "Зачисление (приём)",
    }


def generate_upload(rows: int) -> bytes:
    """A filled students upload of ``rows`` rows."""
    workbook = Workbook(write_only=True)
    data = workbook.create_sheet(STUDENTS.title)
    keys = [column.key for column in STUDENTS.columns]
    data.append(keys)
    data.append([column.header for column in STUDENTS.columns])
    for number in range(rows):
        values = student_row(number)
        data.append([values.get(key) for key in keys])
    meta = workbook.create_sheet(META_SHEET)
    meta.append([STUDENTS.mark])
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


UPLOAD_TABLES = ("person", "identity_document", "address", "person_address", "student", "legal_representative",
                 "enrolment", "field_provenance", "change_log")
"""The tables an upload of the students template writes row by row."""


def read_floor(content: bytes) -> float:
    """CPU seconds for calamine alone to open the upload and turn its data sheet into Python rows."""
    started = time.process_time()
    workbook = open_workbook(content)
    workbook.get_sheet_by_name(STUDENTS.title).to_python(skip_empty_area=False)
    workbook.close()
    return time.process_time() - started


def end_to_end(base_url: str, content: bytes, rows: int, *, representatives: str) -> None:
    """Upload → rows applied on a fresh PostgreSQL database (dropped afterwards)."""
    from bench_intake import backends_cpu, raw_copy, scratch_database, server_cpu_since, setup

    from db.engine import make_engine, make_session_factory
    from kontingent_ws.settings import Settings
    from kontingent_ws.usecases.intake.formats import EXCEL
    from kontingent_ws.usecases.intake.pipeline import process_packet
    from kontingent_ws.usecases.intake.receive import Sender, store_packet

    with scratch_database(base_url, "kt_intake_excel") as url, tempfile.TemporaryDirectory() as temp:
        setup(url, Path(temp), inn=ORG_INN)
        if representatives == REGISTERED:
            register_representatives(url, rows)
        engine = make_engine(url)
        settings = Settings(database_url=url, data_dir=Path(temp) / "data")
        load_before = os.getloadavg()[0]
        with make_session_factory(engine)() as session:
            started, cpu_started = time.perf_counter(), time.process_time()
            stored = store_packet(session, settings, data=content, sender=Sender(system_id=None, user_id=None),
                                  file_name="upload.xlsx", format=EXCEL, kind="students")
            session.commit()
            server_started = backends_cpu(session)
            outcome = process_packet(session, settings, stored.packet_id, job_id=stored.job_id)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            server = server_cpu_since(session, server_started)
        engine.dispose()
        copy_seconds = raw_copy(url, UPLOAD_TABLES)
    read_seconds = read_floor(content)
    counts = outcome.counts
    print(f"upload → applied: {outcome.status}, {counts.applied} rows applied, {counts.rejected} rejected, "
          f"{counts.warned} warned in {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s "
          f"(CPU: this process {cpu:.1f} s, its PostgreSQL backends {server:.1f} s = "
          f"{rows / (cpu + server):,.0f} rows per CPU-second, both at once {(cpu + server) / elapsed:.2f} cores); "
          f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    floor, cores = read_seconds + copy_seconds, os.cpu_count() or 1
    print(f"floor: calamine's read alone {read_seconds:.1f} s of CPU + raw COPY of the rows written "
          f"{copy_seconds:.1f} s = {floor / rows * 1e3:.3f} ms a row: at most {rows * cores / floor:,.0f} rows/s "
          f"on {cores} cores doing nothing else; upload / floor = {elapsed / floor:.1f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--url", help="PostgreSQL URL of an existing database: also run the upload end to end")
    parser.add_argument(
        "--representatives", choices=(REGISTERED, NEW), default=REGISTERED,
        help="registered: every row's representative is already a person of the registry (found by СНИЛС and "
             "linked); new: none is, and each is left out with a PERSON_INCOMPLETE warning (the template has no "
             "birth date or sex of the representative, so it cannot register one)",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    content = generate_upload(args.rows)
    generated = time.perf_counter() - started
    started, cpu_started = time.perf_counter(), time.process_time()
    batch = read_upload(content, "students", created=dt.datetime(2025, 10, 1, tzinfo=dt.UTC))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(f"file: {len(content) / 1e6:.1f} MB, {args.rows} rows, generated in {generated:.1f} s")
    print(f"read_upload: {elapsed:.2f} s wall, {args.rows / elapsed:,.0f} rows/s; "
          f"{cpu:.2f} s CPU, {args.rows / cpu:,.0f} rows/s of CPU; load average {os.getloadavg()[0]:.1f}")
    print(f"students: {len(batch.students)}, enrolments: {len(batch.enrolments)}, "
          f"classes: {len(batch.class_groups)}, row errors: {len(batch.errors)}")
    if args.url:
        end_to_end(args.url, content, args.rows, representatives=args.representatives)


if __name__ == "__main__":
    main()
