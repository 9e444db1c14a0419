"""Pushing the change feed to the federal segment through the SMEV double: pages in order, once each."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from adapters.safexml import parse_bytes
from db.engine import make_engine, make_session_factory
from db.models.exchange import SmevMessage
from kontingent_ws.smev.backoff import Backoff
from kontingent_ws.smev.client import SmevClient
from kontingent_ws.smev.consumer import Consumer
from kontingent_ws.smev.envelopes import Rejection, types
from kontingent_ws.smev.keys import SmevSigner
from kontingent_ws.smev.participant import Participant
from kontingent_ws.usecases.changefeed import record_change
from kontingent_ws.usecases.changefeed_packet import NAMESPACE, change_feed_schema
from kontingent_ws.xmlsig.smev_signature import SmevTrust
from tests.smevdouble import SCHEMAS_DIR, SmevDouble, federal_double, federal_signers

pytestmark = pytest.mark.skipif(not SCHEMAS_DIR.is_dir(), reason="official SMEV 3 1.1 schemas are not present")

PACKET = etree.QName(NAMESPACE, "ChangePacket")
RECEIPT = etree.QName("urn://kontingent-region/test/federal/1.0", "Receipt")


class Crash(Exception):
    """The process dies at a checkpoint."""


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


def _consumer(
    double: SmevDouble, sessions: sessionmaker[Session], signers: dict[str, SmevSigner], **extra: Any
) -> Consumer:
    participant = Participant(
        client=SmevClient(endpoint=double.url, read_timeout=10),
        sessions=sessions,
        signer=signers["KONTINGENT"],
        trust=SmevTrust(certificates=frozenset({signers["SMEV"].certificate_der, signers["FEDERAL"].certificate_der})),
        backoff=Backoff(base_seconds=60, cap_seconds=300, attempts=2),
        sleep=lambda seconds: None,
        rng=random.Random(5),
        **extra,
    )
    return Consumer(participant, change_page_size=2)


@pytest.fixture
def consumer(double: SmevDouble, sessions: sessionmaker[Session], signers: dict[str, SmevSigner]) -> Consumer:
    return _consumer(double, sessions, signers)


def _record(sessions: sessionmaker[Session], *entity_ids: int) -> None:
    with sessions() as session:
        for entity_id in entity_ids:
            record_change(session, "student", entity_id, "delete")
        session.commit()


def _pushed(double: SmevDouble) -> list[tuple[str, etree._Element]]:
    """(MessageID, ChangePacket) of every distinct SendRequest the double took, in order."""
    seen: dict[str, etree._Element] = {}
    for call in double.calls("SendRequestRequest"):
        envelope = parse_bytes(call.envelope)
        message_id = envelope.findtext(f".//{types('MessageID')}") or ""
        packet = envelope.find(f".//{PACKET.text}")
        assert packet is not None
        seen.setdefault(message_id, packet)
    return list(seen.items())


def _numbers(packet: etree._Element, name: str) -> list[int]:
    return [int(text) for text in packet.xpath(f"//c:{name}/text()", namespaces={"c": NAMESPACE})]


def _out(sessions: sessionmaker[Session]) -> list[SmevMessage]:
    with sessions() as session:
        return list(session.scalars(select(SmevMessage).where(SmevMessage.direction == "out").order_by(SmevMessage.id)))


def _accept(double: SmevDouble, signers: dict[str, SmevSigner], consumer: Consumer) -> None:
    double.answer_next_request(recipient=signers["FEDERAL"], content=etree.Element(RECEIPT.text))
    assert consumer.collect() == 1


def test_changes_are_pushed_in_order_one_accepted_page_after_another(consumer, double, sessions, signers) -> None:
    assert consumer.publish_changes(2) == 0
    assert double.calls("SendRequestRequest") == []
    _record(sessions, 11, 12, 13)
    _record(sessions, 14, 15)

    assert consumer.run(once=True) == 0  # a round of the loop pushes the first page
    assert consumer.publish_changes(2) == 0  # in flight: nothing more until it is accepted
    for _ in range(2):
        _accept(double, signers, consumer)
        assert consumer.publish_changes(2) == 1
    _accept(double, signers, consumer)
    assert consumer.publish_changes(2) == 0  # nothing new

    pages = _pushed(double)
    assert len(pages) == 3 and len({message_id for message_id, _ in pages}) == 3
    schema = change_feed_schema()
    for _, packet in pages:
        assert schema.validate(etree.ElementTree(packet)), schema.error_log
    versions = [_numbers(packet, "Version") for _, packet in pages]
    assert [len(page) for page in versions] == [2, 2, 1]
    flat = [version for page in versions for version in page]
    assert flat == sorted(flat) and len(set(flat)) == 5
    assert [_numbers(packet, "EntityId") for _, packet in pages] == [[11, 12], [13, 14], [15]]
    assert [(_numbers(p, "SinceVersion"), _numbers(p, "NextVersion")) for _, p in pages] == [
        ([0], [flat[1]]),
        ([flat[1]], [flat[3]]),
        ([flat[3]], [flat[4]]),
    ]
    assert [(m.kind, m.status) for m in _out(sessions)] == [("changes", "delivered")] * 3
    assert double.problems == []

    _record(sessions, 16)
    assert consumer.publish_changes(2) == 1
    assert _numbers(_pushed(double)[-1][1], "SinceVersion") == [flat[4]]


def test_a_restart_does_not_push_a_page_twice(double, sessions, signers) -> None:
    _record(sessions, 21, 22, 23)

    def crash(point: str) -> None:
        if point == "after-store-out":
            raise Crash(point)

    with pytest.raises(Crash):
        _consumer(double, sessions, signers, checkpoint=crash).publish_changes(2)
    assert double.calls("SendRequestRequest") == []

    restarted = _consumer(double, sessions, signers)
    assert restarted.publish_changes(2) == 0  # the stored page is pending: not built again
    assert restarted.resume() == 1  # …but its stored envelope is sent
    again = _consumer(double, sessions, signers)
    assert again.publish_changes(2) == 0
    _accept(double, signers, again)
    assert again.publish_changes(2) == 1
    _accept(double, signers, again)
    assert _consumer(double, sessions, signers).publish_changes(2) == 0

    pages = _pushed(double)
    assert [_numbers(packet, "EntityId") for _, packet in pages] == [[21, 22], [23]]
    assert [m.status for m in _out(sessions)] == ["delivered", "delivered"]
    assert double.waiting("FEDERAL") == 0


def test_a_rejected_page_is_pushed_again_after_the_back_off(consumer, double, sessions, signers) -> None:
    _record(sessions, 31, 32)
    assert consumer.publish_changes(2) == 1
    double.answer_next_request(
        recipient=signers["FEDERAL"], rejection=Rejection(code="FAILURE", description="Пакет не принят")
    )
    assert consumer.collect() == 1
    assert consumer.publish_changes(2) == 0  # the back-off (at least 30 s) is not over

    (rejected,) = _out(sessions)
    assert rejected.status == "failed"
    with sessions() as session:
        session.execute(
            update(SmevMessage)
            .where(SmevMessage.id == rejected.id)
            .values(updated_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2))
        )
        session.commit()
    assert consumer.publish_changes(2) == 1
    _accept(double, signers, consumer)
    assert consumer.publish_changes(2) == 0

    (first, second) = _pushed(double)
    assert first[0] != second[0]
    assert _numbers(first[1], "EntityId") == _numbers(second[1], "EntityId") == [31, 32]
    assert _numbers(first[1], "SinceVersion") == _numbers(second[1], "SinceVersion") == [0]
    assert [m.status for m in _out(sessions)] == ["failed", "delivered"]
