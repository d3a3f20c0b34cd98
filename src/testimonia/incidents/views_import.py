"""The incident import pages: upload a CSV or XLSX file, map its columns, check it (a dry run
that lists every row's problems and writes nothing), import it.

Thin over incidents/importer.py, the steps `testimonia import incidents` and the import API
take too, under the same capability (edit_records). Between the steps the file waits in
import_uploads.py under a random token kept in the session (the file never goes into the
database); a file of more than INLINE_ROWS rows is imported by a background job (tasks.py),
a smaller one while the page waits.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any, Final

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from testimonia.accounts import access
from testimonia.accounts.middleware import current_workspace
from testimonia.accounts.models import Workspace
from testimonia.accounts.roles import Capability
from testimonia.incidents import import_uploads
from testimonia.incidents.import_columns import (
    FIELDS,
    MAPPING_NAME_MAX,
    get_mapping,
    mappings_of,
    resolve,
    save_mapping,
    used_mapping,
)
from testimonia.incidents.import_files import MAX_FILE_BYTES
from testimonia.incidents.importer import (
    FileOverview,
    ImportOptions,
    ImportProblem,
    Report,
    describe_file,
    preview,
    run,
)
from testimonia.incidents.models import Incident
from testimonia.incidents.tasks import enqueue_import
from testimonia.jobs.models import Job

SESSION_KEY: Final = "incident_imports"
MAX_PENDING: Final = 5  # uploads a session keeps between steps; the oldest goes first
INLINE_ROWS: Final = 2000  # larger files are imported by a background job
SHOWN: Final = 200  # incidents linked from the result page
FILENAME_MAX: Final = 255


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV or XLSX file"),
        help_text=gettext_lazy("One incident a row; at most %(mb)d MB and 10,000 rows.")
        % {"mb": MAX_FILE_BYTES // (1024 * 1024)},
    )
    mapping = forms.ChoiceField(label=gettext_lazy("Saved mapping"), required=False)
    sheet = forms.CharField(
        label=gettext_lazy("Sheet"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("XLSX only; default: the first sheet."),
    )
    month_first = forms.BooleanField(
        label=gettext_lazy("Dates are written month first (03/14/2024)"), required=False
    )
    encoding = forms.CharField(
        label=gettext_lazy("Encoding"),
        required=False,
        max_length=40,
        help_text=gettext_lazy(
            "CSV only, when it is neither UTF-8 nor UTF-16: windows-1256 (Arabic), "
            "windows-1255 (Hebrew), latin-1."
        ),
    )
    source = forms.CharField(
        label=gettext_lazy("Source"),
        required=False,
        max_length=200,
        help_text=gettext_lazy(
            "The system the rows' ids come from (default: the mapping's name, else the "
            "file's name). An id already imported from the same source is skipped."
        ),
    )

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = mappings_of(workspace).values_list("name", flat=True)
        self.fields["mapping"].choices = [("", "—"), *((n, n) for n in names)]  # type: ignore[attr-defined]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise ValidationError(
                _("The file is larger than %(limit)d MB: split it into smaller files.")
                % {"limit": MAX_FILE_BYTES // (1024 * 1024)}
            )
        return upload


# ---------------------------------------------------------------------------------------------
# The uploads of this session


def _user_id(request: HttpRequest) -> int:
    return int(request.user.pk)  # type: ignore[arg-type]  # a logged-in member (access rule)


def _entries(request: HttpRequest) -> dict[str, dict[str, Any]]:
    entries = request.session.get(SESSION_KEY)
    return entries if isinstance(entries, dict) else {}


def _keep(request: HttpRequest, token: str, entry: dict[str, Any]) -> None:
    entries = _entries(request)
    entries[token] = entry
    for old in sorted(entries, key=lambda t: str(entries[t].get("created", "")))[:-MAX_PENDING]:
        _forget(request, old, entries)
    request.session[SESSION_KEY] = entries


def _forget(
    request: HttpRequest, token: str, entries: dict[str, dict[str, Any]] | None = None
) -> None:
    """Drop an upload from the session and remove its file."""
    entries = _entries(request) if entries is None else entries
    if entries.pop(token, None) is not None:
        import_uploads.remove(_user_id(request), token)
        request.session[SESSION_KEY] = entries


def _pending(request: HttpRequest, ws: Workspace, token: str) -> tuple[dict[str, Any], Path]:
    """The session's upload named by `token` and its file. A token no upload could have
    (a path, say) raises BadToken (a 400); a missing, unknown or expired one _Expired."""
    if not token:
        raise _Expired
    path = import_uploads.path_of(_user_id(request), token)
    entry = _entries(request).get(token)
    if entry is None or entry.get("workspace") != ws.slug:
        raise _Expired
    if not path.is_file():  # swept after a day
        _forget(request, token)
        raise _Expired
    return entry, path


class _Expired(Exception):
    pass


def _expired(request: HttpRequest, ws: Workspace) -> HttpResponse:
    messages.error(
        request,
        _(
            "This upload is no longer here (imported already, or older than a day): upload "
            "the file again."
        ),
    )
    return redirect("web:incident_import", workspace=ws.slug)


def _options(entry: dict[str, Any], **changes: Any) -> ImportOptions:
    return ImportOptions(**{**entry["options"], **changes})


def _step(ws: Workspace, name: str, token: str) -> HttpResponse:
    url = reverse(f"web:incident_import_{name}", kwargs={"workspace": ws.slug})
    return redirect(f"{url}?upload={token}")


# ---------------------------------------------------------------------------------------------
# Step 1: upload


@access.workspace_member(Capability.EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest, workspace: str) -> HttpResponse:
    ws = current_workspace(request)
    form = UploadForm(request.POST or None, request.FILES or None, workspace=ws)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        filename = (upload.name or "upload.csv")[-FILENAME_MAX:]
        import_uploads.sweep()
        token = import_uploads.store(_user_id(request), upload.chunks())
        path = import_uploads.path_of(_user_id(request), token)
        try:
            mapping: dict[str, str] = {}
            if data["mapping"]:
                mapping = dict(get_mapping(ws, data["mapping"]).columns)
            options = ImportOptions(
                mapping=mapping,
                sheet=data["sheet"].strip() or None,
                month_first=data["month_first"],
                encoding=data["encoding"].strip() or None,
                source=data["source"].strip(),
                mapping_name=data["mapping"],
            )
            describe_file(path, filename, options)  # a file that cannot be read stops here
        except ImportProblem as exc:
            path.unlink(missing_ok=True)
            form.add_error(None, str(exc))
        else:
            entry = {
                "workspace": ws.slug,
                "filename": filename,
                "size": upload.size,
                "created": timezone.now().isoformat(),
                "options": asdict(options),
                "save_as": "",
                "rows": None,
                "errors": None,
            }
            _keep(request, token, entry)
            return _step(ws, "mapping", token)
    return render(request, "incidents/import_upload.html", {"form": form, "step": 1})


# ---------------------------------------------------------------------------------------------
# Step 2: columns


def _column_rows(overview: FileOverview, chosen: dict[int, str] | None = None) -> list[Any]:
    return [
        {
            "index": c.index,
            "header": c.header,
            "field": (chosen or {}).get(c.index, c.field or ""),
            "metadata": c.metadata,
            "samples": overview.samples.get(c.index, []),
        }
        for c in overview.columns
    ]


def _mapping_from(
    request: HttpRequest, overview: FileOverview
) -> tuple[dict[str, str], dict[int, str], list[str]]:
    """The mapping the form asks for, the choices as given, and what is wrong with them.

    Only the columns sent to another field than their name says are mapped, so that the
    columns Testimonia recognises keep their order of precedence (KoBo's _uuid before _id).
    A column recognised by its name cannot be left out (the importer reads it anyway)."""
    columns = [c for c in overview.columns if c.header]
    automatic = {c.index: c.field for c in resolve([c.header for c in overview.columns], {})}
    chosen: dict[int, str] = {}
    mapping: dict[str, str] = {}
    problems: list[str] = []
    by_header: dict[str, str] = {}
    for column in columns:
        field = request.POST.get(f"field-{column.index}", "")
        if field and field not in FIELDS:
            field = ""
        chosen[column.index] = field
        if by_header.setdefault(column.header, field) != field:
            problems.append(
                _("Columns named %(header)r must fill the same field: rename one in the file.")
                % {"header": column.header}
            )
        if not field and automatic.get(column.index):
            problems.append(
                _(
                    "Column %(header)r is read as %(field)s because of its name: choose a "
                    "field for it, or rename it in the file."
                )
                % {"header": column.header, "field": automatic[column.index]}
            )
        elif field and field != automatic.get(column.index):
            mapping[column.header] = field
    if "title" not in chosen.values():
        problems.append(_("Choose the column that holds the title: every incident needs one."))
    return mapping, chosen, sorted(set(problems), key=problems.index)


@access.workspace_member(Capability.EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def import_mapping(request: HttpRequest, workspace: str) -> HttpResponse:
    ws = current_workspace(request)
    token = request.POST.get("upload", "") or request.GET.get("upload", "")
    try:
        entry, path = _pending(request, ws, token)
    except _Expired:
        return _expired(request, ws)
    context: dict[str, Any] = {"step": 2, "token": token, "entry": entry}
    try:
        overview = describe_file(path, entry["filename"], _options(entry))
    except ImportProblem as exc:
        context["problem"] = str(exc)
        return render(request, "incidents/import_mapping.html", context)
    chosen = None
    save_as = entry.get("save_as", "")
    if request.method == "POST":
        mapping, chosen, problems = _mapping_from(request, overview)
        save_as = request.POST.get("save_as", "").strip()
        if len(save_as) > MAPPING_NAME_MAX:
            problems.append(
                _("A mapping's name has at most %(max)d characters.") % {"max": MAPPING_NAME_MAX}
            )
        if not problems:
            entry["options"]["mapping"] = mapping
            entry.update(save_as=save_as, rows=None, errors=None)
            _keep(request, token, entry)
            return _step(ws, "preview", token)
        context["problems"] = problems
    context.update(
        overview=overview,
        columns=_column_rows(overview, chosen),
        fields=[(name, str(label)) for name, label in FIELDS.items()],
        has_title=any(c.field == "title" for c in overview.columns),
        save_as=save_as,
        name_max=MAPPING_NAME_MAX,
    )
    return render(request, "incidents/import_mapping.html", context)


# ---------------------------------------------------------------------------------------------
# Step 3: dry run


def _preview_page(
    request: HttpRequest, token: str, entry: dict[str, Any], report: Report
) -> HttpResponse:
    counts = report.as_dict()
    return render(
        request,
        "incidents/import_preview.html",
        {
            "step": 3,
            "token": token,
            "entry": entry,
            "report": report,
            "counts": counts,
            "problems": report.problems(),
            "mapped": [c for c in report.columns if c.field],
            "in_background": len(report.rows) > INLINE_ROWS,
        },
    )


@access.workspace_member(Capability.EDIT_RECORDS)
@require_GET
def import_preview(request: HttpRequest, workspace: str) -> HttpResponse:
    ws = current_workspace(request)
    token = request.GET.get("upload", "")
    try:
        entry, path = _pending(request, ws, token)
    except _Expired:
        return _expired(request, ws)
    try:
        report = preview(ws, path, entry["filename"], _options(entry))
    except ImportProblem as exc:
        return render(
            request,
            "incidents/import_preview.html",
            {"step": 3, "token": token, "entry": entry, "problem": str(exc)},
        )
    entry.update(rows=len(report.rows), errors=sum(1 for r in report.rows if r.errors))
    _keep(request, token, entry)
    return _preview_page(request, token, entry, report)


# ---------------------------------------------------------------------------------------------
# Step 4: import


@access.workspace_member(Capability.EDIT_RECORDS)
@require_POST
def import_run(request: HttpRequest, workspace: str) -> HttpResponse:
    ws = current_workspace(request)
    token = request.POST.get("upload", "")
    try:
        entry, path = _pending(request, ws, token)
    except _Expired:
        return _expired(request, ws)
    if entry.get("rows") is None:
        messages.error(request, _("Check the file before importing it."))
        return _step(ws, "preview", token)
    skip_invalid = request.POST.get("skip_invalid") == "on"
    if entry.get("errors") and not skip_invalid:
        messages.error(
            request,
            _(
                "Some rows have errors: correct the file and upload it again, or tick "
                "“Skip the rows with errors” to import the others."
            ),
        )
        return _step(ws, "preview", token)
    options = _options(entry, skip_invalid=skip_invalid)
    user = request.user
    if int(entry["rows"]) > INLINE_ROWS:
        job = enqueue_import(
            user,  # type: ignore[arg-type]
            ws,
            token,
            entry["filename"],
            options,
            rows=int(entry["rows"]),
            save_as=entry.get("save_as", ""),
        )
        # The file is the job's now: it removes it when done.
        entries = _entries(request)
        entries.pop(token, None)
        request.session[SESSION_KEY] = entries
        return redirect("web:incident_import_job", workspace=ws.slug, job_id=job.pk)
    try:
        report = run(user, ws, path, entry["filename"], options)  # type: ignore[arg-type]
    except ImportProblem as exc:
        _forget(request, token)
        messages.error(request, str(exc))
        return redirect("web:incident_import", workspace=ws.slug)
    if not report.written:
        entry["errors"] = sum(1 for r in report.rows if r.errors)
        _keep(request, token, entry)
        messages.error(
            request,
            _("Nothing was imported: rows could not be saved (see the errors below)."),
        )
        return _preview_page(request, token, entry, report)
    saved = ""
    if entry.get("save_as"):
        try:
            saved = save_mapping(
                user,  # type: ignore[arg-type]
                ws,
                entry["save_as"],
                used_mapping(report.columns),
            ).name
        except ImportProblem as exc:
            messages.error(request, str(exc))
    _forget(request, token)
    counts = report.as_dict()
    return render(
        request,
        "incidents/import_result.html",
        {
            "step": 4,
            "filename": entry["filename"],
            "counts": counts,
            "errors": [(e["row"], e["message"]) for e in counts["errors"]],
            "incidents": _incidents(ws, counts["incidents"]),
            "more": max(0, len(counts["incidents"]) - SHOWN),
            "saved_mapping": saved,
        },
    )


def _incidents(ws: Workspace, ids: list[int]) -> list[Incident]:
    return list(Incident.objects.filter(workspace=ws, pk__in=ids[:SHOWN]).order_by("pk"))


@access.workspace_member(Capability.EDIT_RECORDS)
@require_GET
def import_job(request: HttpRequest, workspace: str, job_id: int) -> HttpResponse:
    """A background import: its state, polled by the page until it is done, then its result."""
    ws = current_workspace(request)
    job = get_object_or_404(Job, pk=job_id, workspace=ws)
    details = job.message_args if isinstance(job.message_args, dict) else {}
    context = {
        "step": 4,
        "job": job,
        "details": details,
        "errors": details.get("errors", []),
        "more_errors": max(0, int(details.get("error_count", 0)) - len(details.get("errors", []))),
        "incidents": _incidents(ws, list(details.get("incidents", []))) if job.finished else [],
    }
    if request.headers.get("HX-Request"):
        return render(request, "incidents/import_job_status.html", context)
    return render(request, "incidents/import_job.html", context)
