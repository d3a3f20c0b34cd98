"""Indexes for the incident list's facets (measured by bench/incidents_list.py).

incident_ws_place (workspace, place): the area facet (`place=PS0270`) selects the places of an
area from the small gazetteer table, then the incidents at those places. With only the index on
`place_id`, SQLite's planner (no statistics: nothing runs ANALYZE) walked all the workspace's
incidents and looked each place up; with this index it probes the incidents of each place.
100,000 incidents on SQLite: the page's SQL for `place=PS0270` 1,336 -> 282 ms, the one-query
peer 194 -> 2 ms; the three-facet shape 1,578 -> 1,144 ms; no other shape slower. On
PostgreSQL the peer 20 -> 4 ms, the page unchanged (hash joins either way).

Measured and left out, because they made pages slower on SQLite: (incident, act_type) on acts
and (act, organisation) on involvements. SQLite turns `act_type_id IN (8 ids)` or
`organisation_id IN (40 units)` into one probe per value and per row, 8 to 40 times the work
of one probe on `incident_id` or `act_id`; the perpetrator page went from 2.7 to 19 s.

Database only: the model state (and so `makemigrations`) does not know this index, which lives
beside the ones models.py declares. To move it into Incident.Meta.indexes, add it there with
the same name and give this migration the matching state operation.
"""

from django.db import migrations, models

INDEXES = [
    ("incident", models.Index(fields=["workspace", "place"], name="incident_ws_place")),
]


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0005_search"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AddIndex(model_name=model, index=index) for model, index in INDEXES
            ],
            state_operations=[],
        ),
    ]
