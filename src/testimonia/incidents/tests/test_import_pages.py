"""The incident import pages: upload, columns, dry run, import (inline or as a job)."""

import csv
import io
import time
from urllib.parse import parse_qs, urlparse

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

from testimonia.conftest import client_for
from testimonia.incidents import import_uploads, views_import
from testimonia.incidents.import_columns import get_mapping, save_mapping
from testimonia.incidents.models import ImportMapping, Incident
from testimonia.jobs.models import Job

pytestmark = pytest.mark.django_db

BASE = "/w/test-ws/incidents/import/"
FIELD_OFFICE = [
    ["Event", "When", "Where", "Violation"],
    ["Strike on the school", "14/03/2024", "Rafah", "killing"],
    ["Night raid and arrests", "March 2024", "Hebron", "arrest"],
]
NAMED = [
    ["title", "start_date", "place"],
    ["Strike on the market", "14/03/2024", "Rafah"],
    ["Shelling of the water station", "2024-03-12", "Beit Lahia"],
]


@pytest.fixture(autouse=True)
def _home(settings, tmp_path):
    settings.TESTIMONIA_HOME = tmp_path / "home"


def csv_bytes(rows):
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def everything_counted():
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_app_config("incidents").get_models()
    }


def upload(client, data, name="incidents.csv", **fields):
    form = {"file": SimpleUploadedFile(name, data), "sheet": "", "encoding": "", "source": ""}
    form.update(fields)
    return client.post(BASE, form)


def token_of(response):
    assert response.status_code == 302, response.content.decode()[:2000]
    return parse_qs(urlparse(response["Location"]).query)["upload"][0]


def map_columns(client, token, fields, save_as=""):
    form = {"upload": token, "save_as": save_as}
    form.update({f"field-{i}": name for i, name in enumerate(fields)})
    return client.post(BASE + "columns/", form)


def uploaded_files():
    root = import_uploads.uploads_root()
    return sorted(p.name for p in root.glob("*/*")) if root.is_dir() else []


def text(response):
    return response.content.decode()


def test_an_investigator_imports_a_file_through_the_four_steps(workspace, investigator):
    client = client_for(investigator)
    assert client.get(BASE).status_code == 200

    token = token_of(upload(client, csv_bytes(FIELD_OFFICE), "field-office.csv"))
    page = client.get(BASE + "columns/", {"upload": token})
    assert page.status_code == 200
    assert "Event" in text(page)
    assert "Strike on the school" in text(page)  # a sample value
    assert "No column is recognised as the title" in text(page)

    response = map_columns(
        client, token, ["title", "start_date", "place", "act_type"], save_as="field office"
    )
    assert response.status_code == 302
    assert "/check/" in response["Location"]

    check = client.get(response["Location"])
    assert check.status_code == 200
    assert 'data-count="would_import">2<' in text(check)
    assert Incident.objects.count() == 0
    assert not ImportMapping.objects.exists()  # saved with the import, not before

    done = client.post(BASE + "run/", {"upload": token})

    assert done.status_code == 200
    assert 'data-count="imported">2<' in text(done)
    strike, raid = Incident.objects.order_by("pk")
    assert strike.title == "Strike on the school"
    assert strike.place is not None
    assert strike.place_name == "Rafah"
    assert list(strike.acts.values_list("act_type__code", flat=True)) == ["killing"]
    assert raid.start_precision == "month"
    assert strike.history.get(history_type="+").history_user == investigator
    assert f"/w/test-ws/incidents/{strike.pk}/" in text(done)
    assert get_mapping(workspace, "field office").columns == {
        "Event": "title",
        "When": "start_date",
        "Where": "place",
        "Violation": "act_type",
    }


def test_the_list_links_to_the_import_for_those_who_may_edit(workspace, personas):
    assert BASE in text(client_for(personas["investigator"]).get("/w/test-ws/incidents/"))
    reader = client_for(personas["legal_officer"]).get("/w/test-ws/incidents/")
    assert reader.status_code == 200
    assert BASE not in text(reader)


def test_a_dry_run_writes_nothing(workspace, investigator):
    client = client_for(investigator)
    before = everything_counted()

    token = token_of(upload(client, csv_bytes(FIELD_OFFICE)))
    map_columns(client, token, ["title", "start_date", "place", "act_type"], save_as="office")
    check = client.get(BASE + "check/", {"upload": token})

    assert check.status_code == 200
    assert "nothing has been written" in text(check)
    assert everything_counted() == before


