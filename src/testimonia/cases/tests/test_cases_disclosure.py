"""Disclosure packages: consent enforced for every kind of mechanism before anything is
written, redacted copies where the witness may not be identified, a bag that bagit and
verify_bundle accept, an index in the mechanism's fields, and no witness name anywhere."""

from __future__ import annotations

import json

import bagit
import pytest

from testimonia.cases import disclosure as log
from testimonia.cases.disclosure import export_case, plan_disclosure
from testimonia.cases.exceptions import CaseConflict, CasesError, DisclosureRefused
from testimonia.cases.models import Disclosure, DisclosureItem, Mechanism
from testimonia.custody.models import LogEntry
from testimonia.evidence.tests.bagtools import verify_bundle

from .casetools import (
    REDACTED,
    STATEMENT,
    canary_in,
    grant,
    index_header,
    index_table,
    make_dossier,
    payload_ids,
    withdraw,
)

pytestmark = pytest.mark.django_db

# Every kind of mechanism in the registry, and the entry a consent is given for: a consent
# for `national` covers `national-de`.
KINDS = [
    ("icc", "icc"),
    ("un-coi", "un-coi"),
    ("national-de", "national"),
    ("domestic-court", "domestic-court"),
    ("publication", "publication"),
]


@pytest.fixture
def dossier(workspace, investigator, legal_officer, witness):
    return make_dossier(workspace, investigator, legal_officer, witness)


@pytest.fixture
def exports(tmp_path):
    """A folder for the bags alone (tmp_path also holds the test's blob store and keys)."""
    folder = tmp_path / "exports"
    folder.mkdir()
    return folder


def _entries(folder):
    return sorted(p.name for p in folder.iterdir())


# ---------------------------------------------------------------------------------------------
# Consent enforcement, for every kind of mechanism


@pytest.mark.parametrize(("slug", "consented"), KINDS)
def test_an_item_whose_consent_covers_the_mechanism_goes_redacted(
    exports, dossier, investigator, legal_officer, slug, consented
):
    grant(investigator, dossier.witness, "share", consented)
    out = exports / "bag"
    made = export_case(legal_officer, dossier.case, slug, out)
    assert made.mechanism.slug == slug
    # Not consented to be identified: the redacted copy goes, never the original.
    assert payload_ids(out) == {dossier.redacted.pk, dossier.photo.pk}
    sent = (out / "data" / "items" / str(dossier.redacted.pk)).iterdir()
    assert [p.read_text() for p in sent] == [REDACTED]
    assert canary_in(out) == {}


@pytest.mark.parametrize(("slug", "consented"), KINDS)
def test_an_item_whose_consent_does_not_cover_the_mechanism_refuses_the_export(
    exports, dossier, investigator, legal_officer, slug, consented
):
    others = [c for _s, c in KINDS if c != consented]
    for other in others:  # consent to every other mechanism: still not this one
        grant(investigator, dossier.witness, "share", other)
    events = LogEntry.objects.count()
    with pytest.raises(DisclosureRefused) as refused:
        export_case(legal_officer, dossier.case, slug, exports / "bag")
    assert [r.item for r in refused.value.refusals] == [dossier.statement.pk]
    reason = refused.value.refusals[0].reason
    assert dossier.witness.pseudonym in reason
    assert slug in reason
    assert _entries(exports) == []  # not even the folder
    assert Disclosure.objects.count() == 0
    assert LogEntry.objects.count() == events


def test_a_withdrawal_refuses_what_an_earlier_grant_allowed(
    exports, dossier, investigator, legal_officer
):
    grant(investigator, dossier.witness, "share", "national")
    withdraw(investigator, dossier.witness, "share", "national-fr")
    assert export_case(legal_officer, dossier.case, "national-de", exports / "de")
    with pytest.raises(DisclosureRefused) as refused:
        export_case(legal_officer, dossier.case, "national-fr", exports / "fr")
    assert "withdrew" in refused.value.refusals[0].reason
    assert not (exports / "fr").exists()


