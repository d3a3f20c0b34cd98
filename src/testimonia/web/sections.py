"""The product map as navigation: every capability of DESIGN.md, and whether it is built yet."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from testimonia.accounts.roles import Capability


@dataclass(frozen=True)
class Section:
    key: str
    title: Promise
    summary: Promise
    url_name: str | None  # None: not built yet, shown as such
    capability: Capability


SECTIONS: tuple[Section, ...] = (
    Section(
        "evidence",
        _("Evidence vault"),
        _("Files, archives and web captures, stored once with their hashes."),
        "web:evidence",
        Capability.VIEW_EVIDENCE,
    ),
    Section(
        "custody",
        _("Chain of custody"),
        _("An append-only, verifiable log of every action on evidence."),
        "web:custody",
        Capability.VIEW_EVIDENCE,
    ),
    Section(
        "incidents",
        _("Incidents"),
        _("Who did what to whom, where and when."),
        "web:incidents",
        Capability.VIEW_RECORDS,
    ),
    Section(
        "legal",
        _("Legal analysis"),
        _("Rome Statute crimes, their elements and the case matrix."),
        "web:legal",
        Capability.VIEW_RECORDS,
    ),
    Section(
        "casualties",
        _("Casualties"),
        _("Victim lists, record linkage and estimates of the undocumented total."),
        None,
        Capability.VIEW_RECORDS,
    ),
    Section(
        "cases",
        _("Cases"),
        _("Dossiers for justice mechanisms, disclosure and exports."),
        "web:cases",
        Capability.VIEW_CASES,
    ),
    Section(
        "witnesses",
        _("Witnesses"),
        _("Testimonies under pseudonyms, consent, protection and redaction."),
        "web:witnesses",
        Capability.VIEW_WITNESSES,
    ),
    Section(
        "reparations",
        _("Reparations"),
        _("Claimants, harms and claims for registers of damage."),
        None,
        Capability.VIEW_RECORDS,
    ),
    Section(
        "roadmap",
        _("Roadmap for justice"),
        _("Recommendations to states and bodies, and what they did about them."),
        "web:roadmap",
        Capability.VIEW_RECORDS,
    ),
    Section(
        "jobs",
        _("Background jobs"),
        _("Work running in the background, with its progress."),
        "web:jobs",
        Capability.VIEW_JOBS,
    ),
)

SECTIONS_BY_KEY = {section.key: section for section in SECTIONS}
