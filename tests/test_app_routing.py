"""What is served where: contracts at /ws/<Name>, WSDL at ?wsdl, /health, everything else 404."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kontingent_ws.app import WSDL_PLACEHOLDER_BASE, KontingentWsgi, base_url, make_app
from kontingent_ws.registry import CONTRACTS
from kontingent_ws.settings import Settings
from tests.live import call_wsgi


@pytest.fixture(scope="module")
def app() -> KontingentWsgi:
    return make_app(Settings(database_url="sqlite://", auth_enabled=False))


@pytest.mark.parametrize("path", ["/", "/ws", "/ws/", "/ws/serviceinfo", "/ws/ServiceInfo/", "/health/x", "/wsdl"])
def test_unknown_paths_are_404(app: KontingentWsgi, path: str) -> None:
    response = call_wsgi(app, path, method="GET")

    assert response.status == 404


def test_every_registered_contract_is_mounted(app: KontingentWsgi) -> None:
    assert sorted(app.endpoints) == sorted(f"/ws/{c.name}" for c in CONTRACTS)


def test_health_reports_a_reachable_database_as_json(app: KontingentWsgi) -> None:
    response = call_wsgi(app, "/health", method="GET")

    assert response.status == 200
    assert response.header("Content-Type") == "application/json"
    assert json.loads(response.body) == {"status": "ok", "database": {"reachable": True, "backend": "sqlite"}}


def test_health_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    unreachable = f"sqlite:///{tmp_path / 'no-such-dir' / 'db.sqlite3'}"
    app = make_app(Settings(database_url=unreachable, auth_enabled=False))

    response = call_wsgi(app, "/health", method="GET")

    assert response.status == 503
    assert json.loads(response.body)["status"] == "unavailable"
    assert json.loads(response.body)["database"]["reachable"] is False


def test_health_refuses_post(app: KontingentWsgi) -> None:
    assert call_wsgi(app, "/health", b"{}").status == 405


def test_wsdl_carries_the_address_the_client_used(app: KontingentWsgi) -> None:
    response = call_wsgi(
        app, "/ws/ServiceInfo", method="GET", query="wsdl",
        extra={"HTTP_HOST": "kontingent.example.ru:8443", "wsgi.url_scheme": "https", "SCRIPT_NAME": "/region"},
    )

    assert response.status == 200
    assert response.header("Content-Type") == "text/xml; charset=utf-8"
    assert b'location="https://kontingent.example.ru:8443/region/ws/ServiceInfo"' in response.body
    assert WSDL_PLACEHOLDER_BASE.encode() not in response.body


@pytest.mark.parametrize("host", ['evil.ru"><x', "a b", "host/path", "h\u00e9st"])
def test_a_hostile_host_header_never_reaches_the_wsdl(host: str) -> None:
    environ = {"HTTP_HOST": host, "SERVER_NAME": "10.0.0.5", "SERVER_PORT": "8080", "wsgi.url_scheme": "http"}

    assert base_url(environ) == "http://10.0.0.5:8080"


def test_every_response_has_its_own_request_id(app: KontingentWsgi) -> None:
    responses = [
        call_wsgi(app, "/health", method="GET"),
        call_wsgi(app, "/nowhere", method="GET"),
        call_wsgi(app, "/ws/ServiceInfo", method="GET", query="wsdl"),
        call_wsgi(app, "/ws/ServiceInfo", b"broken"),
        call_wsgi(app, "/ws/ServiceInfo", method="PUT"),
    ]

    ids = [r.header("X-Request-Id") for r in responses]
    assert all(i is not None and len(i) == 32 and int(i, 16) >= 0 for i in ids)
    assert len(set(ids)) == len(ids)
