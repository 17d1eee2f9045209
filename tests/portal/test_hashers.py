"""The password hasher: Argon2id tuned (portal/hashers.py), old PBKDF2 hashes upgraded at login."""

import time

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.hashers import check_password, identify_hasher, make_password

from tests.factories import UserFactory

PASSWORD = "correct horse battery 2026"


@pytest.fixture
def portal_hashers(settings):
    """The hashers the portal runs with (the test run swaps in MD5 for speed)."""
    from portal.project import settings as project_settings

    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    return settings.PASSWORD_HASHERS


def test_new_passwords_are_argon2id_with_the_portals_parameters(portal_hashers):
    encoded = make_password(PASSWORD)
    assert encoded.startswith("argon2$argon2id$"), encoded
    assert "m=19456,t=2,p=1" in encoded
    assert identify_hasher(encoded).algorithm == "argon2"
    assert check_password(PASSWORD, encoded)
    assert not check_password(PASSWORD + "x", encoded)


def test_a_login_costs_a_tenth_of_the_old_pbkdf2_in_cpu(portal_hashers):
    argon = make_password(PASSWORD)
    pbkdf2 = make_password(PASSWORD, hasher="pbkdf2_sha256")

    def cpu(encoded, n):
        t0 = time.process_time()
        for _ in range(n):
            assert check_password(PASSWORD, encoded)
        return (time.process_time() - t0) / n

    argon_cpu, pbkdf2_cpu = cpu(argon, 5), cpu(pbkdf2, 2)
    assert argon_cpu < 0.080, f"Argon2 login took {argon_cpu * 1000:.0f} ms of CPU"
    assert argon_cpu * 4 < pbkdf2_cpu, (argon_cpu, pbkdf2_cpu)


@pytest.mark.django_db
def test_a_pbkdf2_hash_is_upgraded_to_argon2_at_the_next_login(portal_hashers, client):
    user = UserFactory(username="old_account")
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    assert user.password.startswith("pbkdf2_sha256$")

    response = client.post("/accounts/login/", {"username": "old_account", "password": "wrong"})
    assert response.status_code == 200  # refused: the form again
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sha256$"), "a failed login must not touch the hash"

    response = client.post("/accounts/login/", {"username": "old_account", "password": PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$"), user.password
    assert check_password(PASSWORD, user.password)
    assert django_settings.PASSWORD_HASHERS[0] == "portal.hashers.PortalArgon2PasswordHasher"
