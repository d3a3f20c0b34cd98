"""A canary identity, seeded through the CLI and the API, is found nowhere but in a protection
officer's reveal: not in the database (every row, every byte of the SQLite file), not in any
file under the home (blobs, keys, exports), not in any log line or SQL statement logged, not
in any API answer or CLI output, not in the chain of custody, not in the search index."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from testimonia.cases.models import WitnessIdentity
from testimonia.cli import EXIT_OK, main
from testimonia.conftest import require_service
from testimonia.custody.models import LogEntry
from testimonia.incidents import services as records
from testimonia.incidents.search import reindex, search

from .conftest import CANARY, CANARY_AR, CANARY_CONTACT, leaks
from .test_witness_api import Api

pytestmark = pytest.mark.django_db

SECRETS = (CANARY, CANARY_AR, CANARY_CONTACT)
BASE = "/api/v1/workspaces/test-ws"
CAPTURED_LOGGERS = ("", "testimonia", "django", "django.request", "django.security", "ninja")


class Collector(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record):
        self.lines.append(self.format(record))  # with the traceback, if any


@pytest.fixture
def every_log(caplog):
    """Every log record of every logger at DEBUG, SQL statements and their parameters too."""
    caplog.set_level(logging.DEBUG)
    collector = Collector()
    saved = []
    for name in CAPTURED_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        logger.setLevel(logging.DEBUG)
        logger.addHandler(collector)
    sql = logging.getLogger("django.db.backends")
    saved.append((sql, sql.level))
    sql.setLevel(logging.DEBUG)
    forced = connection.force_debug_cursor
    connection.force_debug_cursor = True  # log every query with its parameters
    yield collector
    connection.force_debug_cursor = forced
    for logger, level in saved:
        logger.setLevel(level)
        logger.removeHandler(collector)


@pytest.fixture
def home(settings, tmp_path):
    """The home of this test: the blob store, the custody signing key, the identity key and
    every export live under it."""
    settings.TESTIMONIA_HOME = tmp_path
    return tmp_path


def database_bytes():
    """Every row of every table as bytes; on SQLite, the whole database image as well."""
    chunks = []
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        chunks.append(connection.connection.serialize())
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor, include_views=True):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        chunks.append(bytes(value))
                    else:
                        chunks.append(str(value).encode("utf-8"))
    return b"\n".join(chunks)


def files_under(root):
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path, path.read_bytes()


def cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    return out + err


def seed(capsys, home, personas, workspace):
    """Everything a team does with two witnesses, through the CLI and the API; returns every
    output and answer it produced."""
    outputs = []
    # Through the CLI: intake, testimony, consent.
    outputs.append(
        cli(
            capsys,
            "witness",
            "add",
            "--workspace",
            "test-ws",
            "--name",
            CANARY,
            "--contacts",
            CANARY_CONTACT,
            "--details",
            CANARY_AR,
            "--consent",
            "icc",
            "--as",
            "investigator",
        )
    )
    named_file = home / "incoming" / f"{CANARY} - statement.txt"
    named_file.parent.mkdir()
    named_file.write_text("What W-0001 saw at the market on 14 March.", encoding="utf-8")
    outputs.append(
        cli(
            capsys,
            "testimony",
            "add",
            named_file,
            "--workspace",
            "test-ws",
            "--witness",
            "W-0001",
            "--json",
            "--as",
            "investigator",
        )
    )
    shutil.rmtree(named_file.parent)  # the user's own file, not Testimonia's
    outputs.append(
        cli(
            capsys,
            "witness",
            "consent",
            "W-0001",
            "--workspace",
            "test-ws",
            "--grant",
            "record",
            "analysis",
            "publication",
            "--as",
            "protection_officer",
        )
    )
    outputs.append(
        cli(
            capsys,
            "witness",
            "consent",
            "W-0001",
            "--workspace",
            "test-ws",
            "--withdraw",
            "publication",
        )
    )
    # Through the API: intake, interview, upload, consent, risk assessment.
    apis = {name: Api(user) for name, user in personas.items()}
    investigator, officer = apis["investigator"], apis["protection_officer"]
    answers = []
    answers.append(
        investigator.post(
            BASE + "/witnesses",
            {
                "name": CANARY_AR,
                "contacts": CANARY_CONTACT,
                "details": CANARY,
                "consent": ["un-coi", "national-de"],
            },
        )
    )
    incident = records.create_incident(None, workspace, title="Strike on the market")
    interview = investigator.post(
        BASE + "/witnesses/W-0002/interviews",
        {
            "conducted_on": "2024-05-02",
            "language": "ar",
            "summary": "W-0002 saw the strike.",
            "incidents": [incident.pk],
        },
    )
    answers.append(interview)
    upload = investigator.post(
        BASE + "/witnesses/W-0002/testimonies",
        data={
            "file": SimpleUploadedFile(f"{CANARY_AR} {CANARY}.mp3", b"ID3 not really audio"),
            "kind": "recording",
            "interview": interview.json()["id"],
        },
    )
    answers.append(upload)
    item = upload.json()["item"]
    answers.append(
        investigator.post(
            BASE + "/witnesses/W-0002/consent",
            {
                "scope": "share",
                "decision": "granted",
                "form": "oral",
                "mechanism": "icc",
                "item": item,
            },
        )
    )
    answers.append(
        officer.patch(
            BASE + "/witnesses/W-0002/protection",
            {
                "risk_level": "high",
                "protection_measures": ["voice_distortion"],
                "risk_notes": f"{CANARY} is known at the checkpoint; {CANARY_CONTACT}",
            },
        )
    )
    # Everyone reads everything they may, and tries what they may not.
    for name, api in apis.items():
        for path in (
            "/witnesses",
            "/witnesses/W-0001",
            "/witnesses/W-0002",
            "/witnesses/W-0002/consent",
            "/witnesses/W-0002/interviews",
            f"/witnesses/W-0002/interviews/{interview.json()['id']}",
            "/witnesses/W-0002/testimonies",
            f"/items/{item}",
            "/items",
            f"/items/{item}/consent?mechanism=icc",
            "/witnesses/W-0001/consent/coverage?mechanism=publication",
            f"/search?q={CANARY.split()[0]}",
            f"/search?q={CANARY_AR.split()[0]}",
        ):
            answers.append(api.get(BASE + path))
        if name != "protection_officer":
            answers.append(
                api.post(BASE + "/witnesses/W-0001/identity/reveal", {"reason": "curiosity"})
            )
            answers.append(api.patch(BASE + "/witnesses/W-0001/identity", {"reason": "x"}))
    # The search index is rebuilt from scratch, then searched for the canary.
    reindex(workspace)
    for query in (CANARY, CANARY_AR, CANARY.split()[0], CANARY_CONTACT.split()[0]):
        assert search(workspace, query) == []
    # An export of everything the witnesses gave, and a verification.
    ids = [str(t) for t in workspace.testimonies.values_list("item_id", flat=True)]
    outputs.append(
        cli(capsys, "export", "bag", "--workspace", "test-ws", "--items", *ids, home / "bag")
    )
    outputs.append(cli(capsys, "verify", "--workspace", "test-ws"))
    outputs.append(cli(capsys, "witness", "list", "--workspace", "test-ws", "--json"))
    outputs.append(cli(capsys, "witness", "consent", "W-0002", "--workspace", "test-ws"))
    return outputs, answers


def test_the_canary_is_nowhere_but_in_a_protection_officers_reveal(
    capsys, home, every_log, personas, workspace
):
    outputs, answers = seed(capsys, home, personas, workspace)
    assert all(a.status_code < 500 for a in answers), [a.content for a in answers]
    assert WitnessIdentity.objects.count() == 2

    found = {}
    for number, text in enumerate(outputs):
        found[f"CLI output {number}"] = leaks(text, *SECRETS)
    for answer in answers:
        found[f"API {answer.request['PATH_INFO']} {answer.status_code}"] = leaks(
            answer.content, *SECRETS
        )
    found["database"] = leaks(database_bytes(), *SECRETS)
    for path, data in files_under(home):
        found[str(path.relative_to(home))] = leaks(data, *SECRETS)
    found["logs"] = leaks("\n".join(every_log.lines), *SECRETS)
    found["custody"] = leaks("\n".join(LogEntry.objects.values_list("payload", flat=True)))
    assert {where: forms for where, forms in found.items() if forms} == {}
    assert any("INSERT" in line for line in every_log.lines)  # the SQL was logged, and looked at
    assert (home / "bag" / "bagit.txt").is_file()  # the export was written, and looked at

    # A protection officer sees both identities; the reveal leaves no trace of them.
    officer = Api(personas["protection_officer"])
    shown = officer.post(
        BASE + "/witnesses/W-0002/identity/reveal", {"reason": "relocation review"}
    ).json()
    assert shown["name"] == CANARY_AR
    assert shown["details"] == CANARY
    assert CANARY in shown["risk_notes"]
    printed = cli(
        capsys,
        "witness",
        "reveal",
        "W-0001",
        "--workspace",
        "test-ws",
        "--as",
        "protection_officer",
        "--reason",
        "hearing preparation",
    )
    assert CANARY in printed
    assert CANARY_CONTACT in printed
    reveals = LogEntry.objects.filter(action="identity_reveal")
    assert reveals.count() == 2
    assert leaks("\n".join(r.payload for r in reveals), *SECRETS) == []
    assert leaks(database_bytes(), *SECRETS) == []
    assert leaks("\n".join(every_log.lines), *SECRETS) == []
    assert [p for p, data in files_under(home) if leaks(data, *SECRETS)] == []


def test_the_database_scan_finds_a_name_stored_in_clear(workspace):
    """The scan can fail: a name written in clear anywhere in the database is found."""
    records.create_incident(None, workspace, title=f"Statement of {CANARY}")
    assert leaks(database_bytes(), CANARY) != []


@pytest.mark.skipif(
    connection.vendor != "postgresql" or shutil.which("pg_dump") is None,
    reason="pg_dump of a PostgreSQL database",
)
@pytest.mark.django_db(transaction=True)
def test_a_pg_dump_holds_no_identity(workspace, investigator, protection_officer):
    """On PostgreSQL, the committed database as a backup would hold it: no name in clear."""
    from testimonia.cases.identity import Identity
    from testimonia.cases.witnesses import create_witness

    create_witness(investigator, workspace, Identity(name=CANARY, contacts=CANARY_CONTACT))
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    dump = subprocess.run(
        [
            "pg_dump",
            "-h",
            db["HOST"] or "127.0.0.1",
            "-p",
            str(db["PORT"] or 5432),
            "-U",
            db["USER"],
            "--data-only",
            db["NAME"],
        ],
        capture_output=True,
        env=env,
        timeout=120,
        check=True,
    ).stdout
    assert b"cases_witnessidentity" in dump
    assert leaks(dump, *SECRETS) == []


def test_postgresql_runs_when_required():
    if require_service("TESTIMONIA_REQUIRE_POSTGRES"):
        assert connection.vendor == "postgresql"
