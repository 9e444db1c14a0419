"""``kontingent report``: the catalogue listing, a report written to a file, Russian errors."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from db.models import Enrolment, ReportEnrolment
from kontingent_ws.cli import main
from tests.reportdata import CITY_AUTHORITY, ON_DATE, build_dataset, insert_dataset


def test_list_names_every_family_and_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--list"]) == 0
    out = capsys.readouterr().out
    assert "Статистика:" in out and "STAT_ORG_BY_TYPE" in out and "FORM_85K_AGES" in out
    assert "on_date*" in out


def test_report_to_xlsx_and_png_within_a_scope(
    session: Session, db_url: str, tmp_path: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    insert_dataset(session, build_dataset())
    session.commit()
    monkeypatch.setenv("KONTINGENT_DATABASE_URL", db_url)
    target = tmp_path / "students.xlsx"  # type: ignore[operator]
    argv = ["report", "STAT_STUDENTS_BY_TYPE", "--param", f"on_date={ON_DATE}", "-o", str(target)]
    assert main([*argv, "--scope-unit", str(CITY_AUTHORITY)]) == 0
    sheet = load_workbook(io.BytesIO(target.read_bytes())).active
    assert (
        sheet is not None and sheet["A1"].value == "Количество обучающихся по типам организаций и соотношение по полу"
    )
    chart = tmp_path / "students.png"  # type: ignore[operator]
    assert main(["report", "STAT_STUDENTS_BY_TYPE", "--param", f"on_date={ON_DATE}", "-o", str(chart)]) == 0
    assert chart.read_bytes().startswith(b"\x89PNG")
    capsys.readouterr()
    assert main(["report", "STAT_STUDENTS_BY_TYPE", "--param", "on_date=01.10.2024", "-o", str(target)]) == 2
    assert "ожидается дата" in capsys.readouterr().err
    assert main(["report", "NO_SUCH_REPORT", "-o", str(target)]) == 2
    assert "не найден" in capsys.readouterr().err
    assert main(["report", "DOO_OWNERSHIP", "-o", str(chart)]) == 2
    assert "нет диаграммы" in capsys.readouterr().err


def test_refresh_rebuilds_the_report_tables(
    session: Session, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    insert_dataset(session, build_dataset())
    session.execute(delete(ReportEnrolment))  # as after a write that bypassed the triggers
    session.commit()
    monkeypatch.setenv("KONTINGENT_DATABASE_URL", db_url)
    assert main(["reports", "refresh"]) == 0
    enrolments = session.scalar(select(func.count()).select_from(Enrolment))
    assert f"зачислений – {enrolments} строк" in capsys.readouterr().out
    assert session.scalar(select(func.count()).select_from(ReportEnrolment)) == enrolments
