from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = _("Programs and calls")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from portal.audit_labels import register_labels

        register_labels({
            "call.publish": _("Call published"),
            "call.close": _("Call closed"),
            "call.update": _("Call changed"),
            "call.upload": _("Call loaded from a notice file"),
            "call.create": _("Call created in forms"),
            "call.edit_draft": _("Draft call changed in forms"),
            "stage.set_event_date": _("Event date of a stage set"),
            "stage.extend": _("Stage deadline extended"),
            "calendar.year_save": _("Holiday arrangement of a year entered"),
            "calendar.recompute": _("Working-day deadlines recomputed"),
            "quota.exception": _("Quota exception granted"),
        })

        from portal.menu import MenuEntry, register_menu_entry

        register_menu_entry(MenuEntry("calls", _("Calls"), "call-list", lambda actor: True, order=10))

        from programs.policy import can_enter_holidays

        register_menu_entry(MenuEntry("holidays", _("Holiday calendar"), "holidays", can_enter_holidays, order=90))
