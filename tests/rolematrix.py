"""The role model as a table: every operation of every contract, as every kind of caller.

Each row names a contract operation, builds its parameters for a caller (in scope or out of
scope), and says what each caller gets: ``ok``, ``denied`` (Client.AccessDenied) or ``auth``
(Client.Authentication). Callers absent from a row's ``expect`` get the row's ``others``.
Later contracts add their rows to ``ROWS``; the table is the documentation of the role model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.authkit import SmallRegion

CALLERS = (
    "anonymous",
    "admin",  # system administrator
    "ministry",  # employee of the regional ministry (root authority)
    "north_admin",  # authority administrator of the northern municipality
    "north_school",  # employee of a northern school
    "epgu",  # consumer system granted the registry contracts
    "provider",  # provider system writing the northern municipality
)

OK, DENIED, AUTH = "ok", "denied", "auth"


@dataclass(frozen=True, kw_only=True)
class Row:
    contract: str
    operation: str
    params: Callable[[SmallRegion, str], Mapping[str, Any]] = lambda region, caller: {}
    expect: Mapping[str, str] = field(default_factory=dict)
    others: str = DENIED
    note: str = ""

    def outcome_for(self, caller: str) -> str:
        if caller == "anonymous":
            return AUTH
        return self.expect.get(caller, self.others)


EVERY_AUTHENTICATED = {c: OK for c in CALLERS if c != "anonymous"}

ROWS: list[Row] = [
    Row(contract="ServiceInfo", operation="GetServiceInfo", expect=EVERY_AUTHENTICATED, note="everyone authenticated"),
    Row(
        contract="EpguPerformance",
        operation="GetPerformance",
        params=lambda region, caller: {
            "Pupil": {"Snils": "11223344595"},
            "Applicant": {"PupilHimself": {}},
            "Period": {"SchoolYear": 2024},
        },
        expect={"admin": OK, "epgu": OK},
        note="consumer systems granted the contract and the system administrator; a refusal is an answer",
    ),
    Row(
        contract="ChangeFeed",
        operation="GetChanges",
        params=lambda region, caller: {"SinceVersion": 0, "PageSize": 10},
        expect={"admin": OK, "epgu": OK},
        note="consumer systems granted the contract and the system administrator",
    ),
    Row(
        contract="Intake",
        operation="SubmitPacket",
        params=lambda region, caller: {"PacketXml": b'<Packet xmlns="urn://kontingent-region.ru/packet/1.0.0"/>'},
        expect={
            "admin": "Client.Signature: Пакет не подписан: элемент ds:Signature отсутствует",
            "provider": "Client.Signature: Пакет не подписан: элемент ds:Signature отсутствует",
        },
        note="provider systems and the system administrator (LOAD_XML); an unsigned packet is then refused",
    ),
    Row(
        contract="Intake",
        operation="GetPacketStatus",
        params=lambda region, caller: {"ReceiptId": "00000000-0000-0000-0000-000000000000"},
        expect=dict.fromkeys(
            ("admin", "ministry", "north_admin", "north_school", "provider"),
            "Client.NotFound: Квитанция 00000000-0000-0000-0000-000000000000 не найдена",
        ),
        note="senders of packets (LOAD_XML) and of Excel files (LOAD_EXCEL); consumers are refused",
    ),
]
