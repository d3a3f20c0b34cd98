"""Reading an import file into rows of cells: CSV (any delimiter, UTF-8 or UTF-16) and XLSX.

No database here: the importer (incidents/importer.py) turns the rows into incidents. Every
problem with the file as a whole raises :class:`FileProblem` with a message that says what is
wrong and what to do (a wrong encoding names the line and the byte); problems of single cells
are the importer's business.

Row numbers are those a user sees in a spreadsheet program: 1-based, counting the header, the
lines above it and empty rows, so "row 12" is row 12 in Excel.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

from django.utils.translation import gettext as _

MAX_FILE_BYTES: Final = 50 * 1024 * 1024
# An XLSX is a ZIP: refuse one that would unpack to more than this (a "ZIP bomb").
MAX_UNPACKED_BYTES: Final = 400 * 1024 * 1024
# A real run is one transaction through the documentation services, which write each
# incident's history and search entry: about 10 to 30 rows a second on SQLite, so 10,000 rows
# hold the database's write lock for up to a quarter of an hour.
MAX_ROWS: Final = 10_000
CSV_DELIMITERS: Final = (",", ";", "\t", "|")
TEXT_SUFFIXES: Final = frozenset({"", ".csv", ".tsv", ".txt"})
XLSX_SUFFIXES: Final = frozenset({".xlsx", ".xlsm"})
_SPREADSHEET_NS: Final = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


class FileProblem(Exception):
    """The file cannot be read at all; the message names the problem and the fix."""


@dataclass(frozen=True)
class Merged:
    """A merged range of cells whose value was copied into every cell of the range."""

    ref: str  # "B4:B6"
    first_column: int  # 0-based
    last_column: int


@dataclass
class Row:
    number: int  # as in the spreadsheet program: 1-based, the header and blank rows counted
    cells: list[Any]
    merged: list[Merged] = field(default_factory=list)

    def value(self, column: int) -> Any:
        return self.cells[column] if column < len(self.cells) else None


@dataclass
class Table:
    kind: str  # "csv" or "xlsx"
    rows: list[Row]  # rows with at least one value, in file order
    sheet: str = ""
    sheets: list[str] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""


def suffix_of(filename: str) -> str:
    name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""


def read_table(
    data: bytes, filename: str, *, sheet: str | None = None, encoding: str | None = None
) -> Table:
    """The rows of a CSV or XLSX file (the type is taken from the bytes, then the name)."""
    if len(data) > MAX_FILE_BYTES:
        raise FileProblem(
            _("the file is larger than %(limit)d MB: split it into smaller files")
            % {"limit": MAX_FILE_BYTES // (1024 * 1024)}
        )
    suffix = suffix_of(filename)
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, sheet)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem(
            _("this is an old Excel (.xls) file: save it as .xlsx or as CSV UTF-8 and import that")
        )
    if suffix in XLSX_SUFFIXES:
        raise FileProblem(
            _("%(name)s is not a valid XLSX workbook (is it damaged?)") % {"name": filename}
        )
    if suffix not in TEXT_SUFFIXES:
        raise FileProblem(
            _("cannot import %(suffix)s files: import a CSV or an XLSX file") % {"suffix": suffix}
        )
    if sheet:
        raise FileProblem(_("a CSV file has no sheets: leave out the sheet name"))
    return _read_csv(data, encoding)


# ---------------------------------------------------------------------------------------------
# CSV


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read with.

    Without an explicit encoding: UTF-8 (with or without a byte-order mark) or UTF-16 with a
    byte-order mark. Anything else is refused with the line and byte that do not decode,
    because guessing between the legacy code pages (Windows-1256 Arabic, Windows-1255 Hebrew,
    Latin-1) silently garbles names.
    """
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise FileProblem(_("unknown encoding %(name)r") % {"name": encoding}) from None
        candidates = [encoding]
    elif data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8"]
    name = candidates[0]
    try:
        text = data.decode(name)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start : exc.start + 1].hex().upper()
        if encoding:
            raise FileProblem(
                _(
                    "the file cannot be read as %(encoding)s: byte 0x%(byte)s on line %(line)d "
                    "(byte offset %(offset)d) does not decode"
                )
                % {"encoding": name, "byte": byte, "line": line, "offset": exc.start}
            ) from None
        raise FileProblem(
            _(
                "the file is not UTF-8: byte 0x%(byte)s on line %(line)d (byte offset "
                "%(offset)d) does not decode. Save it as 'CSV UTF-8' (Excel) or as UTF-8, "
                "or give its encoding (for example windows-1256 for Arabic Windows, "
                "windows-1255 for Hebrew, latin-1 for Western European)"
            )
            % {"byte": byte, "line": line, "offset": exc.start}
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise FileProblem(
            _(
                "line %(line)d holds a NUL character: this is not a text file, or it is "
                "UTF-16 without a byte-order mark (save it as CSV UTF-8)"
            )
            % {"line": line}
        )
    return text.removeprefix("\ufeff"), name


def sniff_delimiter(text: str) -> str:
    """The delimiter that cuts the first lines into the most consistent number of columns
    (more than one); a comma when none does."""
    sample = [line for line in text.splitlines()[:30] if line.strip()]
    best, best_score = ",", (0, 0)
    for delimiter in CSV_DELIMITERS:
        try:
            widths = [len(row) for row in csv.reader(sample, delimiter=delimiter)]
        except csv.Error:
            continue
        counts = Counter(w for w in widths if w > 1)
        if not counts:
            continue
        width, agreeing = counts.most_common(1)[0]
        score = (agreeing, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(data: bytes, encoding: str | None) -> Table:
    text, used = decode(data, encoding)
    delimiter = sniff_delimiter(text)
    rows: list[Row] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for record in reader:
            number += 1  # a record is one spreadsheet row, even with line breaks inside a cell
            cells: list[Any] = [_unescape(cell.strip()) or None for cell in record]
            if any(cell is not None for cell in cells):
                rows.append(Row(number, cells))
                _check_size(len(rows))
    except csv.Error as exc:
        raise FileProblem(
            _("line %(line)d cannot be read as CSV: %(problem)s")
            % {"line": reader.line_num, "problem": exc}
        ) from None
    return Table("csv", rows, encoding=used, delimiter=delimiter)


# A CSV export (Testimonia's own, and OWASP's advice) puts an apostrophe before text that a
# spreadsheet would run as a formula; importing takes it off again.
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def _unescape(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(_FORMULA_START) else cell


def _check_size(count: int) -> None:
    if count > MAX_ROWS:
        raise FileProblem(
            _("the file has more than %(limit)d rows: split it into smaller files")
            % {"limit": MAX_ROWS}
        )


# ---------------------------------------------------------------------------------------------
# XLSX


def _read_xlsx(data: bytes, sheet: str | None) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            unpacked = sum(info.file_size for info in archive.infolist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError):
        raise FileProblem(_("the file is a damaged ZIP or XLSX file")) from None
    if b"opendocument" in mimetype:
        raise FileProblem(
            _("this is an OpenDocument spreadsheet (.ods): save it as .xlsx or CSV UTF-8")
        )
    if "xl/workbook.xml" not in names:
        raise FileProblem(_("this ZIP file is not an XLSX workbook"))
    if unpacked > MAX_UNPACKED_BYTES:
        raise FileProblem(
            _("the workbook unpacks to more than %(limit)d MB: split it into smaller files")
            % {"limit": MAX_UNPACKED_BYTES // (1024 * 1024)}
        )
    try:
        # read_only streams the rows; data_only gives the values formulas last computed.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError):
        raise FileProblem(_("the XLSX workbook cannot be read (is it damaged?)")) from None
    try:
        sheets = [ws.title for ws in workbook.worksheets]
        if not sheets:
            raise FileProblem(_("the workbook has no sheet"))
        if sheet and sheet not in sheets:
            raise FileProblem(
                _("the workbook has no sheet %(sheet)r; its sheets: %(sheets)s")
                % {"sheet": sheet, "sheets": ", ".join(sheets)}
            )
        worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
        try:
            rows = _sheet_rows(worksheet)
        except FileProblem:
            raise
        except Exception:  # a malformed sheet part: the parser's errors are not documented
            raise FileProblem(
                _("the sheet %(sheet)r cannot be read (is the file damaged?)")
                % {"sheet": worksheet.title}
            ) from None
        return Table("xlsx", rows, sheet=worksheet.title, sheets=sheets)
    finally:
        workbook.close()


def _merged_ranges(worksheet: Any) -> list[tuple[int, int, int, int, str]]:
    """The merged ranges of a read-only sheet as (first row, first column, last row, last
    column, ref), 1-based. openpyxl's read-only mode does not expose them, so the sheet's XML
    is streamed once more for its <mergeCell> elements (with openpyxl's defused parser)."""
    from openpyxl.utils.cell import range_boundaries
    from openpyxl.xml.functions import iterparse

    found = []
    # _get_source() is the read-only sheet's own way to open its XML part (openpyxl 3.1.5).
    with worksheet._get_source() as source:
        for _event, element in iterparse(source, events=("end",)):
            if element.tag == f"{_SPREADSHEET_NS}mergeCell":
                ref = element.get("ref", "")
                try:
                    first_col, first_row, last_col, last_row = range_boundaries(ref)
                except (ValueError, TypeError):
                    continue
                if None not in (first_col, first_row, last_col, last_row):
                    found.append((first_row, first_col, last_row, last_col, ref))
            elif element.tag == f"{_SPREADSHEET_NS}row":
                element.clear()  # keep memory flat on large sheets
    return found  # type: ignore[return-value]


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    return value


def _sheet_rows(worksheet: Any) -> list[Row]:
    merged = _merged_ranges(worksheet)
    # Sheets written by some tools declare a wrong size; read every row that is there.
    worksheet.reset_dimensions()
    anchors: dict[str, Any] = {}
    rows: list[Row] = []
    for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
        cells = [_cell(v) for v in values]
        notes = []
        for first_row, first_col, last_row, last_col, ref in merged:
            if not first_row <= number <= last_row:
                continue
            if number == first_row:
                anchors[ref] = cells[first_col - 1] if first_col - 1 < len(cells) else None
            value = anchors.get(ref)
            if value is None:
                continue
            if len(cells) < last_col:
                cells.extend([None] * (last_col - len(cells)))
            for column in range(first_col - 1, last_col):
                cells[column] = value
            notes.append(Merged(ref, first_col - 1, last_col - 1))
        if any(cell is not None for cell in cells):
            rows.append(Row(number, cells, notes))
            _check_size(len(rows))
    return rows
