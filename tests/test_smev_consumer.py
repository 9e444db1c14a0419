"""The consumer side against the SMEV double: send packets, collect answers, resend unconfirmed ones."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.engine import make_engine, make_session_factory
from db.models.exchange import SmevMessage
from kontingent_ws.smev.backoff import Backoff
from kontingent_ws.smev.client import SmevClient
from kontingent_ws.smev.consumer import Consumer
from kontingent_ws.smev.envelopes import Rejection
from kontingent_ws.smev.ids import is_message_id
from kontingent_ws.smev.keys import SmevSigner
from kontingent_ws.smev.participant import Participant, Poll
from kontingent_ws.xmlsig.smev_signature import SmevTrust
from tests.smevdouble import SCHEMAS_DIR, SmevDouble, federal_double, federal_signers

pytestmark = pytest.mark.skipif(not SCHEMAS_DIR.is_dir(), reason="official SMEV 3 1.1 schemas are not present")

NS = "urn://kontingent-region/test/smev-consumer/1.0"
PACKET = etree.QName(NS, "ChangePacket")
RECEIPT = etree.QName(NS, "Receipt")


@pytest.fixture(scope="module")
def signers() -> dict[str, SmevSigner]:
    return federal_signers()


@pytest.fixture
def double(signers: dict[str, SmevSigner]) -> Iterator[SmevDouble]:
    with federal_double(signers, PACKET) as running:
        yield running


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def consumer(double: SmevDouble, sessions: sessionmaker[Session], signers: dict[str, SmevSigner]) -> Consumer:
    participant = Participant(
        client=SmevClient(endpoint=double.url, read_timeout=10),
        sessions=sessions,
        signer=signers["KONTINGENT"],
        trust=SmevTrust(certificates=frozenset({signers["SMEV"].certificate_der, signers["FEDERAL"].certificate_der})),
        backoff=Backoff(base_seconds=0.1, cap_seconds=1, attempts=4),
        sleep=lambda seconds: None,
        rng=random.Random(3),
    )
    return Consumer(participant)


def _packet(number: int) -> etree._Element:
    packet = etree.Element(PACKET.text, nsmap={"p": NS})
    etree.SubElement(packet, f"{{{NS}}}Number").text = str(number)
    return packet


def _out(sessions: sessionmaker[Session]) -> list[SmevMessage]:
    with sessions() as session:
        return list(session.scalars(select(SmevMessage).where(SmevMessage.direction == "out").order_by(SmevMessage.id)))


def test_packets_are_sent_and_answers_mark_them_delivered_or_failed(consumer, double, sessions, signers) -> None:
    first = consumer.send(_packet(1), kind="changes")
    second = consumer.send(_packet(2), kind="changes")
    assert first != second and is_message_id(first) and is_message_id(second)
    assert [message.status for message in _out(sessions)] == ["sent", "sent"]

    double.answer_next_request(recipient=signers["FEDERAL"], content=etree.Element(RECEIPT.text))
    double.answer_next_request(
        recipient=signers["FEDERAL"], rejection=Rejection(code="FAILURE", description="Пакет не принят")
    )
    assert consumer.collect() == 2
    assert consumer.poll_once() is Poll.EMPTY

    delivered, failed = _out(sessions)
    assert (delivered.message_id, delivered.status, delivered.kind) == (first, "delivered", "changes")
    assert delivered.root_element == PACKET.text and b"Receipt" in (delivered.answer or b"")
    assert (failed.message_id, failed.status, failed.error) == (second, "failed", "FAILURE: Пакет не принят")
    assert double.waiting("KONTINGENT") == 0
    assert double.problems == []


def test_resend_after_a_lost_confirmation_is_already_sent(consumer, double, sessions) -> None:
    double.fail_next(4, "SMEVFailure")
    with pytest.raises(Exception, match="Сбой инфраструктуры"):
        consumer.send(_packet(1), kind="changes")
    (pending,) = _out(sessions)
    assert (pending.status, pending.attempts, pending.error) == (
        "sent",
        1,
        "SMEVFailure: Сбой инфраструктуры СМЭВ (тестовый)",
    )

    assert consumer.resume() == 1
    assert consumer.resume() == 0
    assert len(double.calls("SendRequestRequest")) == 5
    (sent,) = _out(sessions)
    assert (sent.status, sent.error) == ("sent", None)

    with sessions() as session:
        session.get_one(SmevMessage, sent.id).error = "lost"
        session.commit()
    assert consumer.resume() == 1
    (again,) = _out(sessions)
    assert (again.status, again.error) == ("sent", None)
    assert len(double.calls("SendRequestRequest")) == 6
    assert double.waiting("FEDERAL") == 1
