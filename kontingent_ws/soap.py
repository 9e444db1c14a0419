"""The hardened SOAP 1.1 input: the HTTP checks, the one safe XML parser, Russian faults, quiet logs.

``HardenedSoap11`` replaces Spyne's own envelope parsing: the body is refused before parsing
when it is too large (Content-Length or counted while reading), not ``text/xml`` (SOAP 1.1), not
UTF-8 or empty, and is then parsed by :func:`adapters.safexml.parse_bytes` (no DTD, no entities,
no network, size and depth caps). Schema violations are reported with a Russian message.

``HardenedWsgiApplication`` makes sure every refusal Spyne produces on the way in (bad envelope,
unknown operation, values that do not deserialize, unexpected exceptions) goes through
:func:`kontingent_ws.services.faults.to_fault`.

Spyne logs failing documents and exception texts with request values in them; :func:`quiet_spyne_logging`
silences its loggers, the service logs every failure itself with the request id only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from lxml import etree
from spyne import BODY_STYLE_WRAPPED
from spyne.const.http import HTTP_500
from spyne.protocol.soap import Soap11
from spyne.server.wsgi import WsgiApplication

from adapters.safexml import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, UnsafeXml, parse_bytes
from kontingent_ws.answer_xml import AnswerWriter
from kontingent_ws.call import environ_of, request_id_of
from kontingent_ws.errors import KontingentError, SchemaError, XmlInputError
from kontingent_ws.services.faults import to_fault

SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP11_MEDIA_TYPE = "text/xml"
UTF8_NAMES = frozenset({"utf-8", "utf8"})


def quiet_spyne_logging() -> None:
    """Silence every Spyne logger: they would write request documents and values to the log."""
    spyne_logger = logging.getLogger("spyne")
    spyne_logger.setLevel(logging.CRITICAL + 1)
    spyne_logger.propagate = False


def parse_content_type(value: str) -> tuple[str, dict[str, str]]:
    """Split ``text/xml; charset="utf-8"`` into ``("text/xml", {"charset": "utf-8"})``."""
    media_type, *raw_params = value.split(";")
    params: dict[str, str] = {}
    for raw in raw_params:
        key, _, val = raw.partition("=")
        params[key.strip().lower()] = val.strip().strip('"').strip()
    return media_type.strip().lower(), params


def check_http_request(environ: Mapping[str, Any], *, max_bytes: int) -> None:
    """Refuse a request by its HTTP head alone: verb, content type, charset, declared length."""
    if str(environ.get("REQUEST_METHOD", "")).upper() != "POST":
        raise XmlInputError("SOAP-запрос должен передаваться методом POST", detail="method")
    media_type, params = parse_content_type(str(environ.get("CONTENT_TYPE") or ""))
    if media_type != SOAP11_MEDIA_TYPE:
        raise XmlInputError(
            "Неверный тип содержимого: для SOAP 1.1 требуется text/xml; charset=utf-8",
            detail="content-type",
        )
    if params.get("charset", "utf-8").lower() not in UTF8_NAMES:
        raise XmlInputError("Допускается только кодировка UTF-8", detail="encoding")
    declared = str(environ.get("CONTENT_LENGTH") or "").strip()
    if declared and not declared.isdigit():
        raise XmlInputError("Неверный заголовок Content-Length", detail="content-length")
    if declared and int(declared) > max_bytes:
        raise XmlInputError(f"Размер запроса превышает допустимый ({max_bytes} байт)", detail="too-large")


def read_limited(chunks: Iterable[bytes], *, max_bytes: int) -> bytes:
    """Join the body fragments, refusing as soon as they pass ``max_bytes``."""
    parts: list[bytes] = []
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > max_bytes:
            raise XmlInputError(f"Размер запроса превышает допустимый ({max_bytes} байт)", detail="too-large")
        parts.append(chunk)
    return b"".join(parts)


def check_envelope(root: etree._Element) -> None:
    """A SOAP 1.1 envelope whose Body holds exactly one element (document/literal wrapped)."""
    if root.tag != f"{{{SOAP11_ENV}}}Envelope":
        raise XmlInputError("Документ не является конвертом SOAP 1.1", detail="envelope")
    bodies = root.findall(f"{{{SOAP11_ENV}}}Body")
    if len(bodies) != 1 or len([child for child in bodies[0] if isinstance(child.tag, str)]) != 1:
        raise XmlInputError("Тело SOAP-конверта должно содержать ровно один элемент запроса", detail="body")


class HardenedSoap11(Soap11):
    """Spyne's SOAP 1.1 input protocol with the project's limits and safe parser."""

    def __init__(
        self,
        *args: Any,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_depth: int = DEFAULT_MAX_DEPTH,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes
        self.max_depth = max_depth

    def create_in_document(self, ctx: Any, charset: str | None = None) -> None:
        environ = environ_of(ctx)
        try:
            if environ is not None:
                check_http_request(environ, max_bytes=self.max_bytes)
            body = read_limited(ctx.in_string, max_bytes=self.max_bytes)
            root = parse_bytes(body, max_bytes=self.max_bytes, max_depth=self.max_depth)
            check_envelope(root)
        except (KontingentError, UnsafeXml) as exc:
            raise to_fault(exc, request_id=request_id_of(environ)) from None
        # No id table: SOAP-encoding href resolution (an amplification vector) stays off.
        ctx.in_document = (root, None)

    def validate_body(self, ctx: Any, message: Any) -> None:
        schema = self.validation_schema
        if schema is None:
            return
        try:
            schema.assertValid(ctx.in_body_doc)
        except etree.DocumentInvalid as exc:
            last = exc.error_log.last_error
            error = SchemaError(
                f"Запрос не соответствует XML-схеме контракта (строка {last.line})",
                field=last.path or None,
                detail=last.message,
            )
            raise to_fault(error, request_id=request_id_of(environ_of(ctx))) from None


class AnswerSoap11(Soap11):
    """Spyne's SOAP 1.1 output whose successful answers are written by :class:`AnswerWriter`
    (the same document, several times faster); faults and anything unusual go through Spyne."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.answers = AnswerWriter(self)

    def serialize(self, ctx: Any, message: Any) -> None:
        descriptor = ctx.descriptor
        if (
            message is not self.RESPONSE
            or ctx.out_error is not None
            or descriptor is None
            or descriptor.body_style is not BODY_STYLE_WRAPPED
            or (ctx.out_header is not None and descriptor.out_header is not None)
            or not self.answers.writes(descriptor.out_message)
        ):
            super().serialize(ctx, message)
            return
        self.event_manager.fire_event("before_serialize", ctx)
        envelope = etree.Element(f"{{{self.ns_soap_env}}}Envelope", nsmap=self.app.interface.nsmap)
        body = etree.Element(f"{{{self.ns_soap_env}}}Body")
        self.answers.write_wrapped(ctx, body, descriptor.out_message, ctx.out_object)
        envelope.append(body)
        ctx.out_document, ctx.out_body_doc = envelope, body
        if self.cleanup_namespaces:
            etree.cleanup_namespaces(envelope)
        self.event_manager.fire_event("after_serialize", ctx)


