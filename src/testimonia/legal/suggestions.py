"""Suggestions that never decide: candidate crimes for an act, from its type and context.

The rules are data (legal/data/suggestions.json, described in docs/legal.md): each names act
types, optional conditions on the victims (a civilian, a child), and the crimes it proposes.
The armed-conflict context comes from the incident's tags (`conflict:international`,
`conflict:non-international`, `conflict:none`): war crimes are proposed only for a conflict
the incident may belong to.

`candidates(context)` is pure; `suggest(actor, act)` reads the act's context and stores each
candidate as a Qualification (status candidate, origin suggestion) with the reasons that
matched. Running it again creates nothing already proposed, and never revives what a legal
officer rejected.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from testimonia.accounts.models import User
from testimonia.incidents.models import CHILD_AGE, Act
from testimonia.legal import catalogue, services
from testimonia.legal.catalogue import Category
from testimonia.legal.models import Qualification

DATA = Path(__file__).parent / "data" / "suggestions.json"
ACT_TYPES = Path(__file__).parent.parent / "incidents" / "data" / "act_types.json"
CONFLICT_TAG_PREFIX = "conflict:"


class SuggestionRulesError(ValueError):
    """The rules file is malformed; the message names the rule and the problem."""


class Conflict(StrEnum):
    INTERNATIONAL = "international"
    NON_INTERNATIONAL = "non-international"
    NONE = "none"


# Which war crimes need which armed conflict; other categories need none.
CONFLICT_OF_CATEGORY = {
    Category.WC_GB: Conflict.INTERNATIONAL,
    Category.WC_IAC: Conflict.INTERNATIONAL,
    Category.WC_CA3: Conflict.NON_INTERNATIONAL,
    Category.WC_NIAC: Conflict.NON_INTERNATIONAL,
}


@dataclass(frozen=True)
class Proposal:
    crime: str
    why: str | None = None  # what else must be shown for this crime


@dataclass(frozen=True)
class Rule:
    id: str
    act_types: frozenset[str]
    why: str
    crimes: tuple[Proposal, ...]
    narrower: bool = True  # also match the narrower act types under those listed
    victim_status: frozenset[str] = frozenset()  # any victim with one of these statuses
    child_victim: bool = False  # a victim under 18


@dataclass(frozen=True)
class RuleBook:
    version: str
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Context:
    """What the rules look at, as plain values."""

    act_type: str
    broader: tuple[str, ...] = ()  # the act types above it, nearest first
    victim_statuses: frozenset[str] = frozenset()
    child_victim: bool = False
    conflicts: frozenset[Conflict] = frozenset()  # empty: not recorded

    def as_dict(self) -> dict[str, Any]:
        return {
            "act_type": self.act_type,
            "broader": list(self.broader),
            "victim_statuses": sorted(self.victim_statuses),
            "child_victim": self.child_victim,
            "conflicts": sorted(str(c) for c in self.conflicts),
        }


@dataclass(frozen=True)
class Candidate:
    crime: str
    rules: tuple[str, ...]  # every rule that proposed it, in file order
    reasons: tuple[str, ...]  # why each rule matched, and what else the crime needs
    conflict_note: str | None = None

    @property
    def rule(self) -> str:
        return self.rules[0]


# ---------------------------------------------------------------------------------------------
# Rules


def _act_type_codes(path: Path = ACT_TYPES) -> frozenset[str]:
    with path.open(encoding="utf-8") as handle:
        return frozenset(t["code"] for t in json.load(handle)["terms"])


def load_rules(path: Path = DATA, act_types: frozenset[str] | None = None) -> RuleBook:
    """Read and check the rules: every act type and crime must exist, every id be unique."""
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, json.JSONDecodeError) as exc:
        raise SuggestionRulesError(f"{path.name}: cannot be read: {exc}") from None
    if data.get("catalogue_version") != catalogue.CATALOGUE_VERSION:
        raise SuggestionRulesError(
            f"{path.name}: written for catalogue version {data.get('catalogue_version')!r}, "
            f"the catalogue is {catalogue.CATALOGUE_VERSION!r}: check the rules and update both"
        )
    known_types = act_types if act_types is not None else _act_type_codes()
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(data.get("rules", [])):
        where = f"{path.name}: rules[{index}] ({raw.get('id', '?')})"
        rule_id = raw.get("id")
        if not isinstance(rule_id, str) or not rule_id or rule_id in seen:
            raise SuggestionRulesError(f"{where}: 'id' must be a new non-empty string")
        seen.add(rule_id)
        codes = raw.get("act_types") or []
        unknown = [c for c in codes if c not in known_types]
        if not codes or unknown:
            raise SuggestionRulesError(f"{where}: unknown or missing act types {unknown}")
        proposals = []
        for entry in raw.get("crimes") or []:
            crime_ref, why = (
                (entry, None) if isinstance(entry, str) else (entry["crime"], entry.get("why"))
            )
            try:
                crime = catalogue.crime(crime_ref)
            except catalogue.UnknownEntry as exc:
                raise SuggestionRulesError(f"{where}: {exc}") from None
            proposals.append(Proposal(crime.id, why))
        if not proposals:
            raise SuggestionRulesError(f"{where}: proposes no crime")
        if not isinstance(raw.get("why"), str) or not raw["why"].strip():
            raise SuggestionRulesError(f"{where}: 'why' must say what the rule recognises")
        rules.append(
            Rule(
                id=rule_id,
                act_types=frozenset(codes),
                why=raw["why"],
                crimes=tuple(proposals),
                narrower=bool(raw.get("narrower", True)),
                victim_status=frozenset(raw.get("victim_status") or ()),
                child_victim=bool(raw.get("child_victim", False)),
            )
        )
    return RuleBook(version=str(data.get("version")), rules=tuple(rules))


@functools.cache
def rule_book() -> RuleBook:
    return load_rules()


# ---------------------------------------------------------------------------------------------
# Matching (pure)


def _matches(rule: Rule, context: Context) -> list[str]:
    """Why the rule matches the context, clause by clause; empty when it does not."""
    reasons: list[str] = []
    if context.act_type in rule.act_types:
        reasons.append(_("the act's type is %(type)s") % {"type": context.act_type})
    elif rule.narrower and (broader := [c for c in context.broader if c in rule.act_types]):
        reasons.append(
            _("the act's type is %(type)s, a kind of %(broader)s")
            % {"type": context.act_type, "broader": broader[0]}
        )
    else:
        return []
    if rule.victim_status:
        statuses = sorted(rule.victim_status & context.victim_statuses)
        if not statuses:
            return []
        reasons.append(_("a victim is recorded as %(status)s") % {"status": " / ".join(statuses)})
    if rule.child_victim:
        if not context.child_victim:
            return []
        reasons.append(_("a victim was under 18"))
    return reasons


def _conflict_allows(crime: catalogue.Crime, context: Context) -> bool:
    needed = CONFLICT_OF_CATEGORY.get(crime.category)
    return needed is None or not context.conflicts or needed in context.conflicts


def candidates(context: Context, book: RuleBook | None = None) -> list[Candidate]:
    """The crimes the rules propose for this context, each with the rules and reasons that
    proposed it, in the order the rules first name them."""
    book = book or rule_book()
    found: dict[str, dict[str, Any]] = {}
    for rule in book.rules:
        clauses = _matches(rule, context)
        if not clauses:
            continue
        matched = _("Rule %(rule)s (%(why)s): %(clauses)s.") % {
            "rule": rule.id,
            "why": rule.why.rstrip("."),
            "clauses": "; ".join(clauses),
        }
        for proposal in rule.crimes:
            crime = catalogue.crime(proposal.crime)
            if not _conflict_allows(crime, context):
                continue
            entry = found.setdefault(crime.id, {"rules": [], "reasons": []})
            entry["rules"].append(rule.id)
            entry["reasons"].append(matched)
            if proposal.why:
                entry["reasons"].append(proposal.why)
    return [
        Candidate(
            crime=crime_id,
            rules=tuple(entry["rules"]),
            reasons=tuple(dict.fromkeys(entry["reasons"])),
            conflict_note=_conflict_note(catalogue.crime(crime_id), context),
        )
        for crime_id, entry in found.items()
    ]


def _conflict_note(crime: catalogue.Crime, context: Context) -> str | None:
    needed = CONFLICT_OF_CATEGORY.get(crime.category)
    if needed is None:
        return None
    if not context.conflicts:
        return _(
            "The incident records no armed-conflict context (no conflict: tag), so war crimes "
            "of both international and non-international armed conflict are proposed; the "
            "nexus element decides."
        )
    return _("The incident is tagged conflict:%(conflict)s.") % {"conflict": needed.value}


def reasoning_of(candidate: Candidate, crime: catalogue.Crime, book_version: str) -> str:
    lines = [
        _("Suggested for %(article)s %(name)s by the suggestion rules (version %(version)s).")
        % {"article": crime.article, "name": crime.name, "version": book_version},
        *candidate.reasons,
    ]
    if candidate.conflict_note:
        lines.append(candidate.conflict_note)
    lines.append(
        _("A suggestion decides nothing: a legal officer accepts or rejects it, with reasons.")
    )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# From the database


def context_of(act: Act) -> Context:
    """The context of an act: its type and the broader types, its victims' statuses and
    ages, the incident's conflict tags."""
    broader: list[str] = []
    term = act.act_type.parent
    while term is not None and term.code not in broader:
        broader.append(term.code)
        term = term.parent
    statuses: set[str] = set()
    child = False
    for victim in act.victimisations.select_related("person"):
        statuses.add(victim.person.status)
        if victim.age_at_time is not None:
            child = child or victim.age_at_time < CHILD_AGE
        elif victim.person.is_child:
            child = True
    conflicts: set[Conflict] = set()
    for name in act.incident.tags.values_list("name", flat=True):
        value = name.strip().lower()
        if value.startswith(CONFLICT_TAG_PREFIX):
            try:
                conflicts.add(Conflict(value.removeprefix(CONFLICT_TAG_PREFIX).strip()))
            except ValueError:
                continue
    return Context(
        act_type=act.act_type.code,
        broader=tuple(broader),
        victim_statuses=frozenset(statuses),
        child_victim=child,
        conflicts=frozenset(conflicts),
    )


@dataclass(frozen=True)
class SuggestionResult:
    context: Context  # what the rules looked at
    created: Sequence[Qualification] = field(default_factory=tuple)  # new candidates
    existing: Sequence[Qualification] = field(default_factory=tuple)  # proposed or decided before


def suggest(actor: User | None, act: Act) -> SuggestionResult:
    """Store the candidates for an act as qualifications (candidate, suggested) with their
    reasons; those already recorded for the act, whatever their status, are left as they are.
    The actor (who asks for the suggestions) must be allowed to qualify."""
    services.require_qualifier(actor, act.incident.workspace)
    book = rule_book()
    context = context_of(act)
    created: list[Qualification] = []
    existing: list[Qualification] = []
    for candidate in candidates(context, book):
        crime = catalogue.crime(candidate.crime)
        try:
            created.append(
                services.qualify(
                    actor,
                    act,
                    crime.id,
                    reasoning_of(candidate, crime, book.version),
                    origin=Qualification.Origin.SUGGESTION,
                    rule=candidate.rule,
                )
            )
        except services.QualificationConflict:
            found = services.existing_qualification(act, crime.id)
            if found is not None:
                existing.append(found)
    return SuggestionResult(context, tuple(created), tuple(existing))
