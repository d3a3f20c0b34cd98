"""Authentication and per-operation access rules for the JSON API (django-ninja)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer, django_auth

from testimonia.accounts import access
from testimonia.accounts.models import User, Workspace
from testimonia.accounts.roles import Capability, grants
from testimonia.accounts.services import membership_roles, user_for_token

F = TypeVar("F", bound=Callable[..., Any])


class TokenAuth(HttpBearer):
    """`Authorization: Bearer tsm_...` from `testimonia token create`."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


# Scripts use tokens; the web UI's own pages may call the API with their session (CSRF-checked).
API_AUTH = [TokenAuth(), django_auth]


def api_public(view: F) -> F:
    return access.declare(access.PUBLIC)(view)


def api_authenticated(view: F) -> F:
    return access.declare(access.AUTHENTICATED)(view)


def api_workspace(capability: Capability) -> Callable[[F], F]:
    """The operation's path has `{workspace}`; the caller must hold `capability` there.

    Not a member, or no such workspace: 404 (nothing leaks). A member without the
    capability: 403. The wrapped view receives the Workspace as `request.workspace`.
    """

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            slug = kwargs.get("workspace")
            if not isinstance(slug, str):
                raise HttpError(404, "No such workspace.")
            roles = membership_roles(request.user, slug)
            if not roles:
                raise HttpError(404, "No such workspace.")
            if not grants(roles, capability):
                raise HttpError(403, "Your role in this workspace does not allow this.")
            request.workspace = Workspace.objects.get(slug=slug)  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return access.declare(access.Rule(access.Kind.WORKSPACE, capability))(wrapper)  # type: ignore[return-value]

    return decorate
