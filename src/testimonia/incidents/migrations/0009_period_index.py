"""The incident list's date index carries end_date too, so that a period filter (which reads
both dates) and its count are answered from the index alone (bench/incidents_list.py)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0008_facet_index"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="incident", name="incident_ws_start"),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                fields=["workspace", "start_date", "end_date"], name="incident_ws_period"
            ),
        ),
    ]
