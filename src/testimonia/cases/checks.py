"""System checks of the witness identity store (run by `testimonia manage check` and before
migrate and the worker).

- cases.E001: the key file is unusable: it exists but cannot be read or holds no valid key;
  or TESTIMONIA_IDENTITY_KEY_FILE names a file that does not exist (a key volume not mounted);
  or the database holds identities and the key file is missing.
- cases.E002: others than the file's owner may read or write the key file.
- cases.E003: the database holds identities sealed with keys the key file does not hold.

A fresh installation without a key file and without identities gets no message: witness
intake then refuses with the command that creates the key (docs/witnesses.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, Tags, register
from django.db import DatabaseError
from django.utils.translation import gettext as _

from testimonia.cases import identity
from testimonia.cases.keys import KeyFileError, KeyFileMissing, permission_problem, read_keyring


def _hint(text: str = "") -> str:
    return text + _("See docs/witnesses.md, 'The key file'.")


@register(Tags.security)
def check_identity_key(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    path = identity.key_file()
    try:
        read_keyring(path)
    except KeyFileMissing:
        if path != identity.default_key_file():
            return [
                Error(
                    _(
                        "TESTIMONIA_IDENTITY_KEY_FILE names %(path)s, which does not exist: "
                        "witness identities cannot be read or added."
                    )
                    % {"path": path},
                    hint=_hint(
                        _(
                            "Mount or restore the key file (from its backup), or create a new "
                            "one with `testimonia witness init-key` if no witness was ever "
                            "added. "
                        )
                    ),
                    id="cases.E001",
                )
            ]
        return []
    except KeyFileError as exc:
        return [Error(str(exc), hint=_hint(), id="cases.E001")]
    problem = permission_problem(path)
    if problem:
        return [
            Error(
                _("the identity key file %(path)s is not private (%(problem)s).")
                % {"path": path, "problem": problem},
                hint=_hint(_("Run: chmod 600 %(path)s. ") % {"path": path}),
                id="cases.E002",
            )
        ]
    return []


@register(Tags.database)
def check_identity_keys_present(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    """The stored identities can be decrypted: their keys are in the key file."""
    if not databases or "default" not in databases:
        return []
    from testimonia.cases.models import WitnessIdentity

    try:
        used = set(WitnessIdentity.objects.values_list("key_id", flat=True).distinct())
    except DatabaseError:
        return []  # not migrated yet: nothing stored
    if not used:
        return []
    path = identity.key_file()
    try:
        held = set(read_keyring(path).ids)
    except KeyFileMissing:
        return [
            Error(
                _(
                    "the database holds witness identities but the identity key file %(path)s "
                    "does not exist: none of them can be read."
                )
                % {"path": path},
                hint=_hint(_("Restore the key file from its backup. ")),
                id="cases.E001",
            )
        ]
    except KeyFileError:
        return []  # reported by check_identity_key
    missing = sorted(used - held)
    if missing:
        return [
            Error(
                _(
                    "witness identities are sealed with key(s) %(keys)s, which the identity key "
                    "file %(path)s does not hold: they cannot be read."
                )
                % {"keys": ", ".join(missing), "path": path},
                hint=_hint(_("Restore the key file from the backup taken before the rotation. ")),
                id="cases.E003",
            )
        ]
    return []
