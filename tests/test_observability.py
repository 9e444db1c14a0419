"""Observability: ``/metrics`` (calls, faults, latency, queue gauges), one JSON log line per call,
``/health`` with the queues, and the multiprocess store used under gunicorn."""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

from db.models.exchange import Job, Packet, SmevMessage
from kontingent_ws.app import KontingentWsgi, make_app
from kontingent_ws.call import CallContext
from kontingent_ws.errors import AuthenticationError
from kontingent_ws.logformat import JsonFormatter, configure_logging, formatter_for
from kontingent_ws.security.caller import SYSTEM, Caller
from kontingent_ws.settings import Settings
from kontingent_ws.types.service_info import NAMESPACE
from tests.live import call_wsgi, read_fault, soap_envelope

MARKER = "секретная-строка-запроса"
SYSTEM_HEADER = '<t:System xmlns:t="urn:test">EPGU</t:System>'
REQUEST = soap_envelope(f'<s:GetServiceInfo xmlns:s="{NAMESPACE}"/><!-- {MARKER} -->')
ROOT = Path(__file__).resolve().parent.parent


class HeaderAuthenticator:
    """Lets in the system named in the SOAP header element ``System``; refuses everyone else."""

    def authenticate(self, call: CallContext) -> object:
        assert call.envelope is not None
        mnemonic = call.envelope.findtext(".//{urn:test}System")
        if not mnemonic:
            raise AuthenticationError()
        return Caller(kind="system", role=SYSTEM, name=mnemonic)


def service_app(db_url: str) -> KontingentWsgi:
    return make_app(Settings(database_url=db_url), authenticator=HeaderAuthenticator())


def samples(app: KontingentWsgi) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = call_wsgi(app, "/metrics", method="GET", content_type=None)
    assert response.status == 200
    assert (response.header("Content-Type") or "").startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.body.decode())
        for sample in family.samples
    }


