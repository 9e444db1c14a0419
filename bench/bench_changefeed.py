"""Change feed throughput: appends by concurrent writers, then reads by pages (in process, as SMEV
packets, and over HTTP through gunicorn).

1. ``--writers`` threads each commit ``--transactions`` transactions of ``--batch`` changes through
   ``record_change`` (the advisory-lock append on PostgreSQL) → committed changes/s, once per
   batch size given (``--batch 25 1000``: small interactive writes, bulk intake).
2. The feed is read from version 0 (at most ``--read`` changes) with ``get_changes`` pages of
   ``--page`` → changes/s, wall and CPU of this process.
3. The same with ``build_change_packet`` (XML of ``xsd/change-feed-1.0.0.xsd``, what the SMEV push sends).
4. The same through ``GetChanges`` on gunicorn (2 workers, authentication off: the cost of the feed
   itself), by one reader and by ``--readers`` concurrent readers (each its own cursor from 0) →
   changes/s, plus the CPU the gunicorn workers spent; then ``GetChangePacket`` (the page as the
   SMEV ``ChangePacket``) by one reader. The client only finds the cursor and counts the changes.

Upserts name demo students, so every page carries their snapshots (person + current enrolment).
``--no-append`` reads what is there (a read-only run against a shared database).

    .venv/bin/python bench/bench_changefeed.py --url postgresql+psycopg2://postgres@127.0.0.1:5432/kontingent_bench \
        [--students 20000] [--writers 4] [--transactions 100] [--batch 25 1000] [--page 1000] [--read 100000]

Target: ≥ 10,000 changes/s.
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import threading
import time
from pathlib import Path

import requests
from serving import start_server  # bench/ is on sys.path when a script of it runs
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from db.engine import make_engine, make_session_factory
from db.migrate import initdb
from db.models import ChangeLog, Student
from kontingent_ws.demo import DemoConfig, generate_demo
from kontingent_ws.usecases.changefeed import build_change_packet, get_changes, record_change

NS = "urn://kontingent-region.ru/ws/changefeed/1.0"
TICKS = os.sysconf("SC_CLK_TCK")
HEAD = re.compile(rb"<(?:\w+:)?NextVersion>(?P<next>\d+)</(?:\w+:)?NextVersion><(?:\w+:)?HasMore>(?P<more>\w+)<")
CHANGE = re.compile(rb"<(?:\w+:)?Change>")


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


def read_pages(factory: sessionmaker[Session], page: int, most: int, *, packets: bool) -> tuple[int, float, float]:
    """Read up to ``most`` changes from version 0; changes, wall seconds, CPU seconds of this process."""
    total, since = 0, 0
    started, cpu = time.perf_counter(), time.process_time()
    with factory() as session:
        while total < most:
            if packets:  # the packet's production; it is only scanned for its cursor here
                packet = build_change_packet(session, since, page)
                head = HEAD.search(packet)
                if head is None:
                    raise SystemExit(f"no NextVersion in the packet: {packet[:400]!r}")
                total += len(CHANGE.findall(packet))
                since, more = int(head["next"]), head["more"] == b"true"
            else:
                result = get_changes(session, since, page)
                total += len(result.changes)
                since, more = result.next_version, result.has_more
            session.rollback()
            if not more:
                break
    return total, time.perf_counter() - started, time.process_time() - cpu


def read_http(base: str, page: int, most: int, operation: str = "GetChanges") -> int:
    http = requests.Session()
    total, since = 0, 0
    while total < most:
        body = (
            f'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            f'<{operation} xmlns="{NS}"><SinceVersion>{since}</SinceVersion><PageSize>{page}</PageSize></{operation}>'
            f"</soap:Body></soap:Envelope>"
        ).encode()
        answer = http.post(f"{base}/ws/ChangeFeed", data=body, headers={"Content-Type": "text/xml; charset=utf-8"})
        if answer.status_code != 200:
            raise SystemExit(f"{operation} failed: {answer.content[:400]!r}")
        # the client only finds the cursor and counts, so that the two cores go to the server
        head = HEAD.search(answer.content)
        if head is None:
            raise SystemExit(f"no ChangePage in the answer: {answer.content[:400]!r}")
        total += len(CHANGE.findall(answer.content))
        since = int(head["next"])
        if head["more"] != b"true":
            break
    return total


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and all its descendants (Linux ``/proc``)."""
    seconds = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        seconds = (int(fields[11]) + int(fields[12])) / TICKS
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except (FileNotFoundError, ProcessLookupError):
        return seconds
    return seconds + sum(tree_cpu_seconds(int(child)) for child in children)


