"""Shared fixtures: a small two-province world with one account for every role."""

import os
from types import SimpleNamespace

import pytest
from django.conf import settings

from portal.constants import OrgKind, RegionKind, RegionLevel, Role
from tests.factories import MembershipFactory, OrganizationFactory, RegionFactory, UserFactory


@pytest.fixture(autouse=True)
def default_language():
    """Every test starts in the portal's language (zh-hans): a test that switches to English for its
    own checks cannot leak it into the next one."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)

USING_POSTGRES = settings.USING_POSTGRES
USING_REDIS = bool(settings.REDIS_URL)

needs_postgres = pytest.mark.skipif(
    not USING_POSTGRES, reason="needs PostgreSQL: runs in the DATABASE_URL run of CI"
)
needs_worker = pytest.mark.skipif(
    not (USING_POSTGRES and USING_REDIS),
    reason="needs PostgreSQL and Redis for a real Celery worker: runs in the DATABASE_URL/REDIS_URL run of CI",
)


def pytest_configure(config):
    # Hashing demo passwords with PBKDF2 costs ~0.3 s per user; tests don't need the strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _region(code, name, level, parent=None, kind=RegionKind.ADMINISTRATIVE, **attrs):
    region = RegionFactory(code=code, name=name, level=level, parent=parent, kind=kind, attributes=attrs)
    if attrs and any(region.attributes.get(k) != v for k, v in attrs.items()):
        region.attributes = {**region.attributes, **attrs}  # the region existed already (seeded)
        region.save(update_fields=["attributes"])
    return region


def build_world():
    w = SimpleNamespace()
    w.jx = _region("360000", "江西省", RegionLevel.PROVINCE)
    w.gs = _region("620000", "甘肃省", RegionLevel.PROVINCE)
    w.ganzhou = _region("360700", "赣州市", RegionLevel.CITY, w.jx)
    w.nanchang = _region("360100", "南昌市", RegionLevel.CITY, w.jx)
    w.lanzhou = _region("620100", "兰州市", RegionLevel.CITY, w.gs)
    w.zhanggong = _region("360702", "章贡区", RegionLevel.COUNTY, w.ganzhou, has_city_etc_program=True)
    w.nankang = _region("360703", "南康区", RegionLevel.COUNTY, w.ganzhou)
    w.kaifaqu = _region("Z360700-01", "赣州经开区", RegionLevel.COUNTY, w.ganzhou, kind=RegionKind.ZONE)
    w.donghu = _region("360102", "东湖区", RegionLevel.COUNTY, w.nanchang)
    w.chengguan = _region("620102", "城关区", RegionLevel.COUNTY, w.lanzhou)

    def org(name, kind, region):
        return OrganizationFactory(name=name, kind=kind, region=region)

    w.ent_zg = org("章贡甲企业", OrgKind.ENTERPRISE, w.zhanggong)
    w.ent_zg2 = org("章贡乙企业", OrgKind.ENTERPRISE, w.zhanggong)
    w.ent_nk = org("南康企业", OrgKind.ENTERPRISE, w.nankang)
    w.ent_kfq = org("经开区企业", OrgKind.ENTERPRISE, w.kaifaqu)
    w.ent_nc = org("南昌企业", OrgKind.ENTERPRISE, w.donghu)
    w.ent_cg = org("兰州城关企业", OrgKind.ENTERPRISE, w.chengguan)
    w.bureau_zg = org("章贡区工信局", OrgKind.COUNTY_BUREAU, w.zhanggong)
    w.bureau_nk = org("南康区工信局", OrgKind.COUNTY_BUREAU, w.nankang)
    w.bureau_cg = org("城关区工信局", OrgKind.COUNTY_BUREAU, w.chengguan)
    w.bureau_gz = org("赣州市工信局", OrgKind.CITY_BUREAU, w.ganzhou)
    w.bureau_nc = org("南昌市工信局", OrgKind.CITY_BUREAU, w.nanchang)
    w.bureau_lz = org("兰州市工信局", OrgKind.CITY_BUREAU, w.lanzhou)
    w.dept_jx = org("江西省工信厅", OrgKind.PROVINCIAL_DEPARTMENT, w.jx)
    w.dept_gs = org("甘肃省工信厅", OrgKind.PROVINCIAL_DEPARTMENT, w.gs)
    w.operator_org = org("平台运营", OrgKind.PLATFORM_OPERATOR, w.jx)
    w.experts_jx = org("江西省评审专家库", OrgKind.EXPERT_POOL, w.jx)
    w.experts_gs = org("甘肃省评审专家库", OrgKind.EXPERT_POOL, w.gs)

    def user(username, organization, role, **extra):
        u = UserFactory(username=username, **extra)
        m = MembershipFactory(user=u, organization=organization, role=role)
        u.active_membership = m
        u.save(update_fields=["active_membership"])
        return u

    w.applicant_admin = user("applicant_admin", w.ent_zg, Role.APPLICANT_ADMIN)
    w.applicant_filer = user("applicant_filer", w.ent_zg, Role.APPLICANT_FILER)
    w.applicant_viewer = user("applicant_viewer", w.ent_zg, Role.APPLICANT_VIEWER)
    w.other_applicant = user("other_applicant", w.ent_zg2, Role.APPLICANT_ADMIN)
    w.county_reviewer = user("county_reviewer", w.bureau_zg, Role.BUREAU_REVIEWER)
    w.county_head = user("county_head", w.bureau_zg, Role.BUREAU_HEAD)
    w.neighbour_reviewer = user("neighbour_reviewer", w.bureau_nk, Role.BUREAU_REVIEWER)
    w.city_reviewer = user("city_reviewer", w.bureau_gz, Role.BUREAU_REVIEWER)
    w.city_head = user("city_head", w.bureau_gz, Role.BUREAU_HEAD)
    w.other_city_reviewer = user("other_city_reviewer", w.bureau_nc, Role.BUREAU_REVIEWER)
    w.lanzhou_reviewer = user("lanzhou_reviewer", w.bureau_lz, Role.BUREAU_REVIEWER)
    w.province_officer = user("province_officer", w.dept_jx, Role.PROVINCIAL_OFFICER)
    w.province_head = user("province_head", w.dept_jx, Role.PROVINCIAL_HEAD)
    w.other_province_officer = user("other_province_officer", w.dept_gs, Role.PROVINCIAL_OFFICER)
    w.operator = user("operator", w.operator_org, Role.PLATFORM_OPERATOR, is_staff=True, is_superuser=True)
    w.expert = user("expert", w.experts_jx, Role.EXPERT)  # assigned to nothing unless a test assigns it
    w.foreign_expert = user("foreign_expert", w.experts_gs, Role.EXPERT)
    return w


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def client_for(client):
    """Return a function that logs the test client in as a user and returns it."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def api_for():
    from rest_framework.test import APIClient

    def login(user):
        c = APIClient()
        c.force_authenticate(user)
        return c

    return login


@pytest.fixture(scope="session")
def artifacts_dir():
    path = os.path.join(settings.BASE_DIR, "test-artifacts")
    os.makedirs(path, exist_ok=True)
    return path


@pytest.fixture
def seeded(db):
    """The real region tree and the seeds' calls, as `make demo` loads them."""
    from portal.regions import load_fixture
    from programs.loaders import load_paths

    base = settings.BASE_DIR / "fixtures"
    load_fixture(base / "regions.json")
    load_paths([base / "programs.yaml", *sorted((base / "calls").glob("*.yaml"))])
    return base


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in-process in this test, also in the DATABASE_URL/REDIS_URL run (where they
    would otherwise go to the broker): for tests that read the e-mails a task sends."""
    from portal.project.celery import app

    old = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = old
