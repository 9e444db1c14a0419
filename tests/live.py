"""Drivers of the WSGI application for tests: in-process calls and a real gunicorn with zeep.

Loaded as a pytest plugin by ``tests/conftest.py``. Fixtures:

* ``live_server_factory(env=None)`` – starts ``kontingent serve`` (real gunicorn, 2 workers) on a
  free 127.0.0.1 port against the test's ``db_url``, waits for ``/health``, returns the base URL;
  every server started is stopped at teardown. ``env`` adds environment variables
  (e.g. ``{"KONTINGENT_AUTH": "off"}``).
* ``live_server`` – the same with the production environment (authentication on).

Helpers: :func:`call_wsgi` (one in-process request), :func:`soap_envelope`, :func:`read_fault`,
:func:`zeep_client`.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
import requests
import zeep
from lxml import etree
from zeep.transports import Transport

from adapters.safexml import parse_bytes
from kontingent_ws.types.common import FAULT_NAMESPACE

SOAP_CONTENT_TYPE = "text/xml; charset=utf-8"
SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
STARTUP_SECONDS = 60.0


@dataclass(frozen=True, kw_only=True)
class WsgiResponse:
    """What the application answered to one in-process request."""

    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


def call_wsgi(
    app: Callable[..., Any],
    path: str,
    body: bytes = b"",
    *,
    method: str = "POST",
    content_type: str | None = SOAP_CONTENT_TYPE,
    query: str = "",
    content_length: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> WsgiResponse:
    """Run one request through ``app`` as a WSGI server would; ``content_length`` overrides the
    header (``""`` leaves it out, as with chunked bodies)."""
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    environ.update(REQUEST_METHOD=method, PATH_INFO=path, QUERY_STRING=query)
    environ["wsgi.input"] = io.BytesIO(body)
    length = str(len(body)) if content_length is None else content_length
    if length:
        environ["CONTENT_LENGTH"] = length
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    environ.update(extra or {})
    started: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        started.append((status, headers))

    chunks = app(environ, start_response)
    data = b"".join(chunks)
    close = getattr(chunks, "close", None)
    if close is not None:
        close()
    status, headers = started[0]
    return WsgiResponse(status=int(status.split()[0]), headers=dict(headers), body=data)


def soap_envelope(body_xml: str, header_xml: str = "") -> bytes:
    """A SOAP 1.1 envelope around ``body_xml`` (UTF-8 bytes)."""
    header = f"<soap:Header>{header_xml}</soap:Header>" if header_xml else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP11_NS}">{header}<soap:Body>{body_xml}</soap:Body></soap:Envelope>'
    ).encode()


@dataclass(frozen=True, kw_only=True)
class SoapFault:
    """A SOAP 1.1 fault as the client sees it."""

    code: str
    """faultcode without its prefix, e.g. ``Client.XmlInput``."""
    message: str
    detail: dict[str, str]
    """Entries of the service's fault detail by local name (``RequestId``, ``Field``, ``Info``)."""


def read_fault(body: bytes) -> SoapFault:
    """Parse the fault out of a SOAP response; fails the test when there is none."""
    root = parse_bytes(body)
    fault = root.find(f"{{{SOAP11_NS}}}Body/{{{SOAP11_NS}}}Fault")
    if fault is None:
        pytest.fail(f"not a SOAP fault: {body[:500]!r}")
    detail = {
        etree.QName(entry).localname: entry.text or ""
        for entry in fault.iterfind(f"detail/{{{FAULT_NAMESPACE}}}ServiceFault/*")
    }
    return SoapFault(
        code=(fault.findtext("faultcode") or "").split(":", 1)[-1],
        message=fault.findtext("faultstring") or "",
        detail=detail,
    )


def zeep_client(base_url: str, contract: str, wsse: Any = None) -> zeep.Client:
    """A zeep client of ``contract`` built from the WSDL the server publishes."""
    transport = Transport(timeout=30, operation_timeout=60)
    settings = zeep.Settings(strict=True, xml_huge_tree=False, forbid_dtd=True, forbid_entities=True)
    return zeep.Client(f"{base_url}/ws/{contract}?wsdl", wsse=wsse, transport=transport, settings=settings)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(kw_only=True)
class LiveServer:
    """A ``kontingent serve`` subprocess; its output goes to ``log_path``."""

    database_url: str
    log_path: Path
    env: Mapping[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        command = Path(sys.executable).with_name("kontingent")
        environment = {**os.environ, "KONTINGENT_DATABASE_URL": self.database_url, **self.env}
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(command), "serve", "--bind", f"127.0.0.1:{self.port}", "--workers", "2"],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_healthy()
        return self.base_url

    def _wait_healthy(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.process.returncode}:\n{self.log()}")
            try:
                if requests.get(f"{self.base_url}/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        pytest.fail(f"gunicorn did not become healthy in {STARTUP_SECONDS} s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""


@pytest.fixture
def live_server_factory(db_url: str, tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Start live servers against ``db_url``; all are stopped at teardown."""
    servers: list[LiveServer] = []

    def start(env: Mapping[str, str] | None = None) -> str:
        server = LiveServer(
            database_url=db_url, env=dict(env or {}), log_path=tmp_path / f"gunicorn-{len(servers)}.log"
        )
        servers.append(server)
        return server.start()

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def live_server(live_server_factory: Callable[..., str]) -> str:
    """Base URL of a live gunicorn with the production environment (authentication on)."""
    return live_server_factory()
