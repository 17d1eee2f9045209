from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal: users, regions and organizations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import access, checks  # noqa: F401 - checks registers the start-up checks
        from .menu import MenuEntry, register_menu_entry

        always = lambda actor: True  # noqa: E731
        for entry in (
            MenuEntry("home", _("Home"), "home", always, order=0),
            MenuEntry("registrations", _("Account approvals"), "registrations",
                      access.can_approve_registrations, order=60),
            MenuEntry("colleagues", _("Colleagues"), "colleagues",
                      lambda actor: access.can_invite_colleague(actor, actor.organization), order=70),
            MenuEntry("own-organization", _("My organization"), "organization-list",
                      access.can_view_own_organization, order=80),
            MenuEntry("organizations", _("Organizations"), "organization-list", access.can_list_organizations, order=80),
            MenuEntry("operations", _("Operations"), "admin:index", access.can_operate_platform, order=90),
        ):
            register_menu_entry(entry)
