"""ImportedRecord: the ids of imported rows, which make a re-import skip them.

Until now the id was kept as the change reason of the incident's first history entry
("import-id <uuid>" or "import-id <source>:<id>"); `record_earlier_imports` turns each such
reason of a live incident into a record, so rows imported before this migration are still
recognised. Two kinds of old reasons cannot be read back exactly, and those rows (if any)
would be imported again: an id whose reason was over 100 characters was kept as a digest
("import-id sha256:..."), which cannot be undone; and "<source>:<id>" is split at its first
colon, which misreads a source name that itself held a colon.

The function is written out here, not imported, so that this migration stays as it was.
"""

import re

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

OLD_REASON = "import-id "
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def record_earlier_imports(apps, schema_editor):
    History = apps.get_model("incidents", "HistoricalIncident")
    Incident = apps.get_model("incidents", "Incident")
    ImportedRecord = apps.get_model("incidents", "ImportedRecord")
    versions = (
        History.objects.filter(history_type="+", history_change_reason__startswith=OLD_REASON)
        .order_by("history_date", "history_id")
        .values_list("id", "workspace_id", "history_change_reason", "history_date")
    )
    earlier = []
    for incident, workspace, reason, when in versions.iterator():
        key = reason[len(OLD_REASON) :]
        if _DIGEST.fullmatch(key):
            continue  # the id itself is lost
        if _UUID.fullmatch(key):
            scope, external_id = "", key
        else:
            scope, colon, external_id = key.partition(":")
            if not colon or not external_id:
                continue
        earlier.append(((workspace, scope, external_id), incident, when))
    ids = sorted({incident for _key, incident, _when in earlier})
    alive = set()
    for start in range(0, len(ids), 500):
        alive.update(
            Incident.objects.filter(pk__in=ids[start : start + 500]).values_list("pk", flat=True)
        )
    first = {}  # one id on two live incidents (two imports at once): the older one
    for key, incident, when in earlier:
        if incident in alive:
            first.setdefault(key, (incident, when))
    ImportedRecord.objects.bulk_create(
        [
            ImportedRecord(
                workspace_id=workspace,
                scope=scope,
                external_id=external_id,
                incident_id=incident,
                imported_at=when,
            )
            for (workspace, scope, external_id), (incident, when) in first.items()
        ],
        batch_size=500,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("incidents", "0006_list_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="ImportedRecord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("scope", models.CharField(blank=True, max_length=200, verbose_name="source")),
                ("external_id", models.CharField(max_length=200, verbose_name="id in the source")),
                (
                    "imported_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="imported at"
                    ),
                ),
                ("filename", models.CharField(blank=True, max_length=255, verbose_name="file")),
                (
                    "incident",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="imported_records",
                        to="incidents.incident",
                    ),
                ),
                (
                    "workspace",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="imported_records",
                        to="accounts.workspace",
                    ),
                ),
            ],
            options={
                "verbose_name": "imported record",
                "verbose_name_plural": "imported records",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("workspace", "scope", "external_id"), name="imported_record_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(record_earlier_imports, migrations.RunPython.noop),
    ]
