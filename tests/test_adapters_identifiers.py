import pytest
from faker import Faker
from stdnum.ru import ogrn as stdnum_ogrn

from adapters import identifiers as ids
from adapters.rowerrors import ROW_ERROR_TEMPLATES


def error_code(function, *args):
    with pytest.raises(ids.IdentifierError) as caught:
        function(*args)
    assert caught.value.message
    return caught.value.code


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("112-233-445 95", "11223344595"),
        ("11223344595", "11223344595"),
        (" 112 233 445 95 ", "11223344595"),
        ("001-508-815 00", "00150881500"),  # sum 100 → 00
        ("001-437-544 00", "00143754400"),  # sum 101 → 00
        ("006-996-682 00", "00699668200"),  # sum 201, remainder 100 → 00
        ("001-326-678 99", "00132667899"),  # sum 99 → 99
        ("987-654-321 83", "98765432183"),  # sum 285 → 285 mod 101
        ("999-999-999 01", "99999999901"),
        ("001-001-998 17", "00100199817"),  # issued before check digits: not checked
    ],
)
def test_valid_snils(value, expected):
    assert ids.normalize_snils(value) == expected
    assert ids.is_valid_snils(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("112-233-445 94", "SNILS_CHECKSUM"),
        ("001-508-815 01", "SNILS_CHECKSUM"),
        ("001-001-999 00", "SNILS_CHECKSUM"),
        ("112-233-445 9", "SNILS_FORMAT"),
        ("112-233-445 955", "SNILS_FORMAT"),
        ("112/233/445 95", "SNILS_FORMAT"),
        ("", "SNILS_FORMAT"),
    ],
)
def test_invalid_snils(value, code):
    assert error_code(ids.normalize_snils, value) == code
    assert not ids.is_valid_snils(value)


def test_snils_format_and_mask():
    assert ids.format_snils("11223344595") == "112-233-445 95"
    assert ids.mask_snils("11223344595") == "***-***-445 95"


def test_make_snils_checks_out_and_refuses_unchecked_numbers():
    assert ids.make_snils(112233445) == "11223344595"
    assert all(ids.is_valid_snils(ids.make_snils(n)) for n in range(1_001_999, 1_003_000))
    with pytest.raises(ValueError):
        ids.make_snils(1_001_998)
    with pytest.raises(ValueError):
        ids.make_snils(1_000_000_000)


@pytest.mark.parametrize(
    ("function", "value", "expected"),
    [
        (ids.normalize_inn_org, "7707083893", "7707083893"),
        (ids.normalize_inn_org, " 7707 083893 ", "7707083893"),
        (ids.normalize_inn_person, "500100732259", "500100732259"),
        (ids.normalize_ogrn, "1027700132195", "1027700132195"),
        (ids.normalize_ogrnip, "304500116000157", "304500116000157"),
        (ids.normalize_kpp, "773601001", "773601001"),
        (ids.normalize_kpp, "7736ab001", "7736AB001"),
        (ids.normalize_oktmo, "45 382 000", "45382000"),
        (ids.normalize_oktmo, "45382000001", "45382000001"),
    ],
)
def test_valid_organization_identifiers(function, value, expected):
    assert function(value) == expected


@pytest.mark.parametrize(
    ("function", "value", "code"),
    [
        (ids.normalize_inn_org, "7707083894", "INN_CHECKSUM"),
        (ids.normalize_inn_org, "770708389", "INN_FORMAT"),
        (ids.normalize_inn_org, "500100732259", "INN_FORMAT"),
        (ids.normalize_inn_person, "500100732258", "INN_CHECKSUM"),
        (ids.normalize_inn_person, "500100732269", "INN_CHECKSUM"),
        (ids.normalize_inn_person, "7707083893", "INN_FORMAT"),
        (ids.normalize_ogrn, "1027700132194", "OGRN_CHECKSUM"),
        (ids.normalize_ogrn, "0027700132195", "OGRN_FORMAT"),
        (ids.normalize_ogrn, "102770013219", "OGRN_FORMAT"),
        (ids.normalize_ogrnip, "304500116000158", "OGRN_CHECKSUM"),
        (ids.normalize_ogrnip, "504500116000157", "OGRN_FORMAT"),
        (ids.normalize_kpp, "77360100", "KPP_FORMAT"),
        (ids.normalize_kpp, "7736АБ001", "KPP_FORMAT"),
        (ids.normalize_kpp, "77A601001", "KPP_FORMAT"),
        (ids.normalize_oktmo, "453820001", "OKTMO_FORMAT"),
        (ids.normalize_oktmo, "4538200A", "OKTMO_FORMAT"),
    ],
)
def test_invalid_organization_identifiers(function, value, code):
    assert error_code(function, value) == code


