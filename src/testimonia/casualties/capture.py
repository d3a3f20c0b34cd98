"""Capture-history tables: who appears on which list, the input of every estimator.

A table over k lists has 2^k cells, one per inclusion pattern. Cell i holds the number of
people whose pattern is i, where bit j of i (least significant first) says whether they are
on list j. Cell 0 (on no list) is the unknown the estimators predict: it is never observed and
a table holds 0 there.

The CSV form has one 0/1 column per list, named after the list, and an optional `count`
column (aggregated cells: each row counts `count` people with that pattern; repeated patterns
add up). Without it each row is one record. Validation is strict: any value other than 0 or 1,
a negative or fractional count, a row on no list, or fewer than two lists is an error that
names the row and column.

Pure Python: no Django import.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from testimonia.casualties.exceptions import EstimationInputError

COUNT_COLUMN = "count"
MIN_LISTS = 2
MAX_LISTS = 15  # 2^15 cells; beyond this no capture-recapture design is estimable in practice
FORBIDDEN_IN_NAMES = (":", ",")


@dataclass(frozen=True)
class CaptureTable:
    """Counts of people per inclusion pattern over named lists."""

    lists: tuple[str, ...]
    cells: tuple[int, ...]  # length 2^k; cells[0] == 0 (the unobserved cell)

    def __post_init__(self) -> None:
        if len(self.cells) != 2 ** len(self.lists):
            raise ValueError("a capture table over k lists has 2^k cells")
        if self.cells[0] != 0:
            raise ValueError("the unobserved cell of a capture table must hold 0")

    @property
    def k(self) -> int:
        return len(self.lists)

    @property
    def n_observed(self) -> int:
        return sum(self.cells)

    def list_size(self, j: int) -> int:
        """People on list j."""
        return sum(c for i, c in enumerate(self.cells) if i >> j & 1)

    def overlap(self, members: Iterable[int]) -> int:
        """People on every list in `members` (and possibly others)."""
        mask = sum(1 << j for j in set(members))
        return sum(c for i, c in enumerate(self.cells) if i & mask == mask)

    def pattern_name(self, i: int) -> str:
        """`A+B` for the cell of people on lists A and B only."""
        return "+".join(name for j, name in enumerate(self.lists) if i >> j & 1)

    def permuted(self, order: Sequence[int]) -> CaptureTable:
        """The same table with the lists in the order `order` (new list j = old order[j])."""
        cells = [0] * len(self.cells)
        for i, count in enumerate(self.cells):
            new = sum(1 << pos for pos, old in enumerate(order) if i >> old & 1)
            cells[new] = count
        return CaptureTable(tuple(self.lists[old] for old in order), tuple(cells))


def capture_table(lists: Sequence[str], counts: Mapping[tuple[int, ...], int]) -> CaptureTable:
    """A table from {pattern: count}, each pattern a 0/1 tuple in the order of `lists`."""
    names = _checked_list_names(lists)
    cells = [0] * 2 ** len(names)
    for pattern, count in counts.items():
        if len(pattern) != len(names) or any(v not in (0, 1) for v in pattern):
            raise EstimationInputError(
                f"pattern {pattern!r} is not a 0/1 value for each of the {len(names)} lists"
            )
        if count < 0:
            raise EstimationInputError(f"pattern {pattern!r} has a negative count ({count})")
        index = sum(1 << j for j, v in enumerate(pattern) if v)
        if index == 0 and count:
            raise EstimationInputError(
                "the pattern on no list cannot be observed: remove it from the table"
            )
        cells[index] += count
    return _checked_table(names, cells)


def read_capture_csv(path: Path) -> CaptureTable:
    """Read and validate a capture-history CSV (see the module docstring)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return parse_capture_rows(csv.reader(handle))
    except FileNotFoundError:
        raise EstimationInputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise EstimationInputError(f"{path} is a folder, not a CSV file") from None
    except PermissionError:
        raise EstimationInputError(f"{path}: permission denied") from None
    except UnicodeDecodeError:
        raise EstimationInputError(f"{path} is not UTF-8 text: save the CSV as UTF-8") from None
    except csv.Error as exc:
        raise EstimationInputError(f"{path} is not a readable CSV file: {exc}") from None


