"""Exports of the documentation database: incidents as CSV, JSON or GeoJSON, and a whole
workspace as one zip archive.

Complete by design: every field of a record is exported, nested records with it (JSON) or by
id (CSV), so that nothing documented stays behind in the database. Streaming by design: the
incidents are read in batches (`iterator(chunk_size=...)` with their acts prefetched per
batch) and written as they are read, so 100,000 incidents need no more memory than one batch.

What these exports do not hold: evidence originals (use `testimonia export bag`, which carries
them with their custody proofs; here items appear by id and SHA-256), and, unless asked for,
persons marked confidential.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import importlib.metadata
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TextIO

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from testimonia.accounts.models import Workspace
from testimonia.evidence.blobstore import fsync_dir
from testimonia.incidents.models import (
    Act,
    Citation,
    ImportMapping,
    Incident,
    IncidentLink,
    Involvement,
    Organisation,
    Person,
    PersonName,
    Place,
    Sensitivity,
    Source,
    Tag,
    Victimisation,
)
from testimonia.incidents.records import (
    Record,
    act_fields,
    citation_record,
    citation_rows,
    citations_for_incidents,
    coordinate,
    incident_fields,
    incident_record,
    organisation_record,
    parents_of,
    person_record,
    place_fields,
    source_record,
    term_index,
    with_everything,
)

BATCH = 500  # incidents read, prefetched and written at a time
FORMAT_VERSION = 1

CSV_COLUMNS = (
    "id",
    "title",
    "description",
    "language",
    "start_date",
    "start_time",
    "start_precision",
    "end_date",
    "end_time",
    "end_precision",
    "place_id",
    "place",
    "place_pcode",
    "place_area_pcode",
    "place_as_reported",
    "latitude",
    "longitude",
    "location_precision",
    "status",
    "sensitivity",
    "tags",
    "act_types",
    "victims",
    "evidence_items",
    "links",
    "created_at",
    "updated_at",
)
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection,
# OWASP): such text cells get a leading apostrophe, which Excel and LibreOffice show as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # lets Excel recognise UTF-8 (otherwise Arabic and Hebrew come out garbled)
GEOMETRY_TYPES = frozenset(
    {
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    }
)
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "geojson": "application/geo+json",
}


class ExportRefused(Exception):
    """An export that cannot be written as asked (the file exists, no such folder)."""


# ---------------------------------------------------------------------------------------------
# Incidents: CSV, JSON, GeoJSON


def _batches(incidents: QuerySet[Incident]) -> Iterator[list[Incident]]:
    """The incidents with their related records, BATCH at a time (Django prefetches the
    related rows for each chunk that the iterator reads)."""
    batch: list[Incident] = []
    for incident in with_everything(incidents).iterator(chunk_size=BATCH):
        batch.append(incident)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _scoped(workspace: Workspace, incidents: QuerySet[Incident]) -> QuerySet[Incident]:
    # Defence in depth: whatever the caller passed, only this workspace's incidents leave.
    return incidents.filter(workspace=workspace)


def safe_cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def _text(value: Any) -> str:
    """A cell: user text is neutralised against formulas; numbers and dates we format are
    left alone (a negative longitude must stay a number)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_cell(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _act_types(incident: Incident, terms: dict[int, Record]) -> list[str]:
    codes: list[str] = []
    for act in incident.acts.all():
        code = terms[act.act_type_id]["code"]
        if code not in codes:
            codes.append(code)
    return codes


def _victim_count(incident: Incident) -> int:
    """Distinct victim records (a person or a group counts once) across the acts."""
    return len({v.person_id for a in incident.acts.all() for v in a.victimisations.all()})


def _links(incident: Incident) -> list[str]:
    out = [f"{link.kind} -> {link.target_id}" for link in incident.links_out.all()]
    return out + [f"{link.kind} <- {link.source_id}" for link in incident.links_in.all()]


def _csv_row(incident: Incident, terms: dict[int, Record]) -> list[str]:
    place = incident.place
    values: list[Any] = [
        incident.pk,
        incident.title,
        incident.description,
        incident.language,
        incident.start_date,
        incident.start_time,
        incident.start_precision,
        incident.end_date,
        incident.end_time,
        incident.end_precision,
        place.pk if place else None,
        place.name if place else "",
        place.pcode if place else "",
        place.parent_pcode if place else "",
        incident.place_name,
        coordinate(incident.latitude),
        coordinate(incident.longitude),
        incident.location_precision,
        incident.status,
        incident.sensitivity,
        "; ".join(sorted(t.name for t in incident.tags.all())),
        "; ".join(_act_types(incident, terms)),
        _victim_count(incident),
        "; ".join(str(i.pk) for i in incident.evidence.all()),
        "; ".join(_links(incident)),
        incident.created_at.isoformat(),
        incident.updated_at.isoformat(),
    ]
    return [_text(v) for v in values]


def iter_incidents_csv(workspace: Workspace, incidents: QuerySet[Incident]) -> Iterator[str]:
    """The CSV text in pieces: a UTF-8 byte order mark, a header, one row per incident."""
    terms = term_index()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(CSV_COLUMNS)
    for batch in _batches(_scoped(workspace, incidents)):
        writer.writerows(_csv_row(incident, terms) for incident in batch)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def _dumps(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def iter_incidents_json(workspace: Workspace, incidents: QuerySet[Incident]) -> Iterator[str]:
    """One JSON document: the export's description and the complete incidents, each with its
    translations, acts (type code and labels, victims, alleged perpetrators), links, tags,
    evidence (id and SHA-256) and the citations of every record."""
    terms = term_index()
    head = {
        "format": "testimonia-incidents",
        "version": FORMAT_VERSION,
        "workspace": workspace.slug,
        "exported_at": timezone.now(),
    }
    yield _dumps(head)[:-1] + ', "incidents": ['
    first = True
    for batch in _batches(_scoped(workspace, incidents)):
        citations = citations_for_incidents(batch)
        pieces = []
        for incident in batch:
            pieces.append(
                ("\n" if first else ",\n") + _dumps(incident_record(incident, terms, citations))
            )
            first = False
        yield "".join(pieces)
    yield "\n]}\n"


def geometry_of(incident: Incident) -> tuple[dict[str, Any], str] | None:
    """The incident's geometry for a map and where it comes from: its own point, else its
    area, else the point of its place. Coordinates are [longitude, latitude] (RFC 7946)."""
    if incident.latitude is not None and incident.longitude is not None:
        point = [float(incident.longitude), float(incident.latitude)]
        return {"type": "Point", "coordinates": point}, "incident"
    area = incident.area
    if isinstance(area, dict) and area.get("type") == "Feature":
        area = area.get("geometry")
    if isinstance(area, dict) and area.get("type") in GEOMETRY_TYPES:
        return area, "area"
    place = incident.place
    if place is not None and place.latitude is not None and place.longitude is not None:
        point = [float(place.longitude), float(place.latitude)]
        return {"type": "Point", "coordinates": point}, "place"
    return None


def _feature(incident: Incident, terms: dict[int, Record]) -> dict[str, Any] | None:
    located = geometry_of(incident)
    if located is None:
        return None
    geometry, origin = located
    place = incident.place
    return {
        "type": "Feature",
        "id": incident.pk,
        "geometry": geometry,
        "properties": {
            "id": incident.pk,
            "title": incident.title,
            "description": incident.description,
            "language": incident.language,
            "start_date": incident.start_date,
            "start_time": incident.start_time,
            "start_precision": incident.start_precision,
            "end_date": incident.end_date,
            "end_time": incident.end_time,
            "end_precision": incident.end_precision,
            "place_id": place.pk if place else None,
            "place": place.name if place else "",
            "place_pcode": place.pcode if place else "",
            "place_as_reported": incident.place_name,
            "location_precision": incident.location_precision,
            "geometry_source": origin,
            "status": incident.status,
            "sensitivity": incident.sensitivity,
            "tags": sorted(t.name for t in incident.tags.all()),
            "act_types": _act_types(incident, terms),
            "victims": _victim_count(incident),
        },
    }


def iter_incidents_geojson(workspace: Workspace, incidents: QuerySet[Incident]) -> Iterator[str]:
    """A GeoJSON FeatureCollection of the incidents that can be placed on a map."""
    terms = term_index()
    yield '{"type": "FeatureCollection", "features": ['
    first = True
    for batch in _batches(_scoped(workspace, incidents)):
        pieces = []
        for incident in batch:
            feature = _feature(incident, terms)
            if feature is not None:
                pieces.append(("\n" if first else ",\n") + _dumps(feature))
                first = False
        yield "".join(pieces)
    yield "\n]}\n"


INCIDENT_FORMATS: dict[str, Callable[[Workspace, QuerySet[Incident]], Iterator[str]]] = {
    "csv": iter_incidents_csv,
    "json": iter_incidents_json,
    "geojson": iter_incidents_geojson,
}


def incidents_csv(workspace: Workspace, incidents: QuerySet[Incident], out: TextIO) -> None:
    """Write the incidents as CSV to a text stream (open it with newline="")."""
    out.writelines(iter_incidents_csv(workspace, incidents))


def incidents_json(workspace: Workspace, incidents: QuerySet[Incident], out: TextIO) -> None:
    out.writelines(iter_incidents_json(workspace, incidents))


def incidents_geojson(workspace: Workspace, incidents: QuerySet[Incident], out: TextIO) -> None:
    out.writelines(iter_incidents_geojson(workspace, incidents))


# ---------------------------------------------------------------------------------------------
# Writing files: atomically, never over an existing one


@contextmanager
def new_file(path: Path) -> Iterator[IO[bytes]]:
    """A binary handle whose content appears at `path` only once it is complete and on disk:
    it is written to a temporary file in the same folder, synced, then linked into place.
    Refuses to replace an existing file."""
    path = Path(os.path.abspath(path))
    folder = path.parent
    if not folder.is_dir():
        raise ExportRefused(_("the folder %(folder)s does not exist") % {"folder": folder})
    if path.exists() or path.is_symlink():
        raise ExportRefused(
            _("%(path)s already exists: choose another name or remove it first") % {"path": path}
        )
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        try:
            # A hard link fails if the name appeared meanwhile, where a rename would replace.
            os.link(temporary, path)
        except FileExistsError:
            raise ExportRefused(
                _("%(path)s already exists: choose another name or remove it first")
                % {"path": path}
            ) from None
        except OSError:  # a file system without hard links
            if path.exists():
                raise ExportRefused(
                    _("%(path)s already exists: choose another name or remove it first")
                    % {"path": path}
                ) from None
            os.replace(temporary, path)
        fsync_dir(folder)
    finally:
        Path(temporary).unlink(missing_ok=True)


def write_text_file(path: Path, pieces: Iterable[str]) -> None:
    """Write text pieces as UTF-8 to a new file, atomically."""
    with new_file(path) as handle:
        for piece in pieces:
            handle.write(piece.encode("utf-8"))


# ---------------------------------------------------------------------------------------------
# The whole workspace


@dataclass
class WorkspaceExport:
    path: Path
    counts: dict[str, int]
    files: list[dict[str, Any]]
    persons_withheld: int
    include_confidential: bool
    exported_at: dt.datetime = field(default_factory=timezone.now)


class _Digesting(io.RawIOBase):
    """Passes bytes on to a zip member while hashing and counting them."""

    def __init__(self, sink: IO[bytes]) -> None:
        self.sink = sink
        self.digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.sink.write(chunk)
        self.digest.update(chunk)
        self.size += len(chunk)
        return len(chunk)


@contextmanager
def _member(archive: zipfile.ZipFile, name: str, files: list[dict[str, Any]]) -> Iterator[TextIO]:
    with archive.open(name, "w", force_zip64=True) as entry:
        digesting = _Digesting(entry)
        text = io.TextIOWrapper(
            io.BufferedWriter(digesting, buffer_size=1 << 16), encoding="utf-8", newline=""
        )
        yield text
        text.flush()
        text.detach().flush()
    files.append(
        {"path": name, "size": digesting.size, "digest": "sha256:" + digesting.digest.hexdigest()}
    )


def testimonia_version() -> str:
    import testimonia

    version = getattr(testimonia, "__version__", None)
    if version:
        return str(version)
    try:
        return importlib.metadata.version("testimonia")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class _Sections:
    """Writes documentation.json one section (a JSON array of records) at a time."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.counts: dict[str, int] = {}

    def write(self, name: str, records: Iterable[Record]) -> None:
        self.out.write(f',\n"{name}": [')
        count = 0
        for record in records:
            self.out.write(("\n" if count == 0 else ",\n") + _dumps(record))
            count += 1
        self.out.write("\n]")
        self.counts[name] = count


def _documentation(
    workspace: Workspace, out: TextIO, include_confidential: bool, exported_at: dt.datetime
) -> tuple[dict[str, int], int]:
    """Write documentation.json; returns the count of each section and of withheld persons."""
    terms = term_index()
    persons = Person.objects.filter(workspace=workspace)
    withheld_ids: set[int] = set()
    if not include_confidential:
        withheld_ids = set(
            persons.filter(sensitivity=Sensitivity.CONFIDENTIAL).values_list("pk", flat=True)
        )
        persons = persons.exclude(pk__in=withheld_ids)
    incidents = Incident.objects.filter(workspace=workspace).order_by("pk")
    acts = Act.objects.filter(incident__workspace=workspace)

    out.write(
        _dumps(
            {
                "format": "testimonia-documentation",
                "version": FORMAT_VERSION,
                "workspace": {"slug": workspace.slug, "name": workspace.name},
                "exported_at": exported_at,
                "include_confidential": include_confidential,
            }
        )[:-1]
    )
    sections = _Sections(out)
    sections.write(
        "places",
        (
            place_fields(p)
            for p in Place.objects.filter(
                Q(workspace=workspace)
                | Q(incidents__workspace=workspace)
                | Q(act__incident__workspace=workspace)
            )
            .distinct()
            .order_by("pk")
        ),
    )
    sections.write(
        "tags",
        ({"id": t.pk, "name": t.name} for t in Tag.objects.filter(workspace=workspace)),
    )
    parents = parents_of(workspace)
    sections.write(
        "organisations",
        (
            organisation_record(u, parents)
            for u in Organisation.objects.filter(workspace=workspace).order_by("pk")
        ),
    )
    sections.write(
        "persons",
        (
            person_record(p)
            for p in persons.order_by("pk").prefetch_related("names").iterator(chunk_size=BATCH)
        ),
    )
    sections.write(
        "sources",
        (source_record(s) for s in Source.objects.filter(workspace=workspace).order_by("pk")),
    )
    sections.write(
        "incidents",
        (
            incident_fields(i)
            for i in incidents.select_related("place", "created_by")
            .prefetch_related("tags", "evidence__blob")
            .iterator(chunk_size=BATCH)
        ),
    )
    sections.write(
        "acts",
        (
            act_fields(a, terms)
            for a in acts.select_related("place").order_by("pk").iterator(chunk_size=BATCH)
        ),
    )

    def person_ref(person_id: int | None) -> dict[str, Any]:
        if person_id is not None and person_id in withheld_ids:
            return {"person": None, "person_withheld": True}
        return {"person": person_id, "person_withheld": False}

    sections.write(
        "victimisations",
        (
            {
                "id": v.pk,
                "act": v.act_id,
                **person_ref(v.person_id),
                "outcome": v.outcome,
                "age_at_time": v.age_at_time,
            }
            for v in Victimisation.objects.filter(act__incident__workspace=workspace)
            .order_by("pk")
            .iterator(chunk_size=BATCH)
        ),
    )
    sections.write(
        "involvements",
        (
            {
                "id": v.pk,
                "act": v.act_id,
                **person_ref(v.person_id),
                "organisation": v.organisation_id,
                "degree": v.degree,
                "role": v.role,
                "certainty": v.certainty,
            }
            for v in Involvement.objects.filter(act__incident__workspace=workspace)
            .order_by("pk")
            .iterator(chunk_size=BATCH)
        ),
    )
    sections.write(
        "links",
        (
            {
                "id": k.pk,
                "source": k.source_id,
                "target": k.target_id,
                "kind": k.kind,
                "note": k.note,
            }
            for k in IncidentLink.objects.filter(source__workspace=workspace).order_by("pk")
        ),
    )
    sections.write(
        "citations",
        (
            citation_record(c)
            for c in _citations(workspace, withheld_ids).iterator(chunk_size=BATCH)
        ),
    )
    sections.write("evidence_items", _evidence_items(workspace))
    sections.write(
        "import_mappings",
        (
            {
                "id": m.pk,
                "name": m.name,
                "columns": m.columns,
                "created_by": m.created_by.get_username() if m.created_by else None,
                "created_at": m.created_at,
            }
            for m in ImportMapping.objects.filter(workspace=workspace).select_related("created_by")
        ),
    )
    out.write("\n}\n")
    return sections.counts, len(withheld_ids)


def _citations(workspace: Workspace, withheld_persons: set[int]) -> QuerySet[Citation]:
    from django.contrib.contenttypes.models import ContentType

    rows = citation_rows().filter(workspace=workspace)
    if withheld_persons:
        # A citation of a withheld person (or of one of their names) would point at them.
        names = PersonName.objects.filter(person__in=withheld_persons).values_list("pk", flat=True)
        rows = rows.exclude(
            content_type=ContentType.objects.get_for_model(Person),
            object_id__in=withheld_persons,
        ).exclude(content_type=ContentType.objects.get_for_model(PersonName), object_id__in=names)
    return rows


def _evidence_items(workspace: Workspace) -> Iterator[Record]:
    """The evidence items the records refer to, by id and SHA-256 (not their bytes)."""
    from testimonia.evidence.models import Item

    referenced = Item.objects.filter(
        Q(incidents__workspace=workspace) | Q(citations__workspace=workspace)
    )
    for pk, sha256 in (
        referenced.filter(workspace=workspace)
        .order_by("pk")
        .values_list("pk", "blob__sha256")
        .distinct()
    ):
        yield {"id": pk, "sha256": sha256}


def export_workspace(
    workspace: Workspace, out_path: Path, *, include_confidential: bool = False
) -> WorkspaceExport:
    """Write the workspace's documentation database as one zip at `out_path`:
    documentation.json (every record, by table), incidents.csv, incidents.geojson and
    manifest.json (counts, time, Testimonia version, the SHA-256 of each file).

    Persons marked confidential are left out unless `include_confidential`; the manifest
    says how many were withheld. Evidence originals are not included (see export_bag)."""
    exported_at = timezone.now()
    files: list[dict[str, Any]] = []
    incidents = Incident.objects.filter(workspace=workspace).order_by("pk")
    with (
        new_file(out_path) as handle,
        zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        with _member(archive, "documentation.json", files) as out:
            counts, withheld = _documentation(workspace, out, include_confidential, exported_at)
        with _member(archive, "incidents.csv", files) as out:
            out.writelines(iter_incidents_csv(workspace, incidents))
        with _member(archive, "incidents.geojson", files) as out:
            out.writelines(iter_incidents_geojson(workspace, incidents))
        manifest = {
            "format": "testimonia-workspace-export",
            "version": FORMAT_VERSION,
            "workspace": {"slug": workspace.slug, "name": workspace.name},
            "exported_at": exported_at,
            "testimonia_version": testimonia_version(),
            "include_confidential": include_confidential,
            "confidential_persons_withheld": withheld,
            "counts": counts,
            "files": files,
            "not_included": [
                "evidence originals: export them with `testimonia export bag`; "
                "documentation.json lists the items it refers to by id and SHA-256",
                *(
                    []
                    if include_confidential
                    else [
                        "persons marked confidential (and their citations); victims and "
                        "perpetrators who are such persons appear with person_withheld: true"
                    ]
                ),
            ],
        }
        archive.writestr(
            "manifest.json",
            json.dumps(manifest, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2) + "\n",
        )
    return WorkspaceExport(
        path=Path(os.path.abspath(out_path)),
        counts=counts,
        files=files,
        persons_withheld=withheld,
        include_confidential=include_confidential,
        exported_at=exported_at,
    )
