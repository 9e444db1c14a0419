"""EpguPerformance over HTTP: requests/s and p50/p99 against gunicorn (2 workers).

A demo region is generated (once per database), a consumer system is registered with a fresh
RSA certificate, and signed ``GetPerformance`` envelopes (a pupil by СНИЛС, the applicant a
registered legal representative by СНИЛС, the demo school year) are built before timing. Then
they are posted over ``--concurrency`` keep-alive connections by ``wrk`` for ``--seconds`` (the
default when the Debian package is installed) or by Python threads for ``--requests`` calls.
Every answer must be HTTP 200 with a ``Performance`` (not a refusal). The server log is kept in a
temporary directory. ``--auth off`` posts unsigned envelopes to a server with authentication off
(the caller acts as the system administrator): nothing is written into the database but the audit
records, so it can run against a database that must stay read-only; the signature check it leaves
out costs about 1 ms of CPU per call (measured with ``--auth signed``).

    .venv/bin/python bench/bench_epgu.py --url postgresql+psycopg2://postgres@127.0.0.1:5432/kontingent_bench \
        [--students 20000] [--auth signed|off] [--seconds 20] [--concurrency 8] [--workers 2]

Targets at 1,000,000 students: p99 ≤ 50 ms, ≥ 300 requests/s.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests
import xmlsec
import zeep
from lxml import etree
from sqlalchemy import make_url, select
from sqlalchemy.orm import aliased
from zeep.wsse.signature import BinarySignature

from db.engine import make_engine, make_session_factory
from db.migrate import initdb
from db.models import DiaryMark, LegalRepresentative, Person
from kontingent_ws.demo import DemoConfig, generate_demo
from kontingent_ws.security.demo_accounts import self_signed_identity
from kontingent_ws.security.provisioning import new_system

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving import percentile, start_server
from wrkload import postgres_cpu_seconds, process_tree_cpu_seconds, run_wrk, wrk_available

WSDL = Path(__file__).resolve().parent.parent / "wsdl" / "EpguPerformance.wsdl"
ENVELOPES = 400








def run_load(base: str, path: str, bodies: list[bytes], total: int, concurrency: int) -> tuple[list[float], float]:
    """Post ``total`` bodies from ``concurrency`` threads; return latencies (ms) and wall seconds."""
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(total))

    def worker() -> None:
        http = requests.Session()
        mine = []
        for i in counter:
            body = bodies[i % len(bodies)]
            start = time.perf_counter()
            answer = http.post(base + path, data=body, headers={"Content-Type": "text/xml; charset=utf-8"})
            mine.append((time.perf_counter() - start) * 1000)
            if answer.status_code != 200 or b"Refusal>" in answer.content:
                raise SystemExit(f"unexpected answer {answer.status_code}: {answer.content[:400]!r}")
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - started


def prepare_bodies(engine: Any, *, school_year: int, signed: bool, workdir: Path) -> list[bytes]:
    """``GetPerformance`` envelopes for pupils with diary marks asked by a registered representative;
    signed by a freshly registered consumer system when ``signed``."""
    representative = aliased(Person)
    with make_session_factory(engine).begin() as session:
        pairs = session.execute(
            select(Person.snils, representative.snils)
            .join(LegalRepresentative, LegalRepresentative.student_id == Person.id)
            .join(representative, representative.id == LegalRepresentative.person_id)
            .where(
                Person.snils.is_not(None),
                representative.snils.is_not(None),
                LegalRepresentative.valid_to.is_(None),
                select(DiaryMark.id).where(DiaryMark.student_id == Person.id).exists(),  # pupils with a diary
            )
            .order_by(Person.id)
            .limit(ENVELOPES)
        ).all()
        if signed:
            key, cert = self_signed_identity("bench-epgu", workdir, "consumer")
            new_system(session, mnemonic=f"BENCH_EPGU_{time.time_ns()}", name="ЕПГУ (нагрузочный тест)",
                       is_provider=False, is_consumer=True, certificate_pem=cert.read_bytes(),
                       contracts=["EpguPerformance"])  # fmt: skip
    if not pairs:
        raise SystemExit("no pupil with a registered representative in the demo data")
    wsse = None
    if signed:
        wsse = BinarySignature(str(key), str(cert), signature_method=xmlsec.Transform.RSA_SHA256,
                               digest_method=xmlsec.Transform.SHA256)  # fmt: skip
    client = zeep.Client(str(WSDL), wsse=wsse)
    return [
        etree.tostring(
            client.create_message(
                client.service, "GetPerformance", Pupil={"Snils": pupil}, Applicant={"Representative": {"Snils": rep}},
                Period={"SchoolYear": school_year},
            )
        )
        for pupil, rep in pairs
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="database URL (PostgreSQL for meaningful numbers)")
    parser.add_argument("--students", type=int, default=20_000)
    parser.add_argument("--auth", choices=("signed", "off"), default="signed")
    parser.add_argument("--client", choices=("wrk", "python"), default="wrk" if wrk_available() else "python")
    parser.add_argument("--seconds", type=float, default=20, help="timed seconds (wrk)")
    parser.add_argument("--requests", type=int, default=5000, help="timed requests (python)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--as-is", action="store_true", help="use the database as it is: no migration, no demo "
                        "generation (a shared database that must stay read-only but for audit records)")  # fmt: skip
    args = parser.parse_args()
    if args.as_is and args.auth == "signed":
        raise SystemExit("--as-is needs --auth off: a signed run registers a consumer system")
    engine = make_engine(args.url)
    config = DemoConfig(students=args.students)
    if not args.as_is:
        initdb(args.url)
        started = time.perf_counter()
        result = generate_demo(engine, config, if_empty=True)
        print(f"demo region: {'present' if result.skipped else f'{result.total_rows} rows'} "
              f"({time.perf_counter() - started:.1f} s)")  # fmt: skip
    workdir = Path(tempfile.mkdtemp(prefix="bench-epgu-"))
    bodies = prepare_bodies(engine, school_year=config.school_year, signed=args.auth == "signed", workdir=workdir)
    engine.dispose()
    env = {"KONTINGENT_AUTH": "off"} if args.auth == "off" else None
    process, port = start_server(args.url, args.workers, workdir / "gunicorn.log", env)
    base = f"http://127.0.0.1:{port}"
    print(f"server log: {workdir / 'gunicorn.log'}; client: {args.client}, auth: {args.auth}, "
          f"load average before: {os.getloadavg()[0]:.2f}")  # fmt: skip
    try:
        if args.client == "wrk":
            run_wrk(base, "/ws/EpguPerformance", bodies, seconds=3, connections=args.concurrency, refusal="Refusal>")
            database = make_url(args.url).database
            server_before, postgres_before = process_tree_cpu_seconds(process.pid), postgres_cpu_seconds()
            backends_before = postgres_cpu_seconds(database)
            outcome = run_wrk(base, "/ws/EpguPerformance", bodies, seconds=args.seconds, connections=args.concurrency,
                              refusal="Refusal>")  # fmt: skip
            server_cpu = process_tree_cpu_seconds(process.pid) - server_before
            postgres_cpu = postgres_cpu_seconds() - postgres_before
            backends_cpu = postgres_cpu_seconds(database) - backends_before
            if outcome.bad or outcome.errors:
                raise SystemExit(f"{outcome.bad} answers not HTTP 200 or refused, {outcome.errors} socket errors")
            count, seconds = outcome.requests, outcome.seconds
            p50, p99, slowest = outcome.p50_ms, outcome.p99_ms, outcome.max_ms
            per_request = 1000 / max(1, count)
            cpu = (f"CPU ms/request: server {server_cpu * per_request:.2f}, "
                   f"PostgreSQL {postgres_cpu * per_request:.2f} (host; backends of {database}: "
                   f"{backends_cpu * per_request:.2f}), "
                   f"wrk {outcome.client_cpu_seconds * per_request:.2f}")  # fmt: skip
        else:
            run_load(base, "/ws/EpguPerformance", bodies, min(200, args.requests), args.concurrency)  # warm-up
            latencies, seconds = run_load(base, "/ws/EpguPerformance", bodies, args.requests, args.concurrency)
            count, p50, p99, slowest = (len(latencies), percentile(latencies, 0.5), percentile(latencies, 0.99),
                                        max(latencies))  # fmt: skip
            cpu = ""
    finally:
        process.terminate()
        process.wait(timeout=30)
    students = "as is" if args.as_is else args.students
    print(f"students: {students}, pupils asked about: {len(bodies)}, workers: {args.workers}, "
          f"connections: {args.concurrency}, load average after: {os.getloadavg()[0]:.2f}")  # fmt: skip
    print(f"{count} requests in {seconds:.2f} s: {count / seconds:.0f} requests/s")
    print(f"latency p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {slowest:.1f} ms")
    if cpu:
        print(cpu)


if __name__ == "__main__":
    main()
