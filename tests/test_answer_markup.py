"""Wrapped answers written as markup and parsed once (``answer_xml._Markup``) are the documents the
element path builds: text to escape, carriage returns, every leaf kind, repeated members and
arrays; a nil or an empty text leaves the answer to the element path."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pytest
from lxml import etree
from spyne import Array, Boolean, ComplexModel, Date, Decimal, Integer, Unicode

from kontingent_ws.answer_xml import AnswerWriter, Wire
from kontingent_ws.app import make_app
from kontingent_ws.settings import Settings

NS = "urn:test:markup"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


class Item(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("Name", Unicode(min_occurs=1, nillable=True)),
        ("Count", Integer),
        ("Day", Date),
        ("Share", Decimal),
        ("Flag", Boolean),
    ]


class Answer(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("Title", Unicode),
        ("Item", Item.customize(max_occurs="unbounded")),
        ("Codes", Array(Unicode)),
    ]


@pytest.fixture(scope="module")
def protocol() -> Any:
    return (
        make_app(Settings(database_url="sqlite://", auth_enabled=False)).endpoints["/ws/Students"].soap.app.out_protocol
    )


def written(protocol: Any, values: list[Any], *, markup: bool) -> tuple[bytes, bytes, bool]:
    """The wrapper alone and the whole envelope as soap.py finishes it, and whether markup wrote it."""
    writer = AnswerWriter(protocol)
    assert writer.writes(Answer)
    if not markup:
        writer._markup._refused.add(Answer)
    by_markup = markup and writer._markup.write(etree.Element("scratch"), Answer, list(values))
    body = etree.Element(f"{{{SOAP}}}Body")
    writer.write_wrapped(None, body, Answer, values)
    alone = etree.tostring(body[0])
    envelope = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"soap11env": SOAP, "tns": NS})
    envelope.append(body)
    etree.cleanup_namespaces(envelope)
    return alone, etree.tostring(envelope), by_markup


ITEM = Wire(Name="Иванов & <сын>\r\nмл.", Count=3, Day=dt.date(2025, 9, 1), Share=decimal.Decimal("4.50"), Flag=True)


@pytest.mark.parametrize(
    ("values", "by_markup"),
    [
        (["«Дневник» & <отметки>", [ITEM, Wire(Name="Пётр", Count=None, Flag=False)], ["a>b", "\r"]], True),
        ([None, None, None], True),
        (["", [ITEM], None], False),  # an empty text: an empty element, as lxml writes it
        (["x", [Wire(Name=None)], None], False),  # a required value missing: xsi:nil
        (["x", None, ["a", None]], False),
    ],
)
def test_markup_writes_the_document_of_the_element_path(protocol: Any, values: list[Any], by_markup: bool) -> None:
    alone, whole, used = written(protocol, values, markup=True)
    assert used is by_markup
    assert (alone, whole) == written(protocol, values, markup=False)[:2]
    if by_markup and values[0]:
        parsed = etree.fromstring(whole)
        assert parsed.findtext(f".//{{{NS}}}Title") == values[0]
        assert parsed.findtext(f".//{{{NS}}}Item/{{{NS}}}Name") == ITEM.Name
