"""The witness web pages: pseudonyms everywhere, the identity once, to a protection officer."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone
from PIL import Image

from testimonia.cases import consent
from testimonia.cases.models import Consent, Witness
from testimonia.cases.redaction_text import MASK
from testimonia.cases.testimonies import add_testimony, record_interview
from testimonia.cases.views_witnesses import consent_overview
from testimonia.conftest import client_for
from testimonia.custody.models import LogEntry
from testimonia.evidence.models import Item
from testimonia.evidence.services import blob_store

from .conftest import CANARY, CANARY_AR, CANARY_CONTACT, leaks

pytestmark = pytest.mark.django_db

SECRETS = (CANARY, CANARY_AR, CANARY_CONTACT)
WS = "/w/test-ws"
INTERNAL = ("investigator", "analyst", "legal_officer", "protection_officer", "administrator")


def png():
    out = io.BytesIO()
    Image.new("RGB", (60, 40), (90, 160, 200)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def testified(witness, investigator):
    """The canary witness with an interview, a recording, its transcript (naming the witness)
    and a photo."""
    interview = record_interview(
        investigator, witness, conducted_on=dt.date(2024, 5, 2), language="ar", summary="W-0001"
    )
    recording = add_testimony(
        investigator,
        witness,
        [b"ID3 audio"],
        original_name="a.mp3",
        kind="recording",
        interview=interview,
    ).testimony
    transcript = add_testimony(
        investigator,
        witness,
        [f"W-0001: I am {CANARY}, call +44 7700 900917.".encode()],
        original_name="t.txt",
        kind="transcript",
        derived_from=recording.item,
    ).testimony
    photo = add_testimony(
        investigator, witness, [png()], original_name="p.png", kind="document"
    ).testimony
    return {
        "interview": interview,
        "recording": recording,
        "transcript": transcript,
        "photo": photo,
    }


def pages_of(witness, testified):
    pseudonym = witness.pseudonym
    return [
        f"{WS}/witnesses/",
        f"{WS}/witnesses/new/",
        f"{WS}/witnesses/{pseudonym}/",
        f"{WS}/witnesses/{pseudonym}/reveal/",
        f"{WS}/evidence/{testified['photo'].item_id}/redact/",
        f"{WS}/evidence/{testified['recording'].item_id}/redact/",
        f"{WS}/",
    ]


def test_the_pages_render_for_the_roles_that_may_see_them(personas, witness, testified):
    expected = {
        f"{WS}/witnesses/": set(INTERNAL),
        f"{WS}/witnesses/{witness.pseudonym}/": set(INTERNAL),
        f"{WS}/witnesses/new/": {"investigator", "protection_officer"},
        f"{WS}/witnesses/{witness.pseudonym}/reveal/": {"protection_officer"},
        f"{WS}/evidence/{testified['photo'].item_id}/redact/": {
            "legal_officer",
            "protection_officer",
            "administrator",
        },
    }
    for url, allowed in expected.items():
        for name, user in personas.items():
            status = client_for(user).get(url).status_code
            if name == "outsider":
                assert status == 404, (url, name)
            elif name in allowed:
                assert status == 200, (url, name)
            else:
                assert status == 403, (url, name)


def test_the_list_shows_pseudonyms_risk_and_consent_per_mechanism(
    investigator, witness, second_witness
):
    consent.grant_all(investigator, second_witness, ["icc"], form="written")
    consent.record_consent(
        investigator, second_witness, "share", "withdrawn", form="oral", mechanism_slug="icc"
    )
    page = client_for(investigator).get(f"{WS}/witnesses/").content.decode()
    assert 'data-witness="W-0001"' in page
    assert 'data-witness="W-0002"' in page
    assert 'data-mechanism="icc" data-state="withdrawn"' in page
    assert 'data-mechanism="un-coi" data-state="none"' in page
    assert 'id="new-witness"' in page


def test_the_consent_overview_agrees_with_consent_covers(investigator, workspace, witness):
    now = timezone.now()
    record = consent.record_consent
    record(investigator, witness, "share", "granted", form="oral", mechanism_slug="national")
    record(investigator, witness, "share", "granted", form="oral", mechanism_slug="icc")
    record(investigator, witness, "share", "withdrawn", form="oral", mechanism_slug="publication")
    others = []
    for slugs in (["un-coi"], ["icc", "publication"], []):
        from testimonia.cases.identity import Identity
        from testimonia.cases.witnesses import create_witness

        others.append(create_witness(investigator, workspace, Identity(name="x"), consent_to=slugs))
    record(investigator, others[1], "record", "withdrawn", form="oral")
    everyone = [witness, *others]
    overview = consent_overview(workspace, everyone, now + dt.timedelta(minutes=1))
    for person in everyone:
        for cell in overview[person.pk]:
            covered = consent.consent_covers(person, cell.slug).covered
            assert (cell.state == "granted") == covered, (person.pseudonym, cell.slug)
    assert {c.slug for c in overview[witness.pk]} == {
        "icc",
        "un-coi",
        "national",
        "domestic-court",
        "publication",
    }


def test_the_canary_is_in_no_page_for_any_role_but_a_reveal(personas, witness, testified):
    for name, user in personas.items():
        client = client_for(user)
        for url in pages_of(witness, testified):
            response = client.get(url)
            assert leaks(response.content, *SECRETS) == [], (url, name, response.status_code)


def test_only_a_protection_officer_sees_the_identity_once_with_no_store(personas, witness):
    url = f"{WS}/witnesses/{witness.pseudonym}/reveal/"
    for name in ("investigator", "analyst", "legal_officer", "administrator", "reviewer"):
        response = client_for(personas[name]).post(url, {"reason": "curiosity"})
        assert response.status_code == 403
        assert leaks(response.content, *SECRETS) == []
    assert client_for(personas["outsider"]).post(url, {"reason": "x"}).status_code == 404
    assert LogEntry.objects.filter(action="identity_reveal").count() == 0

    officer = client_for(personas["protection_officer"])
    form = officer.get(url)
    assert "no-store" in form["Cache-Control"]
    assert leaks(form.content, *SECRETS) == []
    shown = officer.post(url, {"reason": "relocation review"})
    assert shown.status_code == 200
    assert "no-store" in shown["Cache-Control"]
    page = shown.content.decode()
    assert CANARY in page
    assert CANARY_CONTACT in page
    assert CANARY_AR in page
    assert LogEntry.objects.filter(action="identity_reveal").count() == 1
    # Nothing of it stays: not in the session, not in a message shown on the next page.
    for session in Session.objects.all():
        assert leaks(str(session.get_decoded()), *SECRETS) == []
    assert leaks(str(officer.cookies), *SECRETS) == []
    after = officer.get(f"{WS}/witnesses/{witness.pseudonym}/")
    assert leaks(after.content, *SECRETS) == []


def test_a_reason_that_names_the_witness_is_refused_and_not_echoed(protection_officer, witness):
    officer = client_for(protection_officer)
    response = officer.post(
        f"{WS}/witnesses/{witness.pseudonym}/reveal/", {"reason": f"call {CANARY}"}
    )
    assert response.status_code == 400
    assert "W-0001" in response.content.decode()
    assert leaks(response.content, *SECRETS) == []
    assert LogEntry.objects.filter(action="identity_reveal").count() == 0


def test_intake_creates_a_witness_and_shows_only_the_pseudonym(investigator, personas):
    client = client_for(investigator)
    response = client.post(
        f"{WS}/witnesses/new/",
        {
            "name": CANARY,
            "contacts": CANARY_CONTACT,
            "details": CANARY_AR,
            "consent": ["icc", "un-coi"],
            "consent_form": "written",
        },
        follow=True,
    )
    assert response.redirect_chain == [(f"{WS}/witnesses/W-0001/", 302)]
    assert leaks(response.content, *SECRETS) == []
    assert "W-0001" in response.content.decode()
    witness = Witness.objects.get()
    assert witness.created_by == investigator
    assert consent.consent_covers(witness, "icc").covered
    assert not consent.consent_covers(witness, "publication").covered
    assert (
        client_for(personas["analyst"]).post(f"{WS}/witnesses/new/", {"name": "x"}).status_code
        == 403
    )
    assert Witness.objects.count() == 1


def test_an_intake_without_a_name_is_refused(investigator):
    response = client_for(investigator).post(f"{WS}/witnesses/new/", {"consent_form": "oral"})
    assert response.status_code == 200
    assert 'id="intake-form"' in response.content.decode()
    assert Witness.objects.count() == 0


def test_consent_can_be_granted_and_withdrawn_from_the_page(investigator, personas, witness):
    client = client_for(investigator)
    url = f"{WS}/witnesses/{witness.pseudonym}/consent/"
    granted = client.post(
        url,
        {
            "decision": "granted",
            "scope": "share",
            "mechanism": "icc",
            "form": "written",
            "effective_on": "2024-05-01",
        },
    )
    assert granted.status_code == 302
    assert consent.consent_covers(witness, "icc").covered
    withdrawn = client.post(
        url, {"decision": "withdrawn", "scope": "share", "mechanism": "icc", "form": "oral"}
    )
    assert withdrawn.status_code == 302
    assert not consent.consent_covers(witness, "icc").covered
    rows = list(Consent.objects.filter(witness=witness).order_by("pk"))
    assert [r.decision for r in rows] == ["granted", "withdrawn"]
    assert rows[0].effective_at == dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    page = client.get(f"{WS}/witnesses/{witness.pseudonym}/").content.decode()
    assert page.count("data-consent=") == 2
    assert 'data-mechanism="icc" data-covered="0"' in page
    # Sharing without a mechanism is refused with the reason; the analyst may not record.
    refused = client.post(url, {"decision": "granted", "scope": "share", "form": "oral"})
    assert refused.status_code == 400
    assert 'id="consent-errors"' in refused.content.decode()
    assert client_for(personas["analyst"]).post(url, {"scope": "record"}).status_code == 403
    assert Consent.objects.filter(witness=witness).count() == 2


def test_a_protection_officer_records_the_risk_and_measures(protection_officer, personas, witness):
    url = f"{WS}/witnesses/{witness.pseudonym}/protection/"
    response = client_for(protection_officer).post(
        url,
        {"risk_level": "high", "measures": ["voice_distortion", "redaction"], "risk_notes": ""},
    )
    assert response.status_code == 302
    witness.refresh_from_db()
    assert witness.risk_level == "high"
    assert witness.protection_measures == ["voice_distortion", "redaction"]
    assert client_for(personas["investigator"]).post(url, {"risk_level": "low"}).status_code == 403


def test_the_witness_page_lists_items_their_redactions_and_redact_links(
    personas, witness, testified
):
    transcript = testified["transcript"].item
    officer = client_for(personas["protection_officer"])
    page = officer.get(f"{WS}/witnesses/{witness.pseudonym}/").content.decode()
    for key in ("recording", "transcript", "photo"):
        assert f'data-item="{testified[key].item_id}"' in page
    assert f"/evidence/{transcript.pk}/redact/" in page
    assert f"/evidence/{testified['photo'].item_id}/redact/" in page
    assert f"/evidence/{testified['recording'].item_id}/redact/" not in page  # audio
    investigator_page = (
        client_for(personas["investigator"])
        .get(f"{WS}/witnesses/{witness.pseudonym}/")
        .content.decode()
    )
    assert "/redact/" not in investigator_page

    # Review: the suggestions are listed; one is unchecked and a passage added.
    url = f"{WS}/evidence/{transcript.pk}/redact/"
    review = officer.get(url)
    assert "no-store" in review["Cache-Control"]
    html = review.content.decode()
    assert CANARY in html  # the reviewer reads the text
    keys = [
        line.split('value="')[1].split('"')[0] for line in html.split("\n") if 'name="span"' in line
    ]
    assert len(keys) == 2
    applied = officer.post(
        url, {"action": "apply", "span": keys[:1], "offered": keys, "phrases": "I am"}
    )
    assert applied.status_code == 302
    derived = Item.objects.get(derived_from=transcript)
    assert applied["Location"] == f"{WS}/evidence/{derived.pk}/"
    text = blob_store().path_for(derived.blob.sha256).read_bytes().decode()
    assert text == f"W-0001: {MASK} {MASK}, call +44 7700 900917."
    page = officer.get(f"{WS}/witnesses/{witness.pseudonym}/").content.decode()
    assert f'data-item="{derived.pk}" data-derivation="redaction"' in page
    assert leaks(page, *SECRETS) == []


def test_the_image_page_blacks_out_the_boxes_typed_or_drawn(personas, witness, testified):
    photo = testified["photo"].item
    lawyer = client_for(personas["legal_officer"])
    url = f"{WS}/evidence/{photo.pk}/redact/"
    page = lawyer.get(url).content.decode()
    assert 'id="box-editor"' in page
    assert f"/evidence/{photo.pk}/content/" in page
    bad = lawyer.post(url, {"boxes": "1,2,3"})
    assert bad.status_code == 400
    assert Item.objects.filter(derived_from=photo).count() == 0
    done = lawyer.post(url, {"boxes": "0,0,10,10; 50,30,20,20"})
    assert done.status_code == 302
    derived = Item.objects.get(derived_from=photo)
    image = Image.open(blob_store().path_for(derived.blob.sha256))
    assert image.getpixel((5, 5)) == (0, 0, 0)
    assert image.getpixel((59, 39)) == (0, 0, 0)
    assert image.getpixel((20, 20)) == (90, 160, 200)


def test_a_recording_cannot_be_redacted_and_says_so(personas, testified):
    page = client_for(personas["legal_officer"]).get(
        f"{WS}/evidence/{testified['recording'].item_id}/redact/"
    )
    assert page.status_code == 200
    assert 'id="unsupported"' in page.content.decode()
