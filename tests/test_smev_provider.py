"""The provider loop against the SMEV double: answers, refusals, duplicates, overload, empty queue."""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections.abc import Iterator

import pytest
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.engine import make_engine, make_session_factory
from db.models.exchange import SmevMessage
from db.models.people import Person
from kontingent_ws.smev.backoff import Backoff
from kontingent_ws.smev.client import SmevClient
from kontingent_ws.smev.envelopes import Rejection, basic, types
from kontingent_ws.smev.handlers import HandlerOutcome, HandlerRegistry, RequestContext
from kontingent_ws.smev.ids import is_message_id
from kontingent_ws.smev.keys import SmevSigner
from kontingent_ws.smev.participant import Participant, Poll
from kontingent_ws.smev.provider import Provider
from kontingent_ws.xmlsig.smev_signature import SmevTrust
from tests.smevdouble import SCHEMAS_DIR, Member, SmevDouble, gost_signer, rsa_signer

pytestmark = pytest.mark.skipif(not SCHEMAS_DIR.is_dir(), reason="official SMEV 3 1.1 schemas are not present")

TEST_NS = "urn://kontingent-region/test/smev-provider/1.0"
QUERY = etree.QName(TEST_NS, "PupilQuery")
SNILS = "11223344595"


def _query(snils: str, applicant: str = "representative") -> etree._Element:
    query = etree.Element(QUERY.text, nsmap={"q": TEST_NS})
    etree.SubElement(query, f"{{{TEST_NS}}}Snils").text = snils
    etree.SubElement(query, f"{{{TEST_NS}}}Applicant").text = applicant
    return query


def pupil_handler(session: Session, document: etree._Element, context: RequestContext) -> HandlerOutcome:
    """A test-only handler: the pupil's name from the database, or a refusal."""
    snils = document.findtext(f"{{{TEST_NS}}}Snils")
    if document.findtext(f"{{{TEST_NS}}}Applicant") != "representative":
        return HandlerOutcome(rejection=Rejection(code="ACCESS_DENIED", description="Заявитель не представитель"))
    person = session.scalars(select(Person).where(Person.snils == snils)).one_or_none()
    if person is None:
        return HandlerOutcome(rejection=Rejection(code="NO_DATA", description="Обучающийся не найден"))
    answer = etree.Element(f"{{{TEST_NS}}}PupilAnswer", nsmap={"q": TEST_NS})
    etree.SubElement(answer, f"{{{TEST_NS}}}Name").text = f"{person.last_name} {person.first_name}"
    etree.SubElement(answer, f"{{{TEST_NS}}}Sender").text = context.sender or ""
    return HandlerOutcome(content=answer)


@pytest.fixture(scope="module", params=["rsa-sha256"])
def signers(request: pytest.FixtureRequest) -> dict[str, SmevSigner]:
    """RSA keys for most tests (GOST in pure Python is slow); the GOST run is in ``gost_signers``."""
    make = gost_signer if request.param == "gost2012-256" else rsa_signer
    return {name: make(name) for name in ("SMEV", "KONTINGENT", "EPGU")}


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    with factory() as session:
        session.add(
            Person(
                last_name="Иванова",
                first_name="Мария",
                last_name_norm="ИВАНОВА",
                first_name_norm="МАРИЯ",
                sex="2",
                birth_date=dt.date(2012, 5, 17),
                snils=SNILS,
            )
        )
        session.commit()
    yield factory
    engine.dispose()


