"""Row readers of the organization, class, subject, period, student, enrolment and queue sections.

Each ``read_*`` takes the ``Fields`` of one row and the ``PacketState`` and returns a record, or
``None`` when a required part is missing; every problem is already a row error in ``fields.sink``.
"""

from __future__ import annotations

from datetime import date

from adapters import identifiers, validation
from adapters.packet_fields import Fields
from adapters.packet_people import (
    read_address,
    read_addresses,
    read_contacts,
    read_education_document,
    read_health,
    read_person,
    read_representative,
)
from adapters.packet_state import PacketState
from adapters.records import (
    BranchRecord,
    ClassGroupRecord,
    EnrolmentRecord,
    OrganizationRecord,
    PreferredOrganizationRecord,
    QueueApplicationRecord,
    StudentRecord,
    StudyPeriodRecord,
    SubjectRecord,
)
from adapters.validation import normalize_inn
from db import classifiers

COMPENSATING = "2"
"""Group orientation that needs a compensating profile."""


def normalize_ogrn(value: str) -> str:
    """ОГРН (13 digits) or ОГРНИП (15 digits)."""
    digits = "".join(value.split())
    return identifiers.normalize_ogrnip(digits) if len(digits) == 15 else identifiers.normalize_ogrn(digits)


def read_branch(fields: Fields) -> BranchRecord | None:
    ref = fields.attribute("providerRef", required=True)
    full_name = fields.text("FullName", required=True)
    kpp = fields.identifier("Kpp", identifiers.normalize_kpp)
    oktmo = fields.identifier("Oktmo", identifiers.normalize_oktmo)
    address_fields = fields.child("Address")
    address = None if address_fields is None else read_address(address_fields)
    if ref is None or full_name is None:
        return None
    return BranchRecord(
        ref=ref, full_name=full_name, short_name=fields.text("ShortName"), kpp=kpp, oktmo=oktmo, address=address
    )


def read_organization(fields: Fields, state: PacketState) -> OrganizationRecord | None:
    full_name = fields.text("FullName", required=True)
    org_type = fields.code("OrgType", classifiers.ORG_TYPE, required=True)
    inn = fields.identifier("Inn", normalize_inn, required=True)
    oktmo = fields.identifier("Oktmo", identifiers.normalize_oktmo, required=True)
    status = fields.code("Status", classifiers.ORG_STATUS)
    kpp = fields.identifier("Kpp", identifiers.normalize_kpp)
    ogrn = fields.identifier("Ogrn", normalize_ogrn)
    okfs = fields.code("Okfs", classifiers.OKFS)
    addresses = read_addresses(fields)
    branches = tuple(
        branch for item in fields.children("Branches", "Branch") if (branch := read_branch(item)) is not None
    )
    if full_name is None or org_type is None or inn is None or oktmo is None:
        return None
    return OrganizationRecord(
        full_name=full_name,
        short_name=fields.text("ShortName"),
        org_type=org_type,
        status=status,
        inn=inn,
        kpp=kpp,
        ogrn=ogrn,
        okpo=fields.text("Okpo"),
        oktmo=oktmo,
        okopf=fields.text("Okopf"),
        okfs=okfs,
        contacts=read_contacts(fields.child("Contacts")),
        addresses=addresses,
        branches=branches,
    )


