"""Sign-in protection (django-axes), API tokens instead of HTTP Basic, password reset and change."""

import base64
import datetime as dt
import re

import pytest
import time_machine
from axes.models import AccessAttempt
from django.utils import timezone
from rest_framework.authtoken.models import Token

from portal.models import AuditEntry, OutboxMessage
from tests.factories import PASSWORD

LOGIN = "/accounts/login/"


def attempt(client, username, password, ip="198.51.100.7"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def signed_in(response):
    return response.status_code == 302 and "_auth_user_id" in response.wsgi_request.session


@pytest.mark.django_db
def test_five_failures_lock_the_account_for_fifteen_minutes(client, world):
    user = world.applicant_admin
    codes = [attempt(client, user.username, "wrong-password").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 200, 429]  # the fifth failure locks
    refused = attempt(client, user.username, PASSWORD)  # the right password, once locked
    assert refused.status_code == 429, refused.status_code
    assert not signed_in(refused)
    text = refused.content.decode()
    assert "禁止登录" in text and "15 分钟" in text  # a clear message in Chinese
    # the account is locked from any address, also with the right password
    assert attempt(client, user.username, PASSWORD, ip="203.0.113.9").status_code == 429
    with time_machine.travel(timezone.localtime() + dt.timedelta(minutes=14), tick=False):
        assert attempt(client, user.username, PASSWORD, ip="203.0.113.10").status_code == 429
    with time_machine.travel(timezone.localtime() + dt.timedelta(minutes=16), tick=False):
        assert signed_in(attempt(client, user.username, PASSWORD, ip="203.0.113.11"))


@pytest.mark.django_db
def test_four_failures_do_not_lock(client, world):
    for _ in range(4):
        assert attempt(client, world.applicant_admin.username, "wrong-password").status_code == 200
    assert signed_in(attempt(client, world.applicant_admin.username, PASSWORD))


@pytest.mark.django_db
def test_five_failures_from_one_address_lock_the_address(client, world):
    for i in range(5):
        attempt(client, f"nobody{i}", "wrong-password", ip="192.0.2.50")
    locked = attempt(client, world.county_reviewer.username, PASSWORD, ip="192.0.2.50")
    assert locked.status_code == 429 and not signed_in(locked)
    assert signed_in(attempt(client, world.county_reviewer.username, PASSWORD, ip="192.0.2.51"))


@pytest.mark.django_db
def test_an_operator_lifts_a_lockout_and_it_is_audited(client, world):
    from django.test import Client

    for _ in range(5):
        attempt(client, world.applicant_admin.username, "wrong-password")
    assert attempt(client, world.applicant_admin.username, PASSWORD).status_code == 429
    locked = AccessAttempt.objects.filter(username=world.applicant_admin.username)
    assert locked.exists()
    operator = Client()
    operator.force_login(world.operator)
    page = operator.get("/admin/axes/accessattempt/")
    assert page.status_code == 200
    response = operator.post("/admin/axes/accessattempt/", {
        "action": "unlock", "_selected_action": [a.pk for a in locked]})
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=world.applicant_admin.username).exists()
    entry = AuditEntry.objects.get(action="login.unlock")
    assert entry.actor == world.operator and entry.data["username"] == world.applicant_admin.username
    assert signed_in(attempt(client, world.applicant_admin.username, PASSWORD))


@pytest.mark.django_db
def test_a_non_operator_cannot_lift_a_lockout(world):
    from django.core.exceptions import PermissionDenied

    from portal.access import actor_for
    from portal.accounts import login_unlock

    with pytest.raises(PermissionDenied):
        login_unlock(actor=actor_for(world.province_officer), attempts=[])


# --- the API: tokens, no HTTP Basic ---------------------------------------------------------------


