from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from ninja.operation import PathView

from testimonia.accounts import access
from testimonia.accounts.exceptions import WorkspaceAccessDenied
from testimonia.accounts.models import Workspace
from testimonia.accounts.roles import grants
from testimonia.accounts.services import membership_roles

logger = logging.getLogger("testimonia.access")


def is_api_view(view: Callable[..., Any]) -> bool:
    """django-ninja's per-path view: its operations carry their own rules (see api_auth)."""
    return any(
        isinstance(cell.cell_contents, PathView)
        for cell in getattr(view, "__closure__", None) or ()
    )


def api_operations(view: Callable[..., Any]) -> list[Any]:
    for cell in getattr(view, "__closure__", None) or ():
        if isinstance(cell.cell_contents, PathView):
            return list(cell.cell_contents.operations)
    return []


def resolve_rule(
    view: Callable[..., Any], namespaces: list[str], url_name: str | None
) -> access.Rule | None:
    """The rule that governs a resolved route, or None when it declares none."""
    rule = access.rule_of(view)
    if rule is not None:
        return rule
    if is_api_view(view):
        return access.API
    for namespace in namespaces:
        if namespace in access.THIRD_PARTY_NAMESPACES:
            return access.THIRD_PARTY_NAMESPACES[namespace]
    if url_name:
        return access.THIRD_PARTY_RULES.get(":".join([*namespaces, url_name]))
    return None


def current_workspace(request: HttpRequest) -> Workspace:
    """The workspace a `workspace_member` route was admitted to (set by the middleware below)."""
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    return workspace


class AccessPolicyMiddleware:
    """Enforce the declared rule of the resolved view before it runs; no rule, no access."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponseBase | None:
        match = request.resolver_match
        rule = resolve_rule(view_func, match.namespaces, match.url_name) if match else None
        if rule is None:
            logger.error("route without access rule refused: %s", request.resolver_match)
            raise Http404
        if rule.kind in (access.Kind.PUBLIC, access.Kind.API):
            return None
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if rule.kind is access.Kind.AUTHENTICATED:
            return None
        if rule.kind is access.Kind.STAFF:
            if user.is_staff:
                return None
            return HttpResponse(status=403)
        # Kind.WORKSPACE
        slug = view_kwargs.get("workspace")
        if not isinstance(slug, str) or rule.capability is None:
            logger.error("workspace rule on a route without <workspace>: %s", request.path)
            raise Http404
        roles = membership_roles(user, slug)
        if not roles:
            # Not a member (or no such workspace): indistinguishable, so nothing leaks.
            raise Http404
        if not grants(roles, rule.capability):
            raise WorkspaceAccessDenied(rule.capability)
        request.workspace = Workspace.objects.get(slug=slug)  # type: ignore[attr-defined]
        request.workspace_roles = roles  # type: ignore[attr-defined]
        return None