def read_class_group(fields: Fields, state: PacketState) -> ClassGroupRecord | None:
    name = fields.text("Name", required=True)
    year = fields.school_year("SchoolYear")
    program_kind = fields.code("ProgramKind", classifiers.PROGRAM_KIND, required=True)
    school = fields.child("SchoolClass")
    preschool = fields.child("PreschoolGroup")
    grade = school.integer("Grade", required=True) if school else None
    if grade is not None and not 1 <= grade <= 12 and school is not None:
        fields.sink.fail("GRADE_OUT_OF_RANGE", school.name("Grade"), str(grade))
    orientation = regime = age_band = profile = None
    if preschool is not None:
        orientation = preschool.code("Orientation", classifiers.GROUP_ORIENTATION, required=True)
        profile = preschool.code(
            "CompensatingProfile", classifiers.COMPENSATING_PROFILE, required=orientation == COMPENSATING
        )
        regime = preschool.code("Regime", classifiers.GROUP_REGIME, required=True)
        age_band = preschool.code("AgeBand", classifiers.GROUP_AGE_BAND, required=True)
    if name is None or year is None or program_kind is None:
        return None
    return ClassGroupRecord(
        ref=fields.element.get("providerRef", ""),
        row=fields.sink.row,
        name=name,
        school_year=year,
        program_kind=program_kind,
        grade=grade,
        letter=school.text("Letter") if school else None,
        orientation=orientation,
        compensating_profile=profile,
        regime=regime,
        age_band=age_band,
        specialty=fields.text("Specialty"),
    )


def read_subject(fields: Fields, state: PacketState) -> SubjectRecord | None:
    name = fields.text("Name", required=True)
    base = fields.code("BaseSubject", classifiers.SUBJECTS)
    if name is None:
        return None
    if fields.text("BaseSubject") is None:
        fields.sink.fail("BASE_SUBJECT_MISSING", fields.name("BaseSubject"), name)
    return SubjectRecord(ref=fields.element.get("providerRef", ""), row=fields.sink.row, name=name, base_subject=base)


def read_study_period(fields: Fields, state: PacketState) -> StudyPeriodRecord | None:
    kind = fields.code("Kind", classifiers.STUDY_PERIOD_KIND, required=True)
    number = fields.integer("Number", required=True)
    year = fields.school_year("SchoolYear")
    start = fields.date("StartDate", required=True)
    end = fields.date("EndDate", required=True)
    if start is not None and end is not None and end < start:
        fields.sink.fail("END_BEFORE_START", fields.name("EndDate"), end.isoformat(), start_date=start.isoformat())
    if kind is None or number is None or year is None or start is None or end is None:
        return None
    return StudyPeriodRecord(
        ref=fields.element.get("providerRef", ""),
        row=fields.sink.row,
        kind=kind,
        number=number,
        school_year=year,
        start_date=start,
        end_date=end,
    )


def read_student(fields: Fields, state: PacketState) -> StudentRecord | None:
    today = state.today
    person = read_person(fields, today=today, require_birth=True)
    if fields.text("Citizenship") is None:
        fields.sink.fail("REQUIRED", fields.name("Citizenship"), None)
    representatives = tuple(
        item
        for reader in fields.children("Representatives", "Representative")
        if (item := read_representative(reader, today=today)) is not None
    )
    documents = tuple(
        document
        for reader in fields.children("EducationDocuments", "EducationDocument")
        if (document := read_education_document(reader, today=today)) is not None
    )
    health = read_health(fields.child("Health"))
    if person is None or person.birth_date is None:
        return None
    ref = fields.element.get("providerRef", "")
    if not fields.sink.rejected:
        state.birth_dates[ref] = person.birth_date
    return StudentRecord(
        ref=ref,
        row=fields.sink.row,
        person=person,
        representatives=representatives,
        education_documents=documents,
        health=health,
    )


def check_age(fields: Fields, state: PacketState, student_ref: str, level: str, entry: date) -> None:
    """The student's age on the entry date must fit the level of education."""
    birth = state.birth_dates.get(student_ref)
    if birth is not None:
        validation.check_age(fields.sink, fields.name("EducationLevel"), level=level, birth=birth, entry=entry)


