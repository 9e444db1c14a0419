"""Wire-format conventions shared by every contract: namespaces and common field kinds.

Each contract has its own target namespace ``urn://kontingent-region.ru/ws/<name>/1.0``; a
ComplexModel belongs to exactly one contract and declares that namespace itself (Spyne would
otherwise derive one from the Python module name).
"""

from __future__ import annotations

from typing import Any

from spyne import Unicode, UnsignedInteger

NAMESPACE_ROOT = "urn://kontingent-region.ru/ws"
"""Common prefix of every namespace this service publishes."""

FAULT_NAMESPACE = f"{NAMESPACE_ROOT}/faults/1.0"
"""Namespace of the entries inside a SOAP Fault ``detail`` (request id, field)."""


def contract_namespace(name: str, version: str = "1.0") -> str:
    """Target namespace of a contract: ``contract_namespace("ServiceInfo")`` →
    ``urn://kontingent-region.ru/ws/serviceinfo/1.0``."""
    return f"{NAMESPACE_ROOT}/{name.lower()}/{version}"


RequiredText = Unicode(min_occurs=1, nillable=False)
"""A string element that must be present and not nil."""

OptionalText = Unicode(min_occurs=0, nillable=False)
"""A string element that may be absent but is never nil."""

RequiredCount = UnsignedInteger(min_occurs=1, nillable=False)
"""A non-negative integer that must be present."""

OptionalCount = UnsignedInteger(min_occurs=0, nillable=False)
"""A non-negative integer that may be absent (e.g. when it cannot be computed)."""


def required(model: Any) -> Any:
    """``model`` as an element that must be present and not nil (keeping its type name)."""
    return model.customize(min_occurs=1, nillable=False, type_name=model.get_type_name())


def optional(model: Any) -> Any:
    """``model`` as an element that may be absent but is never nil (keeping its type name)."""
    return model.customize(min_occurs=0, nillable=False, type_name=model.get_type_name())
