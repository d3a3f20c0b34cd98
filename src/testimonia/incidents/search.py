"""Full-text search over incidents, acts, persons and evidence items: one interface, two backends.

Both sides of a search go through testimonia.core.text: the indexed text is cut into the words
of :func:`~testimonia.core.text.tokens` and a query into those of
:func:`~testimonia.core.text.fts_query`, so Arabic spelling variants (alef and hamza forms, taa
marbuta, alef maqsura, harakat, tatweel, ``عبد الله``), Hebrew niqqud and final letters, and
Latin accents and case are folded by the project's rules, identically on both databases.
A query matches a record when every one of its words begins a word of the record (prefix
match: ``Khan Yun`` finds ``Khan Yunis``).

- SQLite (the embedded default): an FTS5 table with the ``ascii`` tokenizer, which cuts only on
  ASCII spaces and punctuation and keeps every non-ASCII code point inside a word; since the
  stored text is already folded words separated by single spaces, FTS5 sees exactly our words.
  The query is ``"w1"* "w2"*`` (an AND of quoted prefix terms: nothing a user types can become
  FTS5 syntax). Ranking: bm25 with the title column weighing ten times the body column.
- PostgreSQL (production): a tsvector column with a GIN index. The tsvector and the tsquery are
  written as literals of our words (``'w1':1A 'w2':2B``, ``'w1':* & 'w2':*``), never passed
  through ``to_tsvector``/``to_tsquery``: PostgreSQL's parser would cut the words again by the
  server locale's idea of a letter and could disagree with SQLite (``array_to_tsvector`` would
  keep our words too, but carries no positions, so no weights for title versus body).
  Ranking: ``ts_rank_cd`` with title words weighted A and body words B.

Scores are "higher is better" and comparable within one result list, not across backends.

The index is kept current by signal receivers (incidents/search_signals.py) and can be rebuilt
with :func:`reindex` (``testimonia reindex``). What is indexed, per type:

- ``incident``: title, description and their translations, the place as reported, the
  place's names in every language, the tags.
- ``act``: its type's labels in every language, description, method of violence; its title
  is the type (in the incident's language) and the incident's title.
- ``person``: every name; the title is the primary name. Confidential persons are never
  indexed (DESIGN.md: protected identities never appear in search indexes).
- ``item``: the original file name, the source, and the title, author and device recorded in
  the latest metadata record of its bytes. Deleted items (tombstones) are not indexed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from typing import Any, Final, Protocol

from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from testimonia.accounts.models import Workspace
from testimonia.core.text import NORMALISATION_VERSION, fts_query, tokens
from testimonia.evidence.models import Item
from testimonia.evidence.services import latest_metadata, with_metadata
from testimonia.incidents.models import Act, Incident, Person, Place, Sensitivity

logger = logging.getLogger("testimonia.search")

INCIDENT: Final = "incident"
ACT: Final = "act"
PERSON: Final = "person"
ITEM: Final = "item"
TYPES: Final = (INCIDENT, ACT, PERSON, ITEM)

# A word longer than this is cut, on the index and the query side alike (PostgreSQL refuses
# lexemes over 2 KB); a prefix query for the cut word still finds it.
MAX_WORD_CHARS: Final = 100
# Words of one record beyond this are not indexed (PostgreSQL positions stop at 16383).
MAX_RECORD_WORDS: Final = 16_000
# More words than this in a query is a mistake (a pasted document), not a search.
MAX_QUERY_WORDS: Final = 32
_BATCH: Final = 500

_TYPE_CODES: Final = {INCIDENT: 1, ACT: 2, PERSON: 3, ITEM: 4}
_TYPE_OF_MODEL: Final[dict[type[Model], str]] = {
    Incident: INCIDENT,
    Act: ACT,
    Person: PERSON,
    Item: ITEM,
}


class SearchError(ValueError):
    """A query that cannot be run as given; the message says what to change."""


@dataclass(frozen=True)
class Hit:
    type: str  # one of TYPES
    id: int
    title: str
    score: float  # higher is better; comparable within one result list only
    snippet: str | None = None


@dataclass(frozen=True)
class Document:
    """What the index holds for one record: folded words of its title and of the rest."""

    type: str
    id: int
    workspace_id: int
    title: str
    title_words: list[str]
    body_words: list[str]


# ---------------------------------------------------------------------------------------------
# The public interface


def query_words(query: str) -> list[str]:
    """The words of a query as it will be matched; SearchError when it has none or too many."""
    words = list(dict.fromkeys(word[:MAX_WORD_CHARS] for word in fts_query(query)))
    if not words:
        raise SearchError(_("the search has no words to look for: type a name, a place or a word"))
    if len(words) > MAX_QUERY_WORDS:
        raise SearchError(
            _("the search has %(count)d words; use at most %(max)d")
            % {"count": len(words), "max": MAX_QUERY_WORDS}
        )
    return words


def search(
    workspace: Workspace,
    query: str,
    *,
    types: Sequence[str] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Hit]:
    """The workspace's records that match every word of `query`, best first.

    `types` narrows the search to some of TYPES (default: all). Raises SearchError for a query
    without words and for an unknown type. The caller decides who may see which types (item
    hits are evidence: VIEW_EVIDENCE).
    """
    words = query_words(query)
    wanted = _check_types(types)
    if limit < 1 or offset < 0:
        raise SearchError(_("limit must be at least 1 and offset at least 0"))
    with connection.cursor() as cursor:
        rows = _backend().query(cursor, workspace.pk, words, wanted, limit, offset)
    return [
        Hit(type=str(kind), id=int(pk), title=str(title), score=round(float(score), 6))
        for kind, pk, title, score in rows
    ]


def search_ids(workspace: Workspace, query: str, type: str) -> list[int]:
    """The ids of every record of one type that matches, best first (for a facet filter such
    as ``IncidentFilter(ids=...)``)."""
    words = query_words(query)
    wanted = _check_types([type])
    with connection.cursor() as cursor:
        rows = _backend().query(cursor, workspace.pk, words, wanted, None, 0)
    return [int(pk) for _kind, pk, _title, _score in rows]


def index_record(record: Model) -> None:
    """Bring the index entry of an incident, act, person or item in line with the database
    (the record is read again, with what it links to). A record that must not be indexed
    (confidential person, deleted item) or no longer exists loses its entry."""
    index_ids(_type_of(record), [record.pk])


def remove_record(record: Model) -> None:
    """Remove the index entry of a record (after it was deleted)."""
    type_ = _type_of(record)
    with connection.cursor() as cursor:
        _backend().delete(cursor, type_, int(record.pk))


def index_ids(type: str, ids: Iterable[int]) -> None:
    """index_record for records of one type given by id, read in one pass."""
    wanted = sorted({int(pk) for pk in ids})
    if not wanted:
        return
    backend = _backend()
    for batch in _batched(wanted, _BATCH):
        documents = list(_documents(type, _queryset(type).filter(pk__in=batch)))
        # No savepoint: a failure here fails the change that caused it, as a whole.
        with transaction.atomic(savepoint=False), connection.cursor() as cursor:
            for document in documents:
                backend.write(cursor, document)
            for pk in set(batch) - {d.id for d in documents}:
                backend.delete(cursor, type, pk)


def reindex(workspace: Workspace | None = None) -> int:
    """Rebuild the index of one workspace, or of all (then record the normalisation version
    it was built with). Returns the number of records indexed."""
    backend = _backend()
    count = 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            backend.clear(cursor, None if workspace is None else workspace.pk)
        for type_ in TYPES:
            records = _queryset(type_)
            if workspace is not None:
                records = records.filter(**{_WORKSPACE_FIELD[type_]: workspace})
            documents = _documents(type_, records.order_by("pk"), chunk_size=_BATCH)
            for batch in _batched(documents, _BATCH):
                with connection.cursor() as cursor:
                    for document in batch:
                        backend.write(cursor, document)
                count += len(batch)
        if workspace is None:
            with connection.cursor() as cursor:
                backend.set_version(cursor, NORMALISATION_VERSION)
    return count


def index_version() -> str | None:
    """The normalisation version the whole index was last rebuilt with (None: never)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM incidents_searchstate WHERE id = 1")
        row = cursor.fetchone()
    return str(row[0]) if row else None


