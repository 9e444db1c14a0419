"""Internal records: what every provider format (XML packet, Excel, foreign formats) maps to.

Records are plain frozen values, already checked and normalised: identifiers in canonical form
(``adapters.identifiers``), codes from ``db.classifiers``, dates as ``datetime.date``. Rows of one
input point at each other by the provider's identifiers (``ref``); ``row`` is the 1-based position
of the row in its section, kept so later stages (identity matching, merge) can report back.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import MISSING, dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any, TypeVar, overload

from adapters.rowerrors import RowError, has_errors


@dataclass(frozen=True, kw_only=True, slots=True)
class DocumentRecord:
    """An identity document or a document on education."""

    type: str
    """Code of ``identity_document_type`` or ``education_document_type``."""
    series: str | None
    """Series (normalised for birth certificates and passports of РФ)."""
    number: str
    """Number."""
    issue_date: date | None = None
    """Date of issue."""
    issuer: str | None = None
    """Who issued it."""


@dataclass(frozen=True, kw_only=True, slots=True)
class AddressRecord:
    """An address as text plus its ФИАС/ГАР identifiers."""

    kind: str
    """Code of ``address_kind``."""
    text: str
    """The whole address on one line."""
    postal_code: str | None = None
    """Six-digit postal code."""
    fias_guid: str | None = None
    """ФИАС object GUID, lower-case."""
    gar_id: int | None = None
    """ГАР object id."""
    oktmo: str | None = None
    """ОКТМО of the address."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ContactsRecord:
    """Phones, e-mails and a web site."""

    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    website: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class PersonRecord:
    """A natural person: a student, a representative, a child in the queue."""

    last_name: str
    first_name: str
    middle_name: str | None = None
    sex: str | None = None
    """Code of ``sex``: ``"1"`` male, ``"2"`` female."""
    birth_date: date | None = None
    citizenship: str | None = None
    """Code of ``citizenship``."""
    snils: str | None = None
    """Eleven digits."""
    inn: str | None = None
    """Twelve digits."""
    documents: tuple[DocumentRecord, ...] = ()
    """Identity documents."""
    addresses: tuple[AddressRecord, ...] = ()
    contacts: ContactsRecord = ContactsRecord()


@dataclass(frozen=True, kw_only=True, slots=True)
class RepresentativeRecord:
    """A legal representative (or an applicant) and their kind."""

    kind: str
    """Code of ``representative_kind``."""
    person: PersonRecord


@dataclass(frozen=True, kw_only=True, slots=True)
class HealthRecord:
    """Health data: a special category of personal data."""

    health_group: str | None = None
    disability: bool | None = None
    ovz: bool | None = None
    """Limited health capabilities (ОВЗ)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class BranchRecord:
    """A branch of an organization."""

    ref: str
    full_name: str
    short_name: str | None = None
    kpp: str | None = None
    oktmo: str | None = None
    address: AddressRecord | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class OrganizationRecord:
    """Requisites of the organization the input is about."""

    full_name: str
    short_name: str | None
    org_type: str
    status: str | None
    inn: str
    kpp: str | None
    ogrn: str | None
    okpo: str | None
    oktmo: str
    okopf: str | None
    okfs: str | None
    contacts: ContactsRecord = ContactsRecord()
    addresses: tuple[AddressRecord, ...] = ()
    branches: tuple[BranchRecord, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class ClassGroupRecord:
    """A school class, a kindergarten group or a study group."""

    ref: str
    row: int
    name: str
    school_year: str
    """``2024/2025``."""
    program_kind: str
    grade: int | None = None
    letter: str | None = None
    orientation: str | None = None
    compensating_profile: str | None = None
    regime: str | None = None
    age_band: str | None = None
    specialty: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class SubjectRecord:
    """A subject as the organization names it, optionally mapped to the base dictionary."""

    ref: str
    row: int
    name: str
    base_subject: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class StudyPeriodRecord:
    """A quarter, trimester or half-year of one school year."""

    ref: str
    row: int
    kind: str
    number: int
    school_year: str
    start_date: date
    end_date: date


@dataclass(frozen=True, kw_only=True, slots=True)
class StudentRecord:
    """A student (pupil) with everything the provider knows about them."""

    ref: str
    row: int
    person: PersonRecord
    representatives: tuple[RepresentativeRecord, ...] = ()
    education_documents: tuple[DocumentRecord, ...] = ()
    health: HealthRecord | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class EnrolmentRecord:
    """A student's enrolment on a programme, with the exit if there was one."""

    ref: str
    row: int
    student_ref: str
    class_group_ref: str | None
    program_kind: str
    education_level: str
    education_form: str
    entry_date: date
    entry_reason: str
    exit_date: date | None = None
    exit_reason: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class MarkValue:
    """A mark kept as the scale, the raw value and the numeric value (when the scale has one)."""

    scale: str
    value: str
    """Code of ``mark_value`` or, on the hundred-point scale, the score as digits."""
    numeric: Decimal | None