def test_ogrnip_check_keeps_the_final_mod_10_that_stdnum_omits():
    body = "30450011600018"  # the body mod 13 is 10, so the check digit is 0
    assert int(body) % 13 == 10
    assert ids.make_ogrnip(int(body)) == body + "0"
    assert ids.normalize_ogrnip(body + "0") == body + "0"
    assert not stdnum_ogrn.is_valid(body + "0")


def test_generators_produce_valid_numbers():
    for n in range(0, 5000, 37):
        assert ids.normalize_inn_org(ids.make_inn_org(770_000_000 + n))
        assert ids.normalize_inn_person(ids.make_inn_person(5_001_000_000 + n))
        assert ids.normalize_ogrn(ids.make_ogrn(102_770_000_000 + n))
        assert ids.normalize_ogrnip(ids.make_ogrnip(30_450_011_600_000 + n))
    assert ids.make_inn_org(770_708_389) == "7707083893"
    assert ids.make_inn_person(5_001_007_322) == "500100732259"
    assert ids.make_ogrn(102_770_013_219) == "1027700132195"
    for bad in (
        lambda: ids.make_inn_org(-1),
        lambda: ids.make_inn_org(10**9),
        lambda: ids.make_ogrn(10**11 - 1),
        lambda: ids.make_ogrnip(50_450_011_600_000),
    ):
        with pytest.raises(ValueError):
            bad()


def test_faker_ru_identifiers_pass():
    fake = Faker("ru_RU")
    fake.seed_instance(2024)
    for _ in range(50):
        assert ids.is_valid_snils(fake.snils())
        ids.normalize_inn_org(fake.businesses_inn())
        ids.normalize_inn_person(fake.individuals_inn())
        ids.normalize_ogrn(fake.businesses_ogrn())
        ids.normalize_kpp(fake.kpp())


@pytest.mark.parametrize(
    ("series", "number", "expected"),
    [
        ("IV-АБ", "123456", ("IV-АБ", "123456")),
        ("iv-аб", "123 456", ("IV-АБ", "123456")),
        ("IVАБ", "123456", ("IV-АБ", "123456")),
        ("1У-АБ", "123456", ("IV-АБ", "123456")),  # Cyrillic look-alikes in the Roman part
        ("ХЛ1 АБ", "000001", ("XLI-АБ", "000001")),
        ("СХ–ЖЮ", "654321", ("CX-ЖЮ", "654321")),
        ("II-AK", "123456", ("II-АК", "123456")),  # Latin look-alikes in the letter part
        ("XIV–МЮ", "111111", ("XIV-МЮ", "111111")),
    ],
)
def test_birth_certificate_normalised(series, number, expected):
    assert ids.normalize_birth_certificate(series, number) == expected


@pytest.mark.parametrize(
    ("series", "number"),
    [
        ("IV-АБ", "12345"),
        ("IV-АБ", "1234567"),
        ("IIII-АБ", "123456"),  # not a Roman numeral
        ("VX-АБ", "123456"),
        ("IV-АБВ", "123456"),
        ("IV-QZ", "123456"),  # Latin letters without a Cyrillic twin
        ("-АБ", "123456"),
        ("45-АБ", "123456"),
        ("", "123456"),
    ],
)
def test_birth_certificate_rejected(series, number):
    assert error_code(ids.normalize_birth_certificate, series, number) == "BIRTH_CERTIFICATE_FORMAT"


@pytest.mark.parametrize("value", ["45 09 123456", "4509 123456", "4509123456", "45 09 № 123456", "45-09-123456"])
def test_passport_rf(value):
    assert ids.normalize_passport_rf(value) == ("4509", "123456")
    assert ids.format_passport_rf("4509", "123456") == "45 09 123456"


@pytest.mark.parametrize("value", ["45 09 12345", "45 09 1234567", "AB 09 123456"])
def test_passport_rf_rejected(value):
    assert error_code(ids.normalize_passport_rf, value) == "PASSPORT_FORMAT"


@pytest.mark.parametrize(
    ("value", "visible", "expected"),
    [
        ("45 09 123456", 2, "** ** ****56"),
        ("IV-АБ 123456", 3, "**-** ***456"),
        ("12", 2, "12"),
        ("", 2, ""),
    ],
)
def test_mask_document_number(value, visible, expected):
    assert ids.mask_document_number(value, visible) == expected


def test_every_identifier_error_code_has_a_row_error_template():
    codes = {
        "SNILS_FORMAT",
        "SNILS_CHECKSUM",
        "INN_FORMAT",
        "INN_CHECKSUM",
        "OGRN_FORMAT",
        "OGRN_CHECKSUM",
        "KPP_FORMAT",
        "OKTMO_FORMAT",
        "BIRTH_CERTIFICATE_FORMAT",
        "PASSPORT_FORMAT",
    }
    assert codes <= set(ROW_ERROR_TEMPLATES)
