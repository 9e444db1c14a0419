"""End to end through СМЭВ 3: the test double queues ЕПГУ performance requests, the participant
answers them with the real handler (the same use case as the direct EpguPerformance contract)."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from db.engine import make_engine, make_session_factory
from db.models import DiaryMark
from kontingent_ws.smev.backoff import Backoff
from kontingent_ws.smev.client import SmevClient
from kontingent_ws.smev.envelopes import basic, types
from kontingent_ws.smev.handlers import PERFORMANCE_REQUEST, default_registry
from kontingent_ws.smev.keys import SmevSigner
from kontingent_ws.smev.participant import Participant
from kontingent_ws.smev.provider import Provider
from kontingent_ws.usecases.epgu_xml import NAMESPACE, performance_schema
from kontingent_ws.xmlsig.smev_signature import SmevTrust
from tests.epgukit import Diary, make_diary
from tests.smevdouble import SCHEMAS_DIR, Member, SmevDouble, gost_signer

pytestmark = pytest.mark.skipif(not SCHEMAS_DIR.is_dir(), reason="official SMEV 3 1.1 schemas are not present")
N = f"{{{NAMESPACE}}}"


def _request(pupil_snils: str, applicant_snils: str, school_year: int) -> etree._Element:
    return etree.fromstring(
        (
            f'<PerformanceRequest xmlns="{NAMESPACE}"><Pupil><Snils>{pupil_snils}</Snils></Pupil>'
            f"<Applicant><Representative><Snils>{applicant_snils}</Snils></Representative></Applicant>"
            f"<Period><SchoolYear>{school_year}</SchoolYear></Period></PerformanceRequest>"
        ).encode()
    )


@pytest.fixture(scope="module")
def signers() -> dict[str, SmevSigner]:
    return {name: gost_signer(name) for name in ("SMEV", "KONTINGENT", "EPGU")}


@pytest.fixture
def world(db_url: str) -> Iterator[tuple[sessionmaker[Session], Diary]]:
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    with factory() as session:
        diary = make_diary(session)
        session.commit()
    yield factory, diary
    engine.dispose()


def test_epgu_requests_through_smev(world, signers) -> None:
    sessions, diary = world
    members = [
        Member(mnemonic=name, name=f"ИС {name}", certificate_der=signers[name].certificate_der)
        for name in ("KONTINGENT", "EPGU")
    ]
    with SmevDouble(signer=signers["SMEV"], members=members) as double:
        double.route(PERFORMANCE_REQUEST, "KONTINGENT")
        answered = double.enqueue_request(
            sender=signers["EPGU"], content=_request(diary.pupil_snils, diary.mother_snils, diary.school_year)
        )
        stranger = double.enqueue_request(
            sender=signers["EPGU"], content=_request(diary.pupil_snils, diary.stranger_snils, diary.school_year)
        )
        unknown = double.enqueue_request(
            sender=signers["EPGU"], content=_request("12345678964", diary.mother_snils, diary.school_year)
        )
        participant = Participant(
            client=SmevClient(endpoint=double.url, read_timeout=30),
            sessions=sessions,
            signer=signers["KONTINGENT"],
            trust=SmevTrust(certificates=frozenset({signers["SMEV"].certificate_der, signers["EPGU"].certificate_der})),
            backoff=Backoff(base_seconds=0.5, cap_seconds=4, attempts=5),
            rng=random.Random(3),
            sleep=lambda seconds: None,
        )
        assert Provider(participant, default_registry()).run(once=True) == 0

        (answer,) = double.responses_to(answered)
        response = answer.find(f"{basic('MessagePrimaryContent')}/{N}PerformanceResponse")
        assert response is not None
        assert performance_schema().validate(response), performance_schema().error_log
        got = len(response.findall(f".//{N}DiaryMark"))
        with sessions() as session:
            expected = session.scalar(
                select(func.count()).select_from(DiaryMark).where(DiaryMark.student_id == diary.pupil_id)
            )
        assert got == expected > 0

        for message_id, code in ((stranger, "ACCESS_DENIED"), (unknown, "NO_DATA")):
            (rejected,) = double.responses_to(message_id)
            assert rejected.findtext(f"{types('RequestRejected')}/{types('RejectionReasonCode')}") == code
        # Every envelope the participant sent validated against the official 1.1 schemas.
        assert double.problems == []
