"""`testimonia qualify`, `testimonia suggest` and `testimonia matrix`."""

from __future__ import annotations

import csv
import io
import json

import pytest

from testimonia.cli import EXIT_OK, EXIT_USAGE, main
from testimonia.legal import services
from testimonia.legal.models import Qualification

pytestmark = pytest.mark.django_db


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def qualify(capsys, act, crime, user, *extra):
    return run(capsys, "qualify", act, crime, "--workspace", "test-ws", "--as", user, *extra)


def test_a_legal_officer_qualifies_an_act(capsys, facts, legal_officer):
    code, out, _ = qualify(capsys, facts["act"].pk, "7(1)(a)", "legal_officer", "--reasoning", "r")
    assert code == EXIT_OK
    q = Qualification.objects.get()
    assert out == (
        f"qualification {q.pk}: act {facts['act'].pk} as 7(1)(a) Murder (RS-7-1-a), candidate\n"
    )
    assert q.reasoning == "r"
    assert q.proposed_by == legal_officer
    code, out, _ = qualify(capsys, facts["act"].pk, "RS-8-2-c-i-1", "administrator", "--json")
    assert code == EXIT_OK
    assert json.loads(out)["crime_id"] == "RS-8-2-c-i-1"


@pytest.mark.parametrize("role", ["investigator", "analyst"])
def test_other_roles_are_refused_with_exit_2(capsys, facts, personas, role):
    code, out, err = qualify(capsys, facts["act"].pk, "7(1)(a)", role)
    assert code == EXIT_USAGE
    assert out == ""
    assert "may not do this" in err
    assert "qualify" in err
    code, _, err = run(capsys, "suggest", facts["act"].pk, "--workspace", "test-ws", "--as", role)
    assert code == EXIT_USAGE
    assert not Qualification.objects.exists()


def test_mistakes_are_one_line_and_exit_2(capsys, facts, legal_officer, outsider, other_workspace):
    capsys.readouterr()  # what the fixtures logged
    cases = [
        ((999999, "7(1)(a)", "legal_officer"), "no act 999999 in workspace test-ws"),
        ((facts["act"].pk, "7(1)(zz)", "legal_officer"), "no crime '7(1)(zz)'"),
        ((facts["act"].pk, "7(1)(a)", "nobody"), "no user 'nobody'"),
        ((facts["act"].pk, "7(1)(a)", "outsider"), "may not do this"),
    ]
    for args, message in cases:
        code, _, err = qualify(capsys, *args)
        assert code == EXIT_USAGE, args
        assert message in err
        assert len(err.splitlines()) == 1
    qualify(capsys, facts["act"].pk, "7(1)(a)", "legal_officer")
    code, _, err = qualify(capsys, facts["act"].pk, "RS-7-1-a", "legal_officer")
    assert code == EXIT_USAGE
    assert "already qualified" in err


def test_suggest_prints_the_candidates_and_adds_nothing_the_second_time(
    capsys, facts, legal_officer
):
    code, out, _ = run(
        capsys, "suggest", facts["act"].pk, "--workspace", "test-ws", "--as", "legal_officer"
    )
    assert code == EXIT_OK
    lines = [line.split("\t") for line in out.splitlines()]
    assert [(line[0], line[2], line[4]) for line in lines] == [
        ("new", "7(1)(a)", "candidate"),
        ("new", "8(2)(c)(i)-1", "candidate"),
        ("new", "6(a)", "candidate"),
    ]
    code, out, _ = run(
        capsys,
        "suggest",
        facts["act"].pk,
        "--workspace",
        "test-ws",
        "--as",
        "legal_officer",
        "--json",
    )
    data = json.loads(out)
    assert data["created"] == []
    assert [q["crime_id"] for q in data["existing"]] == ["RS-7-1-a", "RS-8-2-c-i-1", "RS-6-a"]


def test_the_matrix_in_every_format(capsys, facts, legal_officer, tmp_path):
    murder = services.qualify(legal_officer, facts["act"], "7(1)(a)", "")
    services.link_support(legal_officer, murder, 1, facts["item"], "strong", "crater")
    services.add_suspect_liability(legal_officer, murder, facts["commander"], "RS-28-a")
    base = ["matrix", "--workspace", "test-ws"]
    code, out, _ = run(capsys, *base, "--incident", facts["incident"].pk)
    assert code == EXIT_OK
    assert out.startswith(f"Case matrix: incident {facts['incident'].pk}: Strike on the market\n")
    assert "[GAP unsupported] 2. (contextual, CAH-ATTACK)" in out
    assert "(no pattern indicators linked)" in out
    assert out.index("[GAP unsupported] 3.") < out.index("[supported] 1.")
    assert "- strong item: item" in out
    code, out, _ = run(capsys, *base, "--crime", "RS-7-1-a", "--format", "csv")
    assert code == EXIT_OK
    rows = list(csv.DictReader(io.StringIO(out.removeprefix("\ufeff"))))
    assert {r["crime_id"] for r in rows} == {"RS-7-1-a"}
    code, out, _ = run(capsys, *base, "--suspect", facts["commander"].pk, "--format", "json")
    assert [s["subject"] for s in json.loads(out)["sections"]] == ["crime", "liability"]
    target = tmp_path / "matrix.pdf"
    code, out, err = run(
        capsys,
        *base,
        "--incident",
        facts["incident"].pk,
        "--format",
        "pdf",
        "--output",
        target,
        "--language",
        "ar",
    )
    assert code == EXIT_OK
    assert target.read_bytes().startswith(b"%PDF-")
    assert "wrote the pdf matrix" in err
    assert out == ""


def test_matrix_mistakes_exit_2(capsys, facts):
    base = ["matrix", "--workspace", "test-ws"]
    code, _, err = run(capsys, *base, "--incident", facts["incident"].pk, "--format", "pdf")
    assert code == EXIT_USAGE
    assert "needs --output" in err
    code, _, err = run(capsys, *base, "--incident", 999999)
    assert code == EXIT_USAGE
    assert "no incident 999999" in err
    code, _, err = run(capsys, *base, "--unit", 999999)
    assert "no organisation 999999" in err
    with pytest.raises(SystemExit) as caught:
        main([*base, "--incident", "1", "--crime", "RS-7-1-a"])
    assert caught.value.code == EXIT_USAGE
