"""A participant killed between its durable steps answers every request exactly once after a restart.

The provider runs as ``kontingent smev --once --role provider`` in a subprocess, killed with SIGKILL
at the checkpoint named by ``KONTINGENT_SMEV_CRASH_AT``; the second run carries on from the database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from lxml import etree
from sqlalchemy import select

from db.engine import make_engine, make_session_factory
from db.models.exchange import SmevMessage
from kontingent_ws.cli import main
from kontingent_ws.smev.envelopes import types
from kontingent_ws.smev.keys import SmevSigner
from tests.smevdouble import SCHEMAS_DIR, Member, SmevDouble, rsa_signer

pytestmark = pytest.mark.skipif(not SCHEMAS_DIR.is_dir(), reason="official SMEV 3 1.1 schemas are not present")

QUERY = etree.QName("urn://kontingent-region/test/smev-restart/1.0", "AnyQuery")
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def signers() -> dict[str, SmevSigner]:
    return {name: rsa_signer(name) for name in ("SMEV", "KONTINGENT", "EPGU")}


@pytest.fixture
def double(signers: dict[str, SmevSigner]) -> Iterator[SmevDouble]:
    members = [
        Member(mnemonic=name, name=f"ИС {name}", certificate_der=signers[name].certificate_der)
        for name in ("KONTINGENT", "EPGU")
    ]
    with SmevDouble(signer=signers["SMEV"], members=members) as running:
        running.route(QUERY, "KONTINGENT")
        yield running


@pytest.fixture
def environment(tmp_path: Path, db_url: str, double: SmevDouble, signers: dict[str, SmevSigner]) -> dict[str, str]:
    ours = signers["KONTINGENT"]
    key = tmp_path / "key.pem"
    key.write_bytes(
        ours.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    certificate = tmp_path / "cert.der"
    certificate.write_bytes(ours.certificate_der)
    trusted = []
    for name in ("SMEV", "EPGU"):
        path = tmp_path / f"{name}.der"
        path.write_bytes(signers[name].certificate_der)
        trusted.append(str(path))
    return {
        **os.environ,
        "KONTINGENT_DATABASE_URL": db_url,
        "KONTINGENT_SMEV_ENDPOINT": double.url,
        "KONTINGENT_SMEV_SIGNATURE_PROFILE": "rsa-sha256",
        "KONTINGENT_SMEV_KEY_FILE": str(key),
        "KONTINGENT_SMEV_CERTIFICATE_FILE": str(certificate),
        "KONTINGENT_SMEV_TRUSTED_CERTIFICATES": os.pathsep.join(trusted),
    }


def _run(environment: dict[str, str], crash_at: str = "") -> int:
    env = {**environment, "KONTINGENT_SMEV_CRASH_AT": crash_at}
    command = [sys.executable, "-m", "kontingent_ws.cli", "smev", "--once", "--role", "provider"]
    return subprocess.run(command, env=env, cwd=REPO, capture_output=True, timeout=120, check=False).returncode


@pytest.mark.slow
@pytest.mark.parametrize("crash_at", ["after-store", "after-ack", "after-answer"])
def test_killed_provider_answers_exactly_once_after_restart(double, environment, db_url, signers, crash_at) -> None:
    message_id = double.enqueue_request(sender=signers["EPGU"], content=etree.Element(QUERY.text))

    assert _run(environment, crash_at) == -signal.SIGKILL
    answered_before_restart = len(double.calls("SendResponseRequest"))
    assert _run(environment) == 0

    assert answered_before_restart == 0
    (answer,) = double.responses_to(message_id)
    assert answer.findtext(f".//{types('RejectionReasonCode')}") == "UNKNOWN_REQUEST_DESCRIPTION"
    assert len(double.calls("SendResponseRequest")) == 1
    assert double.waiting("KONTINGENT") == 0
    assert double.problems == []
    engine = make_engine(db_url)
    try:
        with make_session_factory(engine)() as session:
            (stored,) = session.scalars(select(SmevMessage)).all()
            assert (stored.message_id, stored.status) == (message_id, "answered")
    finally:
        engine.dispose()


def test_missing_configuration_is_reported(environment, monkeypatch) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("KONTINGENT_SMEV_KEY_FILE")
    assert main(["smev", "--once"]) == 2
