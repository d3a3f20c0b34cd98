from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class ClosedSignupAccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    """Accounts are created by administrators: workspaces are need-to-know."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False
