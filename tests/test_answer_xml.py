"""The answer writer (``kontingent_ws/answer_xml.py``) writes exactly what Spyne would.

Every operation of the registry contracts and the ЕПГУ contract is called in process over the
small registry region; each answer the writer produced is compared, byte for byte, with Spyne's
own serialization of the same values turned into Spyne model instances (what the services built
before the writer existed).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zeep
from lxml import etree
from spyne import Array
from spyne.model.complex import ComplexModelBase

from adapters.identifiers import make_snils
from db.engine import make_engine, make_session_factory
from db.migrate import initdb
from kontingent_ws.answer_xml import AnswerWriter, Wire
from kontingent_ws.app import make_app
from kontingent_ws.registry import CONTRACTS
from kontingent_ws.settings import Settings
from kontingent_ws.types.packing import attribute_of
from tests.live import call_wsgi, read_fault
from tests.registrykit import RegistryData, build_registry

WSDL_DIR = Path(__file__).resolve().parent.parent / "wsdl"
WRITTEN_CONTRACTS = ("Students", "Organizations", "Authorities", "EpguPerformance")
"""Contracts whose services answer with use-case values that only the writer can write."""


def as_spyne(cls: Any, value: Any) -> Any:
    """``value`` (a use-case dataclass, a list, a Spyne instance) as Spyne instances of ``cls``."""
    model: Any = cls
    if value is None or not isinstance(cls, type):
        return value
    if issubclass(model, Array):
        ((item,),) = [tuple(model._type_info.values())]
        return [as_spyne(item, each) for each in value]
    if issubclass(model, ComplexModelBase):
        fields = {}
        for name, member in model.get_flat_type_info(model).items():
            if isinstance(value, (ComplexModelBase, Wire)):
                member_value = getattr(value, name, None)
            else:
                member_value = getattr(value, attribute_of(name))
            if member.Attributes.max_occurs > 1 and member_value is not None:
                fields[name] = [as_spyne(member, each) for each in member_value]
            else:
                fields[name] = as_spyne(member, member_value)
        return (model.__orig__ or model)(**fields)
    return value


@pytest.fixture(scope="module")
def registry_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, RegistryData, list[str]]]:
    """The application (authentication off) over the registry data, and the list the comparing
    writer appends a message to for every answer that differs from Spyne's."""
    url = f"sqlite:///{tmp_path_factory.mktemp('answers') / 'kontingent.sqlite3'}"
    initdb(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        data = build_registry(session)
        session.commit()
    app = make_app(Settings(database_url=url, auth_enabled=False), session_factory=make_session_factory(engine))
    differences: list[str] = []
    original = AnswerWriter.write_wrapped

    def comparing(self: AnswerWriter, ctx: Any, parent: etree._Element, cls: Any, values: Any) -> None:
        original(self, ctx, parent, cls, values)
        written = parent[-1]
        reference = etree.Element(parent.tag)
        wrapper = cls()
        for (name, member), value in zip(cls._type_info.items(), values, strict=False):
            setattr(wrapper, name, as_spyne(member, value))
        self.protocol.to_parent(ctx, cls, wrapper, reference, cls.get_namespace())
        if etree.tostring(written) != etree.tostring(reference[0]):
            differences.append(f"{cls.get_type_name()}:\n{etree.tostring(written)!r}\n{etree.tostring(reference[0])!r}")

    AnswerWriter.write_wrapped = comparing  # type: ignore[method-assign]
    try:
        yield app, data, differences
    finally:
        AnswerWriter.write_wrapped = original  # type: ignore[method-assign]
        engine.dispose()


def _call(app: Any, contract: str, operation: str, **arguments: Any) -> bytes:
    client = zeep.Client(str(WSDL_DIR / f"{contract}.wsdl"))
    body = etree.tostring(client.create_message(client.service, operation, **arguments))
    answer = call_wsgi(app, f"/ws/{contract}", body)
    assert answer.status == 200, read_fault(answer.body)
    return answer.body


def test_every_operation_of_the_written_contracts_is_written_by_the_writer() -> None:
    app = make_app(Settings(database_url="sqlite://", auth_enabled=False))
    for contract in CONTRACTS:
        if contract.name not in WRITTEN_CONTRACTS:
            continue
        endpoint = app.endpoints[contract.path]
        spyne_app = endpoint.soap.app
        writer = spyne_app.out_protocol.answers
        for descriptor in spyne_app.interface.service_method_map.values():
            for method in descriptor:
                assert writer.writes(method.out_message), f"{contract.name}.{method.name}"


def test_answers_are_what_spyne_writes(registry_app: tuple[Any, RegistryData, list[str]]) -> None:
    app, data, differences = registry_app
    region = data.region
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("Students", "SearchStudents", {"LastName": "ив", "Page": 1, "PageSize": 20}),
        ("Students", "SearchStudents", {"Status": "1", "SortBy": "BirthDate", "Page": 1, "PageSize": 3}),
        ("Students", "GetStudentPortfolio", {"StudentId": data.yolkin_id}),
        ("Students", "GetStudentMigration", {"StudentId": data.yolkin_id}),
        ("Students", "GetStudentPerformance", {"StudentId": data.yolkin_id, "DateFrom": dt.date(2025, 9, 1),
                                               "DateTo": dt.date(2026, 6, 30)}),
        ("Organizations", "SearchOrganizations", {"Page": 1, "PageSize": 50}),
        ("Organizations", "GetOrganizationPortfolio", {"OrganizationId": region.north_school_id}),
        ("Organizations", "GetOrganizationPortfolio", {"OrganizationId": region.north_kindergarten_id}),
        ("Organizations", "GetOrganizationClasses", {"OrganizationId": region.north_school_id}),
        ("Organizations", "GetOrganizationClasses", {"OrganizationId": region.north_kindergarten_id}),
        ("Organizations", "GetOrganizationSubjects", {"OrganizationId": region.north_school_id}),
        ("Organizations", "GetOrganizationAreas", {"OrganizationId": region.north_school_id}),
        ("Organizations", "GetOrganizationStudents", {"OrganizationId": region.north_school_id, "Page": 1,
                                                      "PageSize": 10}),
        ("Authorities", "SearchAuthorities", {"Page": 1, "PageSize": 50}),
        ("Authorities", "GetAuthorityTree", {}),
        ("Authorities", "GetSubordinateOrganizations", {"AuthorityId": region.ministry_id, "WholeSubtree": True,
                                                        "Page": 1, "PageSize": 50}),
        ("Authorities", "GetAuthorityPortfolio", {"AuthorityId": region.ministry_id}),
        ("Authorities", "GetAuthorityPortfolio", {"AuthorityId": region.north_id}),
        ("EpguPerformance", "GetPerformance", {
            "Pupil": {"Snils": data.yolkin_snils},
            "Applicant": {"Representative": {"Snils": make_snils(223456789)}},
            "Period": {"SchoolYear": 2025},
        }),
        ("EpguPerformance", "GetPerformance", {
            "Pupil": {"Snils": data.yolkin_snils},
            "Applicant": {"Representative": {"Snils": "11223344595"}},
            "Period": {"SchoolYear": 2025},
        }),
    ]  # fmt: skip
    bodies = [_call(app, contract, operation, **arguments) for contract, operation, arguments in calls]
    assert not differences, "\n".join(differences)
    portfolio = etree.fromstring(bodies[2])
    assert portfolio.findtext(".//{*}Person/{*}LastName") == "Ёлкин"
    assert b"<tns:Performance>" in bodies[-2] or b":Performance>" in bodies[-2]
    assert b"Refusal" in bodies[-1]


def test_dataclass_without_a_wire_field_is_an_error() -> None:
    @dataclasses.dataclass
    class Incomplete:
        total: int

    from kontingent_ws.types.students import StudentPage

    writer = AnswerWriter(make_app(Settings(database_url="sqlite://", auth_enabled=False))
                          .endpoints["/ws/Students"].soap.app.out_protocol)  # fmt: skip
    with pytest.raises(AttributeError):
        writer.write(None, etree.Element("root"), StudentPage, Incomplete(total=1), "urn:x", "Page")
