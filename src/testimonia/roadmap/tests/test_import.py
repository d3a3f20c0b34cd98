"""Importing recommendations from CSV and XLSX files: fields by their names, names matched or
created, every bad row reported, nothing written on a dry run or when any row is bad."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import Workbook

from testimonia.roadmap.exports import iter_export
from testimonia.roadmap.importer import ImportOptions, ImportProblem, preview, run
from testimonia.roadmap.models import Actor, Recommendation, Source, StatusChange, Theme

D = dt.date
pytestmark = pytest.mark.django_db

HEADER = "addressee,text,theme,source,date,deadline,status\n"


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return (header + "\n".join(rows) + "\n").encode("utf-8")


def counts(workspace):
    return (
        Recommendation.objects.filter(workspace=workspace).count(),
        Actor.objects.filter(workspace=workspace).count(),
        Theme.objects.filter(workspace=workspace).count(),
        Source.objects.filter(workspace=workspace).count(),
        StatusChange.objects.count(),
    )


def test_headers_named_after_the_fields_import_without_a_mapping(roadmap, analyst, workspace):
    data = csv_bytes(
        "AL,Execute the arrest warrants.,arrest_warrants,ICC-01/18-1,2024-11-21,2025-06,partial",
        'Betaland; Gammaland,"Stop arms transfers, now.",عمليات نقل الأسلحة,A/RES/ES-10/24,'
        "18/09/2024,,",
    )
    report = run(analyst, workspace, data, "recs.csv", ImportOptions())
    assert report.errors == []
    assert report.written is True
    assert len(report.recommendations) == 2
    first = Recommendation.objects.get(pk=report.recommendations[0])
    assert list(first.addressees.all()) == [roadmap.alpha]  # matched by ISO code
    assert first.source == roadmap.warrant  # matched by reference
    assert first.issued_on == D(2024, 11, 21)
    assert first.deadline == D(2025, 6, 30)  # a month: its last day
    change = first.status_changes.get()
    assert change.status == "partial"
    assert change.date == timezone.localdate()
    assert change.recorded_by == analyst
    assert "recs.csv, row 2" in change.note
    second = Recommendation.objects.get(pk=report.recommendations[1])
    assert {a.name for a in second.addressees.all()} == {"Betaland", "Gammaland"}
    assert [t.code for t in second.themes.all()] == ["arms_transfers"]  # by its Arabic label
    assert second.issued_on == D(2024, 9, 18)
    assert second.status_changes.count() == 0


def test_unknown_addressees_themes_and_sources_are_created_once(analyst, workspace):
    data = csv_bytes(
        "Deltaland,First.,Water supply,S/RES/2728 (2024),2024-03-25,,",
        "deltaland,Second.,water supply,S/RES/2728 (2024),2024-03-25,,",
        "Deltaland,Third.,حماية المياه,UN-DOC/1,2024-03-25,,",
    )
    report = run(None, workspace, data, "new.csv", ImportOptions())
    assert report.errors == []
    assert report.new_actors == ["Deltaland"]
    assert list(Actor.objects.filter(workspace=workspace).values_list("name", "kind")) == [
        ("Deltaland", "other")
    ]
    themes = Theme.objects.filter(workspace=workspace).order_by("position")
    assert [t.labels for t in themes] == [{"en": "Water supply"}, {"ar": "حماية المياه"}]
    sources = Source.objects.filter(workspace=workspace).order_by("title")
    assert [(s.title, s.reference) for s in sources] == [
        ("S/RES/2728 (2024)", ""),
        ("UN-DOC/1", "UN-DOC/1"),  # a document symbol is also the reference
    ]


def test_bad_rows_are_reported_per_row_and_nothing_is_written(roadmap, analyst, workspace):
    before = counts(workspace)
    data = csv_bytes(
        "Newland,A good row.,New theme,,2024-01-01,,",
        "Alphaland,,,,2024-01-01,,",
        "Alphaland,Bad date.,,,31/02/2024,,",
        "Alphaland,Bad status.,,,2024-01-01,,finished",
        "Alphaland,Deadline first.,,,2024-05-01,2024-04-01,",
        ",No addressee.,,,,,",
    )
    report = run(analyst, workspace, data, "bad.csv", ImportOptions())
    assert report.written is False
    assert report.recommendations == []
    rows = {row for row, _message in report.errors}
    assert rows == {3, 4, 5, 6, 7}
    messages = dict(report.errors)
    assert messages[3].startswith("text:")
    assert messages[4].startswith("date:")
    assert "31/02/2024" in messages[4]
    assert messages[5].startswith("status:")
    assert "finished" in messages[5]
    assert messages[6].startswith("deadline:")
    assert messages[7].startswith("addressee:")
    assert counts(workspace) == before  # not even Newland or New theme


def test_a_dry_run_reports_and_writes_nothing(roadmap, analyst, workspace):
    before = counts(workspace)
    data = csv_bytes("Newland,Something to do.,New theme,New source,2024-01-01,,implemented")
    report = preview(workspace, data, "dry.csv", ImportOptions())
    assert report.dry_run is True
    assert report.errors == []
    assert len(report.planned) == 1
    assert report.new_actors == ["Newland"]
    assert report.new_themes == ["New theme"]
    assert report.new_sources == ["New source"]
    assert counts(workspace) == before


def test_a_wrong_encoding_is_refused_with_its_line_and_byte(analyst, workspace):
    data = csv_bytes("دولة ألف,نص التوصية,,,2024-01-01,,").decode().encode("windows-1256")
    with pytest.raises(ImportProblem, match="not UTF-8: byte 0x"):
        run(analyst, workspace, data, "arabic.csv", ImportOptions())
    assert counts(workspace) == (0, 0, 0, 0, 0)
    report = run(analyst, workspace, data, "arabic.csv", ImportOptions(encoding="windows-1256"))
    assert report.errors == []
    assert Actor.objects.get(workspace=workspace).name == "دولة ألف"


def test_a_file_without_the_required_columns_is_refused(analyst, workspace):
    data = csv_bytes("x,y", header="state_name,wording\n")
    with pytest.raises(ImportProblem, match="no column for addressee, text"):
        run(analyst, workspace, data, "cols.csv", ImportOptions())
    report = run(
        analyst,
        workspace,
        data,
        "cols.csv",
        ImportOptions(mapping={"state_name": "addressee", "wording": "text"}),
    )
    assert len(report.recommendations) == 1


def test_a_file_imported_again_is_skipped(roadmap, analyst, workspace):
    data = csv_bytes("Alphaland,Once only.,,ICC-01/18-1,2024-01-01,,")
    run(analyst, workspace, data, "once.csv", ImportOptions())
    again = run(analyst, workspace, data, "once.csv", ImportOptions())
    assert again.skipped == 1
    assert again.recommendations == []
    assert Recommendation.objects.filter(text="Once only.").count() == 1


def test_an_xlsx_workbook_imports(analyst, workspace):
    book = Workbook()
    sheet = book.active
    sheet.append(["Addressee", "Text", "Date", "Deadline", "Kind", "Published"])
    sheet.append(
        ["Epsiland", "Ratify the Statute.", dt.datetime(2024, 2, 1), "2026", "obligation", "yes"]
    )
    out = io.BytesIO()
    book.save(out)
    report = run(analyst, workspace, out.getvalue(), "recs.xlsx", ImportOptions())
    assert report.errors == []
    rec = Recommendation.objects.get(pk=report.recommendations[0])
    assert rec.issued_on == D(2024, 2, 1)
    assert rec.deadline == D(2026, 12, 31)
    assert rec.kind == "obligation"
    assert rec.published is True


def test_a_regressed_status_cannot_open_a_history(analyst, workspace):
    report = run(analyst, workspace, csv_bytes("X,Y.,,,,,regressed"), "r.csv", ImportOptions())
    assert [row for row, _m in report.errors] == [2]
    assert "regress" in report.errors[0][1]


def test_an_import_needs_edit_roadmap(investigator, workspace):
    from testimonia.accounts.exceptions import WorkspaceAccessDenied

    with pytest.raises(WorkspaceAccessDenied):
        run(investigator, workspace, csv_bytes("X,Y.,,,,,"), "x.csv", ImportOptions())
    assert counts(workspace) == (0, 0, 0, 0, 0)


def test_an_export_imports_again_into_another_workspace(
    roadmap, analyst, workspace, other_workspace
):
    from testimonia.roadmap import services

    services.record_status_change(
        analyst, roadmap.cooperation, status="partial", date=D(2025, 1, 2), note="x"
    )
    exported = "".join(iter_export(workspace, "csv")).encode("utf-8")
    report = run(None, other_workspace, exported, "export.csv", ImportOptions())
    assert report.errors == []
    copied = Recommendation.objects.filter(workspace=other_workspace)
    assert copied.count() == 3
    coop = copied.get(text=roadmap.cooperation.text)
    assert coop.source.reference == "A/RES/ES-10/24"
    assert sorted(t.code for t in coop.themes.all()) == ["arrest_warrants", "icc_cooperation"]
    assert coop.deadline == roadmap.cooperation.deadline
    assert coop.status_changes.get().date == D(2025, 1, 2)
    arrests = copied.get(text=roadmap.arrests.text)
    assert sorted(a.name for a in arrests.addressees.all()) == ["Alphaland", "Betaland"]
    assert arrests.kind == "obligation"
