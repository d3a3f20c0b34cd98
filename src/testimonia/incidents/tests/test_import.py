"""Bulk import of incidents from CSV and XLSX files: spreadsheets and KoBoToolbox/ODK exports."""

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from testimonia.accounts.services import create_api_token
from testimonia.cli import main
from testimonia.incidents.import_columns import (
    ImportProblem,
    get_mapping,
    parse_map_options,
    save_mapping,
)
from testimonia.incidents.import_files import FileProblem, read_table
from testimonia.incidents.importer import ImportOptions, describe_file, preview, run
from testimonia.incidents.models import ImportedRecord, Incident, Place

pytestmark = pytest.mark.django_db

KHAN_YUNIS_TOWN = 281124
HEBRON_TOWN = 285066

HEADER = [
    "title",
    "description",
    "start_date",
    "end_date",
    "place",
    "latitude",
    "longitude",
    "act_type",
    "tags",
]


def csv_bytes(rows, *, delimiter=",", encoding="utf-8"):
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, *, merge=(), title="Sheet1", extra_sheets=()):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    for ref in merge:
        sheet.merge_cells(ref)
    for name in extra_sheets:
        workbook.create_sheet(name).append(["nothing"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def everything_counted():
    """Rows of every table of the documentation database, history tables included."""
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_app_config("incidents").get_models()
    }


def errors_of(report):
    return [(e["row"], e["message"]) for e in report.as_dict()["errors"]]


def warnings_of(report):
    return [(w["row"], w["message"]) for w in report.as_dict()["warnings"]]


GOOD_ROWS = [
    HEADER,
    [
        "قصف منزل عائلة أبو علي",
        "غارة جوية على منزل سكني",
        "١٤/٠٣/٢٠٢٤",
        "",
        "خان يونس",
        "31°20'46\"N",
        "34°18'22\"E",
        "indiscriminate_killing; Destruction of homes or property",
        "airstrike | homes",
    ],
    [
        "Night raid and arrests",
        "Soldiers entered the old city",
        "March 2024",
        "2024-04",
        "Hebron",
        "31,5294",
        "35,0938",
        "arrest",
        "",
    ],
    ["Shooting at a checkpoint", "", "2024", "", "", "", "", "", ""],
]


def test_a_file_named_by_field_imports_without_a_mapping(workspace, investigator):
    report = run(investigator, workspace, csv_bytes(GOOD_ROWS), "incidents.csv", ImportOptions())

    assert errors_of(report) == []
    assert report.imported == 3
    strike, raid, shooting = (Incident.objects.get(pk=pk) for pk in report.as_dict()["incidents"])
    assert strike.title == "قصف منزل عائلة أبو علي"
    assert strike.language == "ar"  # from the script of the title
    assert strike.start_date == dt.date(2024, 3, 14)
    assert strike.start_precision == "day"
    assert strike.place_id == Place.objects.get(geonames_id=KHAN_YUNIS_TOWN).pk
    assert strike.place_name == "خان يونس"
    assert strike.latitude == Decimal("31.346111")
    assert strike.longitude == Decimal("34.306111")
    assert sorted(strike.acts.values_list("act_type__code", flat=True)) == [
        "destruction_of_property",
        "indiscriminate_killing",
    ]
    assert sorted(strike.tags.values_list("name", flat=True)) == ["airstrike", "homes"]
    assert raid.language == "en"
    assert (raid.start_date, raid.start_precision) == (dt.date(2024, 3, 1), "month")
    assert (raid.end_date, raid.end_precision) == (dt.date(2024, 4, 1), "month")
    assert raid.place_id == Place.objects.get(geonames_id=HEBRON_TOWN).pk  # the town, not
    assert float(raid.latitude) == pytest.approx(31.5294)  # the district of the same name
    assert (shooting.start_date, shooting.start_precision) == (dt.date(2024, 1, 1), "year")
    assert shooting.place is None
    assert shooting.latitude is None


def test_the_history_names_the_importer(workspace, investigator):
    report = run(investigator, workspace, csv_bytes(GOOD_ROWS), "incidents.csv", ImportOptions())
    first = Incident.history.filter(id=report.as_dict()["incidents"][0], history_type="+").get()
    assert first.history_user == investigator
    assert first.history_change_reason == "imported from incidents.csv row 2"
    act = Incident.objects.get(pk=first.id).acts.first()
    assert act.history.get().history_user == investigator


def test_a_dry_run_reports_every_problem_and_writes_nothing(workspace, investigator):
    rows = [
        *GOOD_ROWS,
        ["", "no title", "2024-03-01", "", "", "", "", "", ""],
        ["Bad date", "", "31/02/2024", "", "", "", "", "", ""],
        ["Ends before it starts", "", "2024-03-10", "2024-03-01", "", "", "", "", ""],
        ["Unknown act", "", "", "", "", "", "", "looting of the moon", ""],
    ]
    before = everything_counted()

    report = preview(workspace, csv_bytes(rows), "incidents.csv", ImportOptions())

    assert everything_counted() == before
    assert report.dry_run is True
    assert report.imported == 0
    assert report.would_import == 3
    assert errors_of(report) == [
        (5, "title: empty: every incident needs a title"),
        (6, "start_date: '31/02/2024' is not a real date (month 2 has no day 31)"),
        (7, "the end date 2024-03-01 is before the start date 2024-03-10"),
        (
            8,
            "act_type: 'looting of the moon' is not a type of act: use a code or a label of "
            "the act-type list",
        ),
    ]
    again = preview(
        workspace, csv_bytes(rows), "other.csv", ImportOptions(mapping={"tags": "tags"})
    )
    assert everything_counted() == before
    assert errors_of(again) == errors_of(report)


def test_a_file_with_an_invalid_row_writes_nothing_unless_told_to_skip_it(workspace, investigator):
    rows = [*GOOD_ROWS, ["Bad date", "", "31/02/2024", "", "", "", "", "", ""]]
    before = everything_counted()

    refused = run(investigator, workspace, csv_bytes(rows), "x.csv", ImportOptions())
    assert refused.imported == 0
    assert refused.written is False
    assert everything_counted() == before

    partial = run(
        investigator, workspace, csv_bytes(rows), "x.csv", ImportOptions(skip_invalid=True)
    )
    assert partial.imported == 3
    assert errors_of(partial) == [
        (5, "start_date: '31/02/2024' is not a real date (month 2 has no day 31)")
    ]
    assert Incident.objects.filter(workspace=workspace).count() == 3


def test_importing_the_same_file_again_creates_no_duplicate(workspace, investigator):
    data = csv_bytes(GOOD_ROWS)
    run(investigator, workspace, data, "incidents.csv", ImportOptions())

    again = run(investigator, workspace, data, "incidents (1).csv", ImportOptions())

    assert again.imported == 0
    assert again.as_dict()["skipped"] == 3
    assert Incident.objects.filter(workspace=workspace).count() == 3
    ids = sorted(Incident.objects.values_list("pk", flat=True))
    assert warnings_of(again)[-1] == (
        4,
        f"already in the workspace as incident {ids[2]}: skipped",
    )


def test_rows_with_ids_are_matched_by_id_within_their_source(workspace, investigator):
    rows = [["id", "title", "start_date"], ["1", "Strike", "2024-03-14"]]
    run(investigator, workspace, csv_bytes(rows), "list-a.csv", ImportOptions())
    # The same id and title from the same source: already there.
    same = run(investigator, workspace, csv_bytes(rows), "list-a.csv", ImportOptions())
    assert same.as_dict()["skipped"] == 1
    # A row edited since (new title) but with the same id is still the same incident.
    edited = [["id", "title", "start_date"], ["1", "Strike on a school", "2024-03-14"]]
    assert (
        run(investigator, workspace, csv_bytes(edited), "list-a.csv", ImportOptions()).imported == 0
    )
    # Id 1 of another source is another incident.
    other = run(investigator, workspace, csv_bytes(edited), "x.csv", ImportOptions(source="ngo-b"))
    assert other.imported == 1
    assert Incident.objects.filter(workspace=workspace).count() == 2


def test_a_row_repeated_in_the_file_is_imported_once(workspace, investigator):
    rows = [HEADER[:3], ["Strike", "", "2024-03-14"], ["Strike", "", "2024-03-14"]]
    report = run(investigator, workspace, csv_bytes(rows), "x.csv", ImportOptions())
    assert report.imported == 1
    assert warnings_of(report) == [(3, "the same incident as row 2: skipped")]


def test_another_workspaces_incidents_are_not_duplicates(workspace, other_workspace, investigator):
    data = csv_bytes(GOOD_ROWS)
    run(None, other_workspace, data, "incidents.csv", ImportOptions())
    assert run(investigator, workspace, data, "incidents.csv", ImportOptions()).imported == 3


# ---------------------------------------------------------------------------------------------
# Files: encodings, delimiters, XLSX


def test_csv_encodings_and_delimiters(workspace):
    rows = [["title", "start_date"], ["مجزرة في المخيم", "14.03.2024"]]
    for data in (
        csv_bytes(rows, encoding="utf-8-sig"),  # Excel's "CSV UTF-8" (with a byte-order mark)
        csv_bytes(rows, delimiter=";"),  # KoBoToolbox's CSV export
        csv_bytes(rows, delimiter="\t"),
        csv_bytes(rows, encoding="utf-16"),  # Excel's "Unicode text"
    ):
        report = preview(workspace, data, "x.csv", ImportOptions())
        assert errors_of(report) == []
        assert report.rows[0].values["title"] == "مجزرة في المخيم"
        assert report.rows[0].values["start_date"] == dt.date(2024, 3, 14)


def test_a_latin1_file_is_refused_with_the_line_and_byte(workspace):
    data = "title,place\nAttaque près de l'école,Gaza\n".encode("latin-1")
    with pytest.raises(ImportProblem) as problem:
        preview(workspace, data, "x.csv", ImportOptions())
    message = str(problem.value)
    assert "the file is not UTF-8: byte 0xE8 on line 2 (byte offset 22) does not decode" in message
    assert "windows-1256" in message
    report = preview(workspace, data, "x.csv", ImportOptions(encoding="latin-1"))
    assert report.rows[0].values["title"] == "Attaque près de l'école"


def test_files_that_are_not_csv_or_xlsx_are_refused():
    with pytest.raises(FileProblem, match=r"old Excel \(\.xls\)"):
        read_table(b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "old.xls")
    with pytest.raises(FileProblem, match=r"cannot import \.pdf files"):
        read_table(b"%PDF-1.7", "report.pdf")
    with pytest.raises(FileProblem, match="not a valid XLSX workbook"):
        read_table(b"title\nx\n", "book.xlsx")
    with pytest.raises(FileProblem, match="damaged ZIP"):
        read_table(b"PK\x03\x04broken", "book.xlsx")
    with pytest.raises(FileProblem, match="NUL character"):
        read_table(b"title\n\x00\x01\x02", "x.csv")


def test_xlsx_with_a_note_above_the_header_counts_rows_as_excel_does(workspace):
    data = xlsx_bytes(
        [
            ["Incidents reported to the field office, March 2024"],
            [],
            ["Title", "Date", "Place", "Coordinates"],
            ["Strike on the market", dt.datetime(2024, 3, 14, 10, 30), "Rafah", "31.2969, 34.2455"],
            [],
            ["Strike on the bakery", 45366, "Rafah", "31°17'49\"N 34°14'44\"E"],
        ],
        title="March",
        extra_sheets=["Notes"],
    )
    report = preview(workspace, data, "march.xlsx", ImportOptions())

    assert report.header_row == 3
    assert [r.row for r in report.rows] == [4, 6]
    market, bakery = report.rows
    assert market.values["start_date"] == dt.date(2024, 3, 14)
    assert market.values["start_time"] == dt.time(10, 30)
    assert market.values["start_precision"] == "exact"
    assert bakery.values["start_date"] == dt.date(2024, 3, 15)  # an Excel serial number
    assert bakery.values["start_precision"] == "day"
    assert round(float(bakery.values["latitude"]), 5) == 31.29694
    assert round(float(bakery.values["longitude"]), 5) == 34.24556
    assert report.table.sheets == ["March", "Notes"]


def test_another_sheet_can_be_named(workspace):
    data = xlsx_bytes([["x"]], extra_sheets=["Notes"])
    with pytest.raises(ImportProblem, match="no sheet 'Data'; its sheets: Sheet1, Notes"):
        preview(workspace, data, "x.xlsx", ImportOptions(sheet="Data"))
    with pytest.raises(ImportProblem, match="no column fills 'title'"):
        preview(
            workspace, data, "x.xlsx", ImportOptions(sheet="Notes", mapping={"nothing": "place"})
        )
    with pytest.raises(ImportProblem, match="no header row found"):
        preview(workspace, data, "x.xlsx", ImportOptions(sheet="Notes"))


def test_merged_cells_give_their_value_to_each_row_with_a_warning(workspace):
    data = xlsx_bytes(
        [
            ["title", "start_date", "place"],
            ["House destroyed", "14/03/2024", "Rafah"],
            ["School shelled", None, None],
            ["Well poisoned", "2024-03-20", "Khan Yunis"],
        ],
        merge=["B2:B3", "C2:C3"],
    )
    report = preview(workspace, data, "x.xlsx", ImportOptions())
    house, school, well = report.rows
    assert school.values["start_date"] == dt.date(2024, 3, 14)
    assert school.values["place_name"] == "Rafah"
    assert (
        "cells B2:B3 are merged: their value was used for every row of the range "
        "(column 'start_date')"
    ) in school.warnings
    assert any("C2:C3" in w for w in house.warnings)
    assert not any("merged" in w for w in well.warnings)


def test_a_kobotoolbox_export_imports_without_a_mapping(workspace, investigator):
    header = [
        "start",
        "end",
        "today",
        "group_incident/title",
        "group_incident/description",
        "group_incident/start_date",
        "group_incident/place",
        "location",
        "_location_latitude",
        "_location_longitude",
        "_location_altitude",
        "_location_precision",
        "group_incident/act_type",
        "_id",
        "_uuid",
        "_submission_time",
        "_validation_status",
        "_status",
        "_submitted_by",
        "__version__",
        "_tags",
        "_index",
        "_geolocation",
    ]
    uuid = "3f2c1d9e-8b7a-4c6d-9e5f-1a2b3c4d5e6f"
    row = [
        "2024-03-14T09:58:01.123+02:00",
        "2024-03-14T10:12:40.000+02:00",
        "2024-03-14",
        "Shelling of the water station",
        "Witnesses saw two shells hit the pumps",
        "2024-03-12",
        "Beit Lahia",
        "31.5464 34.4951 12 4.5",
        31.5464,
        34.4951,
        12,
        4.5,
        "destruction_of_property",
        412,
        uuid,
        "2024-03-14T08:12:44",
        "",
        "submitted_via_web",
        "field1",
        "vGx8kLzPq",
        "",
        1,
        "[31.5464, 34.4951]",
    ]
    data = xlsx_bytes([header, row])
    before = everything_counted()
    overview = describe_file(data, "kobo.xlsx", ImportOptions())
    fields = {c.header: c.field for c in overview.columns}
    assert fields["group_incident/title"] == "title"
    assert fields["_uuid"] == "external_id"
    assert fields["_location_latitude"] == "latitude"
    assert fields["start"] is None
    assert fields["_submission_time"] is None
    assert overview.samples[3] == ["Shelling of the water station"]
    assert everything_counted() == before

    report = run(investigator, workspace, data, "kobo.xlsx", ImportOptions())

    assert errors_of(report) == []
    assert report.as_dict()["ignored_columns"] == [
        c.header for c in overview.columns if c.field is None
    ]
    incident = Incident.objects.get(pk=report.as_dict()["incidents"][0])
    assert incident.title == "Shelling of the water station"
    assert incident.start_date == dt.date(2024, 3, 12)  # the question, not the form's "start"
    assert incident.place.geonames_id == 281145
    assert (incident.latitude, incident.longitude) == (Decimal("31.546400"), Decimal("34.495100"))
    assert incident.location_precision == "exact"  # a 4.5 m GPS fix
    assert list(incident.acts.values_list("act_type__code", flat=True)) == [
        "destruction_of_property"
    ]
    history = incident.history.get(history_type="+")
    assert history.history_change_reason == "imported from kobo.xlsx row 2"
    record = ImportedRecord.objects.get(incident=incident)
    assert (record.scope, record.external_id, record.filename) == ("", uuid, "kobo.xlsx")

    # The same submission, exported again as CSV (KoBo writes ";" and "uuid:..." ids elsewhere):
    again = csv_bytes([header, row], delimiter=";")
    repeat = run(investigator, workspace, again, "kobo-again.csv", ImportOptions())
    assert repeat.imported == 0
    assert warnings_of(repeat) == [
        (2, f"already in the workspace as incident {incident.pk}: skipped")
    ]


def test_an_odk_central_export_imports_without_a_mapping(workspace, investigator):
    rows = [
        [
            "SubmissionDate",
            "incident-title",
            "incident-start_date",
            "incident-coordinates",
            "meta-instanceID",
            "KEY",
            "SubmitterID",
            "Status",
            "ReviewState",
        ],
        [
            "2024-03-14T08:12:44.000Z",
            "Demolition of homes",
            "2024-03-10",
            "31.5294 35.0938 0 20",
            "uuid:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            "uuid:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            "5",
            "",
            "approved",
        ],
    ]
    report = run(investigator, workspace, csv_bytes(rows), "odk.csv", ImportOptions())
    assert errors_of(report) == []
    incident = Incident.objects.get(pk=report.as_dict()["incidents"][0])
    assert incident.status == "draft"  # ODK's own "Status" column is not the incident's
    assert incident.location_precision == "exact"
    record = ImportedRecord.objects.get(incident=incident)
    assert (record.scope, record.external_id) == ("", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")


# ---------------------------------------------------------------------------------------------
# Coordinates and places, row by row


def test_bad_coordinates_are_errors_that_name_the_row_and_the_value(workspace):
    rows = [
        ["title", "latitude", "longitude", "coordinates"],
        ["Latitude only", "31.5", "", ""],
        ["Out of range", "95.1", "34.45", ""],
        ["Unreadable", "31.5", "thirty-four", ""],
        ["Wrong letter", "31.5E", "34.45", ""],
        ["Combined, two latitudes", "", "", "31.5N 34.45N"],
        ["Null island", "0", "0", ""],
        ["Swapped", "34.45", "31.5", ""],
        ["Fine", "", "", "31.5, 34.45"],
    ]
    report = preview(workspace, csv_bytes(rows), "x.csv", ImportOptions())
    assert errors_of(report) == [
        (2, "coordinates: latitude '31.5' has no longitude: give both or neither"),
        (3, "coordinates: the latitude '95.1' is outside -90..90"),
        (4, "coordinates: 'thirty-four' is not a longitude"),
        (5, "coordinates: '31.5E' is marked E, which is not a latitude"),
        (
            6,
            "coordinates: '31.5N 34.45N' has two latitudes (N, S) or two longitudes (E, W)",
        ),
    ]
    warnings = dict(warnings_of(report))
    assert warnings[7] == (
        "coordinates 0, 0 are a GPS device's empty position, not a place: left empty"
    )
    assert warnings[8].startswith("coordinates 34.45000, 31.50000 lie outside the region")
    assert "latitude" not in report.rows[5].values
    assert report.rows[6].values["latitude"] == Decimal("34.450000")  # warned, never swapped
    assert report.rows[7].values["longitude"] == Decimal("34.450000")


def test_places_are_matched_exactly_or_kept_as_text(workspace):
    rows = [
        ["title", "place"],
        ["a", "Hebron"],  # a town and a district: the town
        ["b", "PS0150"],  # the district, by its P-code
        ["c", "geonames:281124"],
        ["d", "Atlantis"],
        ["e", "Heb"],  # a beginning is not a name
    ]
    report = preview(workspace, csv_bytes(rows), "x.csv", ImportOptions())
    places = [r.values.get("place") for r in report.rows]
    assert places[0].geonames_id == HEBRON_TOWN
    assert places[1].pcode == "PS0150"
    assert places[2].geonames_id == KHAN_YUNIS_TOWN
    assert places[3] is None
    assert places[4] is None
    assert [r.values["place_name"] for r in report.rows] == [
        "Hebron",
        "PS0150",
        "geonames:281124",
        "Atlantis",
        "Heb",
    ]
    assert report.rows[3].warnings == ["place 'Atlantis' is not in the gazetteer: kept as text"]
    assert (
        report.rows[4]
        .warnings[0]
        .startswith("place 'Heb' is not in the gazetteer: kept as text (did you mean Hebron")
    )
    assert errors_of(report) == []


def test_vocabulary_values_by_code_or_label_in_any_language(workspace):
    rows = [
        ["title", "act_type", "status", "sensitivity", "language", "location_precision"],
        ["a", "قتل", "verified", "Public", "Arabic", "town or village"],
        ["b", "killing|arrest", "Published", "confidential", "he", "exact"],
        ["c", "", "finished", "", "xx-yy-zz", ""],
    ]
    report = preview(workspace, csv_bytes(rows), "x.csv", ImportOptions())
    a, b, _c = report.rows
    assert a.acts == ["killing"]
    assert (a.values["status"], a.values["sensitivity"]) == ("verified", "public")
    assert (a.values["language"], a.values["location_precision"]) == ("ar", "locality")
    assert b.acts == ["killing", "arrest"]
    assert b.values["status"] == "published"
    assert errors_of(report) == [
        (4, "language: 'xx-yy-zz' is not a language code (ar, he, en, ...)"),
        (4, "status: status 'finished' is not one of: draft, published, verified"),
    ]


# ---------------------------------------------------------------------------------------------
# Mappings


def test_a_mapping_sends_columns_to_fields_and_can_be_saved(workspace, investigator):
    rows = [
        ["Headline", "When", "Where", "Violation"],
        ["Strike on the school", "14/03/2024", "Rafah", "killing"],
    ]
    mapping = parse_map_options(["Headline=title", "When=start_date", "Violation=act_type"])
    report = run(investigator, workspace, csv_bytes(rows), "x.csv", ImportOptions(mapping=mapping))
    assert errors_of(report) == []
    assert "place_name" not in report.rows[0].values  # "Where" is not known: not imported
    assert report.as_dict()["ignored_columns"] == ["Where"]

    saved = save_mapping(investigator, workspace, "field office", {**mapping, "where": "place"})
    assert get_mapping(workspace, "field office").columns == saved.columns
    again = preview(workspace, csv_bytes(rows), "x.csv", ImportOptions(mapping=saved.columns))
    assert again.rows[0].values["place"].geonames_id is not None


def test_mapping_mistakes_are_usage_errors_naming_the_fields(workspace):
    with pytest.raises(ImportProblem) as problem:
        parse_map_options(["Headline=headline"])
    assert "'headline', which is not a field; the fields are: title, description" in str(
        problem.value
    )
    with pytest.raises(ImportProblem, match="--map takes 'Column header=field'"):
        parse_map_options(["title"])
    with pytest.raises(ImportProblem, match="has no import mapping 'nope'; it has: none"):
        get_mapping(workspace, "nope")


def test_a_file_without_a_title_column_says_which_columns_it_has(workspace):
    rows = [["Name of event", "date", "place"], ["x", "2024-01-01", "Gaza"]]
    with pytest.raises(ImportProblem) as problem:
        preview(workspace, csv_bytes(rows), "x.csv", ImportOptions())
    assert "no column fills 'title'" in str(problem.value)
    assert "'Name of event', 'date', 'place'" in str(problem.value)


# ---------------------------------------------------------------------------------------------
# CLI


def cli(*args):
    return main(["import", "incidents", *map(str, args)])


def test_cli_exit_codes_and_json(workspace, investigator, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(GOOD_ROWS))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([*GOOD_ROWS, ["Bad", "", "", "", "", "95", "34", "", ""]]))
    before = everything_counted()

    assert cli(bad, "--workspace", "test-ws", "--dry-run") == 1
    out = capsys.readouterr().out
    assert "row 5: coordinates: the latitude '95' is outside -90..90" in out
    assert "dry run: nothing was written" in out
    assert cli(bad, "--workspace", "test-ws", "--as", "investigator") == 1
    assert "nothing was imported" in capsys.readouterr().out
    assert everything_counted() == before

    assert cli(good, "--workspace", "test-ws", "--json", "--as", "investigator") == 0
    body = json.loads(capsys.readouterr().out)
    assert (body["rows"], body["imported"], body["dry_run"], body["errors"]) == (3, 3, False, [])
    assert Incident.history.filter(history_user=investigator, history_type="+").count() == 3

    assert cli(bad, "--workspace", "test-ws", "--json", "--skip-invalid") == 1
    body = json.loads(capsys.readouterr().out)
    assert body["errors"] == [
        {"row": 5, "message": "coordinates: the latitude '95' is outside -90..90"}
    ]
    assert body["skipped"] == 3


def test_cli_usage_errors_exit_2(workspace, personas, tmp_path, capsys):
    latin = tmp_path / "latin.csv"
    latin.write_bytes("title\nécole\n".encode("latin-1"))
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7")
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(GOOD_ROWS))

    assert cli(latin, "--workspace", "test-ws") == 2
    assert "latin.csv: the file is not UTF-8: byte 0xE9 on line 2" in capsys.readouterr().err
    assert cli(pdf, "--workspace", "test-ws") == 2
    assert "cannot import .pdf files" in capsys.readouterr().err
    assert cli(good, "--workspace", "test-ws", "--mapping", "nope") == 2
    assert "no import mapping 'nope'" in capsys.readouterr().err
    assert cli(good, "--workspace", "test-ws", "--map", "title=name") == 2
    assert "is not a field" in capsys.readouterr().err
    assert cli(tmp_path / "missing.csv", "--workspace", "test-ws") == 2
    assert cli(good, "--workspace", "test-ws", "--as", "reviewer") == 2
    assert "may not do this" in capsys.readouterr().err
    assert cli(latin, "--workspace", "test-ws", "--encoding", "latin-1", "--json") == 0


