"""Bulk import of incidents from CSV and XLSX files: spreadsheets and KoBoToolbox/ODK exports.

Three steps, each usable on its own (the CLI, the API and the upload page call the same ones):

1. :func:`describe_file` reads the file and says which column fills which field (the mapping
   step of the upload page);
2. :func:`preview` parses every row and reports every row's problems, writing nothing (a dry
   run: not even a saved mapping);
3. :func:`run` parses the same way and writes, through the documentation services so that the
   history names the actor.

All or nothing: a file with any row in error writes nothing unless ``skip_invalid`` is set,
so a user fixes the file and imports it again without wondering which rows went in. Rows
already imported are skipped (see :func:`_duplicates`), so importing a file again is safe.

Reading the file is import_files.py, reading a cell (dates, coordinates) import_values.py; this
module maps columns to fields, checks values against the vocabularies and the gazetteer, and
writes. The fields and formats are documented in docs/import.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from testimonia.accounts.models import User, Workspace
from testimonia.incidents.import_columns import (
    FIELDS,
    HEADER_SEARCH_ROWS,
    Column,
    ImportProblem,
    check_mapping,
    find_header,
    resolve,
)
from testimonia.incidents.import_files import MAX_FILE_BYTES, FileProblem, Row, Table, read_table
from testimonia.incidents.import_rows import (
    REASON_MAX,
    Outcome,
    RowContext,
    RowReport,
    cell_text,
    id_key,
    incident_key,
    parse_row,
)
from testimonia.incidents.models import ImportedRecord, Incident
from testimonia.incidents.services import DocumentationError, add_act, create_incident

__all__ = [
    "FIELDS",
    "FileOverview",
    "ImportOptions",
    "ImportProblem",
    "Report",
    "RowReport",
    "describe_file",
    "preview",
    "run",
]

ROW_REASON: Final = "imported from "  # history_change_reason of an imported incident
SCOPE_MAX: Final = ImportedRecord._meta.get_field("scope").max_length or 200
FILENAME_MAX: Final = ImportedRecord._meta.get_field("filename").max_length or 255


@dataclass
class ImportOptions:
    """How to read the file. ``mapping`` is {"column header": "field"}: a saved mapping's
    columns merged with any given for this import (check them with :func:`check_mapping`)."""

    mapping: dict[str, str] = field(default_factory=dict)
    sheet: str | None = None
    month_first: bool = False
    encoding: str | None = None
    # The system the row ids come from, so that "1, 2, 3" of two spreadsheets do not collide;
    # default: the mapping's name, else the file's name. Globally unique ids (KoBo's _uuid)
    # need none.
    source: str = ""
    mapping_name: str = ""
    skip_invalid: bool = False


@dataclass
class Report:
    rows: list[RowReport]
    dry_run: bool
    columns: list[Column]
    header_row: int
    table: Table
    file_warnings: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def imported(self) -> int:
        return sum(1 for r in self.rows if r.outcome == Outcome.IMPORTED)

    @property
    def would_import(self) -> int:
        return sum(1 for r in self.rows if r.outcome in (Outcome.NEW, Outcome.IMPORTED))

    @property
    def has_errors(self) -> bool:
        return any(r.errors for r in self.rows)

    def problems(self) -> list[tuple[int, str, str]]:
        """(row, "error" or "warning", message), in file order."""
        found = [(0, "warning", w) for w in self.file_warnings]
        for r in self.rows:
            found += [(r.row, "error", m) for m in r.errors]
            found += [(r.row, "warning", m) for m in r.all_warnings()]
        return found

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": len(self.rows),
            "imported": self.imported,
            "would_import": self.would_import,
            "skipped": sum(1 for r in self.rows if r.outcome == Outcome.DUPLICATE),
            "invalid": sum(1 for r in self.rows if r.outcome == Outcome.INVALID),
            "errors": [{"row": r.row, "message": m} for r in self.rows for m in r.errors],
            "warnings": [{"row": None, "message": m} for m in self.file_warnings]
            + [{"row": r.row, "message": m} for r in self.rows for m in r.all_warnings()],
            "dry_run": self.dry_run,
            "incidents": [r.incident for r in self.rows if r.outcome == Outcome.IMPORTED],
            "header_row": self.header_row,
            "columns": [
                {"header": c.header, "field": c.field} for c in self.columns if c.field is not None
            ],
            "ignored_columns": [c.header for c in self.columns if c.field is None and c.header],
            "file": {
                "kind": self.table.kind,
                "sheet": self.table.sheet,
                "encoding": self.table.encoding,
                "delimiter": self.table.delimiter,
            },
        }


@dataclass
class FileOverview:
    """What the mapping step shows: each column, the field it fills, a few sample values."""

    table: Table
    header_row: int
    columns: list[Column]
    samples: dict[int, list[str]]  # column index -> first non-empty values
    warnings: list[str]
    # Why the file cannot be imported with this mapping yet ("no column fills 'title'"), or
    # "": the header row is then a guess and the columns are those the mapping step maps.
    problem: str = ""


# ---------------------------------------------------------------------------------------------
# Entry points


def describe_file(data: bytes | Path, filename: str, options: ImportOptions) -> FileOverview:
    """Which column fills which field, with sample values: what the mapping step shows.

    A file whose columns fill no title yet is described all the same (``problem`` says what
    is missing), so that its columns can be mapped; a file that cannot be read raises
    ImportProblem."""
    mapping = check_mapping(options.mapping)
    table = _table(data, filename, options)
    problem = ""
    try:
        header, columns, warnings = find_header(table, mapping)
    except ImportProblem as exc:
        if not table.rows:
            raise
        header, columns = _likely_header(table, mapping)
        warnings, problem = [], str(exc)
    samples: dict[int, list[str]] = {c.index: [] for c in columns}
    for row in table.rows:
        if row.number <= header:
            continue
        for column in columns:
            cell = row.value(column.index)
            if cell is not None and len(samples[column.index]) < 3:
                samples[column.index].append(cell_text(cell))
    return FileOverview(table, header, columns, samples, warnings, problem)


def _likely_header(table: Table, mapping: dict[str, str]) -> tuple[int, list[Column]]:
    """The header of a file that names no title: the first row naming a field, else the
    first row."""
    for row in table.rows[:HEADER_SEARCH_ROWS]:
        columns = resolve(row.cells, mapping)
        if any(c.field for c in columns):
            return row.number, columns
    first = table.rows[0]
    return first.number, resolve(first.cells, mapping)


def preview(
    workspace: Workspace, data: bytes | Path, filename: str, options: ImportOptions
) -> Report:
    """Parse every row and report every problem; write nothing."""
    return _parse(workspace, data, filename, options, dry_run=True)


def run(
    actor: User | None,
    workspace: Workspace,
    data: bytes | Path,
    filename: str,
    options: ImportOptions,
) -> Report:
    """Import the file: every valid new row, or (without skip_invalid) nothing when any row
    is invalid. :func:`preview` is the dry run."""
    report = _parse(workspace, data, filename, options, dry_run=False)
    if report.has_errors and not options.skip_invalid:
        return report
    with transaction.atomic():
        # Two imports of the same file at once would both find no duplicate and both write.
        # Rows with an id cannot (ImportedRecord's unique constraint: see _write); for rows
        # without one, hold the workspace row until this import has written (SQLite
        # serialises writers anyway). NO KEY: rows pointing at the workspace (evidence, jobs)
        # can still be written meanwhile.
        Workspace.objects.select_for_update(no_key=True).filter(pk=workspace.pk).first()
        _duplicates(workspace, report.rows)
        failed = _write(actor, workspace, report, filename)
        if failed and not options.skip_invalid:
            transaction.set_rollback(True)
            for r in report.rows:
                if r.outcome == Outcome.IMPORTED:
                    r.outcome, r.incident = Outcome.NEW, None
            return report
    report.written = True
    return report


# ---------------------------------------------------------------------------------------------
# Parsing


def _read(data: bytes | Path) -> bytes:
    if isinstance(data, bytes):
        return data
    try:
        if data.stat().st_size > MAX_FILE_BYTES:  # refused before it is read into memory
            raise ImportProblem(
                _("the file is larger than %(limit)d MB: split it into smaller files")
                % {"limit": MAX_FILE_BYTES // (1024 * 1024)}
            )
        return data.read_bytes()
    except OSError as exc:
        raise ImportProblem(
            _("cannot read %(path)s: %(problem)s") % {"path": data, "problem": exc.strerror}
        ) from None


def _table(data: bytes | Path, filename: str, options: ImportOptions) -> Table:
    try:
        return read_table(_read(data), filename, sheet=options.sheet, encoding=options.encoding)
    except FileProblem as exc:
        raise ImportProblem(str(exc)) from None


def _open(
    data: bytes | Path, filename: str, options: ImportOptions
) -> tuple[Table, int, list[Column], list[str]]:
    mapping = check_mapping(options.mapping)
    table = _table(data, filename, options)
    header, columns, warnings = find_header(table, mapping)
    return table, header, columns, warnings


def _parse(
    workspace: Workspace,
    data: bytes | Path,
    filename: str,
    options: ImportOptions,
    *,
    dry_run: bool,
) -> Report:
    table, header, columns, warnings = _open(data, filename, options)
    by_field: dict[str, list[Column]] = {}
    for column in sorted((c for c in columns if c.field), key=lambda c: (c.rank, c.index)):
        by_field.setdefault(str(column.field), []).append(column)
    context = RowContext(
        workspace, month_first=options.month_first, scope=_scope(options, filename)
    )
    rows = []
    for row in table.rows:
        if row.number <= header:
            continue
        cells = {name: _first(row, cols) for name, cols in by_field.items()}
        report = RowReport(row.number)
        _merged_notes(row, columns, report)
        parse_row(cells, report, context)
        rows.append(report)
    _duplicates(workspace, rows)
    return Report(rows, dry_run, columns, header, table, warnings)


def _first(row: Row, columns: list[Column]) -> Any:
    for column in columns:
        value = row.value(column.index)
        if value is not None and not (isinstance(value, str) and not value.strip()):
            return value
    return None


def _merged_notes(row: Row, columns: list[Column], report: RowReport) -> None:
    for merged in row.merged:
        headers = [
            c.header
            for c in columns
            if c.field and merged.first_column <= c.index <= merged.last_column
        ]
        if headers:
            report.warnings.append(
                _(
                    "cells %(range)s are merged: their value was used for every row of the "
                    "range (column %(columns)s)"
                )
                % {"range": merged.ref, "columns": ", ".join(repr(h) for h in headers)}
            )


def _scope(options: ImportOptions, filename: str) -> str:
    """The system the rows' ids come from: the source, else the mapping's name, else the
    file's name (without folder or extension)."""
    if options.source:
        scope = options.source
    elif options.mapping_name:
        scope = options.mapping_name
    else:
        name = _basename(filename)
        scope = name.rsplit(".", 1)[0] if "." in name else name
    if len(scope) <= SCOPE_MAX:
        return scope
    # Too long to keep whole: a prefix for readers and a digest that keeps it distinct.
    digest = "~sha256:" + hashlib.sha256(scope.encode()).hexdigest()
    return scope[: SCOPE_MAX - len(digest)] + digest


