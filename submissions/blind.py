"""Blind expert review: what an expert reads of an application when the call's review is blind.

Whether the contact details are hidden is a rule (`submissions.policy.can_view_contact_details`);
this module only takes them out, for every page and API that shows an application's form to an
expert (the expert's pages and API, the applications API). The applicant's name, region and
credit code stay: an expert needs them to see a conflict of interest.
"""

from __future__ import annotations

import copy

from submissions.policy import can_view_contact_details

#: the profile fields of the form (submissions.forms.PROFILE_FIELDS) that say how to reach the applicant
CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email", "address")
CONTACT_PATHS = frozenset(f"profile.{name}" for name in CONTACT_FIELDS)


def without_contact_details(data):
    """A copy of the form data (`Application.data`) without the applicant's contact details."""
    if not isinstance(data, dict):
        return data
    shown = copy.deepcopy(data)
    profile = shown.get("profile")
    if isinstance(profile, dict):
        for name in CONTACT_FIELDS:
            profile.pop(name, None)
    return shown


def form_data_for(actor, app):
    """The form data of `app` as `actor` may read it."""
    if can_view_contact_details(actor, app):
        return app.data
    return without_contact_details(app.data)
