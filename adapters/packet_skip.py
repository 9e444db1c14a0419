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
from typing import IO, Protocol

from adapters.packet_fields import qname

SECTION = b"PeriodMarks"
LONGEST_RUN = 1 << 20
"""Bytes kept for the next read at most (a tag, comment or CDATA section cut by a read)."""
_START = re.compile(rb"<(?:[^\s<>/!?:=\"']+:)?" + SECTION + rb"(?=[\s/>])")
_START_TAG = re.compile(rb"""<[^\s<>/!?=\"']+(?:\s+[^\s<>/=\"']+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*\s*(/?)>""")
_OPAQUE = re.compile(rb"<(!--|!\[CDATA\[|\?|!)")
"""The markup whose text may hold ``<``: comments, CDATA sections, processing instructions (and
declarations, which give the skip up)."""
_CLOSES = {b"!--": b"-->", b"![CDATA[": b"]]>", b"?": b"?>"}
_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
_UTF8_BOM = b"\xef\xbb\xbf"

SEEK, CONFIRM, SKIP, OFF = "seek", "confirm", "skip", "off"


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class _GiveUp(Exception):
    """The bytes read so far cannot be scanned safely."""


def _find(buffer: bytes, pattern: re.Pattern[bytes]) -> tuple[re.Match[bytes] | None, int]:
    """The first match of ``pattern`` outside comments, CDATA sections and processing instructions,
    and, when there is none, where the bytes that may still begin one (or a construct not yet closed)
    start – to be kept for the next read."""
    position = 0
    while True:
        found = pattern.search(buffer, position)
        opaque = _OPAQUE.search(buffer, position, len(buffer) if found is None else found.start())
        if opaque is None:
            if found is not None:
                return found, found.start()
            cut = buffer.rfind(b"<", position)
            return None, len(buffer) if cut < 0 else cut
        kind = opaque.group(1)
        if kind == b"!":
            if len(buffer) - opaque.start() < len(b"<![CDATA["):  # cut by the read: known with the next one
                return None, opaque.start()
            raise _GiveUp
        close = buffer.find(_CLOSES[kind], opaque.end())
        if close < 0:
            return None, opaque.start()
        position = close + len(_CLOSES[kind])


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
        self.end: re.Pattern[bytes] | None = None
        self.skip_from = 0
        """File offset of the first byte after the section's start tag."""
        self.confirmed = False
        self.skipped = 0
        """Bytes left out (for tests and measurements)."""

    def confirm(self, element: object) -> None:
        """The loader's parser reported the start of ``element``, a ``PeriodMarks`` element."""
        parent = getattr(element, "getparent", lambda: None)()
        if self.state == CONFIRM and parent is not None and parent.getparent() is None:
            self.confirmed = getattr(element, "tag", None) == qname(SECTION.decode("ascii"))

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
                except _GiveUp:
                    out = self._give_up(buffer)
                if len(self.pending) > LONGEST_RUN:
                    out += self._give_up(self.pending)
            if not data and not out:  # the end of the file: a section never closed is the parser's to report
                out = b"" if self.state == SKIP else self.pending
                self.pending, self.state = b"", OFF
            if out or not data:
                return out

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
            self.end = re.compile(rb"</" + re.escape(self.name) + rb"\s*>")
            return self._skip(buffer)
        found, keep = _find(buffer, _START)
        if found is not None:
            tag = _START_TAG.match(buffer, found.start())
            if tag is not None and tag.group(1):  # <PeriodMarks/>: nothing to skip
                return self._give_up(buffer)
            if tag is not None:
                self.state = CONFIRM
                self.name = buffer[found.start() + 1 : found.end()]
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
        found, keep = _find(buffer, self.end)
        self.skipped += keep
        if found is not None:
            self.state, self.pending = OFF, b""
            return buffer[keep:]
        self.pending = buffer[keep:]
        return b""
