"""The schema check's child takes plain quarter marks from the bytes without parsing them
(``packet_scan``): every row reaches the loader once and in order, plain rows as columns and the rest
as their XML; a valid packet is found valid without a second parse, and any other gets the verdict
of one validating parse of every byte."""

from __future__ import annotations

import io
import os
import random
import re
import struct
from pathlib import Path

import pytest
from lxml import etree

from adapters import packet_check, packet_skip
from adapters.packet import packet_schema
from adapters.packet_check import COLUMNS, ROWS, SECTION_END, VERDICT, check_stream, marks_columns, marks_rows
from adapters.packet_fields import NS
from adapters.packet_scan import SectionScan, plain_run
from adapters.safexml import UnsafeXml, parse_bytes
from tests.test_adapters_packet_skip import (
    APART,
    INLINE,
    marks_of,
    packet,
    period_mark,
    recorded,
    refusal,
    slices,
)

HEADER = struct.Struct(">cI")

PRETTY = ("<PeriodMark providerRef = \"p-pretty=1\" >\n  <StudentRef>s1</StudentRef>\r\n"
          "  <SubjectRef>sub1</SubjectRef>\n  <PeriodRef>q2</PeriodRef>\t<SchoolYear>2024/2025</SchoolYear>\n"
          "  <Scale>five_point</Scale>\n  <Value>5</Value>\n</PeriodMark>\n")
ODD = {
    # rows the scan leaves to the parser: each is valid, and reaches the loader as its XML
    "annual, commented": period_mark(1001).replace("<PeriodRef>q2</PeriodRef>", "<Kind>annual</Kind><!-- -->"),
    "no value": period_mark(1002, "x").replace("<Scale>five_point</Scale><Value>x</Value>", "<Scale>na</Scale>"),
    "character reference": period_mark(1003, "&#52;"),
    "cdata": period_mark(1004, "<![CDATA[4]]>"),
    "cyrillic reference": period_mark(1005).replace("providerRef='p1005'", "providerRef='отметка-1005'"),
    "spaces to collapse": period_mark(1006, " 4 "),
    "prefixed": period_mark(1007).replace("<PeriodMark ", "<x:PeriodMark ").replace("</PeriodMark>",
                                                                                      "</x:PeriodMark>"),
    "namespace declared": period_mark(1008).replace("<PeriodMark ", f"<PeriodMark xmlns='{NS}' "),
    "apostrophe in a reference": period_mark(1009).replace("providerRef='p1009'", "providerRef=\"p'1009\""),
    "comment inside": period_mark(1010).replace("<Scale>", "<!-- </PeriodMark> --><Scale>"),
    "end tag with a space": period_mark(1011).replace("</PeriodMark>", "</PeriodMark >"),
}
ODD_REFS = {4: "отметка-1005", 8: "p'1009"}
SECTION = f"<PeriodMarks xmlns:x='{NS}'>"


@pytest.fixture
def scans(monkeypatch) -> list[SectionScan]:
    return recorded(monkeypatch, packet_check, "SectionScan")


def frames(data: bytes) -> tuple[dict, list[tuple[bytes, bytes]]]:
    out = io.BytesIO()
    verdict = check_stream(io.BytesIO(data), packet_schema(), out)
    return verdict, _frames_of(out.getvalue())


def refs_sent(sent: list[tuple[bytes, bytes]]) -> tuple[list[str], int]:
    """The references of the rows sent, in order, and how many were sent as columns."""
    refs, plain = [], 0
    for kind, payload in sent:
        if kind == COLUMNS:
            column = marks_columns(payload)[0]
            refs += column
            plain += len(column)
        elif kind == ROWS:
            refs += [row.get("providerRef") for row in marks_rows(payload)]
        else:
            assert kind == SECTION_END
    return refs, plain


@pytest.fixture
def one_parse(monkeypatch):
    """A valid packet is found valid by the scanned parse alone."""
    def again(*_args):
        raise AssertionError("parsed again")

    monkeypatch.setattr(packet_check, "_check_again", again)


