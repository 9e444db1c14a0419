"""Excel templates over a live gunicorn with zeep: download, fill with openpyxl, upload, get the faults back."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.fernet import Fernet
from openpyxl import load_workbook
from sqlalchemy import Engine, select
from zeep.exceptions import Fault
from zeep.wsse.username import UsernameToken

from adapters.excel_kinds import KINDS
from db.engine import make_engine, make_session_factory
from db.models import AuditEvent, LoadJournal, Packet, Person, Student
from kontingent_ws.security.caller import EMPLOYEE
from kontingent_ws.security.provisioning import new_user
from kontingent_ws.settings import Settings
from tests.intakekit import SOUTH_INN, World, make_world
from tests.intakekit import excel_student_row as student_row
from tests.intakekit import fill_students_template as fill
from tests.live import zeep_client

PASSWORD = "Excel-upload-password-2025"
STUDENTS = KINDS["students"]


@dataclass(frozen=True, kw_only=True)
class Live:
    world: World
    engine: Engine
    base_url: str

    def client(self, login: str) -> Any:
        return zeep_client(self.base_url, "Intake", wsse=UsernameToken(login, PASSWORD, use_digest=True))


@pytest.fixture
def live(db_url: str, live_server_factory: Callable[..., str], tmp_path: Any) -> Iterator[Live]:
    secret = Fernet.generate_key().decode()
    settings = Settings(database_url=db_url, secret_key=secret)
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        world = make_world(session)
        for login, unit_id in (("north", world.region.north_school_id), ("south", world.region.south_school_id),
                               ("ministry", world.region.ministry_id)):
            new_user(session, settings, login=login, password=PASSWORD, role=EMPLOYEE, unit_id=unit_id,
                     full_name=login)
        session.commit()
    base = live_server_factory(env={"KONTINGENT_SECRET_KEY": secret, "KONTINGENT_DATA_DIR": str(tmp_path / "data")})
    try:
        yield Live(world=world, engine=engine, base_url=base)
    finally:
        engine.dispose()


def surnames(live: Live) -> list[str]:
    with live.engine.connect() as connection:
        query = select(Person.last_name).join(Student, Student.id == Person.id).order_by(Person.last_name)
        return list(connection.execute(query).scalars())


def fault_of(call: Callable[[], Any]) -> tuple[str, str]:
    """The fault's code (without the SOAP prefix) and message."""
    with pytest.raises(Fault) as caught:
        call()
    return str(caught.value.code).rsplit(":", 1)[-1], str(caught.value.message)


def test_a_downloaded_template_filled_and_uploaded_lands_in_the_registry(live: Live) -> None:
    north = live.client("north")
    template = north.service.GetExcelTemplate(Kind="students")
    content = fill(template.Content, [student_row(1, "Петров"), student_row(2, "Сидоров")])

    receipt = north.service.UploadExcel(Kind="students", Content=content, FileName="класс-5а.xlsx")
    again = north.service.UploadExcel(Kind="students", Content=content, FileName="класс-5а.xlsx")
    status = north.service.GetPacketStatus(ReceiptId=receipt.ReceiptId)

    assert template.FileName == f"students-{STUDENTS.version}.xlsx"
    assert (receipt.Status, receipt.Duplicate) == ("done", False)
    assert (again.ReceiptId, again.Duplicate) == (receipt.ReceiptId, True)
    assert (status.LoadStatus, status.RowsApplied, status.RowsRejected) == ("success", 5, 0)  # a class, 2 + 2
    assert surnames(live) == ["Петров", "Сидоров"]
    with live.engine.connect() as connection:
        packet = connection.execute(select(Packet.format, Packet.kind, Packet.system_id, Packet.user_id)).one()
    assert (packet.format, packet.kind, packet.system_id) == ("xlsx", "students", None)


def test_the_error_workbook_marks_the_faulty_cells_of_an_upload(live: Live) -> None:
    north = live.client("north")
    template = north.service.GetExcelTemplate(Kind="students")
    rows = [student_row(3, "Орлов"), student_row(4, "Волков", sex="Средний", entry_date=None)]

    receipt = north.service.UploadExcel(Kind="students", Content=fill(template.Content, rows), FileName="5б.xlsx")
    marked = north.service.GetErrorWorkbook(ReceiptId=receipt.ReceiptId)
    by_ministry = live.client("ministry").service.GetErrorWorkbook(ReceiptId=receipt.ReceiptId)
    refused = fault_of(lambda: live.client("south").service.GetErrorWorkbook(ReceiptId=receipt.ReceiptId))

    assert receipt.Status == "done_with_errors"
    assert surnames(live) == ["Орлов"]
    sheet = load_workbook(io.BytesIO(marked.Content))[STUDENTS.title]
    keys = [column.key for column in STUDENTS.columns]
    sex, entry = keys.index("sex") + 1, keys.index("entry_date") + 1
    assert sheet.cell(row=4, column=sex).comment is not None
    assert sheet.cell(row=4, column=entry).comment is not None
    assert sheet.cell(row=3, column=sex).comment is None
    assert marked.FileName == "5б-ошибки.xlsx"
    assert cells(by_ministry.Content) == cells(marked.Content)  # the same workbook (bytes differ by zip times)
    assert refused[0] == "Client.AccessDenied"


def cells(content: bytes) -> list[tuple[object, ...]]:
    """Every sheet's values and cell comments, in order."""
    book = load_workbook(io.BytesIO(content))
    return [
        (sheet.title, cell.coordinate, cell.value, None if cell.comment is None else cell.comment.text)
        for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
    ]


def test_an_upload_about_an_organization_outside_the_scope_is_refused_audited_and_kept(live: Live) -> None:
    north = live.client("north")
    template = north.service.GetExcelTemplate(Kind="students")
    content = fill(template.Content, [student_row(5, "Южный", inn=SOUTH_INN)])

    refused = fault_of(lambda: north.service.UploadExcel(Kind="students", Content=content, FileName="юг.xlsx"))
    wrong_kind = fault_of(lambda: north.service.UploadExcel(Kind="marks", Content=content, FileName="юг.xlsx"))
    not_xlsx = fault_of(lambda: north.service.UploadExcel(Kind="students", Content=b"a,b\n", FileName="a.csv"))

    assert refused[0] == "Client.AccessDenied"
    assert wrong_kind == (
        "Client.Validation", f"Загружен шаблон «{STUDENTS.title}», а ожидался шаблон «{KINDS['marks'].title}»"
    )
    assert not_xlsx == ("Client.Validation", "Файл не является книгой Excel в формате xlsx")
    assert surnames(live) == []
    with live.engine.connect() as connection:
        statuses = connection.execute(select(Packet.status)).scalars().all()
        journal = connection.execute(select(LoadJournal.status)).scalars().all()
        denied = connection.execute(select(AuditEvent.id).where(AuditEvent.object_type == "packet")).scalars().all()
    assert statuses == ["rejected"] * 3
    assert journal == ["error"] * 3
    assert denied
