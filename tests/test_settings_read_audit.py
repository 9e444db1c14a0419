"""``KONTINGENT_READ_AUDIT_COMMIT``: how the read contracts commit their audit records on PostgreSQL."""

from __future__ import annotations

import pytest

from kontingent_ws.settings import Settings


@pytest.mark.parametrize("value", [None, ""])
def test_read_audit_commit_is_async_by_default(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("KONTINGENT_READ_AUDIT_COMMIT", raising=False)
    else:
        monkeypatch.setenv("KONTINGENT_READ_AUDIT_COMMIT", value)
    assert Settings.from_env().read_audit_commit == "async"


def test_read_audit_commit_can_be_made_durable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KONTINGENT_READ_AUDIT_COMMIT", "sync")
    assert Settings.from_env().read_audit_commit == "sync"


@pytest.mark.parametrize("value", ["off", "SYNC", "on", "durable"])
def test_an_unknown_mode_stops_the_service_from_starting(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("KONTINGENT_READ_AUDIT_COMMIT", value)
    with pytest.raises(ValueError, match="KONTINGENT_READ_AUDIT_COMMIT must be one of async, sync"):
        Settings.from_env()
