"""A foreign provider format: the XML export of a school journal system («ЭлЖур»-like).

Shaped unlike our packet::

    <eljur_export export_id="EJ-1" generated="15.09.2025 18:30" school_inn="7707083893" school_year="2025/2026">
      <pupils>
        <pupil id="p1" fio="Иванов Иван Иванович" birthday="12.03.2014" sex="М" snils="112-233-445 95" class="5А"/>
      </pupils>
      <marks>
        <mark pupil="p1" subject="Математика" date="12.09.2025" value="5" type="Контрольная работа" weight="2"/>
      </marks>
    </eljur_export>

- ``read_journal(content)`` parses with ``adapters.safexml.parse_bytes`` and maps;
- ``map_journal(root)`` is the pure mapping to the records of our packet: pupils → students (and their
  classes), marks → diary marks (with their subjects); bad rows become row errors (sections
  ``Students`` and ``DiaryMarks``, fields named ``@attribute``), never exceptions. Only a document that
  is not such an export at all raises ``ForeignFormatError``. A trailing enveloped ``ds:Signature`` is
  ignored (it is verified before mapping, like a packet's).
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from lxml import etree

from adapters import identifiers, validation
from adapters.foreign_journal_rules import (
    control_form_of,
    is_absence,
    mark_of,
    programme_of,
    split_class,
    split_full_name,
)
from adapters.records import (
    BatchHeader,
    ClassGroupRecord,
    DiaryMarkRecord,
    MappedBatch,
    PersonRecord,
    StudentRecord,
    SubjectRecord,
)
from adapters.rowerrors import RowError
from adapters.safexml import UnsafeXml, parse_bytes
from adapters.validation import RowSink
from db import classifiers

ROOT = "eljur_export"
PROVIDER = "ELJUR"
"""Mnemonic of the journal system as a data provider."""
FORMAT_VERSION = "eljur-2"
MOSCOW = timezone(timedelta(hours=3))
"""The export writes local (Moscow) time without an offset."""
_GENERATED = re.compile(r"(\d{2}\.\d{2}\.\d{4})(?:\s+(\d{2}):(\d{2}))?")


class ForeignFormatError(ValueError):
    """The document is not a journal export. ``code``: ``UNSAFE_XML``, ``NOT_ELJUR``, ``BAD_HEADER``."""

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(message)


def _attribute(element: etree._Element, name: str, sink: RowSink, *, required: bool = False) -> str | None:
    value = " ".join((element.get(name) or "").split()) or None
    if value is None and required:
        sink.fail("REQUIRED", f"@{name}", None)
    return value


def _date(element: etree._Element, name: str, sink: RowSink, *, required: bool, today: date) -> date | None:
    raw = _attribute(element, name, sink, required=required)
    if raw is None:
        return None
    value = validation.parse_dmy(raw)
    if value is None:
        sink.fail("BAD_DATE_DMY", f"@{name}", raw)
        return None
    validation.check_not_after(sink, f"@{name}", raw, value, today)
    return value


def read_header(root: etree._Element, content_digest: str) -> tuple[BatchHeader, str, list[RowError]]:
    """The export's header, its school year and the row errors of its attributes (``Packet`` section)."""
    if not isinstance(root.tag, str) or etree.QName(root).localname != ROOT or etree.QName(root).namespace:
        raise ForeignFormatError("NOT_ELJUR", f"Документ не является выгрузкой журнала: ожидался элемент <{ROOT}>")
    match = _GENERATED.fullmatch((root.get("generated") or "").strip())
    day = None if match is None else validation.parse_dmy(match.group(1))
    hour, minute = (0, 0) if match is None or match.group(2) is None else (int(match.group(2)), int(match.group(3)))
    if day is None or hour > 23 or minute > 59:
        raise ForeignFormatError("BAD_HEADER", "Атрибут generated выгрузки должен иметь вид ДД.ММ.ГГГГ ЧЧ:ММ")
    year = (root.get("school_year") or "").strip()
    sink = RowSink(section="Packet", row=1, ref=root.get("export_id"))
    if validation.check_school_year(sink, "@school_year", year) is None:
        raise ForeignFormatError("BAD_HEADER", "Атрибут school_year выгрузки должен иметь вид 2025/2026")
    inn_raw = _attribute(root, "school_inn", sink, required=True)
    inn = None if inn_raw is None else validation.check_identifier(sink, "@school_inn", inn_raw,
                                                                   validation.normalize_inn)
    header = BatchHeader(
        packet_id=_attribute(root, "export_id", sink) or f"sha256:{content_digest}",
        provider=PROVIDER,
        created=datetime(day.year, day.month, day.day, hour, minute, tzinfo=MOSCOW),
        org_inn=inn,
        version=FORMAT_VERSION,
    )
    return header, year, sink.errors


