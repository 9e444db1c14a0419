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
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

from lxml import etree

from adapters.packet_fields import qname
from adapters.safexml import STREAM_OPTIONS, UnsafeXml, syntax_error

_PR_SET_PDEATHSIG = 1
_ROOT = Path(__file__).resolve().parents[1]
"""The directory the ``adapters`` package is imported from (the child runs there)."""
READ_BYTES = 1 << 16
"""Bytes fed to the parser at a time."""
APART_FROM_BYTES = 16 * 2**20
"""Packets from this size on are checked apart; a smaller one is checked by the loader's own parse
(starting the child costs about 0.3 s of CPU)."""
def schema_violations(error: etree.XMLSyntaxError, line: int) -> list[tuple[int, str]]:
    """The schema violations a parse failed with (line, message), ``line`` where libxml2 gives none."""
    return [(entry.line or line, entry.message) for entry in error.error_log if entry.domain_name == "SCHEMASV"]


def check_stream(stream: IO[bytes], schema: etree.XMLSchema) -> dict[str, Any]:
    """Parse ``stream`` against ``schema`` keeping nothing; the verdict as the child prints it."""
    from adapters.packet import SECTIONS, NoDoctype  # the loader's own sections and DOCTYPE check

    etree.clear_error_log()
    # every section's rows are dropped a batch at a time, after every read of the file, once a later row
    # has begun: libxml2 checks the schema on the parser's events, not on the tree
    sections = {qname(section.name) for section in SECTIONS}
    parser = etree.XMLPullParser(
        events=("start", "end"), tag=list(sections), schema=schema, **STREAM_OPTIONS)
    source = NoDoctype(stream)
    containers: list[etree._Element] = []
    line = 0
    try:
        while data := source.read(READ_BYTES):
            parser.feed(data)
            for event, element in parser.read_events():
                line = element.sourceline or line
                parent = element.getparent()
                if parent is None or parent.getparent() is not None:  # a name reused deeper in a row
                    continue
                if event == "start":
                    containers.append(element)
                else:
                    containers.remove(element)
                    del element[:]
            for container in containers:  # every row but the last is complete
                if len(container) > 1:
                    del container[: len(container) - 1]
        parser.close()
    except etree.XMLSyntaxError as exc:
        violations = schema_violations(exc, line)
        if violations:
            return {"schema": [list(violation) for violation in violations]}
        refusal = syntax_error(exc.lineno or line)
        return {"unsafe": [refusal.reason, refusal.message]}
    except UnsafeXml as exc:
        return {"unsafe": [exc.reason, exc.message]}
    return {"valid": True}


class SchemaCheck:
    """The validating parse of one packet file, running in a child process from its creation."""

    def __init__(self, path: Path):
        self.process: subprocess.Popen[bytes] | None = subprocess.Popen(
            [sys.executable, "-m", "adapters.packet_check", str(path)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=_ROOT,
        )
        self.verdict: dict[str, Any] | None = None

    def wait(self) -> dict[str, Any]:
        """The child's verdict (waits for it); a child that died says nothing and is an error."""
        if self.verdict is None:
            assert self.process is not None
            out, _ = self.process.communicate()
            code, self.process = self.process.returncode, None
            try:
                self.verdict = json.loads(out.decode("utf-8").splitlines()[-1])
            except (ValueError, IndexError) as exc:
                raise RuntimeError(f"the packet's schema check ended without a verdict (exit code {code})") from exc
        return self.verdict

    def stop(self) -> None:
        """End the child if it is still running (the load ended first)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


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


def main(argv: list[str]) -> int:
    _end_with_parent()
    from adapters.packet import packet_schema

    with open(argv[1], "rb") as stream:
        verdict = check_stream(stream, packet_schema())
    verdict["peak_rss_kib"] = _peak_rss_kib()
    sys.stdout.write(json.dumps(verdict, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
