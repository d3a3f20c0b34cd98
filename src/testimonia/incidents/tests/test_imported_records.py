"""Imported rows' ids (ImportedRecord): what makes a re-import skip them, races included, and
the migration that reads the ids of earlier imports from the history."""

import csv
import importlib
import io

import pytest
from django.apps import apps as global_apps

from testimonia.incidents import importer
from testimonia.incidents.importer import ImportOptions, run
from testimonia.incidents.models import ImportedRecord, Incident
from testimonia.incidents.removal import delete_incident
from testimonia.incidents.services import create_incident

pytestmark = pytest.mark.django_db

UUID = "3f2c1d9e-8b7a-4c6d-9e5f-1a2b3c4d5e6f"


def csv_bytes(rows):
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


ROWS = [["id", "title", "start_date"], ["17", "Strike", "2024-03-14"], [UUID, "Raid", "2024-03-15"]]


def test_each_id_is_recorded_with_its_source_and_file(workspace, investigator):
    report = run(investigator, workspace, csv_bytes(ROWS), "list-a.csv", ImportOptions())

    strike, raid = report.as_dict()["incidents"]
    records = ImportedRecord.objects.order_by("pk").values_list(
        "scope", "external_id", "incident_id", "filename"
    )
    assert list(records) == [
        ("list-a", "17", strike, "list-a.csv"),
        ("", UUID, raid, "list-a.csv"),  # a UUID is unique everywhere: no source
    ]


def test_a_row_recorded_by_an_import_running_at_the_same_time_is_not_imported_twice(
    workspace, investigator, monkeypatch
):
    first = run(investigator, workspace, csv_bytes(ROWS), "list-a.csv", ImportOptions())
    # The second import looked for duplicates before the first one committed: it saw none.
    monkeypatch.setattr(importer, "_duplicates", lambda workspace, rows: None)

    second = run(investigator, workspace, csv_bytes(ROWS), "list-a.csv", ImportOptions())

    assert second.imported == 0
    assert second.written is True
    assert [r.incident for r in second.rows] == first.as_dict()["incidents"]
    assert second.rows[0].duplicate == (
        f"already in the workspace as incident {first.rows[0].incident}: skipped"
    )
    assert Incident.objects.count() == 2
    assert ImportedRecord.objects.count() == 2


def test_a_deleted_incident_is_imported_again(workspace, investigator):
    first = run(investigator, workspace, csv_bytes(ROWS), "list-a.csv", ImportOptions())
    delete_incident(investigator, Incident.objects.get(pk=first.rows[0].incident))

    again = run(investigator, workspace, csv_bytes(ROWS), "list-a.csv", ImportOptions())

    assert again.imported == 1
    assert ImportedRecord.objects.get(external_id="17").incident_id == again.rows[0].incident


def test_a_long_source_name_is_shortened_but_kept_distinct(workspace, investigator):
    rows = ROWS[:2]
    for source in ("s" * 300 + "a", "s" * 300 + "b"):
        assert run(None, workspace, csv_bytes(rows), "x.csv", ImportOptions(source=source)).imported
    scopes = list(ImportedRecord.objects.values_list("scope", flat=True))
    assert len(set(scopes)) == 2
    assert all(len(s) == 200 for s in scopes)
    assert (
        run(None, workspace, csv_bytes(rows), "x.csv", ImportOptions(source=source)).imported == 0
    )


def test_the_migration_records_the_ids_of_earlier_imports(workspace, other_workspace):
    migration = importlib.import_module("testimonia.incidents.migrations.0007_imported_records")

    def imported_before(ws, reason, title="x"):
        return create_incident(None, ws, title=title, _change_reason=reason)

    by_uuid = imported_before(workspace, f"import-id {UUID}")
    by_id = imported_before(workspace, "import-id list-a:17")
    elsewhere = imported_before(other_workspace, "import-id list-a:17")
    imported_before(workspace, "import-id sha256:" + "0" * 64)  # a digest: the id is lost
    imported_before(workspace, "imported from x.csv row 2")  # no id
    deleted = imported_before(workspace, "import-id list-a:18")
    delete_incident(None, deleted)

    migration.record_earlier_imports(global_apps, None)

    records = ImportedRecord.objects.order_by("pk").values_list(
        "workspace__slug", "scope", "external_id", "incident_id"
    )
    assert list(records) == [
        ("test-ws", "", UUID, by_uuid.pk),
        ("test-ws", "list-a", "17", by_id.pk),
        ("other-ws", "list-a", "17", elsewhere.pk),
    ]
    again = run(None, workspace, csv_bytes(ROWS), "list-a.csv", ImportOptions())
    assert again.imported == 0
    assert [r.incident for r in again.rows] == [by_id.pk, by_uuid.pk]
