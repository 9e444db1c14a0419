"""Classifiers (dictionaries) shipped with the package: codes, Russian names, hierarchy.

The data lives in ``db/data/classifiers.json`` and ``db/data/subjects.json``; both files map a
classifier key to ``{"title": <Russian title>, "items": [{"code", "name", "parent"?, "extra"?}]}``.
Codes are always strings. Choices documented here once:

- ``sex``: ``"1"`` male, ``"2"`` female (the numeric convention of ФНС and ГИС forms);
- identity document types use the ФНС codes (``"21"`` passport of РФ, ``"03"`` birth certificate,
  ``"91"`` any other document);
- mark scales, study period kinds, period mark kinds, user roles and load statuses use mnemonic
  codes (``"five_point"``, ``"quarter"``, ``"annual"``, ``"system_admin"``, ``"success"``); every
  other classifier uses numeric strings;
- a ``mark_value`` item's ``parent`` is the code of its ``mark_scale``; every other ``parent`` is a
  code of the same classifier.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"

ORG_TYPE = "org_type"
ORG_STATUS = "org_status"
OKFS = "okfs"
OKOPF = "okopf"
EDUCATION_LEVEL = "education_level"
PROGRAM_KIND = "program_kind"
EDUCATION_FORM = "education_form"
REPRESENTATIVE_KIND = "representative_kind"
CITIZENSHIP = "citizenship"
IDENTITY_DOCUMENT_TYPE = "identity_document_type"
EDUCATION_DOCUMENT_TYPE = "education_document_type"
ENTRY_REASON = "entry_reason"
EXIT_REASON = "exit_reason"
ENROLMENT_STATUS = "enrolment_status"
GROUP_ORIENTATION = "group_orientation"
COMPENSATING_PROFILE = "compensating_profile"
GROUP_REGIME = "group_regime"
GROUP_AGE_BAND = "group_age_band"
PRESCHOOL_ACTIVITY = "preschool_activity"
MARK_SCALE = "mark_scale"
MARK_VALUE = "mark_value"
STUDY_PERIOD_KIND = "study_period_kind"
PERIOD_MARK_KIND = "period_mark_kind"
CONTROL_FORM = "control_form"
EXAM_KIND = "exam_kind"
QUEUE_STATUS = "queue_status"
QUEUE_PRIVILEGE = "queue_privilege"
SEX = "sex"
ADDRESS_KIND = "address_kind"
MUNICIPALITY_KIND = "municipality_kind"
HEALTH_GROUP = "health_group"
USER_ROLE = "user_role"
LOAD_STATUS = "load_status"
SPO_SPECIALTY = "spo_specialty"
ADDITIONAL_EDUCATION_DIRECTION = "additional_education_direction"

ALL_CLASSIFIERS: tuple[str, ...] = (
    ORG_TYPE,
    ORG_STATUS,
    OKFS,
    OKOPF,
    EDUCATION_LEVEL,
    PROGRAM_KIND,
    EDUCATION_FORM,
    REPRESENTATIVE_KIND,
    CITIZENSHIP,
    IDENTITY_DOCUMENT_TYPE,
    EDUCATION_DOCUMENT_TYPE,
    ENTRY_REASON,
    EXIT_REASON,
    ENROLMENT_STATUS,
    GROUP_ORIENTATION,
    COMPENSATING_PROFILE,
    GROUP_REGIME,
    GROUP_AGE_BAND,
    PRESCHOOL_ACTIVITY,
    MARK_SCALE,
    MARK_VALUE,
    STUDY_PERIOD_KIND,
    PERIOD_MARK_KIND,
    CONTROL_FORM,
    EXAM_KIND,
    QUEUE_STATUS,
    QUEUE_PRIVILEGE,
    SEX,
    ADDRESS_KIND,
    MUNICIPALITY_KIND,
    HEALTH_GROUP,
    USER_ROLE,
    LOAD_STATUS,
    SPO_SPECIALTY,
    ADDITIONAL_EDUCATION_DIRECTION,
)
"""Every classifier key present in ``classifiers.json``, in file order."""

SUBJECTS = "subject"
"""Key of the base subject dictionary (``subjects.json``), for callers that store it with the rest."""


@dataclass(frozen=True, kw_only=True)
class ClassifierItem:
    """One entry of a classifier."""

    code: str
    """Stable code, as transmitted in packets and stored in the database."""
    name: str
    """Russian name shown to users."""
    parent: str | None = None
    """Code of the parent entry (hierarchical classifiers such as ОКФС; a mark value's scale)."""
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    """Additional attributes (age limits of a level, numeric value of a mark, …); read-only."""


def _item(raw: Mapping[str, Any]) -> ClassifierItem:
    return ClassifierItem(
        code=str(raw["code"]),
        name=str(raw["name"]),
        parent=raw.get("parent"),
        extra=MappingProxyType(dict(raw.get("extra", {}))),
    )


def _read(name: str) -> Any:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


@cache
def _classifier_file() -> Mapping[str, Any]:
    return MappingProxyType(_read("classifiers.json"))


@cache
def load_classifiers() -> Mapping[str, tuple[ClassifierItem, ...]]:
    """Every classifier by key, items in file order (read once, then cached)."""
    return MappingProxyType(
        {key: tuple(_item(raw) for raw in body["items"]) for key, body in _classifier_file().items()}
    )


@cache
def load_subjects() -> tuple[ClassifierItem, ...]:
    """The base subject dictionary; ``extra["education_levels"]`` lists the levels it is taught at."""
    return tuple(_item(raw) for raw in _read("subjects.json")["items"])


def title_of(classifier: str) -> str:
    """Russian title of a classifier (``KeyError`` for an unknown key)."""
    if classifier == SUBJECTS:
        return str(_read("subjects.json")["title"])
    return str(_classifier_file()[classifier]["title"])


def items_of(classifier: str) -> tuple[ClassifierItem, ...]:
    """Items of one classifier, the base subject dictionary included (``KeyError`` if unknown)."""
    if classifier == SUBJECTS:
        return load_subjects()
    return load_classifiers()[classifier]


@cache
def _index(classifier: str) -> Mapping[str, ClassifierItem]:
    return MappingProxyType({item.code: item for item in items_of(classifier)})


def item_of(classifier: str, code: str) -> ClassifierItem | None:
    """The item with ``code`` or ``None``."""
    return _index(classifier).get(code)


def name_of(classifier: str, code: str) -> str:
    """Russian name of ``code`` (``KeyError`` if the code is not in the classifier)."""
    return _index(classifier)[code].name


def codes_of(classifier: str) -> frozenset[str]:
    """All codes of one classifier."""
    return frozenset(_index(classifier))


def children_of(classifier: str, parent: str) -> tuple[ClassifierItem, ...]:
    """Items whose parent is ``parent`` (for hierarchical classifiers)."""
    return tuple(item for item in items_of(classifier) if item.parent == parent)
