"""The requisites of the packet's own organization (the one its header names), under provider priority.

A packet's ``Organization`` element may only describe the organization of its header: another ИНН is
refused. Scalar requisites are merged field by field like a person's (``merge_fields``: a field
last written by a higher-ranked provider is kept, with a warning); the legal address and the address
of the educational activity replace the stored ones when their text differs; branches are matched
by their КПП (or, without one, by their full name) and created or updated.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from adapters.records import AddressRecord, BranchRecord, OrganizationRecord
from db.models import Address, Branch, Organization
from db.names import normalize_name
from kontingent_ws.usecases.changefeed import record_change
from kontingent_ws.usecases.changefeed_model import ORGANIZATION, UPSERT
from kontingent_ws.usecases.intake.apply_people import warn_kept
from kontingent_ws.usecases.intake.context import ApplyContext
from kontingent_ws.usecases.intake.priority import merge_fields
from kontingent_ws.usecases.intake.rowcodes import intake_error

SECTION = "Organization"
LEGAL_ADDRESS, ACTIVITY_ADDRESS = "4", "6"
"""``address_kind`` codes kept on the organization: legal address, place of educational activity."""
ADDRESS_COLUMNS = {LEGAL_ADDRESS: "legal_address_id", ACTIVITY_ADDRESS: "actual_address_id"}


def organization_fields(record: OrganizationRecord) -> dict[str, Any]:
    """The requisites a record gives (a missing value is not an erasure)."""
    values = {
        "full_name": record.full_name,
        "short_name": record.short_name,
        "type_code": record.org_type,
        "status_code": record.status,
        "kpp": record.kpp,
        "ogrn": record.ogrn,
        "okpo": record.okpo,
        "oktmo": record.oktmo,
        "okopf_code": record.okopf,
        "okfs_code": record.okfs,
        "phone": record.contacts.phones[0][:50] if record.contacts.phones else None,
        "email": record.contacts.emails[0][:200] if record.contacts.emails else None,
        "website": record.contacts.website[:300] if record.contacts.website else None,
    }
    return {name: value for name, value in values.items() if value is not None}


def _address(record: AddressRecord) -> Address:
    return Address(
        full_text=record.text, postal_code=record.postal_code, oktmo=record.oktmo, gar_id=record.gar_id,
        fias_guid=uuid.UUID(record.fias_guid) if record.fias_guid else None,
    )


def _apply_addresses(ctx: ApplyContext, organization: Organization, addresses: Sequence[AddressRecord]) -> bool:
    changed = False
    for record in addresses:
        column = ADDRESS_COLUMNS.get(record.kind)
        if column is None:
            continue
        stored_id = getattr(organization, column)
        stored = ctx.session.get(Address, stored_id) if stored_id is not None else None
        if stored is not None and stored.full_text == record.text:
            continue
        address = _address(record)
        ctx.session.add(address)
        ctx.session.flush()
        setattr(organization, column, address.id)
        changed = True
    return changed


def _apply_branches(ctx: ApplyContext, organization_id: int, branches: Sequence[BranchRecord]) -> bool:
    if not branches:
        return False
    stored = list(ctx.session.scalars(select(Branch).where(Branch.organization_id == organization_id)))
    for record in branches:
        branch = next(
            (b for b in stored if (b.kpp == record.kpp if record.kpp else b.full_name == record.full_name)), None
        )
        if branch is None:
            branch = Branch(organization_id=organization_id, full_name=record.full_name, short_name="")
            ctx.session.add(branch)
            stored.append(branch)
        branch.full_name = record.full_name
        branch.short_name = record.short_name or branch.short_name or record.full_name[:500]
        branch.kpp = record.kpp
        if record.address is not None:
            current = ctx.session.get(Address, branch.address_id) if branch.address_id is not None else None
            if current is None or current.full_text != record.address.text:
                address = _address(record.address)
                ctx.session.add(address)
                ctx.session.flush()
                branch.address_id = address.id
    ctx.session.flush()
    return True


def apply_organization(ctx: ApplyContext, records: Sequence[OrganizationRecord]) -> None:
    """Merge the requisites into the header's organization; another ИНН is refused."""
    organization = ctx.session.get(Organization, ctx.organization_id)
    assert organization is not None  # found by the header before anything is written
    for record in records:
        if record.inn != organization.inn:
            ctx.refuse(intake_error("ORGANIZATION_MISMATCH", section=SECTION, row=1, ref=None, field="Inn",
                                    value=record.inn, header_inn=organization.inn or ""))
            continue
        values = organization_fields(record)
        current = {name: getattr(organization, name) for name in values}
        ctx.provenance.load(ctx.session, ORGANIZATION, [organization.id])
        merge = merge_fields(ctx.rules, ctx.provenance, entity=ORGANIZATION, entity_id=organization.id,
                             current=current, incoming=values, writer=ctx.system_id)
        warn_kept(ctx, SECTION, 1, None, "", merge.kept, merge.kept_by, current)
        for name, value in merge.changes.items():
            setattr(organization, name, value)
        if "full_name" in merge.changes:
            organization.full_name_norm = normalize_name(organization.full_name)
        addressed = _apply_addresses(ctx, organization, record.addresses)
        branched = _apply_branches(ctx, organization.id, record.branches)
        if merge.changes or addressed or branched:
            record_change(ctx.session, ORGANIZATION, organization.id, UPSERT, org_unit_id=organization.id)
        ctx.session.flush()
        ctx.applied += 1