@pytest.mark.django_db
def test_http_basic_is_refused_by_the_api(client, world):
    basic = base64.b64encode(f"{world.county_reviewer.username}:{PASSWORD}".encode()).decode()
    response = client.get("/api/me/", HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code in (401, 403)
    assert "username" not in response.content.decode()


@pytest.mark.django_db
def test_a_token_made_on_the_account_page_works_until_revoked(client_for, client, world):
    page = client_for(world.county_reviewer)
    made = page.post("/accounts/", {"action": "create-token"})
    assert made.status_code == 200
    key = re.search(r"data-new-token>([0-9a-f]{40})<", made.content.decode()).group(1)
    assert Token.objects.get(user=world.county_reviewer).key == key
    assert AuditEntry.objects.filter(action="api_token.create", actor=world.county_reviewer).count() == 1
    # shown once: the page shows no key afterwards
    assert key not in page.get("/accounts/").content.decode()

    from django.test import Client

    script = Client()
    me = script.get("/api/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert me.status_code == 200 and me.json()["username"] == world.county_reviewer.username
    assert script.get("/api/me/", HTTP_AUTHORIZATION="Token " + "0" * 40).status_code == 401

    assert page.post("/accounts/", {"action": "revoke-token"}).status_code == 302
    assert not Token.objects.filter(user=world.county_reviewer).exists()
    assert AuditEntry.objects.filter(action="api_token.revoke").count() == 1
    assert script.get("/api/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


@pytest.mark.django_db
def test_account_page_needs_sign_in(client):
    response = client.get("/accounts/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- password reset and change --------------------------------------------------------------------


def _reset_link(world, client):
    world.applicant_admin.email = "admin@zg-example.cn"
    world.applicant_admin.save(update_fields=["email"])
    response = client.post("/accounts/password-reset/", {"email": "Admin@zg-example.cn"})
    assert response.status_code == 302 and response["Location"].endswith("/accounts/password-reset/sent/")
    row = OutboxMessage.objects.get(recipient="admin@zg-example.cn", kind="password")
    assert "重置" in row.subject
    return re.search(r"https?://\S+/accounts/password-reset/\S+/", row.body).group(0)


@pytest.mark.django_db
def test_reset_link_sets_a_new_password_once(client, world):
    link = _reset_link(world, client)
    path = link.split("testserver", 1)[1]
    form = client.get(path, follow=True)
    assert form.status_code == 200 and "设置新密码" in form.content.decode()
    set_url = form.redirect_chain[-1][0] if form.redirect_chain else path
    done = client.post(set_url, {"new_password1": "Lan-shan-2026!x", "new_password2": "Lan-shan-2026!x"})
    assert done.status_code == 302
    world.applicant_admin.refresh_from_db()
    assert world.applicant_admin.check_password("Lan-shan-2026!x")
    assert AuditEntry.objects.filter(action="password.reset", object_id=str(world.applicant_admin.pk)).exists()
    # the same link a second time: refused
    again = client.get(path, follow=True)
    assert "该链接已失效" in again.content.decode()
    assert not world.applicant_admin.check_password("other-password-1")


@pytest.mark.django_db
def test_reset_link_expires_after_an_hour(client, world):
    link = _reset_link(world, client)
    path = link.split("testserver", 1)[1]
    with time_machine.travel(timezone.localtime() + dt.timedelta(minutes=61), tick=False):
        expired = client.get(path, follow=True)
    assert "该链接已失效" in expired.content.decode()


@pytest.mark.django_db
def test_reset_of_an_unknown_address_says_the_same_and_sends_nothing(client, world):
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.cn"}, follow=True)
    assert "如果有账号使用该邮箱" in response.content.decode()
    assert not OutboxMessage.objects.filter(kind="password").exists()


@pytest.mark.django_db
def test_password_change(client_for, world):
    page = client_for(world.applicant_admin)
    assert "修改密码" in page.get("/accounts/password/").content.decode()
    wrong = page.post("/accounts/password/", {"old_password": "nope", "new_password1": "Lan-shan-2026!x",
                                              "new_password2": "Lan-shan-2026!x"})
    assert wrong.status_code == 200
    world.applicant_admin.refresh_from_db()
    assert world.applicant_admin.check_password(PASSWORD)
    ok = page.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": "Lan-shan-2026!x",
                                           "new_password2": "Lan-shan-2026!x"})
    assert ok.status_code == 302
    world.applicant_admin.refresh_from_db()
    assert world.applicant_admin.check_password("Lan-shan-2026!x")
    assert AuditEntry.objects.filter(action="password.change").count() == 1
