"""The WSGI application: every contract at ``/ws/<Name>`` (WSDL at ``?wsdl``), ``/health``, ``/metrics``,
else 404.

Each contract is its own Spyne application (its own target namespace) reading requests with
:class:`~kontingent_ws.soap.HardenedSoap11` and answering with plain SOAP 1.1,
document/literal wrapped. Calls run through :class:`~kontingent_ws.call.CallLifecycle`: one
database session per call, authentication before every operation, faults from one mapping.
gunicorn loads ``kontingent_ws.app:make_app()``.
"""

from __future__ import annotations

import importlib
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import quote, urlsplit, urlunsplit

from lxml import etree
from spyne import Application
from spyne import const as spyne_const
from sqlalchemy import Engine

from adapters.safexml import parse_bytes
from db.engine import POSTGRES_CONNECT_ARGS, is_sqlite, make_engine, make_session_factory
from kontingent_ws.call import REQUEST_ID_KEY, Authenticator, CallLifecycle, RefuseEveryCall, SessionFactory
from kontingent_ws.health import probe
from kontingent_ws.metrics import render
from kontingent_ws.registry import CONTRACTS, Contract
from kontingent_ws.settings import Settings
from kontingent_ws.soap import AnswerSoap11, HardenedSoap11, HardenedWsgiApplication, quiet_spyne_logging

# Spyne forces a full gc.collect() after a call at most once a second per process; on a large heap that
# costs about half a second each time. CPython's generational collector is enough.
spyne_const.MIN_GC_INTERVAL = float("inf")

READ_CONTRACTS = frozenset({"Students", "Organizations", "Authorities", "EpguPerformance"})
"""Contracts whose calls change nothing but the audit log (reads of personal data are audited).

On PostgreSQL their sessions come from a second engine (:func:`read_engine`) whose connections
run in autocommit (no ``BEGIN``/``COMMIT`` round trips) with ``synchronous_commit=off``: the answer
does not wait for the WAL flush of its audit records (under load a flush costs milliseconds, as
much as the rest of the call). A crash of the database server may lose the audit records of the
last moments' reads (at most three ``wal_writer_delay``, 0.6 s by default); it never loses data
nor leaves a half-written transaction.
``KONTINGENT_READ_AUDIT_COMMIT=sync`` keeps every audit record durable before the answer leaves."""

DEFAULT_AUTHENTICATOR_MODULE = "kontingent_ws.security.authenticate"
"""Module whose ``default_authenticator`` is used when ``make_app`` is given none."""

WSDL_PLACEHOLDER_BASE = "http://kontingent.invalid"
"""Scheme and host written into the generated WSDL; replaced by the request's own when served."""

REQUEST_ID_HEADER = "X-Request-Id"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_HOST = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")


class ContractApplication(Application):
    """A Spyne application whose calls run inside a :class:`CallLifecycle`."""

    def __init__(self, *, contract: Contract, lifecycle: CallLifecycle, settings: Settings) -> None:
        super().__init__(
            list(contract.services),
            tns=contract.namespace,
            name=contract.name,
            in_protocol=HardenedSoap11(
                validator="lxml",
                max_bytes=settings.max_request_bytes,
                max_depth=settings.max_xml_depth,
            ),
            out_protocol=AnswerSoap11(),
        )
        self.lifecycle = lifecycle
        self.event_manager.add_listener("method_context_closed", lifecycle.close)

    def call_wrapper(self, ctx: Any) -> Any:
        return self.lifecycle.run(ctx, super().call_wrapper)


@dataclass(frozen=True, kw_only=True)
class Endpoint:
    """One mounted contract: its SOAP endpoint and its WSDL (with the placeholder base)."""

    contract: Contract
    soap: HardenedWsgiApplication
    wsdl: bytes


WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
XS_NS = "http://www.w3.org/2001/XMLSchema"


