"""The scorecard: for each actor and each theme, how many of the recommendations addressed to
it stand at each status, the share implemented, how many are overdue, and the last change;
the same figures per theme across all actors (the theme indicators) and in total.

The unit counted is a recommendation addressed to one actor: a recommendation to three states
counts once in each state's figures and three times in its theme's. Figures are as of a day
(default today): the status on that day (roadmap/status.py), recommendations issued after it
left out. `share_implemented` is null where nothing was counted.

`Scope.PUBLISHED` counts only published recommendations: the figures the public portal shows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db.models import Q
from django.utils import timezone

from testimonia.accounts.models import Workspace
from testimonia.roadmap import status as rules
from testimonia.roadmap.models import Actor, Recommendation, Theme
from testimonia.roadmap.records import addressees_by_recommendation, changes_by_recommendation

UNIT = "recommendation x addressee"


class Scope(StrEnum):
    ALL = "all"
    PUBLISHED = "published"


@dataclass
class Figures:
    count: int = 0
    by_status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(rules.STATUSES, 0))
    overdue: int = 0
    last_change: dt.date | None = None

    def add(self, standing: rules.Standing) -> None:
        self.count += 1
        self.by_status[standing.status] += 1
        self.overdue += int(standing.overdue)
        if standing.since is not None and (
            self.last_change is None or standing.since > self.last_change
        ):
            self.last_change = standing.since

    @property
    def implemented(self) -> int:
        return self.by_status[rules.IMPLEMENTED]

    @property
    def share_implemented(self) -> float | None:
        return rules.share(self.implemented, self.count)

    def as_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "by_status": dict(self.by_status),
            "implemented": self.implemented,
            "share_implemented": self.share_implemented,
            "overdue": self.overdue,
            "last_change": self.last_change.isoformat() if self.last_change else None,
        }


@dataclass
class ActorCard:
    actor: Actor
    totals: Figures = field(default_factory=Figures)
    themes: dict[int | None, Figures] = field(default_factory=lambda: defaultdict(Figures))

    def cell(self, theme: int | None) -> Figures | None:
        return self.themes.get(theme)


@dataclass
class Scorecard:
    workspace: Workspace
    as_of: dt.date
    scope: Scope
    actors: list[ActorCard]
    themes: list[Theme]  # the themes with anything counted, in their order
    has_unthemed: bool  # some recommendations have no theme (column None)
    theme_totals: dict[int | None, Figures]
    totals: Figures

    def columns(self) -> list[Theme | None]:
        return [*self.themes, *([None] if self.has_unthemed else [])]

    def as_dict(self) -> dict[str, Any]:
        codes: dict[int | None, str | None] = {t.pk: t.code for t in self.themes}
        codes[None] = None

        def per_theme(cells: dict[int | None, Figures]) -> list[dict[str, Any]]:
            return [
                {"theme": codes[key], **cells[key].as_dict()}
                for key in [*(t.pk for t in self.themes), None]
                if key in cells
            ]

        return {
            "workspace": self.workspace.slug,
            "as_of": self.as_of.isoformat(),
            "scope": str(self.scope),
            "unit": UNIT,
            "statuses": list(rules.STATUSES),
            "themes": [{"code": t.code, "label": t.label} for t in self.themes],
            "actors": [
                {
                    "id": card.actor.pk,
                    "name": card.actor.name,
                    "kind": card.actor.kind,
                    "country_code": card.actor.country_code,
                    **card.totals.as_dict(),
                    "themes": per_theme(card.themes),
                }
                for card in self.actors
            ],
            "theme_totals": per_theme(self.theme_totals),
            "totals": self.totals.as_dict(),
        }


def compute_scorecard(
    workspace: Workspace, *, as_of: dt.date | None = None, scope: Scope = Scope.ALL
) -> Scorecard:
    day = as_of or timezone.localdate()
    recs = Recommendation.objects.filter(workspace=workspace).filter(
        Q(issued_on__isnull=True) | Q(issued_on__lte=day)
    )
    if scope is Scope.PUBLISHED:
        recs = recs.filter(published=True)
    deadlines = dict(recs.values_list("pk", "deadline"))
    ids = list(deadlines)
    changes = changes_by_recommendation(ids)
    addressees = addressees_by_recommendation(ids)
    themes_of: dict[int, list[int | None]] = defaultdict(list)
    for rec, theme in Recommendation.themes.through.objects.filter(
        recommendation_id__in=ids
    ).values_list("recommendation_id", "theme_id"):
        themes_of[rec].append(theme)

    cards: dict[int, ActorCard] = {}
    actors = {a.pk: a for a in Actor.objects.filter(workspace=workspace)}
    theme_totals: dict[int | None, Figures] = defaultdict(Figures)
    totals = Figures()
    for rec in ids:
        for actor in addressees.get(rec, []):
            standing = rules.standing(changes.get(rec, []), actor, deadlines[rec], day)
            card = cards.setdefault(actor, ActorCard(actors[actor]))
            card.totals.add(standing)
            totals.add(standing)
            column: int | None
            for column in themes_of.get(rec) or [None]:
                card.themes[column].add(standing)
                theme_totals[column].add(standing)
    used = list(Theme.objects.filter(pk__in=[k for k in theme_totals if k is not None]))
    ordered = sorted(cards.values(), key=lambda c: (c.actor.name.casefold(), c.actor.pk))
    return Scorecard(
        workspace=workspace,
        as_of=day,
        scope=scope,
        actors=ordered,
        themes=sorted(used, key=lambda t: (t.position, t.code)),
        has_unthemed=None in theme_totals,
        theme_totals=dict(theme_totals),
        totals=totals,
    )
