"""The SMEV transform, rule by rule, with exact expected bytes, and the published example."""

from __future__ import annotations

from lxml import etree

from kontingent_ws.xmlsig.smev_transform import smev_transform


def transform(xml: str) -> str:
    return smev_transform(xml.encode("utf-8")).decode("utf-8")


def test_xml_declaration_processing_instructions_and_comments_are_dropped() -> None:
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<?xml-stylesheet href="a.xsl"?><a xmlns="urn:a"><?pi x?><!--c-->t</a>'
    )
    assert transform(xml) == '<ns1:a xmlns:ns1="urn:a">t</ns1:a>'


def test_whitespace_only_text_is_dropped_and_mixed_content_kept() -> None:
    xml = '<a xmlns="urn:a">\n\t <b> x y </b>\r\n <c/> tail <d>  \t</d>\n</a>'
    expected = '<ns1:a xmlns:ns1="urn:a"><ns1:b> x y </ns1:b><ns1:c></ns1:c> tail <ns1:d></ns1:d></ns1:a>'
    assert transform(xml) == expected


def test_empty_elements_are_written_as_tag_pairs() -> None:
    assert transform('<a xmlns="urn:a"><b/><c></c></a>') == (
        '<ns1:a xmlns:ns1="urn:a"><ns1:b></ns1:b><ns1:c></ns1:c></ns1:a>'
    )


def test_unused_namespace_declarations_are_dropped() -> None:
    xml = '<p:a xmlns:p="urn:p" xmlns:unused="urn:unused" xmlns="urn:default"><p:b xmlns:q="urn:q"/></p:a>'
    assert transform(xml) == '<ns1:a xmlns:ns1="urn:p"><ns1:b></ns1:b></ns1:a>'


def test_default_namespace_gets_a_generated_prefix() -> None:
    assert transform('<a xmlns="urn:x"><b/></a>') == '<ns1:a xmlns:ns1="urn:x"><ns1:b></ns1:b></ns1:a>'


def test_prefixes_are_numbered_in_document_order_and_reused_within_scope() -> None:
    xml = (
        '<z:root xmlns:z="urn:1" xmlns:y="urn:2" xmlns:x="urn:3">'
        "<x:first><z:inner/></x:first><y:second><x:deep/></y:second></z:root>"
    )
    expected = (
        '<ns1:root xmlns:ns1="urn:1">'
        '<ns2:first xmlns:ns2="urn:3"><ns1:inner></ns1:inner></ns2:first>'
        '<ns3:second xmlns:ns3="urn:2"><ns4:deep xmlns:ns4="urn:3"></ns4:deep></ns3:second>'
        "</ns1:root>"
    )
    assert transform(xml) == expected


def test_siblings_redeclare_a_namespace_with_a_fresh_number() -> None:
    xml = '<r xmlns="urn:r" xmlns:c="urn:c"><c:a/><c:b/></r>'
    expected = '<ns1:r xmlns:ns1="urn:r"><ns2:a xmlns:ns2="urn:c"></ns2:a><ns3:b xmlns:ns3="urn:c"></ns3:b></ns1:r>'
    assert transform(xml) == expected


def test_same_uri_under_two_prefixes_gets_one_generated_prefix() -> None:
    xml = '<a:r xmlns:a="urn:same" xmlns:b="urn:same"><b:c a:x="1" b:y="2"/></a:r>'
    expected = '<ns1:r xmlns:ns1="urn:same"><ns1:c ns1:x="1" ns1:y="2"></ns1:c></ns1:r>'
    assert transform(xml) == expected


def test_names_without_namespace_stay_unprefixed() -> None:
    assert transform('<a><b c="1"/></a>') == '<a><b c="1"></b></a>'
    assert transform('<p:a xmlns:p="urn:p"><b/></p:a>') == '<ns1:a xmlns:ns1="urn:p"><b></b></ns1:a>'


def test_attributes_sorted_by_namespace_then_local_name_unqualified_last() -> None:
    xml = (
        '<a xmlns="urn:e" xmlns:m="urn:m" xmlns:b="urn:b" xmlns:z="urn:z"'
        ' zeta="1" m:b="2" alpha="3" b:z="4" m:a="5" z:a="6"/>'
    )
    expected = (
        '<ns1:a xmlns:ns1="urn:e" xmlns:ns2="urn:b" xmlns:ns3="urn:m" xmlns:ns4="urn:z"'
        ' ns2:z="4" ns3:a="5" ns3:b="2" ns4:a="6" alpha="3" zeta="1"></ns1:a>'
    )
    assert transform(xml) == expected


