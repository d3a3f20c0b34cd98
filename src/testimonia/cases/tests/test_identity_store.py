"""The identity store: sealed at rest, bound to its witness, keyed outside the database."""

from __future__ import annotations

import os
import stat

import pytest

from testimonia.cases import identity
from testimonia.cases.exceptions import IdentityKeyUnavailable, IdentityTampered
from testimonia.cases.identity import Identity, read_identity, rotate_key
from testimonia.cases.keys import (
    KeyFileError,
    create_key_file,
    key_id,
    parse_keyring,
    read_keyring,
)
from testimonia.cases.models import WitnessIdentity
from testimonia.cases.witnesses import create_witness

from .conftest import CANARY, CANARY_AR, CANARY_CONTACT, leaks

pytestmark = pytest.mark.django_db


def test_an_identity_reads_back_and_its_row_holds_only_ciphertext(witness, identity_key):
    person = read_identity(witness)
    assert person.name == CANARY
    assert person.contacts == CANARY_CONTACT
    assert person.details == CANARY_AR
    row = WitnessIdentity.objects.get(witness=witness)
    assert leaks(bytes(row.ciphertext), CANARY, CANARY_AR, CANARY_CONTACT) == []
    assert row.key_id == read_keyring(identity_key).current[0]
    assert len(bytes(row.nonce)) == 12


def test_each_sealing_uses_a_fresh_nonce(workspace, investigator):
    first = create_witness(investigator, workspace, Identity(name="Same"))
    second = create_witness(investigator, workspace, Identity(name="Same"))
    rows = WitnessIdentity.objects.filter(witness__in=[first, second])
    assert len({bytes(r.nonce) for r in rows}) == 2
    assert len({bytes(r.ciphertext) for r in rows}) == 2


def test_swapping_two_witnesses_ciphertexts_is_detected_and_names_the_witness(
    witness, second_witness
):
    a = WitnessIdentity.objects.get(witness=witness)
    b = WitnessIdentity.objects.get(witness=second_witness)
    swapped = {"nonce": bytes(b.nonce), "ciphertext": bytes(b.ciphertext), "key_id": b.key_id}
    WitnessIdentity.objects.filter(pk=a.pk).update(**swapped)
    with pytest.raises(IdentityTampered) as raised:
        read_identity(witness)
    assert witness.pseudonym in str(raised.value)
    assert "belongs to another witness" in str(raised.value)
    assert leaks(str(raised.value), CANARY) == []


def test_one_flipped_byte_is_detected(witness):
    row = WitnessIdentity.objects.get(witness=witness)
    damaged = bytearray(bytes(row.ciphertext))
    damaged[3] ^= 0x01
    WitnessIdentity.objects.filter(pk=row.pk).update(ciphertext=bytes(damaged))
    with pytest.raises(IdentityTampered, match=witness.pseudonym):
        read_identity(witness)


def test_a_deleted_identity_row_is_reported_as_tampering(witness):
    WitnessIdentity.objects.filter(witness=witness).delete()
    with pytest.raises(IdentityTampered, match=witness.pseudonym):
        read_identity(witness)


def test_an_identity_under_a_key_the_file_lacks_says_to_restore_the_key(
    witness, identity_key, settings, tmp_path
):
    other = tmp_path / "other.key"
    create_key_file(other)
    settings.TESTIMONIA_IDENTITY_KEY_FILE = other
    with pytest.raises(IdentityKeyUnavailable) as raised:
        read_identity(witness)
    message = str(raised.value)
    assert witness.pseudonym in message
    assert "restore the key file" in message


def test_the_identity_never_shows_in_its_repr():
    person = Identity(name=CANARY, contacts=CANARY_CONTACT)
    assert CANARY not in repr(person)
    assert CANARY not in str(person)
    assert CANARY_CONTACT not in repr(person)


