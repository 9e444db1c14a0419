"""The one hardened XML parser for everything that comes from outside.

It lives in ``adapters`` because that is the lowest layer that reads XML; the service layer
(SOAP envelopes, signatures, SMEV) imports it from here. No DTD, no entities, no network,
no XInclude, a size cap and a depth cap. Anything unacceptable raises ``UnsafeXml`` (a
``ValueError``) with a Russian message; callers map it to their own fault or row error.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from lxml import etree

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_DEPTH = 256
MAX_ATTRIBUTES = 256
"""Attributes one element may carry; libxml2 itself accepts any number."""


class UnsafeXml(ValueError):
    """The input is not acceptable XML. ``reason`` is a stable machine word."""

    def __init__(self, reason: str, message: str):
        self.reason = reason
        self.message = message
        super().__init__(message)


STREAM_OPTIONS: Mapping[str, bool] = MappingProxyType({
    "resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False,
    "remove_comments": True, "remove_pis": True,
})
"""The hardened parser's options, for a pull parser reading a large packet as a stream (the packet's own
DOCTYPE check is ``packet.NoDoctype``)."""


def syntax_error(line: int | None) -> UnsafeXml:
    """The refusal of malformed XML, naming the line the parser stopped at."""
    return UnsafeXml("syntax", f"Синтаксическая ошибка XML: строка {line}")


def truncated_document() -> UnsafeXml:
    """The refusal of a document whose root was never closed (a streaming parse that ended inside it)."""
    return UnsafeXml("syntax", "Синтаксическая ошибка XML: документ оборван")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(**STREAM_OPTIONS, dtd_validation=False, collect_ids=False)


def check_depth(root: etree._Element, max_depth: int = DEFAULT_MAX_DEPTH) -> None:
    """Refuse documents nested deeper than ``max_depth`` elements or with an element of more than
    :data:`MAX_ATTRIBUTES` attributes."""
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > max_depth:
            raise UnsafeXml("too-deep", f"Превышена допустимая глубина вложенности XML ({max_depth})")
        if len(element.attrib) > MAX_ATTRIBUTES:
            raise UnsafeXml("too-many-attributes", f"Элемент XML содержит более {MAX_ATTRIBUTES} атрибутов")
        stack.extend((child, depth + 1) for child in element)


def parse_bytes(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = DEFAULT_MAX_DEPTH
) -> etree._Element:
    """Parse ``data`` with every dangerous feature off; return the root element."""
    if not isinstance(data, bytes | bytearray):
        raise UnsafeXml("not-bytes", "XML должен передаваться в виде байтов в кодировке UTF-8")
    if not data.strip():
        raise UnsafeXml("empty", "Пустой запрос: ожидался XML-документ")
    if len(data) > max_bytes:
        raise UnsafeXml("too-large", f"Размер XML превышает допустимый ({max_bytes} байт)")
    head = data[:512].lstrip()
    if b"<!DOCTYPE" in data[:4096].upper():
        raise UnsafeXml("dtd", "XML с объявлением DOCTYPE или ENTITY не принимается")
    if head.startswith(b"<?xml"):
        decl_end = head.find(b"?>")
        declaration = head[:decl_end].lower() if decl_end > 0 else head.lower()
        if b"encoding" in declaration and b"utf-8" not in declaration and b"utf8" not in declaration:
            raise UnsafeXml("encoding", "Допускается только кодировка UTF-8")
    try:
        bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnsafeXml("not-utf8", "Запрос не в кодировке UTF-8") from exc
    try:
        root = etree.fromstring(bytes(data), _parser())
    except etree.XMLSyntaxError as exc:
        raise syntax_error(exc.lineno) from exc
    if root is None:
        raise UnsafeXml("empty", "Пустой запрос: ожидался XML-документ")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise UnsafeXml("dtd", "XML с объявлением DOCTYPE или ENTITY не принимается")
    check_depth(root, max_depth)
    return root
