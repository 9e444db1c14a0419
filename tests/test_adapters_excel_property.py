"""Malformed cells never make the Excel adapter raise anything but ``TemplateError``."""

import datetime as dt
import io
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from adapters.excel_kinds import KINDS
from adapters.excel_read import TemplateError, map_rows, read_upload
from adapters.excel_template import build_template
from adapters.records import BatchHeader, MappedBatch, PeriodMarkRecord, QueueApplicationRecord, StudentRecord
from adapters.rowerrors import ROW_ERROR_TEMPLATES

NOW = dt.datetime(2025, 10, 1, tzinfo=dt.UTC)
TODAY = NOW.date()
TEMPLATES = {kind: build_template(kind) for kind in KINDS}

texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
tricky = st.sampled_from(
    ["", " ", "5А", "31.02.2014", "01.09.2025", "2025/2026", "7707083893", "123-456-789 64", "Мужской", "М", "5",
     "Зачтено", "н/а", "Очная", "Четверть", "1e5", "NaN", "-0", "٣", "2024/2025", "IV-АБ", "Родитель"]
)
cells = st.one_of(
    texts,
    tricky,
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(min_value=dt.date(1, 1, 1)),
    st.datetimes(),
    st.times(),
    st.timedeltas(),
)


@st.composite
def sheets(draw, kind):
    """Rows as calamine gives them: a keys row, a header row, then data of any shape."""
    columns = KINDS[kind].columns
    keys = [column.key for column in columns]
    data = draw(st.lists(st.lists(cells, min_size=len(keys), max_size=len(keys)), max_size=6))
    return [keys, [column.header for column in columns], *data]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(KINDS)), data=st.data())
def test_any_cell_values_become_records_or_row_errors(kind, data):
    rows = data.draw(sheets(kind))
    mapper, errors = map_rows(KINDS[kind], rows, today=TODAY)
    headers = {column.header for column in KINDS[kind].columns}
    for error in errors:
        assert error.code in ROW_ERROR_TEMPLATES
        assert 3 <= error.row <= len(rows)
        assert error.field in headers
        assert error.section == KINDS[kind].section
    batch = mapper.batch(BatchHeader(packet_id="p", provider="EXCEL", created=NOW), tuple(errors))
    kept = {record.row for record in (*batch.students, *batch.period_marks, *batch.queue_applications)}
    assert not kept & {error.row for error in errors if error.severity == "error"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(KINDS)), data=st.data())
def test_filled_templates_with_any_values_read_without_raising(kind, data):
    workbook = load_workbook(io.BytesIO(TEMPLATES[kind]))
    sheet = workbook[KINDS[kind].title]
    printable = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)
    values = st.one_of(printable, tricky, st.integers(-(10**15), 10**15), st.dates(min_value=dt.date(1900, 3, 1)))
    for row in range(3, 3 + data.draw(st.integers(1, 3))):
        for column in data.draw(st.sets(st.integers(1, len(KINDS[kind].columns)), max_size=8)):
            value = data.draw(values)
            sheet.cell(row=row, column=column, value=value if not isinstance(value, str) else value or None)
    stream = io.BytesIO()
    workbook.save(stream)
    batch = read_upload(stream.getvalue(), kind, created=NOW)
    assert isinstance(batch, MappedBatch)
    records = (*batch.students, *batch.period_marks, *batch.queue_applications)
    assert all(isinstance(r, StudentRecord | PeriodMarkRecord | QueueApplicationRecord) for r in records)
    rejected = {error.row for error in batch.errors if error.severity == "error"}
    assert not rejected & {record.row for record in records}


def zipped(entries):
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        for name, body in entries.items():
            archive.writestr(name, body)
    return stream.getvalue()


@settings(max_examples=60, deadline=None)
@given(
    content=st.one_of(
        st.binary(max_size=300),
        st.binary(max_size=300).map(lambda tail: b"PK\x03\x04" + tail),
        st.dictionaries(st.sampled_from(["[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml",
                                         "_rels/.rels"]), st.binary(max_size=200)).map(zipped),
    )
)
def test_garbage_files_raise_only_template_error(content):
    try:
        read_upload(content, "students")
    except TemplateError as exc:
        assert exc.code in {"NOT_XLSX", "NOT_A_TEMPLATE"}
