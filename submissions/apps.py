from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubmissionsConfig(AppConfig):
    name = "submissions"
    verbose_name = _("Applications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from portal.access import register_applicant_audit_filter
        from submissions.embargo import applicant_audit_q

        register_applicant_audit_filter(applicant_audit_q)
