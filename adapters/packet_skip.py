"""A packet fed to the loader's parser without the rows of its ``PeriodMarks`` section.

When a large packet is checked apart (``packet_check``), the child process that validates it also
hands the loader the quarter marks, which are most of the packet's bytes (85 % of the benchmark's
packet). The loader's own parse then has nothing to do with them: ``SectionSkip`` gives it the
section's start tag, and then its end tag, and none of the bytes between.

The section is found in the bytes, so the skip is taken only where bytes cannot mislead:
- the document is UTF-8 (declared so, or not declared and without a byte order mark of UTF-16 or
  UTF-32): every ``<`` byte is a ``<`` character;
- comments, CDATA sections and processing instructions are stepped over whole (their ends cannot
  occur inside them in a well-formed document), so every other ``<`` begins a start or an end tag;
  any other ``<!`` (a declaration, never valid in a packet) gives the skip up;
- the parser confirms that the tag found is the section: an element ``{packet namespace}PeriodMarks``
  child of the root (``confirm``, called by the loader when its parser reports the start tag).
  Nothing is skipped before that, and a section of a valid packet holds no element of its name, so
  the first end tag of that name outside comments and CDATA closes it.
Anything else (a tag or comment longer than ``LONGEST_RUN`` cut by a read, another encoding, an
empty ``<PeriodMarks/>``) feeds the rest of the file as it is, from the first byte not given to the
parser (a file is read again from there). The schema check parses every byte: a packet that is not
well-formed or not valid is refused by its verdict whatever was skipped here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import IO, Protocol

from lxml import etree

from adapters.packet_fields import qname
from adapters.packet_marks import PERIOD_MARKS

SECTION = PERIOD_MARKS.encode("ascii")
LONGEST_RUN = 1 << 20
"""Bytes kept for the next read at most (a tag, comment or CDATA section cut by a read)."""
_START = re.compile(rb"<(?:[^\s<>/!?:=\"']+:)?" + SECTION + rb"(?=[\s/>])")
_START_TAG = re.compile(rb"""<[^\s<>/!?=\"']+(?:\s+[^\s<>/=\"']+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*\s*(/?)>""")
_END_TAG_CLOSE = re.compile(rb"\s*>")
_OPENERS = (b"<!--", b"<![CDATA[", b"<?")
"""The markup whose text may hold ``<``: comments, CDATA sections, processing instructions (any other
``<!``, a declaration, gives the skip up)."""
_CLOSES = dict(zip(_OPENERS, (b"-->", b"]]>", b"?>"), strict=True))
_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
_UTF8_BOM = b"\xef\xbb\xbf"

SEEK, CONFIRM, SKIP, OFF = "seek", "confirm", "skip", "off"


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class GiveUp(Exception):
    """The bytes read so far cannot be scanned safely."""


Locate = Callable[[bytes, int], tuple[int, int] | None]
"""Where the markup looked for begins and ends in a buffer, searching from a position; ``None`` if not there."""


def find_markup(buffer: bytes, locate: Locate, position: int = 0) -> tuple[tuple[int, int] | None, int]:
    """The first markup ``locate`` finds from ``position`` outside comments, CDATA sections and processing
    instructions, and where the bytes to keep for the next read begin: the markup's start, or, when it
    is not found, the start of a construct not closed yet or of the last tag (either may be cut by the
    read). ``bytes.find`` throughout: the skipped section is most of the file."""
    while True:
        found = locate(buffer, position)
        limit = len(buffer) if found is None else found[0]
        opaque = min(_opener(buffer, b"!", position, limit), _opener(buffer, b"?", position, limit))
        if opaque == len(buffer):
            if found is not None:
                return found, found[0]
            cut = buffer.rfind(b"<", position)
            return None, len(buffer) if cut < 0 else cut
        opener = next((opener for opener in _OPENERS if buffer.startswith(opener, opaque)), None)
        if opener is None:
            if len(buffer) - opaque < len(b"<![CDATA["):  # cut by the read: known with the next one
                return None, opaque
            raise GiveUp
        close = buffer.find(_CLOSES[opener], opaque + len(opener))
        if close < 0:
            return None, opaque
        position = close + len(_CLOSES[opener])


def _opener(buffer: bytes, mark: bytes, position: int, limit: int) -> int:
    """Where the first ``<`` followed by ``mark`` is between ``position`` and ``limit``, else the buffer's
    length. ``mark`` is found alone (a search for a single byte is many times faster than for ``<!``,
    ``<`` being every few bytes), then the byte before it is looked at."""
    at = buffer.find(mark, position + 1, limit)
    while at >= 0:
        if buffer[at - 1] == 0x3C:  # "<"
            return at - 1
        at = buffer.find(mark, at + 1, limit)
    return len(buffer)


def _locate_start(buffer: bytes, position: int) -> tuple[int, int] | None:
    """The section's start tag's ``<`` and the end of its name."""
    while (at := buffer.find(SECTION, position)) >= 0:
        tag = buffer.rfind(b"<", position, at)
        found = _START.match(buffer, tag) if tag >= 0 else None
        if found is not None and found.end() == at + len(SECTION):
            return tag, found.end()
        position = at + 1
    return None


