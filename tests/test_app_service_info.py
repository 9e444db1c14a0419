"""GetServiceInfo on every database backend: version, contracts, database state, registry size."""

from __future__ import annotations

from pathlib import Path

from lxml import etree
from sqlalchemy.orm import Session

from adapters.safexml import parse_bytes
from kontingent_ws import __version__
from kontingent_ws.app import make_app
from kontingent_ws.registry import CONTRACTS
from kontingent_ws.settings import Settings
from kontingent_ws.types.service_info import NAMESPACE
from tests.authkit import make_small_region
from tests.live import call_wsgi, soap_envelope

REQUEST = soap_envelope(f'<s:GetServiceInfo xmlns:s="{NAMESPACE}"/>')


def service_info(database_url: str) -> etree._Element:
    app = make_app(Settings(database_url=database_url, auth_enabled=False))
    response = call_wsgi(app, "/ws/ServiceInfo", REQUEST)
    assert response.status == 200, response.body
    result = parse_bytes(response.body).find(f".//{{{NAMESPACE}}}GetServiceInfoResult")
    assert result is not None
    return result


def text(result: etree._Element, path: str) -> str | None:
    return result.findtext("/".join(f"{{{NAMESPACE}}}{step}" for step in path.split("/")))


def test_service_info_counts_the_registry(db_url: str, session: Session) -> None:
    make_small_region(session)
    session.commit()

    result = service_info(db_url)

    assert text(result, "Version") == __version__
    assert text(result, "Database/State") == "ok"
    assert text(result, "Database/Backend") == session.get_bind().dialect.name
    assert text(result, "OrganizationCount") == "3"
    assert text(result, "StudentCount") == "0"
    contracts = result.findall(f"{{{NAMESPACE}}}Contracts/{{{NAMESPACE}}}ServedContract")
    assert [(text(c, "Name"), text(c, "WsdlPath"), text(c, "Namespace")) for c in contracts] == [
        (c.name, f"/ws/{c.name}?wsdl", c.namespace) for c in CONTRACTS
    ]


def test_service_info_reports_an_unreachable_database(tmp_path: Path) -> None:
    result = service_info(f"sqlite:///{tmp_path / 'no-such-dir' / 'db.sqlite3'}")

    assert text(result, "Database/State") == "unavailable"
    assert text(result, "Database/Backend") == "sqlite"
    assert text(result, "OrganizationCount") is None
