"""The answers of SOAP calls written straight into lxml from the Spyne model definitions.

Spyne serializes an answer by walking the model per value with per-call attribute lookups,
coroutines and one ``to_unicode`` dispatch per leaf; a portfolio of ~200 values cost several
milliseconds of CPU, an ЕПГУ answer of ~900 values tens of milliseconds. :class:`AnswerWriter`
compiles each model class once into a small closure (its element name, namespace, the order of
its fields, how each leaf is formatted) and then only runs the closures.

The element tree it builds is the one Spyne's ``XmlDocument.to_parent`` builds: the same names,
namespaces, order, omitted absent optional elements and ``xsi:nil`` for absent required ones,
the same text of every value (leaf kinds it does not format itself go through the protocol's
own ``to_unicode``; model kinds it does not know, e.g. XML attributes or ``AnyXml``, through
Spyne's own ``to_parent``). ``tests/test_answer_xml.py`` compares both on every registry answer.

Values may be Spyne ``ComplexModel`` instances or :class:`Wire` (fields read by their wire names) or any other
object, e.g. the frozen dataclasses of the use cases, whose fields are read by the snake-case
names of the wire names (``EducationLevelName`` → ``education_level_name``, as
:func:`kontingent_ws.types.packing.attribute_of`); a missing attribute is a programming error
and raises ``AttributeError``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from lxml import etree
from spyne import Array, Boolean, Date, Decimal, Integer, Unicode
from spyne.const.xml import DEFAULT_NS, XSI
from spyne.model.complex import ComplexModelBase, XmlAttribute, XmlData

from kontingent_ws.types.packing import attribute_of


class Wire(SimpleNamespace):
    """Values under their wire names, ``Wire(Scale="five_point", Value="5")``: what a service may answer
    instead of Spyne model instances (building one costs ~20 µs; ЕПГУ answers hold hundreds)."""


_BY_WIRE_NAME = (ComplexModelBase, Wire)

Writer = Callable[[etree._Element, Any, str], None]
"""Appends the element ``tag`` holding ``value`` to ``parent``."""

NIL = XSI("nil")
_PLAIN_ATTRIBUTES = ("format", "str_format", "string_format", "interp_format", "date_format", "encoding")


def _plain(cls: Any) -> bool:
    """No formatting attribute that would change the text Spyne writes."""
    attributes = cls.Attributes
    return all(getattr(attributes, name, None) is None for name in _PLAIN_ATTRIBUTES)


def _date_text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        value = value.date()
    return str(value.isoformat())


class AnswerWriter:
    """Writes the body of a successful answer for one Spyne protocol instance (compiled lazily)."""

    def __init__(self, protocol: Any) -> None:
        self.protocol = protocol
        self._ctx: Any = None
        """The method context of the answer being written (for the parts Spyne writes itself)."""
        self._writers: dict[Any, Writer] = {}
        self._texts: dict[Writer, Callable[[Any], str]] = {}
        """The text of each plain leaf writer's values: models write those leaves themselves."""
        self._models: dict[Writer, Any] = {}
        """The model class of each compiled model or array writer (what :class:`_Markup` may write)."""
        self._markup = _Markup(self)
        self._wrappers: dict[Any, list[tuple[str, str, str, Writer, bool, bool]] | None] = {}

    def write(self, ctx: Any, parent: etree._Element, cls: Any, value: Any, ns: str | None, name: str) -> None:
        """What ``protocol.to_parent(ctx, cls, value, parent, ns, name)`` appends, written faster."""
        self._ctx = ctx
        try:
            self.writer_of(cls)(parent, value, _tag(ns, name))
        finally:
            self._ctx = None

    def writes(self, cls: Any) -> bool:
        """Whether :meth:`write_wrapped` writes the message ``cls`` (a plain model of elements)."""
        if cls not in self._wrappers:
            self._wrappers[cls] = (
                [
                    (key, name, tag, self._child(member), repeated, required)
                    for key, name, tag, member, repeated, required in self._members(cls)
                ]
                if _simple_complex(cls)
                else None
            )
        return self._wrappers[cls] is not None

    def write_wrapped(self, ctx: Any, parent: etree._Element, cls: Any, values: Any) -> None:
        """The wrapper element of a document/literal wrapped message ``cls`` (one :meth:`writes`
        accepts) holding ``values``, its members in order."""
        members = self._wrappers[cls]
        assert members is not None
        element = etree.SubElement(parent, _tag(cls.get_namespace(), cls.get_type_name()))
        values = list(values or ())
        values.extend([None] * (len(members) - len(values)))
        if self._markup.write(element, cls, values):
            return
        self._ctx = ctx
        try:
            for (_, _, tag, writer, repeated, required), value in zip(members, values, strict=False):
                _member(element, value, tag, writer, repeated, required)
        finally:
            self._ctx = None

    def writer_of(self, cls: Any) -> Writer:
        writer = self._writers.get(cls)
        if writer is None:
            writer = self._writers[cls] = self._compile(cls)
        return writer

    def _compile(self, cls: Any) -> Writer:
        attributes = cls.Attributes
        if getattr(attributes, "prot", None) is not None or attributes.default is not None:
            return self._delegate(cls)
        if isinstance(cls, type) and issubclass(cls, ComplexModelBase):
            if not _simple_complex(cls):
                return self._delegate(cls)
            writer = self._array(cls) if issubclass(cls, Array) else self._complex(cls)
            self._models[writer] = cls
            return writer
        text = self._leaf_text(cls)
        if text is None:
            return self._delegate(cls)

        def leaf(parent: etree._Element, value: Any, tag: str) -> None:
            if value is None:
                etree.SubElement(parent, tag, {NIL: "true"})
            else:
                etree.SubElement(parent, tag).text = text(value)

        self._texts[leaf] = text
        return leaf

    def _leaf_text(self, cls: Any) -> Callable[[Any], str] | None:
        if not _plain(cls):
            return None
        if issubclass(cls, Unicode):
            to_unicode = self.protocol.to_unicode
            return lambda value: value if type(value) is str else to_unicode(cls, value)
        if issubclass(cls, Boolean):
            return lambda value: "true" if value else "false"
        if issubclass(cls, Integer):
            return lambda value: str(int(value)) if type(value) is int else self.protocol.to_unicode(cls, value)
        if issubclass(cls, Decimal):
            return lambda value: str(value) if type(value) is decimal.Decimal else self.protocol.to_unicode(cls, value)
        if issubclass(cls, Date) and getattr(cls.Attributes, "serialize_as", None) is None:
            return _date_text
        return None

    def _delegate(self, cls: Any) -> Writer:
        """Spyne's own serialization for what this writer does not compile."""
        protocol = self.protocol

        def spyne(parent: etree._Element, value: Any, tag: str) -> None:
            ns, _, name = tag[1:].partition("}") if tag.startswith("{") else (None, "", tag)
            protocol.to_parent(self._ctx, cls, value, parent, ns, name)

        return spyne

    def _members(self, cls: Any) -> list[tuple[str, str, str, Any, bool, bool]]:
        """(wire name, attribute name, child tag, member model, repeated, required) of each member in order."""
        members = []
        namespace = cls.get_namespace()
        for key, member in cls.get_flat_type_info(cls).items():
            attributes = member.Attributes
            if getattr(attributes, "exc", False):
                continue
            sub_ns = attributes.sub_ns if attributes.sub_ns is not None else namespace
            sub_name = attributes.sub_name if attributes.sub_name is not None else key
            members.append((
                key,
                attribute_of(key),
                _tag(sub_ns, sub_name),
                member,
                attributes.max_occurs > 1,
                attributes.min_occurs > 0,
            ))  # fmt: skip
        return members

    def _child(self, member: Any) -> Writer:
        """A member's writer, resolved at first use (models may refer to each other)."""
        resolved: list[Writer] = []

        def child(parent: etree._Element, value: Any, tag: str) -> None:
            if not resolved:
                resolved.append(self.writer_of(member))
            resolved[0](parent, value, tag)

        return child

    def _complex(self, cls: Any) -> Writer:
        members = self._members(cls)
        planned: list[_Planned] = []
        """Resolved at first use (models may refer to each other): each member with its writer and,
        for a plain leaf, how its text is made."""

        def plan() -> list[_Planned]:
            resolved = []
            for key, name, tag, member, repeated, required in members:
                writer = self.writer_of(member)
                text = self._texts.get(writer)
                unicode = text is not None and issubclass(member, Unicode)
                resolved.append((key, name, tag, writer, text, unicode, repeated, required))
            planned[:] = resolved  # whole, at once: another thread never meets half a plan
            return resolved

        def complex_(parent: etree._Element, value: Any, tag: str) -> None:
            if value is None:
                _sub(parent, tag, {NIL: "true"})
                return
            if isinstance(value, (list, tuple, dict)):
                raise TypeError(f"{cls.get_type_name()}: a model value, not {type(value).__name__}")
            element = _sub(parent, tag)
            by_wire_name = isinstance(value, _BY_WIRE_NAME)
            for key, name, child_tag, writer, text, unicode, repeated, required in planned or plan():
                member = getattr(value, key, None) if by_wire_name else getattr(value, name)
                # _member, with plain leaves written in place (one element each: hundreds per answer).
                if member is None:
                    if required:
                        writer(element, None, child_tag)
                elif text is None:
                    if repeated:
                        for each in member:
                            writer(element, each, child_tag)
                    else:
                        writer(element, member, child_tag)
                elif repeated:
                    for each in member:
                        if each is None:
                            writer(element, None, child_tag)
                        else:
                            _sub(element, child_tag).text = each if unicode and type(each) is str else text(each)
                else:
                    _sub(element, child_tag).text = member if unicode and type(member) is str else text(member)

        return complex_

    def _array(self, cls: Any) -> Writer:
        ((key, member),) = cls._type_info.items()
        attributes = member.Attributes
        item_ns = attributes.sub_ns if attributes.sub_ns is not None else cls.get_namespace()
        item_tag = _tag(item_ns, attributes.sub_name if attributes.sub_name is not None else key)
        item = self._child(member)

        def array(parent: etree._Element, value: Any, tag: str) -> None:
            if value is None:
                etree.SubElement(parent, tag, {NIL: "true"})
                return
            element = etree.SubElement(parent, tag)
            for each in value:
                item(element, each, item_tag)

        return array


