"""Capture-history CSVs are validated strictly, with errors that name the row and column."""

from __future__ import annotations

import pytest

from testimonia.casualties.capture import (
    CaptureTable,
    capture_table,
    parse_capture_rows,
    read_capture_csv,
)
from testimonia.casualties.exceptions import EstimationInputError


def parse(text):
    return parse_capture_rows(line.split(",") for line in text.strip().splitlines())


def test_rows_without_count_are_one_record_each():
    table = parse("A,B\n1,0\n1,1\n1,1\n0,1\n")
    assert table.lists == ("A", "B")
    assert table.cells == (0, 1, 1, 2)
    assert table.n_observed == 4


def test_count_column_aggregates_and_repeated_patterns_add_up():
    table = parse("A,count,B\n1,5,0\n0,7,1\n1,2,1\n1,1,0\n")
    assert table.lists == ("A", "B")
    assert table.cells == (0, 6, 7, 2)


def test_a_count_of_zero_is_an_observed_empty_cell():
    table = parse("A,B,count\n1,0,5\n0,1,7\n1,1,0\n")
    assert table.cells == (0, 5, 7, 0)


def test_values_are_trimmed_and_blank_lines_skipped():
    table = parse_capture_rows([["A ", " B"], [" 1", "0 "], ["", ""], ["0", "1"]])
    assert table.cells == (0, 1, 1, 0)


def test_a_byte_order_mark_is_not_part_of_the_first_name(tmp_path):
    path = tmp_path / "lists.csv"
    path.write_bytes("\ufeffA,B\r\n1,0\r\n0,1\r\n1,1\r\n".encode())
    assert read_capture_csv(path).lists == ("A", "B")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A,B\n1,2\n", r"row 2, column 'B': '2' is not 0 or 1"),
        ("A,B\n1,yes\n", r"row 2, column 'B': 'yes' is not 0 or 1"),
        ("A,B\n1,0\n1,\n", r"row 3, column 'B': '' is not 0 or 1"),
        ("A,count\n1,3\n", "at least 2 lists"),
        ("A\n1\n", "at least 2 lists"),
        ("A,B\n1,0\n0,0\n", "row 3 is on no list"),
        ("A,B,count\n1,0,3\n0,0,0\n", "row 3 is on no list"),
        ("A,B,count\n1,0,-3\n", "counts cannot be negative"),
        ("A,B,count\n1,0,2.5\n", "'2.5' is not a whole number"),
        ("A,B,count,Count\n1,0,2,2\n", "more than one `count` column"),
        ("A,A\n1,0\n", "'A' appears twice"),
        ("A,,B\n1,0,1\n", "has no name"),
        ("A:1,B\n1,0\n", "contains ':' or ','"),
        ("A,B\n1,0,1\n", "row 2 has 3 values but the header has 2 columns"),
        ("A,B\n", "holds no records"),
        ("A,B,count\n1,0,0\n", "holds no records"),
        ("A,B\n1,0\n1,0\n", "list 'B' holds no record"),
    ],
)
def test_bad_tables_are_refused_with_one_clear_line(text, message):
    with pytest.raises(EstimationInputError, match=message) as caught:
        parse(text)
    assert "\n" not in str(caught.value)


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(EstimationInputError, match="the file is empty"):
        read_capture_csv(path)


def test_a_missing_file_or_a_folder_is_refused(tmp_path):
    with pytest.raises(EstimationInputError, match="no such file"):
        read_capture_csv(tmp_path / "nothing.csv")
    with pytest.raises(EstimationInputError, match="is a folder"):
        read_capture_csv(tmp_path)


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("Liste é,B\n1,0\n".encode("latin-1"))
    with pytest.raises(EstimationInputError, match="not UTF-8"):
        read_capture_csv(path)


def test_too_many_lists_are_refused():
    header = ",".join(f"L{j}" for j in range(16))
    with pytest.raises(EstimationInputError, match="at most 15 lists"):
        parse(header + "\n" + ",".join(["1"] * 16) + "\n")


def test_capture_table_from_counts_refuses_the_unobserved_pattern():
    with pytest.raises(EstimationInputError, match="cannot be observed"):
        capture_table(["A", "B"], {(0, 0): 3, (1, 0): 2, (0, 1): 1})


def test_permuting_lists_moves_the_cells_with_them():
    table = CaptureTable(("A", "B", "C"), (0, 1, 2, 3, 4, 5, 6, 7))
    permuted = table.permuted((2, 0, 1))
    assert permuted.lists == ("C", "A", "B")
    assert permuted.overlap((0, 1)) == table.overlap((2, 0))
    assert permuted.n_observed == table.n_observed
    assert permuted.permuted((1, 2, 0)) == table
