"""The faster Excel row path gives exactly what the plain one gave.

The reference implementations below are the code as it was before the fast paths (lazy cell
texts, the first-cell test for empty rows, СНИЛС check digits by table look-up, separators removed
without a regex when they are ASCII hyphens and spaces, cached class names and birth-certificate
series, a row's errors only looked at when it has some). Every test maps the same input through
both and compares records, row errors (code, row, field, value, message, params) and exceptions.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import islice

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters import excel_students, identifiers, validation
from adapters.excel_cells import RowCells, cell_text
from adapters.excel_kinds import FIRST_DATA_ROW, KINDS, STUDENTS, Column
from adapters.excel_read import SheetMapper, map_rows
from adapters.identifiers import IdentifierError, make_inn_org, make_snils
from adapters.records import BatchHeader, PersonRecord, RepresentativeRecord
from adapters.validation import RowSink
from tests.test_adapters_excel_property import sheets as any_sheets

TODAY = dt.date(2025, 10, 1)
NOW = dt.datetime(2025, 10, 1, tzinfo=dt.UTC)

# --- the reference: the plain code ---------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s\-‐‑–—]+")


def plain_digits(value: str) -> str:
    return _SEPARATORS.sub("", value.strip())


def plain_snils_check_digits(number9: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(number9, range(9, 0, -1), strict=True))
    if total < 100:
        check = total
    elif total in (100, 101):
        check = 0
    else:
        check = total % 101 % 100
    return f"{check:02d}"


def plain_normalize_snils(value: str) -> str:
    digits = plain_digits(value)
    if not re.fullmatch(r"\d{11}", digits):
        raise IdentifierError("SNILS_FORMAT", "СНИЛС должен состоять из 11 цифр (формат XXX-XXX-XXX YY)")
    body, check = digits[:9], digits[9:]
    if int(body) > identifiers.SNILS_UNCHECKED_UP_TO and plain_snils_check_digits(body) != check:
        raise IdentifierError("SNILS_CHECKSUM", "Неверное контрольное число СНИЛС")
    return digits


_ROMAN_LOOKALIKES = str.maketrans({"1": "I", "У": "V", "Х": "X", "Л": "L", "С": "C", "І": "I"})
_CYRILLIC_LOOKALIKES = str.maketrans(
    {"A": "А", "B": "В", "E": "Е", "K": "К", "M": "М", "H": "Н", "O": "О", "P": "Р", "C": "С",
     "T": "Т", "X": "Х", "Y": "У"}
)  # fmt: skip
_ROMAN = re.compile(r"(?=[IVXLC])C{0,3}(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})")
_SERIES_SPLIT = re.compile(r"^(.+?)[\s\-‐‑–—]*(..)$")


def plain_normalize_birth_certificate(series: str, number: str) -> tuple[str, str]:
    message = identifiers._BIRTH_CERTIFICATE_MESSAGE
    compact = series.strip().upper()
    match = _SERIES_SPLIT.match(compact)
    digits = plain_digits(number)
    if match is None or not re.fullmatch(r"\d{6}", digits):
        raise IdentifierError("BIRTH_CERTIFICATE_FORMAT", message)
    roman = match.group(1).translate(_ROMAN_LOOKALIKES)
    letters = match.group(2).translate(_CYRILLIC_LOOKALIKES)
    if not _ROMAN.fullmatch(roman) or not re.fullmatch(r"[А-ЯЁ]{2}", letters):
        raise IdentifierError("BIRTH_CERTIFICATE_FORMAT", message)
    return f"{roman}-{letters}", digits


class PlainRowCells(RowCells):
    """Every cell converted to text up front, names and identifiers checked by ``validation``."""

    __slots__ = ("texts",)

    def __init__(
        self, values: Sequence[object], positions: Mapping[str, int], columns: Mapping[str, Column], sink: RowSink
    ):
        super().__init__(values, positions, columns, sink)
        self.texts = [(" ".join(value.split()) or None) if value.__class__ is str else cell_text(value)
                      for value in values]

    def text(self, key: str, *, required: bool = False) -> str | None:
        position = self.positions.get(key)
        value = None if position is None else self.texts[position]
        if value is None and required:
            self.sink.fail("REQUIRED", self.header(key), None)
        return value

    def choice(self, key: str, *, required: bool = False) -> str | None:
        text = self.text(key, required=required)
        classifier = self.columns[key].classifier
        if text is None or classifier is None:
            return None
        return validation.check_name(self.sink, self.header(key), text, classifier)

    def identifier(self, key, normalize, *, required: bool = False) -> str | None:
        text = self.text(key, required=required)
        return None if text is None else validation.check_identifier(self.sink, self.header(key), text, normalize)


def plain_read(self: SheetMapper, count: int | None = None) -> None:
    section, positions, columns, width, mapper = (
        self.kind.section, self.positions, self.columns, self.width, self.mapper
    )
    errors = self.errors
    consumed = 0
    for values in self.rows if count is None else islice(self.rows, count):
        consumed += 1
        self.index += 1
        if self.index < FIRST_DATA_ROW:
            continue
        if not any(value.strip() if value.__class__ is str else value != "" for value in values):
            continue
        if len(values) < width:
            values = [*values, *([""] * (width - len(values)))]
        row = self.index
        sink = RowSink(section=section, row=row, ref=str(row))
        mapper.add(PlainRowCells(values, positions, columns, sink), row)
        errors.extend(sink.errors)
    if count is None or consumed < count:
        self.done = True


def plain_rejected(self: RowSink) -> bool:
    return any(error.severity == "error" for error in self.errors)


def plain_representative(self: excel_students.StudentRows, cells: RowCells):
    filled = any(cells.text(key) is not None for key in excel_students.REPRESENTATIVE_KEYS)
    kind = cells.choice("rep_kind", required=filled)
    last_name = cells.text("rep_last_name", required=filled)
    first_name = cells.text("rep_first_name", required=filled)
    snils = cells.identifier("rep_snils", identifiers.normalize_snils)
    contacts = excel_students._contacts(cells, "rep_phone", "rep_email")
    if kind is None or last_name is None or first_name is None:
        return None
    person = PersonRecord(last_name=last_name, first_name=first_name, middle_name=cells.text("rep_middle_name"),
                          snils=snils, contacts=contacts)
    return RepresentativeRecord(kind=kind, person=person)


@contextmanager
def plain_code(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The row path as it was, for the duration of the block."""
    with monkeypatch.context() as patch:
        patch.setattr(SheetMapper, "read", plain_read)
        patch.setattr(RowSink, "rejected", property(plain_rejected))
        patch.setattr(identifiers, "normalize_snils", plain_normalize_snils)
        patch.setattr(identifiers, "normalize_birth_certificate", plain_normalize_birth_certificate)
        patch.setattr(excel_students, "split_class_name", excel_students.split_class_name.__wrapped__)
        patch.setattr(excel_students.StudentRows, "_representative", plain_representative)
        yield


