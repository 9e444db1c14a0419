"""The period marks taken from a packet's bytes by the schema check's child, most of them unparsed.

The child (``packet_check``) validates a large packet against the schema while the loader maps it,
and hands the loader the rows of the ``PeriodMarks`` section, most of a packet's bytes (85 % of the
benchmark's). Parsed and validated by libxml2 they cost it about 0.2 ms a student of CPU; most of
them are written by software in one plain form, which a regular expression checks and takes apart (its
groups are the fields: a match a row, each where the row before ended) for a fraction of that.
``SectionScan`` gives the child's parser everything but those rows:

- a *plain row* is a ``PeriodMark`` with a ``providerRef`` and the six fields of a quarter mark (or of
  an annual or final one: ``Kind`` for ``PeriodRef``), unprefixed, in the schema's order, each with a
  text of printable ASCII characters other than quotes, ``&``, ``<`` and ``>`` that its simple type
  admits (``PLAIN_ROW``), with white space only between tags. Such a row is well-formed and valid
  wherever a ``PeriodMark`` may stand, so it is checked by the expression alone and sent to the loader
  as columns (a ``C`` frame) without being given to the parser – except the section's first, which the
  parser is given too (the schema wants one row at least);
- anything else is a *piece*: from a row's start up to the first end tag ``</PeriodMark>`` outside
  comments, CDATA sections and processing instructions (or to the section's end tag). The parser is
  given it as it is – it validates it in its place – and the loader its bytes (an ``X`` frame, read
  by the hardened parser with the section's namespaces in scope).

Only where the bytes cannot mislead, as for the loader's ``SectionSkip``: a UTF-8 document, the
section confirmed by the parser as the child of the root in the packet's namespace, with that
namespace as the default one (plain rows are unprefixed). A plain row is taken only where a row may
begin: after the section's start tag, a plain row or a piece. A piece ends with the first end tag of
a ``PeriodMark`` in it, which closes the piece's row unless the row holds another ``PeriodMark`` – a
schema violation the parser reports – so in a valid packet every piece is whole rows and the next
row begins after it. A piece longer than ``LONGEST_RUN`` or a declaration gives the scan up: the rest
of the file is the parser's, and the child reads the rest of the section's rows from its tree as it
did before (``tree_rows``).

What the parser saw is the packet less some valid rows of a section that admits any number of them:
the same packet is valid, and every other one gets another verdict; the child then checks the
packet again in one validating parse, to report the refusal, its message and its line exactly
(``packet_check.main``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from operator import methodcaller
from typing import IO
from xml.sax.saxutils import quoteattr

from lxml import etree

from adapters.packet_fields import NS
from adapters.packet_marks import PERIOD_MARK
from adapters.packet_skip import OFF, SKIP, GiveUp, Readable, SectionSkip, end_locator, find_markup

_WS = rb"[ \t\r\n]*"
_CHARS = rb"[!#-%(-;=?-~]"
"""A text's character in a plain row: printable ASCII but the quotes, ``&``, ``<`` and ``>``, which
leaves the text as it is in the document (no reference, no white space to collapse)."""
_REF = _CHARS + rb"{1,64}"  # RefType: 1 to 64 characters, no white space


def _field(name: bytes, text: bytes) -> bytes:
    """A field of a plain row, its text a group of the expression."""
    return _WS + b"<" + name + b">(" + text + b")</" + name + b">"


PLAIN_ROW = (
    _WS + rb"<PeriodMark[ \t\r\n]+providerRef[ \t\r\n]*=[ \t\r\n]*([\"'])(" + _REF + rb")\1" + _WS + b">"
    + _field(b"StudentRef", _REF) + _field(b"SubjectRef", _REF)
    + b"(?:" + _field(b"PeriodRef", _REF) + b"|" + _field(b"Kind", b"annual|final") + b")"  # FinalMarkKindType
    + _field(b"SchoolYear", rb"[0-9]{4}/[0-9]{4}")  # SchoolYearType
    + _field(b"Scale", rb"[A-Za-z0-9_.]{1,20}")  # CodeType
    + _field(b"Value", _CHARS + rb"{1,10}")  # MarkValueType: a token of 1 to 10 characters
    + _WS + b"</PeriodMark>"
)
"""A plain period mark (a quarter, annual or final one), with the white space before it; its groups: the
reference's quote, the reference, the student, the subject, the period or else the kind, the school year,
the scale and the value (a quote of the other kind cannot stand in a reference: no text holds one)."""
_PLAIN_ROW = re.compile(PLAIN_ROW)
_GROUPS = methodcaller("groups")
_PERIOD, _KIND = 4, 5
"""The groups of the period and of the kind (one of them is ``None`` in every row)."""
_PLAIN_COLUMNS = (1, 2, 3, 4, 6, 7, 8)
"""The groups sent as the columns of a ``C`` frame: the reference, then the six fields in the schema's order."""
_ROW_END = end_locator(PERIOD_MARK.encode("ascii"))


