"""The ``kontingent`` command: argparse subcommands, one module each in ``kontingent_ws.commands``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from kontingent_ws.logformat import configure_logging

COMMAND_MODULES: tuple[str, ...] = (
    "kontingent_ws.commands.initdb",
    "kontingent_ws.commands.demo",
    "kontingent_ws.commands.serve",
    "kontingent_ws.commands.worker",
    "kontingent_ws.commands.wsdl",
    "kontingent_ws.commands.accounts",
    "kontingent_ws.commands.smev",
    "kontingent_ws.commands.report",
    "kontingent_ws.commands.reports",
)
"""Modules with a ``register(subparsers)`` function, in the order ``--help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kontingent",
        description="АИС «Контингент-регион»: SOAP/СМЭВ веб-сервисы регионального сегмента",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; return its exit status."""
    configure_logging()
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
