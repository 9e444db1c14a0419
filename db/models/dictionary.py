"""Classifiers (НСИ): every coded value the registry uses, loaded from package data at initdb."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class Classifier(Base):
    __tablename__ = "classifier"

    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))


class ClassifierItem(Base):
    __tablename__ = "classifier_item"

    classifier_code: Mapped[str] = mapped_column(ForeignKey("classifier.code", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    parent_code: Mapped[str | None] = mapped_column(String(20))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