def end_locator(name: bytes) -> Locate:
    """Finds the end tag ``</name>`` (white space allowed before its ``>``)."""
    opening = b"</" + name

    def locate(buffer: bytes, position: int) -> tuple[int, int] | None:
        while (at := buffer.find(opening, position)) >= 0:
            closed = _END_TAG_CLOSE.match(buffer, at + len(opening))
            if closed is not None:
                return at, closed.end()
            if not buffer[at + len(opening):].strip():  # cut by the read: the last ``<`` is kept
                return None
            position = at + 1
        return None

    return locate


class SectionSkip:
    """Reads a packet for the loader's parser, leaving out the ``PeriodMarks`` section's rows."""

    def __init__(self, source: Readable, raw: IO[bytes]):
        self.source = source
        """Where the bytes come from (the loader's ``NoDoctype`` over ``raw``)."""
        self.raw = raw
        """The file, read again from the first byte skipped when the skip is given up."""
        self.state = SEEK
        self.pending = b""
        """Bytes read and not yet given to the parser (nor skipped)."""
        self.read_bytes = 0
        """Bytes read from the file so far."""
        self.started = False
        self.name = b""
        self.end: Locate | None = None
        self.skip_from = 0
        """File offset of the first byte after the section's start tag."""
        self.confirmed = False
        self.skipped = 0
        """Bytes left out (for tests and measurements)."""
        self.deferred = b""
        """Bytes held for the parser's next read (``packet_scan.SectionScan`` giving its scan up)."""

    def confirm(self, element: etree._Element) -> None:
        """The loader's parser reported the start of ``element``, a ``PeriodMarks`` element."""
        parent = element.getparent()
        if self.state == CONFIRM and parent is not None and parent.getparent() is None:
            self.confirmed = element.tag == qname(PERIOD_MARKS)

    def read(self, size: int) -> bytes:
        """The next bytes for the parser; ``b""`` only at the end of the file."""
        while True:
            data = self.source.read(size)
            self.read_bytes += len(data)
            if self.state == OFF:
                out, self.pending = self.pending + data, b""
            else:
                buffer = self.pending + data
                try:
                    out = self._skip(buffer) if self.state == SKIP else self._seek(buffer, end=not data)
                except GiveUp:
                    out = self._give_up(buffer)
                if len(self.pending) > LONGEST_RUN:
                    out += self._give_up(self.pending)
            if not data and not out:  # the end of the file: a section never closed is the parser's to report
                out = self._at_end()
                self.pending, self.state = b"", OFF
            if out or not data or self.deferred:
                return out

    def _at_end(self) -> bytes:
        """What is left for the parser when the file ends (the section's bytes are not)."""
        return b"" if self.state == SKIP else self.pending

    def _give_up(self, buffer: bytes) -> bytes:
        """Feed everything from here on; inside the section, from the first byte skipped."""
        if self.state == SKIP:
            self.raw.seek(self.skip_from)
            self.read_bytes, self.skipped = self.skip_from, 0
            buffer = b""
        self.state, self.pending = OFF, b""
        return buffer

    def _seek(self, buffer: bytes, *, end: bool) -> bytes:
        if not self.started:
            utf8 = self._utf8(buffer)
            if utf8 is None and not end:  # the XML declaration is not whole yet
                self.pending = buffer
                return b""
            self.started = True
            if not utf8:
                return self._give_up(buffer)
        if self.state == CONFIRM:  # the parser has seen the tag found: skip from here, or not at all
            if not self.confirmed:
                return self._give_up(buffer)
            self.state = SKIP
            self.end = end_locator(self.name)
            return self._skip(buffer)
        found, keep = find_markup(buffer, _locate_start)
        if found is not None:
            tag = _START_TAG.match(buffer, found[0])
            if tag is not None and tag.group(1):  # <PeriodMarks/>: nothing to skip
                return self._give_up(buffer)
            if tag is not None:
                self.state = CONFIRM
                self.name = buffer[found[0] + 1 : found[1]]
                self.pending = buffer[tag.end():]
                self.skip_from = self.read_bytes - len(self.pending)
                return buffer[: tag.end()]
        self.pending = buffer[keep:]  # the start tag's end (or a construct's) is in a later read
        return buffer[:keep]

    @staticmethod
    def _utf8(buffer: bytes) -> bool | None:
        """Whether the document is UTF-8 (declared, or by default without a byte order mark of another);
        ``None`` while its XML declaration is cut by the read."""
        if buffer.startswith(_BOMS) or buffer[:1] == b"\x00" or buffer[1:2] == b"\x00":
            return False
        start = len(_UTF8_BOM) if buffer.startswith(_UTF8_BOM) else 0
        if not buffer.startswith(b"<?xml", start):
            return None if len(buffer) < start + len(b"<?xml") else True
        end = buffer.find(b"?>", start)
        if end < 0:
            return None if len(buffer) < 4096 else False
        declaration = buffer[start:end].lower()
        return b"encoding" not in declaration or b"utf-8" in declaration or b"utf8" in declaration

    def _skip(self, buffer: bytes) -> bytes:
        assert self.end is not None
        found, keep = find_markup(buffer, self.end)
        self.skipped += keep
        if found is not None:
            self.state, self.pending = OFF, b""
            return buffer[keep:]
        self.pending = buffer[keep:]
        return b""
