from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubmissionsConfig(AppConfig):
    name = "submissions"
    verbose_name = _("Applications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # registered with the tenancy core, which never imports this app
        from portal.access import register_applicant_audit_filter
        from portal.audit_labels import register_family, register_labels
        from portal.registration import register_invitation_lookup, register_registration_hook
        from submissions import notifications  # noqa: F401 - registers the result embargo's hold with the outbox
        from submissions.embargo import applicant_audit_q
        from submissions.filing.services import member_invitation_prefill, member_invitations_claim
        from submissions.workflow import TRANSITIONS

        register_applicant_audit_filter(applicant_audit_q)
        register_registration_hook(lambda organization: member_invitations_claim(organization=organization))
        register_invitation_lookup(member_invitation_prefill)
        register_family("application", lambda name: TRANSITIONS[name].label if name in TRANSITIONS else None)
        register_labels({
            "application.start": _("Application opened"),
            "application.upload": _("Material uploaded"),
            "application.remove_attachment": _("Material removed"),
            "application.member_invite": _("Member unit added"),
            "application.member_remove": _("Member unit removed"),
            "application.draft_conflict": _("A save was refused (someone saved first)"),
            "application.draft_conflict_resolve": _("Refused save settled"),
            "application.draft_restore": _("An earlier version of the draft restored"),
            "commitment.accept": _("Commitment letter accepted"),
            "document.request": _("Document requested"),
            "review.correct_input": _("Figure corrected"),
            "review.score_levels": _("Items scored by level"),
            "review.site_visit": _("Site verification recorded"),
            "review.opinion": _("Opinion saved"),
            "conflict.declare": _("Conflict of interest declared"),
            "results.publish": _("Result list published"),
            "objection.file": _("Objection filed"),
            "objection.take": _("Objection taken in hand"),
            "objection.answer": _("Objection answered"),
            "reminder.stage_deadline": _("Deadline reminder sent"),
            "review.expert_assign": _("Expert assigned"),
            "review.expert_unassign": _("Expert assignment removed"),
            "review.expert_conflict": _("Expert declared a conflict of interest"),
            "review.expert_score": _("Expert score recorded"),
            "review.expert_round": _("Further round of expert review asked"),
            "seal.upload": _("Bureau seal uploaded"),
        })

        from portal.menu import MenuEntry, register_menu_entry
        from submissions.policy import (
            can_follow_applications,
            can_open_objection_desk,
            can_review_as_expert,
            can_upload_seal,
            can_view_dashboard,
            can_work_review_queue,
        )

        register_menu_entry(MenuEntry("policies", _("My policies"), "applicant-policies", can_follow_applications,
                                      order=30))
        register_menu_entry(MenuEntry("applications", _("My applications"), "applicant-applications",
                                      can_follow_applications, order=40))
        register_menu_entry(MenuEntry("review-queue", _("Review queue"), "review-queue", can_work_review_queue,
                                      order=50))
        register_menu_entry(MenuEntry("dashboard", _("Dashboard"), "dashboard", can_view_dashboard, order=45))
        register_menu_entry(MenuEntry("objections", _("Objections"), "objection-list", can_open_objection_desk,
                                      order=57))
        register_menu_entry(MenuEntry("expert-review", _("Expert review"), "expert-applications",
                                      can_review_as_expert, order=55))
        register_menu_entry(MenuEntry("bureau-seal", _("Bureau seal"), "bureau-seal", can_upload_seal, order=58))