def test_attribute_order_is_ordinal_not_locale() -> None:
    xml = '<a xmlns="urn:e" b="1" B="2" _="3" a="4"/>'
    assert transform(xml) == '<ns1:a xmlns:ns1="urn:e" B="2" _="3" a="4" b="1"></ns1:a>'


def test_namespace_declarations_precede_attributes_element_namespace_first() -> None:
    """The example of the rules, with the reference implementation's prefix scoping."""
    xml = """<?xml version="1.0" encoding="UTF-8"?>
<elementOne xmlns="http://test/1" xmlns:qwe="http://test/2" xmlns:asd="http://test/3">
    <qwe:elementTwo>
        <asd:elementThree xmlns:wer="http://test/a" xmlns:zxc="http://test/0"
            wer:attZ="zzz" attB="bbb" attA="aaa" zxc:attC="ccc" asd:attD="ddd" asd:attE="eee" qwe:attF="fff"/>
    </qwe:elementTwo>
    <qwe:elementFour>0</qwe:elementFour>
</elementOne>"""
    expected = (
        '<ns1:elementOne xmlns:ns1="http://test/1">'
        '<ns2:elementTwo xmlns:ns2="http://test/2">'
        '<ns3:elementThree xmlns:ns3="http://test/3" xmlns:ns4="http://test/0" xmlns:ns5="http://test/a"'
        ' ns4:attC="ccc" ns2:attF="fff" ns3:attD="ddd" ns3:attE="eee" ns5:attZ="zzz" attA="aaa" attB="bbb">'
        "</ns3:elementThree></ns2:elementTwo>"
        '<ns6:elementFour xmlns:ns6="http://test/2">0</ns6:elementFour>'
        "</ns1:elementOne>"
    )
    assert transform(xml) == expected


def test_escaping_of_text_and_attribute_values() -> None:
    xml = '<a xmlns="urn:e" v="&lt;&amp;&gt;&quot;\'">x &lt; y &amp;&amp; y &gt; z "q" \'s\'</a>'
    expected = '<ns1:a xmlns:ns1="urn:e" v="&lt;&amp;&gt;&quot;\'">x &lt; y &amp;&amp; y &gt; z "q" \'s\'</ns1:a>'
    assert transform(xml) == expected


def test_non_ascii_text_is_written_as_utf8() -> None:
    assert smev_transform('<a xmlns="urn:e">Иванов</a>'.encode()) == (
        '<ns1:a xmlns:ns1="urn:e">Иванов</ns1:a>'.encode()
    )


def test_an_element_is_transformed_without_its_tail_or_ancestors() -> None:
    root = etree.fromstring('<o:outer xmlns:o="urn:o" xmlns:i="urn:i"><i:inner a="1"> <o:x/> </i:inner>tail</o:outer>')
    inner = root[0]
    expected = b'<ns1:inner xmlns:ns1="urn:i" a="1"><ns2:x xmlns:ns2="urn:o"></ns2:x></ns1:inner>'
    assert smev_transform(inner) == expected
    assert smev_transform(etree.tostring(inner, method="c14n", exclusive=True)) == expected
    assert smev_transform(inner) == expected, "the prefix counter starts anew for every fragment"


