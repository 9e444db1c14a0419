"""Reading the fields of one packet row: every problem becomes a row error, nothing raises.

``RowSink`` (``adapters.validation``) gathers the errors of one row; ``Fields`` reads the children of
one element of that row and names each field by its path from the row element
(``Representatives/Representative[2]/Snils``). What a valid value is lives in ``adapters.validation``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import cache

from lxml import etree

from adapters import validation
from adapters.validation import RowSink

NS = "urn://kontingent-region.ru/packet/1.0.0"
"""Target namespace of ``xsd/packet-1.0.0.xsd``."""


@cache
def qname(local: str) -> str:
    """Clark notation of a packet element name."""
    return f"{{{NS}}}{local}"


class Fields:
    """Typed readers over the child elements of one element of a row."""

    def __init__(self, element: etree._Element, sink: RowSink, prefix: str = ""):
        self.element = element
        self.sink = sink
        self.prefix = prefix
        self._first: dict[object, etree._Element] | None = None

    def _find(self, local: str) -> etree._Element | None:
        """The first child element ``local`` (children are indexed once: a row is read field by field)."""
        first = self._first
        if first is None:
            first = self._first = {}
            for element in self.element:
                first.setdefault(element.tag, element)
        return first.get(qname(local))

    def name(self, local: str) -> str:
        """Field name of the child ``local`` as reported in row errors."""
        return f"{self.prefix}{local}"

    def child(self, local: str) -> Fields | None:
        """Reader over the child element ``local``, or ``None`` when it is absent."""
        element = self._find(local)
        return None if element is None else Fields(element, self.sink, f"{self.prefix}{local}/")

    def children(self, container: str, local: str) -> list[Fields]:
        """Readers over ``container/local`` elements, named ``container/local[i]/``."""
        holder = self._find(container)
        if holder is None:
            return []
        return [
            Fields(element, self.sink, f"{self.prefix}{container}/{local}[{index}]/")
            for index, element in enumerate(holder.iterchildren(qname(local)), start=1)
        ]

    def attribute(self, local: str, *, required: bool = False) -> str | None:
        """An unqualified attribute of this element, stripped."""
        value = (self.element.get(local) or "").strip() or None
        if value is None and required:
            self.sink.fail("REQUIRED", self.name(f"@{local}"), None)
        return value

    def text(self, local: str, *, required: bool = False) -> str | None:
        """Text of a child element, whitespace-collapsed; ``None`` when absent or empty."""
        element = self._find(local)
        value = " ".join((element.text or "").split()) if element is not None else ""
        if not value:
            if required:
                self.sink.fail("REQUIRED", self.name(local), None)
            return None
        return value

    def all_text(self, local: str) -> tuple[str, ...]:
        """Texts of every child element named ``local``."""
        return tuple(
            " ".join((element.text or "").split()) for element in self.element.findall(qname(local)) if element.text
        )

    def date(self, local: str, *, required: bool = False, not_after: date | None = None) -> date | None:
        """An ISO date; a date later than ``not_after`` is reported as ``DATE_IN_FUTURE``."""
        raw = self.text(local, required=required)
        if raw is None:
            return None
        try:
            value = date.fromisoformat(raw)
        except ValueError:
            self.sink.fail("BAD_DATE", self.name(local), raw)
            return None
        validation.check_not_after(self.sink, self.name(local), raw, value, not_after)
        return value

    def school_year(self, local: str) -> str | None:
        """A required school year ``2024/2025``: the second year must follow the first."""
        value = self.text(local, required=True)
        return None if value is None else validation.check_school_year(self.sink, self.name(local), value)

    def code(self, local: str, classifier: str, *, required: bool = False) -> str | None:
        """A code that must exist in ``classifier``."""
        raw = self.text(local, required=required)
        return None if raw is None else self.check_code(local, raw, classifier)

    def check_code(self, field_name: str, raw: str, classifier: str) -> str | None:
        """``raw`` if it is a code of ``classifier``, else a ``UNKNOWN_CODE`` error and ``None``."""
        return validation.check_code(self.sink, self.name(field_name), raw, classifier)

    def identifier(self, local: str, normalize: Callable[[str], str], *, required: bool = False) -> str | None:
        """An identifier checked and normalised by one of ``adapters.identifiers``."""
        raw = self.text(local, required=required)
        return None if raw is None else validation.check_identifier(self.sink, self.name(local), raw, normalize)

    def integer(self, local: str, *, required: bool = False) -> int | None:
        """A whole number."""
        raw = self.text(local, required=required)
        return None if raw is None else validation.check_integer(self.sink, self.name(local), raw)

    def decimal(self, local: str) -> Decimal | None:
        """A decimal number."""
        raw = self.text(local)
        return None if raw is None else validation.check_decimal(self.sink, self.name(local), raw)

    def boolean(self, local: str) -> bool | None:
        """An ``xs:boolean``: ``true``/``1`` or ``false``/``0``."""
        raw = self.text(local)
        if raw is None:
            return None
        if raw in ("true", "1", "false", "0"):
            return raw in ("true", "1")
        self.sink.fail("BAD_FORMAT", self.name(local), raw, expected="true или false")
        return None