def test_every_refused_item_is_named_with_its_reason(
    exports, workspace, investigator, legal_officer, witness, second_witness
):
    first = make_dossier(workspace, investigator, legal_officer, witness)
    second = make_dossier(workspace, investigator, legal_officer, second_witness, redact=False)
    from testimonia.cases.dossiers import add_items

    add_items(legal_officer, first.case, [second.statement])
    grant(investigator, second_witness, "share", "icc")  # shared, but no redacted copy
    with pytest.raises(DisclosureRefused) as refused:
        export_case(legal_officer, first.case, "icc", exports / "bag")
    reasons = {r.item: r.reason for r in refused.value.refusals}
    assert set(reasons) == {first.statement.pk, second.statement.pk}
    assert "has not consented" in reasons[first.statement.pk]
    assert "no redacted version" in reasons[second.statement.pk]
    assert str(second.statement.pk) in str(refused.value)
    assert _entries(exports) == []


def test_consent_to_be_identified_sends_the_original(exports, dossier, investigator, legal_officer):
    grant(investigator, dossier.witness, "share", "icc")
    decision = grant(investigator, dossier.witness, "identify", "icc")
    out = exports / "bag"
    made = export_case(legal_officer, dossier.case, "icc", out)
    assert payload_ids(out) == {dossier.statement.pk, dossier.photo.pk}
    row = made.items.get(item=dossier.statement)
    assert row.redacted is False
    assert row.identification == decision


def test_a_redacted_copy_in_the_case_goes_once(exports, dossier, investigator, legal_officer):
    from testimonia.cases.dossiers import add_items

    add_items(legal_officer, dossier.case, [dossier.redacted])
    grant(investigator, dossier.witness, "share", "icc")
    out = exports / "bag"
    made = export_case(legal_officer, dossier.case, "icc", out)
    assert payload_ids(out) == {dossier.redacted.pk, dossier.photo.pk}
    assert made.items.count() == 2


def test_the_plan_says_what_would_go_and_what_not(dossier, investigator):
    grant(investigator, dossier.witness, "share", "icc")
    plan = plan_disclosure(dossier.case, "icc")
    assert [(p.case_item.pk, p.send.pk, p.redacted) for p in plan.items] == [
        (dossier.statement.pk, dossier.redacted.pk, True),
        (dossier.photo.pk, dossier.photo.pk, False),
    ]
    assert plan.refusals == ()
    refused = plan_disclosure(dossier.case, "un-coi")
    assert [r.item for r in refused.refusals] == [dossier.statement.pk]


def test_a_consent_withdrawn_during_the_export_stops_it(
    exports, monkeypatch, dossier, investigator, legal_officer
):
    """The check runs again in the transaction that records the disclosure."""
    from testimonia.cases import disclosure_files

    grant(investigator, dossier.witness, "share", "icc")
    real = disclosure_files.disclosure_files

    def meanwhile(*args, **kwargs):
        withdraw(investigator, dossier.witness, "share", "icc")
        return real(*args, **kwargs)

    monkeypatch.setattr(disclosure_files, "disclosure_files", meanwhile)
    with pytest.raises(DisclosureRefused):
        export_case(legal_officer, dossier.case, "icc", exports / "bag")
    assert _entries(exports) == []
    assert Disclosure.objects.count() == 0


def test_a_closed_or_empty_case_is_not_exported(exports, workspace, legal_officer):
    from testimonia.cases.dossiers import create_case, set_status

    empty = create_case(legal_officer, workspace, "Nothing yet")
    with pytest.raises(CasesError, match="no evidence items"):
        export_case(legal_officer, empty, "icc", exports / "a")
    set_status(legal_officer, empty, "closed")
    with pytest.raises(CaseConflict):
        export_case(legal_officer, empty, "icc", exports / "b")
    assert _entries(exports) == []


# ---------------------------------------------------------------------------------------------
# The bag


@pytest.fixture
def bag(exports, dossier, investigator, legal_officer):
    grant(investigator, dossier.witness, "share", "icc")
    out = exports / "icc-bag"
    export_case(legal_officer, dossier.case, "icc", out, recipient="ICC OTP, Evidence Unit")
    return out


