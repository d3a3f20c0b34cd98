from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from testimonia.accounts.roles import Role, grants
from testimonia.web.sections import SECTIONS


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The sections of the current workspace that the user's roles open, built or not."""
    workspace = getattr(request, "workspace", None)
    if workspace is None:
        return {}
    roles: frozenset[str] = getattr(request, "workspace_roles", frozenset())
    items = []
    for section in SECTIONS:
        if not grants(roles, section.capability):
            continue
        if section.url_name:
            url = reverse(section.url_name, kwargs={"workspace": workspace.slug})
        else:
            url = reverse(f"web:section_{section.key}", kwargs={"workspace": workspace.slug})
        items.append(
            {
                "key": section.key,
                "title": section.title,
                "url": url,
                "built": section.url_name is not None,
            }
        )
    return {
        "workspace": workspace,
        "workspace_role_labels": [Role(r).label for r in sorted(roles)],
        "nav_sections": items,
    }
