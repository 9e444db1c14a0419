"""``kontingent serve``: run the service under gunicorn with ``kontingent_ws/gunicorn_conf.py``."""

from __future__ import annotations

import argparse
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.util import import_app

from kontingent_ws import gunicorn_conf


class KontingentServer(BaseApplication):
    """gunicorn with the project's configuration module plus command-line overrides."""

    def __init__(self, overrides: dict[str, Any]):
        self.overrides = overrides
        super().__init__(prog="kontingent serve")

    def load_config(self) -> None:
        values = {key: value for key, value in vars(gunicorn_conf).items() if key in self.cfg.settings}
        values.update(self.overrides)
        for key, value in values.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return import_app(self.cfg.wsgi_app)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("serve", help="запустить веб-сервис (gunicorn)")
    parser.add_argument("--bind", action="append", help="адрес:порт (можно несколько раз)")
    parser.add_argument("--workers", type=int, help="число рабочих процессов")
    parser.add_argument("--timeout", type=int, help="таймаут обработки запроса, секунд")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    overrides: dict[str, Any] = {}
    if args.bind:
        overrides["bind"] = args.bind
    if args.workers:
        overrides["workers"] = args.workers
    if args.timeout:
        overrides["timeout"] = args.timeout
    KontingentServer(overrides).run()
    return 0
