import re

import pytest

from db import classifiers as c


def test_the_file_holds_exactly_the_named_classifiers():
    assert tuple(c.load_classifiers()) == c.ALL_CLASSIFIERS


@pytest.mark.parametrize("key", [*c.ALL_CLASSIFIERS, c.SUBJECTS])
def test_codes_are_unique_and_names_russian(key):
    items = c.items_of(key)
    codes = [item.code for item in items]
    assert items
    assert len(codes) == len(set(codes))
    assert all(code.strip() == code and code for code in codes)
    assert all(re.search("[А-Яа-яЁё]", item.name) for item in items)
    assert re.search("[А-Яа-яЁё]", c.title_of(key))


@pytest.mark.parametrize("key", [*c.ALL_CLASSIFIERS, c.SUBJECTS])
def test_parents_exist_in_the_same_classifier(key):
    # a mark value's parent is its scale; every other parent is an entry of the same classifier
    codes = c.codes_of(c.MARK_SCALE if key == c.MARK_VALUE else key)
    assert {item.parent for item in c.items_of(key) if item.parent is not None} <= codes


@pytest.mark.parametrize(
    ("key", "codes"),
    [
        (c.ORG_TYPE, {"11", "12", "13", "14", "15", "16", "17"}),
        (c.ORG_STATUS, {str(n) for n in range(1, 10)}),
        (
            c.OKFS,
            {
                str(n)
                for n in (
                    10,
                    11,
                    12,
                    13,
                    14,
                    15,
                    16,
                    17,
                    18,
                    19,
                    20,
                    21,
                    22,
                    23,
                    24,
                    30,
                    31,
                    32,
                    34,
                    40,
                    41,
                    42,
                    43,
                    49,
                    50,
                    51,
                    53,
                    54,
                    61,
                )
            },
        ),
        (
            c.OKOPF,
            {
                str(n)
                for n in (
                    75000,
                    75101,
                    75103,
                    75104,
                    75201,
                    75203,
                    75204,
                    75401,
                    75403,
                    75404,
                    75500,
                    71400,
                    12300,
                    30002,
                )
            },
        ),
        (c.PROGRAM_KIND, {"11", "12", "13", "14", "15", "211", "212", "411", "412"}),
        (c.EDUCATION_FORM, {"11", "12", "13", "21", "22"}),
        (c.REPRESENTATIVE_KIND, {str(n) for n in range(1, 8)}),
        (c.CITIZENSHIP, {"1", "2", "3", "4"}),
        (c.IDENTITY_DOCUMENT_TYPE, {"03", "10", "12", "21", "91"}),
        (c.MARK_SCALE, {"five_point", "pass_fail", "hundred", "na", "exempt"}),
        (c.STUDY_PERIOD_KIND, {"quarter", "trimester", "half_year"}),
        (c.USER_ROLE, {"system_admin", "authority_admin", "employee"}),
        (c.SEX, {"1", "2"}),
    ],
)
def test_official_codes_are_present(key, codes):
    assert codes <= c.codes_of(key)


@pytest.mark.parametrize(
    ("key", "code", "name"),
    [
        (c.ORG_TYPE, "11", "Дошкольная образовательная организация"),
        (c.OKFS, "14", "Муниципальная собственность"),
        (c.OKOPF, "75403", "Муниципальные бюджетные учреждения"),
        (c.EDUCATION_FORM, "21", "Семейное образование"),
        (c.IDENTITY_DOCUMENT_TYPE, "21", "Паспорт гражданина Российской Федерации"),
        (c.SPO_SPECIALTY, "09.02.07", "Информационные системы и программирование"),
        (c.LOAD_STATUS, "partial", "Частично"),
        (c.SUBJECTS, "01", "Русский язык"),
    ],
)
def test_name_of(key, code, name):
    assert c.name_of(key, code) == name


def test_unknown_code_is_a_key_error_and_item_of_returns_none():
    with pytest.raises(KeyError):
        c.name_of(c.ORG_TYPE, "99")
    assert c.item_of(c.ORG_TYPE, "99") is None


def test_hierarchy_of_okfs_and_specialties():
    assert {item.code for item in c.children_of(c.OKFS, "11")} == {"12", "13"}
    assert "09.02.07" in {item.code for item in c.children_of(c.SPO_SPECIALTY, "09.00.00")}


def test_extra_attributes_are_read_only_and_typed():
    level = c.item_of(c.EDUCATION_LEVEL, "2")
    assert level is not None
    assert (level.extra["grade_min"], level.extra["grade_max"]) == (1, 4)
    with pytest.raises(TypeError):
        level.extra["grade_min"] = 0  # type: ignore[index]
    five = c.item_of(c.MARK_VALUE, "5")
    assert five is not None and five.parent == "five_point" and five.extra["numeric"] == 5


def test_every_education_level_has_plausible_ages():
    for item in c.items_of(c.EDUCATION_LEVEL):
        assert 0 <= item.extra["age_min"] < item.extra["age_max"] <= 100


def test_program_kinds_point_at_existing_levels():
    levels = c.codes_of(c.EDUCATION_LEVEL)
    for item in c.items_of(c.PROGRAM_KIND):
        assert item.extra.get("education_level", "1") in levels


def test_exit_reasons_name_an_enrolment_status():
    statuses = c.codes_of(c.ENROLMENT_STATUS)
    assert all(item.extra["status"] in statuses for item in c.items_of(c.EXIT_REASON))


def test_subjects_cover_the_base_list():
    names = {item.name for item in c.load_subjects()}
    expected = {"Русский язык", "Математика", "Алгебра", "Геометрия", "Физика", "Окружающий мир"}
    assert expected | {"Основы безопасности и защиты Родины", "Английский язык"} <= names
    assert len(names) >= 30
