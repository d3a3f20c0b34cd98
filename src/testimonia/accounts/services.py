"""Accounts domain actions: workspaces, users, memberships, API tokens."""

from __future__ import annotations

import secrets

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from testimonia.accounts.exceptions import (
    InvalidName,
    UnknownUser,
    UnknownWorkspace,
    UserExists,
    WorkspaceExists,
)
from testimonia.accounts.models import ApiToken, Membership, User, Workspace
from testimonia.accounts.roles import Role

TOKEN_PREFIX = "tsm_"  # noqa: S105 (a public marker, not a secret)


def create_workspace(
    actor: User | None, name: str, *, slug: str | None = None, description: str = ""
) -> Workspace:
    """Create a workspace; the acting user (if any) becomes its administrator."""
    name = name.strip()
    if not name:
        raise InvalidName(_("a workspace needs a name"))
    if len(name) > 200:
        raise InvalidName(_("a workspace name is at most 200 characters"))
    slug = slugify(slug if slug is not None else name)[:64]
    if not slug:
        raise InvalidName(
            _(
                "the name gives no usable identifier: give one made of Latin letters, digits "
                "and hyphens (e.g. gaza-2024)"
            )
        )
    try:
        # The unique constraint on slug, not a prior lookup, decides the race between two
        # creators of the same workspace.
        with transaction.atomic():
            workspace = Workspace.objects.create(slug=slug, name=name, description=description)
            if actor is not None:
                Membership.objects.create(user=actor, workspace=workspace, role=Role.ADMINISTRATOR)
    except IntegrityError as exc:
        raise WorkspaceExists(slug) from exc
    return workspace


def get_workspace(slug: str) -> Workspace:
    try:
        return Workspace.objects.get(slug=slug)
    except Workspace.DoesNotExist as exc:
        raise UnknownWorkspace(slug) from exc


def get_user(username: str) -> User:
    try:
        return User.objects.get(username=username)
    except User.DoesNotExist as exc:
        raise UnknownUser(username) from exc


def create_user(
    username: str,
    password: str,
    *,
    is_staff: bool = False,
    validate: bool = True,
) -> User:
    username = username.strip()
    if not username:
        raise InvalidName("a user needs a username")
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise InvalidName(f"invalid username {username!r}: {' '.join(exc.messages)}") from exc
    if validate:
        try:
            validate_password(password, User(username=username))
        except ValidationError as exc:
            raise InvalidName("password refused: " + " ".join(exc.messages)) from exc
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, password=password, is_staff=is_staff)
    except IntegrityError as exc:
        raise UserExists(username) from exc
    return user


def grant_role(user: User, workspace: Workspace, role: Role) -> Membership:
    membership, _created = Membership.objects.get_or_create(
        user=user, workspace=workspace, role=role
    )
    return membership


def membership_roles(user: AbstractBaseUser | AnonymousUser, workspace_slug: str) -> frozenset[str]:
    if not user.is_authenticated:
        return frozenset()
    return frozenset(
        Membership.objects.filter(user_id=user.pk, workspace__slug=workspace_slug).values_list(
            "role", flat=True
        )
    )


def workspaces_for(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Workspace]:
    if not user.is_authenticated:
        return Workspace.objects.none()
    return Workspace.objects.filter(memberships__user_id=user.pk).distinct().order_by("name")


def create_api_token(user: User, name: str = "") -> tuple[str, ApiToken]:
    """Return the plaintext token (shown once) and its stored record."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken.objects.create(
        user=user, name=name[:100], prefix=token[:12], digest=ApiToken.digest_of(token)
    )
    return token, record


def user_for_token(token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    try:
        record = ApiToken.objects.select_related("user").get(
            digest=ApiToken.digest_of(token), revoked_at__isnull=True
        )
    except ApiToken.DoesNotExist:
        return None
    if not record.user.is_active:
        return None
    ApiToken.objects.filter(pk=record.pk).update(last_used_at=timezone.now())
    return record.user