def parse_capture_rows(rows: Iterable[Sequence[str]]) -> CaptureTable:
    """Validate CSV rows (the first is the header) into a table; errors name row and column.

    Rows are numbered as a spreadsheet shows them: the header is row 1.
    """
    iterator = iter(rows)
    header = next(iterator, None)
    if header is None or not any(cell.strip() for cell in header):
        raise EstimationInputError(
            "the file is empty: expected a header with one column per list (and `count`)"
        )
    names = [cell.strip() for cell in header]
    count_at = _count_column(names)
    list_names = _checked_list_names([n for i, n in enumerate(names) if i != count_at])
    list_columns = [i for i in range(len(names)) if i != count_at]
    cells = [0] * 2 ** len(list_names)
    for row_number, row in enumerate(iterator, start=2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line, as spreadsheets leave at the end
        if len(row) != len(names):
            raise EstimationInputError(
                f"row {row_number} has {len(row)} values but the header has {len(names)} columns"
            )
        index = 0
        for bit, column in enumerate(list_columns):
            value = row[column].strip()
            if value == "1":
                index |= 1 << bit
            elif value != "0":
                raise EstimationInputError(
                    f"row {row_number}, column {names[column]!r}: {value!r} is not 0 or 1 "
                    "(1 = on this list, 0 = not on it)"
                )
        count = 1 if count_at is None else _count(row[count_at], row_number)
        if index == 0:
            raise EstimationInputError(
                f"row {row_number} is on no list: people on no list cannot be observed, "
                "remove the row (the estimators predict that cell)"
            )
        cells[index] += count
    return _checked_table(list_names, cells)


def _count_column(names: list[str]) -> int | None:
    found = [i for i, name in enumerate(names) if name.lower() == COUNT_COLUMN]
    if len(found) > 1:
        raise EstimationInputError("the header has more than one `count` column")
    return found[0] if found else None


def _count(raw: str, row_number: int) -> int:
    value = raw.strip()
    try:
        count = int(value)
    except ValueError:
        raise EstimationInputError(
            f"row {row_number}, column 'count': {value!r} is not a whole number"
        ) from None
    if count < 0:
        raise EstimationInputError(
            f"row {row_number}, column 'count': counts cannot be negative ({count})"
        )
    return count


def _checked_list_names(names: Sequence[str]) -> tuple[str, ...]:
    if len(names) < MIN_LISTS:
        raise EstimationInputError(
            f"estimation needs at least {MIN_LISTS} lists (one 0/1 column each); found {len(names)}"
        )
    if len(names) > MAX_LISTS:
        raise EstimationInputError(
            f"at most {MAX_LISTS} lists are supported; found {len(names)} columns"
        )
    seen: set[str] = set()
    for name in names:
        if not name:
            raise EstimationInputError("a column of the header has no name: name every list")
        if any(mark in name for mark in FORBIDDEN_IN_NAMES):
            raise EstimationInputError(
                f"list name {name!r} contains ':' or ',', which --model uses to write terms: "
                "rename the column"
            )
        if name in seen:
            raise EstimationInputError(f"list name {name!r} appears twice in the header")
        seen.add(name)
    return tuple(names)


def _checked_table(names: tuple[str, ...], cells: list[int]) -> CaptureTable:
    table = CaptureTable(names, tuple(cells))
    if table.n_observed == 0:
        raise EstimationInputError("the table holds no records")
    for j, name in enumerate(names):
        if table.list_size(j) == 0:
            raise EstimationInputError(
                f"list {name!r} holds no record: drop its column or check the data"
            )
    return table
