"""Report parameters: their specification, parsing from text and resolution with defaults."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from db import classifiers

ParamType = Literal["date", "int", "str", "code"]
ParamValue = dt.date | int | str | None


class ReportParamError(ValueError):
    """A report parameter is missing, unknown or malformed; the message is in Russian."""


@dataclass(frozen=True, kw_only=True)
class ParamSpec:
    """One parameter a report accepts."""

    name: str
    """Machine name, as given on the command line (``--param name=value``) and in SOAP."""
    label: str
    """Russian label shown next to the value in the report header."""
    type: ParamType
    required: bool = False
    default: ParamValue = None
    classifier: str | None = None
    """For a ``code`` parameter: the classifier its value must belong to."""
    choices: tuple[str, ...] = ()
    """For a ``str`` parameter: the accepted values (empty: any text)."""

    def parse(self, value: object) -> ParamValue:
        """The typed value of ``value`` (text or already typed)."""
        if value is None or value == "":
            return None
        if self.type == "date":
            return self._date(value)
        if self.type == "int":
            return self._int(value)
        text = str(value).strip()
        if self.type == "code" and self.classifier and text not in classifiers.codes_of(self.classifier):
            raise ReportParamError(f"Параметр «{self.label}»: код {text!r} отсутствует в справочнике")
        if self.choices and text not in self.choices:
            raise ReportParamError(f"Параметр «{self.label}»: допустимые значения {', '.join(self.choices)}")
        return text

    def _date(self, value: object) -> dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ReportParamError(f"Параметр «{self.label}»: ожидается дата ГГГГ-ММ-ДД, получено {value!r}") from None

    def _int(self, value: object) -> int:
        if isinstance(value, bool):
            raise ReportParamError(f"Параметр «{self.label}»: ожидается целое число")
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise ReportParamError(f"Параметр «{self.label}»: ожидается целое число, получено {value!r}") from None

    def display(self, value: ParamValue) -> str:
        """The value as a person reads it in the report header."""
        if value is None:
            return "—"
        if isinstance(value, dt.date):
            return value.strftime("%d.%m.%Y")
        if self.type == "code" and self.classifier:
            item = classifiers.item_of(self.classifier, str(value))
            return f"{value} – {item.name}" if item else str(value)
        return str(value)


def resolve_params(specs: tuple[ParamSpec, ...], raw: Mapping[str, object]) -> dict[str, ParamValue]:
    """Every parameter of ``specs`` typed, defaults filled in; unknown or missing ones refused."""
    known = {spec.name for spec in specs}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ReportParamError(f"Неизвестные параметры отчёта: {', '.join(unknown)}")
    values: dict[str, ParamValue] = {}
    for spec in specs:
        value = spec.parse(raw.get(spec.name))
        if value is None:
            value = spec.default
        if value is None and spec.required:
            raise ReportParamError(f"Не задан обязательный параметр «{spec.label}» ({spec.name})")
        values[spec.name] = value
    _check_range(values)
    return values


def _check_range(values: Mapping[str, ParamValue]) -> None:
    start, end = values.get("date_from"), values.get("date_to")
    if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
        raise ReportParamError("Дата окончания периода раньше даты его начала")


ON_DATE = ParamSpec(name="on_date", label="Дата среза", type="date", required=True)
DATE_FROM = ParamSpec(name="date_from", label="Начало периода", type="date", required=True)
DATE_TO = ParamSpec(name="date_to", label="Конец периода", type="date", required=True)
SCHOOL_YEAR = ParamSpec(name="school_year", label="Учебный год (год начала)", type="int", required=True)
REPORT_YEAR = ParamSpec(name="year", label="Отчётный год", type="int", required=True)
UNIT = ParamSpec(name="unit_id", label="Орган управления образованием или организация (идентификатор)", type="int")
MUNICIPALITY = ParamSpec(name="municipality_id", label="Муниципальное образование (идентификатор)", type="int")
ORG_TYPE = ParamSpec(name="org_type", label="Тип организации", type="code", classifier=classifiers.ORG_TYPE)
TERRITORY = (UNIT, MUNICIPALITY)
"""The territory filters every organization-based report accepts."""


def date_param(params: Mapping[str, ParamValue], name: str) -> dt.date:
    """A resolved date parameter (a required one is always present after resolution)."""
    value = params[name]
    if not isinstance(value, dt.date):
        raise ReportParamError(f"Параметр {name} должен быть датой")
    return value


def int_param(params: Mapping[str, ParamValue], name: str) -> int:
    """A resolved integer parameter."""
    value = params[name]
    if not isinstance(value, int):
        raise ReportParamError(f"Параметр {name} должен быть целым числом")
    return value
