"""The SMEV form of the EPGU performance service: ``xsd/epgu-performance-1.0.0.xsd`` ⇄ plain values.

:func:`read_request` checks a ``PerformanceRequest`` element against the schema and returns the
query (an invalid one is a refusal BAD_REQUEST, not an exception for the caller to map);
:func:`render_response` builds the ``PerformanceResponse`` and checks it against the same schema.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache

from lxml import etree

from adapters.safexml import parse_bytes
from kontingent_ws.errors import InternalError
from kontingent_ws.usecases.epgu_identify import invalid
from kontingent_ws.usecases.epgu_model import (
    DocumentRef,
    Mark,
    Performance,
    PerformanceQuery,
    PerformanceResult,
    PersonData,
    PupilRef,
    Refusal,
    RepresentativeRef,
    SubjectPerformance,
)
from xsd import schema_path

NAMESPACE = "urn://kontingent-region.ru/epgu/performance/1.0.0"
SCHEMA_FILE = "epgu-performance-1.0.0.xsd"
REQUEST_TAG = f"{{{NAMESPACE}}}PerformanceRequest"
RESPONSE_TAG = f"{{{NAMESPACE}}}PerformanceResponse"


@cache
def performance_schema() -> etree.XMLSchema:
    """The compiled schema of the service (read once per process)."""
    return etree.XMLSchema(etree.ElementTree(parse_bytes(schema_path(SCHEMA_FILE).read_bytes())))


def _q(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


# --- request -----------------------------------------------------------------------------------


def read_request(element: etree._Element) -> PerformanceQuery:
    """The query in a ``PerformanceRequest`` element; ``Refused`` (BAD_REQUEST) when it is not one."""
    if element.tag != REQUEST_TAG:
        raise invalid(f"Ожидался элемент PerformanceRequest пространства имён {NAMESPACE}")
    schema = performance_schema()
    if not schema.validate(element):
        error = schema.error_log.last_error
        where = f" (строка {error.line})" if error is not None else ""
        raise invalid(f"Запрос не соответствует XML-схеме {SCHEMA_FILE}{where}")
    pupil = element.find(_q("Pupil"))
    applicant = element.find(_q("Applicant"))
    period = element.find(_q("Period"))
    assert pupil is not None and applicant is not None and period is not None  # the schema says so
    representative = applicant.find(_q("Representative"))
    school_year = period.findtext(_q("SchoolYear"))
    return PerformanceQuery(
        pupil=PupilRef(snils=pupil.findtext(_q("Snils")), person=_person(pupil)),
        representative=None if representative is None else _representative(representative),
        school_year=int(school_year) if school_year else None,
        date_from=_date(period.findtext(_q("DateFrom"))),
        date_to=_date(period.findtext(_q("DateTo"))),
    )


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text.strip()[:10]) if text else None


def _person(parent: etree._Element) -> PersonData | None:
    last = parent.findtext(_q("LastName"))
    birth = _date(parent.findtext(_q("BirthDate")))
    if last is None or birth is None:
        return None
    return PersonData(
        last_name=last,
        first_name=parent.findtext(_q("FirstName")) or "",
        middle_name=parent.findtext(_q("MiddleName")),
        birth_date=birth,
    )


def _representative(element: etree._Element) -> RepresentativeRef:
    document = element.find(_q("IdentityDocument"))
    return RepresentativeRef(
        snils=element.findtext(_q("Snils")),
        person=_person(element),
        document=None
        if document is None
        else DocumentRef(
            type_code=document.findtext(_q("TypeCode")) or "",
            series=document.findtext(_q("Series")),
            number=document.findtext(_q("Number")) or "",
        ),
    )


# --- response ----------------------------------------------------------------------------------


def render_response(result: PerformanceResult) -> etree._Element:
    """The ``PerformanceResponse`` of a result, checked against the schema."""
    root = etree.Element(RESPONSE_TAG, nsmap={None: NAMESPACE})
    if result.performance is not None:
        _performance(etree.SubElement(root, _q("Performance")), result.performance)
    else:
        assert result.refusal is not None
        _refusal(etree.SubElement(root, _q("Refusal")), result.refusal)
    schema = performance_schema()
    if not schema.validate(root):
        raise InternalError(f"Ответ не соответствует схеме {SCHEMA_FILE}: {schema.error_log.last_error}")
    return root


def render_refusal(refusal: Refusal) -> etree._Element:
    return render_response(PerformanceResult(refusal=refusal))


def _text(parent: etree._Element, name: str, value: object) -> None:
    if value is None:
        return
    child = etree.SubElement(parent, _q(name))
    if isinstance(value, dt.date):
        child.text = value.isoformat()
    elif isinstance(value, Decimal):
        child.text = format(value.normalize(), "f")
    else:
        child.text = str(value)


def _person_data(parent: etree._Element, person: PersonData) -> None:
    _text(parent, "LastName", person.last_name)
    _text(parent, "FirstName", person.first_name)
    _text(parent, "MiddleName", person.middle_name or None)
    _text(parent, "BirthDate", person.birth_date)


def _mark(parent: etree._Element, mark: Mark) -> None:
    element = etree.SubElement(parent, _q("Mark"))
    _text(element, "Scale", mark.scale)
    _text(element, "Value", mark.value)
    _text(element, "NumericValue", mark.numeric)
    _text(element, "Text", mark.text)


def _performance(element: etree._Element, performance: Performance) -> None:
    _person_data(etree.SubElement(element, _q("Pupil")), performance.pupil)
    _text(element, "DateFrom", performance.date_from)
    _text(element, "DateTo", performance.date_to)
    for education in performance.educations:
        block = etree.SubElement(element, _q("Education"))
        org = etree.SubElement(block, _q("Organization"))
        org_fields: tuple[tuple[str, object], ...] = (
            ("Id", education.organization.id),
            ("FullName", education.organization.full_name),
            ("ShortName", education.organization.short_name),
            ("Inn", education.organization.inn),
            ("Ogrn", education.organization.ogrn),
        )
        for name, value in org_fields:
            _text(org, name, value)
        if education.class_info is not None:
            cls = etree.SubElement(block, _q("Class"))
            _text(cls, "Name", education.class_info.name)
            _text(cls, "Grade", education.class_info.grade)
            _text(cls, "SchoolYear", education.class_info.school_year)
        for period in education.study_periods:
            sp = etree.SubElement(block, _q("StudyPeriod"))
            fields: tuple[tuple[str, object], ...] = (
                ("SchoolYear", period.school_year),
                ("Kind", period.kind),
                ("Number", period.number),
                ("Name", period.name),
                ("StartDate", period.start_date),
                ("EndDate", period.end_date),
            )
            for name, value in fields:
                _text(sp, name, value)
        for subject in education.subjects:
            _subject(etree.SubElement(block, _q("Subject")), subject)


def _subject(element: etree._Element, subject: SubjectPerformance) -> None:
    _text(element, "Name", subject.name)
    _text(element, "BaseSubjectCode", subject.base_subject_code)
    _text(element, "BaseSubjectName", subject.base_subject_name)
    for diary in subject.diary_marks:
        dm = etree.SubElement(element, _q("DiaryMark"))
        _text(dm, "Date", diary.date)
        _mark(dm, diary.mark)
        _text(dm, "Weight", diary.weight)
        if diary.control_form_code is not None:
            form = etree.SubElement(dm, _q("ControlForm"))
            _text(form, "Code", diary.control_form_code)
            _text(form, "Name", diary.control_form_name or diary.control_form_code)
        _text(dm, "Comment", diary.comment)
    for pm in subject.period_marks:
        el = etree.SubElement(element, _q("PeriodMark"))
        _text(el, "SchoolYear", pm.school_year)
        _text(el, "PeriodKind", pm.period_kind)
        _text(el, "PeriodNumber", pm.period_number)
        _mark(el, pm.mark)
    for tag, marks in (("AnnualMark", subject.annual_marks), ("FinalMark", subject.final_marks)):
        for ym in marks:
            el = etree.SubElement(element, _q(tag))
            _text(el, "SchoolYear", ym.school_year)
            _mark(el, ym.mark)


def _refusal(element: etree._Element, refusal: Refusal) -> None:
    _text(element, "Code", refusal.code)
    _text(element, "Reason", refusal.reason)
    _text(element, "Message", refusal.message)
