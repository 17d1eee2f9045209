from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectConfig(AppConfig):
    name = "portal.project"
    label = "project"
    verbose_name = _("Portal project (wiring and demo data)")
