"""What authentication and the scope check cost per call.

The same operation (GetOrganizationPortfolio, which checks the caller's scope) is called
through the real WSGI application twice per iteration, interleaved: once with a WS-Security
UsernameToken (PasswordDigest, fresh nonce) as a scoped employee, once with authentication off.
Envelopes are built before timing. Prints the medians and p99 of both, the added median (the
difference of the medians, and the median of the per-pair differences, which is steadier on a
busy machine), whether the target (at most 1 ms) is met, and the load average before and after.
Then authentication plus the scope check alone (no SOAP, no service), against a session that
only checks a connection out and commits.

    .venv/bin/python bench/bench_auth.py [--url URL] [--students 2000] [--requests 2000]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

import zeep
from cryptography.fernet import Fernet
from lxml import etree
from serving import percentile  # bench/ is on sys.path when a script of it runs
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased, sessionmaker
from zeep.wsse.username import UsernameToken

from db.engine import make_engine, make_session_factory
from db.migrate import initdb
from db.models import Authority, Organization
from kontingent_ws.app import make_app
from kontingent_ws.call import CallContext
from kontingent_ws.demo import DemoConfig, generate_demo
from kontingent_ws.security.authenticate import DefaultAuthenticator
from kontingent_ws.security.caller import EMPLOYEE
from kontingent_ws.security.provisioning import new_user
from kontingent_ws.security.scope import ensure_unit_visible
from kontingent_ws.settings import Settings

WSDL = Path(__file__).resolve().parent.parent / "wsdl" / "Organizations.wsdl"
PASSWORD = "Bench-password-2024"  # noqa: S105 - a benchmark account
TARGET_MS = 1.0
"""Issue 3: authentication plus the scope check add at most 1 ms median to a call."""


def call_wsgi(app: Any, path: str, body: bytes) -> tuple[int, bytes]:
    """One in-process POST through the WSGI application; returns (status, body)."""
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    environ.update(
        REQUEST_METHOD="POST",
        PATH_INFO=path,
        CONTENT_TYPE="text/xml; charset=utf-8",
        CONTENT_LENGTH=str(len(body)),
    )
    environ["wsgi.input"] = io.BytesIO(body)
    status: list[str] = []
    chunks = app(environ, lambda s, headers, exc_info=None: status.append(s))
    data = b"".join(chunks)
    return int(status[0].split()[0]), data




def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-auth-"))
    url = args.url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    initdb(url)
    engine = make_engine(url)
    generate_demo(engine, DemoConfig(students=args.students), if_empty=True)
    settings = Settings(database_url=url, secret_key=Fernet.generate_key().decode())
    factory = make_session_factory(engine)
    with factory.begin() as session:
        # A school under a municipal authority: the employee of that authority sees it through the closure.
        parent = aliased(Authority, flat=True)
        organization_id, authority_id = session.execute(
            select(Organization.id, parent.id)
            .join(parent, parent.id == Organization.parent_id)
            .where(parent.parent_id.is_not(None))
            .order_by(Organization.id)
            .limit(1)
        ).one()
        login = f"bench_{time.time_ns()}"
        new_user(
            session, settings, login=login, password=PASSWORD, role=EMPLOYEE, unit_id=authority_id, full_name="Бенчмарк"
        )
    secured = make_app(settings, session_factory=factory)
    open_app = make_app(Settings(database_url=url, auth_enabled=False), session_factory=factory)
    signed_client = zeep.Client(str(WSDL), wsse=UsernameToken(login, PASSWORD, use_digest=True))
    plain_client = zeep.Client(str(WSDL))
    plain = etree.tostring(
        plain_client.create_message(plain_client.service, "GetOrganizationPortfolio", OrganizationId=organization_id)
    )
    signed = [
        etree.tostring(
            signed_client.create_message(
                signed_client.service, "GetOrganizationPortfolio", OrganizationId=organization_id
            )
        )
        for _ in range(args.requests + 50)
    ]
    load_before = os.getloadavg()
    with_auth: list[float] = []
    without_auth: list[float] = []
    cpu_added: list[float] = []
    for i, body in enumerate(signed):
        cpu_start = time.thread_time()
        start = time.perf_counter()
        status_on, answer = call_wsgi(secured, "/ws/Organizations", body)
        middle = time.perf_counter()
        cpu_middle = time.thread_time()
        status_off, other = call_wsgi(open_app, "/ws/Organizations", plain)
        end = time.perf_counter()
        cpu_end = time.thread_time()
        assert status_on == 200 and status_off == 200, (answer[:300], other[:300])
        if i >= 50:  # warm-up
            with_auth.append((middle - start) * 1000)
            without_auth.append((end - middle) * 1000)
            cpu_added.append(((cpu_middle - cpu_start) - (cpu_end - cpu_middle)) * 1000)
    alone_on, alone_off = _alone(factory, settings, login, organization_id, args.requests)
    load_after = os.getloadavg()
    med_on, med_off = statistics.median(with_auth), statistics.median(without_auth)
    added = med_on - med_off
    paired = statistics.median(on - off for on, off in zip(with_auth, without_auth, strict=True))
    print(f"database: {engine.dialect.name}, students: {args.students}, requests: {len(with_auth)} each")
    print(f"load average before: {_load(load_before)}, after: {_load(load_after)} ({os.cpu_count()} CPUs)")
    print(f"with authentication + scope:  p50 {med_on:.3f} ms  p99 {percentile(with_auth, 0.99):.3f} ms")
    print(f"authentication off:           p50 {med_off:.3f} ms  p99 {percentile(without_auth, 0.99):.3f} ms")
    print(f"ADDED by authentication + scope check (median): {added:.3f} ms")
    print(f"  median of the per-pair differences:            {paired:.3f} ms")
    print(
        f"  CPU time of this process added (median):       {statistics.median(cpu_added):.3f} ms"
        " (steady under load; wall time stretches with the load average)"
    )
    verdict = "MET" if added <= TARGET_MS else "NOT MET"
    print(f"target <= {TARGET_MS:.0f} ms added median: {verdict} ({added:.3f} ms)")
    if max(load_before[0], load_after[0]) > (os.cpu_count() or 1):
        print("note: load average above the CPU count; the wall-time figures overstate the cost (rerun when quiet)")
    print(
        f"alone (authenticate + scope check + commit, no SOAP): p50 {statistics.median(alone_on):.3f} ms, "
        f"session checkout + commit only: p50 {statistics.median(alone_off):.3f} ms, "
        f"added {statistics.median(alone_on) - statistics.median(alone_off):.3f} ms"
    )
    engine.dispose()


def _load(values: tuple[float, float, float]) -> str:
    return " ".join(f"{value:.2f}" for value in values)


def _alone(
    factory: sessionmaker[Session], settings: Settings, login: str, organization_id: int, requests: int
) -> tuple[list[float], list[float]]:
    """Authentication and the scope check by themselves, interleaved with a bare session checkout."""
    client = zeep.Client(str(WSDL), wsse=UsernameToken(login, PASSWORD, use_digest=True))
    envelopes = [
        client.create_message(client.service, "GetOrganizationPortfolio", OrganizationId=organization_id)
        for _ in range(requests + 50)
    ]
    authenticator = DefaultAuthenticator()
    on: list[float] = []
    off: list[float] = []
    for i, envelope in enumerate(envelopes):
        start = time.perf_counter()
        with factory() as session:
            session.connection()
            session.commit()
        middle = time.perf_counter()
        with factory() as session:
            call = CallContext(
                request_id="bench",
                session=session,
                client_address="127.0.0.1",
                contract="Organizations",
                operation="GetOrganizationPortfolio",
                envelope=envelope,
                settings=settings,
                contracts=(),
            )
            call.caller = authenticator.authenticate(call)
            ensure_unit_visible(call, organization_id)
            session.commit()
        end = time.perf_counter()
        if i >= 50:
            off.append((middle - start) * 1000)
            on.append((end - middle) * 1000)
    return on, off


if __name__ == "__main__":
    main()
