"""The words the legal pages show for the catalogue's and the matrix's codes, in the reader's
language (the codes themselves stay in the data, the exports and the API)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from testimonia.legal.catalogue import Category, ElementKind
from testimonia.legal.matrix import ElementState, Strength, SupportKind

CATEGORIES: dict[str, Promise] = {
    Category.GEN: _("Genocide"),
    Category.CAH: _("Crimes against humanity"),
    Category.WC_GB: _("War crimes: grave breaches of the Geneva Conventions"),
    Category.WC_IAC: _("War crimes: other serious violations in international armed conflict"),
    Category.WC_CA3: _("War crimes: serious violations of common article 3"),
    Category.WC_NIAC: _("War crimes: other serious violations in non-international armed conflict"),
    Category.AGG: _("Crime of aggression"),
}

KINDS: dict[str, Promise] = {
    ElementKind.MATERIAL: _("material"),
    ElementKind.MENTAL: _("mental"),
    ElementKind.CONTEXTUAL: _("contextual"),
}

STATES: dict[str, Promise] = {
    ElementState.UNSUPPORTED: _("unsupported"),
    ElementState.WEAK: _("weak"),
    ElementState.SUPPORTED: _("supported"),
}

STRENGTHS: dict[str, Promise] = {
    Strength.NONE: _("none"),
    Strength.WEAK: _("weak"),
    Strength.MODERATE: _("moderate"),
    Strength.STRONG: _("strong"),
}

SUPPORT_KINDS: dict[str, Promise] = {
    SupportKind.ITEM: _("evidence item"),
    SupportKind.SOURCE: _("source"),
    SupportKind.INCIDENT: _("incident"),
    SupportKind.ACT: _("act"),
    SupportKind.PERSON: _("person"),
    SupportKind.ORGANISATION: _("unit"),
    SupportKind.INVOLVEMENT: _("involvement"),
    SupportKind.FINDING: _("finding"),
    SupportKind.INDICATORS: _("pattern indicators"),
}

STATUSES: dict[str, Promise] = {
    "candidate": _("candidate"),
    "accepted": _("accepted"),
    "rejected": _("rejected"),
}


def label(table: dict[str, Promise], code: str | None) -> str:
    """The word for a code; the code itself when the table does not know it."""
    if code is None:
        return ""
    found = table.get(code)
    return str(found) if found is not None else code
