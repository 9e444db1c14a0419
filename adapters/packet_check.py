"""A large packet's schema checked in a process of its own while the packet is mapped.

libxml2 checks a packet against ``xsd/packet-1.0.0.xsd`` while it parses, on the thread that maps
the rows: for a packet of 100,000 students about 4.4 s of the 25 s that thread spends reading it,
and that thread is what a load waits for. ``SchemaCheck`` runs the validating parse of the same file
in a child process (``python -m adapters.packet_check FILE``) on the other core, while the loader
parses it without the schema; the loader asks for the verdict where it used to learn it – when it
has read the whole packet (libxml2 reports a streaming violation at the end of the document), or
when its own parse fails (a violation found before a syntax error wins, as it did in one parse).

The child parses with the options of the loader's parser (no DTD, no entities, no network, no huge
text nodes, a ``DOCTYPE`` refused), ends with its parent (a worker killed mid-packet leaves no check
running), keeps nothing of the tree and prints its verdict as one line of
JSON: ``{"valid": true}``, ``{"schema": [[line, message], …]}`` or ``{"unsafe": [reason, message]}``, with
its peak RSS (``peak_rss_kib``).

The child also hands the loader the period marks: the loader's own parse skips the bytes of the
``PeriodMarks`` section (``packet_skip``), most of a packet. The child takes most of them from the bytes
without parsing them (``packet_scan``: plain rows checked by a regular expression, the rest given to its
validating parser in place), so a verdict other than valid is had again from one validating parse of
every byte. Its output is a stream of frames (a kind byte, a 4-byte length, the payload): ``C`` the
columns of a batch of plain marks (``marks_columns``: the number of columns, then every column's
values as UTF-8 lines – none of them holds a line break), ``X`` rows that are not plain, as a ``Rows``
element holding them with the section's namespaces (read row by row), ``E`` the end of a
``PeriodMarks`` section, and last ``V`` the verdict. The loader's thread copies the frames into a
temporary file as they come (``_Spool``), so the child never waits for the loader's reading.

The child scans the marks only once the loader asks for them: before the section's first row it
waits for a byte on its standard input, which ``SchemaCheck`` writes when it first wants a frame or
the verdict. Scanned at once, the marks took their CPU (2.7 s for the benchmark's 2,000,000) while
the loader mapped the students – the part of a load both cores are busiest with – and the frames
waited in the spool; scanned as the loader reads them, they take it while the server writes the
marks, which the loader mostly waits for (100,000 students: 1.3 s shorter a stretch, 1.0 s longer the
other, 4,850–4,977 against 4,781–4,801 students/s).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from functools import partial
from itertools import chain
from pathlib import Path
from typing import IO, Any

from lxml import etree

from adapters.packet_fields import qname
from adapters.packet_marks import PERIOD_MARKS, Columns, plain_period_marks
from adapters.packet_scan import SectionScan
from adapters.safexml import STREAM_OPTIONS, UnsafeXml, parse_bytes, syntax_error, truncated_document

_PR_SET_PDEATHSIG = 1
_ROOT = Path(__file__).resolve().parents[1]
"""The directory the ``adapters`` package is imported from (the child runs there)."""
READ_BYTES = 1 << 16
"""Bytes fed to the parser at a time."""
APART_FROM_BYTES = 16 * 2**20
"""Packets from this size on are checked apart; a smaller one is checked by the loader's own parse
(starting the child costs about 0.3 s of CPU)."""
_HEADER = struct.Struct(">cI")
COLUMNS, ROWS, SECTION_END, VERDICT = b"C", b"X", b"E", b"V"
"""The kinds of the child's frames."""


def schema_violations(error: etree.XMLSyntaxError, line: int) -> list[tuple[int, str]]:
    """The schema violations a parse failed with (line, message), ``line`` where libxml2 gives none."""
    return [(entry.line or line, entry.message) for entry in error.error_log if entry.domain_name == "SCHEMASV"]


