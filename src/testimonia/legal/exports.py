"""The case matrix as a file: CSV (one row per element and support), JSON (the matrix's plain
shape) and PDF (WeasyPrint; Arabic and Hebrew shaped and set right to left).

These take a built Matrix (legal/matrix.py) and read nothing else: what a file shows is what
the matrix holds. Confidential persons are already named only by their id there
(indicators.person_label).
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Iterator
from typing import Any, NoReturn

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from testimonia.incidents.exporting import BOM, safe_cell
from testimonia.legal.matrix import ElementState, Matrix, Row, Section, Support

FORMAT = "testimonia.case-matrix/1"  # the JSON's `format`: raised when its shape changes
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "pdf": "application/pdf",
}
CSV_COLUMNS = (
    "scope",
    "scope_id",
    "section",  # crime or liability
    "qualification",
    "liability",
    "crime_id",
    "article",
    "crime",
    "target",
    "status",
    "suspect",
    "mode_id",
    "mode",
    "element",
    "kind",
    "block",
    "element_text",
    "state",  # unsupported, weak, supported
    "gap",  # yes or no
    "assessed",  # the legal officer's strength for the element, if given
    "support",  # the strongest link's strength
    "element_note",
    "support_id",
    "support_kind",
    "support_ref",
    "support_label",
    "support_strength",
    "support_note",
)
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur"})


# ---------------------------------------------------------------------------------------------
# CSV


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return safe_cell(value)  # a cell that starts like a formula is not run by Excel
    return str(value)


def csv_rows(matrix: Matrix) -> Iterator[list[str]]:
    """The rows after the header: one per support of each element, or one for an element
    with none; sections and rows in the matrix's order (gaps first)."""
    for section in matrix.sections:
        head = [
            matrix.scope,
            matrix.scope_id,
            section.subject,
            section.qualification,
            section.liability,
            section.crime_id,
            section.article,
            section.name,
            section.target,
            section.status,
            section.suspect,
            section.mode_id,
            section.mode_name,
        ]
        for row in section.rows:
            element = [
                row.number,
                row.kind,
                row.block,
                row.text,
                str(row.state),
                row.is_gap,
                None if row.assessed is None else str(row.assessed),
                None if row.support is None else str(row.support),
                row.note,
            ]
            supports: list[Support | None] = list(row.supports) or [None]
            for support in supports:
                tail: list[Any] = (
                    [None] * 6
                    if support is None
                    else [
                        support.id,
                        str(support.kind),
                        support.ref,
                        support.label,
                        str(support.strength),
                        support.note,
                    ]
                )
                yield [_cell(v) for v in (*head, *element, *tail)]


def matrix_csv(matrix: Matrix) -> str:
    """The matrix as CSV: UTF-8 with a byte order mark (Excel then reads Arabic and Hebrew),
    the columns of CSV_COLUMNS."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(matrix))
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# JSON


def matrix_json(matrix: Matrix) -> dict[str, Any]:
    return {"format": FORMAT, **matrix.as_dict()}


# ---------------------------------------------------------------------------------------------
# PDF


def direction(text: str) -> str:
    """ "rtl" when the first letter with a strong direction is Arabic or Hebrew, else "ltr"
    (WeasyPrint does not implement dir="auto", so each text gets its direction here)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def _text(value: str | None) -> dict[str, str]:
    text = value or ""
    return {"text": text, "dir": direction(text)}


def _state_labels() -> dict[str, str]:
    return {
        ElementState.UNSUPPORTED: _("unsupported"),
        ElementState.WEAK: _("weak"),
        ElementState.SUPPORTED: _("supported"),
    }


def _strength_labels() -> dict[str, str]:
    return {"none": _("none"), "weak": _("weak"), "moderate": _("moderate"), "strong": _("strong")}


def _indicator_lines(data: dict[str, Any]) -> list[dict[str, str]]:
    box = data.get("bounding_box")
    lines = [
        _("%(n)s incidents") % {"n": data.get("incidents", 0)},
        _("from %(first)s to %(last)s (%(days)s days)")
        % {
            "first": data.get("first_date") or "?",
            "last": data.get("last_date") or "?",
            "days": data.get("span_days") if data.get("span_days") is not None else "?",
        },
        _("%(places)s places in %(areas)s areas")
        % {
            "places": data.get("places", 0),
            "areas": data.get("areas", 0),
        },
        _("%(victims)s victims, %(civilians)s civilians, %(children)s children")
        % {
            "victims": data.get("victims", 0),
            "civilians": data.get("civilians", 0),
            "children": data.get("children", 0),
        },
    ]
    if box:
        lines.append(
            _("area %(south)s,%(west)s to %(north)s,%(east)s (%(km)s km across)")
            % {**box, "km": data.get("extent_km")}
        )
    for recurrence in data.get("recurrences", [])[:5]:
        lines.append(
            _("%(type)s by %(who)s in %(n)s incidents")
            % {
                "type": recurrence.get("act_type"),
                "who": recurrence.get("label"),
                "n": recurrence.get("incidents"),
            }
        )
    query = data.get("query") or {}
    lines.append(_("query: %(query)s") % {"query": query.get("description", "")})
    return [_text(line) for line in lines]


