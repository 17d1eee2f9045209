from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City / prefecture")
    COUNTY = "county", _("County / district")


class RegionKind(models.TextChoices):
    ADMINISTRATIVE = "admin", _("Administrative division")
    ZONE = "zone", _("Functional zone")


class OrgKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    RESEARCH_INSTITUTE = "institute", _("Research institute")
    UNIVERSITY = "university", _("University")
    COUNTY_BUREAU = "county_bureau", _("County industry bureau")
    CITY_BUREAU = "city_bureau", _("City industry bureau")
    PROVINCIAL_DEPARTMENT = "provincial_dept", _("Provincial department")
    PLATFORM_OPERATOR = "operator", _("Platform operator")
    # a province's pool of external experts (attached to the province's region)
    EXPERT_POOL = "expert_pool", _("Expert pool")


APPLICANT_KINDS = {OrgKind.ENTERPRISE, OrgKind.RESEARCH_INSTITUTE, OrgKind.UNIVERSITY}
BUREAU_KINDS = {OrgKind.COUNTY_BUREAU, OrgKind.CITY_BUREAU, OrgKind.PROVINCIAL_DEPARTMENT}


class Role(models.TextChoices):
    APPLICANT_ADMIN = "applicant_admin", _("Applicant administrator")
    APPLICANT_FILER = "applicant_filer", _("Applicant filer")
    APPLICANT_VIEWER = "applicant_viewer", _("Applicant viewer (read-only)")
    BUREAU_REVIEWER = "bureau_reviewer", _("Bureau reviewer")
    BUREAU_HEAD = "bureau_head", _("Bureau head")
    PROVINCIAL_OFFICER = "provincial_officer", _("Provincial program officer")
    PROVINCIAL_HEAD = "provincial_head", _("Provincial head")
    PLATFORM_OPERATOR = "platform_operator", _("Platform operator")
    # an external expert of one province's pool: reads the applications assigned to it
    EXPERT = "expert", _("Expert")


APPLICANT_ROLES = {Role.APPLICANT_ADMIN, Role.APPLICANT_FILER, Role.APPLICANT_VIEWER}
# Applicant roles that may change anything (the viewer reads only).
APPLICANT_WRITE_ROLES = {Role.APPLICANT_ADMIN, Role.APPLICANT_FILER}
BUREAU_ROLES = {Role.BUREAU_REVIEWER, Role.BUREAU_HEAD}
PROVINCIAL_ROLES = {Role.PROVINCIAL_OFFICER, Role.PROVINCIAL_HEAD}

# Which roles an organization kind may hold.
ROLES_FOR_KIND = {
    OrgKind.ENTERPRISE: APPLICANT_ROLES,
    OrgKind.RESEARCH_INSTITUTE: APPLICANT_ROLES,
    OrgKind.UNIVERSITY: APPLICANT_ROLES,
    OrgKind.COUNTY_BUREAU: BUREAU_ROLES,
    OrgKind.CITY_BUREAU: BUREAU_ROLES,
    OrgKind.PROVINCIAL_DEPARTMENT: PROVINCIAL_ROLES,
    OrgKind.PLATFORM_OPERATOR: {Role.PLATFORM_OPERATOR},
    OrgKind.EXPERT_POOL: {Role.EXPERT},
}
