"""The access layer's core and the tenancy rules, in one namespace (``from portal import access``).

Domain rules live with their domain: ``programs.policy``, ``scoring.policy``, ``submissions.policy``.
"""

from .core import (
    ALLOW,
    ANONYMOUS,
    Actor,
    Decision,
    actor_for,
    actor_of,
    deny,
    memberships_of,
    region_in_scope,
    region_q,
    region_within,
)
from .tenancy import (
    audit_visible,
    can_approve_registration,
    can_approve_registrations,
    can_change_organization,
    can_file,
    can_import_organizations,
    can_invite_colleague,
    can_list_organizations,
    can_manage_colleagues,
    can_operate_platform,
    can_record_credit_code_exception,
    can_view_organization,
    can_view_own_organization,
    is_platform_operator,
    memberships_visible,
    organizations_visible,
    register_applicant_audit_filter,
    registration_requires_approval,
    registrations_pending,
)

__all__ = [
    "ALLOW", "ANONYMOUS", "Actor", "Decision", "actor_for", "actor_of", "audit_visible", "can_approve_registrations",
    "can_list_organizations", "can_manage_colleagues", "can_operate_platform", "can_view_own_organization",
    "can_approve_registration", "can_change_organization", "can_file", "can_import_organizations",
    "can_invite_colleague", "can_record_credit_code_exception",
    "can_view_organization", "deny", "is_platform_operator", "memberships_of", "memberships_visible",
    "organizations_visible", "region_in_scope", "region_q", "region_within", "register_applicant_audit_filter",
    "registration_requires_approval", "registrations_pending",
]
