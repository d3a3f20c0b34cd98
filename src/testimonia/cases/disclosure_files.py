"""The disclosure's own files in the bag, under `disclosure/` (tag files, so the payload stays
the evidence alone and every file is fixed by the tag manifests):

- index.csv: one row per item, the metadata fields the registry lists for the mechanism
  (cases/data/mechanisms.json: the ICC's e-Court fields, ...), then the fixed columns of
  FIXED_COLUMNS; UTF-8 with a byte order mark (Excel then reads Arabic and Hebrew);
- index.json: the same, with the fields' labels, the case and the mechanism;
- memorandum.pdf: the case summary, charges, suspects, incidents, the items, and the case
  matrix (elements, evidence, gaps), in the case's language, Arabic and Hebrew set right to
  left (WeasyPrint, as legal/exports.py does it);
- README.txt: what these files are.

Nothing here names a witness: items given by a witness are named by the pseudonym, and the
file names of testimony items are made from it (cases/testimonies.py). Metadata that may
carry a name (a document's author or title) is not used.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any, NoReturn

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from testimonia.accounts.models import User
from testimonia.cases.case_matrix import UNQUALIFIED, case_matrix
from testimonia.cases.disclosure import Plan, Planned
from testimonia.cases.mechanisms import display_name
from testimonia.cases.models import Case, Testimony
from testimonia.custody.services import actor_label
from testimonia.evidence.export import CopiedItem
from testimonia.evidence.models import Item, Metadata
from testimonia.incidents.exporting import BOM, safe_cell
from testimonia.legal import catalogue
from testimonia.legal.exports import RTL_LANGUAGES, direction
from testimonia.legal.matrix import ElementState, Matrix, Section
from testimonia.legal.matrix_loader import suspect_label

FOLDER = "disclosure"
INDEX_FORMAT = "testimonia.disclosure-index/1"
FIXED_COLUMNS = (
    "item",
    "case_item",
    "bag_path",
    "sha256",
    "media_type",
    "size",
    "redacted",
    "witness",
    "consent_decision",
    "consent_date",
)
_DOCUMENT_TYPES = {"image": "photograph", "video": "video", "audio": "audio recording"}


# ---------------------------------------------------------------------------------------------
# The index


def _metadata(item: Item) -> dict[str, Any]:
    record = Metadata.objects.filter(blob_id=item.blob_id).order_by("-extracted_at", "-pk").first()
    return dict(record.normalised) if record is not None else {}


def _testimony(planned: Planned) -> Testimony | None:
    for item in (planned.send, planned.case_item):
        found = Testimony.objects.filter(item_id=item.pk).first()
        if found is not None:
            return found
    return None


def _document_type(item: Item, testimony: Testimony | None) -> str:
    if testimony is not None:
        return str(testimony.kind)
    media = item.blob.media_type
    if media in ("application/pdf",) or media.startswith("text/"):
        return "document"
    return _DOCUMENT_TYPES.get(media.split("/")[0], "file")


def _date(item: Item, metadata: dict[str, Any]) -> str:
    """When the material was made, as far as it says: its capture or creation date, else the
    file's modification time as found, else the date it was collected."""
    for key in ("captured_at", "created_at"):
        value = metadata.get(key)
        if isinstance(value, str) and len(value) >= 10:
            return value[:10]
    moment = item.found_modified_at or item.added_at
    return moment.date().isoformat()


def _extent(item: Item, metadata: dict[str, Any]) -> str:
    if isinstance(metadata.get("page_count"), int):
        return _("%(n)s pages") % {"n": metadata["page_count"]}
    if isinstance(metadata.get("duration_s"), int | float):
        return _("%(s)s seconds") % {"s": round(float(metadata["duration_s"]), 1)}
    return _("%(n)s bytes") % {"n": item.blob.size}


def _consent_text(planned: Planned) -> str:
    if planned.sharing is None:
        return _("not given by a witness: no witness consent applies")
    decision = planned.sharing
    return _("consent decision %(id)s of %(date)s (%(form)s) for %(mechanism)s") % {
        "id": decision.pk,
        "date": decision.effective_at.date().isoformat(),
        "form": decision.form,
        "mechanism": decision.mechanism.slug if decision.mechanism else "",
    }