def plain_mark(n: int) -> str:
    """A plain row: a quarter mark, or every seventh an annual and every eleventh a final one."""
    kind = "annual" if n % 7 == 3 else "final" if n % 11 == 5 else None
    row = period_mark(n)
    return row if kind is None else re.sub("<PeriodRef>q.</PeriodRef>", f"<Kind>{kind}</Kind>", row)


def mixed_marks() -> tuple[str, list[str], int]:
    rows, refs = [], []
    for n, odd in enumerate(ODD.values()):
        plain = [plain_mark(n * 40 + k) for k in range(n % 3 * 20)]  # runs of 0, 20 and 40 plain rows
        rows += [*plain, odd]
        refs += [f"p{n * 40 + k}" for k in range(len(plain))]
        refs.append(ODD_REFS.get(n, f"p{1001 + n}"))
    rows.append(PRETTY)
    refs.append("p-pretty=1")
    # a piece ends with the first end tag ``</PeriodMark>``: the prefixed row's takes the next row along
    return "".join(rows), refs, len(refs) - len(ODD) - 1


@pytest.mark.parametrize("read_bytes", [1 << 16, 101, 7])
def test_plain_rows_go_as_columns_and_the_others_as_their_xml(monkeypatch, one_parse, scans, read_bytes):
    monkeypatch.setattr(packet_check, "READ_BYTES", read_bytes)  # rows, tags and comments cut anywhere
    marks, refs, plain = mixed_marks()
    verdict, sent = frames(packet(marks=marks, start=SECTION))
    assert verdict == {"valid": True}
    assert refs_sent(sent) == (refs, plain)
    assert sent[-1] == (SECTION_END, b"") and VERDICT not in {kind for kind, _ in sent}
    assert not scans[-1].given_up


def test_the_marks_are_scanned_only_after_the_hook_before_them(one_parse):
    marks, refs, plain = mixed_marks()
    out = io.BytesIO()
    written_before: list[int] = []
    verdict = check_stream(io.BytesIO(packet(marks=marks, start=SECTION)), packet_schema(), out,
                           lambda: written_before.append(len(out.getvalue())))
    assert verdict == {"valid": True}
    assert written_before == [0]  # once, before the first frame
    sent = _frames_of(out.getvalue())
    assert refs_sent(sent) == (refs, plain)
    assert sent == frames(packet(marks=marks, start=SECTION))[1]  # the frames sent without the hook


def test_a_packet_without_marks_never_calls_the_hook(one_parse):
    called: list[bool] = []
    data = packet(marks="", start="", end="")
    verdict = check_stream(io.BytesIO(data), packet_schema(), io.BytesIO(), lambda: called.append(True))
    assert verdict == {"valid": True} and called == []


def _frames_of(view: bytes) -> list[tuple[bytes, bytes]]:
    sent, at = [], 0
    while at < len(view):
        kind, size = HEADER.unpack_from(view, at)
        sent.append((kind, view[at + HEADER.size : at + HEADER.size + size]))
        at += HEADER.size + size
    return sent


def test_the_loader_maps_the_scanned_rows_as_one_validating_parse(tmp_path):
    marks, refs, _plain = mixed_marks()
    path = tmp_path / "packet.xml"
    path.write_bytes(packet(marks=marks, start=SECTION))
    apart = slices(path, APART)
    assert apart == slices(path, INLINE)
    errors = [(error.row, error.field) for section, _, errors in apart if section == "PeriodMarks" for error in errors]
    mapped = [record.ref for record in marks_of(apart)]
    assert len(mapped) + len(errors) == len(refs) and mapped == [ref for ref in refs if ref in mapped]


def test_a_section_of_one_plain_row_is_valid(one_parse):
    verdict, sent = frames(packet(marks=period_mark(7)))
    assert verdict == {"valid": True} and refs_sent(sent) == (["p7"], 1)