def test_cli_saves_and_reuses_a_mapping(workspace, investigator, tmp_path, capsys):
    path = tmp_path / "office.csv"
    path.write_bytes(csv_bytes([["Headline", "When"], ["Strike", "14/03/2024"]]))
    args = [path, "--workspace", "test-ws", "--map", "Headline=title", "--map", "When=start_date"]

    assert cli(*args, "--save-mapping", "office", "--dry-run") == 0
    assert "was not saved (dry run)" in capsys.readouterr().out
    with pytest.raises(ImportProblem):
        get_mapping(workspace, "office")
    assert cli(*args, "--save-mapping", "office", "--as", "investigator") == 0
    assert get_mapping(workspace, "office").columns == {"Headline": "title", "When": "start_date"}
    assert cli(path, "--workspace", "test-ws", "--mapping", "office", "--dry-run", "--json") == 0
    body = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert body["skipped"] == 1  # the same row, already imported


# ---------------------------------------------------------------------------------------------
# API


@pytest.fixture
def api(investigator):
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(investigator)[0]}")


URL = "/api/v1/workspaces/test-ws/imports/incidents"


def test_api_dry_run_then_import(api, workspace, investigator):
    data = csv_bytes([*GOOD_ROWS, ["Bad", "", "", "", "", "95", "34", "", ""]])
    before = everything_counted()

    response = api.post(URL, {"file": SimpleUploadedFile("x.csv", data), "dry_run": "true"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dry_run"] is True
    assert body["would_import"] == 3
    assert body["errors"] == [
        {"row": 5, "message": "coordinates: the latitude '95' is outside -90..90"}
    ]
    assert everything_counted() == before

    response = api.post(URL, {"file": SimpleUploadedFile("x.csv", data), "skip_invalid": "true"})
    body = response.json()
    assert body["imported"] == 3
    assert Incident.objects.get(pk=body["incidents"][0]).created_by == investigator


def test_api_with_a_mapping_and_usage_errors(api, workspace):
    data = csv_bytes([["Headline", "When"], ["Strike", "2024-03-14"]])
    response = api.post(
        "/api/v1/workspaces/test-ws/import-mappings",
        {"name": "office", "columns": {"Headline": "title", "When": "start_date"}},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["created_by"] == "investigator"
    listed = api.get("/api/v1/workspaces/test-ws/import-mappings").json()
    assert [m["name"] for m in listed] == ["office"]

    response = api.post(
        URL, {"file": SimpleUploadedFile("x.csv", data), "mapping": "office", "dry_run": "1"}
    )
    assert response.json()["would_import"] == 1

    response = api.post(URL, {"file": SimpleUploadedFile("x.csv", data), "mapping": "nope"})
    assert response.status_code == 400
    assert "no import mapping 'nope'" in response.json()["error"]["message"]
    response = api.post(URL, {"file": SimpleUploadedFile("x.pdf", b"%PDF-1.7")})
    assert response.status_code == 400
    response = api.post(
        "/api/v1/workspaces/test-ws/import-mappings",
        {"name": "bad", "columns": {"Headline": "headline"}},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "which is not a field" in response.json()["error"]["message"]


def test_api_import_needs_the_right_to_edit_records(workspace, personas):
    data = csv_bytes(GOOD_ROWS)
    for name, status in (("reviewer", 403), ("legal_officer", 403), ("outsider", 404)):
        token = create_api_token(personas[name])[0]
        response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
            URL, {"file": SimpleUploadedFile("x.csv", data)}
        )
        assert response.status_code == status, name
    assert Incident.objects.count() == 0


def test_testimonias_own_csv_export_imports_again(workspace, other_workspace, investigator):
    from testimonia.incidents.exporting import iter_incidents_csv
    from testimonia.incidents.services import incidents_of

    run(investigator, workspace, csv_bytes(GOOD_ROWS), "incidents.csv", ImportOptions())
    exported = "".join(iter_incidents_csv(workspace, incidents_of(workspace))).encode()

    report = run(investigator, other_workspace, exported, "export.csv", ImportOptions())

    assert errors_of(report) == []
    fields = [
        "title",
        "language",
        "start_date",
        "start_precision",
        "end_date",
        "end_precision",
        "place_id",
        "latitude",
        "longitude",
        "status",
        "sensitivity",
    ]

    def described(ws):
        return sorted(
            (
                *Incident.objects.filter(workspace=ws).values_list(*fields).get(pk=i.pk),
                sorted(i.acts.values_list("act_type__code", flat=True)),
                sorted(i.tags.values_list("name", flat=True)),
            )
            for i in Incident.objects.filter(workspace=ws)
        )

    assert described(other_workspace) == described(workspace)


def test_a_saved_mapping_keeps_the_columns_each_field_was_filled_from(workspace):
    from testimonia.incidents.import_columns import resolve, used_mapping

    columns = resolve(
        ["group/title", "location", "_location_latitude", "_location_longitude", "_id", "_uuid"],
        {},
    )
    assert used_mapping(columns) == {
        "group/title": "title",
        "_location_latitude": "latitude",
        "_location_longitude": "longitude",
        "location": "coordinates",
        "_uuid": "external_id",
    }


def test_a_csv_note_line_above_the_header_is_passed_over(workspace):
    data = (
        "Incidents of the north, exported 2024-03-20\n"
        "\n"
        "title;start_date;place\n"
        "Shelling;14/03/2024;Jabalia\n"
    )
    report = preview(workspace, data.encode(), "north.csv", ImportOptions())
    assert report.header_row == 3
    assert report.table.delimiter == ";"
    assert [r.row for r in report.rows] == [4]
    assert report.rows[0].values["place"].geonames_id == 281129


def test_files_over_the_limits_are_refused(monkeypatch):
    from testimonia.incidents import import_files

    monkeypatch.setattr(import_files, "MAX_ROWS", 2)
    with pytest.raises(FileProblem, match="more than 2 rows"):
        read_table(csv_bytes([["title"], ["a"], ["b"]]), "x.csv")
    with pytest.raises(FileProblem, match="more than 2 rows"):
        read_table(xlsx_bytes([["title"], ["a"], ["b"]]), "x.xlsx")
    monkeypatch.setattr(import_files, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(FileProblem, match="unpacks to more than"):
        read_table(xlsx_bytes([["title"], ["a"]]), "x.xlsx")