@pytest.fixture
def double(signers: dict[str, SmevSigner]) -> Iterator[SmevDouble]:
    members = [
        Member(mnemonic=name, name=f"ИС {name}", certificate_der=signers[name].certificate_der)
        for name in ("KONTINGENT", "EPGU")
    ]
    with SmevDouble(signer=signers["SMEV"], members=members) as running:
        running.route(QUERY, "KONTINGENT")
        yield running


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _provider(
    double: SmevDouble, sessions: sessionmaker[Session], signers: dict[str, SmevSigner], **kwargs: object
) -> Provider:
    participant = Participant(
        client=SmevClient(endpoint=double.url, read_timeout=10),
        sessions=sessions,
        signer=signers["KONTINGENT"],
        trust=SmevTrust(certificates=frozenset({signers["SMEV"].certificate_der, signers["EPGU"].certificate_der})),
        backoff=Backoff(base_seconds=0.5, cap_seconds=4, attempts=5),
        rng=random.Random(7),
        **kwargs,
    )
    return Provider(participant, HandlerRegistry({}).with_handler(QUERY, pupil_handler))


def _stored(sessions: sessionmaker[Session]) -> list[SmevMessage]:
    with sessions() as session:
        return list(session.scalars(select(SmevMessage).order_by(SmevMessage.id)))


@pytest.mark.parametrize("signers", ["gost2012-256"], indirect=True)
def test_request_is_answered_with_data_from_the_database(double, sessions, signers) -> None:
    sleeps = Sleeps()
    message_id = double.enqueue_request(sender=signers["EPGU"], content=_query(SNILS))

    assert _provider(double, sessions, signers, sleep=sleeps).run(once=True) == 0

    (answer,) = double.responses_to(message_id)
    assert signers["KONTINGENT"].profile.name == "gost2012-256"
    assert is_message_id(answer.findtext(types("MessageID")))
    name = answer.findtext(f"{basic('MessagePrimaryContent')}/{{{TEST_NS}}}PupilAnswer/{{{TEST_NS}}}Name")
    assert name == "Иванова Мария"
    assert answer.findtext(f".//{{{TEST_NS}}}Sender") == "EPGU"
    assert double.problems == []
    assert double.waiting("KONTINGENT") == 0
    (stored,) = _stored(sessions)
    assert (stored.direction, stored.status, stored.message_id, stored.attempts) == ("in", "answered", message_id, 1)
    assert stored.root_element == QUERY.text
    assert b"GetRequestResponse" in stored.payload and stored.answer is not None
    assert sleeps == []


@pytest.mark.parametrize(
    ("query", "code"),
    [(_query(SNILS, applicant="neighbour"), "ACCESS_DENIED"), (_query("12345678964"), "NO_DATA")],
)
def test_refusals_are_sent_as_request_rejected(double, sessions, signers, query, code) -> None:
    message_id = double.enqueue_request(sender=signers["EPGU"], content=query)

    _provider(double, sessions, signers, sleep=Sleeps()).run(once=True)

    (answer,) = double.responses_to(message_id)
    assert answer.findtext(f"{types('RequestRejected')}/{types('RejectionReasonCode')}") == code
    assert answer.findtext(f"{types('RequestRejected')}/{types('RejectionReasonDescription')}")
    assert answer.find(basic("MessagePrimaryContent")) is None
    assert _stored(sessions)[0].status == "answered"
    assert double.problems == []


def test_unknown_request_type_is_rejected(double, sessions, signers) -> None:
    other = etree.QName(TEST_NS, "Unrelated")
    double.route(other, "KONTINGENT")
    message_id = double.enqueue_request(sender=signers["EPGU"], content=etree.Element(other.text))

    _provider(double, sessions, signers, sleep=Sleeps()).run(once=True)

    (answer,) = double.responses_to(message_id)
    assert answer.findtext(f".//{types('RejectionReasonCode')}") == "UNKNOWN_REQUEST_DESCRIPTION"


def test_handler_failure_becomes_failure_rejection(double, sessions, signers) -> None:
    def broken(session: Session, document: etree._Element, context: RequestContext) -> HandlerOutcome:
        session.add(Person(last_name="x"))  # violates NOT NULL columns: the handler's writes roll back
        session.flush()
        raise AssertionError("unreachable")

    provider = _provider(double, sessions, signers, sleep=Sleeps())
    provider.registry = HandlerRegistry({}).with_handler(QUERY, broken)
    message_id = double.enqueue_request(sender=signers["EPGU"], content=_query(SNILS))

    provider.run(once=True)

    (answer,) = double.responses_to(message_id)
    assert answer.findtext(f".//{types('RejectionReasonCode')}") == "FAILURE"
    with sessions() as session:
        assert session.scalars(select(Person.last_name)).all() == ["Иванова"]