def plain_run(buffer: bytes, position: int) -> tuple[int, bytes | None]:
    """Where the plain rows from ``position`` end (``position`` if none is there), and their columns as a
    ``C`` frame's payload (``packet_check.marks_columns``): the number of columns, then every column's
    lines one after the other – the references, the six fields in the schema's order, and, when the run
    has annual or final marks, the kinds (the periods of those marks empty). Each row is matched where the
    one before it ended, once: the match checks it and its groups are its fields."""
    match = _PLAIN_ROW.match
    rows = []
    row = match(buffer, position)
    while row is not None:
        rows.append(row)
        row = match(buffer, row.end())
    if not rows:
        return position, None
    groups = list(zip(*map(_GROUPS, rows), strict=True))
    columns = [groups[at] for at in _PLAIN_COLUMNS]
    if None in groups[_PERIOD]:  # annual or final marks: their kinds, no period
        columns[3] = tuple(b"" if period is None else period for period in groups[_PERIOD])
        columns.append(tuple(b"period" if kind is None else kind for kind in groups[_KIND]))
    return rows[-1].end(), b"\n".join((str(len(columns)).encode("ascii"), *map(b"\n".join, columns)))


Emit = Callable[[bytes, bytes], None]
"""Sends a frame to the loader: its kind and payload."""


class SectionScan(SectionSkip):
    """Reads a packet for the schema check's parser, leaving out the plain rows of its ``PeriodMarks``
    section, which it sends to the loader with the rest of the section's rows (``emit``)."""

    def __init__(self, source: Readable, raw: IO[bytes], emit: Emit, columns: bytes, rows: bytes,
                 before: Callable[[], None] | None = None):
        super().__init__(source, raw)
        self.emit = emit
        self.before = before
        """Called once, before the section's rows are scanned (``packet_check``: the child waits there
        until the loader asks for the marks)."""
        self.columns, self.rows = columns, rows
        """The kinds of the frames of plain rows (columns) and of pieces (their XML)."""
        self.wrapper = b""
        """The start tag an ``X`` frame's pieces are put in: the section's namespaces in scope."""
        self.row_given = False
        """Whether the parser was given a row of the section (it wants one at least)."""
        self.scanned = False
        """Whether the section was scanned (the parser did not see all of it)."""
        self.given_up = False
        """Whether the scan was given up inside the section (a long piece or a declaration)."""
        self.tree_rows = True
        """Whether the rows the parser was given with the last read are the loader's too (read from the
        tree): before the scan, and after it (from the read after the one it ended with)."""
        self.tree_next = False
        """The scan ended: the rows of the next read are the tree's."""

    def confirm(self, element: etree._Element) -> None:
        super().confirm(element)
        if self.confirmed and element.nsmap.get(None) != NS:  # plain rows are unprefixed
            self.confirmed = False
        if self.confirmed:
            declarations = b"".join(
                b" xmlns" + (b"" if prefix is None else b":" + prefix.encode("utf-8")) + b"="
                + quoteattr(uri).encode("utf-8") for prefix, uri in element.nsmap.items())
            self.wrapper = b"<Rows" + declarations + b">"

    def read(self, size: int) -> bytes:
        if self.tree_next:
            self.tree_rows, self.tree_next = True, False
        if not self.deferred:
            out = super().read(size)
            if out or not self.deferred:
                return out  # (given up with rows given in this read: the rest comes with the next)
        # the scan was given up: the rest is the parser's, and its rows are the tree's
        out, self.deferred, self.tree_rows, self.tree_next = self.deferred, b"", True, False
        return out

    def _at_end(self) -> bytes:
        return self.pending  # the file ended inside the section: the parser reports it

    def _give_up(self, buffer: bytes) -> bytes:
        if self.state != SKIP:
            return super()._give_up(buffer)
        # nothing was dropped: the rest goes to the parser with the next read, whose rows the tree gives
        self.state, self.pending, self.deferred, self.given_up = OFF, b"", buffer, True
        return b""

    def _skip(self, buffer: bytes) -> bytes:
        assert self.end is not None
        if not self.scanned:
            self.scanned, self.tree_rows = True, False
            if self.before is not None:
                self.before()
        given: list[bytes] = []
        position = 0
        try:
            section, _ = find_markup(buffer, self.end)  # the buffer begins where a row may
            while True:
                end, payload = plain_run(buffer, position)
                if payload is not None:
                    if not self.row_given:  # the first row goes to the parser as well
                        first = _ROW_END(buffer, position)
                        assert first is not None
                        given.append(buffer[position : first[1]])
                        self.row_given = True
                    self.emit(self.columns, payload)
                    position = end
                row, _ = find_markup(buffer, _ROW_END, position)
                if section is not None and (row is None or section[0] < row[0]):  # the section ends
                    if buffer[position : section[0]].strip():
                        self.emit(self.rows, self.wrapper + buffer[position : section[0]] + b"</Rows>")
                    self.state, self.pending, self.tree_next = OFF, b"", True
                    given.append(buffer[position:])
                    return b"".join(given)
                if row is None:  # the row (or what is between rows) goes on in the next read
                    self.pending = buffer[position:]
                    return b"".join(given)
                piece = buffer[position : row[1]]
                self.emit(self.rows, self.wrapper + piece + b"</Rows>")
                given.append(piece)
                self.row_given = True
                position = row[1]
        except GiveUp:  # a declaration: not well-formed, for the parser to report
            self._give_up(buffer[position:])
            return b"".join(given)


