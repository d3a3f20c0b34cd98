"""The facet index (incidents/facet_index.py): one row per incident and facet value; filled
after the migrate by facet_index.ensure_index."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("evidence", "0004_derivatives"),
        ("incidents", "0007_imported_records"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="FacetValue",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("facet", models.CharField(max_length=16)),
                ("value", models.CharField(max_length=64)),
            ],
        ),
        migrations.AddField(
            model_name="facetvalue",
            name="incident",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="facet_values",
                to="incidents.incident",
            ),
        ),
        migrations.AddField(
            model_name="facetvalue",
            name="workspace",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.workspace",
            ),
        ),
        migrations.AddIndex(
            model_name="facetvalue",
            index=models.Index(
                fields=["workspace", "facet", "value", "incident"], name="facet_lookup"
            ),
        ),
        migrations.AddConstraint(
            model_name="facetvalue",
            constraint=models.UniqueConstraint(
                fields=("incident", "facet", "value"), name="facet_value_unique"
            ),
        ),
    ]