def test_duplicate_delivery_is_acknowledged_but_not_answered_again(double, sessions, signers) -> None:
    double.duplicate_next_ack()
    message_id = double.enqueue_request(sender=signers["EPGU"], content=_query(SNILS))
    provider = _provider(double, sessions, signers, sleep=Sleeps())

    assert provider.poll_once() is Poll.ANSWERED
    assert provider.poll_once() is Poll.DUPLICATE
    assert provider.poll_once() is Poll.EMPTY

    assert len(double.responses_to(message_id)) == 1
    assert len(double.calls("AckRequest")) == 2
    assert len(double.calls("SendResponseRequest")) == 1
    assert [message.status for message in _stored(sessions)] == ["answered"]


def test_overload_faults_are_retried_with_growing_backoff(double, sessions, signers) -> None:
    sleeps = Sleeps()
    message_id = double.enqueue_request(sender=signers["EPGU"], content=_query(SNILS))
    double.fail_next(3, "SMEVFailure")

    assert _provider(double, sessions, signers, sleep=sleeps).run(once=True) == 0

    assert len(double.responses_to(message_id)) == 1
    assert len(sleeps) == 3
    for failures, seconds in enumerate(sleeps, start=1):
        ceiling = min(4, 0.5 * 2 ** (failures - 1))
        assert ceiling / 2 <= seconds <= ceiling
    assert double.problems == []


def test_persistent_overload_ends_a_single_pass_with_failure(double, sessions, signers) -> None:
    sleeps = Sleeps()
    double.enqueue_request(sender=signers["EPGU"], content=_query(SNILS))
    double.fail_next(50, "SystemInfrastructureError")

    assert _provider(double, sessions, signers, sleep=sleeps).run(once=True) == 1

    assert len(sleeps) == 4
    assert _stored(sessions) == []


def test_already_sent_answer_counts_as_answered(double, sessions, signers) -> None:
    def lose_the_reply(point: str) -> None:
        if point == "after-answer":
            double.fail_next(1, "MessageIsAlreadySent")

    double.enqueue_request(sender=signers["EPGU"], content=_query(SNILS))

    _provider(double, sessions, signers, sleep=Sleeps(), checkpoint=lose_the_reply).run(once=True)

    (stored,) = _stored(sessions)
    assert stored.status == "answered" and stored.error is None
    assert len(double.calls("SendResponseRequest")) == 1
    assert double.waiting("EPGU") == 0


def test_empty_queue_sleeps_and_polls_again(double, sessions, signers) -> None:
    stop = threading.Event()
    sleeps = Sleeps()

    def sleep(seconds: float) -> None:
        sleeps(seconds)
        if len(sleeps) == 3:
            stop.set()

    provider = _provider(double, sessions, signers, sleep=sleep, poll_seconds=2.5)
    assert provider.run(stop=stop) == 0

    assert sleeps == [2.5, 2.5, 2.5]
    assert len(double.calls("GetRequestRequest")) == 3
    assert _stored(sessions) == []


def test_request_with_a_forged_smev_signature_is_refused(double, sessions, signers) -> None:
    impostor = rsa_signer("Не СМЭВ")
    double.signer = impostor
    double.enqueue_request(sender=signers["EPGU"], content=_query(SNILS))

    assert _provider(double, sessions, signers, sleep=Sleeps()).poll_once() is Poll.REFUSED

    (ack,) = double.calls("AckRequest")
    assert b'accepted="false"' in ack.envelope
    assert _stored(sessions) == [] and double.waiting("KONTINGENT") == 0
