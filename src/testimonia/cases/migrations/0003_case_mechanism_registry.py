"""Case.mechanism: from a fixed choice to an entry of the mechanisms registry.

The former values map to the registry's slugs: icc -> icc, un_inquiry -> un-coi,
national -> national; other -> no mechanism. Where the registry table is still empty (it is
filled after migrate, and this migration may run in the same migrate that created it), the
entries needed are created from cases/data/mechanisms.json; the sync after migrate completes
them.
"""

import json
from pathlib import Path

import django.db.models.deletion
from django.db import migrations, models

FORWARD = {"icc": "icc", "un_inquiry": "un-coi", "national": "national"}
DATA = Path(__file__).resolve().parents[1] / "data" / "mechanisms.json"


def _entry(Mechanism, slug):
    found = Mechanism.objects.filter(slug=slug).first()
    if found is not None:
        return found
    entries = json.loads(DATA.read_text(encoding="utf-8"))["mechanisms"]
    for position, entry in enumerate(entries):
        if entry["slug"] == slug:
            return Mechanism.objects.create(
                slug=slug,
                kind=entry["kind"],
                country=entry.get("country", ""),
                names=entry["names"],
                requirements=entry["requirements"],
                position=position,
                active=True,
            )
    return None  # pragma: no cover - the three slugs are in the data file


def _check_now(schema_editor):
    # PostgreSQL: rows written here leave deferred foreign-key checks pending, and a table
    # with pending checks cannot be altered later in this transaction: run them now.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def forward(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Mechanism = apps.get_model("cases", "Mechanism")
    for old, slug in FORWARD.items():
        cases = Case.objects.filter(mechanism=old)
        if cases.exists():
            cases.update(mechanism_entry=_entry(Mechanism, slug))
    _check_now(schema_editor)


def backward(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    for case in Case.objects.select_related("mechanism_entry", "mechanism_entry__parent"):
        entry = case.mechanism_entry
        old = "other"
        if entry is not None:
            root = entry.parent or entry
            old = {"icc": "icc", "un-coi": "un_inquiry", "national": "national"}.get(
                root.slug, "other"
            )
        Case.objects.filter(pk=case.pk).update(mechanism=old)
    _check_now(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0002_witnesses"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="mechanism_entry",
            field=models.ForeignKey(
                null=True,
                blank=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="cases.mechanism",
            ),
        ),
        # The former column gets a default so that the way back can add it to filled tables.
        migrations.AlterField(
            model_name="case",
            name="mechanism",
            field=models.CharField(default="other", max_length=16, verbose_name="mechanism"),
        ),
        migrations.RunPython(forward, backward),
        migrations.RemoveField(model_name="case", name="mechanism"),
        migrations.RenameField(model_name="case", old_name="mechanism_entry", new_name="mechanism"),
        migrations.AlterField(
            model_name="case",
            name="mechanism",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="cases",
                to="cases.mechanism",
                verbose_name="mechanism",
            ),
        ),
    ]
