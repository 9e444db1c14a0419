"""One registry call profiled in process: the WSGI application, no HTTP, authentication off.

Builds the same request bodies as ``bench_registries.py`` (from the golden WSDLs), runs each
scenario ``--calls`` times through ``make_app()`` and prints the mean wall and CPU time per call
(the CPU of this process: the application without PostgreSQL), the mean SQL statements per call,
and with ``--profile`` the top of a cProfile listing.

    .venv/bin/python bench/profile_call.py --url postgresql+psycopg2://postgres@127.0.0.1/<db> \\
        [--calls 300] [--scenario portfolio] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_epgu import prepare_bodies
from bench_registries import Scenario, scenarios

from db.engine import make_engine
from db.prepared import PreparedQuery, is_prepared_here
from kontingent_ws.app import make_app
from kontingent_ws.demo import DemoConfig
from kontingent_ws.settings import Settings


def environ_of(path: str, body: bytes) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "CONTENT_TYPE": "text/xml; charset=utf-8",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
        "QUERY_STRING": "",
    }


def call(app: Any, path: str, body: bytes) -> bytes:
    status: list[str] = []

    def start(code: str, headers: Any, exc_info: Any = None) -> None:
        status.append(code)

    answer = b"".join(app(environ_of(path, body), start))
    if not status[0].startswith("200"):
        raise SystemExit(f"{status[0]}: {answer[:500]!r}")
    return answer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--scenario", default="", help="substring of the scenario names to run")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--epgu", choices=("signed", "off"), help="profile GetPerformance instead (registers a "
                        "consumer system when signed)")  # fmt: skip
    args = parser.parse_args(argv)

    engine = make_engine(args.url, hide_parameters=True)
    statements = [0]
    event.listen(Engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1))
    prepared_rows = PreparedQuery.rows

    def counted_rows(self: PreparedQuery, connection: Any, parameters: Any) -> Any:
        if is_prepared_here(connection):  # elsewhere the Core path fires the event above
            statements[0] += 1
        return prepared_rows(self, connection, parameters)

    PreparedQuery.rows = counted_rows  # type: ignore[method-assign]  # prepared statements count too
    app = make_app(Settings(database_url=args.url, auth_enabled=args.epgu == "signed"))  # own engines, as gunicorn
    if args.epgu:
        bodies = prepare_bodies(engine, school_year=DemoConfig().school_year, signed=args.epgu == "signed",
                                workdir=Path(tempfile.mkdtemp(prefix="profile-epgu-")))  # fmt: skip
        prepared = [Scenario(name="epgu performance", contract="EpguPerformance", bodies=bodies)]
    else:
        prepared = scenarios(engine, random.Random(1))
    for scenario in prepared:
        if args.scenario not in scenario.name:
            continue
        path = f"/ws/{scenario.contract}"
        for body in scenario.bodies[:50]:
            call(app, path, body)
        profiler = cProfile.Profile() if args.profile else None
        statements[0] = 0
        started, cpu_started = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        for index in range(args.calls):
            call(app, path, scenario.bodies[index % len(scenario.bodies)])
        if profiler:
            profiler.disable()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        print(f"{scenario.name:36} {seconds / args.calls * 1000:7.2f} ms/call  {cpu / args.calls * 1000:7.2f} "
              f"ms CPU/call  {statements[0] / args.calls:5.1f} statements/call")  # fmt: skip
        if profiler:
            listing = io.StringIO()
            pstats.Stats(profiler, stream=listing).sort_stats("cumulative").print_stats(args.top)
            print(listing.getvalue())
            listing = io.StringIO()
            pstats.Stats(profiler, stream=listing).sort_stats("tottime").print_stats(args.top)
            print(listing.getvalue())


if __name__ == "__main__":
    main()
