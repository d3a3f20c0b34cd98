"""Exports of the roadmap: the recommendations with their current status, as CSV and JSON.

The CSV's first columns bear the import's field names (addressee, text, theme, source, date,
deadline, status, status_date, kind, paragraph, published, notes), so an exported file imports
again as it is (roadmap/importer.py); the columns after them (id, source_title, source_url,
overdue, statuses_by_addressee) are for reading and are ignored by the import. Text that a
spreadsheet would run as a formula is written with a leading apostrophe (the import takes it
off again). Both formats are for members of the workspace: they include the internal notes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Any, Final

from django.utils import timezone

from testimonia.accounts.models import Workspace
from testimonia.incidents.exporting import safe_cell
from testimonia.roadmap.records import (
    RecommendationFilter,
    internal_record,
    select_recommendations,
)

BOM: Final = "\ufeff"  # Excel opens a CSV as UTF-8 only with it
CSV_COLUMNS: Final = (
    "addressee",
    "text",
    "theme",
    "source",
    "date",
    "deadline",
    "status",
    "status_date",
    "kind",
    "paragraph",
    "published",
    "notes",
    "id",
    "source_title",
    "source_url",
    "overdue",
    "statuses_by_addressee",
)
SEPARATOR: Final = "; "
FORMATS: Final = ("csv", "json")
MEDIA_TYPES: Final = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return safe_cell(value)
    return str(value)


def _row(record: dict[str, Any]) -> list[str]:
    source = record["source"] or {}
    names = {a["id"]: a["name"] for a in record["addressees"]}
    return [
        _cell(v)
        for v in (
            SEPARATOR.join(a["name"] for a in record["addressees"]),
            record["text"],
            SEPARATOR.join(t["code"] for t in record["themes"]),
            source.get("reference") or source.get("title"),
            record["issued_on"],
            record["deadline"],
            record["status"],
            record["status_date"],
            record["kind"],
            record["paragraph"],
            record["published"],
            record["notes"],
            record["id"],
            source.get("title"),
            source.get("url"),
            record["overdue"],
            SEPARATOR.join(
                f"{names[s['actor']]}: {s['status']}" + (f" ({s['since']})" if s["since"] else "")
                for s in record["statuses"]
            ),
        )
    ]


def records(
    workspace: Workspace, selection: RecommendationFilter, as_of: dt.date | None = None
) -> list[dict[str, Any]]:
    recs, found = select_recommendations(workspace, selection, as_of)
    return [internal_record(r, found[r.pk]) for r in recs]


def iter_csv(
    workspace: Workspace, selection: RecommendationFilter, as_of: dt.date | None = None
) -> Iterator[str]:
    """The CSV text: a UTF-8 byte order mark, a header, one row per recommendation."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(CSV_COLUMNS)
    for record in records(workspace, selection, as_of):
        writer.writerow(_row(record))
    yield buffer.getvalue()


def iter_json(
    workspace: Workspace, selection: RecommendationFilter, as_of: dt.date | None = None
) -> Iterator[str]:
    day = as_of or timezone.localdate()
    body = {
        "workspace": workspace.slug,
        "as_of": day.isoformat(),
        "exported_at": timezone.now().isoformat(),
        "recommendations": records(workspace, selection, day),
    }
    yield json.dumps(body, ensure_ascii=False, indent=1)


def iter_export(
    workspace: Workspace,
    export_format: str,
    selection: RecommendationFilter | None = None,
    as_of: dt.date | None = None,
) -> Iterator[str]:
    if export_format not in FORMATS:
        raise ValueError(f"unknown export format {export_format!r}")
    chosen = selection or RecommendationFilter()
    if export_format == "csv":
        return iter_csv(workspace, chosen, as_of)
    return iter_json(workspace, chosen, as_of)
