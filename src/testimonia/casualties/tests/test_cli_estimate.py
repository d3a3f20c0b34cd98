"""`testimonia estimate FILE`: the JSON contract, the text report, and exit 2 for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from testimonia.cli import EXIT_OK, EXIT_USAGE, main

DATA = Path(__file__).parent / "data"
HIV = str(DATA / "hiv_rome.csv")
SPINA_BIFIDA = str(DATA / "spina_bifida.csv")


def run(capsys, *args):
    code = main(["estimate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_has_the_documented_shape(capsys):
    code, out, err = run(capsys, HIV, "--json")
    assert code == EXIT_OK
    assert err == ""
    report = json.loads(out)
    assert list(report) == [
        "lists",
        "n_observed",
        "method",
        "models",
        "selected",
        "bma",
        "warnings",
    ]
    assert report["n_observed"] == 1896
    assert report["bma"] is None
    assert report["selected"] == "c1:c2"
    model = next(m for m in report["models"] if m["name"] == report["selected"])
    assert {"name", "terms", "estimate", "ci95", "aic", "bic"} <= set(model)
    assert model["terms"] == ["c1", "c2", "c3", "c4", "c1:c2"]
    assert model["estimate"] == pytest.approx(12318.5, rel=1e-3)
    assert model["ci95"] == pytest.approx([10266, 14992.3], rel=1e-3)


def test_asked_models_are_the_ones_fitted(capsys):
    code, out, _ = run(capsys, HIV, "--json", "--model", "independence", "--model", "c1:c2")
    assert code == EXIT_OK
    report = json.loads(out)
    assert [m["name"] for m in report["models"]] == ["independence", "c1:c2"]


def test_an_unidentifiable_model_has_nulls_and_a_warning(capsys):
    code, out, _ = run(capsys, SPINA_BIFIDA, "--json", "--model", "L1:L2:L3")
    assert code == EXIT_OK
    report = json.loads(out)
    (model,) = report["models"]
    assert model["estimate"] is None
    assert model["ci95"] is None
    assert report["selected"] is None
    codes = [w["code"] for w in report["warnings"]]
    assert codes == ["not_identifiable", "no_model_estimable"]
    assert report["warnings"][0]["model"] == "L1:L2:L3"


def test_bma_is_reported_when_asked(capsys):
    code, out, _ = run(capsys, SPINA_BIFIDA, "--json", "--method", "bma", "--delta", "1")
    assert code == EXIT_OK
    bma = json.loads(out)["bma"]
    assert bma["delta"] == 1
    assert bma["graphs"] == 8
    assert {"estimate", "ci95", "top_graphs"} <= set(bma)
    assert bma["ci95"][0] <= bma["estimate"] <= bma["ci95"][1]
    assert sum(g["posterior"] for g in bma["top_graphs"]) <= 1 + 1e-9
    assert bma["top_graphs"][0]["graph"].startswith("[")


def test_text_report_marks_the_selected_model_and_lists_warnings(capsys):
    code, out, _ = run(capsys, SPINA_BIFIDA, "--method", "bma")
    assert code == EXIT_OK
    assert "People observed: 626" in out
    assert "Selected (lowest AIC):" in out
    assert "Bayesian model averaging over 8 decomposable graphs" in out
    assert "Warnings:" in out
    assert "pairwise fits the observed cells exactly" in out
    marked = [line for line in out.splitlines() if line.startswith("* ")]
    assert len(marked) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv"], "no such file"),
        ([HIV, "--model", "c1:c9"], "'c9', which is not a list"),
        ([HIV, "--delta", "0.5"], "--delta is the prior of --method bma"),
    ],
)
def test_bad_requests_exit_2_with_one_line(capsys, monkeypatch, tmp_path, args, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *args)
    assert code == EXIT_USAGE
    assert out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("A,B\n1,0\n0,2\n", "row 3, column 'B': '2' is not 0 or 1"),
        ("A,B\n1,0\n0,0\n", "row 3 is on no list"),
        ("A,B,count\n1,0,-1\n", "counts cannot be negative"),
        ("A,count\n1,4\n", "at least 2 lists"),
    ],
)
def test_bad_tables_exit_2_with_one_line(capsys, tmp_path, content, message):
    path = tmp_path / "table.csv"
    path.write_text(content)
    code, _, err = run(capsys, str(path))
    assert code == EXIT_USAGE
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_bma_with_two_lists_exits_2(capsys, tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("A,B,count\n1,0,5\n0,1,4\n1,1,3\n")
    code, _, err = run(capsys, str(path), "--method", "bma")
    assert code == EXIT_USAGE
    assert "needs 3 to 5 lists" in err


def test_a_non_positive_delta_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["estimate", SPINA_BIFIDA, "--method", "bma", "--delta", "0"])
    assert caught.value.code == EXIT_USAGE


def test_estimate_needs_no_configuration_or_database(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TESTIMONIA_", "DJANGO_"))}
    env["TESTIMONIA_DATABASE_URL"] = "postgres://nobody@127.0.0.1:1/none"
    done = subprocess.run(
        [sys.executable, "-m", "testimonia", "estimate", SPINA_BIFIDA, "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
        timeout=120,
    )
    assert done.returncode == EXIT_OK, done.stderr
    assert json.loads(done.stdout)["n_observed"] == 626