def index_rows(plan: Plan, copied: Sequence[CopiedItem]) -> list[dict[str, Any]]:
    """One row per item in the bag: the mechanism's fields, then FIXED_COLUMNS."""
    bag_paths = {c.item.pk: c for c in copied}
    publication = plan.mechanism.kind == "publication"
    rows = []
    for position, planned in enumerate(plan.items, start=1):
        item, copy = planned.send, bag_paths[planned.send.pk]
        testimony = _testimony(planned)
        metadata = _metadata(item) or _metadata(planned.case_item)
        date = _date(planned.case_item if not metadata else item, metadata)
        language = testimony.language if testimony else ""
        source = planned.case_item.source or _("collected by %(org)s") % {
            "org": plan.case.workspace.name
        }
        known = {
            "ern": f"{plan.case.workspace.slug.upper()}-{plan.case.pk:04d}-{position:05d}",
            "title": item.original_filename,
            "document_date": date,
            "date": date,
            "document_type": _document_type(item, testimony),
            "author": planned.witness.pseudonym if planned.witness else "",
            "recipient": "",
            "source": source + (" " + _("(redacted copy)") if planned.redacted else ""),
            "languages": language,
            "language": language,
            "confidentiality": "public" if publication else "confidential",
            "redaction_status": "redacted" if planned.redacted else "unredacted",
            "parent_item": str(item.derived_from_id or ""),
            "extent": _extent(item, metadata),
            "file_name": f"{copy.bag_path} ({item.blob.media_type})",
            "consent": _consent_text(planned),
            "licence": "",
        }
        fields = {f["name"]: known.get(f["name"], "") for f in _fields(plan)}
        fixed = {
            "item": item.pk,
            "case_item": planned.case_item.pk,
            "bag_path": copy.bag_path,
            "sha256": "sha256:" + copy.sha256,
            "media_type": item.blob.media_type,
            "size": copy.size,
            "redacted": planned.redacted,
            "witness": planned.witness.pseudonym if planned.witness else "",
            "consent_decision": planned.sharing.pk if planned.sharing else None,
            "consent_date": planned.sharing.effective_at.isoformat() if planned.sharing else None,
        }
        rows.append({**fields, **fixed})
    return rows


def _fields(plan: Plan) -> list[dict[str, Any]]:
    fields: list[dict[str, Any]] = plan.mechanism.requirements.get("metadata_fields", [])
    return [f for f in fields if f["name"] not in FIXED_COLUMNS]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return safe_cell(str(value))


def index_csv(plan: Plan, rows: Sequence[dict[str, Any]]) -> bytes:
    columns = [f["name"] for f in _fields(plan)] + list(FIXED_COLUMNS)
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(_cell(row[c]) for c in columns)
    return out.getvalue().encode("utf-8")


def index_json(plan: Plan, rows: Sequence[dict[str, Any]], export_id: str) -> bytes:
    case, entry = plan.case, plan.mechanism
    document = {
        "format": INDEX_FORMAT,
        "export_id": export_id,
        "case": {"id": case.pk, "title": case.title, "workspace": case.workspace.slug},
        "mechanism": {
            "slug": entry.slug,
            "kind": entry.kind,
            "names": entry.names,
            "reference": entry.requirements.get("reference", ""),
            "verified": entry.requirements.get("verified", False),
        },
        "fields": _fields(plan),
        "fixed_columns": list(FIXED_COLUMNS),
        "items": list(rows),
    }
    text = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    return (text + "\n").encode("utf-8")


# ---------------------------------------------------------------------------------------------
# The memorandum


def _t(value: str | None) -> dict[str, str]:
    text = value or ""
    return {"text": text, "dir": direction(text)}


def _state_labels() -> dict[str, str]:
    return {
        ElementState.UNSUPPORTED: _("unsupported"),
        ElementState.WEAK: _("weak"),
        ElementState.SUPPORTED: _("supported"),
    }


def _status_label(status: str) -> str:
    return {
        "candidate": _("candidate"),
        "accepted": _("accepted"),
        "rejected": _("rejected"),
        UNQUALIFIED: _("not yet qualified"),
    }.get(status, status)


def _section(section: Section) -> dict[str, Any]:
    states = _state_labels()
    return {
        "subject": section.subject,
        "heading": _t(
            f"{section.article} {section.name}"
            if section.subject == "crime"
            else f"{section.suspect}: {section.mode_article} {section.mode_name}"
        ),
        "crime": _t(f"{section.article} {section.name}"),
        "target": _t(section.target),
        "status": _status_label(section.status),
        "notes": [_t(n) for n in section.notes],
        "gaps": len(section.gaps),
        "rows": [
            {
                "number": row.number,
                "text": _t(row.text),
                "state": str(row.state),
                "state_label": states[row.state],
                "supports": [
                    {"label": _t(s.label), "strength": str(s.strength)} for s in row.supports
                ],
            }
            for row in section.rows
        ],
    }