def test_plain_columns_of_rows_written_any_way():
    rows = (PRETTY + period_mark(3)).encode()
    end, payload = plain_run(rows, 0)
    assert end == len(rows.rstrip())
    assert marks_columns(payload) == [
        ["p-pretty=1", "p3"], ["s1", "s3"], ["sub1", "sub1"], ["q2", "q4"], ["2024/2025"] * 2, ["five_point"] * 2,
        ["5", "3"]]
    rows += plain_mark(10).encode() + plain_mark(5).encode()  # an annual and a final mark
    assert marks_columns(plain_run(rows, 0)[1]) == [
        ["p-pretty=1", "p3", "p10", "p5"], ["s1", "s3", "s10", "s5"], ["sub1", "sub1", "sub0", "sub1"],
        ["q2", "q4", "", ""], ["2024/2025"] * 4, ["five_point"] * 4, ["5", "3", "4", "5"],
        ["period", "period", "annual", "final"]]
    for odd in ODD.values():
        assert plain_run(odd.encode(), 0)[0] == 0


def test_a_long_piece_gives_the_scan_up_and_the_tree_sends_the_rest(monkeypatch, one_parse, scans):
    monkeypatch.setattr(packet_skip, "LONGEST_RUN", 500)
    monkeypatch.setattr(packet_check, "READ_BYTES", 101)  # the comment is longer than a read
    marks = [period_mark(n) for n in range(300)]
    marks.insert(150, f"<!-- {'x' * 2000} -->")
    verdict, sent = frames(packet(marks="".join(marks)))
    assert verdict == {"valid": True}
    assert refs_sent(sent)[0] == [f"p{n}" for n in range(300)]
    assert scans[-1].given_up


REFUSED = {
    "nested row": period_mark(1).replace("<Scale>", period_mark(2) + "<Scale>") + period_mark(3) + period_mark(4),
    "nested row in a field": period_mark(1).replace("s1<", "s1" + period_mark(2) + "<") + period_mark(3),
    "unknown element": period_mark(1) + "<Other/>" + period_mark(2),
    "text between rows": period_mark(1) + "text" + period_mark(2),
    "declaration": period_mark(1) + "<!ELEMENT x ANY>" + period_mark(2),
    "end tag in an attribute": period_mark(1) + "<PeriodMark providerRef='</PeriodMark>'>" + period_mark(2),
    "unclosed row": period_mark(1) + "<PeriodMark providerRef='a'><StudentRef>s1</StudentRef>" + period_mark(2),
    "bad value": period_mark(1) + period_mark(2, "4</Value><Value>5") + period_mark(3),
    "no rows": "\n",
}


@pytest.mark.parametrize("marks", REFUSED.values(), ids=REFUSED.keys())
def test_a_refused_packet_gets_the_verdict_of_one_validating_parse(marks):
    data = packet(marks=marks)
    verdict, _sent = frames(data)
    assert "valid" not in verdict
    assert verdict == check_stream(io.BytesIO(data), packet_schema())


@pytest.mark.parametrize(("start", "cut"), [
    ("<PeriodMarks xmlns='urn:other'>", None),  # a section of another namespace
    (f"<x:PeriodMarks xmlns:x='{NS}' xmlns='urn:other'>", None),  # the section's, rows of another: not scanned
    ("<PeriodMarks>", b"<Value>4</Va"),  # the file ends inside a row
    ("<PeriodMarks>", b"</PeriodMarks>"),  # or after the section
])
def test_rows_of_another_namespace_or_a_truncated_file_get_the_verdict_of_one_parse(start, cut):
    end = "</x:PeriodMarks>" if start.startswith("<x:") else "</PeriodMarks>"
    data = packet(marks="".join(period_mark(n) for n in range(60)), start=start, end=end)
    if cut is not None:
        data = data[: data.rindex(cut) + len(cut)]
    verdict, _sent = frames(data)
    assert verdict == check_stream(io.BytesIO(data), packet_schema())
    if cut is None:
        assert "schema" in verdict
    else:
        assert verdict == {"unsafe": ["syntax", "Синтаксическая ошибка XML: документ оборван"]}


def test_the_benchmark_packet_is_sent_as_columns(tmp_path, one_parse):
    """The benchmark's rows (``bench/bench_intake.py``) are plain: the parser is given one of them."""
    import bench.bench_intake as bench

    path = tmp_path / "packet.xml"
    with path.open("w", encoding="utf-8") as stream:
        marks = bench.write_packet(stream, students=50, subjects=2, inn="7707083893")
    verdict, sent = frames(Path(path).read_bytes())
    assert verdict == {"valid": True}
    refs, plain = refs_sent(sent)
    assert plain == marks == len(refs) == len(set(refs))