def _basename(filename: str) -> str:
    return filename.replace("\\", "/").rsplit("/", 1)[-1]


def _chunks(items: list[Any], size: int = 500) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _duplicates(workspace: Workspace, rows: list[RowReport]) -> None:
    """Mark the rows already in the workspace, or repeated in the file, as duplicates.

    A row with an id (external_id, KoBo's _uuid, ODK's instanceID) matches the incident
    imported with the same id in the same source (its ImportedRecord). A row without one
    matches an incident with the same title, start date and place.
    """
    candidates = [r for r in rows if r.outcome in (Outcome.NEW, Outcome.DUPLICATE) and r.key]
    for r in candidates:
        r.outcome, r.incident, r.duplicate = Outcome.NEW, None, ""
    known: dict[str, int] = {}
    by_scope: dict[str, set[str]] = {}
    for r in candidates:
        if r.keyed_by_id:
            by_scope.setdefault(r.source_id[0], set()).add(r.source_id[1])
    for scope, ids in sorted(by_scope.items()):
        for chunk in _chunks(sorted(ids)):
            for external_id, pk in ImportedRecord.objects.filter(
                workspace=workspace, scope=scope, external_id__in=chunk
            ).values_list("external_id", "incident_id"):
                known[id_key(scope, external_id)] = pk
    dates = sorted({r.values.get("start_date") for r in candidates if not r.keyed_by_id}, key=str)
    for chunk in _chunks([d for d in dates if d is not None]):
        for pk, title, start, place, place_name in Incident.objects.filter(
            workspace=workspace, start_date__in=chunk
        ).values_list("pk", "title", "start_date", "place_id", "place_name"):
            known.setdefault(incident_key(title, start, place, place_name), pk)
    if None in dates:
        for pk, title, place, place_name in Incident.objects.filter(
            workspace=workspace, start_date__isnull=True
        ).values_list("pk", "title", "place_id", "place_name"):
            known.setdefault(incident_key(title, None, place, place_name), pk)
    first_row: dict[str, int] = {}
    for r in candidates:
        existing = known.get(r.key)
        if existing is not None:
            _already_there(r, existing)
        elif r.key in first_row:
            r.outcome = Outcome.DUPLICATE
            r.duplicate = _("the same incident as row %(row)d: skipped") % {"row": first_row[r.key]}
        else:
            first_row[r.key] = r.row


