"""Human labels of audit actions, for every page that lists audit entries (home, timelines).

The tenancy core names its own actions; every app registers the labels of the actions it records
(from its AppConfig.ready), and may register a function that names a whole family of actions (the
application workflow names its transitions). An action nobody named shows a neutral label, never
its code.
"""

from __future__ import annotations

from typing import Callable, Mapping

from django.utils.translation import gettext_lazy as _

LABELS: dict[str, object] = {
    "organization.register": _("Organization registered"),
    "organization.approve": _("Account approved"),
    "organization.reject": _("Account refused"),
    "organization.update": _("Organization profile changed"),
    "organization.import": _("Organization imported from a table"),
    "membership.invite": _("Colleague invited"),
    "membership.switch": _("Role switched"),
    "credit_code_exception.record": _("Credit-code exception recorded"),
    "password.reset_request": _("Password reset requested"),
    "password.reset": _("Password reset"),
    "password.change": _("Password changed"),
    "api_token.create": _("API token created"),
    "api_token.revoke": _("API token revoked"),
    "login.unlock": _("Sign-in lockout lifted"),
}

_FAMILIES: dict[str, Callable[[str], object | None]] = {}


def register_labels(labels: Mapping[str, object]) -> None:
    """An app names the actions it records (action code -> lazy translated label)."""
    LABELS.update(labels)


def register_family(prefix: str, label_of: Callable[[str], object | None]) -> None:
    """An app names the actions `<prefix>.<name>` through a function of `<name>` (None: not its own)."""
    _FAMILIES[prefix] = label_of


def is_labelled(action: str) -> bool:
    prefix, _sep, name = (action or "").partition(".")
    family = _FAMILIES.get(prefix)
    return action in LABELS or (family is not None and family(name) is not None)


def action_label(action: str) -> str:
    """The label of an audit action in the active language."""
    action = action or ""
    prefix, _sep, name = action.partition(".")
    family = _FAMILIES.get(prefix)
    if family is not None:
        label = family(name)
        if label is not None:
            return str(label)
    label = LABELS.get(action)
    return str(label) if label is not None else str(_("Other recorded action"))