# --- inputs --------------------------------------------------------------------------------------

SEPARATORS = ["", " ", "-", "  ", "\t", "\u00a0", "‐", "‑", "–", "—", "\n", "_", ".", "/"]
FOREIGN_DIGITS = "٠١٢٣٤٥٦٧٨٩"  # Arabic-Indic: decimal digits \d matches


@st.composite
def snils_spellings(draw) -> str:
    """A СНИЛС as people type it: right or wrong check digits, any separators, padding, odd digits."""
    body = draw(st.one_of(st.integers(0, 999_999_999), st.integers(0, identifiers.SNILS_UNCHECKED_UP_TO + 3)))
    digits = f"{body:09d}"
    check = draw(st.one_of(st.just(plain_snils_check_digits(digits)), st.from_regex(r"\d{2}", fullmatch=True)))
    text = digits + check
    text = draw(st.sampled_from([text, text[:-1], text + "7", text[1:]]))
    if draw(st.booleans()):
        text = f"{text[0:3]}{draw(st.sampled_from(SEPARATORS))}{text[3:6]}{draw(st.sampled_from(SEPARATORS))}" \
               f"{text[6:9]}{draw(st.sampled_from(SEPARATORS))}{text[9:]}"
    if draw(st.booleans()):
        text = draw(st.sampled_from(["", " ", "\t", "  "])) + text + draw(st.sampled_from(["", " ", "\n"]))
    if draw(st.integers(0, 9)) == 0:
        position = draw(st.integers(0, len(text)))
        text = text[:position] + draw(st.sampled_from(["x", "²", "٣", "O", "*"])) + text[position + 1:]
    if draw(st.integers(0, 19)) == 0:
        text = text.translate(str.maketrans("0123456789", FOREIGN_DIGITS))
    return text


