"""A history of data loads: packets received from providers and the load journal with row errors."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from kontingent_ws.demo.context import UTC, Context
from kontingent_ws.demo.organizations import Org

HISTORY_DAYS = 60
PACKET_STATUS = {"success": "done", "partial": "done_with_errors", "error": "rejected"}
ROW_ERRORS: tuple[tuple[str, str, str, str], ...] = (
    ("SNILS_CHECKSUM", "students", "snils", "Неверное контрольное число СНИЛС"),
    ("REQUIRED", "students", "birth_date", "Не заполнено обязательное поле"),
    ("UNKNOWN_CODE", "enrolments", "exit_reason", "Код «12» отсутствует в справочнике «Основания выбытия»"),
    ("BAD_DATE", "marks", "date", "Некорректная дата «31.02.2026» (ожидается ГГГГ-ММ-ДД)"),
    ("EXIT_BEFORE_ENTRY", "enrolments", "exit_date", "Дата выбытия раньше даты зачисления"),
    ("UNKNOWN_REF", "marks", "subject", "Ссылка «SUBJ-77» не найдена в разделе «subjects»"),
)


def build_loads(ctx: Context, orgs: list[Org]) -> None:
    """Two to five loads per organization and provider over the last ``HISTORY_DAYS`` days."""
    rng = ctx.rng
    end = dt.datetime(ctx.as_of.year, ctx.as_of.month, ctx.as_of.day, 23, 0, tzinfo=UTC)
    sequence = 0
    for org in orgs:
        for system_id in org.providers:
            for _ in range(2 + rng.randrange(4)):
                sequence += 1
                received = end - dt.timedelta(minutes=rng.randrange(HISTORY_DAYS * 24 * 60))
                finished = received + dt.timedelta(seconds=5 + rng.randrange(600))
                roll = rng.random()
                status = "success" if roll < 0.75 else "partial" if roll < 0.93 else "error"
                total = 20 + rng.randrange(max(21, org.size * 3))
                rejected = 0 if status == "success" else total if status == "error" else 1 + rng.randrange(5)
                packet_id = ctx.ids("packet")
                external_id = f"PKT-{org.id}-{sequence:07d}"
                name = f"{external_id}.xml"
                ctx.add("packet", (
                    packet_id, str(uuid.UUID(int=rng.getrandbits(128), version=4)), system_id, external_id, "xml",
                    "contingent", name, hashlib.sha256(external_id.encode()).hexdigest(), 1000 + total * 700,
                    PACKET_STATUS[status], received, finished,
                ))  # fmt: skip
                journal_id = ctx.ids("load_journal")
                comment = "Подпись пакета не прошла проверку" if status == "error" else None
                ctx.add("load_journal", (journal_id, packet_id, system_id, org.id, name, received, finished, status,
                                         total, total - rejected, rejected, 0, comment))  # fmt: skip
                for _ in range(0 if status == "success" else min(rejected, 5)):
                    code, section, field, message = ROW_ERRORS[int(rng.random() * len(ROW_ERRORS))]
                    row = 1 + rng.randrange(total)
                    ctx.add("load_row_error", (ctx.ids("load_row_error"), journal_id, section, row, code, field,
                                               None, message, "error"))  # fmt: skip