def check_stream(
    stream: IO[bytes], schema: etree.XMLSchema, out: IO[bytes] | None = None,
    before_marks: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Parse ``stream`` against ``schema`` keeping nothing; the verdict as the child prints it. With
    ``out`` the period marks are written to it as frames, most of them taken from the bytes
    unparsed (``packet_scan``), after calling ``before_marks`` once; a packet refused then is parsed
    again whole, for its refusal."""
    from adapters.packet import SECTIONS, NoDoctype  # the loader's own sections and DOCTYPE check

    etree.clear_error_log()
    # every section's rows are dropped a batch at a time, after every read of the file, once a later row
    # has begun: libxml2 checks the schema on the parser's events, not on the tree
    sections = {qname(section.name) for section in SECTIONS}
    marks = qname(PERIOD_MARKS) if out is not None else None
    root = qname("Packet")
    parser = etree.XMLPullParser(
        events=("start", "end"), tag=[root, *sections], schema=schema, **STREAM_OPTIONS)
    scan = None if out is None else SectionScan(NoDoctype(stream), stream, partial(_send, out), COLUMNS, ROWS,
                                                before_marks)
    source = NoDoctype(stream) if scan is None else scan
    containers: list[etree._Element] = []
    sent = False
    """Whether the first row of the section's tree was sent already (a row the scan gave the parser)."""
    complete = False
    """Whether the root's end was reported: after some syntax errors libxml2's validating parser raises
    nothing and reports no more events (the loader's parse then finds the document cut short)."""
    line = 0
    try:
        while data := source.read(READ_BYTES):
            parser.feed(data)
            for event, element in parser.read_events():
                line = element.sourceline or line
                parent = element.getparent()
                if parent is None:
                    complete = complete or (event == "end" and element.tag == root)
                    continue
                if parent.getparent() is not None:  # a name reused deeper in a row
                    continue
                if event == "start":
                    containers.append(element)
                    if element.tag == marks and scan is not None:
                        scan.confirm(element)
                else:
                    containers.remove(element)
                    if element.tag == marks:
                        assert out is not None and scan is not None
                        if scan.tree_rows:
                            _send_marks(out, element, len(element), sent)
                        _send(out, SECTION_END, b"")
                    del element[:]
            for container in containers:  # every row but the last is complete
                if container.tag == marks and scan is not None and not scan.tree_rows:
                    sent = len(container) > 0  # the scan sent every row it gave the parser
                elif container.tag == marks and len(container) > 1:
                    assert out is not None
                    _send_marks(out, container, len(container) - 1, sent)
                    sent = False
                del container[: len(container) - 1]
        parser.close()
    except etree.XMLSyntaxError as exc:
        if scan is not None:
            return _check_again(stream, schema)
        violations = schema_violations(exc, line)
        if violations:
            return {"schema": [list(violation) for violation in violations]}
        refusal = syntax_error(exc.lineno or syntax_error_line(stream) or line)
        return {"unsafe": [refusal.reason, refusal.message]}
    except UnsafeXml as exc:
        if scan is not None:
            return _check_again(stream, schema)
        return {"unsafe": [exc.reason, exc.message]}
    if not complete:
        if scan is not None:
            return _check_again(stream, schema)
        truncated = truncated_document()
        return {"unsafe": [truncated.reason, truncated.message]}
    return {"valid": True}


def _check_again(stream: IO[bytes], schema: etree.XMLSchema) -> dict[str, Any]:
    """The verdict of one validating parse of every byte, for a packet refused while scanned: the
    parser did not see the rows the scan took, and was fed in other slices (libxml2's messages after
    an error depend on them)."""
    stream.seek(0)
    return check_stream(stream, schema)


def syntax_error_line(stream: IO[bytes]) -> int | None:
    """The line of the first syntax error of ``stream``, read again from its start without the schema:
    a validating parser reports some of them without a line."""
    stream.seek(0)
    parser = etree.XMLPullParser(events=(), **STREAM_OPTIONS)
    try:
        while data := stream.read(READ_BYTES):
            parser.feed(data)
        parser.close()
    except etree.XMLSyntaxError as exc:
        return exc.lineno or None
    return None


def _send(out: IO[bytes], kind: bytes, payload: bytes) -> None:
    out.write(_HEADER.pack(kind, len(payload)))
    out.write(payload)


def _send_marks(out: IO[bytes], container: etree._Element, count: int, sent: bool) -> None:
    """The first ``count`` rows of a ``PeriodMarks`` section: their columns when plain, else their XML;
    ``sent``: the first of them was sent already."""
    if sent and count > 0:
        del container[0]
        count -= 1
    if count <= 0:
        return
    plain = plain_period_marks(container, count)
    if plain is not None:
        _send(out, COLUMNS, "\n".join((str(len(plain)), *chain.from_iterable(plain))).encode("utf-8"))
    else:
        rows = b"".join(etree.tostring(row, with_tail=False) for row in container[:count])
        _send(out, ROWS, b"<Rows>" + rows + b"</Rows>")


def marks_columns(payload: bytes) -> Columns:
    """The columns of a ``C`` frame (``packet_marks.Columns``): the number of columns, then their lines,
    a column after the other."""
    lines = payload.decode("utf-8").split("\n")
    columns = int(lines[0])
    count = (len(lines) - 1) // columns
    return [lines[1 + column * count : 1 + (column + 1) * count] for column in range(columns)]


def marks_rows(payload: bytes) -> list[etree._Element]:
    """The rows of an ``X`` frame (a ``Rows`` element holding them), parsed by the hardened parser."""
    return [row for row in parse_bytes(payload, max_bytes=len(payload)) if isinstance(row.tag, str)]


class _Spool:
    """Copies the child's output into a temporary file as it comes, on a thread of its own, so the
    child never waits for the loader; ``read`` waits until the bytes it asks for are there."""

    def __init__(self, pipe: IO[bytes]):
        self.pipe = pipe
        self.file = tempfile.TemporaryFile(prefix="kontingent-marks-")  # noqa: SIM115 – closed by close()
        self.size = 0
        self.done = False
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._copy, name="packet-check-spool", daemon=True)
        self.thread.start()

    def _copy(self) -> None:
        source, target = self.pipe.fileno(), self.file.fileno()
        try:
            while data := os.read(source, 1 << 20):
                view = memoryview(data)
                while view:
                    view = view[os.write(target, view):]
                with self.changed:
                    self.size += len(data)
                    self.changed.notify_all()
        except OSError:
            pass
        finally:
            with self.changed:
                self.done = True
                self.changed.notify_all()

    def read(self, offset: int, size: int) -> bytes | None:
        """``size`` bytes from ``offset``, once written; ``None`` if the child ended before."""
        with self.changed:
            self.changed.wait_for(lambda: self.size >= offset + size or self.done)
            if self.size < offset + size:
                return None
        return os.pread(self.file.fileno(), size, offset)

    def close(self) -> None:
        self.thread.join()
        self.file.close()


