"""System checks of the identity key file (cases.E001, E002, E003)."""

from __future__ import annotations

import pytest
from django.core.checks import Error
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from testimonia.cases.checks import check_identity_key, check_identity_keys_present
from testimonia.cases.keys import create_key_file

pytestmark = pytest.mark.django_db


def ids(messages):
    return [m.id for m in messages]


def test_a_private_valid_key_file_passes(identity_key):
    assert check_identity_key() == []
    assert check_identity_keys_present(databases=["default"]) == []


def test_a_configured_key_file_that_is_missing_is_an_error(settings, tmp_path):
    settings.TESTIMONIA_IDENTITY_KEY_FILE = tmp_path / "not-mounted" / "identity.key"
    messages = check_identity_key()
    assert ids(messages) == ["cases.E001"]
    assert isinstance(messages[0], Error)
    assert "not-mounted" in messages[0].msg
    assert "init-key" in messages[0].hint


def test_an_unreadable_or_invalid_key_file_is_an_error(identity_key):
    identity_key.write_text("aes256gcm:bm90IGEga2V5\n")
    messages = check_identity_key()
    assert ids(messages) == ["cases.E001"]
    assert "line 1" in messages[0].msg


def test_a_key_file_others_can_read_is_an_error(identity_key):
    identity_key.chmod(0o644)
    messages = check_identity_key()
    assert ids(messages) == ["cases.E002"]
    assert "chmod 600" in messages[0].hint


def test_a_fresh_installation_without_key_or_witnesses_gets_no_message(settings, tmp_path):
    settings.TESTIMONIA_HOME = tmp_path / "home"
    settings.TESTIMONIA_IDENTITY_KEY_FILE = tmp_path / "home" / "keys" / "identity.key"
    assert check_identity_key() == []
    assert check_identity_keys_present(databases=["default"]) == []


def test_identities_without_their_key_file_are_an_error(witness, settings, tmp_path):
    settings.TESTIMONIA_HOME = tmp_path / "home"
    settings.TESTIMONIA_IDENTITY_KEY_FILE = tmp_path / "home" / "keys" / "identity.key"
    assert check_identity_key() == []  # the default place, empty: a fresh install, so far
    messages = check_identity_keys_present(databases=["default"])
    assert ids(messages) == ["cases.E001"]
    assert "holds witness identities" in messages[0].msg


def test_identities_under_a_key_the_file_lacks_are_an_error(witness, settings, tmp_path):
    other = tmp_path / "other.key"
    create_key_file(other)
    settings.TESTIMONIA_IDENTITY_KEY_FILE = other
    messages = check_identity_keys_present(databases=["default"])
    assert ids(messages) == ["cases.E003"]
    assert witness.identity.key_id in messages[0].msg


def test_the_check_command_fails_on_a_missing_configured_key(settings, tmp_path):
    settings.TESTIMONIA_IDENTITY_KEY_FILE = tmp_path / "missing.key"
    with pytest.raises(SystemCheckError, match=r"cases\.E001"):
        call_command("check")