def outcome(function, *args):
    """What a call gives: its value, or the code and message of its ``IdentifierError``, or the error type."""
    try:
        return "value", function(*args)
    except IdentifierError as exc:
        return "error", exc.code, exc.message
    except ValueError as exc:
        return "raises", type(exc)


# --- identifiers ---------------------------------------------------------------------------------


@settings(max_examples=1500, deadline=None)
@given(text=st.one_of(snils_spellings(), st.text(max_size=16)))
def test_snils_normalised_as_by_the_plain_rule(text):
    assert outcome(identifiers.normalize_snils, text) == outcome(plain_normalize_snils, text)
    assert identifiers.is_valid_snils(text) == (outcome(plain_normalize_snils, text)[0] == "value")


@settings(max_examples=500, deadline=None)
@given(body=st.one_of(st.integers(0, 999_999_999).map(lambda number: f"{number:09d}"),
                      st.text(alphabet="0123456789٣²a ", max_size=11)))
def test_snils_check_digits_as_by_the_plain_sum(body):
    assert outcome(identifiers.snils_check_digits, body) == outcome(plain_snils_check_digits, body)


def test_snils_check_digits_of_every_table_entry():
    """Each third of a body through all its 1000 values (every entry of the tables), the others zeros or nines."""
    for number in range(1000):
        for start in (0, 3, 6):
            for fill in "09":
                body = fill * start + f"{number:03d}" + fill * (6 - start)
                assert identifiers.snils_check_digits(body) == plain_snils_check_digits(body), body
    assert identifiers.normalize_snils("112-233-445 95") == "11223344595"
    assert identifiers.make_snils(123_456_789) == "12345678964"


@settings(max_examples=800, deadline=None)
@given(text=st.one_of(
    st.text(alphabet="0123456789 -\t\u00a0‐–—_.٣x", max_size=16),
    st.text(max_size=12),
))
def test_separators_removed_as_by_the_regex(text):
    assert identifiers._digits(text) == plain_digits(text)


SERIES = ["IV-АБ", "iv-аб", "IV АБ", "IVАБ", " 1У-АБ ", "XII–ВГ", "IV-AB", "IV-A", "", "-", "IV-АБВ", "MM-АБ",
          "IV—ЁЖ", "ⅳ-АБ", "VI\u00a0ЕК"]


@settings(max_examples=800, deadline=None)
@given(series=st.one_of(st.sampled_from(SERIES), st.text(max_size=8)),
       number=st.one_of(st.from_regex(r"\s?\d{3}[ -]?\d{3}\s?", fullmatch=True), st.text(max_size=8),
                        st.sampled_from(["123456", "12345", "1234567", "١٢٣٤٥٦", "123 456", "123-456"])))
def test_birth_certificates_normalised_as_by_the_plain_rule(series, number):
    expected = outcome(plain_normalize_birth_certificate, series, number)
    assert outcome(identifiers.normalize_birth_certificate, series, number) == expected
    assert outcome(identifiers.normalize_birth_certificate, series, number) == expected  # cached series


# --- whole rows ----------------------------------------------------------------------------------

ORG_INN = make_inn_org(770708389)
VALID = {
    "last_name": "Иванова", "first_name": "Мария", "middle_name": "Петровна", "sex": "Женский",
    "birth_date": dt.date(2012, 3, 4), "citizenship": "Гражданин Российской Федерации",
    "snils": make_snils(100_000_001), "document_type": "Свидетельство о рождении", "document_series": "IV-АБ",
    "document_number": "123456", "address": "г. Энск, ул. Школьная, д. 1", "postal_code": "012345",
    "phone": "+7 900 000-00-00", "rep_kind": "Родитель", "rep_last_name": "Иванов", "rep_first_name": "Пётр",
    "rep_middle_name": "Иванович", "rep_snils": make_snils(300_000_001), "rep_phone": "+7 900 111-22-33",
    "org_inn": ORG_INN, "class_name": "5А", "school_year": "2025/2026",
    "program_kind": "Образовательная программа основного общего образования", "education_form": "Очная",
    "entry_date": dt.date(2025, 9, 1), "entry_reason": "Зачисление (приём)",
}
"""A valid row of the students template (column key → cell as calamine gives it)."""

