"""New marks are held back and written many slices at a time; a key sent again still ends as one
row with the last value, for new and for registered students, on every backend."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import PeriodMark, Person, StudyPeriod
from kontingent_ws.settings import Settings
from kontingent_ws.usecases.intake import apply_marks, pipeline
from kontingent_ws.usecases.intake.formats import XML_PACKET
from kontingent_ws.usecases.intake.pipeline import Outcome, process_packet
from kontingent_ws.usecases.intake.receive import Sender, store_packet
from kontingent_ws.xmlsig.packet import sign_packet_file
from tests.intakekit import Provider, load, make_world, packet_xml, settings_for, snils, student

SUBJECTS = ['<Subject providerRef="math"><Name>Математика</Name><BaseSubject>02</BaseSubject></Subject>']
PERIODS = [
    f'<StudyPeriod providerRef="q{n}"><Kind>quarter</Kind><Number>{n}</Number><SchoolYear>2024/2025</SchoolYear>'
    f"<StartDate>{start}</StartDate><EndDate>{end}</EndDate></StudyPeriod>"
    for n, start, end in ((1, "2024-09-02", "2024-10-25"), (2, "2024-11-05", "2024-12-27"))
]


def mark(ref: str, student_ref: str, period: str, value: str) -> str:
    return (f'<PeriodMark providerRef="{ref}"><StudentRef>{student_ref}</StudentRef><SubjectRef>math</SubjectRef>'
            f"<PeriodRef>{period}</PeriodRef><SchoolYear>2024/2025</SchoolYear><Scale>five_point</Scale>"
            f"<Value>{value}</Value></PeriodMark>")


def sections(marks: list[str]) -> dict[str, list[str]]:
    return {
        "Subjects": SUBJECTS, "StudyPeriods": PERIODS,
        "Students": [student(f"s{i}", "Марков", f"Имя{i}", "2013-01-01", snils_value=snils(500 + i)) for i in (1, 2)],
        "PeriodMarks": marks,
    }


def stored_marks(session: Session) -> dict[tuple[str, int], str]:
    """(student's first name, quarter) → the mark kept."""
    rows = session.execute(
        select(Person.first_name, StudyPeriod.number, PeriodMark.raw_value)
        .join(Person, Person.id == PeriodMark.student_id)
        .join(StudyPeriod, StudyPeriod.id == PeriodMark.study_period_id)
    ).all()
    assert len(rows) == len({(name, number) for name, number, _ in rows})
    return {(name, number): value for name, number, value in rows}


@pytest.mark.parametrize("held_back", [3, 20_000], ids=["flushed-between-slices", "flushed-at-the-end"])
def test_marks_held_back_keep_the_last_value(
    held_back: int, session: Session, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "CHUNK_SIZE", 2)  # marks over several slices
    monkeypatch.setattr(apply_marks, "MARK_COPY_ROWS", held_back)
    world = make_world(session)
    settings = settings_for(db_url, tmp_path)
    first = [mark("m1", "s1", "q1", "3"), mark("m2", "s1", "q2", "4"), mark("m3", "s2", "q1", "5"),
             mark("m4", "s1", "q1", "5"), mark("m5", "s2", "q2", "2")]  # m4: s1's first quarter again
    outcome = load(session, settings, world.netschool, packet_xml("marks-1", sections(first)))
    assert (outcome.status, outcome.counts.applied) == ("done", 10)  # a subject, two quarters, two students, 5 marks
    assert stored_marks(session) == {("Имя1", 1): "5", ("Имя1", 2): "4", ("Имя2", 1): "5", ("Имя2", 2): "2"}

    again = [mark("n1", "s2", "q2", "3"), mark("n2", "s1", "q1", "2"), mark("n3", "s2", "q2", "4"),
             mark("n4", "s1", "q2", "5"), mark("n5", "s1", "q1", "3")]  # registered students, keys sent twice
    outcome = load(session, settings, world.netschool, packet_xml("marks-2", sections(again)))
    assert (outcome.status, outcome.counts.applied) == ("done", 10)  # a subject, two quarters, two students, 5 marks
    assert stored_marks(session) == {("Имя1", 1): "3", ("Имя1", 2): "5", ("Имя2", 1): "5", ("Имя2", 2): "4"}


def load_streamed(session: Session, settings: Settings, provider: Provider, data: bytes, path: Path) -> Outcome:
    """Store a packet as a file under a detached signature – read as a stream – and load it."""
    path.write_bytes(data)
    signature = sign_packet_file(path, provider.identity.key_pem, provider.identity.cert_pem)
    stored = store_packet(session, settings, source_path=path, detached_signature=signature,
                          sender=Sender(system_id=provider.system_id, user_id=None), file_name=path.name,
                          format=XML_PACKET)
    session.commit()
    return process_packet(session, settings, stored.packet_id, job_id=stored.job_id)


def test_quarter_marks_of_a_streamed_packet_are_written_from_their_columns(
    session: Session, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A streamed packet's quarter marks reach the writer as columns (``PeriodMarkColumns``) and end as the
    same rows as marks read one by one (``test_marks_held_back_keep_the_last_value``): for new students,
    for registered ones, with keys sent twice."""
    monkeypatch.setattr(pipeline, "CHUNK_SIZE", 2)
    runs: list[int] = []
    column_rows = apply_marks._column_rows
    monkeypatch.setattr(apply_marks, "_column_rows", lambda ctx, columns: runs.append(len(columns))
                        or column_rows(ctx, columns))
    world = make_world(session)
    settings = settings_for(db_url, tmp_path)
    first = [mark("m1", "s1", "q1", "3"), mark("m2", "s1", "q2", "4"), mark("m3", "s2", "q1", "5"),
             mark("m4", "s1", "q1", "5"), mark("m5", "s2", "q2", "2")]
    outcome = load_streamed(session, settings, world.netschool, packet_xml("stream-1", sections(first)),
                            tmp_path / "stream-1.xml")
    assert (outcome.status, outcome.counts.applied) == ("done", 10)
    assert stored_marks(session) == {("Имя1", 1): "5", ("Имя1", 2): "4", ("Имя2", 1): "5", ("Имя2", 2): "2"}
    assert runs == [2, 2, 1]  # the quarter marks came as columns, in slices of two
    runs.clear()

    again = [mark("n1", "s2", "q2", "3"), mark("n2", "s1", "q1", "2"), mark("n3", "s2", "q2", "4"),
             mark("n4", "s1", "q2", "5"), mark("n5", "s1", "q1", "3")]
    outcome = load_streamed(session, settings, world.netschool, packet_xml("stream-2", sections(again)),
                            tmp_path / "stream-2.xml")
    assert (outcome.status, outcome.counts.applied) == ("done", 10)
    assert stored_marks(session) == {("Имя1", 1): "3", ("Имя1", 2): "5", ("Имя2", 1): "5", ("Имя2", 2): "4"}
    assert runs == [2, 2, 1]