@dataclass(frozen=True, kw_only=True, slots=True)
class DiaryMarkRecord:
    """A current mark from the electronic diary."""

    ref: str
    row: int
    student_ref: str
    subject_ref: str
    lesson_date: date
    mark: MarkValue
    weight: Decimal = Decimal(1)
    control_form: str | None = None
    comment: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class PeriodMarkRecord:
    """A mark for a study period, the year (``annual``) or the certificate (``final``)."""

    ref: str
    row: int
    student_ref: str
    subject_ref: str
    kind: str
    """Code of ``period_mark_kind``: ``period``, ``annual`` or ``final``."""
    period_ref: str | None
    school_year: str
    mark: MarkValue


class PeriodMarkColumns(Sequence[PeriodMarkRecord]):
    """Period marks of consecutive rows – quarter marks, and annual and final ones – kept as columns
    (``packet_marks.period_mark_columns``).

    A streamed packet's quarter marks are most of its rows. Read a batch at a time they need no
    record each: the writer takes the columns as they are (``apply_marks.apply_period_marks``). For
    everything else this is the sequence of the ``PeriodMarkRecord`` of each row, made when asked
    for, and equal to any sequence of equal records."""

    __slots__ = ("first_row", "kinds", "marks", "period_refs", "refs", "school_years", "student_refs", "subject_refs")

    def __init__(self, *, first_row: int, refs: list[str], student_refs: list[str], subject_refs: list[str],
                 period_refs: list[str | None], school_years: list[str], marks: list[MarkValue],
                 kinds: list[str] | None = None):
        self.first_row = first_row
        """Row number of the first mark; the others follow one by one."""
        self.refs, self.student_refs, self.subject_refs = refs, student_refs, subject_refs
        self.period_refs, self.school_years, self.marks = period_refs, school_years, marks
        self.kinds = kinds
        """Each mark's kind (``period``, ``annual``, ``final``; an annual or final mark has no period), or
        ``None`` when every mark is a quarter mark."""

    def __len__(self) -> int:
        return len(self.refs)

    def _record(self, index: int) -> PeriodMarkRecord:
        return PeriodMarkRecord(ref=self.refs[index], row=self.first_row + index, student_ref=self.student_refs[index],
                                subject_ref=self.subject_refs[index],
                                kind="period" if self.kinds is None else self.kinds[index],
                                period_ref=self.period_refs[index], school_year=self.school_years[index],
                                mark=self.marks[index])

    @overload
    def __getitem__(self, index: int) -> PeriodMarkRecord: ...

    @overload
    def __getitem__(self, index: slice) -> PeriodMarkColumns: ...

    def __getitem__(self, index: int | slice) -> PeriodMarkRecord | PeriodMarkColumns:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                raise ValueError("only a run of consecutive marks")
            return PeriodMarkColumns(
                first_row=self.first_row + start, refs=self.refs[start:stop],
                student_refs=self.student_refs[start:stop], subject_refs=self.subject_refs[start:stop],
                period_refs=self.period_refs[start:stop], school_years=self.school_years[start:stop],
                marks=self.marks[start:stop], kinds=None if self.kinds is None else self.kinds[start:stop],
            )
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        return self._record(index % len(self))

    def __iter__(self) -> Iterator[PeriodMarkRecord]:
        return map(self._record, range(len(self)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PeriodMarkColumns(rows {self.first_row}–{self.first_row + len(self) - 1})"

    @staticmethod
    def joined(parts: Sequence[PeriodMarkColumns]) -> PeriodMarkColumns:
        """Runs of marks that follow each other, as one."""
        first = parts[0]
        if len(parts) == 1:
            return first
        for before, after in pairwise(parts):
            if after.first_row != before.first_row + len(before):
                raise ValueError("the runs of marks do not follow each other")
        return PeriodMarkColumns(
            first_row=first.first_row, refs=[v for p in parts for v in p.refs],
            student_refs=[v for p in parts for v in p.student_refs],
            subject_refs=[v for p in parts for v in p.subject_refs],
            period_refs=[v for p in parts for v in p.period_refs],
            school_years=[v for p in parts for v in p.school_years], marks=[v for p in parts for v in p.marks],
            kinds=None if all(p.kinds is None for p in parts) else [
                v for p in parts for v in (["period"] * len(p) if p.kinds is None else p.kinds)],
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class ExamResultRecord:
    """A result of the state final attestation."""

    ref: str
    row: int
    student_ref: str
    subject_ref: str
    exam_kind: str
    exam_date: date
    primary_score: int | None
    mark: MarkValue


@dataclass(frozen=True, kw_only=True, slots=True)
class PreferredOrganizationRecord:
    """One preferred kindergarten; ``priority`` 1 is the most wanted."""

    priority: int
    inn: str
    kpp: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class QueueApplicationRecord:
    """An application to the kindergarten queue."""

    ref: str
    row: int
    number: str | None
    submitted_date: date
    child: PersonRecord
    applicant: RepresentativeRecord
    municipality_oktmo: str
    desired_date: date
    orientation: str
    compensating_profile: str | None
    regime: str
    privilege: str | None
    preferred_organizations: tuple[PreferredOrganizationRecord, ...]
    status: str
    status_date: date | None = None


Record = (
    OrganizationRecord
    | ClassGroupRecord
    | SubjectRecord
    | StudyPeriodRecord
    | StudentRecord
    | EnrolmentRecord
    | DiaryMarkRecord
    | PeriodMarkRecord
    | ExamResultRecord
    | QueueApplicationRecord
)
"""Any record of a section."""


@dataclass(frozen=True, kw_only=True, slots=True)
class BatchHeader:
    """Who sent the input, when, and about which organization."""

    packet_id: str
    """The provider's identifier of the packet (or of the uploaded file)."""
    provider: str
    """Mnemonic of the data provider."""
    created: datetime
    """When the provider created the input."""
    org_inn: str | None = None
    """ИНН of the organization the input is about."""
    org_kpp: str | None = None
    """КПП of the organization or branch, when one ИНН has several."""
    version: str = "1.0.0"
    """Version of the input format."""


@dataclass(frozen=True, kw_only=True, slots=True)
class MappedBatch:
    """Everything mapped from one input: accepted records per section and every row error.

    A row with an error (severity ``error``) is left out of its section; a row with warnings only is
    kept. ``errors`` are in input order.
    """

    header: BatchHeader
    organization: OrganizationRecord | None = None
    class_groups: tuple[ClassGroupRecord, ...] = ()
    subjects: tuple[SubjectRecord, ...] = ()
    study_periods: tuple[StudyPeriodRecord, ...] = ()
    students: tuple[StudentRecord, ...] = ()
    enrolments: tuple[EnrolmentRecord, ...] = ()
    diary_marks: tuple[DiaryMarkRecord, ...] = ()
    period_marks: tuple[PeriodMarkRecord, ...] = ()
    exam_results: tuple[ExamResultRecord, ...] = ()
    queue_applications: tuple[QueueApplicationRecord, ...] = ()
    errors: tuple[RowError, ...] = ()

    @property
    def has_errors(self) -> bool:
        """Whether any row was rejected."""
        return has_errors(self.errors)


@dataclass(frozen=True, kw_only=True, slots=True)
class MappedChunk:
    """A slice of one section of a large input, mapped while streaming."""

    header: BatchHeader
    section: str
    """Section name as in the input (``Students``, ``DiaryMarks`` …)."""
    records: Sequence[Record]
    """Accepted records of this slice, in input order (a tuple, or the ``PeriodMarkColumns`` of a run of
    quarter marks)."""
    errors: tuple[RowError, ...] = ()
    """Row errors of this slice, in input order."""


LOAD_GC_THRESHOLD = 100_000
"""Net allocations of container objects between two runs of the cyclic garbage collector during a
load (Python's default is 700)."""
_gc_lock = threading.Lock()
_gc_loads = 0
_gc_saved: tuple[int, int, int] = gc.get_threshold()


@contextmanager
def few_collections() -> Iterator[None]:
    """Let the cyclic garbage collector run rarely while an input is read, mapped and written.

    A load allocates millions of records, tuples and dictionaries, most of them short-lived. With
    the default threshold the collector ran thousands of times during a packet of 20,000 students,
    and each run of its oldest generation walked every live object of the process (a whole Excel
    upload's records among them): a fifth of the load's CPU. Rows are freed by reference counting
    as before; only cycles wait a little longer. The threshold is process-wide: the first load in
    raises it, the last one out restores it.
    """
    global _gc_loads, _gc_saved
    with _gc_lock:
        if _gc_loads == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(max(LOAD_GC_THRESHOLD, _gc_saved[0]), *_gc_saved[1:])
        _gc_loads += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_loads -= 1
            if _gc_loads == 0:
                gc.set_threshold(*_gc_saved)


DATACLASS_INITS: dict[type, Any] = {}
"""Each record class → the ``__init__`` ``dataclass`` made for it (kept for the tests of ``direct_init``)."""


T = TypeVar("T", bound=type)


def direct_init(cls: T) -> T:
    """Give the frozen dataclass ``cls`` (with slots) an ``__init__`` that sets each slot directly.

    The ``__init__`` a frozen dataclass gets calls ``object.__setattr__`` once a field, most of the
    cost of making a record – and a packet makes millions of them. This one stores each value with
    its slot's own descriptor: the same keyword-only arguments with the same defaults, the same
    values; the instance stays frozen (assignment still raises ``FrozenInstanceError``), compares,
    hashes and prints as before.
    """
    namespace: dict[str, Any] = {}
    params, body = [], []
    for item in fields(cls):
        if item.default_factory is not MISSING or not item.init:
            raise TypeError(f"{cls.__name__}.{item.name}: only plain fields and defaults")
        if item.default is MISSING:
            params.append(item.name)
        else:
            namespace[f"_default_{item.name}"] = item.default
            params.append(f"{item.name}=_default_{item.name}")
        namespace[f"_set_{item.name}"] = vars(cls)[item.name].__set__  # the slot's member descriptor
        body.append(f"    _set_{item.name}(self, {item.name})")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}: __post_init__ is not supported")
    source = f"def __init__(self, *, {', '.join(params)}):\n" + "\n".join(body)
    exec(source, namespace)  # noqa: S102 (generated from the field names of our own dataclasses)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    DATACLASS_INITS[cls] = vars(cls)["__init__"]
    type.__setattr__(cls, "__init__", init)
    return cls


for _record in (
    DocumentRecord, AddressRecord, ContactsRecord, PersonRecord, RepresentativeRecord, HealthRecord, BranchRecord,
    OrganizationRecord, ClassGroupRecord, SubjectRecord, StudyPeriodRecord, StudentRecord, EnrolmentRecord, MarkValue,
    DiaryMarkRecord, PeriodMarkRecord, ExamResultRecord, PreferredOrganizationRecord, QueueApplicationRecord,
    BatchHeader, MappedBatch, MappedChunk,
):
    direct_init(_record)