def read_enrolment(fields: Fields, state: PacketState) -> EnrolmentRecord | None:
    student_ref = state.resolve(fields, "StudentRef", "Students")
    group_ref = state.resolve(fields, "ClassGroupRef", "ClassGroups", required=False)
    program_kind = fields.code("ProgramKind", classifiers.PROGRAM_KIND, required=True)
    level = fields.code("EducationLevel", classifiers.EDUCATION_LEVEL, required=True)
    form = fields.code("EducationForm", classifiers.EDUCATION_FORM, required=True)
    entry = fields.date("EntryDate", required=True, not_after=state.today)
    entry_reason = fields.code("EntryReason", classifiers.ENTRY_REASON, required=True)
    exit_date = fields.date("ExitDate", not_after=state.today)
    exit_reason = fields.code("ExitReason", classifiers.EXIT_REASON, required=fields.text("ExitDate") is not None)
    if exit_date is None and fields.text("ExitReason") is not None and fields.text("ExitDate") is None:
        fields.sink.fail("REQUIRED", fields.name("ExitDate"), None)
    if entry is not None and exit_date is not None and exit_date < entry:
        fields.sink.fail(
            "EXIT_BEFORE_ENTRY", fields.name("ExitDate"), exit_date.isoformat(), entry_date=entry.isoformat()
        )
    if student_ref is not None and level is not None and entry is not None:
        check_age(fields, state, student_ref, level, entry)
    if (
        student_ref is None
        or program_kind is None
        or level is None
        or form is None
        or entry is None
        or entry_reason is None
    ):
        return None
    return EnrolmentRecord(
        ref=fields.element.get("providerRef", ""),
        row=fields.sink.row,
        student_ref=student_ref,
        class_group_ref=group_ref,
        program_kind=program_kind,
        education_level=level,
        education_form=form,
        entry_date=entry,
        entry_reason=entry_reason,
        exit_date=exit_date,
        exit_reason=exit_reason,
    )


def read_preferred(fields: Fields, priority: int) -> PreferredOrganizationRecord | None:
    inn = fields.identifier("Inn", normalize_inn, required=True)
    kpp = fields.identifier("Kpp", identifiers.normalize_kpp)
    return None if inn is None else PreferredOrganizationRecord(priority=priority, inn=inn, kpp=kpp)


def read_queue_application(fields: Fields, state: PacketState) -> QueueApplicationRecord | None:
    today = state.today
    submitted = fields.date("SubmittedDate", required=True, not_after=today)
    child_fields = fields.child("Child")
    applicant_fields = fields.child("Applicant")
    child = read_person(child_fields, today=today, require_birth=True) if child_fields else None
    applicant = read_representative(applicant_fields, today=today) if applicant_fields else None
    oktmo = fields.identifier("MunicipalityOktmo", identifiers.normalize_oktmo, required=True)
    desired = fields.date("DesiredDate", required=True)
    orientation = fields.code("Orientation", classifiers.GROUP_ORIENTATION, required=True)
    profile = fields.code("CompensatingProfile", classifiers.COMPENSATING_PROFILE, required=orientation == COMPENSATING)
    regime = fields.code("Regime", classifiers.GROUP_REGIME, required=True)
    privilege = fields.code("Privilege", classifiers.QUEUE_PRIVILEGE)
    preferred = tuple(
        item
        for priority, reader in enumerate(fields.children("PreferredOrganizations", "PreferredOrganization"), start=1)
        if (item := read_preferred(reader, priority)) is not None
    )
    if not preferred and not fields.sink.rejected:
        fields.sink.fail("REQUIRED", fields.name("PreferredOrganizations"), None)
    status = fields.code("Status", classifiers.QUEUE_STATUS, required=True)
    status_date = fields.date("StatusDate", not_after=today)
    if child_fields is None:
        fields.sink.fail("REQUIRED", fields.name("Child"), None)
    if applicant_fields is None:
        fields.sink.fail("REQUIRED", fields.name("Applicant"), None)
    if (
        submitted is None
        or child is None
        or applicant is None
        or oktmo is None
        or desired is None
        or orientation is None
        or regime is None
        or status is None
    ):
        return None
    return QueueApplicationRecord(
        ref=fields.element.get("providerRef", ""),
        row=fields.sink.row,
        number=fields.text("Number"),
        submitted_date=submitted,
        child=child,
        applicant=applicant,
        municipality_oktmo=oktmo,
        desired_date=desired,
        orientation=orientation,
        compensating_profile=profile,
        regime=regime,
        privilege=privilege,
        preferred_organizations=preferred,
        status=status,
        status_date=status_date,
    )
