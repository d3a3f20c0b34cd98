"""`testimonia crimes ...`: the catalogue from the command line, without a database."""

from __future__ import annotations

import json

import pytest

from testimonia.cli import EXIT_OK, EXIT_USAGE, main


def run(capsys, *args):
    code = main(["crimes", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_prints_every_crime_and_marks_the_unverified(capsys):
    code, out, err = run(capsys, "list")
    assert code == EXIT_OK
    lines = out.splitlines()
    assert len(lines) == 103
    assert lines[0].split("\t")[:4] == ["RS-6-a", "6(a)", "GEN", "4"]
    starvation = next(line for line in lines if line.startswith("RS-8-2-e-xix\t"))
    assert starvation.endswith("2019 ICC-ASP/18/Res.5\tUNVERIFIED")
    assert sum(line.endswith("UNVERIFIED") for line in lines) == 7
    assert "7 crime(s) marked UNVERIFIED" in err


def test_list_filters_by_category(capsys):
    code, out, _ = run(capsys, "list", "--category", "CAH")
    assert code == EXIT_OK
    assert len(out.splitlines()) == 16
    assert all(line.split("\t")[2] == "CAH" for line in out.splitlines())


def test_list_refuses_an_unknown_category(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["crimes", "list", "--category", "XYZ"])
    assert caught.value.code == EXIT_USAGE


def test_list_json_gives_the_crimes_with_their_elements(capsys):
    code, out, _ = run(capsys, "list", "--json", "--category", "AGG")
    assert code == EXIT_OK
    crimes = json.loads(out)
    assert [c["id"] for c in crimes] == ["RS-8bis"]
    assert crimes[0]["amendment"] == "2010 RC/Res.6"
    assert len(crimes[0]["elements"]) == 6


def test_show_accepts_an_article_and_prints_the_elements(capsys):
    code, out, _ = run(capsys, "show", "7(1)(j)")
    assert code == EXIT_OK
    assert out.startswith("RS-7-1-j  article 7(1)(j)  Crime against humanity of apartheid")
    assert "  5. [mental] The perpetrator intended to maintain such regime" in out
    assert "6. [contextual] (CAH-ATTACK)" in out
    assert "Verified: yes" in out


def test_show_prints_the_introduction_that_explains_a_shared_element_once(capsys):
    code, out, _ = run(capsys, "show", "RS-7-1-a")
    assert code == EXIT_OK
    assert "Shared element CAH-ATTACK" in out
    assert "footnote 6: A policy which has a civilian population" in out
    assert out.count("Introduction to article 7, para. 2") == 1


def test_show_says_why_an_unverified_crime_is_unverified(capsys):
    code, out, _ = run(capsys, "show", "RS-8-2-b-xxix")
    assert code == EXIT_OK
    assert "Verified: NO (UNVERIFIED)" in out
    assert "ICC-ASP/16/Res.4" in out


def test_show_json_has_the_documented_shape(capsys):
    code, out, _ = run(capsys, "show", "RS-7-1-a", "--json")
    assert code == EXIT_OK
    crime = json.loads(out)
    assert crime["id"] == "RS-7-1-a"
    assert crime["article"] == "7(1)(a)"
    assert crime["category"] == "CAH"
    assert crime["name"] == "Murder"
    assert crime["amendment"] is None
    assert crime["verified"] is True
    assert [(e["number"], e["kind"]) for e in crime["elements"]] == [
        (1, "material"),
        (2, "contextual"),
        (3, "contextual"),
    ]
    assert crime["elements"][0]["text"] == "The perpetrator killed one or more persons."
    assert {s["id"] for s in crime["sources"]} == {"RS", "EOC"}


def test_show_unknown_id_is_a_usage_error_naming_it_and_close_ids(capsys):
    code, out, err = run(capsys, "show", "RS-7-1-z")
    assert code == EXIT_USAGE
    assert out == ""
    assert err.startswith("testimonia: error: no crime 'RS-7-1-z' in the catalogue; did you mean")
    assert "RS-7-1-" in err
    assert len(err.strip().splitlines()) == 1


def test_modes_lists_articles_25_and_28(capsys):
    code, out, _ = run(capsys, "modes")
    assert code == EXIT_OK
    assert "RS-25-3-a-joint  article 25(3)(a)  Co-perpetration" in out
    assert "RS-28-b  article 28(b)" in out
    assert "ICC-01/05-01/08-424" in out  # Bemba confirmation decision cited for article 28


def test_modes_json(capsys):
    code, out, _ = run(capsys, "modes", "--json")
    assert code == EXIT_OK
    modes = json.loads(out)
    assert len(modes) == 12
    assert modes[0]["elements"][0]["kind"] == "material"


def test_rules_show_article_30(capsys):
    code, out, _ = run(capsys, "rules")
    assert code == EXIT_OK
    assert "RS-30  Mental element" in out
    code, out, _ = run(capsys, "rules", "--json")
    assert json.loads(out)[0]["id"] == "RS-30"


def test_a_damaged_catalogue_exits_1_with_one_line(capsys, monkeypatch):
    from testimonia.legal import catalogue

    def damaged():
        raise catalogue.CatalogueError("crimes.json: crimes[3] (RS-6-d): 'name' must be ...")

    monkeypatch.setattr(catalogue, "catalogue", damaged)
    code, _, err = run(capsys, "list")
    assert code == 1
    assert err == (
        "testimonia: error: the crime catalogue is damaged: "
        "crimes.json: crimes[3] (RS-6-d): 'name' must be ...\n"
    )


def test_the_commands_need_no_configuration_and_no_database():
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("TESTIMONIA_", "DJANGO_"))}
    env["TESTIMONIA_DATABASE_URL"] = "postgres://nobody@127.0.0.1:9/unreachable"
    done = subprocess.run(
        [sys.executable, "-m", "testimonia", "crimes", "show", "7(1)(a)", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == EXIT_OK, done.stderr
    assert json.loads(done.stdout)["id"] == "RS-7-1-a"


def test_the_catalogue_module_imports_no_django():
    import subprocess
    import sys

    code = "import sys, testimonia.legal.catalogue; print('django' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "False"
