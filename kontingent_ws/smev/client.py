"""The one module of the SMEV participant that talks to the network: SOAP 1.1 over HTTP POST.

A reply is parsed with the project's hardened parser. A SOAP fault becomes a
``SmevExchangeError`` named after the element in its ``detail`` (``SMEVFailure``,
``MessageIsAlreadySent`` …); timeouts, refused connections and HTTP 5xx without a fault are
temporary failures named ``Transport``.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from lxml import etree

from adapters.safexml import UnsafeXml, parse_bytes
from kontingent_ws.errors import KontingentError

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
TEMPORARY_FAULTS = frozenset({"SMEVFailure", "SystemInfrastructureError", "DestinationOverflow", "Transport"})
"""Faults after which the same call is repeated later (SMEV asks to retry without limit)."""
MAX_REPLY_BYTES = 100 * 1024 * 1024


class SmevExchangeError(KontingentError):
    """A call to SMEV failed: a SOAP fault or a transport failure."""

    code = "Server.Smev"
    default_message = "Сбой обмена со СМЭВ"

    def __init__(self, fault: str, message: str):
        super().__init__(message)
        self.fault = fault
        """Local name of the fault's detail element, the faultcode's local part, or ``Transport``."""

    @property
    def temporary(self) -> bool:
        """Whether repeating the same call later may succeed."""
        return self.fault in TEMPORARY_FAULTS


@dataclass(frozen=True, kw_only=True)
class SoapReply:
    """A successful reply: the bytes as received and the element under ``soap:Body``."""

    raw: bytes
    body: etree._Element


def _fault(envelope: etree._Element) -> SmevExchangeError | None:
    fault = envelope.find(f"{{{SOAP_NS}}}Body/{{{SOAP_NS}}}Fault")
    if fault is None:
        return None
    message = (fault.findtext("faultstring") or "").strip() or "SOAP fault без описания"
    detail = fault.find("detail")
    details = [child for child in detail if isinstance(child.tag, str)] if detail is not None else []
    if details:
        return SmevExchangeError(etree.QName(details[0]).localname, message)
    code = (fault.findtext("faultcode") or "Server").strip()
    return SmevExchangeError(code.rpartition(":")[2] or "Server", message)


def read_reply(status: int, content: bytes) -> SoapReply:
    """Turn an HTTP status and body into a reply, or raise the fault it carries."""
    try:
        envelope = parse_bytes(content, max_bytes=MAX_REPLY_BYTES)
    except UnsafeXml as error:
        raise SmevExchangeError(
            "Transport" if status >= 500 else "InvalidReply", f"Ответ СМЭВ (HTTP {status}) не является XML: {error}"
        ) from None
    fault = _fault(envelope)
    if fault is not None:
        raise fault
    body = envelope.find(f"{{{SOAP_NS}}}Body")
    children = [child for child in body if isinstance(child.tag, str)] if body is not None else []
    if envelope.tag != f"{{{SOAP_NS}}}Envelope" or len(children) != 1 or status >= 300:
        raise SmevExchangeError(
            "Transport" if status >= 500 else "InvalidReply", f"Неожиданный ответ СМЭВ (HTTP {status})"
        )
    return SoapReply(raw=content, body=children[0])


@dataclass(frozen=True, kw_only=True)
class SmevClient:
    """POSTs SOAP 1.1 envelopes to the message-exchange endpoint."""

    endpoint: str
    """URL of the SMEV 3 message-exchange service."""
    connect_timeout: float = 10.0
    """Seconds to wait for the connection."""
    read_timeout: float = 60.0
    """Seconds to wait for the reply."""

    def call(self, action: str, envelope: bytes) -> SoapReply:
        """Send ``envelope`` with SOAPAction ``action`` (``urn:GetRequest`` …); return the reply."""
        try:
            response = requests.post(
                self.endpoint,
                data=envelope,
                headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'},
                timeout=(self.connect_timeout, self.read_timeout),
            )
        except requests.RequestException as error:
            raise SmevExchangeError("Transport", f"СМЭВ недоступен: {type(error).__name__}") from None
        return read_reply(response.status_code, response.content)
