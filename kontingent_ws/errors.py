"""One exception root for the whole service.

Each error carries a stable machine code (the SOAP faultcode) and a Russian message for the
person who reads it. Exactly one place (``kontingent_ws.services.faults``) turns them into SOAP
faults. Errors also inherit the matching built-in where one fits, so plain Python callers can
catch ``ValueError`` or ``PermissionError``.
"""

from __future__ import annotations


class KontingentError(Exception):
    """Root of every error the service raises on purpose."""

    code = "Server.Internal"
    default_message = "Внутренняя ошибка сервиса"

    def __init__(self, message: str | None = None, *, field: str | None = None, detail: str | None = None):
        self.message = message or self.default_message
        self.field = field
        self.detail = detail
        super().__init__(self.message)


class ValidationError(KontingentError, ValueError):
    code = "Client.Validation"
    default_message = "Неверные входные данные"


class XmlInputError(KontingentError, ValueError):
    """The request body is not acceptable XML (empty, not UTF-8, oversize, DTD, too deep…)."""

    code = "Client.XmlInput"
    default_message = "Запрос не является допустимым XML-документом"


class SchemaError(KontingentError, ValueError):
    code = "Client.SchemaValidation"
    default_message = "Документ не соответствует XML-схеме"


class SignatureError(KontingentError, ValueError):
    code = "Client.Signature"
    default_message = "Электронная подпись недействительна"


class AuthenticationError(KontingentError, PermissionError):
    code = "Client.Authentication"
    default_message = "Требуется аутентификация: вызывающий не опознан"


class AccessDenied(KontingentError, PermissionError):
    code = "Client.AccessDenied"
    default_message = "Доступ запрещён"
    audited = False
    """True once the refusal is in the audit log (``scope.deny`` records it with the object)."""


class NotFound(KontingentError, LookupError):
    code = "Client.NotFound"
    default_message = "Запрошенный объект не найден"


class Conflict(KontingentError):
    code = "Client.Conflict"
    default_message = "Операция противоречит текущему состоянию данных"


class ServiceUnavailable(KontingentError):
    code = "Server.Unavailable"
    default_message = "Сервис временно недоступен, повторите запрос позже"


class QueryTimeout(KontingentError):
    """A database statement ran past its statement timeout."""

    code = "Server.Timeout"
    default_message = "Запрос не выполнен за отведённое время: сузьте условия запроса или повторите его позже"


class StorageFull(KontingentError):
    """The server's disk (or the database's) refused a write: no space left."""

    code = "Server.StorageFull"
    default_message = (
        "На сервере недостаточно места для записи данных: ответ не сформирован, повторите запрос позже"
    )


class InternalError(KontingentError):
    code = "Server.Internal"
    default_message = "Внутренняя ошибка сервиса"