def ensure_index(*, using: str = DEFAULT_DB_ALIAS, **_: Any) -> None:
    """post_migrate: drop entries of workspaces that no longer exist (a database flush) and
    rebuild the whole index when it was built by other normalisation rules or never (a
    database migrated to 0005 with records already in it, a new Python with a new Unicode
    database). Does nothing until the database is fully migrated."""
    if using != DEFAULT_DB_ALIAS:  # the index lives in the default database only
        return
    if "incidents_searchstate" not in connection.introspection.table_names():
        return  # migrated back before 0005
    with connection.cursor() as cursor:
        _backend().prune(cursor)
    if index_version() == NORMALISATION_VERSION or _migrations_pending():
        return
    logger.info("rebuilding the search index (normalisation %s)", NORMALISATION_VERSION)
    reindex()


# ---------------------------------------------------------------------------------------------
# What is indexed


def _check_types(types: Sequence[str] | None) -> list[str]:
    if types is None:
        return list(TYPES)
    unknown = [t for t in types if t not in TYPES]
    if unknown or not types:
        raise SearchError(
            _("unknown record type %(type)r: use one of %(types)s")
            % {"type": unknown[0] if unknown else "", "types": ", ".join(TYPES)}
        )
    return list(dict.fromkeys(types))


def _type_of(record: Model) -> str:
    try:
        return _TYPE_OF_MODEL[type(record)]
    except KeyError:
        raise TypeError(f"{type(record).__name__} records are not searched") from None


