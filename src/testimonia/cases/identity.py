"""The witness identity store: identities sealed with AES-256-GCM under a key kept in a file
outside the database (cases/keys.py, TESTIMONIA_IDENTITY_KEY_FILE).

- The plaintext (name, contacts, identifying details, risk notes) exists only in memory, for
  the protection officer who asked to see it; it is never logged, indexed or written anywhere.
- The associated data binds each ciphertext to its workspace and witness: a ciphertext moved
  to another witness's row, or altered, does not decrypt (IdentityTampered, naming the
  witness by pseudonym).
- Each ciphertext carries the id of its key, so keys rotate: `rotate_key` adds a key,
  re-encrypts every identity under it, and retires the keys nothing uses any more.
- Every reveal and every change is a custody event ("witness:<id>") with the reason; the
  event names the witness by pseudonym only.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from testimonia.accounts.models import User, Workspace
from testimonia.accounts.roles import Capability, grants
from testimonia.accounts.services import membership_roles
from testimonia.cases.exceptions import (
    CasesError,
    IdentityKeyUnavailable,
    IdentityRefused,
    IdentityTampered,
)
from testimonia.cases.keys import (
    KeyFileError,
    KeyFileMissing,
    Keyring,
    create_key_file,
    generate_key,
    key_id,
    read_keyring,
    replace_keyring,
)
from testimonia.cases.models import Witness, WitnessIdentity
from testimonia.core.config import IDENTITY_KEY_FILE, SECRET_KEY_FILE
from testimonia.core.text import tokens
from testimonia.custody.services import append_event

logger = logging.getLogger("testimonia.cases")

SCHEME = "aes-256-gcm/1"
AAD_LABEL = "testimonia.witness-identity/1"
NONCE_BYTES = 12
# The file `testimonia demo` writes its login into (testimonia/demo.py): its presence, or that
# of the demo's generated secret key, marks a demo home.
DEMO_PASSWORD_FILE = "demo_password"  # noqa: S105 (a file name, not a secret)
LIMITS = {"name": 300, "contacts": 2000, "details": 10_000, "risk_notes": 10_000}
MAX_REASON = 500


class Action:
    """Custody actions of the identity store."""

    REVEAL = "identity_reveal"
    UPDATE = "identity_update"


@dataclass(frozen=True)
class Identity:
    """Who a witness is. `repr` and `str` show nothing, so that a debug print, a log line or a
    traceback's locals cannot carry the identity by accident."""

    name: str = field(repr=False)
    contacts: str = field(default="", repr=False)
    details: str = field(default="", repr=False)
    risk_notes: str = field(default="", repr=False)

    def __str__(self) -> str:
        return "Identity(<sealed>)"

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def clean_identity(identity: Identity) -> Identity:
    """The identity with surrounding blanks removed, checked: a name, and every field within
    its limit. Messages name the field, never its value."""
    values = {k: v.strip() for k, v in identity.as_dict().items()}
    if not values["name"]:
        raise CasesError(_("a witness needs a name (it is stored encrypted)"))
    for key, limit in LIMITS.items():
        if len(values[key]) > limit:
            raise CasesError(
                _("the %(field)s is longer than %(limit)s characters")
                % {"field": key.replace("_", " "), "limit": limit}
            )
    return Identity(**values)


# ---------------------------------------------------------------------------------------------
# The key file


def key_file() -> Path:
    configured = getattr(settings, "TESTIMONIA_IDENTITY_KEY_FILE", None)
    return Path(configured) if configured else default_key_file()


def default_key_file() -> Path:
    return Path(settings.TESTIMONIA_HOME) / IDENTITY_KEY_FILE


def is_demo_home(home: Path) -> bool:
    return (home / SECRET_KEY_FILE).is_file() or (home / DEMO_PASSWORD_FILE).is_file()


def creates_key_on_first_use() -> bool:
    """Only a demo home gets its key made for it, at the default place; anywhere else the
    administrator creates it (`testimonia witness init-key`) and keeps a backup apart."""
    return key_file() == default_key_file() and is_demo_home(Path(settings.TESTIMONIA_HOME))


