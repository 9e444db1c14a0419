"""New marks are held back and written many slices at a time; a key sent again still ends as one
row with the last value, for new and for registered students, on every backend."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import PeriodMark, Person, StudyPeriod
from kontingent_ws.settings import Settings
from kontingent_ws.usecases.intake import apply_marks, formats, pipeline
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
    held: list[tuple[int, bool]] = []
    column_rows, hold_run = apply_marks._column_rows, apply_marks._hold_run
    monkeypatch.setattr(apply_marks, "_column_rows", lambda ctx, columns, ids: runs.append(len(columns))
                        or column_rows(ctx, columns, ids))

    def recorded_hold(ctx, columns, ids):  # type: ignore[no-untyped-def]
        result = hold_run(ctx, columns, ids)
        held.append((len(columns), result))
        return result

    monkeypatch.setattr(apply_marks, "_hold_run", recorded_hold)
    world = make_world(session)
    settings = settings_for(db_url, tmp_path)
    first = [mark("m1", "s1", "q1", "3"), mark("m2", "s1", "q2", "4"), mark("m3", "s2", "q1", "5"),
             mark("m4", "s1", "q1", "5"), mark("m5", "s2", "q2", "2")]
    outcome = load_streamed(session, settings, world.netschool, packet_xml("stream-1", sections(first)),
                            tmp_path / "stream-1.xml")
    assert (outcome.status, outcome.counts.applied) == ("done", 10)
    assert stored_marks(session) == {("Имя1", 1): "5", ("Имя1", 2): "4", ("Имя2", 1): "5", ("Имя2", 2): "2"}
    # the quarter marks came as columns, in slices of two: the first held as COPY text (new students), the
    # second not (m4 sends m1's key again), so both became rows, and the last went with them
    assert held == [(2, True), (2, False), (1, False)] and runs == [2, 1]
    runs.clear()
    held.clear()

    again = [mark("n1", "s2", "q2", "3"), mark("n2", "s1", "q1", "2"), mark("n3", "s2", "q2", "4"),
             mark("n4", "s1", "q2", "5"), mark("n5", "s1", "q1", "3")]
    outcome = load_streamed(session, settings, world.netschool, packet_xml("stream-2", sections(again)),
                            tmp_path / "stream-2.xml")
    assert (outcome.status, outcome.counts.applied) == ("done", 10)
    assert stored_marks(session) == {("Имя1", 1): "3", ("Имя1", 2): "5", ("Имя2", 1): "5", ("Имя2", 2): "4"}
    assert runs == [2, 2, 1] and held == [(2, False), (2, False), (1, False)]  # registered students: rows


@pytest.mark.parametrize("as_text", [True, False], ids=["held-as-copy-text", "held-as-rows"])
@pytest.mark.parametrize(("resent", "flush_every"), [(True, 20_000), (False, 5)], ids=["keys-resent", "flushed"])
def test_new_students_marks_held_as_copy_text_are_the_rows(
    as_text: bool, resent: bool, flush_every: int, session: Session, db_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The quarter marks of a packet's new students, held as COPY text pieces (``mark_runs``), are stored
    as the same rows as when held as rows: the last of a key sent again kept (three times in one run,
    again in a later run), written every ``MARK_COPY_ROWS`` marks, with the rows' tails kept or made again."""
    monkeypatch.setattr(pipeline, "CHUNK_SIZE", 4)
    monkeypatch.setattr(apply_marks, "MARK_COPY_ROWS", flush_every)
    monkeypatch.setattr(apply_marks, "MAX_TAILS", 10_000 if resent else 0)  # tails kept, or made again every run
    held: list[bool] = []
    hold_run = apply_marks._hold_run
    monkeypatch.setattr(apply_marks, "_hold_run", lambda *args: held.append(as_text and hold_run(*args)) or held[-1])
    world = make_world(session)
    settings = settings_for(db_url, tmp_path)
    names = range(1, 13)
    marks = [mark(f"m{i}{q}", f"s{i}", f"q{q}", str(2 + (i + q) % 4)) for i in names for q in (1, 2)]
    if resent:  # s5's first quarter twice in a row (one run), s1's second again in a later run
        marks[10:10] = [mark("r1", "s5", "q1", "2"), mark("r2", "s5", "q1", "5")]  # rows 11 and 12 after m51 (9)
        marks.append(mark("r3", "s1", "q2", "5"))
    data = packet_xml("runs", {
        **sections(marks),
        "Students": [student(f"s{i}", "Марков", f"Имя{i}", "2013-01-01", snils_value=snils(600 + i)) for i in names],
    })
    outcome = load_streamed(session, settings, world.netschool, data, tmp_path / "runs.xml")
    expected = {(f"Имя{i}", q): str(2 + (i + q) % 4) for i in names for q in (1, 2)}
    if resent:
        expected[("Имя5", 1)], expected[("Имя1", 2)] = "5", "5"  # r2, r3: the last of their keys
    assert (outcome.status, outcome.counts.applied) == ("done", 15 + len(marks))
    assert stored_marks(session) == expected
    assert any(held) is as_text
    # the rows carry their key (the study period's id as ``period_key``): the key of one again is refused
    first = session.scalars(select(PeriodMark).limit(1)).one()
    assert first.period_key == first.study_period_id is not None
    again = {name: getattr(first, name) for name in ("student_id", "organization_id", "subject_id", "school_year",
                                                     "kind", "study_period_id", "scale_code", "raw_value")}
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(insert(PeriodMark).values(again))


