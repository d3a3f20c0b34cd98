"""The custody events of viewing an original, deriving a file from it, and handing it over."""

import argparse
import io
import json

import pytest
from PIL import Image

from testimonia import cli_evidence
from testimonia.cli import UsageError
from testimonia.conftest import client_for
from testimonia.custody.models import LogEntry
from testimonia.custody.services import verify_log
from testimonia.evidence.exceptions import EvidenceError
from testimonia.evidence.export import export_bag
from testimonia.evidence.models import Item
from testimonia.evidence.services import add_derivative, add_item
from testimonia.evidence.tests.test_export import verify_bundle
from testimonia.evidence.transfer import record_transfer
from testimonia.evidence.verification import verify_records

pytestmark = pytest.mark.django_db


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def photo(investigator, workspace):
    return add_item(investigator, workspace, [png()], filename="street.png").item


def events(workspace, action):
    return [
        json.loads(p)
        for p in LogEntry.objects.filter(workspace=workspace, action=action)
        .order_by("seq")
        .values_list("payload", flat=True)
    ]


# ---------------------------------------------------------------------------------------------
# View


def test_displaying_an_image_is_a_recorded_view_served_safely(photo, analyst, workspace):
    page = client_for(analyst).get(f"/w/test-ws/evidence/{photo.pk}/").content.decode()
    assert 'id="view-original"' in page
    viewer = client_for(analyst).get(f"/w/test-ws/evidence/{photo.pk}/view/").content.decode()
    assert f"/w/test-ws/evidence/{photo.pk}/content/" in viewer
    assert events(workspace, "view") == []  # the page alone shows nothing of the original
    response = client_for(analyst).get(f"/w/test-ws/evidence/{photo.pk}/content/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png()
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Cache-Control"] == "no-store"
    [view] = events(workspace, "view")
    assert view["actor"] == f"analyst#{analyst.pk}"
    assert view["object"] == photo.blob.sha256


def test_files_a_browser_could_run_are_never_displayed(investigator, analyst, workspace):
    page = add_item(
        investigator, workspace, [b"<svg onload=alert(1)></svg>"], filename="x.svg"
    ).item
    assert client_for(analyst).get(f"/w/test-ws/evidence/{page.pk}/content/").status_code == 404
    assert client_for(analyst).get(f"/w/test-ws/evidence/{page.pk}/view/").status_code == 404
    assert events(workspace, "view") == []


def test_a_damaged_original_is_not_displayed(photo, analyst, workspace):
    from testimonia.evidence.services import blob_store

    path = blob_store().path_for(photo.blob.sha256)
    path.chmod(0o644)
    path.write_bytes(png()[:-3] + b"xyz")
    assert client_for(analyst).get(f"/w/test-ws/evidence/{photo.pk}/content/").status_code == 409
    assert events(workspace, "view") == []


# ---------------------------------------------------------------------------------------------
# Derive


def test_a_derived_file_is_its_own_item_naming_its_original(photo, investigator, workspace):
    added = add_derivative(
        investigator,
        photo,
        [b"blurred"],
        filename="street-blurred.png",
        derivation="redaction",
        method="faces blurred in GIMP 2.10",
    )
    item = added.item
    assert item.derived_from == photo
    assert item.derivation == "redaction"
    assert item.derivation_method == "faces blurred in GIMP 2.10"
    [derive] = events(workspace, "derive")
    assert derive["object"] == photo.blob.sha256
    assert derive["subject"] == f"item:{photo.pk}"
    assert derive["details"]["derivative"] == f"item:{item.pk}"
    assert derive["details"]["derivative_sha256"] == item.blob.sha256
    ingest = events(workspace, "ingest")[-1]
    assert ingest["details"]["derived_from"] == f"item:{photo.pk}"
    assert verify_records(workspace) == []
    assert verify_log(workspace)[1] == []


def test_an_unknown_kind_of_derivative_is_refused_and_nothing_is_stored(photo, investigator):
    with pytest.raises(EvidenceError, match="unknown kind of derivative"):
        add_derivative(investigator, photo, [b"x"], filename="x", derivation="improved")
    assert Item.objects.count() == 1


def test_verify_names_a_derivation_edited_in_the_database(photo, investigator, workspace):
    other = add_item(investigator, workspace, [b"another"], filename="b.txt").item
    item = add_derivative(
        investigator, photo, [b"text"], filename="t.txt", derivation="transcript"
    ).item
    Item.objects.filter(pk=item.pk).update(derived_from=other)
    [problem] = verify_records(workspace)
    assert f"item {item.pk}" in str(problem)
    assert f"derived from item:{photo.pk}" in str(problem)


def test_the_item_page_adds_and_lists_derived_files(photo, investigator, analyst):
    client = client_for(investigator)
    upload = io.BytesIO(b"transcript of the video")
    upload.name = "transcript.txt"
    response = client.post(
        f"/w/test-ws/evidence/{photo.pk}/derive/",
        {"upload": upload, "derivation": "transcript", "method": "typed by hand"},
    )
    derived = Item.objects.get(derived_from=photo)
    assert response.url == f"/w/test-ws/evidence/{derived.pk}/"
    page = client_for(analyst).get(f"/w/test-ws/evidence/{photo.pk}/").content.decode()
    assert 'id="derivatives"' in page
    assert "transcript.txt" in page
    assert 'id="derive-form"' not in page  # analysts do not add evidence
    assert (
        client_for(analyst).post(f"/w/test-ws/evidence/{photo.pk}/derive/", {}).status_code == 403
    )


def parse(*argv):
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    cli_evidence.add_parsers(sub)
    return parser.parse_args(list(argv))


def test_the_derive_command(photo, workspace, tmp_path, capsys):
    (tmp_path / "redacted.png").write_bytes(b"redacted bytes")
    args = parse(
        "derive",
        str(tmp_path / "redacted.png"),
        "--workspace",
        workspace.slug,
        "--from",
        str(photo.pk),
        "--kind",
        "redaction",
        "--json",
    )
    assert cli_evidence.cmd_derive(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["derived_from"] == photo.pk
    assert result["derivation"] == "redaction"
    with pytest.raises(UsageError, match="not a readable file"):
        cli_evidence.cmd_derive(
            parse(
                "derive",
                str(tmp_path / "missing"),
                "--workspace",
                workspace.slug,
                "--from",
                str(photo.pk),
                "--kind",
                "other",
            )
        )
    with pytest.raises(UsageError, match="no item 999"):
        cli_evidence.cmd_derive(
            parse(
                "derive",
                str(tmp_path / "redacted.png"),
                "--workspace",
                workspace.slug,
                "--from",
                "999",
                "--kind",
                "other",
            )
        )


# ---------------------------------------------------------------------------------------------
# Transfer


def test_a_transfer_names_each_exported_item_the_recipient_and_is_signed(
    photo, investigator, workspace, tmp_path
):
    other = add_item(investigator, workspace, [b"statement"], filename="s.txt").item
    bag = export_bag(investigator, workspace, [photo.pk, other.pk], tmp_path / "bag")
    export_id = events(workspace, "export")[0]["details"]["export_id"]
    done = record_transfer(
        investigator,
        workspace,
        export_id,
        recipient="ICC OTP Evidence Unit",
        means="encrypted drive, by hand",
        reason="request 2026/17",
    )
    assert done.items == sorted([photo.pk, other.pk])
    transfers = events(workspace, "transfer")
    assert [t["subject"] for t in transfers] == [f"item:{photo.pk}", f"item:{other.pk}"]
    assert {t["details"]["recipient"] for t in transfers} == {"ICC OTP Evidence Unit"}
    assert transfers[0]["object"] == photo.blob.sha256
    assert done.checkpoint.tree_size == LogEntry.objects.filter(workspace=workspace).count()
    assert verify_log(workspace)[1] == []
    assert verify_bundle(bag).returncode == 0  # the bag made before is untouched


def test_a_transfer_of_an_unknown_export_is_refused(workspace, investigator, photo):
    with pytest.raises(EvidenceError, match="no export"):
        record_transfer(investigator, workspace, "not-an-export", recipient="UN COI")
    with pytest.raises(EvidenceError, match="recipient"):
        record_transfer(investigator, workspace, "x", recipient="  ")
    assert events(workspace, "transfer") == []
