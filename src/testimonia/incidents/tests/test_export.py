"""Exports of the documentation database: complete CSV, JSON and GeoJSON of incidents, the
whole workspace as one archive, from the code, the CLI and the API."""

import argparse
import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from testimonia import cli_export
from testimonia.accounts.services import create_api_token
from testimonia.cli import UsageError
from testimonia.custody.models import LogEntry
from testimonia.evidence.services import add_item
from testimonia.incidents import exporting
from testimonia.incidents.exporting import (
    ExportRefused,
    export_workspace,
    incidents_csv,
    incidents_geojson,
    incidents_json,
)
from testimonia.incidents.models import ImportMapping, Incident, Place
from testimonia.incidents.services import (
    add_act,
    add_involvement,
    add_victim,
    cite,
    create_incident,
    create_organisation,
    create_person,
    incidents_of,
    link_incidents,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def documented(workspace, investigator):
    """An Arabic-titled strike at a point with a killed child (a confidential person) and a
    unit; a detention placed only by its locality; a hostile title; an unplaced incident."""
    khan_yunis = Place.objects.get(geonames_id=281124)
    hebron = Place.objects.get(geonames_id=285066)
    video = add_item(investigator, workspace, [b"video"], filename="v.mp4").item
    brigade = create_organisation(investigator, workspace, "7th Brigade", "armed_forces")
    battalion = create_organisation(
        investigator, workspace, "75th Battalion", "armed_forces", parent=brigade
    )
    strike = create_incident(
        investigator,
        workspace,
        title="قصف مدرسة الأمل",
        description="غارتان فجراً",
        language="ar",
        translations={"en": {"title": "Strike on Al-Amal school", "description": ""}},
        start_date=dt.date(2024, 3, 14),
        place=khan_yunis,
        latitude=Decimal("31.346227"),
        longitude=Decimal("-34.306300"),  # west of Greenwich here, to keep the sign honest
        location_precision="exact",
        status="verified",
        tags=["schools", "airstrike"],
    )
    strike.evidence.add(video)
    killing = add_act(investigator, strike, "indiscriminate_killing", method="airstrike")
    child = create_person(
        investigator,
        workspace,
        [("سارة", "ar")],
        sex="female",
        age_min=9,
        age_max=9,
        sensitivity="confidential",
    )
    teacher = create_person(investigator, workspace, [("Yusuf", "en")], sex="male")
    add_victim(investigator, killing, child, "killed", age_at_time=9)
    add_victim(investigator, killing, teacher, "injured")
    add_involvement(
        investigator, killing, organisation=battalion, degree="direct", certainty="likely"
    )
    cite(investigator, strike, item=video, field="start_date", note="00:12")
    cite(investigator, child, item=video)
    detention = create_incident(
        investigator,
        workspace,
        title="Night raid and arrest",
        start_date=dt.date(2024, 6, 1),
        place=hebron,
    )
    add_act(investigator, detention, "arrest")
    link_incidents(investigator, strike, detention, "pattern")
    hostile = create_incident(
        investigator, workspace, title='=HYPERLINK("http://evil")', description="@SUM(1)"
    )
    add_act(investigator, hostile, "looting")
    ImportMapping.objects.create(workspace=workspace, name="MoH list", columns={"Name": "name"})
    return {
        "strike": strike,
        "detention": detention,
        "hostile": hostile,
        "child": child,
        "teacher": teacher,
        "video": video,
        "hebron": hebron,
    }


def write(export, workspace, incidents=None):
    out = io.StringIO(newline="")
    export(workspace, incidents if incidents is not None else incidents_of(workspace), out)
    return out.getvalue()


def csv_rows(text):
    assert text.startswith("\ufeff")
    return {int(row["id"]): row for row in csv.DictReader(io.StringIO(text[1:], newline=""))}


# ---------------------------------------------------------------------------------------------
# CSV


def test_the_csv_has_one_complete_row_per_incident(documented, workspace):
    rows = csv_rows(write(incidents_csv, workspace))
    strike = rows[documented["strike"].pk]
    assert len(rows) == 3
    assert strike["title"] == "قصف مدرسة الأمل"  # Arabic intact
    assert strike["description"] == "غارتان فجراً"
    assert strike["start_date"] == "2024-03-14"
    assert strike["start_precision"] == "day"
    assert strike["place"] == "Khān Yūnis"
    assert strike["place_area_pcode"] == "PS0270"
    assert strike["latitude"] == "31.346227"
    assert strike["longitude"] == "-34.3063"  # a negative number stays a number
    assert strike["location_precision"] == "exact"
    assert strike["status"] == "verified"
    assert strike["tags"] == "airstrike; schools"
    assert strike["act_types"] == "indiscriminate_killing"
    assert strike["victims"] == "2"
    assert strike["evidence_items"] == str(documented["video"].pk)
    assert strike["links"] == f"pattern -> {documented['detention'].pk}"
    assert rows[documented["detention"].pk]["links"] == f"pattern <- {documented['strike'].pk}"
    assert rows[documented["detention"].pk]["latitude"] == ""


def test_the_csv_neutralises_formulas_and_opens_in_excel(documented, workspace):
    text = write(incidents_csv, workspace)
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")  # the BOM Excel looks for
    hostile = csv_rows(text)[documented["hostile"].pk]
    assert hostile["title"] == '\'=HYPERLINK("http://evil")'
    assert hostile["description"] == "'@SUM(1)"
    for cell in ("+1", "-1", "\tx", "\rx"):
        assert exporting.safe_cell(cell) == "'" + cell
    assert exporting.safe_cell("1-2") == "1-2"


def test_the_export_reads_in_batches_not_per_incident(workspace, investigator, monkeypatch):
    monkeypatch.setattr(exporting, "BATCH", 4)

    def queries_for_export():
        with CaptureQueriesContext(connection) as queries:
            rows = csv_rows(write(incidents_csv, workspace))
        return len(rows), len(queries)

    for n in range(3):
        add_act(investigator, create_incident(investigator, workspace, title=f"I{n}"), "arrest")
    few = queries_for_export()
    for n in range(3, 12):
        add_act(investigator, create_incident(investigator, workspace, title=f"I{n}"), "arrest")
    many = queries_for_export()
    assert few[0] == 3
    assert many[0] == 12
    # One batch for 3 incidents, three for 12: the queries grow with batches, not incidents.
    per_batch = few[1] - 2  # less the vocabulary and the incidents, each read once
    assert per_batch == 7  # tags, evidence, acts, victims, perpetrators, links out and in
    assert many[1] == 2 + 3 * per_batch


def test_only_the_workspaces_incidents_are_exported(documented, workspace, other_workspace):
    theirs = create_incident(None, other_workspace, title="Theirs")
    everything = Incident.objects.all()
    rows = csv_rows(write(incidents_csv, workspace, everything))
    assert theirs.pk not in rows
    assert len(rows) == 3


# ---------------------------------------------------------------------------------------------
# JSON


def test_the_json_holds_complete_nested_records(documented, workspace):
    data = json.loads(write(incidents_json, workspace))
    assert data["format"] == "testimonia-incidents"
    assert data["workspace"] == "test-ws"
    by_id = {i["id"]: i for i in data["incidents"]}
    strike = by_id[documented["strike"].pk]
    assert strike["translations"]["en"]["title"] == "Strike on Al-Amal school"
    assert strike["tags"] == ["airstrike", "schools"]
    assert strike["evidence"] == [
        {"id": documented["video"].pk, "sha256": documented["video"].blob.sha256}
    ]
    (act,) = strike["acts"]
    assert act["act_type"]["code"] == "indiscriminate_killing"
    assert act["act_type"]["labels"]["he"] == "הריגה ללא הבחנה (למשל הפצצה)"
    assert act["method"] == "airstrike"
    assert [(v["person"], v["outcome"]) for v in act["victims"]] == [
        (documented["child"].pk, "killed"),
        (documented["teacher"].pk, "injured"),
    ]
    assert act["involvements"][0]["degree"] == "direct"
    assert strike["links"][0]["kind"] == "pattern"
    assert strike["links"][0]["incident"] == documented["detention"].pk
    assert strike["citations"][0]["field"] == "start_date"
    assert strike["citations"][0]["note"] == "00:12"
    assert strike["place"]["pcode"] == ""
    assert strike["place"]["parent_pcode"] == "PS0270"
    assert strike["start_date"] == "2024-03-14"
    assert strike["latitude"] == pytest.approx(31.346227)


def test_the_json_of_no_incidents_is_still_valid(workspace):
    assert json.loads(write(incidents_json, workspace))["incidents"] == []
    assert json.loads(write(incidents_geojson, workspace))["features"] == []
    assert csv_rows(write(incidents_csv, workspace)) == {}


# ---------------------------------------------------------------------------------------------
# GeoJSON


def test_the_geojson_places_incidents_in_longitude_latitude_order(documented, workspace):
    data = json.loads(write(incidents_geojson, workspace))
    assert data["type"] == "FeatureCollection"
    by_id = {f["id"]: f for f in data["features"]}
    assert set(by_id) == {documented["strike"].pk, documented["detention"].pk}  # hostile: nowhere
    strike = by_id[documented["strike"].pk]
    assert strike["geometry"] == {"type": "Point", "coordinates": [-34.3063, 31.346227]}
    assert strike["properties"]["geometry_source"] == "incident"
    assert strike["properties"]["title"] == "قصف مدرسة الأمل"
    assert strike["properties"]["act_types"] == ["indiscriminate_killing"]
    assert strike["properties"]["victims"] == 2
    detention = by_id[documented["detention"].pk]
    hebron = documented["hebron"]
    assert detention["geometry"]["coordinates"] == [hebron.longitude, hebron.latitude]
    assert detention["properties"]["geometry_source"] == "place"


def test_an_area_is_exported_as_its_geometry(workspace, investigator):
    polygon = {
        "type": "Polygon",
        "coordinates": [[[34.3, 31.3], [34.4, 31.3], [34.4, 31.4], [34.3, 31.3]]],
    }
    incident = create_incident(investigator, workspace, title="Siege", area=polygon)
    (feature,) = json.loads(write(incidents_geojson, workspace))["features"]
    assert feature["id"] == incident.pk
    assert feature["geometry"] == polygon
    assert feature["properties"]["geometry_source"] == "area"


# ---------------------------------------------------------------------------------------------
# The whole workspace


def open_archive(path):
    archive = zipfile.ZipFile(path)
    return archive, json.loads(archive.read("manifest.json"))


def test_the_workspace_archive_holds_every_record_with_its_hashes(documented, workspace, tmp_path):
    entries_before = LogEntry.objects.count()
    result = export_workspace(workspace, tmp_path / "ws.zip")
    archive, manifest = open_archive(result.path)
    assert sorted(archive.namelist()) == [
        "documentation.json",
        "incidents.csv",
        "incidents.geojson",
        "manifest.json",
    ]
    for entry in manifest["files"]:
        data = archive.read(entry["path"])
        assert entry["digest"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert entry["size"] == len(data)
    assert [f["path"] for f in manifest["files"]] == [
        "documentation.json",
        "incidents.csv",
        "incidents.geojson",
    ]
    assert manifest["testimonia_version"]
    assert manifest["testimonia_version"] != "unknown"
    assert manifest["workspace"]["slug"] == "test-ws"
    doc = json.loads(archive.read("documentation.json"))
    assert manifest["counts"] == {name: len(doc[name]) for name in manifest["counts"]}
    assert manifest["counts"]["incidents"] == 3
    assert manifest["counts"]["acts"] == 3
    assert manifest["counts"]["organisations"] == 2
    assert manifest["counts"]["import_mappings"] == 1
    units = {u["name"]: u for u in doc["organisations"]}
    assert units["75th Battalion"]["parent"] == units["7th Brigade"]["id"]
    assert units["75th Battalion"]["chain_of_command"] == [
        units["75th Battalion"]["id"],
        units["7th Brigade"]["id"],
    ]
    assert doc["evidence_items"] == [
        {"id": documented["video"].pk, "sha256": documented["video"].blob.sha256}
    ]
    assert doc["import_mappings"][0]["columns"] == {"Name": "name"}
    assert {t["name"] for t in doc["tags"]} == {"schools", "airstrike"}
    assert len(csv_rows(archive.read("incidents.csv").decode("utf-8"))) == 3
    assert len(json.loads(archive.read("incidents.geojson"))["features"]) == 2
    # Documentation records are not evidence: the export is no custody event.
    assert LogEntry.objects.count() == entries_before


def test_confidential_persons_stay_out_unless_asked_for(documented, workspace, tmp_path):
    child = documented["child"]
    archive, manifest = open_archive(export_workspace(workspace, tmp_path / "a.zip").path)
    doc = json.loads(archive.read("documentation.json"))
    assert [p["id"] for p in doc["persons"]] == [documented["teacher"].pk]
    assert "سارة" not in archive.read("documentation.json").decode("utf-8")
    victims = {v["outcome"]: v for v in doc["victimisations"]}
    assert victims["killed"]["person"] is None
    assert victims["killed"]["person_withheld"] is True
    assert victims["injured"]["person"] == documented["teacher"].pk
    assert all(c["record_type"] != "person" for c in doc["citations"])
    assert manifest["include_confidential"] is False
    assert manifest["confidential_persons_withheld"] == 1
    assert any("confidential" in note for note in manifest["not_included"])

    full = export_workspace(workspace, tmp_path / "b.zip", include_confidential=True)
    archive, manifest = open_archive(full.path)
    doc = json.loads(archive.read("documentation.json"))
    names = {p["id"]: p["names"][0]["text"] for p in doc["persons"]}
    assert names[child.pk] == "سارة"
    assert manifest["confidential_persons_withheld"] == 0
    assert any(c["record_type"] == "person" for c in doc["citations"])


def test_an_existing_archive_is_never_replaced(workspace, tmp_path):
    out = tmp_path / "ws.zip"
    out.write_bytes(b"keep me")
    with pytest.raises(ExportRefused, match="already exists"):
        export_workspace(workspace, out)
    assert out.read_bytes() == b"keep me"
    with pytest.raises(ExportRefused, match="does not exist"):
        export_workspace(workspace, tmp_path / "missing" / "ws.zip")
    assert [p.name for p in tmp_path.iterdir() if p.name != "blobs"] == ["ws.zip"]  # no temp


def test_a_failed_export_leaves_no_file(workspace, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(exporting, "_documentation", broken)
    with pytest.raises(RuntimeError):
        export_workspace(workspace, tmp_path / "ws.zip")
    assert [p.name for p in tmp_path.iterdir() if p.name != "blobs"] == []


# ---------------------------------------------------------------------------------------------
# CLI and API


def parse(*argv):
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    cli_export.add_parsers(sub)
    return parser.parse_args(["export", *argv])


def test_the_command_writes_filtered_incidents_to_a_file(documented, workspace, tmp_path, capsys):
    out = tmp_path / "verified.csv"
    args = parse("incidents", "--workspace", "test-ws", "--format", "csv", "--status", "verified")
    args.out = str(out)
    assert cli_export.cmd_export(args) == 0
    rows = csv_rows(out.read_text(encoding="utf-8"))
    assert list(rows) == [documented["strike"].pk]
    assert "exported 1 incident(s) as csv" in capsys.readouterr().out
    with pytest.raises(UsageError, match="already exists"):
        cli_export.cmd_export(args)


def test_the_command_writes_to_standard_output(documented, workspace, capsysbinary):
    args = parse(
        "incidents", "--workspace", "test-ws", "--format", "geojson", "--from", "2024-06-01", "-"
    )
    assert cli_export.cmd_export(args) == 0
    data = json.loads(capsysbinary.readouterr().out.decode("utf-8"))
    assert [f["id"] for f in data["features"]] == [documented["detention"].pk]


def test_the_command_refuses_unknown_filters_and_roles(workspace, reviewer, tmp_path):
    unknown = parse("incidents", "--workspace", "test-ws", "--format", "json", "--act-type", "x")
    with pytest.raises(UsageError, match="unknown type of act 'x'"):
        cli_export.cmd_export(unknown)
    as_reviewer = parse(
        "workspace", "--workspace", "test-ws", str(tmp_path / "w.zip"), "--as", "reviewer"
    )
    with pytest.raises(UsageError, match="view_records"):
        cli_export.cmd_export(as_reviewer)
    assert not (tmp_path / "w.zip").exists()
    with pytest.raises(SystemExit):
        parse("incidents", "--workspace", "test-ws", "--format", "csv", "--from", "14/03/2024")


def test_the_command_exports_the_workspace(documented, workspace, analyst, tmp_path, capsys):
    out = tmp_path / "ws.zip"
    args = parse("workspace", "--workspace", "test-ws", str(out), "--as", "analyst", "--json")
    assert cli_export.cmd_export(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["archive"] == str(out)
    assert summary["counts"]["incidents"] == 3
    assert summary["confidential_persons_withheld"] == 1
    _, manifest = open_archive(out)
    assert manifest["counts"] == summary["counts"]


def test_the_api_streams_an_export_as_an_attachment(documented, workspace, analyst):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(analyst)[0]}")
    url = "/api/v1/workspaces/test-ws/exports/incidents"
    response = client.get(url, {"format": "csv", "act_type": "arbitrary_detention"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="incidents-test-ws-')
    assert response["Content-Disposition"].endswith('.csv"')
    text = b"".join(response.streaming_content).decode("utf-8")
    assert list(csv_rows(text)) == [documented["detention"].pk]

    geo = client.get(url, {"format": "geojson"})
    assert geo["Content-Type"] == "application/geo+json"
    assert len(json.loads(b"".join(geo.streaming_content))["features"]) == 2
    assert client.get(url, {"format": "xlsx"}).status_code == 422
    assert client.get(url, {"format": "json", "status": "closed"}).status_code == 400
