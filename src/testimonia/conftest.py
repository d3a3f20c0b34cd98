"""Shared fixtures: the personas of the test suite, each a member of one workspace.

investigator, analyst, legal_officer, protection_officer, reviewer, administrator: members of
`workspace` with that role; `outsider`: a user who belongs to `other_workspace` only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import translation

from testimonia.accounts.models import User, Workspace
from testimonia.accounts.roles import Role
from testimonia.accounts.services import create_user, create_workspace, grant_role
from testimonia.custody.services import forget_trees

PASSWORD = "correct-horse-battery-staple-9"


@pytest.fixture(autouse=True)
def _language_reset() -> Any:
    """Each test starts and ends in the default language: a page requested in Arabic leaves
    Arabic active in the thread, which would change the messages later tests read."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _isolated_storage(tmp_path: Path, settings: Any) -> None:
    """Each test gets its own blob store under tmp_path."""
    settings.TESTIMONIA_STORAGE_ROOT = tmp_path / "blobs"
    forget_trees()  # each test's database starts empty: no tree from an earlier test


@pytest.fixture
def workspace(db: None) -> Workspace:
    return create_workspace(None, "Test investigation", slug="test-ws")


@pytest.fixture
def other_workspace(db: None) -> Workspace:
    return create_workspace(None, "Another investigation", slug="other-ws")


def make_member(username: str, workspace: Workspace, role: Role) -> User:
    user = create_user(username, PASSWORD, validate=False)
    grant_role(user, workspace, role)
    return user


@pytest.fixture
def personas(workspace: Workspace, other_workspace: Workspace) -> dict[str, User]:
    people = {role.value: make_member(role.value, workspace, role) for role in Role}
    people["outsider"] = make_member("outsider", other_workspace, Role.ADMINISTRATOR)
    return people


@pytest.fixture
def investigator(personas: dict[str, User]) -> User:
    return personas["investigator"]


@pytest.fixture
def analyst(personas: dict[str, User]) -> User:
    return personas["analyst"]


@pytest.fixture
def reviewer(personas: dict[str, User]) -> User:
    return personas["reviewer"]


@pytest.fixture
def outsider(personas: dict[str, User]) -> User:
    return personas["outsider"]


@pytest.fixture
def staff_user(db: None) -> User:
    return create_user("platform-admin", PASSWORD, is_staff=True, validate=False)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def require_service(env_var: str) -> bool:
    """True when CI demands the service: a missing service must then fail, not skip."""
    return os.environ.get(env_var, "") == "1"
