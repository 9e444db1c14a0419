"""Who is calling: a person (user) or a registered system, with the scope of what it may see."""

from __future__ import annotations

from dataclasses import dataclass, field

SYSTEM_ADMIN = "system_admin"
AUTHORITY_ADMIN = "authority_admin"
EMPLOYEE = "employee"
SYSTEM = "system"
"""Role of a registered information system (provider and/or consumer)."""

ROLES = (SYSTEM_ADMIN, AUTHORITY_ADMIN, EMPLOYEE)


@dataclass(frozen=True, kw_only=True)
class Caller:
    """The authenticated caller of one SOAP call."""

    kind: str
    """``user`` or ``system``."""
    role: str
    """One of ``ROLES`` for a user; ``SYSTEM`` for a system."""
    name: str
    """Login of a user or mnemonic of a system (for the audit log)."""
    user_id: int | None = None
    system_id: int | None = None
    unit_id: int | None = None
    """The org unit (authority or organization) the user belongs to; None for a system administrator."""
    write_unit_ids: frozenset[int] = field(default_factory=frozenset)
    """For a provider system: the units (with everything below them) it may write."""
    contracts: frozenset[str] = field(default_factory=frozenset)
    """For a consumer system: the contracts it may call."""
    units_in_scope: frozenset[int] = field(default_factory=frozenset, repr=False, compare=False)
    """Units read at authentication as lying within the scope (maybe only some of them): a check of
    one of these needs no query. Any other unit is checked against the closure table."""
    organizations_in_scope: frozenset[int] = field(default_factory=frozenset, repr=False, compare=False)
    """Those of ``units_in_scope`` that are organizations (the others are authorities): an
    organization found here exists and is visible, with no query at all."""
    is_provider: bool = False
    is_consumer: bool = False

    @property
    def sees_region(self) -> bool:
        """A system administrator and consumer systems (EPGU, the federal segment) see the whole region."""
        return self.role == SYSTEM_ADMIN or (self.kind == "system" and self.is_consumer)

    @property
    def scope_unit_id(self) -> int | None:
        """The root of what the caller may read; None means the whole region."""
        if self.sees_region:
            return None
        if self.unit_id is None:
            raise PermissionError("a caller without a unit reads nothing region-wide")
        return self.unit_id

    @property
    def user(self) -> bool:
        return self.kind == "user"