class SchemaCheck:
    """The validating parse of one packet file, running in a child process from its creation."""

    def __init__(self, path: Path):
        self.process: subprocess.Popen[bytes] | None = subprocess.Popen(
            [sys.executable, "-m", "adapters.packet_check", str(path)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=_ROOT,
        )
        assert self.process.stdout is not None
        self.spool: _Spool | None = _Spool(self.process.stdout)
        self.offset = 0
        """Where the next frame starts in the spool."""
        self.verdict: dict[str, Any] | None = None

    def _go_on(self) -> None:
        """Let the child scan the marks (it waits before them for a byte on its standard input); a
        child that ended already is told nothing."""
        stdin = None if self.process is None else self.process.stdin
        if stdin is not None and not stdin.closed:
            # a child that ended meanwhile takes nothing: its verdict, or its death, is read from the spool
            with contextlib.suppress(OSError):
                stdin.write(b"\n")
            with contextlib.suppress(OSError):
                stdin.close()

    def _frame(self) -> tuple[bytes, bytes]:
        """The next frame; a child that ended without its verdict is an error."""
        assert self.spool is not None
        self._go_on()
        header = self.spool.read(self.offset, _HEADER.size)
        if header is not None:
            kind, size = _HEADER.unpack(header)
            payload = self.spool.read(self.offset + _HEADER.size, size) if size else b""
            if payload is not None:
                self.offset += _HEADER.size + size
                return kind, payload
        code = self.process.wait() if self.process is not None else None
        raise RuntimeError(f"the packet's schema check ended without a verdict (exit code {code})")

    def marks(self) -> Iterator[tuple[bytes, bytes]]:
        """The frames of the next ``PeriodMarks`` section (``COLUMNS`` and ``ROWS``), up to its end;
        they stop early when the verdict comes first (the file ended, or broke, inside the section)."""
        while self.verdict is None:
            kind, payload = self._frame()
            if kind == SECTION_END:
                return
            if kind == VERDICT:
                self._end(payload)
                return
            yield kind, payload

    def wait(self) -> dict[str, Any]:
        """The child's verdict (waits for it); a child that died says nothing and is an error."""
        while self.verdict is None:
            kind, payload = self._frame()
            if kind == VERDICT:
                self._end(payload)
        return self.verdict

    def _end(self, payload: bytes) -> None:
        self.verdict = json.loads(payload.decode("utf-8"))
        self.stop()

    def stop(self) -> None:
        """End the child if it is still running (the load ended first), and drop its spool."""
        if self.process is not None:
            if self.verdict is None:
                self.process.kill()
            self.process.wait()
            if self.process.stdin is not None:
                with contextlib.suppress(OSError):  # a byte it held could not reach a child that ended
                    self.process.stdin.close()
            self.process = None
        if self.spool is not None:
            self.spool.close()
            self.spool = None


def _peak_rss_kib() -> int | None:
    """This process's peak RSS since it was started (``VmHWM``; ``ru_maxrss`` also counts the copy
    of the parent it was forked as before it ran Python); ``None`` where ``/proc`` has no such line."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _end_with_parent() -> None:
    """Have the kernel end this process when its parent (the loader) ends: a worker killed in the
    middle of a packet leaves no check running on (Linux; elsewhere the check runs to its end). Linux
    sends the signal when the thread that started the child ends: ``SchemaCheck`` is made by the thread
    that reads the packet and waits for the verdict, which outlives it."""
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent ended before the request
        os._exit(1)


def _wait_for_loader() -> None:
    """Wait until the loader asks for the marks (a byte, or the end of the standard input)."""
    sys.stdin.buffer.read(1)


def main(argv: list[str]) -> int:
    _end_with_parent()
    from adapters.packet import packet_schema

    out = sys.stdout.buffer
    with open(argv[1], "rb") as stream:
        verdict = check_stream(stream, packet_schema(), out, _wait_for_loader)
    verdict["peak_rss_kib"] = _peak_rss_kib()
    _send(out, VERDICT, json.dumps(verdict, ensure_ascii=False).encode("utf-8"))
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
