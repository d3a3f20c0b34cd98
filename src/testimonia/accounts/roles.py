"""Roles and the capabilities each one grants: the declared access policy.

The access-rule tests read this table and check every route against it, so changing who may
do what is a change here, reviewed in one place.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    INVESTIGATOR = "investigator", _("Investigator")
    ANALYST = "analyst", _("Analyst")
    LEGAL_OFFICER = "legal_officer", _("Legal officer")
    PROTECTION_OFFICER = "protection_officer", _("Protection officer")
    REVIEWER = "reviewer", _("Reviewer")
    ADMINISTRATOR = "administrator", _("Administrator")


class Capability(StrEnum):
    VIEW_WORKSPACE = "view_workspace"
    VIEW_EVIDENCE = "view_evidence"
    ADD_EVIDENCE = "add_evidence"
    EXPORT_EVIDENCE = "export_evidence"
    PLACE_LEGAL_HOLD = "place_legal_hold"
    REQUEST_DELETION = "request_deletion"
    DECIDE_DELETION = "decide_deletion"
    VIEW_RECORDS = "view_records"
    EDIT_RECORDS = "edit_records"
    QUALIFY = "qualify"
    VIEW_CASES = "view_cases"
    BUILD_CASES = "build_cases"
    VIEW_JOBS = "view_jobs"
    MANAGE_MEMBERS = "manage_members"
    VIEW_WITNESSES = "view_witnesses"
    RECORD_TESTIMONY = "record_testimony"
    PROTECT_WITNESSES = "protect_witnesses"
    REVEAL_IDENTITY = "reveal_identity"
    EDIT_ROADMAP = "edit_roadmap"
    REDACT = "redact"


_INTERNAL = frozenset(
    {
        Role.INVESTIGATOR,
        Role.ANALYST,
        Role.LEGAL_OFFICER,
        Role.PROTECTION_OFFICER,
        Role.ADMINISTRATOR,
    }
)

# Reviewers are external: they see only what was disclosed to their mechanism (cases app),
# never the vault or the working records of the workspace.
POLICY: dict[Capability, frozenset[Role]] = {
    Capability.VIEW_WORKSPACE: frozenset(Role),
    Capability.VIEW_EVIDENCE: _INTERNAL,
    Capability.ADD_EVIDENCE: frozenset({Role.INVESTIGATOR, Role.ADMINISTRATOR}),
    # Exports leave the vault for a mechanism or a partner: the people who prepare them.
    Capability.EXPORT_EVIDENCE: frozenset(
        {Role.INVESTIGATOR, Role.LEGAL_OFFICER, Role.ADMINISTRATOR}
    ),
    # Holds follow litigation: the lawyers and the administrator place and release them.
    Capability.PLACE_LEGAL_HOLD: frozenset({Role.LEGAL_OFFICER, Role.ADMINISTRATOR}),
    Capability.REQUEST_DELETION: frozenset(
        {Role.INVESTIGATOR, Role.LEGAL_OFFICER, Role.ADMINISTRATOR}
    ),
    # A deletion is decided by an administrator other than the requester (preservation.py).
    Capability.DECIDE_DELETION: frozenset({Role.ADMINISTRATOR}),
    Capability.VIEW_RECORDS: _INTERNAL,
    Capability.EDIT_RECORDS: frozenset({Role.INVESTIGATOR, Role.ANALYST, Role.ADMINISTRATOR}),
    # Legal qualification (crimes, elements, suspects' liability) is the lawyers' judgement;
    # every internal role reads it (VIEW_RECORDS).
    Capability.QUALIFY: frozenset({Role.LEGAL_OFFICER, Role.ADMINISTRATOR}),
    Capability.VIEW_CASES: frozenset({*_INTERNAL, Role.REVIEWER}),
    # Dossiers and disclosures (cases app, docs/cases.md): the lawyers build cases and send
    # them to mechanisms. A reviewer (VIEW_CASES) sees only the cases whose team names them,
    # and there only the disclosures to their mechanism (cases/dossiers.py).
    Capability.BUILD_CASES: frozenset({Role.LEGAL_OFFICER, Role.ADMINISTRATOR}),
    Capability.VIEW_JOBS: _INTERNAL,
    Capability.MANAGE_MEMBERS: frozenset({Role.ADMINISTRATOR}),
    # Witnesses (cases app, docs/witnesses.md): every internal role works with pseudonyms,
    # risk levels and consent. Investigators take testimonies and consent at intake (they type
    # the identity once, then see the pseudonym like everyone else); protection officers do
    # too, assess risk and set protection measures, and are the only ones who may see or
    # correct an identity: not even administrators.
    Capability.VIEW_WITNESSES: _INTERNAL,
    Capability.RECORD_TESTIMONY: frozenset({Role.INVESTIGATOR, Role.PROTECTION_OFFICER}),
    Capability.PROTECT_WITNESSES: frozenset({Role.PROTECTION_OFFICER}),
    Capability.REVEAL_IDENTITY: frozenset({Role.PROTECTION_OFFICER}),
    # The roadmap for justice (roadmap app, docs/roadmap.md): every internal role reads it
    # (VIEW_RECORDS); the analysts and lawyers who follow states' implementation record it.
    Capability.EDIT_ROADMAP: frozenset({Role.ANALYST, Role.LEGAL_OFFICER, Role.ADMINISTRATOR}),
    # Redacted copies of testimonies and documents (cases/redaction.py) are prepared for
    # disclosure by the people who answer for it: protection officers and the lawyers.
    Capability.REDACT: frozenset({Role.PROTECTION_OFFICER, Role.LEGAL_OFFICER, Role.ADMINISTRATOR}),
}


def roles_with(capability: Capability) -> frozenset[Role]:
    return POLICY[capability]


def grants(roles: frozenset[str] | set[str], capability: Capability) -> bool:
    return any(role in POLICY[capability] for role in roles)
