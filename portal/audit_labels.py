"""Human labels of audit actions, for every page that lists audit entries (home, timelines).

Application transitions take their label from the workflow's transition table; every other action
recorded through ``portal.services.audit_record`` is named here. An unknown action shows its code.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

LABELS = {
    # portal
    "organization.register": _("Organization registered"),
    "organization.approve": _("Account approved"),
    "organization.reject": _("Account refused"),
    "organization.update": _("Organization profile changed"),
    "membership.invite": _("Colleague invited"),
    "membership.switch": _("Role switched"),
    "credit_code_exception.record": _("Credit-code exception recorded"),
    # programs
    "call.publish": _("Call published"),
    "call.close": _("Call closed"),
    "call.update": _("Call changed"),
    "call.upload": _("Call loaded from a notice file"),
    "stage.set_event_date": _("Event date of a stage set"),
    "stage.extend": _("Stage deadline extended"),
    "quota.exception": _("Quota exception granted"),
    # scoring
    "rubric_version.upload": _("Rubric uploaded"),
    "rubric_version.publish": _("Rubric version published"),
    "assessment.record": _("Assessment recorded"),
    # applications (besides the workflow's transitions)
    "application.start": _("Application opened"),
    "application.upload": _("Material uploaded"),
    "application.remove_attachment": _("Material removed"),
    "application.member_invite": _("Member unit added"),
    "application.member_remove": _("Member unit removed"),
    "application.draft_conflict": _("A save was refused (someone saved first)"),
    "application.draft_conflict_resolve": _("Refused save settled"),
    "commitment.accept": _("Commitment letter accepted"),
    "document.request": _("Document requested"),
    # review
    "review.correct_input": _("Figure corrected"),
    "review.score_levels": _("Items scored by level"),
    "review.site_visit": _("Site verification recorded"),
    "review.opinion": _("Opinion saved"),
    "conflict.declare": _("Conflict of interest declared"),
    "results.publish": _("Result list published"),
    "reminder.stage_deadline": _("Deadline reminder sent"),
}


def action_label(action: str) -> str:
    """The label of an audit action in the active language."""
    action = action or ""
    if action.startswith("application."):
        from submissions.workflow import TRANSITIONS

        transition = TRANSITIONS.get(action.split(".", 1)[1])
        if transition is not None:
            return str(transition.label)
    label = LABELS.get(action)
    return str(label) if label is not None else action