def _charge(charge: Any) -> dict[str, Any]:
    try:
        crime = catalogue.crime(charge.crime_id)
        crime_text = f"{crime.article} {crime.name}"
    except catalogue.UnknownEntry:
        crime_text = charge.crime_id
    try:
        mode = catalogue.mode(charge.mode_id)
        mode_text = f"{mode.article} {mode.name}"
    except catalogue.UnknownEntry:
        mode_text = charge.mode_id
    suspect = None
    if charge.suspect is not None:
        suspect = charge.suspect.person or charge.suspect.organisation
    return {
        "id": charge.pk,
        "crime": _t(crime_text),
        "mode": _t(mode_text),
        "suspect": _t(suspect_label(suspect) if suspect is not None else _("no suspect named")),
        "qualification": charge.qualification_id,
    }


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    # The memorandum is built from our own template and escaped text: it loads nothing.
    raise ValueError(f"the memorandum loads no resources ({url!r} refused)")


def memorandum_html(
    plan: Plan,
    matrix: Matrix,
    *,
    language: str,
    export_id: str,
    recipient: str,
    actor: User | None,
) -> str:
    case: Case = plan.case
    with translation.override(language):
        code = (translation.get_language() or "en").split("-")[0]
        suspects = []
        for row in case.suspects.select_related("person", "organisation").prefetch_related(
            "person__names"
        ):
            who = row.person or row.organisation
            if who is not None:
                suspects.append(_t(suspect_label(who)))
        charges = case.charges.select_related("suspect__person", "suspect__organisation").order_by(
            "pk"
        )
        return render_to_string(
            "cases/disclosure_memorandum.html",
            {
                "language": code,
                "dir": "rtl" if code in RTL_LANGUAGES else "ltr",
                "title": _t(case.title),
                "case": case,
                "situation": _t(case.situation),
                "summary": _t(case.summary),
                "mechanism": _t(display_name(plan.mechanism)),
                "mechanism_slug": plan.mechanism.slug,
                "recipient": _t(recipient),
                "export_id": export_id,
                "generated_at": timezone.now().isoformat(timespec="seconds"),
                "prepared_by": actor_label(actor),
                "charges": [_charge(c) for c in charges],
                "suspects": suspects,
                "incidents": [
                    {
                        "id": i.pk,
                        "title": _t(i.title),
                        "date": i.start_date,
                        "place": _t(i.place_name),
                    }
                    for i in case.incidents.order_by("start_date", "pk")
                ],
                "items": [
                    {
                        "id": p.send.pk,
                        "case_item": p.case_item.pk,
                        "name": _t(p.send.original_filename),
                        "sha256": p.send.blob.sha256,
                        "redacted": p.redacted,
                        "consent": _t(_consent_text(p)),
                    }
                    for p in plan.items
                ],
                "matrix": matrix,
                "sections": [_section(s) for s in matrix.sections],
            },
        )


def memorandum_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported here: it loads Pango, which only PDFs need

    pdf: bytes = HTML(string=html, url_fetcher=_refuse_fetch).write_pdf()
    return pdf


# ---------------------------------------------------------------------------------------------
# All of them


def disclosure_files(
    plan: Plan,
    copied: Sequence[CopiedItem],
    *,
    export_id: str,
    language: str,
    recipient: str,
    actor: User | None,
) -> dict[str, bytes]:
    """The disclosure's tag files, by their path in the bag."""
    rows = index_rows(plan, copied)
    html = memorandum_html(
        plan,
        case_matrix(plan.case),
        language=language,
        export_id=export_id,
        recipient=recipient,
        actor=actor,
    )
    return {
        f"{FOLDER}/README.txt": _README.encode("utf-8"),
        f"{FOLDER}/index.csv": index_csv(plan, rows),
        f"{FOLDER}/index.json": index_json(plan, rows, export_id),
        f"{FOLDER}/memorandum.pdf": memorandum_pdf(html),
    }


_README = """\
This bag is a disclosure package prepared with Testimonia for a justice mechanism.

data/items/<item id>/      the evidence, as collected; where a witness may not be
                           identified to the mechanism, the redacted copy made of it
disclosure/index.csv       one row per item: the metadata fields the mechanism asks for,
                           then item, case_item (the item of the case it stands for),
                           bag_path, sha256, media_type, size, redacted, witness (a
                           pseudonym), consent_decision and consent_date (the witness's
                           consent the disclosure relied on); UTF-8 with a byte order mark
disclosure/index.json      the same, with the fields' descriptions
disclosure/memorandum.pdf  the case: summary, charges, suspects, incidents, the items, and
                           the case matrix (each element, what supports it, the gaps)
testimonia/                the items' records and their chain-of-custody proofs

Check the bag with verify_bundle.py (see testimonia/README.txt).
"""