class _Refused(Exception):
    """A model holds a part Spyne writes itself: its messages are never written as markup."""


class _NotMarkup(Exception):
    """A value :class:`_Markup` does not write (an ``xsi:nil``, an empty text, a part Spyne writes
    itself): the element path writes the whole answer instead."""


_SPECIAL = re.compile("[&<>\r]").search
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
"""Text content as lxml writes it (``&#13;`` keeps a carriage return through the parser)."""

MarkupWriter = Callable[[list[str], Any, str, str], None]
"""Appends the markup of an element (its start and end tags given) holding ``value``."""
_MarkupMember = tuple[str, str, str, str, MarkupWriter, Callable[[Any], str] | None, bool, bool, bool]
"""(wire name, attribute name, start tag, end tag, markup writer, text of a plain leaf, a text to
escape (``Unicode``), repeated, required) of a model's member."""


_OWN_MARKUP = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, collect_ids=False, huge_tree=True
)
"""The parser of the answer's own markup (never of anything received: that is ``adapters.safexml``);
every value in it is escaped, and still nothing the parser could fetch or expand is enabled. Only
the size limits are lifted: an answer's text may be long."""


class _Markup:
    """The members of a wrapped answer written as XML text and parsed once: libxml2 builds the tree
    in C, without an lxml call and a Python proxy per element (most of the cost of an answer of
    hundreds of elements). The same elements, text and order as the element path; the elements are
    moved under the wrapper, whose namespace declarations they then use, so the document serializes
    byte for byte as the element path's (``tests/test_answer_xml.py``, ``tests/test_answer_markup.py``)."""

    def __init__(self, answers: AnswerWriter) -> None:
        self.answers = answers
        self._prefixes: dict[str, str] = {}
        self._writers: dict[Writer, MarkupWriter] = {}
        self._wrapped: dict[Any, list[tuple[str, str, MarkupWriter, bool, bool]]] = {}
        self._refused: set[Any] = set()
        """Wrapped messages holding a model the markup does not write (the element path writes them)."""

    def write(self, element: etree._Element, cls: Any, values: list[Any]) -> bool:
        """Append the elements of the wrapped message ``cls`` holding ``values`` to ``element``;
        ``False`` (nothing appended) when the element path has to write them."""
        if cls in self._refused:
            return False
        out: list[str] = []
        try:
            plan = self._wrapped.get(cls)
            if plan is None:
                plan = self._wrapped[cls] = self._plan(cls)
            for (start, end, write, repeated, required), value in zip(plan, values, strict=False):
                if value is None:
                    if required:
                        raise _NotMarkup
                    continue
                for each in value if repeated else (value,):
                    if each is None:
                        raise _NotMarkup
                    write(out, each, start, end)
        except _NotMarkup:
            return False
        except _Refused:
            self._refused.add(cls)
            return False
        declarations = " ".join(f'xmlns:{prefix}="{ns}"' for ns, prefix in self._prefixes.items())
        element.extend(etree.fromstring(f"<holder {declarations}>{''.join(out)}</holder>", _OWN_MARKUP))
        return True

    def _plan(self, cls: Any) -> list[tuple[str, str, MarkupWriter, bool, bool]]:
        """(start tag, end tag, markup writer, repeated, required) of each member of a model."""
        plan = []
        for _, _, tag, member, repeated, required in self.answers._members(cls):
            start, end = self._tags(tag)
            plan.append((start, end, self._of(member), repeated, required))
        return plan

    def _tags(self, tag: str) -> tuple[str, str]:
        if tag.startswith("{"):
            ns, _, name = tag[1:].partition("}")
            prefix = self._prefixes.get(ns)
            if prefix is None:
                prefix = self._prefixes[ns] = f"k{len(self._prefixes)}"
            tag = f"{prefix}:{name}"
        return f"<{tag}>", f"</{tag}>"

    def _of(self, member: Any) -> MarkupWriter:
        """The markup writer of a member model (a model, an array or a plain leaf); ``_Refused``
        for what Spyne writes itself."""
        writer = self.answers.writer_of(member)
        found = self._writers.get(writer)
        if found is None:
            found = self._writers[writer] = self._compile(writer)
        return found

    def _compile(self, writer: Writer) -> MarkupWriter:
        text = self.answers._texts.get(writer)
        if text is not None:
            return _leaf_markup(text)
        model = self.answers._models.get(writer)
        if model is None:
            raise _Refused
        if issubclass(model, Array):
            return self._array(model)
        return self._complex(model)

    def _array(self, model: Any) -> MarkupWriter:
        ((key, member),) = model._type_info.items()
        attributes = member.Attributes
        item_ns = attributes.sub_ns if attributes.sub_ns is not None else model.get_namespace()
        item_start, item_end = self._tags(
            _tag(item_ns, attributes.sub_name if attributes.sub_name is not None else key)
        )
        items: list[MarkupWriter] = []  # resolved at first use (models may refer to each other)

        def array(out: list[str], value: Any, start: str, end: str) -> None:
            if not items:
                items.append(self._of(member))
            item = items[0]
            out.append(start)
            for each in value:
                if each is None:
                    raise _NotMarkup
                item(out, each, item_start, item_end)
            out.append(end)

        return array

    def _complex(self, model: Any) -> MarkupWriter:
        members = self.answers._members(model)
        planned: list[_MarkupMember] = []

        def plan() -> list[_MarkupMember]:
            resolved = []
            for key, name, tag, member, repeated, required in members:
                start, end = self._tags(tag)
                text = self.answers._texts.get(self.answers.writer_of(member))
                escaped = text is not None and issubclass(member, Unicode)
                resolved.append((key, name, start, end, self._of(member), text, escaped, repeated, required))
            planned[:] = resolved  # whole, at once: another thread never meets half a plan
            return resolved

        def complex_(out: list[str], value: Any, start: str, end: str) -> None:
            if isinstance(value, (list, tuple, dict)):
                raise TypeError(f"{model.get_type_name()}: a model value, not {type(value).__name__}")
            out.append(start)
            by_wire_name = isinstance(value, _BY_WIRE_NAME)
            for key, name, child_start, child_end, write, text, escaped, repeated, required in planned or plan():
                member = getattr(value, key, None) if by_wire_name else getattr(value, name)
                if member is None:
                    if required:
                        raise _NotMarkup
                elif text is None:
                    for each in member if repeated else (member,):
                        if each is None:
                            raise _NotMarkup
                        write(out, each, child_start, child_end)
                else:  # a plain leaf, written in place: only text may hold characters to escape
                    for each in member if repeated else (member,):
                        written = text(each) if each is not None else ""
                        if not written:
                            raise _NotMarkup
                        if escaped and _SPECIAL(written):
                            written = written.translate(_ESCAPES)
                        out.append(f"{child_start}{written}{child_end}")
            out.append(end)

        return complex_


