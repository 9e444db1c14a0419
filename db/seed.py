"""Load the shipped classifiers and the regional base subject dictionary into a database."""

from __future__ import annotations

from sqlalchemy import Engine, select

from db import classifiers as cls
from db.engine import make_session_factory
from db.models import BaseSubject, Classifier, ClassifierItem


def load_dictionaries(engine: Engine) -> None:
    """Insert or update every classifier item and base subject (idempotent)."""
    factory = make_session_factory(engine)
    with factory.begin() as session:
        existing_items = {(item.classifier_code, item.code): item for item in session.scalars(select(ClassifierItem))}
        existing_classifiers = {c.code: c for c in session.scalars(select(Classifier))}
        for key, items in cls.load_classifiers().items():
            title = cls.title_of(key)
            classifier = existing_classifiers.get(key)
            if classifier is None:
                session.add(Classifier(code=key, name=title))
            else:
                classifier.name = title
            session.flush()
            for order, item in enumerate(items):
                row = existing_items.get((key, item.code))
                if row is None:
                    session.add(
                        ClassifierItem(
                            classifier_code=key,
                            code=item.code,
                            name=item.name,
                            parent_code=item.parent,
                            sort_order=order,
                        )
                    )
                else:
                    row.name, row.parent_code, row.sort_order = item.name, item.parent, order
        regional = {
            s.code: s for s in session.scalars(select(BaseSubject).where(BaseSubject.owner_authority_id.is_(None)))
        }
        for subject in cls.load_subjects():
            row_subject = regional.get(subject.code)
            if row_subject is None:
                session.add(BaseSubject(code=subject.code, name=subject.name, owner_authority_id=None))
            else:
                row_subject.name = subject.name
