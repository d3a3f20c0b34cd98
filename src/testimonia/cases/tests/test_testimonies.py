"""Testimony intake: interviews, testimony items in the vault, transcripts and translations
as derivatives of their original, all linked to the witness."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from testimonia.cases import models
from testimonia.cases.exceptions import CasesError
from testimonia.cases.testimonies import (
    add_testimony,
    link_item,
    record_interview,
    safe_extension,
)
from testimonia.custody.models import LogEntry
from testimonia.evidence.services import add_item
from testimonia.incidents import services as records

from .conftest import CANARY, leaks

pytestmark = pytest.mark.django_db


@pytest.fixture
def facts(workspace, investigator):
    incident = records.create_incident(investigator, workspace, title="Shelling of the market")
    act = records.add_act(investigator, incident, "killing")
    return incident, act


def test_an_interview_records_who_when_where_and_the_facts_it_bears_on(
    witness, investigator, facts
):
    incident, act = facts
    interview = record_interview(
        investigator,
        witness,
        conducted_on=dt.date(2024, 5, 2),
        language="ar",
        interviewer=investigator,
        place="Field office",
        interpreter="Staff interpreter 3",
        summary="W-0001 saw the shelling of the market.",
        incident_ids=[incident.pk],
        act_ids=[act.pk],
    )
    assert interview.witness == witness
    assert list(interview.incidents.all()) == [incident]
    assert list(interview.acts.all()) == [act]
    assert list(incident.interviews.all()) == [interview]


def test_an_interview_refuses_facts_of_another_workspace(witness, investigator, other_workspace):
    elsewhere = records.create_incident(None, other_workspace, title="x")
    with pytest.raises(CasesError, match=f"no incident {elsewhere.pk} in workspace test-ws"):
        record_interview(
            investigator,
            witness,
            conducted_on=dt.date(2024, 5, 2),
            language="en",
            incident_ids=[elsewhere.pk],
        )
    with pytest.raises(CasesError, match="language"):
        record_interview(investigator, witness, conducted_on=dt.date(2024, 5, 2), language="??")


def test_a_recording_is_stored_under_the_pseudonym_not_its_file_name(witness, investigator):
    added = add_testimony(
        investigator,
        witness,
        [b"ID3 audio bytes"],
        original_name=f"interview with {CANARY}.mp3",
        kind="recording",
        language="ar",
    )
    item = added.testimony.item
    assert item.original_filename == "W-0001-recording.mp3"
    assert item.original_path == ""
    assert item.source == "testimony of W-0001"
    assert added.testimony.witness == witness
    event = LogEntry.objects.get(action="ingest")
    assert leaks(event.payload, CANARY) == []
    assert json.loads(event.payload)["details"]["filename"] == "W-0001-recording.mp3"


def test_only_a_known_extension_is_kept():
    assert safe_extension("a.MP3") == ".mp3"
    assert safe_extension("Leila.Haddad") == ""
    assert safe_extension("notes") == ""
    assert safe_extension("x.opus") == ".opus"


def test_a_transcript_and_a_translation_are_derivatives_of_their_original(witness, investigator):
    interview = record_interview(
        investigator, witness, conducted_on=dt.date(2024, 5, 2), language="ar"
    )
    recording = add_testimony(
        investigator,
        witness,
        [b"audio"],
        original_name="a.wav",
        kind="recording",
        interview=interview,
    ).testimony
    transcript = add_testimony(
        investigator,
        witness,
        [b"transcript in arabic"],
        original_name="t.txt",
        kind="transcript",
        derived_from=recording.item,
        language="ar",
        method="typed from the recording",
    ).testimony
    translation = add_testimony(
        investigator,
        witness,
        [b"english translation"],
        original_name="en.txt",
        kind="translation",
        derived_from=transcript.item,
        language="en",
    ).testimony
    assert transcript.item.derived_from == recording.item
    assert transcript.item.derivation == "transcript"
    assert translation.item.derived_from == transcript.item
    assert translation.item.derivation == "translation"
    assert transcript.interview == interview  # inherited from the original
    assert LogEntry.objects.filter(action="derive").count() == 2


def test_a_transcript_needs_an_original_of_the_same_witness(witness, second_witness, investigator):
    theirs = add_testimony(
        investigator, second_witness, [b"x"], original_name="x.txt", kind="statement"
    ).testimony.item
    with pytest.raises(CasesError, match="is not a testimony of W-0001"):
        add_testimony(
            investigator,
            witness,
            [b"y"],
            original_name="y.txt",
            kind="transcript",
            derived_from=theirs,
        )
    with pytest.raises(CasesError, match="made from an item"):
        add_testimony(investigator, witness, [b"z"], original_name="z.txt", kind="transcript")
    assert models.Testimony.objects.filter(witness=witness).count() == 0


def test_an_item_already_in_the_vault_can_be_linked_once(
    workspace, witness, second_witness, investigator
):
    photo = add_item(investigator, workspace, [b"photo"], filename="p.jpg").item
    link_item(investigator, witness, photo, kind="document")
    assert photo.testimony.witness == witness
    with pytest.raises(CasesError, match="already a testimony of W-0001"):
        link_item(investigator, second_witness, photo, kind="document")


def test_an_item_of_another_workspace_cannot_be_linked(witness, investigator, other_workspace):
    elsewhere = add_item(None, other_workspace, [b"x"], filename="x.txt").item
    with pytest.raises(CasesError, match="no item"):
        link_item(investigator, witness, elsewhere, kind="document")
