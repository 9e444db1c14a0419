"""What one SOAP call carries through the service, and its life: session, authentication, faults.

A call is opened right after Spyne's ``method_call`` event, in the application's
``call_wrapper`` (:meth:`CallLifecycle.run`: a new database session, authentication, the service
method, commit; roll back on any error and turn the error into a SOAP fault), and is closed on
``method_context_closed`` (the session is closed even when the reply could not be written).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from lxml import etree
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from kontingent_ws.errors import AccessDenied, AuthenticationError
from kontingent_ws.metrics import observe_call
from kontingent_ws.services.faults import to_fault
from kontingent_ws.settings import Settings

if TYPE_CHECKING:
    from kontingent_ws.registry import Contract

logger = logging.getLogger(__name__)

SessionFactory = Callable[[], Session]
"""Makes a new session (a ``sessionmaker`` or anything called the same way)."""

REQUEST_ID_KEY = "kontingent.request_id"
"""WSGI environ key under which the request id of the current HTTP request is kept."""


@dataclass(kw_only=True)
class CallContext:
    """Everything a service method may need about the call it serves."""

    request_id: str
    """uuid4 hex of the HTTP request; also sent back in the ``X-Request-Id`` header."""
    session: Session
    """The one database session of this call; committed by the lifecycle, never by services."""
    client_address: str
    """Address of the peer as the WSGI server saw it."""
    contract: str
    """Name of the contract called, e.g. ``ServiceInfo``."""
    operation: str
    """Name of the operation called, e.g. ``GetServiceInfo``."""
    envelope: etree._Element | None
    """The parsed SOAP envelope (for WS-Security and signature checks)."""
    settings: Settings
    """Runtime settings of the service."""
    contracts: tuple[Contract, ...]
    """Contracts served by this application, in publication order."""
    caller: object | None = None
    """Who is calling, as the authenticator established it; ``None`` when authentication is off."""


class Authenticator(Protocol):
    """Establishes who is calling; raises ``AuthenticationError`` when it cannot."""

    def authenticate(self, call: CallContext) -> object: ...


class RefuseEveryCall:
    """The authenticator used when no real one is installed: nobody gets in."""

    def authenticate(self, call: CallContext) -> object:
        raise AuthenticationError("Аутентификация не настроена: вызовы сервиса не принимаются")


def request_id_of(environ: Mapping[str, Any] | None) -> str:
    """The request id assigned by the WSGI front, or a fresh one outside HTTP."""
    if environ is not None and isinstance(environ.get(REQUEST_ID_KEY), str):
        return str(environ[REQUEST_ID_KEY])
    return uuid.uuid4().hex


def environ_of(ctx: Any) -> Mapping[str, Any] | None:
    """The WSGI environ behind a Spyne method context, when it came over HTTP."""
    environ = getattr(ctx.transport, "req_env", None)
    return environ if isinstance(environ, Mapping) else None


@dataclass(frozen=True, kw_only=True)
class CallLifecycle:
    """Opens, runs and closes calls of one contract."""

    contract: Contract
    """The contract whose calls this lifecycle serves."""
    contracts: tuple[Contract, ...]
    """All served contracts (handed to every call)."""
    settings: Settings
    """Runtime settings."""
    session_factory: SessionFactory
    """Makes the one session of each call."""
    authenticator: Authenticator | None
    """Runs before every operation; ``None`` only when ``settings.auth_enabled`` is off."""

    def run(self, ctx: Any, invoke: Callable[[Any], Any]) -> Any:
        """Open the call, authenticate, invoke the service method, commit; on any error roll back
        and raise the mapped fault. Runs as the application's ``call_wrapper``, right after
        Spyne's ``method_call`` event, so that even a failure to open a session is mapped."""
        started = time.perf_counter()
        environ = environ_of(ctx)
        request_id = request_id_of(environ)
        operation = str(ctx.descriptor.name)
        call: CallContext | None = None
        try:
            call = ctx.udc = CallContext(
                request_id=request_id,
                session=self.session_factory(),
                client_address=str(environ.get("REMOTE_ADDR", "")) if environ else "",
                contract=self.contract.name,
                operation=operation,
                envelope=ctx.in_document if isinstance(ctx.in_document, etree._Element) else None,
                settings=self.settings,
                contracts=self.contracts,
            )
            if self.authenticator is not None:
                call.caller = self.authenticator.authenticate(call)
            result = invoke(ctx)
            call.session.commit()
        except Exception as exc:
            if call is not None:
                _roll_back(call)
                if isinstance(exc, AccessDenied) and not exc.audited:
                    _audit_refusal(call, exc)
            fault = to_fault(exc, request_id=request_id, where=f"{self.contract.name}.{operation}")
            self._observe(call, request_id, operation, started, str(fault.faultcode))
            raise fault from None
        self._observe(call, request_id, operation, started, None)
        return result

    def _observe(
        self, call: CallContext | None, request_id: str, operation: str, started: float, fault_code: str | None
    ) -> None:
        observe_call(
            contract=self.contract.name,
            operation=operation,
            request_id=request_id,
            caller=call.caller if call is not None else None,
            seconds=time.perf_counter() - started,
            fault_code=fault_code,
        )

    def close(self, ctx: Any) -> None:
        """``method_context_closed`` event: the session is always closed."""
        if isinstance(ctx.udc, CallContext):
            ctx.udc.session.close()


def _audit_refusal(call: CallContext, exc: AccessDenied) -> None:
    """Every refused access is audited; refusals raised without ``scope.deny`` are recorded here."""
    from kontingent_ws.security import audit

    try:
        audit.record_detached(call, audit.ACCESS_DENIED, object_type="operation", details=exc.message)
    except Exception:
        logger.exception("audit of a refused access failed request_id=%s", call.request_id)


def _roll_back(call: CallContext) -> None:
    """Roll back after a failed call; a failing rollback (lost connection) must not mask the error."""
    try:
        call.session.rollback()
    except SQLAlchemyError as exc:
        logger.warning("rollback failed request_id=%s exception=%s", call.request_id, type(exc).__name__)
