"""Witness pages: the list (pseudonyms, risk, consent), one witness (protection, consent
history and forms, interviews and their items, redacted copies), intake, and the reveal page
(docs/witnesses.md).

Every page names witnesses by pseudonym. The identity is typed once, on the intake page, and
shown once, in the answer to a protection officer's reveal (with a reason kept in the chain of
custody), which no cache may keep. It never goes into the session, the messages framework or
a log line; the confirmation messages carry the pseudonym only.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from testimonia.accounts import access
from testimonia.accounts.middleware import current_workspace
from testimonia.accounts.models import User, Workspace
from testimonia.accounts.roles import Capability, grants
from testimonia.cases import consent, identity, testimonies, witnesses
from testimonia.cases.exceptions import CasesError, IdentityKeyUnavailable, WitnessNotFound
from testimonia.cases.forms_witnesses import ConsentForm, IntakeForm, ProtectionForm, RevealForm
from testimonia.cases.mechanisms import display_name
from testimonia.cases.models import Consent, Mechanism, ProtectionMeasure, Testimony, Witness
from testimonia.cases.redaction import redaction_kind
from testimonia.evidence.models import Item
from testimonia.evidence.services import items_of

logger = logging.getLogger("testimonia.cases")

MAX_DERIVATION_DEPTH = 8


def _actor(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def _can(request: HttpRequest, capability: Capability) -> bool:
    return grants(request.workspace_roles, capability)  # type: ignore[attr-defined]


def _witness(request: HttpRequest, pseudonym: str) -> Witness:
    try:
        return witnesses.witness_of(current_workspace(request), pseudonym)
    except WitnessNotFound:
        raise Http404 from None


def _key_unavailable(request: HttpRequest) -> None:
    # The exception names a file on the server: it goes to the log, not to the page.
    logger.error("identity store unavailable: see `testimonia manage check` (cases.E001)")
    messages.error(
        request,
        _("The identity store is not available: ask the administrator to restore its key."),
    )


# ---------------------------------------------------------------------------------------------
# Consent at a glance


@dataclass(frozen=True)
class ConsentCell:
    slug: str
    name: str
    state: str  # "granted", "withdrawn" (a decision refuses it) or "none" (no decision)


def _order(row: Consent) -> tuple[dt.datetime, bool, int]:
    # As cases/consent.py orders decisions: by date; on the same date a withdrawal prevails.
    return (row.effective_at, row.decision == Consent.Decision.WITHDRAWN, row.pk)


def consent_overview(
    workspace: Workspace, rows: Iterable[Witness], at: dt.datetime | None = None
) -> dict[int, list[ConsentCell]]:
    """For each witness, whether what they gave may be shared with each main mechanism now,
    computed in memory from their general decisions (two queries for the whole list). It
    follows `consent.consent_covers` for a witness: the latest sharing decision for the
    mechanism or a broader one must be a grant, and consent to be recorded not withdrawn."""
    moment = at or timezone.now()
    mechanisms = list(Mechanism.objects.filter(active=True).order_by("position", "slug"))
    parents = {m.pk: m.parent_id for m in Mechanism.objects.all()}
    main = [m for m in mechanisms if m.parent_id is None]
    decisions: dict[int, list[Consent]] = defaultdict(list)
    for row in Consent.objects.filter(
        workspace=workspace, item__isnull=True, effective_at__lte=moment
    ):
        decisions[row.witness_id].append(row)
    overview = {}
    for witness in rows:
        mine = sorted(decisions.get(witness.pk, []), key=_order)
        recording = [r for r in mine if r.scope == Consent.Scope.RECORD]
        record_withdrawn = bool(recording) and recording[-1].decision == Consent.Decision.WITHDRAWN
        cells = []
        for entry in main:
            lineage = _lineage(entry.pk, parents)
            sharing = [
                r for r in mine if r.scope == Consent.Scope.SHARE and r.mechanism_id in lineage
            ]
            if not sharing:
                state = "none"
            elif sharing[-1].decision == Consent.Decision.GRANTED and not record_withdrawn:
                state = "granted"
            else:
                state = "withdrawn"
            cells.append(ConsentCell(entry.slug, display_name(entry), state))
        overview[witness.pk] = cells
    return overview


def _lineage(pk: int, parents: dict[int, int | None]) -> set[int]:
    chain: set[int] = set()
    current: int | None = pk
    while current is not None and current not in chain:
        chain.add(current)
        current = parents.get(current)
    return chain


# ---------------------------------------------------------------------------------------------
# Pages


@access.workspace_member(Capability.VIEW_WITNESSES)
@require_GET
def witness_list(request: HttpRequest, workspace: str) -> HttpResponse:
    ws = current_workspace(request)
    rows = list(
        witnesses.witnesses_of(ws).annotate(
            n_interviews=Count("interviews", distinct=True),
            n_testimonies=Count("testimonies", distinct=True),
        )
    )
    overview = consent_overview(ws, rows)
    return render(
        request,
        "cases/witness_list.html",
        {
            "rows": [
                {
                    "witness": w,
                    "measures": [ProtectionMeasure(m).label for m in w.protection_measures],
                    "consent": overview[w.pk],
                }
                for w in rows
            ],
            "can_record": _can(request, Capability.RECORD_TESTIMONY),
        },
    )


@access.workspace_member(Capability.RECORD_TESTIMONY)
@never_cache
@require_http_methods(["GET", "POST"])
def witness_new(request: HttpRequest, workspace: str) -> HttpResponse:
    """Intake: the identity is typed here once, sealed, and the pseudonym shown from then on."""
    ws = current_workspace(request)
    form = IntakeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = identity.Identity(
            name=data["name"], contacts=data["contacts"], details=data["details"]
        )
        try:
            witness = witnesses.create_witness(
                _actor(request),
                ws,
                person,
                consent_to=data["consent"],
                consent_form=data["consent_form"],
            )
        except IdentityKeyUnavailable:
            _key_unavailable(request)
        except CasesError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _(
                    "Witness %(pseudonym)s taken in. The identity is sealed: only protection "
                    "officers can see it."
                )
                % {"pseudonym": witness.pseudonym},
            )
            return redirect("web:witness", workspace=ws.slug, pseudonym=witness.pseudonym)
    return render(request, "cases/witness_new.html", {"form": form})


def _derivatives(ws: Workspace, roots: list[int]) -> dict[int, list[Item]]:
    """The items made from each testimony item that are not testimony items themselves
    (redactions, conversions, ...), at any depth, grouped under their testimony item."""
    found: dict[int, list[Item]] = defaultdict(list)
    root_of = {pk: pk for pk in roots}
    frontier = list(roots)
    for _depth in range(MAX_DERIVATION_DEPTH):
        if not frontier:
            break
        rows = list(
            items_of(ws).filter(derived_from_id__in=frontier, testimony__isnull=True).order_by("pk")
        )
        frontier = []
        for row in rows:
            if row.derived_from_id is None:
                continue  # not possible (filtered on it); for the type checker
            root = root_of[row.derived_from_id]
            root_of[row.pk] = root
            found[root].append(row)
            frontier.append(row.pk)
    return found


def _testimony_rows(
    request: HttpRequest, ws: Workspace, rows: list[Testimony]
) -> list[dict[str, Any]]:
    can_redact = _can(request, Capability.REDACT)
    made = _derivatives(ws, [t.item_id for t in rows])

    def entry(item: Item) -> dict[str, Any]:
        return {"item": item, "redactable": can_redact and redaction_kind(item) is not None}

    return [
        {
            **entry(t.item),
            "testimony": t,
            "derivatives": [entry(d) for d in made.get(t.item_id, [])],
        }
        for t in rows
    ]


@access.workspace_member(Capability.VIEW_WITNESSES)
@require_GET
def witness_detail(request: HttpRequest, workspace: str, pseudonym: str) -> HttpResponse:
    witness = _witness(request, pseudonym)
    return _render_detail(request, witness)


def _render_detail(
    request: HttpRequest,
    witness: Witness,
    *,
    consent_form: ConsentForm | None = None,
    protection_form: ProtectionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    ws = current_workspace(request)
    items = list(testimonies.testimonies_of(witness).order_by("added_at", "pk"))
    item_choices = [(t.item_id, f"#{t.item_id} {t.item.original_filename}") for t in items]
    mechanisms = Mechanism.objects.filter(active=True).order_by("position", "slug")
    coverage = []
    for entry in mechanisms:
        sharing = consent.consent_covers(witness, entry.slug)
        identified = consent.identification_allowed(witness, entry.slug)
        coverage.append(
            {
                "slug": entry.slug,
                "name": display_name(entry),
                "covered": sharing.covered,
                "reason": sharing.reason,
                "identified": identified.covered,
            }
        )
    interviews = list(testimonies.interviews_of(witness).select_related("interviewer"))
    by_interview: dict[int | None, list[Testimony]] = defaultdict(list)
    for row in items:
        by_interview[row.interview_id].append(row)
    can_record = _can(request, Capability.RECORD_TESTIMONY)
    can_protect = _can(request, Capability.PROTECT_WITNESSES)
    if consent_form is None and can_record:
        consent_form = ConsentForm(items=item_choices)
    if protection_form is None and can_protect:
        protection_form = ProtectionForm(
            initial={
                "risk_level": witness.risk_level,
                "measures": list(witness.protection_measures),
            }
        )
    return render(
        request,
        "cases/witness_detail.html",
        {
            "witness": witness,
            "measures": [ProtectionMeasure(m).label for m in witness.protection_measures],
            "coverage": coverage,
            "history": consent.history(witness),
            "interviews": [
                {"interview": i, "items": _testimony_rows(request, ws, by_interview[i.pk])}
                for i in interviews
            ],
            "loose_items": _testimony_rows(request, ws, by_interview[None]),
            "consent_form": consent_form if can_record else None,
            "protection_form": protection_form if can_protect else None,
            "can_reveal": _can(request, Capability.REVEAL_IDENTITY),
        },
        status=status,
    )


@access.workspace_member(Capability.RECORD_TESTIMONY)
@require_POST
def witness_consent(request: HttpRequest, workspace: str, pseudonym: str) -> HttpResponse:
    witness = _witness(request, pseudonym)
    ws = current_workspace(request)
    choices = [(t.item_id, f"#{t.item_id}") for t in testimonies.testimonies_of(witness)]
    form = ConsentForm(request.POST, items=choices)
    if form.is_valid():
        data = form.cleaned_data
        item = items_of(ws).filter(pk=data["item"]).first() if data["item"] else None
        try:
            row = consent.record_consent(
                _actor(request),
                witness,
                data["scope"],
                data["decision"],
                form=data["form"],
                mechanism_slug=data["mechanism"] or None,
                item=item,
                effective_at=form.effective_at(),
            )
        except CasesError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Consent decision recorded for %(pseudonym)s: %(scope)s, %(decision)s.")
                % {
                    "pseudonym": witness.pseudonym,
                    "scope": Consent.Scope(row.scope).label,
                    "decision": Consent.Decision(row.decision).label,
                },
            )
            return redirect("web:witness", workspace=ws.slug, pseudonym=witness.pseudonym)
    return _render_detail(request, witness, consent_form=form, status=400)


@access.workspace_member(Capability.PROTECT_WITNESSES)
@require_POST
def witness_protection(request: HttpRequest, workspace: str, pseudonym: str) -> HttpResponse:
    witness = _witness(request, pseudonym)
    form = ProtectionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            witnesses.assess_risk(
                _actor(request),
                witness,
                level=data["risk_level"],
                measures=data["measures"],
                notes=data["risk_notes"] or None,
            )
        except IdentityKeyUnavailable:
            _key_unavailable(request)
        except CasesError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Risk assessment of %(pseudonym)s recorded.") % {"pseudonym": witness.pseudonym},
            )
            return redirect(
                "web:witness", workspace=witness.workspace.slug, pseudonym=witness.pseudonym
            )
    return _render_detail(request, witness, protection_form=form, status=400)


@access.workspace_member(Capability.REVEAL_IDENTITY)
@never_cache
@require_http_methods(["GET", "POST"])
def witness_reveal(request: HttpRequest, workspace: str, pseudonym: str) -> HttpResponse:
    """A protection officer asks, with a reason, and sees the identity in this answer only:
    never cached (Cache-Control: no-store), never stored in the session or a message."""
    witness = _witness(request, pseudonym)
    form = RevealForm(request.POST or None)
    person = None
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            person = identity.reveal_identity(_actor(request), witness, form.cleaned_data["reason"])
        except IdentityKeyUnavailable:
            _key_unavailable(request)
        except CasesError as exc:
            # The reason is not shown again: it may be what was refused (it named the witness).
            form = RevealForm()
            error = str(exc)
    context = {"witness": witness, "form": form, "person": person, "error": error}
    return render(request, "cases/witness_reveal.html", context, status=400 if error else 200)
