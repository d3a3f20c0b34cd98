"""API routes for importing incidents from CSV/XLSX files and for saved column mappings.

The import answers with the same report as `testimonia import incidents --json`
(docs/import.md): 200 with the rows' errors in the body when rows are invalid, 400 when the
file, the mapping or an option is wrong.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from testimonia.accounts.api_auth import workspace_auth
from testimonia.accounts.roles import Capability
from testimonia.incidents.import_columns import (
    ImportProblem,
    get_mapping,
    mappings_of,
    save_mapping,
    used_mapping,
)
from testimonia.incidents.import_files import MAX_FILE_BYTES
from testimonia.incidents.importer import ImportOptions, preview, run
from testimonia.incidents.models import ImportMapping

router = Router(tags=["import"])


class ProblemOut(Schema):
    row: int | None  # the row in the spreadsheet (header counted); None: the whole file
    message: str


class ColumnOut(Schema):
    header: str
    field: str


class FileOut(Schema):
    kind: str  # csv or xlsx
    sheet: str
    encoding: str
    delimiter: str


class ImportReportOut(Schema):
    rows: int
    imported: int
    would_import: int
    skipped: int  # already imported, or repeated in the file
    invalid: int
    errors: list[ProblemOut]
    warnings: list[ProblemOut]
    dry_run: bool
    incidents: list[int]
    header_row: int
    columns: list[ColumnOut]
    ignored_columns: list[str]
    file: FileOut
    saved_mapping: str | None = None


class MappingIn(Schema):
    name: str
    columns: dict[str, str]  # {"column header": "field"}


class MappingOut(Schema):
    name: str
    columns: dict[str, str]
    created_by: str | None
    created_at: datetime


def mapping_out(mapping: ImportMapping) -> MappingOut:
    return MappingOut(
        name=mapping.name,
        columns=mapping.columns,
        created_by=mapping.created_by.get_username() if mapping.created_by else None,
        created_at=mapping.created_at,
    )


def _columns(text: str) -> dict[str, str]:
    if not text.strip():
        return {}
    try:
        columns = json.loads(text)
    except ValueError:
        raise HttpError(400, _('columns: a JSON object {"column header": "field"}')) from None
    if not isinstance(columns, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
    ):
        raise HttpError(400, _('columns: a JSON object {"column header": "field"}'))
    return columns


@router.post(
    "/workspaces/{workspace}/imports/incidents",
    response=ImportReportOut,
    summary="Import incidents from a CSV or XLSX file (dry_run: report every problem, write "
    "nothing)",
    auth=workspace_auth(Capability.EDIT_RECORDS),
)
def import_incidents(
    request: HttpRequest,
    workspace: str,
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
    mapping: Form[str] = "",
    columns: Form[str] = "",
    sheet: Form[str] = "",
    month_first: Form[bool] = False,
    encoding: Form[str] = "",
    source: Form[str] = "",
    skip_invalid: Form[bool] = False,
    save_mapping_as: Form[str] = "",
) -> dict[str, Any]:
    ws = request.workspace  # type: ignore[attr-defined]
    if (file.size or 0) > MAX_FILE_BYTES:
        raise HttpError(
            413,
            _("the file is larger than %(limit)d MB: split it into smaller files")
            % {"limit": MAX_FILE_BYTES // (1024 * 1024)},
        )
    try:
        merged: dict[str, str] = {}
        if mapping:
            merged.update(get_mapping(ws, mapping).columns)
        merged.update(_columns(columns))
        options = ImportOptions(
            mapping=merged,
            sheet=sheet or None,
            month_first=month_first,
            encoding=encoding or None,
            source=source,
            mapping_name=mapping,
            skip_invalid=skip_invalid,
        )
        data, name = file.read(), file.name or "upload"
        if dry_run:
            report = preview(ws, data, name, options)
        else:
            report = run(request.user, ws, data, name, options)  # type: ignore[arg-type]
        saved = None
        if save_mapping_as and not dry_run:
            saved = save_mapping(
                request.user,  # type: ignore[arg-type]
                ws,
                save_mapping_as,
                used_mapping(report.columns),
            )
    except ImportProblem as exc:
        raise HttpError(400, str(exc)) from None
    body = report.as_dict()
    body["saved_mapping"] = saved.name if saved is not None else None
    return body


@router.get(
    "/workspaces/{workspace}/import-mappings",
    response=list[MappingOut],
    summary="Saved column mappings for imports",
    auth=workspace_auth(Capability.VIEW_RECORDS),
)
def list_mappings(request: HttpRequest, workspace: str) -> list[MappingOut]:
    return [mapping_out(m) for m in mappings_of(request.workspace).select_related("created_by")]  # type: ignore[attr-defined]


@router.post(
    "/workspaces/{workspace}/import-mappings",
    response={201: MappingOut},
    summary="Save a column mapping (a mapping of the same name is replaced)",
    auth=workspace_auth(Capability.EDIT_RECORDS),
)
def create_mapping(request: HttpRequest, workspace: str, body: MappingIn) -> Status[MappingOut]:
    try:
        saved = save_mapping(
            request.user,  # type: ignore[arg-type]
            request.workspace,  # type: ignore[attr-defined]
            body.name,
            body.columns,
        )
    except ImportProblem as exc:
        raise HttpError(400, str(exc)) from None
    return Status(201, mapping_out(saved))
