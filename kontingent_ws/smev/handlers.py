"""The registry that routes an incoming request to its handler by the QName of its business document."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from lxml import etree
from sqlalchemy.orm import Session

from kontingent_ws.smev.envelopes import Rejection


@dataclass(frozen=True, kw_only=True)
class RequestContext:
    """What a handler may know about the SMEV message besides its business document."""

    message_id: str
    """The sender's MessageID."""
    sender: str | None
    """The sender's mnemonic as SMEV routed it."""
    test_message: bool
    """A test request: the handler must not change data."""
    request_id: str
    """Id of this processing run, for the logs and the audit trail."""


@dataclass(frozen=True, kw_only=True)
class HandlerOutcome:
    """The business answer (``content``) or a ``rejection``; exactly one of them."""

    content: etree._Element | None = None
    rejection: Rejection | None = None

    def __post_init__(self) -> None:
        if (self.content is None) == (self.rejection is None):
            raise ValueError("a handler outcome is either content or a rejection")


Handler = Callable[[Session, etree._Element, RequestContext], HandlerOutcome]
"""``(session, business document, context) -> outcome``; it may write through the session, never commit."""


@dataclass(frozen=True)
class HandlerRegistry:
    """Handlers by the Clark name (``{namespace}local``) of the business document's root."""

    handlers: Mapping[str, Handler]

    def with_handler(self, root: etree.QName, handler: Handler) -> HandlerRegistry:
        """A registry that also routes ``root`` to ``handler``."""
        return HandlerRegistry({**self.handlers, root.text: handler})

    def find(self, document: etree._Element) -> Handler | None:
        return self.handlers.get(str(document.tag))


PERFORMANCE_REQUEST = etree.QName("urn://kontingent-region.ru/epgu/performance/1.0.0", "PerformanceRequest")
"""The ЕПГУ service «сведения о текущей успеваемости обучающегося» (xsd/epgu-performance-1.0.0.xsd)."""


def performance_handler(session: Session, document: etree._Element, context: RequestContext) -> HandlerOutcome:
    """Answer a ЕПГУ performance request through the same use case as the direct SOAP contract.

    In СМЭВ a refusal travels as ``RequestRejected``: ACCESS_DENIED and NO_DATA keep their codes,
    a malformed request (BAD_REQUEST) is a FAILURE.
    """
    from kontingent_ws.usecases.epgu import AuditContext, handle_performance_xml

    outcome = handle_performance_xml(
        session,
        document,
        audit_context=AuditContext(
            contract="SMEV",
            operation=PERFORMANCE_REQUEST.localname,
            actor=context.sender,
            request_id=context.request_id,
        ),
    )
    if outcome.ok:
        return HandlerOutcome(content=outcome.response)
    code = outcome.code if outcome.code in ("ACCESS_DENIED", "NO_DATA") else "FAILURE"
    return HandlerOutcome(
        rejection=Rejection(code=code, description=outcome.message or "Отказ в предоставлении сведений")
    )


def default_registry() -> HandlerRegistry:
    """The handlers of the regional segment's published SMEV services."""
    return HandlerRegistry({PERFORMANCE_REQUEST.text: performance_handler})
