"""Russian names: first names, patronymics built from the father's name, sex-matched surnames.

Surnames are Faker's ``ru_RU`` lists (male and female forms at the same index); first names are
the popular names of today's children and parents; a child's patronymic is always derived from
the first name of the father (registered or not), so a family reads coherently.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from faker.providers.person.ru_RU import Provider as _FakerPerson

MALE = "1"
FEMALE = "2"

SURNAMES: tuple[tuple[str, str], ...] = tuple(
    zip(_FakerPerson.last_names_male, _FakerPerson.last_names_female, strict=True)
)
"""(male form, female form) of each surname."""

FATHERS: tuple[tuple[str, str, str], ...] = (
    ("Александр", "Александрович", "Александровна"), ("Алексей", "Алексеевич", "Алексеевна"),
    ("Андрей", "Андреевич", "Андреевна"), ("Антон", "Антонович", "Антоновна"), ("Артём", "Артёмович", "Артёмовна"),
    ("Борис", "Борисович", "Борисовна"), ("Вадим", "Вадимович", "Вадимовна"),
    ("Валерий", "Валерьевич", "Валерьевна"), ("Василий", "Васильевич", "Васильевна"),
    ("Виктор", "Викторович", "Викторовна"), ("Виталий", "Витальевич", "Витальевна"),
    ("Владимир", "Владимирович", "Владимировна"), ("Владислав", "Владиславович", "Владиславовна"),
    ("Вячеслав", "Вячеславович", "Вячеславовна"), ("Геннадий", "Геннадьевич", "Геннадьевна"),
    ("Георгий", "Георгиевич", "Георгиевна"), ("Глеб", "Глебович", "Глебовна"),
    ("Григорий", "Григорьевич", "Григорьевна"), ("Денис", "Денисович", "Денисовна"),
    ("Дмитрий", "Дмитриевич", "Дмитриевна"), ("Евгений", "Евгеньевич", "Евгеньевна"),
    ("Егор", "Егорович", "Егоровна"), ("Иван", "Иванович", "Ивановна"), ("Игорь", "Игоревич", "Игоревна"),
    ("Илья", "Ильич", "Ильинична"), ("Кирилл", "Кириллович", "Кирилловна"),
    ("Константин", "Константинович", "Константиновна"), ("Максим", "Максимович", "Максимовна"),
    ("Михаил", "Михайлович", "Михайловна"), ("Никита", "Никитич", "Никитична"),
    ("Николай", "Николаевич", "Николаевна"), ("Олег", "Олегович", "Олеговна"), ("Павел", "Павлович", "Павловна"),
    ("Пётр", "Петрович", "Петровна"), ("Роман", "Романович", "Романовна"), ("Руслан", "Русланович", "Руслановна"),
    ("Сергей", "Сергеевич", "Сергеевна"), ("Станислав", "Станиславович", "Станиславовна"),
    ("Степан", "Степанович", "Степановна"), ("Тимур", "Тимурович", "Тимуровна"), ("Фёдор", "Фёдорович", "Фёдоровна"),
    ("Юрий", "Юрьевич", "Юрьевна"), ("Ярослав", "Ярославович", "Ярославовна"),
)  # fmt: skip
"""First names of fathers with the patronymics of their sons and daughters."""

MOTHERS: tuple[str, ...] = (
    "Анна", "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана", "Екатерина", "Мария", "Юлия",
    "Анастасия", "Марина", "Ксения", "Евгения", "Дарья", "Виктория", "Александра", "Надежда", "Людмила",
    "Валентина", "Галина", "Алёна", "Оксана", "Кристина", "Олеся", "Яна", "Вера", "Любовь", "Нина", "Алина",
)  # fmt: skip

BOYS: tuple[str, ...] = (
    "Александр", "Михаил", "Максим", "Артём", "Лев", "Марк", "Иван", "Дмитрий", "Матвей", "Даниил",
    "Тимофей", "Кирилл", "Роман", "Егор", "Фёдор", "Илья", "Андрей", "Никита", "Алексей", "Владимир",
    "Арсений", "Мирон", "Ярослав", "Константин", "Степан", "Глеб", "Николай", "Георгий", "Савелий", "Денис",
)  # fmt: skip

GIRLS: tuple[str, ...] = (
    "Софья", "Анна", "Мария", "Ева", "Виктория", "Полина", "Алиса", "Варвара", "Александра", "Василиса",
    "Дарья", "Елизавета", "Вероника", "Милана", "Ксения", "Арина", "Екатерина", "Таисия", "Ульяна", "Кира",
    "Маргарита", "Валерия", "Алёна", "Злата", "Есения", "Амелия", "Мирослава", "Агата", "Стефания", "Виолетта",
)  # fmt: skip


@dataclass(frozen=True, kw_only=True, slots=True)
class FullName:
    last: str
    first: str
    middle: str
    sex: str


def surname_of(surname_index: int, sex: str) -> str:
    male, female = SURNAMES[surname_index]
    return male if sex == MALE else female


def child_name(rng: random.Random, sex: str, surname_index: int, father_index: int) -> FullName:
    """A child of the family (surname, father) with a first name of the given sex."""
    father = FATHERS[father_index]
    if sex == MALE:
        return FullName(last=SURNAMES[surname_index][0], first=rng.choice(BOYS), middle=father[1], sex=sex)
    return FullName(last=SURNAMES[surname_index][1], first=rng.choice(GIRLS), middle=father[2], sex=sex)


def father_name(rng: random.Random, surname_index: int, father_index: int) -> FullName:
    """The father himself: his own patronymic comes from a random grandfather."""
    grandfather = rng.choice(FATHERS)
    return FullName(
        last=SURNAMES[surname_index][0], first=FATHERS[father_index][0], middle=grandfather[1], sex=MALE
    )


def mother_name(rng: random.Random, surname_index: int) -> FullName:
    grandfather = rng.choice(FATHERS)
    return FullName(last=SURNAMES[surname_index][1], first=rng.choice(MOTHERS), middle=grandfather[2], sex=FEMALE)


def adult_name(rng: random.Random) -> FullName:
    """Anyone not tied to a family: heads of organizations, guardians."""
    sex = MALE if rng.random() < 0.4 else FEMALE
    surname = rng.randrange(len(SURNAMES))
    if sex == MALE:
        return father_name(rng, surname, rng.randrange(len(FATHERS)))
    return mother_name(rng, surname)


def short_form(name: FullName) -> str:
    """``Иванова Мария Петровна`` → ``Иванова М. П.``"""
    return f"{name.last} {name.first[0]}. {name.middle[0]}."
