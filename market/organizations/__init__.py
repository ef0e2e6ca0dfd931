"""Organizations: registration (by themselves, or set up by an operator), the
operator's decisions, members, read models.

`services` holds the transactions (each owns its `atomic()`, calls the pure rules in
`market.organization_rules` and records the change in the audit chain); `queries` holds
the read models. Callers import from `market.organizations`.
"""

from __future__ import annotations

from market.organizations.queries import (
    NOT_FOUND,
    PAGE_SIZE,
    PUBLIC_STATUSES,
    Filters,
    Page,
    list_organizations,
    operator_queue,
    organization_members,
    organization_profile,
    public_areas,
)
from market.organizations.services import (
    DUPLICATE_USCC,
    add_member,
    decide_organization,
    found_operator,
    is_operator,
    register_organization,
    set_place,
    set_up_organization,
)

__all__ = [
    "DUPLICATE_USCC",
    "NOT_FOUND",
    "PAGE_SIZE",
    "PUBLIC_STATUSES",
    "Filters",
    "Page",
    "add_member",
    "decide_organization",
    "found_operator",
    "is_operator",
    "list_organizations",
    "operator_queue",
    "organization_members",
    "organization_profile",
    "public_areas",
    "register_organization",
    "set_place",
    "set_up_organization",
]
