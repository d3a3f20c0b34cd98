"""Request paths stay out of the log: what people type into a URL may name a witness."""

import logging

import pytest

from testimonia.conftest import client_for

pytestmark = pytest.mark.django_db

CANARY = "Canary-Qassem-Haddad"


@pytest.mark.parametrize(
    "path",
    [
        f"/w/test-ws/incidents/{CANARY}/",  # no such route: 404
        f"/api/v1/workspaces/test-ws/witnesses/{CANARY}",  # an API 404
        f"/w/test-ws/incidents/?q={CANARY}&page=x",  # a page that answers
        f"/w/other-ws/incidents/?q={CANARY}",  # not a member: 404
    ],
)
def test_no_request_path_reaches_the_log(analyst, caplog, path):
    caplog.set_level(logging.DEBUG)
    client_for(analyst).get(path)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert CANARY not in logged
    assert CANARY not in caplog.text


def test_a_client_error_is_still_logged_with_its_status(analyst, caplog):
    caplog.set_level(logging.WARNING, logger="django.request")
    client_for(analyst).get(f"/w/test-ws/incidents/{CANARY}/")
    messages = [r.getMessage() for r in caplog.records if r.name == "django.request"]
    assert messages
    assert "[path withheld]" in messages[0]
