"""Roadmap actions: record actors, sources, themes and recommendations, the commitments made in
response and the status of their implementation over time.

Every action takes `user`, the person who acts (the "actor" of the project's conventions; in
this app an Actor is the addressee of a recommendation). A user must hold EDIT_ROADMAP in the
workspace (analysts, legal officers, administrators); None is the system itself (the command
line without --as, the demo), which acts with the server's authority. Views, the API, the CLI
and the importer call these and nothing else to change the roadmap.

Status changes are never edited or deleted: a mistake is corrected by a later change. For the
same reason a recommendation with a status history cannot be deleted, and an actor, a source
or a theme still in use cannot be either.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from testimonia.accounts.exceptions import WorkspaceAccessDenied
from testimonia.accounts.models import User, Workspace
from testimonia.accounts.roles import Capability, grants
from testimonia.accounts.services import membership_roles
from testimonia.evidence.models import Item
from testimonia.roadmap import status as rules
from testimonia.roadmap.exceptions import RoadmapConflict, RoadmapError
from testimonia.roadmap.models import (
    Actor,
    Commitment,
    Recommendation,
    Source,
    Status,
    StatusChange,
    Theme,
)
from testimonia.roadmap.themes import code_for, language_of

M = TypeVar("M", bound=models.Model)

MAX_TEXT = 20_000  # a recommendation, a note or a commitment: a long paragraph, not a dump


# ---------------------------------------------------------------------------------------------
# Checks


def may_edit(user: User | None, workspace: Workspace) -> bool:
    return user is None or grants(membership_roles(user, workspace.slug), Capability.EDIT_ROADMAP)


def require_editor(user: User | None, workspace: Workspace) -> None:
    if not may_edit(user, workspace):
        raise WorkspaceAccessDenied(Capability.EDIT_ROADMAP)


def _text(value: str | None, what: str, *, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise RoadmapError(_("give the %(what)s") % {"what": what})
    if len(text) > MAX_TEXT:
        raise RoadmapError(
            _("the %(what)s is longer than %(max)s characters") % {"what": what, "max": MAX_TEXT}
        )
    return text


def _checked(record: M, *, exclude: Sequence[str] = ()) -> M:
    """Validate the record's fields (choices, lengths, formats, constraints) and say what is
    wrong in one message."""
    try:
        record.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=True)
    except ValidationError as exc:
        problems = []
        for field, messages in exc.message_dict.items():
            for message in messages:
                problems.append(message if field == "__all__" else f"{field}: {message}")
        raise RoadmapError("; ".join(problems)) from None
    return record


def _save(record: M, conflict: str) -> M:
    """Save, turning a unique constraint that fires (two requests racing, or a value already
    taken) into a conflict whose message is `conflict`."""
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        raise RoadmapConflict(conflict) from None
    return record


def _same_workspace(workspace: Workspace, records: Iterable[Any], message: str) -> None:
    """Refuse records of another workspace; `message` says which (a whole sentence, so that
    it translates as one)."""
    for record in records:
        if record is not None and record.workspace_id != workspace.pk:
            raise RoadmapError(message)


def _themes_usable(workspace: Workspace, themes: Iterable[Theme]) -> None:
    for theme in themes:
        if theme.workspace_id not in (None, workspace.pk):
            raise RoadmapError(_("the theme belongs to another workspace"))


# ---------------------------------------------------------------------------------------------
# Actors


def _actor_fields(actor: Actor, changes: dict[str, Any]) -> Actor:
    if "name" in changes:
        actor.name = _text(changes["name"], _("name"), required=True)[:200]
    if "kind" in changes:
        actor.kind = changes["kind"] or Actor.Kind.OTHER
    if "country_code" in changes:
        actor.country_code = (changes["country_code"] or "").strip().upper()
    if "description" in changes:
        actor.description = _text(changes["description"], _("description"))
    if actor.country_code and actor.kind != Actor.Kind.STATE:
        raise RoadmapError(_("only a state has a country code"))
    return _checked(actor, exclude=["workspace"])


def _actor_conflict(actor: Actor) -> str:
    return _("an actor named %(name)r or with the country code %(code)r already exists") % {
        "name": actor.name,
        "code": actor.country_code,
    }


def create_actor(
    user: User | None,
    workspace: Workspace,
    *,
    name: str,
    kind: str = Actor.Kind.OTHER,
    country_code: str = "",
    description: str = "",
) -> Actor:
    require_editor(user, workspace)
    actor = _actor_fields(
        Actor(workspace=workspace),
        {"name": name, "kind": kind, "country_code": country_code, "description": description},
    )
    return _save(actor, _actor_conflict(actor))


def update_actor(user: User | None, actor: Actor, **changes: Any) -> Actor:
    require_editor(user, actor.workspace)
    _actor_fields(actor, changes)
    return _save(actor, _actor_conflict(actor))


def delete_actor(user: User | None, actor: Actor) -> None:
    require_editor(user, actor.workspace)
    with transaction.atomic():
        # Locked so that no recommendation is addressed to it between the check and the delete.
        locked = Actor.objects.select_for_update().get(pk=actor.pk)
        if locked.recommendations.exists() or locked.commitments.exists():
            raise RoadmapConflict(
                _("%(name)s is the addressee of recommendations: it cannot be deleted")
                % {"name": actor.name}
            )
        locked.delete()


# ---------------------------------------------------------------------------------------------
# Sources


def _source_fields(source: Source, changes: dict[str, Any]) -> Source:
    if "title" in changes:
        source.title = _text(changes["title"], _("title"), required=True)[:500]
    if "kind" in changes:
        source.kind = changes["kind"] or Source.Kind.OTHER
    for name in ("reference", "issuer", "url"):
        if name in changes:
            setattr(source, name, (changes[name] or "").strip())
    if "issued_on" in changes:
        source.issued_on = changes["issued_on"]
    return _checked(source, exclude=["workspace"])


def create_source(
    user: User | None,
    workspace: Workspace,
    *,
    title: str,
    kind: str = Source.Kind.OTHER,
    reference: str = "",
    issuer: str = "",
    issued_on: dt.date | None = None,
    url: str = "",
) -> Source:
    require_editor(user, workspace)
    source = _source_fields(
        Source(workspace=workspace),
        {
            "title": title,
            "kind": kind,
            "reference": reference,
            "issuer": issuer,
            "issued_on": issued_on,
            "url": url,
        },
    )
    return _save(
        source, _("a source with the reference %(ref)r already exists") % {"ref": reference}
    )


def update_source(user: User | None, source: Source, **changes: Any) -> Source:
    require_editor(user, source.workspace)
    _source_fields(source, changes)
    return _save(
        source,
        _("a source with the reference %(ref)r already exists") % {"ref": source.reference},
    )


def delete_source(user: User | None, source: Source) -> None:
    require_editor(user, source.workspace)
    with transaction.atomic():
        # Locked so that nothing starts citing it between the check and the delete.
        locked = Source.objects.select_for_update().get(pk=source.pk)
        if (
            locked.recommendations.exists()
            or locked.status_changes.exists()
            or locked.commitments.exists()
        ):
            raise RoadmapConflict(
                _("the source is cited by the roadmap: it cannot be deleted; correct it instead")
            )
        locked.delete()


# ---------------------------------------------------------------------------------------------
# Themes


def create_theme(user: User | None, workspace: Workspace, label: str, *, code: str = "") -> Theme:
    """A theme of this workspace, labelled in the language its label is written in."""
    require_editor(user, workspace)
    label = _text(label, _("label"), required=True)[:200]
    code = code or code_for(label)
    if not code:
        raise RoadmapError(
            _("the theme %(label)r has no letters to make a code of") % {"label": label}
        )
    if Theme.objects.filter(workspace=None, code=code).exists():
        raise RoadmapConflict(_("the theme %(code)r already exists") % {"code": code})
    theme = _checked(
        Theme(workspace=workspace, code=code, labels={language_of(label): label}),
        exclude=["workspace"],
    )
    theme.position = 1000 + Theme.objects.filter(workspace=workspace).count()
    return _save(theme, _("the theme %(code)r already exists") % {"code": code})


# ---------------------------------------------------------------------------------------------
# Recommendations


def _dates(issued_on: dt.date | None, deadline: dt.date | None) -> None:
    if issued_on and deadline and deadline < issued_on:
        raise RoadmapError(
            _("the deadline (%(deadline)s) is before the date (%(date)s)")
            % {"deadline": deadline.isoformat(), "date": issued_on.isoformat()}
        )


def create_recommendation(
    user: User | None,
    workspace: Workspace,
    *,
    text: str,
    addressees: Sequence[Actor],
    themes: Sequence[Theme] = (),
    source: Source | None = None,
    kind: str = Recommendation.Kind.RECOMMENDATION,
    paragraph: str = "",
    issued_on: dt.date | None = None,
    deadline: dt.date | None = None,
    published: bool = False,
    notes: str = "",
) -> Recommendation:
    require_editor(user, workspace)
    if not addressees:
        raise RoadmapError(_("name at least one addressee"))
    _same_workspace(workspace, addressees, _("an addressee belongs to another workspace"))
    _same_workspace(workspace, [source], _("the source belongs to another workspace"))
    _themes_usable(workspace, themes)
    _dates(issued_on, deadline)
    recommendation = _checked(
        Recommendation(
            workspace=workspace,
            kind=kind or Recommendation.Kind.RECOMMENDATION,
            text=_text(text, _("text"), required=True),
            paragraph=(paragraph or "").strip()[:100],
            source=source,
            issued_on=issued_on,
            deadline=deadline,
            published=published,
            notes=_text(notes, _("notes")),
            created_by=user,
        ),
        exclude=["workspace", "source", "created_by"],
    )
    with transaction.atomic():
        recommendation.save()
        recommendation.addressees.set(addressees)
        recommendation.themes.set(themes)
    return recommendation


def update_recommendation(
    user: User | None, recommendation: Recommendation, **changes: Any
) -> Recommendation:
    """Change the fields given; `addressees` and `themes`, when given, replace the lists."""
    workspace = recommendation.workspace
    require_editor(user, workspace)
    addressees = changes.pop("addressees", None)
    themes = changes.pop("themes", None)
    if "kind" in changes:
        recommendation.kind = changes.pop("kind") or Recommendation.Kind.RECOMMENDATION
    for name in ("issued_on", "deadline", "published", "source"):
        if name in changes:
            setattr(recommendation, name, changes.pop(name))
    if "text" in changes:
        recommendation.text = _text(changes.pop("text"), _("text"), required=True)
    if "paragraph" in changes:
        recommendation.paragraph = (changes.pop("paragraph") or "").strip()[:100]
    if "notes" in changes:
        recommendation.notes = _text(changes.pop("notes"), _("notes"))
    if changes:
        raise RoadmapError(_("unknown fields: %(names)s") % {"names": ", ".join(changes)})
    _same_workspace(
        workspace, [recommendation.source], _("the source belongs to another workspace")
    )
    _dates(recommendation.issued_on, recommendation.deadline)
    _checked(recommendation, exclude=["workspace", "source", "created_by"])
    with transaction.atomic():
        if addressees is not None:
            if not addressees:
                raise RoadmapError(_("name at least one addressee"))
            _same_workspace(workspace, addressees, _("an addressee belongs to another workspace"))
            kept = {a.pk for a in addressees}
            # An addressee whose own status or commitments are on record stays: the history
            # would otherwise be about someone the recommendation no longer names.
            dropped_with_history = (
                StatusChange.objects.filter(recommendation=recommendation, actor__isnull=False)
                .exclude(actor__in=kept)
                .exists()
                or Commitment.objects.filter(recommendation=recommendation)
                .exclude(actor__in=kept)
                .exists()
            )
            if dropped_with_history:
                raise RoadmapConflict(
                    _(
                        "an addressee you removed has a status or a commitment on record: "
                        "keep it among the addressees"
                    )
                )
            recommendation.addressees.set(addressees)
        if themes is not None:
            _themes_usable(workspace, themes)
            recommendation.themes.set(themes)
        recommendation.save()
    return recommendation


def delete_recommendation(user: User | None, recommendation: Recommendation) -> None:
    require_editor(user, recommendation.workspace)
    with transaction.atomic():
        # Locked so that no status is recorded between the check and the delete.
        locked = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
        if locked.status_changes.exists() or locked.commitments.exists():
            raise RoadmapConflict(
                _(
                    "the recommendation has a status history or commitments on record: it "
                    "cannot be deleted (unpublish it instead)"
                )
            )
        locked.addressees.clear()
        locked.themes.clear()
        locked.delete()


# ---------------------------------------------------------------------------------------------
# Commitments and status


def _addressee(recommendation: Recommendation, actor: Actor | None) -> None:
    if actor is not None and not recommendation.addressees.filter(pk=actor.pk).exists():
        raise RoadmapError(
            _("%(name)s is not an addressee of this recommendation") % {"name": actor.name}
        )


def _not_future(date: dt.date, what: str) -> None:
    if date > timezone.localdate():
        raise RoadmapError(
            _("the %(what)s (%(date)s) is in the future") % {"what": what, "date": date}
        )


def record_commitment(
    user: User | None,
    recommendation: Recommendation,
    *,
    actor: Actor,
    text: str,
    made_on: dt.date,
    source: Source | None = None,
) -> Commitment:
    workspace = recommendation.workspace
    require_editor(user, workspace)
    _same_workspace(workspace, [source], _("the source belongs to another workspace"))
    _addressee(recommendation, actor)
    _not_future(made_on, _("date of the commitment"))
    return Commitment.objects.create(
        recommendation=recommendation,
        actor=actor,
        text=_text(text, _("commitment"), required=True),
        made_on=made_on,
        source=source,
        recorded_by=user,
    )


def changes_of(recommendation: Recommendation) -> list[rules.Change]:
    return [
        rules.Change(date=date, sequence=pk, status=status, actor=actor)
        for pk, date, status, actor in recommendation.status_changes.values_list(
            "pk", "date", "status", "actor_id"
        )
    ]


def addressee_ids(recommendation: Recommendation) -> list[int]:
    return list(recommendation.addressees.order_by("pk").values_list("pk", flat=True))


def record_status_change(
    user: User | None,
    recommendation: Recommendation,
    *,
    status: str,
    date: dt.date,
    actor: Actor | None = None,
    note: str = "",
    source: Source | None = None,
    items: Sequence[Item] = (),
) -> StatusChange:
    """Record that from `date` on, `actor` (or every addressee) stands at `status`.

    Progress and regression need evidence: a source, vault items, or at least a note that
    says what shows it. A regression must follow progress.
    """
    workspace = recommendation.workspace
    require_editor(user, workspace)
    if status not in rules.STATUSES:
        raise RoadmapError(
            _("the status must be one of: %(choices)s") % {"choices": ", ".join(rules.STATUSES)}
        )
    note = _text(note, _("note"))
    _same_workspace(workspace, [source, *items], _("the evidence belongs to another workspace"))
    _addressee(recommendation, actor)
    _not_future(date, _("date"))
    if status != rules.NOT_STARTED and not (source or items or note):
        raise RoadmapError(
            _("give the evidence of this status: a source, evidence items of the vault, or a note")
        )
    with transaction.atomic():
        # Locked: two changes recorded at once must each see the other's status as previous.
        Recommendation.objects.select_for_update().filter(pk=recommendation.pk).get()
        if status == rules.REGRESSED:
            changes = changes_of(recommendation)
            ids = [actor.pk] if actor is not None else addressee_ids(recommendation)
            previous = rules.overall(changes, ids, None, date).status
            if not rules.may_regress(previous):
                raise RoadmapError(
                    _("a regression follows progress, but on %(date)s the status was %(status)s")
                    % {"date": date.isoformat(), "status": Status(previous).label}
                )
        change = StatusChange.objects.create(
            recommendation=recommendation,
            actor=actor,
            status=status,
            date=date,
            note=note,
            source=source,
            recorded_by=user,
        )
        if items:
            change.items.set(items)
        Recommendation.objects.filter(pk=recommendation.pk).update(updated_at=timezone.now())
    return change