def publishable_wsdl(generated: bytes) -> bytes:
    """Spyne's WSDL made WS-I friendly and stable: no ``parameterOrder`` (it names the element,
    not the part ``parameters``; document style does not use it), schema components in a fixed
    order (Spyne's depends on hashing), addresses on the placeholder host, pretty-printed."""
    root = parse_bytes(generated)
    for port_operation in root.iterfind(f"{{{WSDL_NS}}}portType/{{{WSDL_NS}}}operation"):
        port_operation.attrib.pop("parameterOrder", None)
    for types in root.iterfind(f"{{{WSDL_NS}}}types"):
        _sort_children(types, key=lambda schema: schema.get("targetNamespace", ""))
        for schema in types:
            _sort_children(schema, key=_schema_component_key)
    return normalize_wsdl(etree.tostring(root))


_SCHEMA_COMPONENT_ORDER = {f"{{{XS_NS}}}{name}": rank for rank, name in enumerate(
    ("annotation", "import", "include", "simpleType", "complexType", "group", "attributeGroup", "element", "attribute")
)}


def _schema_component_key(component: etree._Element) -> tuple[int, str]:
    """Spyne emits global schema components in hash order; sort them by kind, then name."""
    rank = _SCHEMA_COMPONENT_ORDER.get(str(component.tag), len(_SCHEMA_COMPONENT_ORDER))
    return rank, component.get("name") or component.get("namespace") or ""


def _sort_children(parent: etree._Element, *, key: Callable[[etree._Element], Any]) -> None:
    parent[:] = sorted(parent, key=key)


