"""The roadmap pages: scorecard grid, list with filters, a recommendation with its history and
the status form, timeline, report and exports; who may see and record what."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from testimonia.conftest import client_for
from testimonia.evidence.services import add_item
from testimonia.roadmap import services
from testimonia.roadmap.models import StatusChange

D = dt.date
pytestmark = pytest.mark.django_db
ROADMAP = "/w/test-ws/roadmap"


def rows_with(page, attribute):
    return re.findall(rf'{attribute}="([^"]+)"', page)


@pytest.fixture
def recorded(roadmap, analyst):
    services.record_status_change(
        analyst,
        roadmap.arrests,
        status="implemented",
        date=D(2025, 2, 1),
        actor=roadmap.alpha,
        note="Suspect surrendered.",
    )
    return roadmap


def test_the_roadmap_section_points_to_the_scorecard(investigator):
    page = client_for(investigator).get("/w/test-ws/").content.decode()
    assert f'href="{ROADMAP}/"' in page


def test_the_scorecard_shows_actors_by_theme_with_counts_in_words(investigator, recorded):
    response = client_for(investigator).get(f"{ROADMAP}/", {"as_of": "2025-06-01"})
    assert response.status_code == 200
    page = response.content.decode()
    actors = rows_with(page, "data-actor")
    assert actors == [str(recorded.alpha.pk), str(recorded.group.pk), str(recorded.beta.pk), "all"]
    alpha_row = page.split(f'data-actor="{recorded.alpha.pk}"')[1].split("</tr>")[0]
    assert 'data-status="implemented"' in alpha_row
    assert "implemented</bdi>: 1" in alpha_row  # colour and words
    assert "50% implemented" in alpha_row
    assert "data-overdue" not in alpha_row  # arrests implemented; cooperation due 2025-09-18
    beta_row = page.split(f'data-actor="{recorded.beta.pk}"')[1].split("</tr>")[0]
    assert 'data-overdue="1"' in beta_row  # the arrests were due on 2025-03-01


def test_a_bad_as_of_falls_back_to_today_with_a_message(investigator, roadmap):
    response = client_for(investigator).get(f"{ROADMAP}/", {"as_of": "yesterday"})
    assert response.status_code == 200
    assert "is not a date" in response.content.decode()


def test_the_list_filters_by_actor_and_status(investigator, recorded):
    client = client_for(investigator)
    page = client.get(
        f"{ROADMAP}/recommendations/", {"actor": recorded.alpha.pk, "status": "implemented"}
    ).content.decode()
    assert rows_with(page, "data-recommendation") == [str(recorded.arrests.pk)]
    page = client.get(f"{ROADMAP}/recommendations/", {"theme": "icc_cooperation"}).content.decode()
    assert rows_with(page, "data-recommendation") == [str(recorded.cooperation.pk)]
    everything = client.get(f"{ROADMAP}/recommendations/").content.decode()
    assert len(rows_with(everything, "data-recommendation")) == 3


def test_the_recommendation_page_shows_the_history_and_each_addressee(investigator, recorded):
    page = (
        client_for(investigator)
        .get(f"{ROADMAP}/recommendations/{recorded.arrests.pk}/")
        .content.decode()
    )
    assert "Suspect surrendered." in page
    assert 'id="current-status" data-status="partial"' in page
    assert f'data-actor="{recorded.alpha.pk}" data-status="implemented"' in page
    assert f'data-actor="{recorded.beta.pk}" data-status="not_started"' in page
    assert 'id="status-form"' not in page  # investigators read, they do not record


def test_an_analyst_records_a_status_change_with_evidence(analyst, roadmap, workspace):
    item = add_item(None, workspace, [b"statement"], filename="statement.pdf").item
    client = client_for(analyst)
    url = f"{ROADMAP}/recommendations/{roadmap.hostages.pk}/"
    assert 'id="status-form"' in client.get(url).content.decode()
    response = client.post(
        url + "status/",
        {
            "status": "partial",
            "date": "2025-01-20",
            "actor": "",
            "source": roadmap.resolution.pk,
            "items": f"{item.pk}",
            "note": "Some hostages released.",
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#history")
    change = StatusChange.objects.get()
    assert change.recorded_by == analyst
    assert list(change.items.all()) == [item]
    page = client.get(url).content.decode()
    assert f"#{item.pk}" in page
    assert "Some hostages released." in page


def test_an_invalid_status_change_is_shown_on_the_form_and_not_recorded(analyst, roadmap):
    url = f"{ROADMAP}/recommendations/{roadmap.hostages.pk}/status/"
    response = client_for(analyst).post(
        url, {"status": "regressed", "date": "2025-01-20", "note": "x"}
    )
    assert response.status_code == 400
    assert "regression follows progress" in response.content.decode()
    response = client_for(analyst).post(
        url, {"status": "partial", "date": "2025-01-20", "items": "99999"}
    )
    assert response.status_code == 400
    assert "No evidence item 99999" in response.content.decode()
    assert not StatusChange.objects.exists()


@pytest.mark.parametrize("role", ["investigator", "protection_officer", "reviewer"])
def test_roles_without_edit_roadmap_cannot_record(personas, roadmap, role):
    url = f"{ROADMAP}/recommendations/{roadmap.hostages.pk}/status/"
    response = client_for(personas[role]).post(
        url, {"status": "partial", "date": "2025-01-20", "note": "x"}
    )
    assert response.status_code == 403
    assert not StatusChange.objects.exists()


def test_outsiders_and_other_workspaces_get_404(outsider, analyst, roadmap, other_workspace):
    assert client_for(outsider).get(f"{ROADMAP}/").status_code == 404
    elsewhere = services.create_recommendation(
        None,
        other_workspace,
        text="x",
        addressees=[services.create_actor(None, other_workspace, name="Y")],
    )
    response = client_for(analyst).get(f"{ROADMAP}/recommendations/{elsewhere.pk}/")
    assert response.status_code == 404


def test_the_timeline_lists_changes_newest_first(investigator, recorded, analyst):
    services.record_status_change(
        analyst, recorded.hostages, status="partial", date=D(2025, 3, 3), note="x"
    )
    page = client_for(investigator).get(f"{ROADMAP}/timeline/").content.decode()
    changes = rows_with(page, "data-change")
    assert len(changes) == 2
    assert page.index('datetime="2025-03-03"') < page.index('datetime="2025-02-01"')
    filtered = (
        client_for(investigator)
        .get(f"{ROADMAP}/timeline/", {"actor": recorded.group.pk})
        .content.decode()
    )
    assert len(rows_with(filtered, "data-change")) == 1


def test_the_printable_report_and_the_exports(investigator, recorded):
    client = client_for(investigator)
    report = client.get(f"{ROADMAP}/report/")
    assert report.status_code == 200
    page = report.content.decode()
    assert 'id="report-scorecard"' in page
    assert "<link" not in page  # self-contained: prints and renders to PDF alone
    export = client.get(f"{ROADMAP}/export.csv", {"actor": recorded.beta.pk})
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert len(text.strip().splitlines()) == 2  # the header and the arrests
    assert client.get(f"{ROADMAP}/export.json").status_code == 200


def test_the_report_as_pdf(investigator, recorded):
    response = client_for(investigator).get(f"{ROADMAP}/report.pdf")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


def test_the_pages_are_right_to_left_in_arabic(investigator, recorded):
    client = client_for(investigator)
    client.cookies["django_language"] = "ar"
    for url in (
        f"{ROADMAP}/",
        f"{ROADMAP}/recommendations/",
        f"{ROADMAP}/timeline/",
        f"{ROADMAP}/report/",
    ):
        page = client.get(url).content.decode()
        assert '<html lang="ar" dir="rtl">' in page, url
    page = client.get(f"{ROADMAP}/").content.decode()
    assert "تنفيذ أوامر القبض" in page  # the theme's Arabic label