def read_http_concurrently(
    base: str, pid: int, page: int, most: int, readers: int, operation: str
) -> tuple[int, float, float]:
    """``readers`` threads each read up to ``most`` changes; changes, wall seconds, CPU of gunicorn."""
    counts: list[int] = []
    threads = [
        threading.Thread(target=lambda: counts.append(read_http(base, page, most, operation))) for _ in range(readers)
    ]
    started, cpu = time.perf_counter(), tree_cpu_seconds(pid)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts), time.perf_counter() - started, tree_cpu_seconds(pid) - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--students", type=int, default=20_000)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--transactions", type=int, default=100)
    parser.add_argument("--batch", type=int, nargs="+", default=[25, 1000])
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--read", type=int, default=100_000, help="changes read per pass (at most)")
    parser.add_argument("--readers", type=int, default=2, help="concurrent HTTP readers in the last pass")
    parser.add_argument("--no-append", action="store_true", help="only read (a shared database)")
    args = parser.parse_args()
    engine = make_engine(args.url, pool_size=args.writers + 2)
    if not args.no_append:
        initdb(args.url)
        generate_demo(engine, DemoConfig(students=args.students), if_empty=True)
    factory = make_session_factory(engine)
    with factory() as session:
        student_ids = list(session.scalars(select(Student.id).order_by(Student.id)))
        before = session.scalar(select(func.count()).select_from(ChangeLog)) or 0
    print(f"database: {engine.dialect.name}, students: {len(student_ids)}, feed before: {before} changes")
    for batch in [] if args.no_append else args.batch:
        seconds = write(factory, student_ids, args.writers, args.transactions, batch)
        written = args.writers * args.transactions * batch
        print(f"append: {written} changes in {args.writers * args.transactions} transactions of {batch} "
              f"from {args.writers} threads: {seconds:.2f} s, {written / seconds:.0f} changes/s")  # fmt: skip
    for label, packets in (("get_changes", False), ("get_changes + ChangePacket XML", True)):
        total, seconds, cpu = read_pages(factory, args.page, args.read, packets=packets)
        print(f"read ({label}, pages of {args.page}): {total} changes in {seconds:.2f} s, "
              f"{total / seconds:.0f} changes/s; CPU {cpu:.2f} s = {total / cpu:.0f} changes/CPU s")  # fmt: skip
    engine.dispose()
    process, port = start_server(
        args.url, 2, Path(tempfile.mkdtemp(prefix="bench-feed-")) / "gunicorn.log", {"KONTINGENT_AUTH": "off"}
    )
    base = f"http://127.0.0.1:{port}"
    try:
        read_http(base, args.page, 2 * args.page)  # warm both workers' caches a little
        for operation, readers in [("GetChanges", n) for n in sorted({1, args.readers})] + [("GetChangePacket", 1)]:
            total, seconds, cpu = read_http_concurrently(base, process.pid, args.page, args.read, readers, operation)
            print(f"read ({operation} over HTTP, 2 workers, {readers} reader(s), pages of {args.page}): "
                  f"{total} changes in {seconds:.2f} s, {total / seconds:.0f} changes/s; gunicorn CPU {cpu:.2f} s = "
                  f"{total / cpu:.0f} changes/CPU s")  # fmt: skip
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    main()
