from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = _("Scoring")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from portal.audit_labels import register_labels

        register_labels({
            "rubric_version.upload": _("Rubric uploaded"),
            "rubric_version.publish": _("Rubric version published"),
            "assessment.record": _("Assessment recorded"),
            "county_round.open": _("County evaluation round opened"),
            "county_round.figures": _("County figures entered"),
            "county_round.publish": _("County ranking published"),
        })

        from programs.rubric_choices import register_rubric_choices

        def rubrics():
            from .models import Rubric  # noqa: PLC0415 - models are loaded once the registry is ready

            return [(r.code, f"{r} ({r.code})") for r in Rubric.objects.filter(versions__status="published").distinct()]

        register_rubric_choices(rubrics)

        from portal.menu import MenuEntry, register_menu_entry

        register_menu_entry(MenuEntry("rubrics", _("Self-assessment rubrics"), "rubric-list", lambda actor: True, order=20))

        from scoring.policy import can_see_county_evaluation

        register_menu_entry(MenuEntry("county-evaluation", _("County evaluation"), "county-rounds",
                                      can_see_county_evaluation, order=58))