def normalize_wsdl(document: bytes) -> bytes:
    """Pretty-print a WSDL with every service address moved to the placeholder host."""
    root = parse_bytes(document)
    for address in root.iter("{http://schemas.xmlsoap.org/wsdl/soap/}address"):
        parts = urlsplit(address.get("location", ""))
        address.set("location", urlunsplit(urlsplit(WSDL_PLACEHOLDER_BASE)[:2] + parts[2:]))
    etree.indent(root, space="  ")
    return cast(bytes, etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def base_url(environ: Mapping[str, Any]) -> str:
    """``scheme://host[:port]/script`` of the request, from trusted-shape parts only."""
    scheme = environ.get("wsgi.url_scheme")
    scheme = scheme if scheme in ("http", "https") else "http"
    host = str(environ.get("HTTP_HOST", ""))
    if not _HOST.match(host):
        host = f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
        host = host if _HOST.match(host) else "localhost"
    return f"{scheme}://{host}{quote(str(environ.get('SCRIPT_NAME', '')), safe='/')}"


def resolve_authenticator(settings: Settings, authenticator: Authenticator | None) -> Authenticator | None:
    """The authenticator calls go through: none when authentication is off, else the given one,
    else ``default_authenticator`` of :data:`DEFAULT_AUTHENTICATOR_MODULE`, else refuse all."""
    if not settings.auth_enabled:
        return None
    if authenticator is not None:
        return authenticator
    try:
        module = importlib.import_module(DEFAULT_AUTHENTICATOR_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != DEFAULT_AUTHENTICATOR_MODULE:
            raise
        return RefuseEveryCall()
    return cast(Authenticator, module.default_authenticator)


class KontingentWsgi:
    """Routes requests to the contract endpoints, the WSDLs, the health probe and the metrics."""

    def __init__(self, *, endpoints: Mapping[str, Endpoint], session_factory: SessionFactory):
        self.endpoints = dict(endpoints)
        self.session_factory = session_factory

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request_id = uuid.uuid4().hex
        environ[REQUEST_ID_KEY] = request_id

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, [*headers, (REQUEST_ID_HEADER, request_id)], exc_info)

        path = str(environ.get("PATH_INFO", ""))
        method = str(environ.get("REQUEST_METHOD", "")).upper()
        if path == "/health":
            if method not in ("GET", "HEAD"):
                return _plain(start, "405 Method Not Allowed", "Method Not Allowed", allow="GET, HEAD")
            health = probe(self.session_factory)
            return _respond(start, health.http_status, "application/json", health.to_json())
        if path == "/metrics":
            if method not in ("GET", "HEAD"):
                return _plain(start, "405 Method Not Allowed", "Method Not Allowed", allow="GET, HEAD")
            body, content_type = render(self.session_factory)
            return _respond(start, "200 OK", content_type, body)
        endpoint = self.endpoints.get(path)
        if endpoint is None:
            return _plain(start, "404 Not Found", "Not Found")
        if method == "GET" and str(environ.get("QUERY_STRING", "")).lower() == "wsdl":
            wsdl = endpoint.wsdl.replace(WSDL_PLACEHOLDER_BASE.encode(), base_url(environ).encode())
            return _respond(start, "200 OK", "text/xml; charset=utf-8", wsdl)
        if method != "POST":
            return _plain(start, "405 Method Not Allowed", "Method Not Allowed", allow="POST")
        return cast(Iterable[bytes], endpoint.soap(environ, start))


def _respond(start: StartResponse, status: str, content_type: str, body: bytes) -> list[bytes]:
    start(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def _plain(start: StartResponse, status: str, text: str, *, allow: str | None = None) -> list[bytes]:
    body = text.encode("utf-8")
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    if allow:
        headers.append(("Allow", allow))
    start(status, headers)
    return [body]


def _mount(contract: Contract, lifecycle: CallLifecycle, settings: Settings) -> Endpoint:
    spyne_app = ContractApplication(contract=contract, lifecycle=lifecycle, settings=settings)
    soap = HardenedWsgiApplication(spyne_app, max_content_length=settings.max_request_bytes + 1)
    soap.doc.wsdl11.build_interface_document(WSDL_PLACEHOLDER_BASE + contract.path)
    return Endpoint(contract=contract, soap=soap, wsdl=publishable_wsdl(soap.doc.wsdl11.get_interface_document()))


def read_engine(settings: Settings) -> Engine:
    """The PostgreSQL engine of the :data:`READ_CONTRACTS`: autocommit, so that a call costs its
    statements alone (no ``BEGIN``/``COMMIT`` round trips: under READ COMMITTED every statement of a
    transaction sees its own snapshot anyway, and the audit insert is the only write, one
    statement), and with ``synchronous_commit=off`` unless ``KONTINGENT_READ_AUDIT_COMMIT=sync``."""
    options = {"connect_args": {**POSTGRES_CONNECT_ARGS, "options": "-c synchronous_commit=off"}}
    return make_engine(
        settings.database_url,
        hide_parameters=True,
        isolation_level="AUTOCOMMIT",
        **(options if settings.read_audit_commit == "async" else {}),
    )


def make_app(
    settings: Settings | None = None,
    *,
    session_factory: SessionFactory | None = None,
    authenticator: Authenticator | None = None,
    contracts: tuple[Contract, ...] = CONTRACTS,
) -> KontingentWsgi:
    """Build the WSGI application serving ``contracts`` (all of the registry by default)."""
    settings = settings or Settings.from_env()
    quiet_spyne_logging()
    if session_factory is not None:
        read_session_factory = session_factory
    else:
        session_factory = read_session_factory = make_session_factory(
            make_engine(settings.database_url, hide_parameters=True)
        )
        if not is_sqlite(settings.database_url):
            read_session_factory = make_session_factory(read_engine(settings))
    active_authenticator = resolve_authenticator(settings, authenticator)
    endpoints = {}
    for contract in contracts:
        lifecycle = CallLifecycle(
            contract=contract,
            contracts=contracts,
            settings=settings,
            session_factory=read_session_factory if contract.name in READ_CONTRACTS else session_factory,
            authenticator=active_authenticator,
        )
        endpoints[contract.path] = _mount(contract, lifecycle, settings)
    return KontingentWsgi(endpoints=endpoints, session_factory=session_factory)
