"""The WSDL every contract serves equals its golden copy in wsdl/, and is WS-I Basic Profile friendly."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from adapters.safexml import parse_bytes
from kontingent_ws.app import KontingentWsgi, make_app
from kontingent_ws.commands.wsdl import WRITE_COMMAND, golden_path, served_wsdl
from kontingent_ws.registry import CONTRACTS, Contract
from kontingent_ws.settings import Settings

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "wsdl"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
XS = "http://www.w3.org/2001/XMLSchema"
NS = {"wsdl": WSDL, "soap": SOAP, "xs": XS}


@pytest.fixture(scope="module")
def app() -> KontingentWsgi:
    return make_app(Settings(database_url="sqlite://", auth_enabled=False))


def served(app: KontingentWsgi, contract: Contract) -> etree._Element:
    return parse_bytes(served_wsdl(app, contract))


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.name)
def test_served_wsdl_equals_the_golden_copy(app: KontingentWsgi, contract: Contract) -> None:
    path = golden_path(GOLDEN_DIR, contract)
    if not path.exists():
        pytest.fail(f"no golden copy {path}: run `{WRITE_COMMAND}` and commit it")

    assert served_wsdl(app, contract).decode() == path.read_text(encoding="utf-8"), (
        f"the WSDL of {contract.name} drifted from {path}; if the change is deliberate run `{WRITE_COMMAND}`"
    )


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.name)
def test_wsdl_is_document_literal_with_one_parameters_part(app: KontingentWsgi, contract: Contract) -> None:
    root = served(app, contract)

    assert root.get("targetNamespace") == contract.namespace
    assert {b.get("style") for b in root.iterfind("wsdl:binding/soap:binding", NS)} == {"document"}
    assert {b.get("transport") for b in root.iterfind("wsdl:binding/soap:binding", NS)} == {
        "http://schemas.xmlsoap.org/soap/http"
    }
    assert {b.get("use") for b in root.iterfind("wsdl:binding/wsdl:operation/*/soap:body", NS)} == {"literal"}
    for message in root.iterfind("wsdl:message", NS):
        parts = message.findall("wsdl:part", NS)
        assert [(p.get("name"), p.get("type")) for p in parts] == [("parameters", None)], message.get("name")
        assert parts[0].get("element")


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.name)
def test_wsdl_operations_have_soap_actions_and_unique_wrapper_elements(
    app: KontingentWsgi, contract: Contract
) -> None:
    root = served(app, contract)

    operations = root.findall("wsdl:binding/wsdl:operation", NS)
    assert operations
    assert all(op.find("soap:operation", NS).get("soapAction") for op in operations)
    assert not root.findall("wsdl:portType/wsdl:operation[@parameterOrder]", NS)
    elements = [e.get("name") for e in root.iterfind("wsdl:types/xs:schema/xs:element", NS)]
    assert len(elements) == len(set(elements))
    wrappers = [p.get("element").split(":")[-1] for p in root.iterfind("wsdl:message/wsdl:part", NS)]
    assert len(wrappers) == len(set(wrappers)) == 2 * len(operations)
    assert set(wrappers) <= set(elements)


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.name)
def test_wsdl_schemas_compile(app: KontingentWsgi, contract: Contract) -> None:
    root = served(app, contract)

    for schema in root.iterfind("wsdl:types/xs:schema", NS):
        # Serialized alone, the schema keeps the namespace declarations in scope (tns:…).
        etree.XMLSchema(parse_bytes(etree.tostring(schema)))
