"""`testimonia case ...`: create, add, export (refused with exit 1 naming every item, nothing
written), list, disclosures, receipt; and a withdrawal that names the disclosures it affects."""

from __future__ import annotations

import json

import pytest

from testimonia.cases.models import Case, Disclosure
from testimonia.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, main
from testimonia.evidence.tests.bagtools import verify_bundle

from .casetools import canary_in, grant, make_dossier, payload_ids
from .conftest import CANARY, leaks

pytestmark = pytest.mark.django_db


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def dossier(workspace, investigator, legal_officer, witness):
    return make_dossier(workspace, investigator, legal_officer, witness)


@pytest.fixture
def exports(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    return folder


def test_case_create_prints_the_id_and_case_add_adds_items(capsys, workspace, investigator):
    from testimonia.evidence.services import add_item

    code, out, err = run(
        capsys,
        "case", "create", "Strikes on hospitals", "--workspace", "test-ws",
        "--mechanism", "un-coi", "--as", "legal_officer",
    )  # fmt: skip
    assert code == EXIT_OK, err
    case = Case.objects.get()
    assert out == f"{case.pk}\n"
    assert case.mechanism.slug == "un-coi"
    assert case.created_by.username == "legal_officer"
    one = add_item(investigator, workspace, [b"one"], filename="one.jpg").item
    two = add_item(investigator, workspace, [b"two"], filename="two.jpg").item
    code, out, err = run(
        capsys, "case", "add", case.pk, one.pk, two.pk, "--workspace", "test-ws", "--json"
    )
    assert code == EXIT_OK, err
    assert json.loads(out) == {"case": case.pk, "items": [one.pk, two.pk]}
    assert set(case.case_items.values_list("item_id", flat=True)) == {one.pk, two.pk}


def test_mistakes_are_usage_errors(capsys, workspace, dossier):
    code, _, err = run(capsys, "case", "add", dossier.case.pk, 99999, "--workspace", "test-ws")
    assert code == EXIT_USAGE
    assert "no item 99999" in err
    code, _, err = run(capsys, "case", "add", "abc", 1, "--workspace", "test-ws")
    assert code == EXIT_USAGE
    assert "case is given by its id" in err
    code, _, err = run(capsys, "case", "create", "x", "--workspace", "test-ws", "--mechanism", "x")
    assert code == EXIT_USAGE
    assert "unknown mechanism" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("role", ["investigator", "analyst", "protection_officer", "reviewer"])
def test_only_who_may_build_cases_acts_as_themselves(capsys, personas, dossier, exports, role):
    for args in (
        ("case", "create", "x", "--workspace", "test-ws"),
        ("case", "add", dossier.case.pk, dossier.photo.pk, "--workspace", "test-ws"),
        ("case", "export", dossier.case.pk, exports / "bag", "--workspace", "test-ws",
         "--mechanism", "icc"),
    ):  # fmt: skip
        code, _, err = run(capsys, *args, "--as", role)
        assert code == EXIT_USAGE
        assert "build_cases" in err
    code, _, err = run(capsys, "case", "create", "x", "--workspace", "test-ws", "--as", "outsider")
    assert code == EXIT_USAGE
    assert list(exports.iterdir()) == []
    assert Case.objects.count() == 1


def test_export_refused_by_consent_exits_1_naming_each_item_and_writes_nothing(
    capsys, dossier, exports
):
    out_dir = exports / "bag"
    code, out, err = run(
        capsys,
        "case", "export", dossier.case.pk, out_dir, "--workspace", "test-ws",
        "--mechanism", "icc", "--as", "legal_officer",
    )  # fmt: skip
    assert code == EXIT_FAILURE
    assert out == ""
    assert f"item {dossier.statement.pk}: W-0001 has not consented" in err
    assert "nothing was written" in err
    assert not out_dir.exists()
    assert Disclosure.objects.count() == 0
    assert leaks(err, CANARY) == []


def test_export_writes_the_package_and_the_log(capsys, dossier, exports, investigator):
    grant(investigator, dossier.witness, "share", "national")
    out_dir = exports / "bag"
    code, out, err = run(
        capsys,
        "case", "export", dossier.case.pk, out_dir, "--workspace", "test-ws",
        "--mechanism", "national-de", "--recipient", "GBA Karlsruhe", "--as", "legal_officer",
        "--json",
    )  # fmt: skip
    assert code == EXIT_OK, err
    record = json.loads(out)
    made = Disclosure.objects.get()
    assert record["id"] == made.pk
    assert record["mechanism"] == "national-de"
    assert record["manifest_digest"] == made.manifest_digest
    assert payload_ids(out_dir) == {dossier.redacted.pk, dossier.photo.pk}
    assert verify_bundle(out_dir).returncode == 0
    assert canary_in(out_dir) == {}
    code, out, _ = run(capsys, "case", "disclosures", "--workspace", "test-ws")
    assert out.startswith(f"{made.pk}\tcase {dossier.case.pk}\tnational-de\tGBA Karlsruhe\t")
    assert out.rstrip().endswith("no receipt")
    code, out, err = run(
        capsys,
        "case", "receipt", made.pk, "--workspace", "test-ws", "--date",
        made.disclosed_at.date().isoformat(), "--reference", "3 ARP 17/26", "--as", "administrator",
    )  # fmt: skip
    assert code == EXIT_OK, err
    made.refresh_from_db()
    assert made.receipt_reference == "3 ARP 17/26"
    assert made.receipt_recorded_by.username == "administrator"
    code, _, err = run(
        capsys, "case", "receipt", made.pk, "--workspace", "test-ws", "--date", "yesterday",
        "--reference", "x",
    )  # fmt: skip
    assert code == EXIT_USAGE
    assert "not a date" in err


def test_case_list(capsys, dossier):
    code, out, _ = run(capsys, "case", "list", "--workspace", "test-ws", "--json")
    assert code == EXIT_OK
    assert json.loads(out) == [
        {
            "id": dossier.case.pk,
            "title": "Strike on the market",
            "mechanism": "icc",
            "status": "open",
            "items": 2,
            "disclosures": 0,
        }
    ]


def test_a_withdrawal_names_the_disclosures_it_affects(capsys, dossier, exports, investigator):
    grant(investigator, dossier.witness, "share", "icc")
    code, _, err = run(
        capsys,
        "case", "export", dossier.case.pk, exports / "bag", "--workspace", "test-ws",
        "--mechanism", "icc", "--recipient", "ICC OTP",
    )  # fmt: skip
    assert code == EXIT_OK, err
    made = Disclosure.objects.get()
    code, out, err = run(
        capsys, "witness", "consent", "W-0001", "--workspace", "test-ws", "--withdraw", "icc"
    )
    assert code == EXIT_OK, err
    assert f"affects disclosure {made.pk}: case {dossier.case.pk} to icc (ICC OTP)" in out
    code, out, _ = run(
        capsys, "witness", "consent", "W-0001", "--workspace", "test-ws", "--withdraw",
        "un-coi", "--json",
    )  # fmt: skip
    assert json.loads(out)[0]["affected_disclosures"] == []