def value(snapshot: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return snapshot.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_calls_faults_and_latency_of_the_operation(db_url: str) -> None:
    app = service_app(db_url)
    op = {"contract": "ServiceInfo", "operation": "GetServiceInfo"}
    before = samples(app)

    assert call_wsgi(app, "/ws/ServiceInfo", soap_envelope(f'<s:GetServiceInfo xmlns:s="{NAMESPACE}"/>',
                                                          SYSTEM_HEADER)).status == 200
    refused = call_wsgi(app, "/ws/ServiceInfo", REQUEST)
    after = samples(app)

    code = read_fault(refused.body).code
    assert code.startswith("Client.")
    assert value(after, "kontingent_calls_total", **op) - value(before, "kontingent_calls_total", **op) == 2
    assert value(after, "kontingent_faults_total", **op, code=code) - value(
        before, "kontingent_faults_total", **op, code=code) == 1
    count = "kontingent_call_duration_seconds_count"
    assert value(after, count, **op) - value(before, count, **op) == 2
    slowest = value(after, "kontingent_call_duration_seconds_bucket", **op, le="10.0")
    assert slowest - value(before, "kontingent_call_duration_seconds_bucket", **op, le="10.0") == 2
    assert value(after, "kontingent_call_duration_seconds_bucket", **op, le="0.005") <= slowest


def test_queue_gauges_match_the_rows_in_the_database(db_url: str, session: Session) -> None:
    now = dt.datetime.now(dt.UTC)
    for n, status in enumerate(["queued", "queued", "processing", "done"]):
        session.add(Packet(receipt_id=f"r{n}", external_id=f"e{n}", format="xml", sha256="0" * 64,
                           size_bytes=1, status=status))
    session.add_all([
        Job(kind="load", status="queued", created_at=now - dt.timedelta(seconds=120)),
        Job(kind="load", status="queued", created_at=now - dt.timedelta(seconds=5)),
        Job(kind="load", status="running"),
        Job(kind="load", status="done"),
    ])
    for n, status in enumerate(["received", "processing", "sent", "answered", "delivered"]):
        session.add(SmevMessage(direction="in", kind="request", message_id=f"m{n}", status=status, payload=b""))
    session.commit()

    snapshot = samples(service_app(db_url))

    depth = "kontingent_queue_depth"
    assert value(snapshot, depth, queue="packet", status="queued") == 2
    assert value(snapshot, depth, queue="packet", status="processing") == 1
    assert value(snapshot, depth, queue="job", status="queued") == 2
    assert value(snapshot, depth, queue="job", status="running") == 1
    smev = {status: value(snapshot, depth, queue="smev_message", status=status)
            for status in ("received", "acknowledged", "processing", "sent")}
    assert smev == {"received": 1, "acknowledged": 0, "processing": 1, "sent": 1}
    assert 119 <= value(snapshot, "kontingent_job_oldest_queued_age_seconds") < 3600

    health = call_wsgi(service_app(db_url), "/health", method="GET", content_type=None)
    assert health.status == 200
    queues = json.loads(health.body)["queues"]
    assert queues["packet"] == {"queued": 2, "processing": 1}
    assert queues["job"] == {"queued": 2, "running": 1}
    assert queues["smev_message"] == smev
    assert 119 <= queues["oldest_queued_job_seconds"] < 3600


def test_one_json_log_line_per_call_with_the_request_id_and_no_payload(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = service_app(db_url)
    caplog.set_level(logging.DEBUG)
    ok = call_wsgi(app, "/ws/ServiceInfo", soap_envelope(
        f'<s:GetServiceInfo xmlns:s="{NAMESPACE}"/><!-- {MARKER} -->', SYSTEM_HEADER))
    refused = call_wsgi(app, "/ws/ServiceInfo", REQUEST)

    formatter = JsonFormatter()
    lines = [json.loads(formatter.format(r)) for r in caplog.records if r.name == "kontingent_ws.calls"]
    assert [line["request_id"] for line in lines] == [ok.header("X-Request-Id"), refused.header("X-Request-Id")]
    first, second = lines
    assert (first["contract"], first["operation"], first["caller_kind"], first["caller_name"], first["outcome"]) == (
        "ServiceInfo", "GetServiceInfo", "system", "EPGU", "ok")
    assert second["outcome"] == read_fault(refused.body).code
    assert (second["caller_kind"], second["caller_name"]) == ("-", "-")
    assert all(line["level"] == "INFO" and line["duration_ms"] >= 0 and line["timestamp"] for line in lines)
    everything = "\n".join(formatter.format(r) for r in caplog.records)
    assert MARKER not in everything
    assert MARKER not in caplog.text


def test_log_format_is_chosen_by_environment() -> None:
    assert isinstance(formatter_for("json"), JsonFormatter)
    assert not isinstance(formatter_for("text"), JsonFormatter)
    with pytest.raises(ValueError, match="KONTINGENT_LOG_FORMAT"):
        configure_logging({"KONTINGENT_LOG_FORMAT": "xml"})


def test_health_is_503_with_no_queues_when_the_database_is_unreachable(tmp_path: Path) -> None:
    app = make_app(Settings(database_url=f"sqlite:///{tmp_path / 'missing' / 'db.sqlite3'}"),
                   authenticator=HeaderAuthenticator())

    response = call_wsgi(app, "/health", method="GET", content_type=None)

    assert response.status == 503
    body = json.loads(response.body)
    assert (body["status"], body["database"]["reachable"], "queues" in body) == ("unavailable", False, False)
    assert call_wsgi(app, "/metrics", method="GET", content_type=None).status == 200


MULTIPROCESS_SCRIPT = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from kontingent_ws.metrics import enable_multiprocess, observe_call, render
    from db.engine import make_engine, make_session_factory

    directory = enable_multiprocess(Path(sys.argv[1]))
    print(directory)
    child = os.fork()
    observe_call(contract="C", operation="Op", request_id="r", caller=None, seconds=0.02, fault_code=None)
    if child == 0:
        os._exit(0)
    os.waitpid(child, 0)
    body, _ = render(make_session_factory(make_engine("sqlite://")))
    sys.stdout.write(body.decode())
""")


def test_gunicorn_workers_share_one_fresh_per_run_metrics_directory(tmp_path: Path) -> None:
    stale = tmp_path / "metrics" / "999999999"
    stale.mkdir(parents=True)
    (stale / "counter_1.db").write_bytes(b"old")

    run = subprocess.run([sys.executable, "-c", MULTIPROCESS_SCRIPT, str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True, check=True, timeout=60)

    directory, body = run.stdout.split("\n", 1)
    assert not stale.exists()
    assert Path(directory).parent == tmp_path / "metrics"
    assert any(Path(directory).glob("counter_*.db"))
    assert 'kontingent_calls_total{contract="C",operation="Op"} 2.0' in body


def test_live_gunicorn_metrics_sum_every_worker(
    live_server_factory: Callable[..., str], tmp_path: Path
) -> None:
    base = live_server_factory({"KONTINGENT_AUTH": "off", "KONTINGENT_DATA_DIR": str(tmp_path / "data")})
    body = soap_envelope(f'<s:GetServiceInfo xmlns:s="{NAMESPACE}"/>')
    for _ in range(6):
        answer = requests.post(f"{base}/ws/ServiceInfo", data=body, timeout=30,
                               headers={"Content-Type": "text/xml; charset=utf-8"})
        assert answer.status_code == 200

    metrics = requests.get(f"{base}/metrics", timeout=30).text

    assert 'kontingent_calls_total{contract="ServiceInfo",operation="GetServiceInfo"} 6.0' in metrics
    assert 'kontingent_queue_depth{queue="job",status="queued"} 0.0' in metrics
    assert list((tmp_path / "data" / "metrics").iterdir())
