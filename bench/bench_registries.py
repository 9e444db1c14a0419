"""The registry contracts over HTTP: requests/s and p50/p99 against gunicorn (2 workers).

Four scenarios: student search by a surname prefix (the first three letters of real surnames,
first page of 20 with the total), student portfolio, organization portfolio, authority portfolio
(every authority of the region, the ministry included). A demo region is generated once per
database (``--students``); request bodies are built from the golden WSDLs before timing, then
posted over ``--concurrency`` keep-alive connections: by ``wrk`` (``--client wrk``, the default when
the Debian package is installed: a C event loop that needs a few percent of a core) for
``--seconds`` per scenario, or by Python ``http.client`` threads (``--client python``) for
``--requests`` calls. Every answer must be HTTP 200. Besides requests/s and p50/p99 it prints the
CPU milliseconds per request of the gunicorn workers, of every PostgreSQL process on the host and
of the load generator, so that a run on a shared machine still says what one request costs.

The server runs with ``KONTINGENT_AUTH=off``: pre-built bodies cannot carry WS-Security
UsernameTokens (each nonce is accepted once); the cost of authentication is measured by
``bench/bench_auth.py``. Audit rows are still written (portfolio reads, list reads).

    .venv/bin/python bench/bench_registries.py \\
        --url postgresql+psycopg2://postgres@127.0.0.1:5432/kt_bench_registries \\
        [--students 200000] [--client wrk] [--seconds 20] [--concurrency 8] [--workers 2] [--scenario portfolio]

Targets at 1,000,000 students: portfolios ≥ 500 requests/s with p99 ≤ 50 ms; searches p99 ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import zeep
from lxml import etree
from sqlalchemy import Engine, func, select

from db.engine import make_engine
from db.migrate import initdb
from db.models import Authority, Organization, Person, Student
from kontingent_ws.demo import DemoConfig, generate_demo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving import percentile, start_server
from wrkload import postgres_cpu_seconds, process_tree_cpu_seconds, run_wrk, wrk_available

WSDL_DIR = Path(__file__).resolve().parent.parent / "wsdl"
SAMPLES = 500
WARMUP = 200


@dataclass(frozen=True, kw_only=True)
class Scenario:
    name: str
    contract: str
    bodies: list[bytes]


@dataclass(frozen=True, kw_only=True)
class Outcome:
    name: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    server_cpu_ms: float = 0.0
    """CPU of the gunicorn master and workers per request."""
    postgres_cpu_ms: float = 0.0
    """CPU of every PostgreSQL process on the host per request."""
    client_cpu_ms: float = 0.0
    """CPU of the load generator per request."""

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds






def envelopes(contract: str, operation: str, calls: list[dict[str, object]]) -> list[bytes]:
    client = zeep.Client(str(WSDL_DIR / f"{contract}.wsdl"))
    return [etree.tostring(client.create_message(client.service, operation, **kwargs)) for kwargs in calls]


def scenarios(engine: Engine, rng: random.Random) -> list[Scenario]:
    with engine.connect() as connection:
        student_ids = list(connection.scalars(select(Student.id).order_by(func.random()).limit(SAMPLES)))
        surnames = list(
            connection.scalars(
                select(Person.last_name).join(Student, Student.id == Person.id).order_by(func.random()).limit(SAMPLES)
            )
        )
        organization_ids = list(connection.scalars(select(Organization.id)))
        authority_ids = list(connection.scalars(select(Authority.id)))
    prefixes = [surname[:3] for surname in surnames]
    return [
        Scenario(name="student search by surname prefix", contract="Students", bodies=envelopes(
            "Students", "SearchStudents", [{"LastName": p, "Page": 1, "PageSize": 20} for p in prefixes])),
        Scenario(name="student portfolio", contract="Students", bodies=envelopes(
            "Students", "GetStudentPortfolio", [{"StudentId": i} for i in student_ids])),
        Scenario(name="organization portfolio", contract="Organizations", bodies=envelopes(
            "Organizations", "GetOrganizationPortfolio",
            [{"OrganizationId": rng.choice(organization_ids)} for _ in range(SAMPLES)])),
        Scenario(name="authority portfolio", contract="Authorities", bodies=envelopes(
            "Authorities", "GetAuthorityPortfolio", [{"AuthorityId": i} for i in authority_ids])),
    ]  # fmt: skip


def post_all(port: int, path: str, bodies: list[bytes], total: int, concurrency: int) -> tuple[list[float], float]:
    """Post ``total`` bodies (round robin) from ``concurrency`` threads; latencies (ms) and wall time."""
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(total))
    failures: list[str] = []

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        for index in counter:
            body = bodies[index % len(bodies)]
            started = time.perf_counter()
            connection.request("POST", path, body, {"Content-Type": "text/xml; charset=utf-8"})
            answer = connection.getresponse()
            content = answer.read()
            mine.append((time.perf_counter() - started) * 1000)
            if answer.status != 200:
                failures.append(f"{answer.status}: {content[:300]!r}")
                return
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"unexpected answer {failures[0]}")
    return latencies, time.perf_counter() - started




def measure(port: int, scenario: Scenario, total: int, concurrency: int) -> Outcome:
    path = f"/ws/{scenario.contract}"
    post_all(port, path, scenario.bodies, WARMUP, concurrency)
    latencies, seconds = post_all(port, path, scenario.bodies, total, concurrency)
    return Outcome(name=scenario.name, requests=total, seconds=seconds, p50_ms=percentile(latencies, 0.5),
                   p99_ms=percentile(latencies, 0.99))  # fmt: skip


def measure_wrk(server_pid: int, port: int, scenario: Scenario, seconds: float, concurrency: int) -> Outcome:
    """Warm up for 3 s, then ``seconds`` of load by wrk; CPU per request of server, PostgreSQL, wrk."""
    url, path = f"http://127.0.0.1:{port}", f"/ws/{scenario.contract}"
    run_wrk(url, path, scenario.bodies, seconds=3, connections=concurrency)
    server_before, postgres_before = process_tree_cpu_seconds(server_pid), postgres_cpu_seconds()
    outcome = run_wrk(url, path, scenario.bodies, seconds=seconds, connections=concurrency)
    server_cpu = process_tree_cpu_seconds(server_pid) - server_before
    postgres_cpu = postgres_cpu_seconds() - postgres_before
    if outcome.bad or outcome.errors:
        raise SystemExit(f"{scenario.name}: {outcome.bad} answers not HTTP 200, {outcome.errors} socket errors")
    per_request = 1000 / max(1, outcome.requests)
    return Outcome(name=scenario.name, requests=outcome.requests, seconds=outcome.seconds, p50_ms=outcome.p50_ms,
                   p99_ms=outcome.p99_ms, server_cpu_ms=server_cpu * per_request,
                   postgres_cpu_ms=postgres_cpu * per_request,
                   client_cpu_ms=outcome.client_cpu_seconds * per_request)  # fmt: skip


def main(argv: list[str] | None = None, report: Callable[[str], None] = print) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", required=True, help="PostgreSQL URL (the demo region is generated once)")
    parser.add_argument("--students", type=int, default=200_000)
    parser.add_argument("--client", choices=("wrk", "python"), default="wrk" if wrk_available() else "python")
    parser.add_argument("--seconds", type=float, default=20, help="timed seconds per scenario (wrk)")
    parser.add_argument("--requests", type=int, default=3000, help="timed requests per scenario (python)")
    parser.add_argument("--scenario", default="", help="run only the scenarios whose name contains this")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--as-is", action="store_true", help="use the database as it is: no migration, no demo "
                        "generation (a shared database that must stay read-only but for audit records)")  # fmt: skip
    args = parser.parse_args(argv)

    engine = make_engine(args.url)
    if not args.as_is:
        initdb(args.url)
        generated = generate_demo(engine, DemoConfig(students=args.students), if_empty=True)
        report(f"generated now: {not generated.skipped}, {generated.seconds:.0f} s")
    with engine.connect() as connection:
        students = connection.scalar(select(func.count()).select_from(Student))
    report(f"students: {students}")
    prepared = scenarios(engine, random.Random(1))
    engine.dispose()
    process, port = start_server(args.url, args.workers, env={"KONTINGENT_AUTH": "off"})
    report(f"client: {args.client}, connections: {args.concurrency}, workers: {args.workers}, "
           f"load average before: {os.getloadavg()[0]:.2f}")  # fmt: skip
    try:
        report(f"{'scenario':36} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/request: server':>24} "
               f"{'PostgreSQL':>10} {'client':>7}")  # fmt: skip
        for scenario in prepared:
            if args.scenario not in scenario.name:
                continue
            if args.client == "wrk":
                outcome = measure_wrk(process.pid, port, scenario, args.seconds, args.concurrency)
            else:
                outcome = measure(port, scenario, args.requests, args.concurrency)
            report(f"{outcome.name:36} {outcome.per_second:8.0f} {outcome.p50_ms:8.1f} {outcome.p99_ms:8.1f} "
                   f"{outcome.server_cpu_ms:24.2f} {outcome.postgres_cpu_ms:10.2f} {outcome.client_cpu_ms:7.2f}")
        report(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    main()
