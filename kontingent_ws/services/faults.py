"""THE one place that turns exceptions into SOAP faults.

Project errors keep their stable code and Russian message; Spyne's own refusals (schema
violations, bad envelopes) become project codes with Russian messages; a lost database (or a
transaction that kept losing races) is ``Server.Unavailable``, a statement past its timeout
``Server.Timeout``, a write refused for want of space ``Server.StorageFull``; anything else is
``Server.Internal`` with a generic message and the request id, its traceback going to the log.
The request body never reaches the log.
"""

from __future__ import annotations

import logging
import traceback

from spyne import Fault
from spyne.error import (
    ArgumentError,
    InvalidInputError,
    RequestNotAllowed,
    RequestTooLongError,
    ResourceNotFoundError,
)
from spyne.error import ValidationError as SpyneValidationError
from spyne.protocol.xml import SchemaValidationError

from adapters.safexml import UnsafeXml
from db.retry import is_conflict, is_out_of_space, is_timeout, is_unavailable
from kontingent_ws.errors import (
    InternalError,
    KontingentError,
    QueryTimeout,
    SchemaError,
    ServiceUnavailable,
    StorageFull,
    XmlInputError,
)
from kontingent_ws.types.common import FAULT_NAMESPACE

logger = logging.getLogger(__name__)

_SCHEMA_FAULTS = (SchemaValidationError, SpyneValidationError, InvalidInputError, ArgumentError)


class ServiceFault(Fault):
    """A fault already mapped by :func:`to_fault` (mapping it again returns it unchanged)."""


def to_fault(exc: BaseException, *, request_id: str, where: str = "") -> ServiceFault:
    """Map ``exc`` to the SOAP fault sent to the caller and log it (without any payload)."""
    if isinstance(exc, ServiceFault):
        return exc
    error = _project_error(exc, request_id)
    _log(error, exc, request_id=request_id, where=where)
    entries = {_tag("RequestId"): request_id}
    if error.field:
        entries[_tag("Field")] = error.field
    if error.detail:
        entries[_tag("Info")] = error.detail
    detail = {_tag("ServiceFault"): entries}
    return ServiceFault(faultcode=error.code, faultstring=error.message, detail=detail)


def _tag(name: str) -> str:
    return f"{{{FAULT_NAMESPACE}}}{name}"


def _project_error(exc: BaseException, request_id: str) -> KontingentError:
    if isinstance(exc, KontingentError):
        return exc
    if isinstance(exc, UnsafeXml):
        return XmlInputError(exc.message, detail=exc.reason)
    if isinstance(exc, Fault) and (error := _spyne_fault_error(exc)) is not None:
        return error
    if is_unavailable(exc):
        return ServiceUnavailable("База данных временно недоступна, повторите запрос позже")
    if is_conflict(exc):
        return ServiceUnavailable("Данные одновременно изменяются другим запросом, повторите запрос позже")
    if is_timeout(exc):
        return QueryTimeout()
    if is_out_of_space(exc):
        return StorageFull()
    return InternalError(f"Внутренняя ошибка сервиса. Идентификатор запроса: {request_id}")


def _spyne_fault_error(fault: Fault) -> KontingentError | None:
    if isinstance(fault, _SCHEMA_FAULTS):
        return SchemaError("Запрос не соответствует XML-схеме контракта (см. WSDL сервиса)")
    if isinstance(fault, ResourceNotFoundError):
        return SchemaError("Операция не найдена в контракте (см. WSDL сервиса)")
    if isinstance(fault, RequestTooLongError):
        return XmlInputError("Размер запроса превышает допустимый", detail="too-large")
    if isinstance(fault, RequestNotAllowed):
        return XmlInputError("SOAP-запрос должен передаваться методом POST", detail="method")
    if str(fault.faultcode).startswith("Client"):
        return XmlInputError("Запрос не является корректным SOAP 1.1 сообщением", detail="envelope")
    return None


def _log(error: KontingentError, exc: BaseException, *, request_id: str, where: str) -> None:
    place = where or "-"
    if isinstance(error, ServiceUnavailable):
        logger.warning(
            "service unavailable request_id=%s at=%s exception=%s",
            request_id, place, type(exc).__name__,
        )
    elif error.code.startswith("Server"):
        logger.error(
            "%s request_id=%s at=%s exception=%s\n%s",
            "internal error" if error.code == InternalError.code else f"server fault {error.code}",
            request_id, place, type(exc).__name__, redacted_traceback(exc),
        )
    else:
        logger.info(
            "fault %s request_id=%s at=%s field=%s",
            error.code, request_id, place, error.field or "-",
        )


def redacted_traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` and its causes with every exception message withheld.

    Messages of foreign exceptions may quote request values or database rows (a unique-key
    violation names the key); only the project's own messages, written for people, are kept.
    """
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    lines: list[str] = []
    for error in reversed(chain):
        lines.append("Traceback (most recent call last):\n")
        lines.extend(traceback.format_tb(error.__traceback__))
        kind = f"{type(error).__module__}.{type(error).__qualname__}"
        message = error.message if isinstance(error, KontingentError) else "<сообщение скрыто>"
        lines.append(f"{kind}: {message}\n")
    return "".join(lines)
