"""TOTP two-factor login (allauth.mfa) is available to every user."""

import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.test import Client

from testimonia.conftest import PASSWORD


def current_code(secret):
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.mark.django_db
def test_login_with_totp_enabled_asks_for_the_code_before_letting_in(investigator):
    secret = generate_totp_secret()
    TOTP.activate(investigator, secret)
    client = Client()
    response = client.post("/accounts/login/", {"login": "investigator", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/authenticate")
    # Password alone is not a session:
    assert client.get("/").status_code == 302

    wrong = client.post(response["Location"], {"code": "000000"})
    assert wrong.status_code == 200
    assert client.get("/").status_code == 302

    right = client.post(response["Location"], {"code": current_code(secret)})
    assert right.status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_the_two_factor_settings_page_is_reachable_when_logged_in(investigator):
    client = Client()
    client.force_login(investigator)
    response = client.get("/accounts/2fa/")
    assert response.status_code == 200
    assert b"totp" in response.content.lower() or b"authenticator" in response.content.lower()


@pytest.mark.django_db
def test_signup_is_closed(client):
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    assert b"closed" in response.content.lower()
