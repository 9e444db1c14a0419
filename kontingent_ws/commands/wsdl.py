"""``kontingent wsdl --write DIR`` / ``--check DIR``: the golden copies of the served WSDL.

The WSDL of each contract is fetched from the application exactly as a client gets it, then
normalized (service address on a fixed placeholder host, pretty-printed) so the copy is stable.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

from kontingent_ws.app import WsgiApp, make_app, normalize_wsdl
from kontingent_ws.registry import CONTRACTS, Contract
from kontingent_ws.settings import Settings

WRITE_COMMAND = "kontingent wsdl --write wsdl/"
"""What to run after a deliberate contract change."""


@dataclass(frozen=True, kw_only=True)
class Drift:
    """A contract whose golden copy is missing or differs from the served WSDL."""

    contract: str
    """Contract name."""
    path: Path
    """Where its golden copy is (or should be)."""
    missing: bool
    """True when there is no golden copy at all."""


def served_wsdl(app: WsgiApp, contract: Contract) -> bytes:
    """The normalized WSDL ``app`` serves for ``contract`` at ``/ws/<Name>?wsdl``."""
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    environ.update(REQUEST_METHOD="GET", PATH_INFO=contract.path, QUERY_STRING="wsdl")
    environ["wsgi.input"] = io.BytesIO(b"")
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        statuses.append(status)

    body = b"".join(app(environ, start_response))
    if not statuses or not statuses[0].startswith("200"):
        raise RuntimeError(f"WSDL of {contract.name} not served: {statuses}")
    return normalize_wsdl(body)


def golden_path(directory: Path, contract: Contract) -> Path:
    return directory / f"{contract.name}.wsdl"


def find_drift(app: WsgiApp, directory: Path, contracts: Iterable[Contract] = CONTRACTS) -> list[Drift]:
    """Contracts whose golden copy in ``directory`` is missing or differs from what is served."""
    drifts = []
    for contract in contracts:
        path = golden_path(directory, contract)
        if not path.exists():
            drifts.append(Drift(contract=contract.name, path=path, missing=True))
        elif path.read_bytes() != served_wsdl(app, contract):
            drifts.append(Drift(contract=contract.name, path=path, missing=False))
    return drifts


def write_golden(app: WsgiApp, directory: Path, contracts: Iterable[Contract] = CONTRACTS) -> list[Path]:
    """Write the served WSDL of every contract into ``directory``; return the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for contract in contracts:
        path = golden_path(directory, contract)
        path.write_bytes(served_wsdl(app, contract))
        written.append(path)
    return written


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("wsdl", help="записать или проверить эталонные копии WSDL")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", type=Path, metavar="DIR", help="записать WSDL всех контрактов в DIR")
    mode.add_argument("--check", type=Path, metavar="DIR", help="сверить WSDL с копиями в DIR")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    app = make_app(Settings(database_url="sqlite://", auth_enabled=False))
    if args.write is not None:
        for path in write_golden(app, args.write):
            print(f"записан {path}")
        return 0
    drifts = find_drift(app, args.check)
    for drift in drifts:
        state = "отсутствует" if drift.missing else "отличается от публикуемого WSDL"
        print(f"{drift.contract}: {drift.path} {state}", file=sys.stderr)
    if drifts:
        print(f"после намеренного изменения контракта выполните: {WRITE_COMMAND}", file=sys.stderr)
        return 1
    return 0
