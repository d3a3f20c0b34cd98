"""Authentication and access rules for the JSON API (django-ninja).

Every operation's rule follows from its `auth`:
- `auth=None` (no authentication) is allowed only on operations declared `@api_public`;
- the API default (`API_AUTH`, a token or the web session) means any authenticated user;
- `auth=workspace_auth(capability)` means members of the `{workspace}` in the path who hold
  the capability. The check runs in ninja's authentication step, before any input is parsed,
  so a non-member learns nothing (404) whatever they send.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth

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


class _WorkspaceCheck:
    capability: Capability

    def check_workspace(self, request: HttpRequest, user: Any) -> Any:
        if user is None:
            return None
        match = request.resolver_match
        slug = match.kwargs.get("workspace") if match else None
        roles = membership_roles(user, slug) if isinstance(slug, str) else frozenset()
        if not roles:
            raise HttpError(404, "No such workspace.")
        if not grants(roles, self.capability):
            raise HttpError(403, "Your role in this workspace does not allow this.")
        request.workspace = Workspace.objects.get(slug=slug)  # type: ignore[attr-defined]
        return user


class WorkspaceTokenAuth(_WorkspaceCheck, TokenAuth):
    def __init__(self, capability: Capability) -> None:
        self.capability = capability
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return self.check_workspace(request, super().authenticate(request, token))  # type: ignore[no-any-return]


class WorkspaceSessionAuth(_WorkspaceCheck, SessionAuth):
    def __init__(self, capability: Capability) -> None:
        self.capability = capability
        super().__init__()

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return self.check_workspace(request, super().authenticate(request, key))


# Scripts use tokens; the web UI's own pages may call the API with their session (CSRF-checked).
API_AUTH = [TokenAuth(), SessionAuth()]


def workspace_auth(capability: Capability) -> list[Any]:
    return [WorkspaceTokenAuth(capability), WorkspaceSessionAuth(capability)]


def api_public(view: F) -> F:
    """Declare an operation (or ninja's docs views) open to anyone; use with `auth=None`."""
    return access.declare(access.PUBLIC)(view)


def operation_rule(operation: Any) -> access.Rule | None:
    """The access rule of a ninja operation, derived from its auth; None if undeclared."""
    callbacks = list(operation.auth_callbacks)
    if not callbacks:
        declared = access.rule_of(operation.view_func)
        return declared if declared == access.PUBLIC else None
    capabilities = {c.capability for c in callbacks if isinstance(c, _WorkspaceCheck)}
    if not capabilities:
        return access.AUTHENTICATED
    if len(capabilities) == 1 and all(isinstance(c, _WorkspaceCheck) for c in callbacks):
        return access.Rule(access.Kind.WORKSPACE, capabilities.pop())
    return None  # mixed: ambiguous, refuse to guess
