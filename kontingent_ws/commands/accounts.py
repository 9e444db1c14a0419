"""``kontingent demo-accounts`` and ``kontingent user add``: accounts for people and systems."""

from __future__ import annotations

import argparse
import getpass
import os
from pathlib import Path
from typing import Any

from db.engine import make_engine, make_session_factory, session_scope
from kontingent_ws.security.caller import ROLES
from kontingent_ws.security.demo_accounts import create_demo_accounts, how_to_call
from kontingent_ws.security.provisioning import new_user
from kontingent_ws.settings import Settings


def register(subparsers: Any) -> None:
    demo = subparsers.add_parser(
        "demo-accounts",
        help="create one demo user per role and a demo provider and consumer system (once)",
    )
    demo.add_argument("--pki-dir", type=Path, default=Path("var/demo-pki"), help="where keys and certificates go")
    demo.add_argument("--base-url", default="http://127.0.0.1:8080", help="printed in the instructions")
    demo.add_argument(
        "--credentials-file",
        type=Path,
        default=Path("var/demo-credentials.txt"),
        help="the instructions are also written here (mode 600)",
    )
    demo.set_defaults(handler=_demo_accounts)

    user = subparsers.add_parser("user", help="manage users from the server's shell")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    add = user_sub.add_parser("add", help="create a user (password from KONTINGENT_NEW_PASSWORD or a prompt)")
    add.add_argument("--login", required=True)
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--unit-id", type=int, help="authority or organization id (not for system_admin)")
    add.add_argument("--full-name", required=True)
    add.add_argument("--email")
    add.set_defaults(handler=_user_add)


def _demo_accounts(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            users, systems = create_demo_accounts(session, settings, args.pki_dir)
    finally:
        engine.dispose()
    if not users:
        if args.credentials_file.exists():
            print(args.credentials_file.read_text(encoding="utf-8"))
        else:
            print("Demo accounts already exist.")
        return 0
    text = how_to_call(args.base_url, users, systems)
    args.credentials_file.parent.mkdir(parents=True, exist_ok=True)
    args.credentials_file.write_text(text + "\n", encoding="utf-8")
    args.credentials_file.chmod(0o600)
    print(text)
    return 0


def _user_add(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    password = os.environ.get("KONTINGENT_NEW_PASSWORD") or getpass.getpass("Пароль: ")
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            user = new_user(
                session,
                settings,
                login=args.login,
                password=password,
                role=args.role,
                unit_id=args.unit_id,
                full_name=args.full_name,
                email=args.email,
            )
            print(f"user {user.login} created with id {user.id}")
    finally:
        engine.dispose()
    return 0