VARIANTS: dict[str, list[object]] = {
    "last_name": ["", "  ", " Петрова  Анна ", "Ёлкина", 12.0, True],
    "first_name": ["", "Анна\tМария", 3.5],
    "middle_name": ["", None, " "],
    "sex": ["", "м", "Ж", "жен", "мужской ", "Мужской", "2", "x", 1.0, 1],
    "birth_date": ["", "01.09.2012", "31.02.2012", "2012-09-01", "1/9/2012", "не дата", dt.date(2030, 1, 1),
                   dt.datetime(2012, 5, 6, 7, 8, 9), dt.datetime(2012, 5, 6), 41000.0, dt.time(1, 2),
                   dt.date(1990, 1, 1)],
    "citizenship": ["", "гражданин российской федерации", "Неизвестно что", "1"],
    "snils": ["", " ", "112-233-445 95", "112 233 445 95", "11223344595", "112-233-445 96", "11223344595.0",
              11223344595, 11223344595.0, 1.5, "001-001-998 00", "1122334459", "١١٢٢٣٣٤٤٥٩٥", "112‐233–445—95",
              "112-233-445\u00a095", " 112-233-44595 ", "abc"],
    "document_type": ["", "Паспорт гражданина Российской Федерации", "Свидетельство о рождении", "Иной документ"],
    "document_series": ["", "iv-аб", "IVАБ", "1У-АБ", "IV-AB", "45 09", "XX-"],
    "document_number": ["", "123 456", "12345", 123456, 123456.0, "١٢٣٤٥٦", "4509123456", "45 09 123456"],
    "document_issue_date": ["", dt.date(2013, 1, 1), "01.01.2013", "32.01.2013", dt.date(2026, 1, 1)],
    "document_issuer": ["", "ЗАГС  г. Энска"],
    "address": ["", "  г. Энск "],
    "postal_code": ["", "12345", "012345", 12345, 12345.0, "0123456"],
    "phone": ["", 79000000000, "8 (900) 000-00-00"],
    "email": ["", "a@b.ru", "не почта", "a@b"],
    "rep_kind": ["", "Опекун", "Неизвестно", "Родитель"],
    "rep_last_name": ["", "Сидоров"],
    "rep_first_name": ["", "Иван"],
    "rep_middle_name": ["", "Иванович"],
    "rep_snils": ["", "112-233-445 95", "112-233-445 00", 11223344595, "300 000 001"],
    "rep_phone": ["", "+7 900 000-00-00"],
    "rep_email": ["", "rep@example.ru", "bad@"],
    "org_inn": ["", "7707083894", "7707083893", 7707083893, 7707083893.0, "500100732259", "770 708 3893", "x"],
    "class_name": ["", "5 - б", "10А", "13А", "0Б", "A5", "5", 5, 5.0, "5АБ", "11-a"],
    "school_year": ["", "2025/2026", "2025/2027", "2025-2026", 2025, "2024/2025 "],
    "program_kind": ["", "Образовательная программа среднего общего образования", "Программа чего-то", "x"],
    "education_level": ["", "Основное общее образование", "Дошкольное образование", "Среднее общее образование",
                        "Непонятный уровень"],
    "education_form": ["", "очная", "Заочная", "Вечерняя"],
    "entry_date": ["", dt.date(2026, 1, 1), "01.09.2025", dt.datetime(2025, 9, 1, 10, 0), "2025-09-31"],
    "entry_reason": ["", "Перевод", "Зачисление (приём)"],
}
KEYS = [column.key for column in STUDENTS.columns]


