"""The EpguPerformance contract: ``GetPerformance(Pupil, Applicant, Period)`` → ``PerformanceResponse``.

A refusal is an answer (``PerformanceResponse/Refusal`` with code, reason and Russian text), as
in the SMEV form of the service; faults are only for callers that may not call at all and for
broken requests. Thin: unpack, call the use case, pack.
"""

from __future__ import annotations

from typing import Any

from spyne import ServiceBase

from kontingent_ws.answer_xml import Wire
from kontingent_ws.services.base import call_of, operation
from kontingent_ws.types import epgu as wire
from kontingent_ws.usecases import epgu_model as model
from kontingent_ws.usecases.epgu import performance_for_call


class EpguPerformanceService(ServiceBase):
    """Сведения о текущей успеваемости обучающегося (электронный дневник) для ЕПГУ."""

    @operation(
        wire.PupilQuery.customize(min_occurs=1, nillable=False),
        wire.Applicant.customize(min_occurs=1, nillable=False),
        wire.PeriodQuery.customize(min_occurs=1, nillable=False),
        _returns=wire.PerformanceResponse.customize(min_occurs=1, nillable=False),
        _out_variable_name="PerformanceResponse",
    )
    def GetPerformance(ctx: Any, Pupil: wire.PupilQuery, Applicant: wire.Applicant, Period: wire.PeriodQuery) -> Any:
        result = performance_for_call(call_of(ctx), to_query(Pupil, Applicant, Period))
        return to_wire(result)


def _person(source: Any) -> model.PersonData | None:
    if source.LastName is None or source.BirthDate is None:
        return None
    return model.PersonData(
        last_name=source.LastName,
        first_name=source.FirstName or "",
        middle_name=source.MiddleName,
        birth_date=source.BirthDate,
    )


def to_query(pupil: wire.PupilQuery, applicant: wire.Applicant, period: wire.PeriodQuery) -> model.PerformanceQuery:
    """The plain query of the SOAP parameters."""
    rep = applicant.Representative
    representative = None
    if rep is not None:
        doc = rep.IdentityDocument
        representative = model.RepresentativeRef(
            snils=rep.Snils,
            person=_person(rep),
            document=None
            if doc is None
            else model.DocumentRef(type_code=doc.TypeCode, series=doc.Series, number=doc.Number),
        )
    elif applicant.PupilHimself is None:
        representative = model.RepresentativeRef()  # neither: refused as an incomplete request
    return model.PerformanceQuery(
        pupil=model.PupilRef(snils=pupil.Snils, person=_person(pupil)),
        representative=representative,
        school_year=period.SchoolYear,
        date_from=period.DateFrom,
        date_to=period.DateTo,
    )


class _Packer:
    """The answer of one result as :class:`Wire` values; a mark or form of control that recurs in
    the diary (a handful of distinct ones among hundreds of marks) is packed once."""

    def __init__(self) -> None:
        self._marks: dict[int, Any] = {}
        self._forms: dict[tuple[str, str | None], Any] = {}

    def mark(self, mark: model.Mark) -> Any:
        packed = self._marks.get(id(mark))  # the marks live as long as the result being packed
        if packed is None:
            packed = self._marks[id(mark)] = Wire(
                Scale=mark.scale, Value=mark.value, NumericValue=mark.numeric, Text=mark.text
            )
        return packed

    def control_form(self, code: str | None, name: str | None) -> Any:
        if code is None:
            return None
        packed = self._forms.get((code, name))
        if packed is None:
            packed = self._forms[code, name] = Wire(Code=code, Name=name or code)
        return packed

    def subject(self, subject: model.SubjectPerformance) -> Any:
        mark = self.mark
        return Wire(
            Name=subject.name,
            BaseSubjectCode=subject.base_subject_code,
            BaseSubjectName=subject.base_subject_name,
            DiaryMark=[
                Wire(
                    Date=m.date,
                    Mark=mark(m.mark),
                    Weight=m.weight,
                    ControlForm=self.control_form(m.control_form_code, m.control_form_name),
                    Comment=m.comment,
                )
                for m in subject.diary_marks
            ],
            PeriodMark=[
                Wire(
                    SchoolYear=m.school_year, PeriodKind=m.period_kind, PeriodNumber=m.period_number, Mark=mark(m.mark)
                )
                for m in subject.period_marks
            ],
            AnnualMark=[Wire(SchoolYear=m.school_year, Mark=mark(m.mark)) for m in subject.annual_marks],
            FinalMark=[Wire(SchoolYear=m.school_year, Mark=mark(m.mark)) for m in subject.final_marks],
        )

    def education(self, education: model.EducationPerformance) -> Any:
        org, cls = education.organization, education.class_info
        return Wire(
            Organization=Wire(Id=org.id, FullName=org.full_name, ShortName=org.short_name, Inn=org.inn, Ogrn=org.ogrn),
            Class=None if cls is None else Wire(Name=cls.name, Grade=cls.grade, SchoolYear=cls.school_year),
            StudyPeriod=[
                Wire(
                    SchoolYear=p.school_year,
                    Kind=p.kind,
                    Number=p.number,
                    Name=p.name,
                    StartDate=p.start_date,
                    EndDate=p.end_date,
                )
                for p in education.study_periods
            ],
            Subject=[self.subject(s) for s in education.subjects],
        )


def to_wire(result: model.PerformanceResult) -> Any:
    """The SOAP answer of a result, as :class:`Wire` values under the names of ``types/epgu.py``
    (the answer writer writes them; building Spyne instances of ~900 values cost milliseconds)."""
    if result.refusal is not None:
        refusal = result.refusal
        return Wire(Refusal=Wire(Code=refusal.code, Reason=refusal.reason, Message=refusal.message))
    performance = result.performance
    assert performance is not None
    pupil = performance.pupil
    packer = _Packer()
    return Wire(
        Performance=Wire(
            Pupil=Wire(
                LastName=pupil.last_name,
                FirstName=pupil.first_name,
                MiddleName=pupil.middle_name,
                BirthDate=pupil.birth_date,
            ),
            DateFrom=performance.date_from,
            DateTo=performance.date_to,
            Education=[packer.education(e) for e in performance.educations],
        )
    )
