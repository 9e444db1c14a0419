"""The EPGU service «сведения о текущей успеваемости обучающегося (электронный дневник)».

Three entry points over the same rules (``epgu_identify``) and reads (``epgu_marks``):

* :func:`handle_performance_xml` – for the SMEV participant: takes the business payload (root of
  ``MessagePrimaryContent``, a ``PerformanceRequest`` of ``xsd/epgu-performance-1.0.0.xsd``) and
  returns a :class:`PerformanceOutcome` whose ``response`` is a schema-valid
  ``PerformanceResponse`` in every case;
* :func:`get_performance` – the same over plain values;
* :func:`performance_for_call` – the direct SOAP contract ``EpguPerformance``: checks the caller
  (a consumer system granted the contract, or the system administrator), then ``get_performance``.

A refusal (ACCESS_DENIED, NO_DATA, BAD_REQUEST) is a normal answer carrying a ``Refusal``
element with code, reason and Russian text – the СМЭВ custom the portal's engineers expect – so
the call's transaction commits and its audit record stays. SOAP faults are kept for what is not
an answer: an unauthenticated or unauthorised caller, a malformed envelope, a server failure.
Every answer, refusals included, is audited in the caller's transaction with the applicant in
the details. Functions take a session and never commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lxml import etree
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from db.models import utcnow
from kontingent_ws.call import CallContext
from kontingent_ws.security import audit
from kontingent_ws.security.caller import SYSTEM_ADMIN, Caller
from kontingent_ws.security.scope import caller_of, deny
from kontingent_ws.usecases.epgu_identify import (
    Refused,
    check_applicant,
    find_pupil,
    requested_range,
)
from kontingent_ws.usecases.epgu_marks import load_educations
from kontingent_ws.usecases.epgu_model import (
    ACCESS_DENIED,
    NO_DATA,
    NO_DATA_FOR_PERIOD,
    Performance,
    PerformanceQuery,
    PerformanceResult,
    PersonData,
    Refusal,
)
from kontingent_ws.usecases.epgu_xml import read_request, render_response

CONTRACT = "EpguPerformance"
AUDIT_OBJECT = "epgu_performance"


@dataclass(frozen=True, kw_only=True)
class AuditContext:
    """Who is asking, for the audit record (the SMEV participant builds one per incoming message)."""

    contract: str
    """``EpguPerformance`` for the direct contract; e.g. ``SMEV`` for the SMEV participant."""
    operation: str
    """``GetPerformance``, or the root element / transaction code of the SMEV message."""
    actor: str | None = None
    """Mnemonic of the consumer system (or login)."""
    system_id: int | None = None
    user_id: int | None = None
    client_address: str | None = None
    request_id: str | None = None
    """Request id of the HTTP call or the SMEV MessageID (hex, up to 32 characters kept)."""

    @classmethod
    def of_call(cls, call: CallContext) -> AuditContext:
        caller = call.caller if isinstance(call.caller, Caller) else None
        return cls(
            contract=call.contract,
            operation=call.operation,
            actor=caller.name if caller else None,
            system_id=caller.system_id if caller else None,
            user_id=caller.user_id if caller else None,
            client_address=call.client_address or None,
            request_id=call.request_id,
        )


@dataclass(frozen=True, kw_only=True)
class PerformanceOutcome:
    """What the SMEV participant sends back: always a schema-valid ``PerformanceResponse``."""

    response: etree._Element
    """``PerformanceResponse`` with either ``Performance`` or ``Refusal``."""
    refusal: Refusal | None
    """The refusal inside ``response`` (``None`` when the data were given)."""

    @property
    def ok(self) -> bool:
        return self.refusal is None

    @property
    def code(self) -> str | None:
        return self.refusal.code if self.refusal else None

    @property
    def message(self) -> str | None:
        return self.refusal.message if self.refusal else None


def handle_performance_xml(
    session: Session, request: etree._Element, *, audit_context: AuditContext, today: dt.date | None = None
) -> PerformanceOutcome:
    """Answer one ``PerformanceRequest`` element (a malformed one gets a BAD_REQUEST refusal)."""
    try:
        query = read_request(request)
    except Refused as refused:
        refusal = refused.refusal
        _audit(session.connection(), audit_context, None, f"запрос отклонён: {refusal.message}", refusal)
        result = PerformanceResult(refusal=refused.refusal)
    else:
        result = get_performance(session, query, audit_context=audit_context, today=today)
    return PerformanceOutcome(response=render_response(result), refusal=result.refusal)


def get_performance(
    session: Session, query: PerformanceQuery, *, audit_context: AuditContext, today: dt.date | None = None
) -> PerformanceResult:
    """The pupil's performance for the applicant, or a refusal; audited either way."""
    on = today or dt.date.today()
    connection = session.connection()
    pupil_id: int | None = None
    applicant = f"заявитель по запросу: {_requested_applicant(query)}"
    try:
        date_from, date_to = requested_range(query)
        pupil = find_pupil(connection, query.pupil, on=on)
        pupil_id = pupil.id
        recognised = check_applicant(connection, pupil, query.representative, on=on)
        applicant = f"заявитель: {recognised.description} (person_id={recognised.person_id})"
        educations = load_educations(connection, pupil.id, date_from, date_to)
        if not educations:
            raise Refused(
                Refusal(
                    code=NO_DATA,
                    reason=NO_DATA_FOR_PERIOD,
                    message="За указанный период сведения об обучении и отметках обучающегося отсутствуют",
                )
            )
    except Refused as refused:
        _audit(connection, audit_context, pupil_id, applicant, refused.refusal)
        return PerformanceResult(refusal=refused.refusal)
    performance = Performance(
        pupil=PersonData(
            last_name=pupil.last_name,
            first_name=pupil.first_name,
            middle_name=pupil.middle_name,
            birth_date=pupil.birth_date,
        ),
        date_from=date_from,
        date_to=date_to,
        educations=educations,
    )
    _audit(connection, audit_context, pupil.id, f"{applicant}; период {date_from}–{date_to}", None)
    return PerformanceResult(performance=performance)