_WORKSPACE_FIELD: Final = {
    INCIDENT: "workspace",
    ACT: "incident__workspace",
    PERSON: "workspace",
    ITEM: "workspace",
}


def _queryset(type_: str) -> QuerySet[Any]:
    """The records of a type that are indexed, with what their documents need."""
    if type_ == INCIDENT:
        return Incident.objects.select_related("place").prefetch_related("tags")
    if type_ == ACT:
        return Act.objects.select_related("act_type", "incident")
    if type_ == PERSON:
        return Person.objects.exclude(sensitivity=Sensitivity.CONFIDENTIAL).prefetch_related(
            "names"
        )
    if type_ == ITEM:
        return with_metadata(Item.objects.filter(deleted_at__isnull=True).select_related("blob"))
    raise ValueError(type_)


def _documents(
    type_: str, records: QuerySet[Any], chunk_size: int | None = None
) -> Iterator[Document]:
    builders: dict[str, Callable[[Any], Document]] = {
        INCIDENT: _incident,
        ACT: _act,
        PERSON: _person,
        ITEM: _item,
    }
    build = builders[type_]
    rows = records.iterator(chunk_size=chunk_size) if chunk_size else records
    for record in rows:
        yield build(record)


def _words(*texts: Any) -> list[str]:
    """The folded words of each text in turn (each cut on its own, so that words of two
    fields are never joined, e.g. ``عبد`` ending one and ``الله`` starting the next)."""
    words: list[str] = []
    for text in texts:
        if isinstance(text, str) and text:
            words.extend(word[:MAX_WORD_CHARS] for word in tokens(text))
    return words


def _document(
    record: Model, type_: str, workspace_id: int, title: str, words: list[str], body: list[str]
) -> Document:
    words = words[:MAX_RECORD_WORDS]
    body = body[: MAX_RECORD_WORDS - len(words)]
    return Document(type_, int(record.pk), workspace_id, title, words, body)


def _texts(value: Any, key: str) -> list[Any]:
    """`key` of every dict in a JSON object's values ({"ar": {"title": ...}, ...})."""
    if not isinstance(value, dict):
        return []
    return [v.get(key) for v in value.values() if isinstance(v, dict)]


def _place_names(place: Place | None) -> list[Any]:
    if place is None or not isinstance(place.names, dict):
        return []
    names: list[Any] = []
    for value in place.names.values():
        names.extend(value if isinstance(value, list) else [value])
    return names


def _incident(incident: Incident) -> Document:
    title = _words(incident.title, *_texts(incident.translations, "title"))
    body = _words(
        incident.description,
        *_texts(incident.translations, "description"),
        incident.place_name,
        *_place_names(incident.place),
        *(tag.name for tag in incident.tags.all()),
    )
    return _document(incident, INCIDENT, incident.workspace_id, incident.title, title, body)


