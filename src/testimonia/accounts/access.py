"""Access rules that every route declares, and their enforcement.

A view declares its rule with one of the decorators below; `AccessPolicyMiddleware` enforces it
before the view runs, and refuses any route that declares none (fail closed). Third-party routes
(allauth, the Django admin) get their rules from `THIRD_PARTY_RULES`, keyed by URL name. The
test `test_every_route_declares_an_access_rule` walks Django's URL resolver and fails on any
route without a rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from testimonia.accounts.roles import Capability

F = TypeVar("F", bound=Callable[..., Any])


class Kind(StrEnum):
    PUBLIC = "public"  # anyone, logged in or not
    AUTHENTICATED = "authenticated"  # any logged-in user
    STAFF = "staff"  # platform administrators (is_staff)
    WORKSPACE = "workspace"  # members of the workspace in the URL holding a capability
    API = "api"  # django-ninja enforces per operation (each declares its own rule)


@dataclass(frozen=True)
class Rule:
    kind: Kind
    capability: Capability | None = None

    def __str__(self) -> str:
        return f"{self.kind}:{self.capability}" if self.capability else str(self.kind)


PUBLIC = Rule(Kind.PUBLIC)
AUTHENTICATED = Rule(Kind.AUTHENTICATED)
STAFF = Rule(Kind.STAFF)
API = Rule(Kind.API)

ATTRIBUTE = "testimonia_access_rule"


def declare(rule: Rule) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        setattr(view, ATTRIBUTE, rule)
        return view

    return decorate


def public(view: F) -> F:
    return declare(PUBLIC)(view)


def authenticated(view: F) -> F:
    return declare(AUTHENTICATED)(view)


def staff_only(view: F) -> F:
    return declare(STAFF)(view)


def workspace_member(capability: Capability) -> Callable[[F], F]:
    """The URL carries `<slug:workspace>`; the user must hold `capability` there."""
    return declare(Rule(Kind.WORKSPACE, capability))


def rule_of(view: Callable[..., Any]) -> Rule | None:
    rule = getattr(view, ATTRIBUTE, None)
    if rule is None:
        # Class-based views: the rule sits on the class.
        view_class = getattr(view, "view_class", None) or getattr(view, "cls", None)
        rule = getattr(view_class, ATTRIBUTE, None)
    return rule if isinstance(rule, Rule) else None


# URL names of third-party routes and the rule that applies to them. allauth and the admin
# also check access themselves; these rules are enforced first, by the middleware.
_ALLAUTH_PUBLIC = {
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key",
    "account_reset_password_from_key_done",
    "account_inactive",
    "account_confirm_email",
    "account_email_verification_sent",
    "account_login_code_confirm",
    "account_request_login_code",
    "account_confirm_login_code",
    "account_reauthenticate",
    "mfa_authenticate",
    "mfa_reauthenticate",
    "mfa_trust",
}
_ALLAUTH_AUTHENTICATED = {
    "account_logout",
    "account_email",
    "account_change_password",
    "account_set_password",
    "mfa_index",
    "mfa_activate_totp",
    "mfa_deactivate_totp",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_download_recovery_codes",
}
THIRD_PARTY_RULES: dict[str, Rule] = {
    **{name: PUBLIC for name in _ALLAUTH_PUBLIC},
    **{name: AUTHENTICATED for name in _ALLAUTH_AUTHENTICATED},
    "set_language": PUBLIC,
    # django-ninja's API root only ever answers 404 (it exists so URLs can be reversed).
    "api-v1:api-root": PUBLIC,
}
# Whole namespaces whose views check access themselves and whose rule is fixed here.
THIRD_PARTY_NAMESPACES: dict[str, Rule] = {"admin": STAFF}