def test_a_file_with_bad_rows_imports_only_when_told_to_skip_them(workspace, investigator):
    client = client_for(investigator)
    rows = [*NAMED, ["", "2024-03-01", "Gaza"], ["Bad date", "31/02/2024", ""]]
    token = token_of(upload(client, csv_bytes(rows)))
    assert client.get(BASE + "columns/", {"upload": token}).status_code == 200

    check = text(client.get(BASE + "check/", {"upload": token}))

    assert 'data-row="4" data-kind="error"' in check
    assert "title: empty: every incident needs a title" in check
    assert 'data-row="5" data-kind="error"' in check
    assert "is not a real date (month 2 has no day 31)" in check
    assert 'name="skip_invalid" id="skip-invalid" required' in check

    refused = client.post(BASE + "run/", {"upload": token})
    assert refused.status_code == 302
    assert "/check/" in refused["Location"]
    assert Incident.objects.count() == 0

    done = client.post(BASE + "run/", {"upload": token, "skip_invalid": "on"})
    assert done.status_code == 200
    assert 'data-count="imported">2<' in text(done)
    assert 'data-count="invalid">2<' in text(done)
    assert sorted(Incident.objects.values_list("title", flat=True)) == [
        "Shelling of the water station",
        "Strike on the market",
    ]


def test_importing_the_same_file_again_imports_nothing(workspace, investigator):
    client = client_for(investigator)
    data = csv_bytes([["id", *NAMED[0]], *([str(n), *r] for n, r in enumerate(NAMED[1:], 1))])
    first = token_of(upload(client, data, "list.csv"))
    client.get(BASE + "check/", {"upload": first})
    client.post(BASE + "run/", {"upload": first})
    assert Incident.objects.count() == 2

    again = token_of(upload(client, data, "list.csv"))
    check = text(client.get(BASE + "check/", {"upload": again}))
    assert 'data-count="would_import">0<' in check
    assert 'data-count="skipped">2<' in check
    assert "already in the workspace as incident" in check
    assert "disabled>" in check
    done = client.post(BASE + "run/", {"upload": again})

    assert 'data-count="imported">0<' in text(done)
    assert Incident.objects.count() == 2


@pytest.mark.parametrize("role", ["legal_officer", "protection_officer", "reviewer"])
def test_members_who_may_not_edit_records_are_refused(workspace, personas, role):
    client = client_for(personas[role])
    assert client.get(BASE).status_code == 403
    assert upload(client, csv_bytes(NAMED)).status_code == 403
    assert client.post(BASE + "run/", {"upload": "x" * 32}).status_code == 403
    assert uploaded_files() == []
    assert Incident.objects.count() == 0


def test_analysts_may_import_as_the_policy_grants_them_edit_records(workspace, analyst):
    # EDIT_RECORDS is granted to investigators, analysts and administrators (accounts/roles).
    client = client_for(analyst)
    token = token_of(upload(client, csv_bytes(NAMED)))
    client.get(BASE + "check/", {"upload": token})
    assert client.post(BASE + "run/", {"upload": token}).status_code == 200
    assert Incident.objects.count() == 2


def test_outsiders_see_nothing(workspace, outsider):
    client = client_for(outsider)
    assert client.get(BASE).status_code == 404
    assert upload(client, csv_bytes(NAMED)).status_code == 404
    assert uploaded_files() == []


def test_the_uploaded_file_is_removed_after_the_import(workspace, investigator):
    client = client_for(investigator)
    token = token_of(upload(client, csv_bytes(NAMED)))
    assert uploaded_files() == [token]
    client.get(BASE + "check/", {"upload": token})

    client.post(BASE + "run/", {"upload": token})

    assert uploaded_files() == []
    again = client.get(BASE + "check/", {"upload": token})
    assert again.status_code == 302
    assert again["Location"] == BASE


@pytest.mark.parametrize(
    "token", ["../../../etc/passwd", "..", "/etc/passwd", "a/b", "x" * 31 + "/", "x" * 33]
)
def test_a_token_that_is_not_one_is_refused(workspace, investigator, token):
    client = client_for(investigator)
    assert client.get(BASE + "columns/", {"upload": token}).status_code == 400
    assert client.get(BASE + "check/", {"upload": token}).status_code == 400
    assert client.post(BASE + "run/", {"upload": token}).status_code == 400