@st.composite
def student_sheets(draw) -> list[list[object]]:
    """A sheet of the students template: rows that are valid, empty, short, or with a few odd cells."""
    rows: list[list[object]] = [KEYS, [column.header for column in STUDENTS.columns]]
    for number in range(draw(st.integers(0, 12))):
        row = {**VALID, "snils": make_snils(100_000_000 + draw(st.integers(0, 6))), "last_name": f"Фамилия{number}"}
        for key in draw(st.lists(st.sampled_from(sorted(VARIANTS)), max_size=4)):
            row[key] = draw(st.sampled_from(VARIANTS[key]))
        values = [row.get(key, "") for key in KEYS]
        shape = draw(st.integers(0, 9))
        if shape == 0:
            values = [""] * len(KEYS)
        elif shape == 1:
            values = ["", "  ", *values[2:]]
        elif shape == 2:
            values = values[: draw(st.integers(0, len(KEYS)))]
        elif shape == 3:
            values = [*[""] * (len(KEYS) - 1), values[-1]]
        rows.append(values)
    return rows


def mapped(kind: str, rows, slice_rows: int | None):
    sheet = SheetMapper(KINDS[kind], rows, today=TODAY)
    header = BatchHeader(packet_id="p", provider="EXCEL", created=NOW)
    batches = []
    while not sheet.done:
        sheet.read(slice_rows)
        batches.append(sheet.take(header))
    batches.append(sheet.take(header))
    return sheet.mapper.org_inn, batches


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.function_scoped_fixture])
@given(rows=student_sheets(), slice_rows=st.sampled_from([None, 1, 3]))
def test_student_rows_mapped_as_by_the_plain_path(monkeypatch, rows, slice_rows):
    fast = mapped("students", rows, slice_rows)
    with plain_code(monkeypatch):
        plain = mapped("students", rows, slice_rows)
    assert fast == plain


def test_the_plain_path_is_what_the_comparison_runs():
    """The reference really differs from the fast path where it should, and finds the same errors."""
    rows = [KEYS, [column.header for column in STUDENTS.columns],
            [{**VALID, "snils": "112-233-445 96", "class_name": "13А"}.get(key, "") for key in KEYS]]
    cells_seen: list[type] = []
    add = excel_students.StudentRows.add

    def spy(self, cells, row):
        cells_seen.append(type(cells))
        add(self, cells, row)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(excel_students.StudentRows, "add", spy)
        fast_mapper, fast_errors = map_rows(STUDENTS, rows, today=TODAY)
        with plain_code(patch):
            plain_mapper, plain_errors = map_rows(STUDENTS, rows, today=TODAY)
    assert cells_seen == [RowCells, PlainRowCells]
    assert [(error.code, error.row, error.field, error.value) for error in fast_errors] == [
        ("SNILS_CHECKSUM", 3, "СНИЛС", "112-233-445 96"), ("GRADE_OUT_OF_RANGE", 3, "Класс (группа)", "13"),
    ]
    assert fast_errors == plain_errors and fast_mapper.students == plain_mapper.students == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(["marks", "queue"]), data=st.data())
def test_other_kinds_mapped_as_by_the_plain_path(monkeypatch, kind, data):
    rows = data.draw(any_sheets(kind))
    fast = mapped(kind, rows, None)
    with plain_code(monkeypatch):
        plain = mapped(kind, rows, None)
    assert fast == plain


def test_cells_read_lazily_give_the_texts_of_every_cell_type():
    values = ["  a  b ", "", " ", 5.0, 5.5, True, dt.date(2020, 1, 2), dt.datetime(2020, 1, 2, 3, 4, 5),
              dt.datetime(2020, 1, 2), 7, "x\u00a0\u2003y", "\n"]
    positions = {f"k{index}": index for index in range(len(values))}
    columns = {key: Column(key=key, header=key.upper(), type="text") for key in positions}
    sink = RowSink(section="S", row=3, ref="3")
    fast = RowCells(values, positions, columns, sink)
    plain = PlainRowCells(values, positions, columns, RowSink(section="S", row=3, ref="3"))
    assert [fast.text(key) for key in positions] == [plain.text(key) for key in positions] == [
        "a b", None, None, "5", "5.5", "ИСТИНА", "02.01.2020", "02.01.2020 03:04:05", "02.01.2020", "7", "x y", None,
    ]
    assert fast.text("absent") is None and fast.text("k1", required=True) is None
    assert [(error.code, error.field) for error in sink.errors] == [("REQUIRED", "K1")]