def performance_for_call(call: CallContext, query: PerformanceQuery) -> PerformanceResult:
    """The direct contract: only a consumer system granted it, or the system administrator."""
    caller = caller_of(call)
    allowed = caller.role == SYSTEM_ADMIN or (
        caller.kind == "system" and caller.is_consumer and CONTRACT in caller.contracts
    )
    if not allowed:
        raise deny(
            call,
            object_type="contract",
            object_id=CONTRACT,
            message="Сведения об успеваемости для ЕПГУ доступны только информационным системам-потребителям, "
            "которым предоставлен этот сервис",
        )
    return get_performance(call.session, query, audit_context=AuditContext.of_call(call))


def _requested_applicant(query: PerformanceQuery) -> str:
    rep = query.representative
    if rep is None:
        return "сам обучающийся"
    parts = []
    if rep.person is not None:
        middle = f" {rep.person.middle_name}" if rep.person.middle_name else ""
        parts.append(f"{rep.person.last_name} {rep.person.first_name}{middle}, {rep.person.birth_date}")
    if rep.snils:
        parts.append("с СНИЛС")
    return "законный представитель " + (" ".join(parts) or "без данных")


def _audit(
    connection: Connection, context: AuditContext, pupil_id: int | None, applicant: str, refusal: Refusal | None
) -> None:
    outcome = "сведения предоставлены" if refusal is None else f"отказ {refusal.code}/{refusal.reason}"
    action = audit.ACCESS_DENIED if refusal is not None and refusal.code == ACCESS_DENIED else audit.READ
    audit.insert_event(
        connection,
        {
            "occurred_at": utcnow(),
            "user_id": context.user_id,
            "system_id": context.system_id,
            "actor": context.actor,
            "client_address": (context.client_address or "")[:64] or None,
            "contract": context.contract,
            "operation": context.operation,
            "action": action,
            "subject_person_id": pupil_id,
            "object_type": AUDIT_OBJECT,
            "object_id": str(pupil_id) if pupil_id is not None else None,
            "details": f"ЕПГУ, электронный дневник: {outcome}; {applicant}",
            "request_id": (context.request_id or "")[:32] or None,
        },
    )
