"""How the school journal export («ЭлЖур»-like) spells things, and how that maps to our codes (pure).

Tables and rules only: full names split into surname, name and patronymic, classes like «5А»,
marks as the journal writes them, control forms by the journal's names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from adapters.validation import code_by_name, name_key
from db import classifiers

PATRONYMIC_PARTICLES = frozenset({"оглы", "кызы", "улы", "уулу", "гызы"})
"""Words that end a Turkic patronymic («Мамедов Эльчин Рашид оглы»)."""

CONTROL_FORMS: Mapping[str, str] = MappingProxyType(
    {
        "к/р": "1",
        "контрольная": "1",
        "с/р": "2",
        "самостоятельная": "2",
        "ответ на уроке": "4",
        "устно": "4",
        "л/р": "5",
        "лабораторная": "5",
        "п/р": "6",
        "практическая": "6",
        "тест": "7",
        "д/з": "8",
        "домашнее задание": "8",
    }
)
"""Journal names of control forms → ``control_form`` codes (the classifier's own names are accepted too)."""

ABSENCES = frozenset({"н", "б", "п", "уп", "ув"})
"""Attendance notes the journal keeps among marks: not marks, skipped."""

MARKS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "5": ("five_point", "5"),
        "4": ("five_point", "4"),
        "3": ("five_point", "3"),
        "2": ("five_point", "2"),
        "1": ("five_point", "1"),
        "зач": ("pass_fail", "pass"),
        "зачет": ("pass_fail", "pass"),
        "зачтено": ("pass_fail", "pass"),
        "незач": ("pass_fail", "fail"),
        "не зачтено": ("pass_fail", "fail"),
        "н/а": ("na", "na"),
        "осв": ("exempt", "exempt"),
        "осв.": ("exempt", "exempt"),
    }
)
"""Journal marks (after ``name_key`` and dropping a trailing ``+``/``-``) → ``(scale, value)``."""

GRADE_PROGRAMMES = ((range(1, 5), "12"), (range(5, 10), "13"), (range(10, 13), "14"))
"""Class number → ``program_kind``: начальное, основное, среднее общее."""

_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_CLASS = re.compile(r"(\d{1,2})\s*-?\s*([А-ЯЁA-Z]?)")


def _capitalised(word: str) -> str:
    """``ИВАНОВ`` and ``иванов`` → ``Иванов``; a name written with care (``ДиКаприо``) is kept."""
    if not (word.isupper() or word.islower()):
        return word
    return "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))


def split_full_name(full_name: str) -> tuple[str, str, str | None] | None:
    """«Иванов Иван Иванович» → ``("Иванов", "Иван", "Иванович")``.

    Rules: words are split on spaces; two words are a surname and a name; three are a surname, a
    name and a patronymic; four or more are allowed only when the last is a patronymic particle
    («оглы», «кызы» …), which joins the word before it. Words all in capitals or all in lower case
    are capitalised. ``None`` when the name does not follow the rules (one word, digits, five words).
    """
    words = full_name.split()
    if not 2 <= len(words) <= 4 or not all(_WORD.fullmatch(word) for word in words):
        return None
    if len(words) == 4:
        if words[3].casefold() not in PATRONYMIC_PARTICLES:
            return None
        words = [*words[:2], f"{_capitalised(words[2])} {words[3].casefold()}"]
    names = [_capitalised(word) if index < 2 else word for index, word in enumerate(words)]
    if len(names) == 3 and " " not in names[2]:
        names[2] = _capitalised(names[2])
    return names[0], names[1], names[2] if len(names) == 3 else None


def split_class(name: str) -> tuple[int, str | None] | None:
    """«5А», «10 б», «11-В» → ``(5, "А")``; ``None`` unless a number 1–12 with at most one letter."""
    match = _CLASS.fullmatch(name.strip().upper())
    if match is None or not 1 <= int(match.group(1)) <= 12:
        return None
    return int(match.group(1)), match.group(2) or None


def programme_of(grade: int) -> str:
    """The general education programme taught in classes of ``grade``."""
    return next(code for grades, code in GRADE_PROGRAMMES if grade in grades)


def control_form_of(name: str) -> str | None:
    """The ``control_form`` code of a journal's control form name, or ``None`` when it has none."""
    return CONTROL_FORMS.get(name_key(name)) or code_by_name(classifiers.CONTROL_FORM, name)


def mark_of(value: str) -> tuple[str, str] | None:
    """``(scale, mark_value code)`` of a journal mark («5», «4+», «зач», «н/а»); ``None`` if not a mark."""
    key = name_key(value)
    if len(key) > 1 and key[-1] in "+-" and key[:-1].isdigit():
        key = key[:-1]
    return MARKS.get(key)


def is_absence(value: str) -> bool:
    """Whether the journal's «mark» is an attendance note («н», «б» …)."""
    return name_key(value) in ABSENCES
