"""Fixtures of the witness tests: a key file of their own, the personas missing from the shared
fixtures, a canary identity, and helpers that look for it everywhere."""

from __future__ import annotations

import json
import re

import pytest

from testimonia.cases.identity import Identity
from testimonia.cases.keys import create_key_file
from testimonia.cases.witnesses import create_witness

# A name that appears nowhere else: found anywhere but in a protection officer's reveal, it
# is a leak. Latin and Arabic, so both scripts' encodings are looked for.
CANARY = "Qorvath Ellingsby-Marrow"
CANARY_AR = "قورفاث إلينغسبي"
CANARY_CONTACT = "+44 7700 900917 qorvath@example.org"


def canary_forms(*names):
    """Every form in which a name could land in bytes: UTF-8 as is and folded to lower case,
    UTF-16, and JSON's \\u escapes."""
    forms = set()
    for name in names:
        for variant in {name, name.lower(), name.upper(), name.casefold()}:
            forms.add(variant.encode("utf-8"))
            forms.add(variant.encode("utf-16-le"))
            forms.add(json.dumps(variant).strip('"').encode("ascii"))
        for word in re.findall(r"\w{6,}", name):  # a part of the name, as an index cuts it
            forms.add(word.lower().encode("utf-8"))
    return forms


def leaks(data, *names):
    """The canary forms found in `data` (bytes or str)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    lowered = data.lower()
    return sorted(f for f in canary_forms(*names) if f in data or f.lower() in lowered)


@pytest.fixture(autouse=True)
def identity_key(settings, tmp_path):
    """A key file of this test's own, at an explicit place (not the demo's default)."""
    path = tmp_path / "keys" / "identity.key"
    settings.TESTIMONIA_IDENTITY_KEY_FILE = path
    create_key_file(path)
    return path


@pytest.fixture
def protection_officer(personas):
    return personas["protection_officer"]


@pytest.fixture
def legal_officer(personas):
    return personas["legal_officer"]


@pytest.fixture
def administrator(personas):
    return personas["administrator"]


@pytest.fixture
def witness(workspace, investigator):
    return create_witness(
        investigator,
        workspace,
        Identity(name=CANARY, contacts=CANARY_CONTACT, details=CANARY_AR),
    )


@pytest.fixture
def second_witness(workspace, investigator):
    return create_witness(investigator, workspace, Identity(name="Second Person Name"))