def _already_there(r: RowReport, incident: int) -> None:
    r.outcome, r.incident = Outcome.DUPLICATE, incident
    r.duplicate = _("already in the workspace as incident %(id)d: skipped") % {"id": incident}


class _RecordedMeanwhile(Exception):
    """Another import recorded the row's id after this one looked: roll the row back."""


def _write(actor: User | None, workspace: Workspace, report: Report, filename: str) -> bool:
    """Create the new rows' incidents; True when any failed (its error is on its row)."""
    failed = False
    name = _basename(filename)
    for r in report.rows:
        if r.outcome != Outcome.NEW:
            continue
        fields = {k: v for k, v in r.values.items() if k != "external_id"}
        try:
            with transaction.atomic():
                incident = create_incident(
                    actor,
                    workspace,
                    tags=r.tags,
                    # simple-history keeps this on the new incident's first history entry.
                    _change_reason=f"{ROW_REASON}{name} row {r.row}"[:REASON_MAX],
                    **fields,
                )
                for code in r.acts:
                    add_act(actor, incident, code)
                if r.keyed_by_id:
                    _record(workspace, r, incident, name)
        except _RecordedMeanwhile:
            recorded = ImportedRecord.objects.filter(
                workspace=workspace, scope=r.source_id[0], external_id=r.source_id[1]
            ).values_list("incident_id", flat=True)
            _already_there(r, recorded.get())
            continue
        except DocumentationError as exc:
            r.errors.append(str(exc))
            r.outcome = Outcome.INVALID
            failed = True
            continue
        r.outcome, r.incident = Outcome.IMPORTED, incident.pk
    return failed


def _record(workspace: Workspace, r: RowReport, incident: Incident, filename: str) -> None:
    """Record the row's id. The unique constraint, not the look-up in _duplicates, is what
    keeps two imports running at once from both importing it: the second one's insert fails
    (on PostgreSQL it waits for the first to commit) and its incident is rolled back."""
    try:
        with transaction.atomic():
            ImportedRecord.objects.create(
                workspace=workspace,
                scope=r.source_id[0],
                external_id=r.source_id[1],
                incident=incident,
                filename=filename[:FILENAME_MAX],
            )
    except IntegrityError:
        raise _RecordedMeanwhile from None
