"""Helpers every contract's service class uses."""

from __future__ import annotations

from typing import Any

from spyne import rpc

from kontingent_ws.call import CallContext

WSDL_PART_NAME = "parameters"
"""The one part of every message: the document/literal wrapped convention of JAX-WS and .NET."""


def operation(*params: Any, **options: Any) -> Any:
    """``@rpc`` with the project's wire conventions: document/literal wrapped, part ``parameters``.

    Use exactly like ``spyne.rpc``: ``@operation(Unicode, _returns=Answer)``.
    """
    options.setdefault("_body_style", "wrapped")
    options.setdefault("_wsdl_part_name", WSDL_PART_NAME)
    return rpc(*params, **options)


def call_of(ctx: Any) -> CallContext:
    """The :class:`CallContext` of the Spyne method context a service method receives."""
    call = ctx.udc
    if not isinstance(call, CallContext):
        raise TypeError("the method context carries no CallContext: is the service mounted by make_app?")
    return call
