"""A real gunicorn, driven over HTTP by zeep, on every database backend."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import requests
from zeep.exceptions import Fault

from kontingent_ws.registry import CONTRACTS
from tests.live import zeep_client

pytestmark = pytest.mark.live


def test_get_service_info_through_gunicorn_and_zeep(
    live_server_factory: Callable[..., str], db_url: str
) -> None:
    base_url = live_server_factory({"KONTINGENT_AUTH": "off"})

    info = zeep_client(base_url, "ServiceInfo").service.GetServiceInfo()

    assert info.Version
    assert [(c.Name, c.WsdlPath) for c in info.Contracts.ServedContract] == [
        (c.name, f"/ws/{c.name}?wsdl") for c in CONTRACTS
    ]
    assert info.Database.State == "ok"
    assert info.Database.Backend == db_url.split(":")[0].split("+")[0]
    assert info.OrganizationCount == 0
    assert info.StudentCount == 0


def test_live_server_answers_health_wsdl_faults_and_404_with_request_ids(
    live_server_factory: Callable[..., str],
) -> None:
    base_url = live_server_factory({"KONTINGENT_AUTH": "off"})
    dtd = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'

    health = requests.get(f"{base_url}/health", timeout=10)
    wsdl = requests.get(f"{base_url}/ws/ServiceInfo?wsdl", timeout=10)
    missing = requests.get(f"{base_url}/ws/Nothing", timeout=10)
    refused = requests.post(
        f"{base_url}/ws/ServiceInfo", data=dtd, headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=10
    )

    assert health.status_code == 200
    assert json.loads(health.content)["status"] == "ok"
    assert f'location="{base_url}/ws/ServiceInfo"'.encode() in wsdl.content
    assert missing.status_code == 404
    assert refused.status_code == 500
    assert b"Client.XmlInput" in refused.content
    ids = {r.headers["X-Request-Id"] for r in (health, wsdl, missing, refused)}
    assert len(ids) == 4
    assert all(len(i) == 32 for i in ids)


def test_with_authentication_on_an_anonymous_call_is_refused(live_server: str) -> None:
    with pytest.raises(Fault) as refused:
        zeep_client(live_server, "ServiceInfo").service.GetServiceInfo()

    assert refused.value.code.endswith("Client.Authentication")