def test_another_users_upload_is_not_theirs(workspace, investigator, analyst):
    token = token_of(upload(client_for(investigator), csv_bytes(NAMED)))
    other = client_for(analyst)
    assert other.get(BASE + "check/", {"upload": token})["Location"] == BASE
    assert other.post(BASE + "run/", {"upload": token})["Location"] == BASE
    assert Incident.objects.count() == 0
    assert uploaded_files() == [token]


def test_files_over_the_limit_and_unreadable_files_are_refused_at_upload(
    workspace, investigator, monkeypatch
):
    client = client_for(investigator)
    monkeypatch.setattr(views_import, "MAX_FILE_BYTES", 10)
    big = upload(client, csv_bytes(NAMED))
    assert big.status_code == 200
    assert "The file is larger than 0 MB" in text(big)
    monkeypatch.undo()

    pdf = upload(client, b"%PDF-1.7", "report.pdf")
    assert pdf.status_code == 200
    assert "cannot import .pdf files" in text(pdf)
    latin = upload(client, "title\nécole\n".encode("latin-1"), "latin.csv")
    assert "the file is not UTF-8" in text(latin)
    assert uploaded_files() == []

    fixed = upload(client, "title\nécole\n".encode("latin-1"), "latin.csv", encoding="latin-1")
    assert fixed.status_code == 302


def test_the_mapping_step_refuses_what_cannot_be_imported(workspace, investigator):
    client = client_for(investigator)
    token = token_of(upload(client, csv_bytes(FIELD_OFFICE)))
    no_title = map_columns(client, token, ["description", "start_date", "", ""])
    assert no_title.status_code == 200
    assert "Choose the column that holds the title" in text(no_title)

    named = token_of(upload(client, csv_bytes(NAMED)))
    left_out = map_columns(client, named, ["title", "", "place"])
    assert "Column &#x27;start_date&#x27; is read as start_date because of its name" in text(
        left_out
    )
    assert Incident.objects.count() == 0


def test_a_saved_mapping_fills_the_columns_in(workspace, investigator):
    save_mapping(investigator, workspace, "office", {"Event": "title", "When": "start_date"})
    client = client_for(investigator)
    token = token_of(upload(client, csv_bytes(FIELD_OFFICE), mapping="office"))

    page = text(client.get(BASE + "columns/", {"upload": token}))

    assert '<option value="title" selected>' in page
    assert '<option value="start_date" selected>' in page
    check = text(client.get(BASE + "check/", {"upload": token}))
    assert 'data-count="would_import">2<' in check


def test_a_large_file_is_imported_by_a_background_job(
    workspace, investigator, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(views_import, "INLINE_ROWS", 1)
    client = client_for(investigator)
    token = token_of(upload(client, csv_bytes(NAMED)))
    client.get(BASE + "check/", {"upload": token})

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(BASE + "run/", {"upload": token})

    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}jobs/{job.pk}/"
    assert job.status == Job.Status.SUCCEEDED
    assert job.requested_by == investigator
    assert Incident.objects.count() == 2
    assert uploaded_files() == []
    page = text(client.get(response["Location"]))
    assert 'data-status="succeeded"' in page
    assert "hx-trigger" not in page  # done: no more polling
    assert 'data-count="imported">2<' in page
    assert "Strike on the market" in page


def test_a_running_job_page_polls(workspace, investigator):
    job = Job.objects.create(workspace=workspace, label="Import incidents from a file", total=5)
    client = client_for(investigator)
    page = text(client.get(f"{BASE}jobs/{job.pk}/"))
    assert 'hx-trigger="every 2s"' in page
    fragment = client.get(f"{BASE}jobs/{job.pk}/", HTTP_HX_REQUEST="true")
    assert text(fragment).startswith('<div id="import-job"')


def test_uploads_older_than_a_day_are_swept(workspace, investigator):
    client = client_for(investigator)
    token = token_of(upload(client, csv_bytes(NAMED)))

    assert import_uploads.sweep() == 0
    assert import_uploads.sweep(now=time.time() + 2 * 24 * 3600) == 1

    assert uploaded_files() == []
    assert client.get(BASE + "check/", {"upload": token})["Location"] == BASE
