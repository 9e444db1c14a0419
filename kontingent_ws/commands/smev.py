"""``kontingent smev``: run the SMEV 3 participant (provider loop, consumer side, or both)."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from typing import Any

from db.engine import make_engine, make_session_factory
from kontingent_ws.errors import KontingentError
from kontingent_ws.settings import Settings
from kontingent_ws.smev.client import SmevClient
from kontingent_ws.smev.config import SmevConfig
from kontingent_ws.smev.consumer import Consumer
from kontingent_ws.smev.handlers import default_registry
from kontingent_ws.smev.keys import load_signer, load_trust
from kontingent_ws.smev.participant import Participant
from kontingent_ws.smev.provider import Provider
from kontingent_ws.xmlsig.smev_signature import profile_by_name

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("smev", help="участник СМЭВ 3: поставщик (GetRequest) и потребитель (SendRequest)")
    parser.add_argument("--once", action="store_true", help="обработать очередь до пустой и завершиться")
    parser.add_argument("--role", choices=("provider", "consumer", "both"), default="both", help="роль участника")
    parser.set_defaults(handler=run)


def _participant(config: SmevConfig, settings: Settings, stop: threading.Event) -> Participant:
    profile = profile_by_name(config.profile)
    engine = make_engine(settings.database_url)
    return Participant(
        client=SmevClient(endpoint=config.endpoint, read_timeout=config.timeout_seconds),
        sessions=make_session_factory(engine),
        signer=load_signer(profile=profile, key_file=config.key_file, certificate_file=config.certificate_file),
        trust=load_trust(config.trusted_certificates),
        poll_seconds=config.poll_seconds,
        sleep=stop.wait,
        checkpoint=config.checkpoint(),
    )


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    stop = threading.Event()
    try:
        participant = _participant(SmevConfig.from_env(settings), settings, stop)
    except (KontingentError, OSError) as error:
        log.error("SMEV: %s", getattr(error, "message", error))
        return 2
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    roles = {
        "provider": lambda: Provider(participant, default_registry()).run(once=args.once, stop=stop),
        "consumer": lambda: Consumer(participant).run(once=args.once, stop=stop),
    }
    chosen = list(roles) if args.role == "both" else [args.role]
    if args.once or len(chosen) == 1:
        return max(roles[name]() for name in chosen)
    results: dict[str, int] = {}
    threads = [
        threading.Thread(target=lambda name=name: results.__setitem__(name, roles[name]()), name=f"smev-{name}")
        for name in chosen
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return max(results.values(), default=0)