def test_the_key_file_is_private_and_not_replaced(identity_key):
    assert stat.S_IMODE(identity_key.stat().st_mode) == 0o600
    assert stat.S_IMODE(identity_key.parent.stat().st_mode) == 0o700
    before = identity_key.read_bytes()
    with pytest.raises(KeyFileError, match="already exists"):
        create_key_file(identity_key)
    assert identity_key.read_bytes() == before


def test_a_damaged_key_file_is_refused_with_the_line_named(tmp_path):
    with pytest.raises(KeyFileError, match="line 2"):
        parse_keyring("# comment\naes256gcm:c2hvcnQ=\n", "f")
    with pytest.raises(KeyFileError, match="holds no key"):
        parse_keyring("# only a comment\n", "f")
    with pytest.raises(KeyFileError, match="line 1: not a key"):
        parse_keyring("rot13:abc\n", "f")


def test_without_a_key_file_intake_is_refused_and_nothing_is_written(
    workspace, investigator, settings, tmp_path
):
    settings.TESTIMONIA_IDENTITY_KEY_FILE = tmp_path / "absent.key"
    with pytest.raises(IdentityKeyUnavailable, match="testimonia witness init-key"):
        create_witness(investigator, workspace, Identity(name=CANARY))
    assert not WitnessIdentity.objects.exists()
    assert not (tmp_path / "absent.key").exists()


def test_only_a_demo_home_gets_its_key_made_on_first_use(
    workspace, investigator, settings, tmp_path
):
    home = tmp_path / "home"
    home.mkdir()
    settings.TESTIMONIA_HOME = home
    settings.TESTIMONIA_IDENTITY_KEY_FILE = home / "keys" / "identity.key"
    with pytest.raises(IdentityKeyUnavailable):
        create_witness(investigator, workspace, Identity(name="A"))
    (home / "secret_key").write_text("x" * 40)  # what `testimonia demo` leaves in its home
    create_witness(investigator, workspace, Identity(name="A"))
    key = home / "keys" / "identity.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    # Explicitly configured elsewhere: never made, even in a demo home.
    settings.TESTIMONIA_IDENTITY_KEY_FILE = tmp_path / "elsewhere.key"
    with pytest.raises(IdentityKeyUnavailable):
        create_witness(investigator, workspace, Identity(name="B"))


def test_rotation_reencrypts_every_identity_and_retires_the_old_key(
    witness, second_witness, identity_key
):
    old = read_keyring(identity_key).current[0]
    result = rotate_key()
    assert result.reencrypted == 2
    assert result.retired == [old]
    assert result.failures == []
    ring = read_keyring(identity_key)
    assert ring.ids == (result.new_key,)
    assert set(WitnessIdentity.objects.values_list("key_id", flat=True)) == {result.new_key}
    assert read_identity(witness).name == CANARY
    assert stat.S_IMODE(identity_key.stat().st_mode) == 0o600


def test_rotation_names_a_damaged_identity_and_keeps_the_key_it_needs(
    witness, second_witness, identity_key
):
    old = read_keyring(identity_key).current[0]
    row = WitnessIdentity.objects.get(witness=second_witness)
    WitnessIdentity.objects.filter(pk=row.pk).update(ciphertext=bytes(row.ciphertext)[:-1] + b"x")
    result = rotate_key()
    assert result.reencrypted == 1
    assert len(result.failures) == 1
    assert second_witness.pseudonym in result.failures[0]
    assert result.kept == [old]
    assert read_keyring(identity_key).ids == (old, result.new_key)
    assert read_identity(witness).name == CANARY


def test_key_ids_name_keys_without_revealing_them():
    key = os.urandom(32)
    assert len(key_id(key)) == 16
    assert key_id(key) != key_id(os.urandom(32))
    assert key.hex()[:16] != key_id(key)


def test_names_in_folds_case_and_accents_and_matches_whole_words():
    person = Identity(name="Léa Haddad")
    assert identity.names_in(person, "call LEA haddad tomorrow")
    assert not identity.names_in(person, "call Lea tomorrow")
    assert not identity.names_in(person, "Haddadin Lea")
