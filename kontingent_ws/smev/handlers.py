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


def default_registry() -> HandlerRegistry:
    """The handlers of the regional segment's published SMEV services."""
    return HandlerRegistry({})
