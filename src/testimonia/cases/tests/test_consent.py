"""Informed consent: dated decisions, withdrawal honoured from its date, history kept, and
`consent_covers` for every kind of mechanism."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from testimonia.cases import consent
from testimonia.cases.consent import consent_covers, identification_allowed, record_consent
from testimonia.cases.exceptions import CasesError, UnknownMechanism
from testimonia.cases.models import Consent
from testimonia.cases.testimonies import add_testimony
from testimonia.custody.models import LogEntry
from testimonia.evidence.services import add_derivative, add_item

from .conftest import CANARY, leaks

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
GRANTED, WITHDRAWN = Consent.Decision.GRANTED, Consent.Decision.WITHDRAWN
SHARE, RECORD, IDENTIFY = Consent.Scope.SHARE, Consent.Scope.RECORD, Consent.Scope.IDENTIFY


def when(days_ago):
    return dt.datetime.now(dt.UTC) - days_ago * DAY


def decide(actor, witness, scope, decision, slug=None, days_ago=0, **kw):
    return record_consent(
        actor,
        witness,
        scope,
        decision,
        form=kw.pop("form", "written"),
        mechanism_slug=slug,
        effective_at=when(days_ago),
        **kw,
    )


@pytest.fixture
def given(witness, investigator):
    """A statement the witness gave, and a transcript made from it."""
    statement = add_testimony(
        investigator, witness, [b"statement text"], original_name="s.txt", kind="statement"
    ).testimony.item
    transcript = add_testimony(
        investigator,
        witness,
        [b"transcript text"],
        original_name="t.txt",
        kind="transcript",
        derived_from=statement,
    ).testimony.item
    return statement, transcript


@pytest.mark.parametrize("slug", ["icc", "un-coi", "national", "domestic-court", "publication"])
def test_consent_to_each_kind_of_mechanism_covers_it_and_no_other(witness, investigator, slug):
    assert consent_covers(witness, slug) == (
        False,
        f"{witness.pseudonym} has not consented to be shared with a mechanism: {slug}",
    )
    decide(investigator, witness, SHARE, GRANTED, slug, days_ago=2)
    covered, reason = consent_covers(witness, slug)
    assert covered
    assert witness.pseudonym in reason
    assert slug in reason
    others = {"icc", "un-coi", "national", "domestic-court", "publication"} - {slug}
    for other in others:
        assert not consent_covers(witness, other).covered


def test_consent_for_national_covers_every_national_prosecutor_but_not_the_reverse(
    witness, investigator
):
    decide(investigator, witness, SHARE, GRANTED, "national-de", days_ago=3)
    assert consent_covers(witness, "national-de").covered
    assert not consent_covers(witness, "national-fr").covered
    assert not consent_covers(witness, "national").covered
    decide(investigator, witness, SHARE, GRANTED, "national", days_ago=2)
    assert consent_covers(witness, "national-fr").covered
    # A withdrawal for the broader entry, later, applies to the narrower one too.
    decide(investigator, witness, SHARE, WITHDRAWN, "national", days_ago=1)
    assert not consent_covers(witness, "national-de").covered
    assert not consent_covers(witness, "national-fr").covered


def test_a_withdrawal_is_honoured_from_its_date_and_the_history_is_kept(witness, investigator):
    granted = decide(investigator, witness, SHARE, GRANTED, "icc", days_ago=10)
    withdrawn = decide(investigator, witness, SHARE, WITHDRAWN, "icc", days_ago=2)
    covered, reason = consent_covers(witness, "icc")
    assert not covered
    assert "withdrew consent on" in reason
    assert withdrawn.effective_at.date().isoformat() in reason
    # Before the withdrawal, the consent covered it: what was disclosed then was allowed.
    assert consent_covers(witness, "icc", at=when(5)).covered
    assert not consent_covers(witness, "icc", at=when(20)).covered
    assert [c.pk for c in consent.history(witness)] == [granted.pk, withdrawn.pk]
    assert [c.pk for c in consent.current_state(witness)] == [withdrawn.pk]
    # Consent given again later covers again; the earlier rows stay.
    again = decide(investigator, witness, SHARE, GRANTED, "icc", days_ago=0)
    assert consent_covers(witness, "icc").covered
    assert Consent.objects.filter(witness=witness).count() == 3
    assert consent.current_state(witness) == [again]


def test_on_the_same_date_a_withdrawal_prevails(witness, investigator):
    moment = when(1)
    record_consent(
        investigator,
        witness,
        SHARE,
        WITHDRAWN,
        form="oral",
        mechanism_slug="icc",
        effective_at=moment,
    )
    record_consent(
        investigator,
        witness,
        SHARE,
        GRANTED,
        form="oral",
        mechanism_slug="icc",
        effective_at=moment,
    )
    assert not consent_covers(witness, "icc").covered


def test_withdrawing_consent_to_be_recorded_stops_sharing(witness, investigator):
    decide(investigator, witness, SHARE, GRANTED, "un-coi", days_ago=5)
    decide(investigator, witness, RECORD, WITHDRAWN, days_ago=1)
    covered, reason = consent_covers(witness, "un-coi")
    assert not covered
    assert "to be recorded" in reason


def test_item_decisions_apply_to_the_item_and_what_was_made_from_it(witness, investigator, given):
    statement, transcript = given
    decide(investigator, witness, SHARE, GRANTED, "icc", days_ago=5)
    assert consent_covers(statement, "icc").covered
    decide(investigator, witness, SHARE, WITHDRAWN, "icc", days_ago=1, item=statement)
    covered, reason = consent_covers(statement, "icc")
    assert not covered
    assert f"for item {statement.pk}" in reason
    assert not consent_covers(transcript, "icc").covered  # a transcript follows its original
    assert consent_covers(witness, "icc").covered  # the rest of the testimony still may go


def test_a_derivative_made_in_the_vault_follows_its_testimony(witness, investigator, given):
    statement, _ = given
    redaction = add_derivative(
        investigator, statement, [b"redacted"], filename="r.txt", derivation="redaction"
    ).item
    assert not consent_covers(redaction, "icc").covered
    decide(investigator, witness, SHARE, GRANTED, "icc")
    assert consent_covers(redaction, "icc").covered


def test_an_item_no_witness_gave_needs_no_witness_consent(workspace, investigator, witness):
    item = add_item(investigator, workspace, [b"a photo"], filename="p.jpg").item
    covered, reason = consent_covers(item, "publication")
    assert covered
    assert "was not given by a witness" in reason


def test_identification_is_a_consent_of_its_own(witness, investigator):
    decide(investigator, witness, SHARE, GRANTED, "icc", days_ago=2)
    assert not identification_allowed(witness, "icc").covered
    decide(investigator, witness, IDENTIFY, GRANTED, "icc", days_ago=1)
    assert identification_allowed(witness, "icc").covered
    assert not identification_allowed(witness, "publication").covered


def test_an_unknown_mechanism_is_refused_with_the_known_ones(witness):
    with pytest.raises(UnknownMechanism) as raised:
        consent_covers(witness, "narnia")
    assert "icc" in str(raised.value)
    assert "un-coi" in str(raised.value)


@pytest.mark.parametrize(
    ("scope", "slug", "extra", "fragment"),
    [
        ("share", None, {}, "names a mechanism"),
        ("record", "icc", {}, "names a mechanism"),
        ("forever", None, {}, "unknown consent scope"),
        ("share", "icc", {"form": "telepathy"}, "unknown form"),
        ("share", "icc", {"days_ago": -2}, "in the future"),
    ],
)
def test_malformed_decisions_are_refused(witness, investigator, scope, slug, extra, fragment):
    with pytest.raises(CasesError, match=fragment):
        decide(investigator, witness, scope, GRANTED, slug, **extra)
    assert not Consent.objects.exists()


def test_an_item_of_another_witness_cannot_carry_this_witness_consent(
    witness, second_witness, investigator, given
):
    statement, _ = given
    with pytest.raises(CasesError, match="is not a testimony of"):
        decide(investigator, second_witness, SHARE, GRANTED, "icc", item=statement)


def test_every_decision_is_in_the_custody_log_without_the_name(witness, investigator):
    row = decide(investigator, witness, SHARE, GRANTED, "icc", form="recorded")
    entry = LogEntry.objects.filter(action="consent").get()
    payload = json.loads(entry.payload)
    assert payload["subject"] == f"witness:{witness.pk}"
    assert payload["details"]["id"] == row.pk
    assert payload["details"]["witness"] == witness.pseudonym
    assert payload["details"]["mechanism"] == "icc"
    assert payload["details"]["form"] == "recorded"
    assert leaks(entry.payload, CANARY) == []


def test_the_custody_log_names_the_witness_actions_in_the_readers_language():
    from django.utils import translation

    from testimonia.cases.identity import Action
    from testimonia.custody.services import action_label

    assert action_label(Action.REVEAL) == "witness identity revealed"
    assert action_label("consent") == "consent recorded"
    with translation.override("ar"):
        assert action_label(Action.REVEAL) != "witness identity revealed"