class HardenedWsgiApplication(WsgiApplication):
    """Spyne's WSGI server whose every input-side refusal is a mapped, logged-without-payload fault."""

    def generate_contexts(self, ctx: Any, in_string_charset: str | None = None) -> Any:
        try:
            contexts = super().generate_contexts(ctx, in_string_charset)
        except Exception as exc:
            self._refuse(ctx, exc)
            return (ctx,)
        for each in contexts:
            if each.in_error is not None:
                self._refuse(each, each.in_error)
        return contexts

    def get_in_object(self, ctx: Any) -> None:
        try:
            super().get_in_object(ctx)
        except Exception as exc:
            self._refuse(ctx, exc)
            return
        if ctx.in_error is not None:
            self._refuse(ctx, ctx.in_error)

    def get_out_string(self, ctx: Any) -> None:
        """Serialize the answer; if that fails, answer the mapped fault instead (HTTP 500)."""
        try:
            super().get_out_string(ctx)
        except Exception as exc:
            if ctx.out_error is not None:
                raise
            ctx.out_error = to_fault(exc, request_id=request_id_of(environ_of(ctx)), where="serialize")
            ctx.out_object = None
            ctx.out_document = ctx.out_body_doc = ctx.out_header_doc = None
            ctx.transport.resp_code = HTTP_500
            super().get_out_string(ctx)

    @staticmethod
    def _refuse(ctx: Any, exc: BaseException) -> None:
        fault = to_fault(exc, request_id=request_id_of(environ_of(ctx)))
        ctx.in_object = None
        ctx.in_error = fault
        ctx.out_error = fault