def keyring() -> Keyring:
    """The keys, read from the key file on every call (a rotation is seen at once)."""
    path = key_file()
    try:
        return read_keyring(path)
    except KeyFileMissing:
        if not creates_key_on_first_use():
            raise IdentityKeyUnavailable(
                _(
                    "the identity key file %(path)s does not exist: create it with "
                    "`testimonia witness init-key` and back it up apart from the database "
                    "(docs/witnesses.md)"
                )
                % {"path": path}
            ) from None
        try:
            created = create_key_file(path)
        except KeyFileError:
            return read_keyring(path)  # another process created it first: use theirs
        logger.info("created the identity key file of the demo home")
        return created
    except KeyFileError as exc:
        raise IdentityKeyUnavailable(str(exc)) from None


def init_key_file() -> tuple[Path, str]:
    """Create the key file at its configured place; refuses to replace one."""
    path = key_file()
    try:
        ring = create_key_file(path)
    except KeyFileError as exc:
        raise CasesError(str(exc)) from None
    return path, ring.current[0]


# ---------------------------------------------------------------------------------------------
# Sealing


def associated_data(witness: Witness) -> bytes:
    return f"{AAD_LABEL}\nworkspace:{witness.workspace_id}\nwitness:{witness.pk}".encode()


def seal(witness: Witness, identity: Identity, ring: Keyring) -> dict[str, Any]:
    """The columns of the witness's identity row for `identity`, under the current key."""
    kid, key = ring.current
    nonce = os.urandom(NONCE_BYTES)
    plaintext = json.dumps(identity.as_dict(), ensure_ascii=False, sort_keys=True).encode()
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, associated_data(witness))
    return {"scheme": SCHEME, "key_id": kid, "nonce": nonce, "ciphertext": ciphertext}


def store_identity(witness: Witness, identity: Identity, ring: Keyring) -> None:
    WitnessIdentity.objects.update_or_create(
        witness=witness, defaults=seal(witness, clean_identity(identity), ring)
    )


def read_identity(witness: Witness, ring: Keyring | None = None) -> Identity:
    """Decrypt the witness's identity, for a service that needs it. Nothing is recorded here:
    whoever shows it to a person goes through `reveal_identity`."""
    row = WitnessIdentity.objects.filter(witness=witness).first()
    if row is None or row.scheme != SCHEME:
        raise IdentityTampered(witness.pseudonym)
    ring = ring or keyring()
    key = ring.get(row.key_id)
    if key is None:
        raise IdentityKeyUnavailable(
            _(
                "the identity of witness %(pseudonym)s was encrypted with key %(key)s, which "
                "the identity key file does not hold: restore the key file from its backup"
            )
            % {"pseudonym": witness.pseudonym, "key": row.key_id}
        )
    try:
        plaintext = AESGCM(key).decrypt(
            bytes(row.nonce), bytes(row.ciphertext), associated_data(witness)
        )
        values = json.loads(plaintext)
        return Identity(**{k: str(values.get(k, "")) for k in LIMITS})
    except (InvalidTag, ValueError):
        raise IdentityTampered(witness.pseudonym) from None


def names_in(identity: Identity, text: str) -> bool:
    """Whether `text` contains the witness's name, as a run of words (folded as search folds
    them: case, accents, Arabic and Hebrew letter forms)."""
    name, words = tokens(identity.name), tokens(text)
    if not name:
        return False
    return any(words[i : i + len(name)] == name for i in range(len(words) - len(name) + 1))


# ---------------------------------------------------------------------------------------------
# Protection officers' actions


def may_see_identities(actor: User | None, workspace: Workspace) -> bool:
    if actor is None or not actor.is_active:
        return False
    return grants(membership_roles(actor, workspace.slug), Capability.REVEAL_IDENTITY)


def _check_officer(actor: User | None, workspace: Workspace) -> User:
    if actor is None or not may_see_identities(actor, workspace):
        raise IdentityRefused(
            _("only a protection officer of workspace %(workspace)s may see or change identities")
            % {"workspace": workspace.slug}
        )
    return actor


def _check_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise CasesError(_("give a reason: it is kept in the chain of custody"))
    if len(reason) > MAX_REASON:
        raise CasesError(
            _("the reason is longer than %(limit)s characters") % {"limit": MAX_REASON}
        )
    return reason