SNIPPETS = [
    "<", ">", "&", "&amp;", "'", '"', "=", "\n", " ", "x", "]]>", "</PeriodMark>", "</PeriodMarks>", "<PeriodMark>",
    "<PeriodMark providerRef='z'>", "<!--", "-->", "<!-- c -->", "<![CDATA[", "<![CDATA[5]]>", "<?pi x?>", "<?",
    "<!ELEMENT x ANY>", "<x:PeriodMark providerRef='y'>", "</x:PeriodMark>", "<Value>", "</Value>", "&#52;", "é",
]
"""What the fuzzing below puts into a section: markup that could mislead a scan of the bytes."""
KEEPING = [
    # edits that keep a packet valid: white space, comments and instructions between rows or fields,
    # the other quote, CDATA and character references in texts, a declared prefix
    (r"(</PeriodMark>)", r"\1 <!-- </PeriodMark> --> "),
    (r"(</StudentRef>)", r"\1<?pi </PeriodMark>?>"),
    (r"providerRef='([^']*)'", r'providerRef="\1"'),
    (r"<Value>(\d)</Value>", r"<Value><![CDATA[\1]]></Value>"),
    (r"<Value>(\d)</Value>", r"<Value>&#5\1;</Value>"),
    (r"<PeriodMark (.*?)</PeriodMark>", r"<x:PeriodMark \1</x:PeriodMark>"),
    (r"(<SchoolYear>)", "\n\t\\1"),
]


def rows_of_section(data: bytes) -> list[tuple]:
    """Each row of the section as the loader's own parse of every byte reads it: reference and fields' texts."""
    section = parse_bytes(data, max_bytes=len(data)).find(f"{{{NS}}}PeriodMarks")
    return [row_of(row) for row in section if isinstance(row.tag, str)]


def row_of(row: etree._Element) -> tuple:
    return (row.get("providerRef"), *(field.text for field in row if isinstance(field.tag, str)))


def rows_sent(sent: list[tuple[bytes, bytes]]) -> list[tuple]:
    rows: list[tuple] = []
    for kind, payload in sent:
        if kind == COLUMNS:
            rows += zip(*marks_columns(payload), strict=True)
        elif kind == ROWS:
            rows += map(row_of, marks_rows(payload))
    return rows


@pytest.mark.parametrize("seed", range(int(os.environ.get("FUZZ_SEEDS", "200"))))
def test_fuzzed_sections_get_the_verdict_and_rows_of_one_validating_parse(monkeypatch, tmp_path, seed):
    rng = random.Random(seed)
    monkeypatch.setattr(packet_check, "READ_BYTES", rng.choice([7, 61, 250, 1 << 16]))
    marks = "".join(period_mark(n) for n in range(12)) + "".join(rng.sample(list(ODD.values()), 3))
    for pattern, replacement in rng.sample(KEEPING, rng.randrange(len(KEEPING))):
        marks = re.sub(pattern, replacement, marks, count=rng.randrange(1, 4))
    if seed % 3:  # a third stay valid; the others get markup anywhere in the section
        for _ in range(rng.randrange(1, 4)):
            at = rng.randrange(len(marks) + 1)
            marks = marks[:at] + rng.choice(SNIPPETS) + marks[at + rng.choice([0, 0, 1, 5]):]
    data = packet(marks=marks, start=SECTION)
    verdict, sent = frames(data)
    assert verdict == check_stream(io.BytesIO(data), packet_schema())
    if verdict != {"valid": True}:
        return
    try:
        rows = rows_of_section(data)
    except UnsafeXml:  # not well-formed where a streaming check says nothing (the file ends inside a
        path = tmp_path / "packet.xml"  # comment): the loader refuses it as one validating parse does
        path.write_bytes(data)
        assert refusal(path, APART) == refusal(path, INLINE)
        return
    assert rows_sent(sent) == rows