# The example of the "Методические рекомендации по работе с ЕСМЭВ" (SenderProvidedRequestData with a
# BreachRequest) and its normalised form as the SMEV reference implementation produces it.
PUBLISHED_SOURCE = """<ns:SenderProvidedRequestData Id="SIGNED_BY_CONSUMER"
  xmlns="urn://x-artefacts-smev-gov-ru/services/message-exchange/types/1.1"
  xmlns:ns="urn://x-artefacts-smev-gov-ru/services/message-exchange/types/1.1"
  xmlns:ns2="urn://x-artefacts-smev-gov-ru/services/message-exchange/types/basic/1.1">
\t<ns:MessageID>db0486d0-3c08-11e5-95e2-d4c9eff07b77</ns:MessageID>
\t<ns2:MessagePrimaryContent>
\t\t<ns1:BreachRequest xmlns:ns1="urn://x-artefacts-gibdd-gov-ru/breach/root/1.0"
\t\t  xmlns:ns2="urn://x-artefacts-gibdd-gov-ru/breach/commons/1.0"
\t\t  xmlns:ns3="urn://x-artefacts-smev-gov-ru/supplementary/commons/1.0.1" Id="PERSONAL_SIGNATURE">
\t\t\t<ns1:RequestedInformation>
\t\t\t\t<ns2:RegPointNum>Т785ЕС57</ns2:RegPointNum>
\t\t\t</ns1:RequestedInformation>
\t\t\t<ns1:Governance>
\t\t\t\t<ns2:Name>ГИБДД РФ</ns2:Name>
\t\t\t\t<ns2:Code>GIBDD</ns2:Code>
\t\t\t\t<ns2:OfficialPerson>
\t\t\t\t\t<ns3:FamilyName>Загурский</ns3:FamilyName>
\t\t\t\t\t<ns3:FirstName>Андрей</ns3:FirstName>
\t\t\t\t\t<ns3:Patronymic>Петрович</ns3:Patronymic>
\t\t\t\t</ns2:OfficialPerson>
\t\t\t</ns1:Governance>
\t\t</ns1:BreachRequest>
\t</ns2:MessagePrimaryContent>
\t<ns:TestMessage/>
</ns:SenderProvidedRequestData>"""

TYPES = "urn://x-artefacts-smev-gov-ru/services/message-exchange/types/1.1"
BASIC = "urn://x-artefacts-smev-gov-ru/services/message-exchange/types/basic/1.1"
ROOT = "urn://x-artefacts-gibdd-gov-ru/breach/root/1.0"
COMMONS = "urn://x-artefacts-gibdd-gov-ru/breach/commons/1.0"
SUPPLEMENTARY = "urn://x-artefacts-smev-gov-ru/supplementary/commons/1.0.1"
PUBLISHED_RESULT = (
    f'<ns1:SenderProvidedRequestData xmlns:ns1="{TYPES}" Id="SIGNED_BY_CONSUMER">'
    "<ns1:MessageID>db0486d0-3c08-11e5-95e2-d4c9eff07b77</ns1:MessageID>"
    f'<ns2:MessagePrimaryContent xmlns:ns2="{BASIC}">'
    f'<ns3:BreachRequest xmlns:ns3="{ROOT}" Id="PERSONAL_SIGNATURE">'
    "<ns3:RequestedInformation>"
    f'<ns4:RegPointNum xmlns:ns4="{COMMONS}">Т785ЕС57</ns4:RegPointNum>'
    "</ns3:RequestedInformation>"
    "<ns3:Governance>"
    f'<ns5:Name xmlns:ns5="{COMMONS}">ГИБДД РФ</ns5:Name>'
    f'<ns6:Code xmlns:ns6="{COMMONS}">GIBDD</ns6:Code>'
    f'<ns7:OfficialPerson xmlns:ns7="{COMMONS}">'
    f'<ns8:FamilyName xmlns:ns8="{SUPPLEMENTARY}">Загурский</ns8:FamilyName>'
    f'<ns9:FirstName xmlns:ns9="{SUPPLEMENTARY}">Андрей</ns9:FirstName>'
    f'<ns10:Patronymic xmlns:ns10="{SUPPLEMENTARY}">Петрович</ns10:Patronymic>'
    "</ns7:OfficialPerson>"
    "</ns3:Governance>"
    "</ns3:BreachRequest>"
    "</ns2:MessagePrimaryContent>"
    "<ns1:TestMessage></ns1:TestMessage>"
    "</ns1:SenderProvidedRequestData>"
)


def test_published_example_of_the_methodical_recommendations() -> None:
    assert transform(PUBLISHED_SOURCE) == PUBLISHED_RESULT


def test_published_example_after_exclusive_c14n_gives_the_same_bytes() -> None:
    element = etree.fromstring(PUBLISHED_SOURCE.encode("utf-8"))
    assert smev_transform(etree.tostring(element, method="c14n", exclusive=True)) == PUBLISHED_RESULT.encode()
