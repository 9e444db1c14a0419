"""The hierarchy of authorities and organizations, kept as a closure table.

``org_unit_closure`` has one row per (ancestor, descendant) pair, each unit its own ancestor at
depth 0. "This unit and everything below it" is then ``descendant_id IN (SELECT descendant_id
FROM org_unit_closure WHERE ancestor_id = :unit)`` – one indexed lookup. Moving a subtree
rewrites only the pairs that cross the subtree's border, in the caller's transaction.
"""

from __future__ import annotations

from sqlalchemy import Integer, Select, and_, delete, exists, insert, literal, select, true
from sqlalchemy.orm import Session, aliased

from db.models import OrgUnit, OrgUnitClosure


class HierarchyCycle(ValueError):
    """A unit cannot be placed under itself or under one of its descendants."""


def subtree_ids(unit_id: int) -> Select[tuple[int]]:
    """A sub-select of the ids of ``unit_id`` and every unit below it."""
    return select(OrgUnitClosure.descendant_id).where(OrgUnitClosure.ancestor_id == unit_id)


def is_within(session: Session, ancestor_id: int, unit_id: int) -> bool:
    """Whether ``unit_id`` is ``ancestor_id`` or lies below it (one primary-key lookup)."""
    return session.get(OrgUnitClosure, (ancestor_id, unit_id)) is not None


def ancestors_of(session: Session, unit_id: int) -> list[int]:
    """Ids from ``unit_id``'s parent up to the root, nearest first."""
    rows = session.execute(
        select(OrgUnitClosure.ancestor_id)
        .where(OrgUnitClosure.descendant_id == unit_id, OrgUnitClosure.depth > 0)
        .order_by(OrgUnitClosure.depth)
    )
    return [row[0] for row in rows]


def attach(session: Session, unit_id: int, parent_id: int | None) -> None:
    """Add the closure rows of a new leaf ``unit_id`` placed under ``parent_id``."""
    session.execute(insert(OrgUnitClosure).values(ancestor_id=unit_id, descendant_id=unit_id, depth=0))
    if parent_id is None:
        return
    session.execute(
        insert(OrgUnitClosure).from_select(
            ["ancestor_id", "descendant_id", "depth"],
            select(OrgUnitClosure.ancestor_id, literal(unit_id, Integer), OrgUnitClosure.depth + 1).where(
                OrgUnitClosure.descendant_id == parent_id
            ),
        )
    )


def move(session: Session, unit_id: int, new_parent_id: int | None) -> None:
    """Place ``unit_id`` with its whole subtree under ``new_parent_id`` (refusing cycles)."""
    if new_parent_id is not None and (new_parent_id == unit_id or is_within(session, unit_id, new_parent_id)):
        raise HierarchyCycle("Нельзя подчинить организацию самой себе или нижестоящей организации")
    unit = session.get(OrgUnit, unit_id)
    if unit is None:
        raise LookupError(unit_id)
    inner = aliased(OrgUnitClosure)
    # Drop every pair (outside ancestor, subtree member).
    session.execute(
        delete(OrgUnitClosure).where(
            OrgUnitClosure.descendant_id.in_(subtree_ids(unit_id)),
            ~OrgUnitClosure.ancestor_id.in_(subtree_ids(unit_id)),
        )
    )
    if new_parent_id is not None:
        above = aliased(OrgUnitClosure)
        session.execute(
            insert(OrgUnitClosure).from_select(
                ["ancestor_id", "descendant_id", "depth"],
                select(above.ancestor_id, inner.descendant_id, above.depth + inner.depth + 1)
                .select_from(above)
                .join(inner, true())  # every ancestor of the new parent × every member of the subtree
                .where(above.descendant_id == new_parent_id, inner.ancestor_id == unit_id),
            )
        )
    unit.parent_id = new_parent_id
    session.flush()


def rebuild(session: Session) -> int:
    """Recompute the whole closure from ``org_unit.parent_id`` (bulk loads); returns the row count."""
    session.execute(delete(OrgUnitClosure))
    parents = dict(session.execute(select(OrgUnit.id, OrgUnit.parent_id)).tuples())
    rows = []
    for unit_id in parents:
        depth, seen = 0, set()
        current: int | None = unit_id
        while current is not None:
            if current in seen:
                raise HierarchyCycle(f"cycle through unit {current}")
            seen.add(current)
            rows.append({"ancestor_id": current, "descendant_id": unit_id, "depth": depth})
            current, depth = parents.get(current), depth + 1
    for start in range(0, len(rows), 5000):
        session.execute(insert(OrgUnitClosure), rows[start : start + 5000])
    return len(rows)


def orphans(session: Session) -> list[int]:
    """Units whose closure lacks the self pair (a consistency check for tests and operators)."""
    self_pair = exists().where(
        and_(OrgUnitClosure.ancestor_id == OrgUnit.id, OrgUnitClosure.descendant_id == OrgUnit.id)
    )
    return list(session.scalars(select(OrgUnit.id).where(~self_pair)))
