"""The read-only colleague: an applicant administrator invites a viewer, who reads the
organization's applications through pages and API and is refused every change."""

import pytest
from django.urls import reverse

from portal.constants import Role
from portal.models import Membership, User
from submissions.constants import Status
from submissions.filing import services
from submissions.models import Application, Attachment, Receipt
from tests.factories import MembershipFactory, UserFactory
from tests.submissions.test_applicant_support import (  # noqa: F401 - fixtures
    DEADLINE,
    actor,
    make_call,
    media,
    pdf_bytes,
    ready,
    uploaded,
)

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def call(world):
    return make_call(world.jx)


@pytest.fixture
def viewer(world):
    user = UserFactory()
    MembershipFactory(user=user, organization=world.ent_zg, role=Role.APPLICANT_VIEWER)
    return user


def test_the_administrator_invites_a_viewer(world, client_for):
    response = client_for(world.applicant_admin).post(
        reverse("colleagues"), {"email": "reader@example.com", "name": "赵六", "role": "applicant_viewer"})
    assert response.status_code == 302
    membership = Membership.objects.get(user=User.objects.get(email="reader@example.com"))
    assert (membership.organization, membership.role) == (world.ent_zg, Role.APPLICANT_VIEWER)


def test_a_viewer_reads_the_applications_of_its_organization(world, call, media, viewer, client_for, api_for):
    app = ready(world.applicant_admin, call)
    pages = client_for(viewer)
    assert app.call.title in pages.get(reverse("applicant-applications")).content.decode()
    assert pages.get(reverse("applicant-application", args=[app.pk])).status_code == 200
    att = app.attachments.get()
    assert pages.get(reverse("application-file", args=[app.pk, att.pk])).status_code == 200
    assert api_for(viewer).get(f"/api/applications/{app.pk}/").status_code == 200


def test_a_viewer_is_refused_every_change(world, call, media, viewer, client_for, api_for):
    app = ready(world.applicant_admin, call)
    before = (app.data, app.version, app.status, app.score_inputs)
    pages = client_for(viewer)
    saved = pages.post(reverse("applicant-autosave", args=[app.pk]), {"version": app.version, "summary": "改"}, **EN)
    assert saved.status_code == 403 and "viewer cannot change" in saved.json()["detail"]
    api = api_for(viewer)
    assert api.patch(f"/api/applications/{app.pk}/", {"version": app.version, "data": {"summary": "x"}},
                     format="json").status_code == 403
    assert api.post(f"/api/applications/{app.pk}/upload/", {"material": "application-material",
                                                           "file": uploaded(pdf_bytes(), "b.pdf")},
                    format="multipart").status_code == 403
    assert api.post(f"/api/applications/{app.pk}/submit/").status_code == 403
    other = make_call(world.jx, code="jx-2031-other", program_code="etc-other")
    assert api.post("/api/applications/", {"call": other.code}, format="json").status_code in (400, 403)
    assert pages.post(reverse("colleagues"), {"email": "x@example.com", "role": "applicant_filer"}).status_code == 403
    app.refresh_from_db()
    assert (app.data, app.version, app.status, app.score_inputs) == before
    assert Application.objects.count() == 1 and Attachment.objects.count() == 1 and not Receipt.objects.exists()
    assert app.status == Status.DRAFT


def test_a_viewer_cannot_withdraw_a_submitted_application(world, call, media, viewer, api_for):
    app = ready(world.applicant_admin, call)
    services.application_submit(actor=actor(world.applicant_admin), application=app, now=DEADLINE)
    refused = api_for(viewer).post(f"/api/applications/{app.pk}/withdraw/")
    assert refused.status_code == 403
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED


def test_my_policies_offers_a_viewer_no_apply_button(world, call, viewer, client_for):
    apply_url = reverse("applicant-apply", args=[call.code])
    admin_page = client_for(world.applicant_admin).get(reverse("applicant-policies"), **EN).content.decode()
    assert apply_url in admin_page
    page = client_for(viewer).get(reverse("applicant-policies"), **EN).content.decode()
    assert apply_url not in page and "a viewer cannot change them" in page
    shown = client_for(viewer).get(apply_url, **EN).content.decode()
    assert "a viewer cannot change them" in shown  # the page says why instead of offering the form
    assert client_for(viewer).post(apply_url, {"accept": "on"}).status_code == 403
    assert not Application.objects.exists()
