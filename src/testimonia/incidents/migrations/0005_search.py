"""The full-text search index (incidents/search.py): one table, a different kind per database.

The tables are not Django models: on SQLite the index is an FTS5 virtual table, which Django
cannot describe, and on PostgreSQL its main column is a tsvector. Both hold text that
testimonia.core.text has already folded, so the two databases index the same words. The SQL
is written out here, not imported from search.py, so that this migration stays as it was
applied whatever the module becomes. The index starts empty: the post_migrate receiver in
incidents/apps.py fills it (search.ensure_index) whenever it was built by other rules.
"""

from django.db import migrations

SQLITE = [
    # Cut on the ASCII space only (`ascii` treats every non-ASCII code point as part of a
    # word); rowid = object id * 8 + a code for the kind, so an entry is found without a scan.
    "CREATE VIRTUAL TABLE incidents_searchentry USING fts5("
    "kind UNINDEXED, object_id UNINDEXED, workspace_id UNINDEXED, title UNINDEXED, "
    "title_text, body_text, tokenize = 'ascii')",
]
POSTGRESQL = [
    "CREATE TABLE incidents_searchentry ("
    "kind varchar(16) NOT NULL, "
    "object_id bigint NOT NULL, "
    "workspace_id bigint NOT NULL, "
    "title text NOT NULL, "
    "document tsvector NOT NULL, "
    "PRIMARY KEY (kind, object_id))",
    "CREATE INDEX incidents_searchentry_document ON incidents_searchentry USING gin (document)",
    "CREATE INDEX incidents_searchentry_workspace ON incidents_searchentry (workspace_id, kind)",
]
# Which normalisation rules (core.text.NORMALISATION_VERSION) built the index: one row.
STATE = (
    "CREATE TABLE incidents_searchstate ("
    "id integer PRIMARY KEY CHECK (id = 1), version varchar(100) NOT NULL)"
)
DROP = ["DROP TABLE incidents_searchstate", "DROP TABLE incidents_searchentry"]


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        statements = SQLITE
    elif vendor == "postgresql":
        statements = POSTGRESQL
    else:  # pragma: no cover (settings accept only these two)
        raise RuntimeError(f"full-text search is not implemented for {vendor}")
    for statement in [*statements, STATE]:
        schema_editor.execute(statement)


def drop_index(apps, schema_editor):
    for statement in DROP:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0004_import_mappings"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
