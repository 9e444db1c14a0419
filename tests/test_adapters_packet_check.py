"""A large packet's schema checked by a child process (``adapters.packet_check``) while the loader
parses it without the schema: the same rows, errors and refusals as one validating parse."""

import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adapters import packet as packet_module
from adapters.packet import PacketSchemaError, iter_packet
from adapters.packet_check import SchemaCheck
from adapters.packet_fields import NS
from adapters.safexml import UnsafeXml

SAMPLES = Path(__file__).parent / "samples"
APART, INLINE = 0, 2**62
"""``check_apart_from``: every file checked apart, or none."""


def chunks(path: Path, check_apart_from: int) -> list:
    return [(chunk.section, chunk.records, chunk.errors)
            for chunk in iter_packet(path, chunk_size=2, check_apart_from=check_apart_from)]


def refusal(path: Path, check_apart_from: int) -> tuple[type, tuple[str, ...]]:
    with pytest.raises((PacketSchemaError, UnsafeXml)) as caught:
        chunks(path, check_apart_from)
    error = caught.value
    if isinstance(error, PacketSchemaError):
        return type(error), tuple(issue.message for issue in error.issues)
    return type(error), (error.reason,)


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.glob("packet-*.xml")))
def test_a_packet_checked_apart_maps_as_one_validating_parse(sample):
    path = SAMPLES / sample
    apart = chunks(path, APART)
    assert apart == chunks(path, INLINE)
    assert sum(len(records) for _section, records, _errors in apart) > 0


def broken(tmp_path: Path, old: bytes, new: bytes, *, tail: bytes | None = None) -> Path:
    data = (SAMPLES / "packet-school.xml").read_bytes()
    assert old in data
    data = data.replace(old, new, 1)
    if tail is not None:
        data = data[: data.rindex(b"</Packet>")] + tail
    path = tmp_path / "broken.xml"
    path.write_bytes(data)
    return path


def test_a_schema_violation_found_apart_refuses_the_packet(tmp_path):
    path = broken(tmp_path, b"<Snils>112-233-445 95</Snils>", b"<Snils>1122</Snils>")
    kind, messages = refusal(path, APART)
    assert kind is PacketSchemaError and any("Snils" in message for message in messages)
    assert (kind, messages) == refusal(path, INLINE)


def test_a_violation_before_a_syntax_error_is_reported_as_the_violation(tmp_path):
    path = broken(tmp_path, b"<Snils>112-233-445 95</Snils>", b"<Snils>1122</Snils>", tail=b"<a></b></Packet>")
    assert refusal(path, APART) == refusal(path, INLINE)
    assert refusal(path, APART)[0] is PacketSchemaError


@pytest.mark.parametrize(
    "data",
    [
        b'<!DOCTYPE p [<!ENTITY x "x">]><Packet xmlns="' + NS.encode() + b'">&x;</Packet>',
        (SAMPLES / "packet-school.xml").read_bytes()[:-200],
        (SAMPLES / "packet-school.xml").read_bytes().replace(b"</LastName>", b"</Last>", 1),
        (SAMPLES / "packet-school.xml").read_bytes() + b"<Packet/>",
        # libxml2's validating parser raises nothing here and reports no more events: the check found
        # such a packet valid, and the loader, checking apart, took the rows before the error
        (SAMPLES / "packet-school.xml").read_bytes().replace(b"<LastName>", b"<Last'Name>", 1),
    ],
    ids=["doctype", "truncated", "mismatched-tag", "two-roots", "quote-in-a-tag-name"],
)
def test_unsafe_or_broken_xml_is_refused_as_by_one_parse(tmp_path, data):
    path = tmp_path / "bad.xml"
    path.write_bytes(data)
    assert refusal(path, APART) == refusal(path, INLINE)
    assert refusal(path, APART)[0] is UnsafeXml


