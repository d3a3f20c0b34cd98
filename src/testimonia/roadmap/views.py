"""Pages of the roadmap for justice: the scorecard (actors x themes), the recommendations with
their filters, one recommendation with its status history and the form that records a change,
the timeline of changes, a printable report (HTML, or PDF through WeasyPrint) and the exports.

Every internal role reads these pages (VIEW_RECORDS); recording a status change needs
EDIT_ROADMAP and goes through roadmap/services.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NoReturn

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from testimonia.accounts import access
from testimonia.accounts.middleware import current_workspace
from testimonia.accounts.models import User, Workspace
from testimonia.accounts.roles import Capability, grants
from testimonia.roadmap import exports, services
from testimonia.roadmap.exceptions import RoadmapError
from testimonia.roadmap.forms import RecommendationFilterForm, StatusChangeForm, TimelineFilterForm
from testimonia.roadmap.models import Recommendation, Status, StatusChange
from testimonia.roadmap.records import (
    RecommendationFilter,
    RecommendationStanding,
    recommendations_of,
    select_recommendations,
    standings,
)
from testimonia.roadmap.scorecard import Figures, Scorecard, compute_scorecard

PAGE_SIZE = 50
TIMELINE_PAGE_SIZE = 100
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur"})


def can_edit(request: HttpRequest) -> bool:
    return grants(request.workspace_roles, Capability.EDIT_ROADMAP)  # type: ignore[attr-defined]


def acting_user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # the access rule admits only signed-in members
        raise PermissionDenied
    return user


def _as_of(request: HttpRequest) -> tuple[dt.date, str]:
    """The day of the figures (?as_of=YYYY-MM-DD, default today) and a problem to show."""
    text = request.GET.get("as_of", "").strip()
    if not text:
        return timezone.localdate(), ""
    try:
        return dt.date.fromisoformat(text), ""
    except ValueError:
        return timezone.localdate(), _("%(value)s is not a date (YYYY-MM-DD): showing today.") % {
            "value": text
        }


def statuses() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in Status.choices]


# ---------------------------------------------------------------------------------------------
# The scorecard


def _cell(figures: Figures | None, link: str) -> dict[str, Any] | None:
    if figures is None or not figures.count:
        return None
    share = figures.share_implemented
    return {
        "count": figures.count,
        "parts": [
            (code, label, figures.by_status[code])
            for code, label in statuses()
            if figures.by_status[code]
        ],
        "percent": round(share * 100) if share is not None else None,
        "overdue": figures.overdue,
        "last_change": figures.last_change,
        "link": link,
    }


def scorecard_context(workspace: Workspace, card: Scorecard) -> dict[str, Any]:
    columns = card.columns()
    base = reverse("web:roadmap_recommendations", kwargs={"workspace": workspace.slug})

    def link(actor: int | None, theme: str | None) -> str:
        query = {k: v for k, v in (("actor", actor), ("theme", theme)) if v}
        return f"{base}?{urlencode(query)}" if query else base

    rows = [
        {
            "actor": c.actor,
            "totals": _cell(c.totals, link(c.actor.pk, None)),
            "cells": [
                _cell(c.cell(col.pk if col else None), link(c.actor.pk, col.code if col else None))
                for col in columns
            ],
        }
        for c in card.actors
    ]
    return {
        "card": card,
        "columns": columns,
        "rows": rows,
        "theme_row": [
            _cell(
                card.theme_totals.get(col.pk if col else None),
                link(None, col.code if col else None),
            )
            for col in columns
        ],
        "totals": _cell(card.totals, base),
        "statuses": statuses(),
    }


@access.workspace_member(Capability.VIEW_RECORDS)
@require_GET
def scorecard(request: HttpRequest, workspace: str) -> HttpResponse:
    ws = current_workspace(request)
    as_of, problem = _as_of(request)
    if problem:
        messages.error(request, problem)
    card = compute_scorecard(ws, as_of=as_of)
    return render(
        request,
        "roadmap/scorecard.html",
        {**scorecard_context(ws, card), "as_of": as_of, "can_edit": can_edit(request)},
    )


# ---------------------------------------------------------------------------------------------
# Recommendations


def _selection(form: RecommendationFilterForm) -> RecommendationFilter:
    if not form.is_valid():
        return RecommendationFilter()
    data = form.cleaned_data
    return RecommendationFilter(
        actor=data["actor"].pk if data.get("actor") else None,
        theme=data.get("theme") or "",
        status=data.get("status") or "",
        overdue=True if data.get("overdue") else None,
        q=data.get("q") or "",
    )


def _listed(
    rec: Recommendation, standing: RecommendationStanding, actor: int | None
) -> dict[str, Any]:
    mine = standing.of(actor)
    return {
        "rec": rec,
        "status": mine.status,
        "status_label": Status(mine.status).label,
        "since": mine.since,
        "overdue": mine.overdue,
        "addressees": list(rec.addressees.all()),
        "themes": list(rec.themes.all()),
    }


@access.workspace_member(Capability.VIEW_RECORDS)
@require_GET
def recommendation_list(request: HttpRequest, workspace: str) -> HttpResponse:
    ws = current_workspace(request)
    form = RecommendationFilterForm(ws, request.GET or None)
    selection = _selection(form)
    recs, found = select_recommendations(ws, selection)
    page = Paginator(recs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "roadmap/recommendations.html",
        {
            "form": form,
            "page": page,
            "rows": [_listed(r, found[r.pk], selection.actor) for r in page.object_list],
            "total": len(recs),
            "query": query.urlencode(),
            "filtered_by_actor": selection.actor is not None,
        },
    )


def recommendation_of(request: HttpRequest, pk: int) -> Recommendation:
    rows = recommendations_of(current_workspace(request)).select_related("created_by")
    return get_object_or_404(rows, pk=pk)


def _history(rec: Recommendation) -> QuerySet[StatusChange]:
    return (
        rec.status_changes.select_related("actor", "source", "recorded_by")
        .prefetch_related("items__blob")
        .order_by("date", "pk")
    )


def recommendation_page(
    request: HttpRequest, rec: Recommendation, form: StatusChangeForm | None, status: int = 200
) -> HttpResponse:
    today = timezone.localdate()
    standing = standings([rec], today)[rec.pk]
    addressees = [
        {"actor": a, "standing": standing.of(a.pk), "label": Status(standing.of(a.pk).status).label}
        for a in rec.addressees.all()
    ]
    editable = can_edit(request)
    if editable and form is None:
        form = StatusChangeForm(rec)
    return render(
        request,
        "roadmap/recommendation.html",
        {
            "rec": rec,
            "overall": standing.overall,
            "overall_label": Status(standing.overall.status).label,
            "addressees": addressees,
            "history": _history(rec),
            "commitments": list(rec.commitments.all()),
            "form": form if editable else None,
            "today": today,
        },
        status=status,
    )


@access.workspace_member(Capability.VIEW_RECORDS)
@require_GET
def recommendation_detail(
    request: HttpRequest, workspace: str, recommendation: int
) -> HttpResponse:
    return recommendation_page(request, recommendation_of(request, recommendation), None)


@access.workspace_member(Capability.EDIT_ROADMAP)
@require_POST
def status_change_add(request: HttpRequest, workspace: str, recommendation: int) -> HttpResponse:
    rec = recommendation_of(request, recommendation)
    form = StatusChangeForm(rec, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.record_status_change(
                acting_user(request),
                rec,
                status=data["status"],
                date=data["date"],
                actor=data["actor"],
                note=data["note"],
                source=data["source"],
                items=data["items"],
            )
        except RoadmapError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The status change is recorded."))
            url = reverse(
                "web:roadmap_recommendation",
                kwargs={"workspace": workspace, "recommendation": rec.pk},
            )
            return redirect(f"{url}#history")
    return recommendation_page(request, rec, form, status=400)


# ---------------------------------------------------------------------------------------------
# Timeline


@access.workspace_member(Capability.VIEW_RECORDS)
@require_GET
def timeline(request: HttpRequest, workspace: str) -> HttpResponse:
    ws = current_workspace(request)
    form = TimelineFilterForm(ws, request.GET or None)
    rows = (
        StatusChange.objects.filter(recommendation__workspace=ws)
        .select_related("actor", "source", "recommendation", "recorded_by")
        .prefetch_related("recommendation__addressees")
        .order_by("-date", "-pk")
    )
    if form.is_valid():
        actor = form.cleaned_data.get("actor")
        if actor is not None:
            rows = rows.filter(Q(actor=actor) | Q(actor=None, recommendation__addressees=actor))
        if form.cleaned_data.get("theme"):
            rows = rows.filter(recommendation__themes__code=form.cleaned_data["theme"])
    page = Paginator(rows.distinct(), TIMELINE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "roadmap/timeline.html",
        {
            "form": form,
            "page": page,
            "changes": [{"change": c, "label": Status(c.status).label} for c in page.object_list],
            "query": query.urlencode(),
        },
    )


# ---------------------------------------------------------------------------------------------
# Report and exports


def report_html(request: HttpRequest, ws: Workspace, *, for_pdf: bool) -> str:
    as_of, _problem = _as_of(request)
    card = compute_scorecard(ws, as_of=as_of)
    recs, found = select_recommendations(ws, RecommendationFilter(), as_of)
    language = (translation.get_language() or "en").split("-")[0]
    return render_to_string(
        "roadmap/report.html",
        {
            **scorecard_context(ws, card),
            "workspace": ws,
            "as_of": as_of,
            "rows_list": [_listed(r, found[r.pk], None) for r in recs],
            "language": language,
            "dir": "rtl" if language in RTL_LANGUAGES else "ltr",
            "for_pdf": for_pdf,
            "generated": timezone.now(),
        },
        request=None if for_pdf else request,
    )


@access.workspace_member(Capability.VIEW_RECORDS)
@require_GET
def report(request: HttpRequest, workspace: str) -> HttpResponse:
    return HttpResponse(report_html(request, current_workspace(request), for_pdf=False))


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    # The report is built from our own template and escaped text: it loads nothing.
    raise ValueError(f"the roadmap report loads no resources ({url!r} refused)")


@access.workspace_member(Capability.VIEW_RECORDS)
@require_GET
def report_pdf(request: HttpRequest, workspace: str) -> HttpResponse:
    from weasyprint import HTML  # imported here: it loads Pango, which only PDFs need

    ws = current_workspace(request)
    html = report_html(request, ws, for_pdf=True)
    pdf = HTML(string=html, url_fetcher=_refuse_fetch).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="roadmap-{ws.slug}-{day}.pdf"'
    return response


@access.workspace_member(Capability.VIEW_RECORDS)
@require_GET
def export(request: HttpRequest, workspace: str, export_format: str) -> StreamingHttpResponse:
    ws = current_workspace(request)
    selection = _selection(RecommendationFilterForm(ws, request.GET or None))
    response = StreamingHttpResponse(
        exports.iter_export(ws, export_format, selection),
        content_type=exports.MEDIA_TYPES[export_format],
    )
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = (
        f'attachment; filename="roadmap-{ws.slug}-{day}.{export_format}"'
    )
    return response