def _leaf_markup(text: Callable[[Any], str]) -> MarkupWriter:
    def leaf(out: list[str], value: Any, start: str, end: str) -> None:
        written = text(value)
        if not written:
            raise _NotMarkup  # an empty text: the element path writes an empty element as lxml does
        out.append(f"{start}{written.translate(_ESCAPES) if _SPECIAL(written) else written}{end}")

    return leaf


def _member(element: etree._Element, value: Any, tag: str, writer: Writer, repeated: bool, required: bool) -> None:
    if value is not None and repeated:
        for each in value:
            writer(element, each, tag)
    elif value is not None or required:
        writer(element, value, tag)


_sub = etree.SubElement

_Planned = tuple[str, str, str, Writer, Callable[[Any], str] | None, bool, bool, bool]
"""(wire name, attribute name, child tag, writer, text of a plain leaf, a Unicode leaf, repeated,
required) of a member."""


def _simple_complex(cls: Any) -> bool:
    """A model serialized as plain child elements under the member's own tag: no XML attributes
    or text content, no element name or namespace of its own."""
    attributes = cls.Attributes
    if attributes.sub_name is not None or attributes.sub_ns not in (None, DEFAULT_NS):
        return False
    if getattr(attributes, "_xml_tag_body_as", None) is not None:
        return False
    return not any(
        isinstance(member, type) and issubclass(member, (XmlAttribute, XmlData))
        for member in cls.get_flat_type_info(cls).values()
    )


def _tag(ns: str | None, name: str) -> str:
    return f"{{{ns}}}{name}" if ns is not None else name