def test_the_bag_validates_with_verify_bundle(bag):
    result = verify_bundle(bag)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("VERDICT: PASSED")


def test_the_bag_validates_with_bagit(bag):
    checked = bagit.Bag(str(bag))
    checked.validate()
    assert len(list(checked.payload_files())) == 2
    assert "disclosure/memorandum.pdf" in {name for name, _ in checked.tagfile_entries().items()}


def test_verify_bundle_sees_a_changed_memorandum(bag):
    memo = bag / "disclosure" / "memorandum.pdf"
    data = bytearray(memo.read_bytes())
    data[len(data) // 2] ^= 0x01
    memo.write_bytes(bytes(data))
    result = verify_bundle(bag)
    assert result.returncode == 1
    assert "disclosure/memorandum.pdf" in result.stdout


def test_the_index_has_the_icc_e_court_fields(bag, dossier):
    fields = [f["name"] for f in Mechanism.objects.get(slug="icc").requirements["metadata_fields"]]
    header = index_header(bag)
    assert header[: len(fields)] == fields
    assert {"ern", "document_date", "redaction_status", "confidentiality"} <= set(header)
    assert header[len(fields) :][:4] == ["item", "case_item", "bag_path", "sha256"]
    rows = {int(r["item"]): r for r in index_table(bag)}
    statement = rows[dossier.redacted.pk]
    assert statement["case_item"] == str(dossier.statement.pk)
    assert statement["redaction_status"] == "redacted"
    assert statement["author"] == dossier.witness.pseudonym
    assert statement["sha256"] == dossier.redacted.blob.sha256
    assert rows[dossier.photo.pk]["redaction_status"] == "unredacted"
    document = json.loads((bag / "disclosure" / "index.json").read_text())
    assert [f["name"] for f in document["fields"]] == fields
    assert len(document["items"]) == 2


@pytest.mark.parametrize("slug", ["un-coi", "publication"])
def test_the_index_has_each_mechanisms_own_fields(
    exports, dossier, investigator, legal_officer, slug
):
    grant(investigator, dossier.witness, "share", slug)
    out = exports / slug
    export_case(legal_officer, dossier.case, slug, out)
    fields = [f["name"] for f in Mechanism.objects.get(slug=slug).requirements["metadata_fields"]]
    assert index_header(out)[: len(fields)] == fields
    if slug == "un-coi":
        rows = {int(r["item"]): r for r in index_table(out)}
        assert "consent decision" in rows[dossier.redacted.pk]["consent"]


def test_no_form_of_the_witness_name_is_in_any_file_of_the_bag(bag, dossier):
    # The original statement names the canary: had it gone, this would find it.
    assert STATEMENT.encode() not in b"".join(p.read_bytes() for p in bag.rglob("*") if p.is_file())
    assert canary_in(bag) == {}


def test_the_canary_check_would_see_an_unredacted_statement(
    exports, dossier, investigator, legal_officer
):
    grant(investigator, dossier.witness, "share", "icc")
    grant(investigator, dossier.witness, "identify", "icc")
    out = exports / "identified"
    export_case(legal_officer, dossier.case, "icc", out)
    assert list(canary_in(out)) == [f"data/items/{dossier.statement.pk}/W-0001-statement.txt"]


# ---------------------------------------------------------------------------------------------
# The disclosure log


def test_the_log_records_what_went_to_whom_under_which_consent(
    exports, dossier, investigator, legal_officer
):
    decision = grant(investigator, dossier.witness, "share", "icc")
    out = exports / "bag"
    made = export_case(legal_officer, dossier.case, "icc", out, recipient="ICC OTP")
    made.refresh_from_db()
    assert made.recipient == "ICC OTP"
    assert made.disclosed_by == legal_officer
    assert made.bag_name == "bag"
    import hashlib

    expected = hashlib.sha256((out / "tagmanifest-sha256.txt").read_bytes()).hexdigest()
    assert made.manifest_digest == "sha256:" + expected
    rows = {r.item_id: r for r in DisclosureItem.objects.filter(disclosure=made)}
    statement = rows[dossier.redacted.pk]
    assert statement.case_item == dossier.statement
    assert statement.consent == decision
    assert statement.consent_effective_at == decision.effective_at
    assert statement.witness == dossier.witness
    assert statement.redacted is True
    assert rows[dossier.photo.pk].consent is None
    assert rows[dossier.photo.pk].witness is None


def test_a_disclosure_is_a_custody_event_that_names_no_witness(
    exports, dossier, investigator, legal_officer
):
    from .conftest import CANARY, leaks

    grant(investigator, dossier.witness, "share", "icc")
    made = export_case(legal_officer, dossier.case, "icc", exports / "bag")
    event = LogEntry.objects.filter(workspace=dossier.case.workspace).order_by("-seq").first()
    payload = json.loads(event.payload)
    assert payload["action"] == "disclosure"
    assert payload["subject"] == f"case:{dossier.case.pk}"
    assert payload["details"]["disclosure"] == made.pk
    assert payload["details"]["manifest_digest"] == made.manifest_digest
    assert leaks(event.payload, CANARY) == []
    assert dossier.witness.pseudonym not in event.payload


def test_a_receipt_is_recorded_later(exports, dossier, investigator, legal_officer):
    import datetime as dt

    from django.utils import timezone

    grant(investigator, dossier.witness, "share", "icc")
    made = export_case(legal_officer, dossier.case, "icc", exports / "bag")
    today = timezone.localdate()
    log.record_receipt(legal_officer, made, received_on=today, reference="OTP/2026/0042")
    made.refresh_from_db()
    assert made.received_on == today
    assert made.receipt_reference == "OTP/2026/0042"
    assert made.receipt_recorded_by == legal_officer
    assert made.history.count() == 2
    last = json.loads(LogEntry.objects.order_by("-seq").first().payload)
    assert last["action"] == "disclosure_receipt"
    with pytest.raises(CasesError, match="before the disclosure"):
        log.record_receipt(
            legal_officer, made, received_on=today - dt.timedelta(days=30), reference="x"
        )


def test_a_withdrawal_lists_the_disclosures_it_affects(
    exports, dossier, investigator, legal_officer
):
    grant(investigator, dossier.witness, "share", "national")
    grant(investigator, dossier.witness, "share", "icc")
    to_de = export_case(legal_officer, dossier.case, "national-de", exports / "de")
    to_icc = export_case(legal_officer, dossier.case, "icc", exports / "icc")
    # Withdrawn for every national prosecutor: the one to Germany is affected, the ICC not.
    national = withdraw(investigator, dossier.witness, "share", "national")
    assert log.disclosures_affected_by(national) == [to_de]
    icc = withdraw(investigator, dossier.witness, "share", "icc")
    assert log.disclosures_affected_by(icc) == [to_icc]
    # The items went redacted: withdrawing consent to be identified affects none of them.
    assert (
        log.disclosures_affected_by(withdraw(investigator, dossier.witness, "identify", "icc"))
        == []
    )
    # Consent to be recorded withdrawn: every disclosure of the witness's items.
    from testimonia.cases.consent import record_consent

    recording = record_consent(investigator, dossier.witness, "record", "withdrawn", form="oral")
    assert log.disclosures_affected_by(recording) == [to_de, to_icc]
    assert log.disclosures_affected_by(grant(investigator, dossier.witness, "share", "icc")) == []


def test_a_withdrawal_for_one_item_lists_only_disclosures_of_it(
    exports, workspace, investigator, legal_officer, witness
):
    first = make_dossier(workspace, investigator, legal_officer, witness)
    second = make_dossier(workspace, investigator, legal_officer, witness, title="Second")
    grant(investigator, witness, "share", "icc")
    export_case(legal_officer, first.case, "icc", exports / "one")
    other = export_case(legal_officer, second.case, "icc", exports / "two")
    item_only = withdraw(investigator, witness, "share", "icc", item=second.statement)
    assert log.disclosures_affected_by(item_only) == [other]
