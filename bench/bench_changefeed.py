"""Change feed throughput: appends by concurrent writers, then reads by pages (in process, as SMEV
packets, and over HTTP through gunicorn).

1. ``--writers`` threads each commit ``--transactions`` transactions of ``--batch`` changes through
   ``record_change`` (the advisory-lock append on PostgreSQL) → committed changes/s.
2. The whole feed is read from version 0 with ``get_changes`` pages of ``--page`` → changes/s.
3. The same with ``build_change_packet`` (XML of ``xsd/change-feed-1.0.0.xsd``) → changes/s.
4. The same through ``GetChanges`` on gunicorn (authentication off: the cost of the feed itself).

Upserts name demo students, so every page carries their snapshots (person + current enrolment).

    .venv/bin/python bench/bench_changefeed.py --url postgresql+psycopg2://postgres@127.0.0.1:5432/kontingent_bench \
        [--students 20000] [--writers 8] [--transactions 200] [--batch 25] [--page 1000]

Target: ≥ 10,000 changes/s.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import requests
from bench_epgu import start_server  # the sibling script: bench/ is on sys.path when run as a script
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from adapters.safexml import parse_bytes
from db.engine import make_engine, make_session_factory
from db.migrate import initdb
from db.models import ChangeLog, Student
from kontingent_ws.demo import DemoConfig, generate_demo
from kontingent_ws.usecases.changefeed import build_change_packet, get_changes, record_change

NS = "urn://kontingent-region.ru/ws/changefeed/1.0"
PACKET_NS = "urn://kontingent-region.ru/changes/1.0.0"


def write(factory: sessionmaker[Session], student_ids: list[int], writers: int, transactions: int, batch: int) -> float:
    def writer(offset: int) -> None:
        for t in range(transactions):
            with factory() as session:
                for k in range(batch):
                    sid = student_ids[(offset * 7919 + t * batch + k) % len(student_ids)]
                    record_change(session, "student", sid, "upsert")
                session.commit()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def read_pages(factory: sessionmaker[Session], page: int, *, packets: bool) -> tuple[int, float]:
    total, since = 0, 0
    started = time.perf_counter()
    with factory() as session:
        while True:
            if packets:
                packet = parse_bytes(build_change_packet(session, since, page))
                total += len(packet.findall(f"{{{PACKET_NS}}}Change"))
                since = int(packet.findtext(f"{{{PACKET_NS}}}NextVersion") or since)
                more = packet.findtext(f"{{{PACKET_NS}}}HasMore") == "true"
            else:
                result = get_changes(session, since, page)
                total += len(result.changes)
                since, more = result.next_version, result.has_more
            session.rollback()
            if not more:
                break
    return total, time.perf_counter() - started


def read_http(base: str, page: int) -> tuple[int, float]:
    http = requests.Session()
    total, since = 0, 0
    started = time.perf_counter()
    while True:
        body = (
            f'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            f'<GetChanges xmlns="{NS}"><SinceVersion>{since}</SinceVersion><PageSize>{page}</PageSize></GetChanges>'
            f"</soap:Body></soap:Envelope>"
        ).encode()
        answer = http.post(f"{base}/ws/ChangeFeed", data=body, headers={"Content-Type": "text/xml; charset=utf-8"})
        if answer.status_code != 200:
            raise SystemExit(f"GetChanges failed: {answer.content[:400]!r}")
        root = parse_bytes(answer.content)
        total += len(root.findall(f".//{{{NS}}}Change"))
        since = int(root.findtext(f".//{{{NS}}}NextVersion") or since)
        if root.findtext(f".//{{{NS}}}HasMore") != "true":
            break
    return total, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--students", type=int, default=20_000)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--transactions", type=int, default=200)
    parser.add_argument("--batch", type=int, default=25)
    parser.add_argument("--page", type=int, default=1000)
    args = parser.parse_args()
    initdb(args.url)
    engine = make_engine(args.url, pool_size=args.writers + 2)
    generate_demo(engine, DemoConfig(students=args.students), if_empty=True)
    factory = make_session_factory(engine)
    with factory() as session:
        student_ids = list(session.scalars(select(Student.id).order_by(Student.id)))
        before = session.scalar(select(func.count()).select_from(ChangeLog)) or 0
    seconds = write(factory, student_ids, args.writers, args.transactions, args.batch)
    written = args.writers * args.transactions * args.batch
    print(f"database: {engine.dialect.name}, students: {len(student_ids)}, feed before: {before} changes")
    print(f"append: {written} changes in {args.writers * args.transactions} transactions of {args.batch} "
          f"from {args.writers} threads: {seconds:.2f} s, {written / seconds:.0f} changes/s")  # fmt: skip
    for label, packets in (("get_changes", False), ("get_changes + ChangePacket XML", True)):
        total, seconds = read_pages(factory, args.page, packets=packets)
        print(f"read ({label}, pages of {args.page}): {total} changes in {seconds:.2f} s, "
              f"{total / seconds:.0f} changes/s")  # fmt: skip
    engine.dispose()
    process, base = start_server(
        args.url, 2, Path(tempfile.mkdtemp(prefix="bench-feed-")) / "gunicorn.log", {"KONTINGENT_AUTH": "off"}
    )
    try:
        total, seconds = read_http(base, args.page)
    finally:
        process.terminate()
        process.wait(timeout=30)
    print(f"read (GetChanges over HTTP, pages of {args.page}): {total} changes in {seconds:.2f} s, "
          f"{total / seconds:.0f} changes/s")  # fmt: skip


if __name__ == "__main__":
    main()