def test_a_child_that_ends_without_a_verdict_fails_the_load(tmp_path):
    path = tmp_path / "packet.xml"
    shutil.copy(SAMPLES / "packet-school.xml", path)
    check = SchemaCheck(path)
    assert check.process is not None
    check.process.kill()
    with pytest.raises(RuntimeError, match="without a verdict"):
        check.wait()


def test_the_child_is_ended_when_the_load_stops_early(monkeypatch, tmp_path):
    started: list[SchemaCheck] = []

    class Recorded(SchemaCheck):
        def __init__(self, path: Path):
            super().__init__(path)
            started.append(self)

    monkeypatch.setattr(packet_module, "SchemaCheck", Recorded)
    stream = iter_packet(SAMPLES / "packet-mixed.xml", chunk_size=1, check_apart_from=APART)
    next(stream)
    assert started and started[0].process is not None
    child = started[0].process
    stream.close()
    assert started[0].process is None and child.returncode is not None


def test_a_small_file_is_checked_by_the_loaders_own_parse(monkeypatch):
    monkeypatch.setattr(packet_module, "SchemaCheck", None)  # would fail if called
    assert chunks(SAMPLES / "packet-school.xml", INLINE)


LOADER = """
import sys, time
from pathlib import Path
from adapters.packet_check import SchemaCheck
check = SchemaCheck(Path(sys.argv[1]))
print(check.process.pid, flush=True)
time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in status)
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")
def test_the_check_ends_with_a_loader_killed_mid_packet(tmp_path):
    """A worker killed (SIGKILL) in the middle of a packet leaves no check behind: the child asked the
    kernel to end it with its parent. The packet here is a pipe nobody writes to: the check waits on it."""
    pipe = tmp_path / "packet.xml"
    os.mkfifo(pipe)
    loader = subprocess.Popen([sys.executable, "-c", LOADER, str(pipe)], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[1])
    assert loader.stdout is not None
    child = int(loader.stdout.readline())
    deadline = time.monotonic() + 20
    writer = None
    while writer is None and time.monotonic() < deadline:  # the child opens the pipe after asking for the signal
        try:
            writer = os.open(pipe, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            time.sleep(0.05)
    assert writer is not None and _alive(child)
    try:
        loader.kill()
        loader.wait()
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child)
    finally:
        os.close(writer)


def _waits_on_a_pipe(pid: int) -> bool:
    """Whether the process is blocked reading a pipe (its standard input): the kernel function it sleeps
    in, or – where that is hidden – the system call it is in (``read`` of descriptor 0 on x86-64)."""
    try:
        with open(f"/proc/{pid}/wchan", encoding="ascii") as wchan:
            if "pipe_read" in wchan.read():
                return True
        if platform.machine() == "x86_64":
            with open(f"/proc/{pid}/syscall", encoding="ascii") as syscall:
                return syscall.read().startswith("0 0x0 ")
    except (FileNotFoundError, PermissionError):
        pass
    return False


@pytest.mark.skipif(not Path("/proc/self/wchan").exists(), reason="needs Linux's /proc")
def test_the_child_scans_the_marks_only_when_the_loader_asks(tmp_path):
    """The child validates up to the marks and waits there (reading its standard input) until the loader
    wants a frame or the verdict: the marks' CPU is spent while the server writes them, not while the
    loader maps the students."""
    from tests.test_adapters_packet_skip import packet

    path = tmp_path / "packet.xml"
    path.write_bytes(packet())
    check = SchemaCheck(path)
    try:
        assert check.process is not None and check.spool is not None
        deadline = time.monotonic() + 30
        while not _waits_on_a_pipe(check.process.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _waits_on_a_pipe(check.process.pid)  # at the marks, waiting for the loader
        time.sleep(0.2)
        assert check.spool.size == 0 and check.process.poll() is None  # nothing scanned, nothing sent
        frames = list(check.marks())  # asking for them lets it go on
        assert frames and all(kind in {b"C", b"X"} for kind, _ in frames)
        assert check.wait()["valid"] is True
    finally:
        check.stop()