class _Journal:
    """What mapping one export remembers: pupils accepted and rejected, classes, subjects."""

    def __init__(self, header: BatchHeader, school_year: str):
        self.header = header
        self.school_year = school_year
        self.accepted: set[str] = set()
        self.rejected: set[str] = set()
        self.classes: dict[str, ClassGroupRecord] = {}
        self.subjects: dict[str, SubjectRecord] = {}
        self.students: list[StudentRecord] = []
        self.marks: list[DiaryMarkRecord] = []
        self.errors: list[RowError] = []

    @property
    def today(self) -> date:
        """No date of the export may be later than the day it was generated."""
        return self.header.created.date()

    def pupil(self, element: etree._Element, row: int) -> None:
        ref = " ".join((element.get("id") or "").split()) or None
        sink = RowSink(section="Students", row=row, ref=ref)
        if ref is None:
            sink.fail("REQUIRED", "@id", None)
        elif ref in self.accepted or ref in self.rejected:
            sink.fail("DUPLICATE_REF", "@id", ref)
        full_name = _attribute(element, "fio", sink, required=True)
        names = None if full_name is None else split_full_name(full_name)
        if full_name is not None and names is None:
            sink.fail("BAD_FULL_NAME", "@fio", full_name)
        birth = _date(element, "birthday", sink, required=True, today=self.today)
        sex_raw = _attribute(element, "sex", sink, required=True)
        sex = None if sex_raw is None else validation.check_name(sink, "@sex", sex_raw, classifiers.SEX)
        snils_raw = _attribute(element, "snils", sink)
        snils = None if snils_raw is None else validation.check_identifier(
            sink, "@snils", snils_raw, identifiers.normalize_snils
        )
        class_name = _attribute(element, "class", sink)
        parts = None if class_name is None else split_class(class_name)
        if class_name is not None and parts is None:
            sink.fail("BAD_CLASS_NAME", "@class", class_name)
        self.errors.extend(sink.errors)
        if sink.rejected or ref is None or names is None or birth is None:
            if ref is not None and ref not in self.accepted:
                self.rejected.add(ref)
            return
        self.accepted.add(ref)
        last, first, middle = names
        person = PersonRecord(last_name=last, first_name=first, middle_name=middle, sex=sex,
                              birth_date=birth, snils=snils)
        self.students.append(StudentRecord(ref=ref, row=row, person=person))
        if class_name is not None and parts is not None:
            grade, letter = parts
            name = f"{grade}{letter or ''}"
            self.classes.setdefault(name, ClassGroupRecord(
                ref=name, row=row, name=name, school_year=self.school_year, program_kind=programme_of(grade),
                grade=grade, letter=letter,
            ))

    def _subject(self, name: str, sink: RowSink) -> None:
        if name in self.subjects:
            return
        base = validation.code_by_name(classifiers.SUBJECTS, name)
        if base is None:
            sink.fail("BASE_SUBJECT_MISSING", "@subject", name)
        self.subjects[name] = SubjectRecord(ref=name, row=len(self.subjects) + 1, name=name, base_subject=base)

    def mark(self, element: etree._Element, row: int) -> None:
        value = " ".join((element.get("value") or "").split())
        if value and is_absence(value):
            return
        ref = " ".join((element.get("id") or "").split()) or str(row)
        sink = RowSink(section="DiaryMarks", row=row, ref=ref)
        pupil = _attribute(element, "pupil", sink, required=True)
        if pupil is not None and pupil not in self.accepted:
            code = "REF_REJECTED" if pupil in self.rejected else "UNKNOWN_REF"
            sink.fail(code, "@pupil", pupil, target="Students")
        subject = _attribute(element, "subject", sink, required=True)
        lesson = _date(element, "date", sink, required=True, today=self.today)
        mark = None
        if not value:
            sink.fail("REQUIRED", "@value", None)
        elif (found := mark_of(value)) is None:
            sink.fail("MARK_VALUE_INVALID", "@value", value,
                      scale=classifiers.name_of(classifiers.MARK_SCALE, "five_point"))
        else:
            mark = validation.check_mark(sink, "@value", found[0], found[1])
        form_name = _attribute(element, "type", sink)
        control_form = None if form_name is None else control_form_of(form_name)
        if form_name is not None and control_form is None:
            sink.fail("UNMAPPED_NAME", "@type", form_name, classifier=classifiers.title_of(classifiers.CONTROL_FORM))
        weight_raw = _attribute(element, "weight", sink)
        weight = None if weight_raw is None else validation.check_decimal(sink, "@weight", weight_raw)
        if subject is not None and not sink.rejected:
            self._subject(subject, sink)
        self.errors.extend(sink.errors)
        if sink.rejected or pupil is None or subject is None or lesson is None or mark is None:
            return
        self.marks.append(DiaryMarkRecord(
            ref=ref, row=row, student_ref=pupil, subject_ref=subject,
            lesson_date=lesson, mark=mark, weight=weight if weight is not None else Decimal(1),
            control_form=control_form, comment=_attribute(element, "comment", sink),
        ))


def _rows(root: etree._Element, container: str, row: str) -> list[etree._Element]:
    holder = root.find(container)
    return [] if holder is None else holder.findall(row)


def map_journal(root: etree._Element, *, content_digest: str = "") -> MappedBatch:
    """Map a parsed export (pure); raises ``ForeignFormatError`` only when it is no export at all."""
    header, school_year, errors = read_header(root, content_digest)
    journal = _Journal(header, school_year)
    journal.errors.extend(errors)
    for row, element in enumerate(_rows(root, "pupils", "pupil"), start=1):
        journal.pupil(element, row)
    for row, element in enumerate(_rows(root, "marks", "mark"), start=1):
        journal.mark(element, row)
    return MappedBatch(
        header=header,
        class_groups=tuple(journal.classes.values()),
        subjects=tuple(journal.subjects.values()),
        students=tuple(journal.students),
        diary_marks=tuple(journal.marks),
        errors=tuple(journal.errors),
    )


def read_journal(content: bytes, *, max_bytes: int | None = None) -> MappedBatch:
    """Parse an export with the hardened parser and map it; ``ForeignFormatError`` for an unreadable one."""
    try:
        root = parse_bytes(content) if max_bytes is None else parse_bytes(content, max_bytes=max_bytes)
    except UnsafeXml as exc:
        raise ForeignFormatError("UNSAFE_XML", f"Выгрузка журнала не принята: {exc.message}") from exc
    return map_journal(root, content_digest=hashlib.sha256(content).hexdigest())