def final_mark(ref: str, student_ref: str, kind: str, value: str) -> str:
    """An annual or final mark: ``Kind`` where a quarter mark has ``PeriodRef``."""
    return mark(ref, student_ref, "q1", value).replace("<PeriodRef>q1</PeriodRef>", f"<Kind>{kind}</Kind>")


def stored_period_marks(session: Session) -> dict[tuple[str, str, int | None], str]:
    """(student's first name, kind, quarter or ``None``) → the mark kept."""
    rows = session.execute(
        select(Person.first_name, PeriodMark.kind, StudyPeriod.number, PeriodMark.raw_value)
        .join(Person, Person.id == PeriodMark.student_id)
        .outerjoin(StudyPeriod, StudyPeriod.id == PeriodMark.study_period_id)
    ).all()
    assert len(rows) == len({(name, kind, number) for name, kind, number, _ in rows})
    return {(name, kind, number): value for name, kind, number, value in rows}


@pytest.mark.parametrize("as_text", [True, False], ids=["held-as-copy-text", "held-as-rows"])
def test_annual_and_final_marks_taken_from_the_bytes_are_written_from_their_columns(
    as_text: bool, session: Session, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large packet's annual and final marks come from the schema check's child as columns with the
    quarter marks (``packet_scan``: a run of plain rows with their kinds) and are stored as the rows
    of marks read one by one: the kind, no period, the last of a key sent again."""
    monkeypatch.setattr(pipeline, "CHUNK_SIZE", 4)
    monkeypatch.setattr(formats, "iter_packet", partial(formats.iter_packet, check_apart_from=0))  # checked apart
    kinds: list[list[str] | None] = []
    column_rows, hold_run = apply_marks._column_rows, apply_marks._hold_run
    monkeypatch.setattr(apply_marks, "_column_rows", lambda ctx, columns, ids: kinds.append(columns.kinds)
                        or column_rows(ctx, columns, ids))
    monkeypatch.setattr(apply_marks, "_hold_run", lambda ctx, columns, ids: as_text and (
        kinds.append(columns.kinds) or hold_run(ctx, columns, ids)))
    world = make_world(session)
    settings = settings_for(db_url, tmp_path)
    names = range(1, 7)
    marks = [row for i in names for row in (
        mark(f"m{i}1", f"s{i}", "q1", str(2 + i % 4)), final_mark(f"a{i}", f"s{i}", "annual", str(2 + (i + 1) % 4)),
        *([final_mark(f"f{i}", f"s{i}", "final", "5")] if i % 2 == 0 else []))]
    marks.append(final_mark("a3again", "s3", "annual", "2"))  # s3's annual mark again: the last one kept
    data = packet_xml("kinds", {
        **sections(marks),
        "Students": [student(f"s{i}", "Марков", f"Имя{i}", "2013-01-01", snils_value=snils(700 + i)) for i in names],
    })
    outcome = load_streamed(session, settings, world.netschool, data, tmp_path / "kinds.xml")
    expected = {(f"Имя{i}", "period", 1): str(2 + i % 4) for i in names}
    expected |= {(f"Имя{i}", "annual", None): str(2 + (i + 1) % 4) for i in names}
    expected |= {(f"Имя{i}", "final", None): "5" for i in names if i % 2 == 0}
    expected[("Имя3", "annual", None)] = "2"
    assert (outcome.status, outcome.counts.rejected, outcome.counts.warned) == ("done", 0, 0)
    assert stored_period_marks(session) == expected
    assert any(run is not None and {"annual", "final", "period"} <= set(run) for run in kinds)  # columns with kinds
