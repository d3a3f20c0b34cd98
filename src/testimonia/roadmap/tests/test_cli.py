"""`testimonia roadmap scorecard`, `testimonia roadmap import` and `testimonia roadmap export`."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from testimonia.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, main
from testimonia.roadmap import services
from testimonia.roadmap.models import Recommendation

D = dt.date
pytestmark = pytest.mark.django_db


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "recs.csv"
    path.write_text(
        "addressee,text,theme,source,date,deadline,status\n"
        "Alphaland,Arrest the suspects.,arrest_warrants,ICC-01/18-1,2024-11-21,2025-03-01,\n"
        "Zetaland,Protect the defenders.,human_rights_defenders,,2024-12-01,,\n",
        encoding="utf-8",
    )
    return path


def test_scorecard_as_json(capsys, roadmap, analyst):
    services.record_status_change(
        analyst, roadmap.cooperation, status="implemented", date=D(2025, 1, 5), note="x"
    )
    code, out, _err = run(
        capsys, "roadmap", "scorecard", "--workspace", "test-ws", "--json", "--as-of", "2025-06-01"
    )
    assert code == EXIT_OK
    body = json.loads(out)
    assert body["as_of"] == "2025-06-01"
    alpha = next(a for a in body["actors"] if a["name"] == "Alphaland")
    assert alpha["country_code"] == "AL"
    assert alpha["count"] == 2
    assert alpha["implemented"] == 1
    assert alpha["overdue"] == 1  # the arrests: deadline 2025-03-01
    cells = {t["theme"]: t for t in alpha["themes"]}
    assert cells["icc_cooperation"]["share_implemented"] == 1.0


def test_scorecard_as_text(capsys, roadmap):
    code, out, _ = run(capsys, "roadmap", "scorecard", "--workspace", "test-ws")
    assert code == EXIT_OK
    assert "Alphaland (AL): 2 | not started 2" in out
    assert "    Enforcement of arrest warrants: 2 |" in out


def test_import_then_dry_run_again(capsys, roadmap, good_file, analyst):
    code, out, _err = run(
        capsys, "roadmap", "import", good_file, "--workspace", "test-ws", "--dry-run"
    )
    assert code == EXIT_OK
    assert "dry run: nothing was written" in out
    assert "new addressees (to create): Zetaland" in out
    assert Recommendation.objects.count() == 3
    code, out, _ = run(
        capsys, "roadmap", "import", good_file, "--workspace", "test-ws", "--as", "analyst"
    )
    assert code == EXIT_OK
    assert "imported 2 recommendation(s)" in out
    assert Recommendation.objects.filter(created_by=analyst).count() == 5


def test_import_with_bad_rows_exits_1_and_writes_nothing(capsys, workspace, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("addressee,text,date\nX,Fine.,2024-01-01\nY,,2024-01-01\n", encoding="utf-8")
    code, out, _ = run(capsys, "roadmap", "import", path, "--workspace", "test-ws", "--json")
    assert code == EXIT_FAILURE
    report = json.loads(out)
    assert report["errors"] == [
        {"row": 3, "message": "text: the cell is empty; every row needs the text"}
    ]
    assert report["written"] is False
    assert not Recommendation.objects.exists()


@pytest.mark.parametrize("role", ["investigator", "protection_officer", "reviewer"])
def test_import_as_a_role_without_edit_roadmap_exits_2(capsys, personas, good_file, role):
    code, out, err = run(
        capsys, "roadmap", "import", good_file, "--workspace", "test-ws", "--as", role
    )
    assert code == EXIT_USAGE
    assert out == ""
    assert "may not do this" in err
    assert "edit_roadmap" in err
    assert not Recommendation.objects.exists()


def test_file_problems_exit_2_in_one_line(capsys, workspace, tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes("addressee,text\nÉtat,Texte\n".encode("latin-1"))
    code, _out, err = run(capsys, "roadmap", "import", latin, "--workspace", "test-ws")
    assert code == EXIT_USAGE
    assert "latin.csv: the file is not UTF-8: byte 0xC9 on line 2" in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "roadmap", "import", tmp_path / "none.csv", "--workspace", "test-ws")
    assert code == EXIT_USAGE
    assert "no such file" in err
    code, _, err = run(
        capsys, "roadmap", "import", latin, "--workspace", "test-ws", "--map", "nonsense"
    )
    assert code == EXIT_USAGE
    assert "HEADER=FIELD" in err
    code, _, err = run(capsys, "roadmap", "scorecard", "--workspace", "nowhere")
    assert code == EXIT_USAGE
    assert "no workspace 'nowhere'" in err


def test_export_csv_and_json(capsys, roadmap, tmp_path):
    code, out, _ = run(capsys, "roadmap", "export", "--workspace", "test-ws", "--format", "json")
    assert code == EXIT_OK
    body = json.loads(out)
    assert len(body["recommendations"]) == 3
    target = tmp_path / "out.csv"
    code, out, _ = run(capsys, "roadmap", "export", "--workspace", "test-ws", "-o", target)
    assert code == EXIT_OK
    assert target.read_text(encoding="utf-8-sig").startswith("addressee,text,theme,source,")
    code, _, err = run(capsys, "roadmap", "export", "--workspace", "test-ws", "-o", target)
    assert code == EXIT_USAGE
    assert "already exists" in err
