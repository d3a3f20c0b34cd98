from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from testimonia.accounts.roles import Capability


class AccountsError(Exception):
    """A user mistake in an accounts operation; the message is safe to show."""


class WorkspaceExists(AccountsError):
    def __init__(self, slug: str) -> None:
        super().__init__(
            _("a workspace with identifier %(slug)s already exists") % {"slug": repr(slug)}
        )
        self.slug = slug


class UnknownWorkspace(AccountsError):
    def __init__(self, slug: str) -> None:
        super().__init__(
            f"no workspace {slug!r}: list them with `testimonia workspace list`, "
            "or create it with `testimonia workspace create`"
        )
        self.slug = slug


class UnknownUser(AccountsError):
    def __init__(self, username: str) -> None:
        super().__init__(f"no user {username!r}: create it with `testimonia user create`")
        self.username = username


class UserExists(AccountsError):
    def __init__(self, username: str) -> None:
        super().__init__(f"a user named {username!r} already exists")
        self.username = username


class InvalidName(AccountsError):
    pass


class WorkspaceAccessDenied(PermissionDenied):
    """A member whose roles lack the capability a route needs."""

    def __init__(self, capability: Capability) -> None:
        super().__init__(f"your role in this workspace does not allow: {capability}")
        self.capability = capability
