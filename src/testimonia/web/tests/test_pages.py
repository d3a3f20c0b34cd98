import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from testimonia.accounts.models import Workspace
from testimonia.conftest import client_for
from testimonia.evidence.models import Item
from testimonia.jobs.models import Job
from testimonia.web.sections import SECTIONS


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login_page():
    response = Client().get("/w/test-ws/evidence/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_home_lists_only_the_users_workspaces(investigator, outsider):
    page = client_for(investigator).get("/").content.decode()
    assert "Test investigation" in page
    assert "Another investigation" not in page


@pytest.mark.django_db
def test_platform_administrator_creates_a_workspace_and_becomes_its_administrator(staff_user):
    client = client_for(staff_user)
    response = client.post("/workspaces/new/", {"name": "Gaza 2024", "slug": "", "description": ""})
    assert response.status_code == 302
    assert response["Location"] == "/w/gaza-2024/"
    workspace = Workspace.objects.get(slug="gaza-2024")
    assert workspace.memberships.get().role == "administrator"
    assert client.get("/w/gaza-2024/").status_code == 200


@pytest.mark.django_db
def test_a_duplicate_workspace_is_an_error_on_the_form(staff_user, workspace):
    response = client_for(staff_user).post("/workspaces/new/", {"name": "X", "slug": "test-ws"})
    assert response.status_code == 200
    assert "already exists" in response.content.decode()


@pytest.mark.django_db
def test_members_cannot_create_workspaces_unless_platform_administrators(investigator):
    assert client_for(investigator).get("/workspaces/new/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_upload_in_the_web_ui_stores_and_lists_the_files(investigator, workspace):
    client = client_for(investigator)
    response = client.post(
        "/w/test-ws/evidence/upload/",
        {
            "uploads": [
                SimpleUploadedFile("a.txt", b"first"),
                SimpleUploadedFile("b.txt", b"second"),
            ],
            "source": "Field team",
        },
    )
    assert response.status_code == 302
    assert Item.objects.filter(workspace=workspace).count() == 2
    page = client.get("/w/test-ws/evidence/").content.decode()
    assert "a.txt" in page
    assert "b.txt" in page
    assert "2 files stored." in page


@pytest.mark.django_db
def test_analysts_see_the_vault_but_have_no_upload_form(analyst):
    page = client_for(analyst).get("/w/test-ws/evidence/").content.decode()
    assert 'id="upload-form"' not in page


@pytest.mark.django_db
def test_the_dashboard_shows_every_capability_and_says_which_are_not_built(investigator):
    page = client_for(investigator).get("/w/test-ws/").content.decode()
    for section in SECTIONS:
        assert str(section.title) in page
    assert page.count("not built yet") >= 2 * sum(1 for s in SECTIONS if s.url_name is None)


@pytest.mark.django_db
def test_pages_of_capabilities_not_built_say_so(investigator):
    page = client_for(investigator).get("/w/test-ws/casualties/").content.decode()
    assert "not built yet" in page


@pytest.mark.django_db
def test_the_public_portal_says_nothing_is_published():
    page = Client().get("/portal/").content.decode()
    assert "nothing has been published" in page


@pytest.mark.django_db
def test_job_progress_is_shown_and_refreshed(investigator, workspace):
    Job.objects.create(
        workspace=workspace,
        label="Compute SHA-512 of stored originals",
        status=Job.Status.RUNNING,
        done=25,
        total=100,
        unit="bytes",
    )
    client = client_for(investigator)
    page = client.get("/w/test-ws/jobs/").content.decode()
    assert 'hx-trigger="every 2s"' in page
    assert '<progress value="25" max="100">' in page
    partial = client.get("/w/test-ws/jobs/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial
    assert "25%" in partial


@pytest.mark.django_db
def test_job_labels_are_shown_in_the_readers_language(investigator, workspace):
    Job.objects.create(workspace=workspace, label="Compute SHA-512 of stored originals")
    client = client_for(investigator)
    page = client.get("/w/test-ws/jobs/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert "SHA-512" in page
    assert "Compute SHA-512 of stored originals" not in page


@pytest.mark.django_db
def test_a_server_error_shows_a_reference_and_no_detail(investigator, monkeypatch):
    from testimonia.web import views

    def explode(*args, **kwargs):
        raise RuntimeError("/srv/witnesses/real-name.txt")

    monkeypatch.setattr(views, "workspaces_for", explode)
    client = client_for(investigator)
    client.raise_request_exception = False
    response = client.get("/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Quote this reference" in page
    assert "real-name" not in page
    assert "/srv/" not in page


@pytest.mark.django_db(transaction=True)
def test_an_archive_uploaded_in_the_web_ui_is_opened_and_bad_members_reported(
    investigator, workspace
):
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("photos/1.txt", "one")
        zf.writestr("/etc/cron.d/evil", "x")
    client = client_for(investigator)
    client.post(
        "/w/test-ws/evidence/upload/", {"uploads": [SimpleUploadedFile("dump.zip", out.getvalue())]}
    )
    archive = Item.objects.get(workspace=workspace, original_filename="dump.zip")
    assert list(archive.members.values_list("original_filename", flat=True)) == ["1.txt"]
    page = client.get("/w/test-ws/evidence/").content.decode()
    assert "unsafe member name: absolute path" in page
    assert "2 files stored." in page