def _act(act: Act) -> Document:
    labels = act.act_type.labels if isinstance(act.act_type.labels, dict) else {}
    label = str(labels.get(act.incident.language) or labels.get("en") or act.act_type.code)
    title = f"{label} \u2014 {act.incident.title}"
    words = _words(*labels.values())
    body = _words(act.description, act.method)
    return _document(act, ACT, act.incident.workspace_id, title, words, body)


def _person(person: Person) -> Document:
    names = [name.text for name in person.names.all()]
    return _document(person, PERSON, person.workspace_id, person.display_name, _words(*names), [])


def _item(item: Item) -> Document:
    record = latest_metadata(item.blob)
    found = record.normalised if record is not None and isinstance(record.normalised, dict) else {}
    device = found.get("device")
    device_texts = list(device.values()) if isinstance(device, dict) else [device]
    title = _words(item.original_filename, found.get("title"))
    body = _words(item.source, found.get("author"), *device_texts)
    return _document(item, ITEM, item.workspace_id, item.original_filename, title, body)


def _batched(values: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(values)
    while batch := list(islice(iterator, size)):
        yield batch


def _migrations_pending() -> bool:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


# ---------------------------------------------------------------------------------------------
# Backends


class _Backend(Protocol):
    def write(self, cursor: CursorWrapper, document: Document) -> None: ...

    def delete(self, cursor: CursorWrapper, type_: str, pk: int) -> None: ...

    def clear(self, cursor: CursorWrapper, workspace_id: int | None) -> None: ...

    def prune(self, cursor: CursorWrapper) -> None: ...

    def set_version(self, cursor: CursorWrapper, version: str) -> None: ...

    def query(
        self,
        cursor: CursorWrapper,
        workspace_id: int,
        words: list[str],
        types: list[str],
        limit: int | None,
        offset: int,
    ) -> list[tuple[Any, ...]]: ...


class _SQLiteFTS5:
    """An FTS5 table; an entry's rowid encodes its type and id (see _rowid)."""

    @staticmethod
    def _rowid(type_: str, pk: int) -> int:
        # One rowid per (type, id), so that finding an entry needs no scan of the unindexed
        # columns; ids stay far below 2**60.
        return pk * 8 + _TYPE_CODES[type_]

    def write(self, cursor: CursorWrapper, document: Document) -> None:
        rowid = self._rowid(document.type, document.id)
        cursor.execute("DELETE FROM incidents_searchentry WHERE rowid = %s", [rowid])
        cursor.execute(
            "INSERT INTO incidents_searchentry "
            "(rowid, kind, object_id, workspace_id, title, title_text, body_text) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                rowid,
                document.type,
                document.id,
                document.workspace_id,
                document.title,
                " ".join(document.title_words),
                " ".join(document.body_words),
            ],
        )

    def delete(self, cursor: CursorWrapper, type_: str, pk: int) -> None:
        cursor.execute(
            "DELETE FROM incidents_searchentry WHERE rowid = %s", [self._rowid(type_, pk)]
        )

    def clear(self, cursor: CursorWrapper, workspace_id: int | None) -> None:
        if workspace_id is None:
            cursor.execute("DELETE FROM incidents_searchentry")
        else:
            cursor.execute(
                "DELETE FROM incidents_searchentry WHERE workspace_id = %s", [workspace_id]
            )

    def prune(self, cursor: CursorWrapper) -> None:
        cursor.execute(
            "DELETE FROM incidents_searchentry "
            "WHERE workspace_id NOT IN (SELECT id FROM accounts_workspace)"
        )

    def set_version(self, cursor: CursorWrapper, version: str) -> None:
        cursor.execute(
            "INSERT INTO incidents_searchstate (id, version) VALUES (1, %s) "
            "ON CONFLICT (id) DO UPDATE SET version = excluded.version",
            [version],
        )

    def query(
        self,
        cursor: CursorWrapper,
        workspace_id: int,
        words: list[str],
        types: list[str],
        limit: int | None,
        offset: int,
    ) -> list[tuple[Any, ...]]:
        # Each word quoted: a word is letters and digits only, and the quotes keep even a
        # future FTS5 keyword a plain word. Juxtaposed terms are ANDed.
        match = " ".join(f'"{word}"*' for word in words)
        # bm25 takes one weight per column, the UNINDEXED ones included (they never match):
        # a word of the title weighs ten times a word of the body.
        cursor.execute(
            "SELECT kind, object_id, title, "
            "-bm25(incidents_searchentry, 0, 0, 0, 0, 10.0, 1.0) AS score "
            "FROM incidents_searchentry "
            "WHERE incidents_searchentry MATCH %s AND workspace_id = %s "
            "AND kind IN (SELECT value FROM json_each(%s)) "
            "ORDER BY score DESC, kind, object_id LIMIT %s OFFSET %s",
            [match, workspace_id, json.dumps(types), -1 if limit is None else limit, offset],
        )
        return list(cursor.fetchall())