def reveal_identity(actor: User | None, witness: Witness, reason: str) -> Identity:
    """The witness's identity, for a protection officer of its workspace, recorded with the
    reason in the chain of custody (an event that names the pseudonym, never the person)."""
    officer = _check_officer(actor, witness.workspace)
    reason = _check_reason(reason)
    identity = read_identity(witness)
    if names_in(identity, reason):
        raise CasesError(
            _(
                "the reason contains the witness's name, and the chain of custody keeps it "
                "for good: refer to the witness as %(pseudonym)s"
            )
            % {"pseudonym": witness.pseudonym}
        )
    append_event(
        witness.workspace,
        actor=officer,
        action=Action.REVEAL,
        subject=f"witness:{witness.pk}",
        reason=reason,
        details={"pseudonym": witness.pseudonym},
    )
    logger.info("identity of witness %s shown to user %s", witness.pseudonym, officer.pk)
    return identity


def update_identity(actor: User | None, witness: Witness, reason: str, **changes: str) -> list[str]:
    """Correct the identity (name, contacts, details, risk_notes), for a protection officer,
    recorded with the reason; returns the fields that changed (their names, not values)."""
    officer = _check_officer(actor, witness.workspace)
    reason = _check_reason(reason)
    unknown = set(changes) - set(LIMITS)
    if unknown:
        raise CasesError(_("unknown identity fields: %(fields)s") % {"fields": sorted(unknown)})
    with transaction.atomic():
        # Identity writes take the workspace lock that a key rotation takes (rotate_key).
        Workspace.objects.select_for_update().get(pk=witness.workspace_id)
        ring = keyring()
        current = read_identity(witness, ring)
        updated = clean_identity(replace(current, **changes))
        changed = sorted(k for k in LIMITS if getattr(updated, k) != getattr(current, k))
        if not changed:
            return []
        store_identity(witness, updated, ring)
        append_event(
            witness.workspace,
            actor=officer,
            action=Action.UPDATE,
            subject=f"witness:{witness.pk}",
            reason=reason,
            details={"pseudonym": witness.pseudonym, "fields": changed},
        )
    return changed


def write_risk_notes(witness: Witness, notes: str) -> None:
    """Replace the risk notes inside the sealed identity (they may identify the witness)."""
    with transaction.atomic():
        Workspace.objects.select_for_update().get(pk=witness.workspace_id)
        ring = keyring()
        current = read_identity(witness, ring)
        store_identity(witness, replace(current, risk_notes=notes), ring)


# ---------------------------------------------------------------------------------------------
# Key rotation


@dataclass(frozen=True)
class Rotation:
    new_key: str
    reencrypted: int
    retired: list[str]
    kept: list[str]  # older keys still needed (identities that could not be re-encrypted)
    failures: list[str]  # one line per identity that could not be re-encrypted


def rotate_key() -> Rotation:
    """Add a fresh key, re-encrypt every identity under it, then retire the keys that no
    identity uses any more. Never stops at the first damaged identity: it names each one and
    keeps the keys they need. Safe to run again after an interruption."""
    path = key_file()
    ring = keyring()
    extended = Keyring((*ring.keys, generate_key()))
    replace_keyring(path, extended)
    new_id = extended.current[0]
    done = 0
    failures: list[str] = []
    pending = WitnessIdentity.objects.exclude(key_id=new_id).values_list("pk", flat=True)
    for pk in list(pending):
        with transaction.atomic():
            row = WitnessIdentity.objects.select_for_update().get(pk=pk)
            witness = Witness.objects.get(pk=row.witness_id)
            try:
                identity = read_identity(witness, extended)
            except (IdentityTampered, IdentityKeyUnavailable) as exc:
                failures.append(str(exc))
                continue
            store_identity(witness, identity, extended)
            done += 1
    with transaction.atomic():
        # Race: an identity written with the old key after the scan above. Every identity
        # write holds its workspace's row lock and reads the key file under it, so once all
        # workspaces are locked, what the table holds is final until the new file is in place.
        list(Workspace.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
        used = set(WitnessIdentity.objects.values_list("key_id", flat=True).distinct())
        keep = tuple(k for k in extended.keys if key_id(k) in used or key_id(k) == new_id)
        replace_keyring(path, Keyring(keep))
    retired = [key_id(k) for k in extended.keys if k not in keep]
    kept = [key_id(k) for k in keep if key_id(k) != new_id]
    logger.info("identity key rotated: %s re-encrypted, %s key(s) retired", done, len(retired))
    return Rotation(new_id, done, retired, kept, failures)