def _kind_labels() -> dict[str, str]:
    return {
        "material": _("material"),
        "mental": _("mental"),
        "contextual": _("contextual"),
        "item": _("evidence item"),
        "source": _("source"),
        "incident": _("incident"),
        "act": _("act"),
        "person": _("person"),
        "organisation": _("organisation"),
        "involvement": _("involvement"),
        "finding": _("finding"),
        "indicators": _("indicators"),
        "candidate": _("candidate"),
        "accepted": _("accepted"),
        "rejected": _("rejected"),
    }


def _support_context(support: Support, strengths: dict[str, str]) -> dict[str, Any]:
    return {
        "kind": str(support.kind),
        "kind_label": _kind_labels().get(str(support.kind), str(support.kind)),
        "label": _text(support.label),
        "strength": support.strength.value,
        "strength_label": strengths[support.strength.value],
        "note": _text(support.note),
        "indicators": (
            _indicator_lines(dict(support.indicators)) if support.indicators is not None else []
        ),
    }


def _row_context(row: Row, states: dict[str, str], strengths: dict[str, str]) -> dict[str, Any]:
    return {
        "number": row.number,
        "kind": row.kind,
        "kind_label": _kind_labels().get(row.kind, row.kind),
        "block": row.block or "",
        "text": _text(row.text),
        "state": str(row.state),
        "state_label": states[row.state],
        "assessed": strengths[row.assessed.value] if row.assessed else "",
        "note": _text(row.note),
        "supports": [_support_context(s, strengths) for s in row.supports],
        "shows_indicators": row.shows_indicators,
        "has_indicators": bool(row.indicators),
        "known": row.known,
    }


def _section_context(section: Section) -> dict[str, Any]:
    states, strengths = _state_labels(), _strength_labels()
    return {
        "subject": section.subject,
        "qualification": section.qualification,
        "article": section.article,
        "name": _text(section.name),
        "crime_id": section.crime_id,
        "target": _text(section.target),
        "status": section.status,
        "status_label": _kind_labels().get(section.status, section.status),
        "suspect": _text(section.suspect),
        "mode": _text(section.mode_name),
        "mode_article": section.mode_article or "",
        "notes": [_text(n) for n in section.notes],
        "gaps": len(section.gaps),
        "rows": [_row_context(r, states, strengths) for r in section.rows],
    }


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    # The document is built from our own template and escaped text: it loads nothing.
    raise ValueError(f"the matrix PDF loads no resources ({url!r} refused)")


def matrix_html(matrix: Matrix, language: str | None = None) -> str:
    """The HTML the PDF is made from, in `language` (default: the active one)."""
    with translation.override(language or translation.get_language()):
        code = (translation.get_language() or "en").split("-")[0]
        return render_to_string(
            "legal/matrix_pdf.html",
            {
                "matrix": matrix,
                "title": _text(matrix.title),
                "language": code,
                "dir": "rtl" if code in RTL_LANGUAGES else "ltr",
                "sections": [_section_context(s) for s in matrix.sections],
            },
        )


def matrix_pdf(matrix: Matrix, language: str | None = None) -> bytes:
    """The matrix as a PDF (A4 landscape), with a text layer (the words can be searched and
    copied, Arabic included)."""
    from weasyprint import HTML  # imported here: it loads Pango, which only PDFs need

    document = HTML(string=matrix_html(matrix, language), url_fetcher=_refuse_fetch)
    pdf: bytes = document.write_pdf()
    return pdf


def render(matrix: Matrix, file_format: str, language: str | None = None) -> bytes:
    """The matrix in one of MEDIA_TYPES' formats, as bytes."""
    if file_format == "csv":
        return matrix_csv(matrix).encode("utf-8")
    if file_format == "json":
        return json.dumps(matrix_json(matrix), ensure_ascii=False, indent=2).encode("utf-8")
    if file_format == "pdf":
        return matrix_pdf(matrix, language)
    raise ValueError(f"unknown format {file_format!r}")