class _PostgreSQL:
    """A table with a tsvector column (GIN index), written and queried as literals."""

    MAX_POSITION: Final = 16383  # PostgreSQL's largest word position

    @staticmethod
    def _lexeme(word: str) -> str:
        # Words are letters, digits and marks only; quoting anyway keeps a literal a literal.
        return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"

    def _tsvector(self, document: Document) -> str:
        weighted = chain(
            ((word, "A") for word in document.title_words),
            ((word, "B") for word in document.body_words),
        )
        return " ".join(
            f"{self._lexeme(word)}:{min(position, self.MAX_POSITION)}{weight}"
            for position, (word, weight) in enumerate(weighted, start=1)
        )

    def _tsquery(self, words: list[str]) -> str:
        return " & ".join(f"{self._lexeme(word)}:*" for word in words)

    def write(self, cursor: CursorWrapper, document: Document) -> None:
        cursor.execute(
            "INSERT INTO incidents_searchentry (kind, object_id, workspace_id, title, document) "
            "VALUES (%s, %s, %s, %s, %s::tsvector) "
            "ON CONFLICT (kind, object_id) DO UPDATE SET workspace_id = excluded.workspace_id, "
            "title = excluded.title, document = excluded.document",
            [
                document.type,
                document.id,
                document.workspace_id,
                document.title,
                self._tsvector(document),
            ],
        )

    def delete(self, cursor: CursorWrapper, type_: str, pk: int) -> None:
        cursor.execute(
            "DELETE FROM incidents_searchentry WHERE kind = %s AND object_id = %s", [type_, pk]
        )

    def clear(self, cursor: CursorWrapper, workspace_id: int | None) -> None:
        if workspace_id is None:
            cursor.execute("DELETE FROM incidents_searchentry")
        else:
            cursor.execute(
                "DELETE FROM incidents_searchentry WHERE workspace_id = %s", [workspace_id]
            )

    def prune(self, cursor: CursorWrapper) -> None:
        cursor.execute(
            "DELETE FROM incidents_searchentry "
            "WHERE NOT EXISTS (SELECT 1 FROM accounts_workspace w WHERE w.id = workspace_id)"
        )

    def set_version(self, cursor: CursorWrapper, version: str) -> None:
        cursor.execute(
            "INSERT INTO incidents_searchstate (id, version) VALUES (1, %s) "
            "ON CONFLICT (id) DO UPDATE SET version = excluded.version",
            [version],
        )

    def query(
        self,
        cursor: CursorWrapper,
        workspace_id: int,
        words: list[str],
        types: list[str],
        limit: int | None,
        offset: int,
    ) -> list[tuple[Any, ...]]:
        tsquery = self._tsquery(words)
        cursor.execute(
            "SELECT kind, object_id, title, ts_rank_cd(document, %s::tsquery) AS score "
            "FROM incidents_searchentry "
            "WHERE document @@ %s::tsquery AND workspace_id = %s AND kind = ANY(%s) "
            "ORDER BY score DESC, kind, object_id LIMIT %s OFFSET %s",
            [tsquery, tsquery, workspace_id, types, limit, offset],
        )
        return list(cursor.fetchall())


def _backend() -> _Backend:
    if connection.vendor == "sqlite":
        return _SQLiteFTS5()
    if connection.vendor == "postgresql":
        return _PostgreSQL()
    raise NotImplementedError(f"full-text search is not implemented for {connection.vendor}")
