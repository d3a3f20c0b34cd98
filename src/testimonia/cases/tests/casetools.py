"""Helpers of the dossier and disclosure tests: a case with a witness's testimony (naming the
canary in its bytes), its redacted copy, a photo no witness gave, and ways to look at a bag."""

from __future__ import annotations

import csv
import io
import subprocess
from dataclasses import dataclass
from pathlib import Path

from testimonia.cases.consent import record_consent
from testimonia.cases.dossiers import add_items, create_case
from testimonia.cases.testimonies import add_testimony
from testimonia.evidence.services import add_derivative, add_item

from .conftest import CANARY, CANARY_AR, CANARY_CONTACT, leaks

STATEMENT = f"I, {CANARY}, saw the strike on the market. Call me on {CANARY_CONTACT}.\n"
REDACTED = "I, [REDACTED], saw the strike on the market. Call me on [REDACTED].\n"


@dataclass
class Dossier:
    case: object
    witness: object
    statement: object  # the witness's testimony item (names the canary)
    redacted: object | None  # its redacted derivative
    photo: object  # an item no witness gave


def make_dossier(workspace, investigator, legal_officer, witness, *, redact=True, **case_fields):
    statement = add_testimony(
        investigator,
        witness,
        [STATEMENT.encode()],
        original_name="statement.txt",
        kind="statement",
        language="en",
    ).testimony.item
    redacted = None
    if redact:
        redacted = add_derivative(
            investigator,
            statement,
            [REDACTED.encode()],
            filename=f"{witness.pseudonym}-statement-redacted.txt",
            derivation="redaction",
            method="names and contacts masked",
        ).item
    photo = add_item(investigator, workspace, [b"\xff\xd8 a photo"], filename="market.jpg").item
    fields = {"title": "Strike on the market", "mechanism_slug": "icc", **case_fields}
    title = fields.pop("title")
    case = create_case(legal_officer, workspace, title, **fields)
    add_items(legal_officer, case, [statement, photo], note="the strike")
    return Dossier(case, witness, statement, redacted, photo)


def grant(investigator, witness, scope, slug, **kwargs):
    return record_consent(
        investigator, witness, scope, "granted", form="written", mechanism_slug=slug, **kwargs
    )


def withdraw(investigator, witness, scope, slug, **kwargs):
    return record_consent(
        investigator, witness, scope, "withdrawn", form="written", mechanism_slug=slug, **kwargs
    )


def bag_files(bag: Path) -> dict[str, bytes]:
    return {
        p.relative_to(bag).as_posix(): p.read_bytes() for p in sorted(bag.rglob("*")) if p.is_file()
    }


def payload_ids(bag: Path) -> set[int]:
    return {int(p.name) for p in (bag / "data" / "items").iterdir()}


def index_table(bag: Path) -> list[dict[str, str]]:
    text = (bag / "disclosure" / "index.csv").read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def index_header(bag: Path) -> list[str]:
    text = (bag / "disclosure" / "index.csv").read_bytes().decode("utf-8-sig")
    return next(csv.reader(io.StringIO(text)))


def pdf_text(path: Path) -> str:
    """The text layer of a PDF (its streams are compressed: a byte scan alone sees nothing)."""
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return result.stdout.decode("utf-8")


def canary_in(bag: Path) -> dict[str, list[bytes]]:
    """Every file of the bag in which a form of the canary identity is found (for a PDF, in
    its bytes and in its text)."""
    found = {}
    for name, data in bag_files(bag).items():
        hits = leaks(data, CANARY, CANARY_AR, CANARY_CONTACT)
        if name.endswith(".pdf"):
            hits += leaks(pdf_text(bag / name), CANARY, CANARY_AR, CANARY_CONTACT)
        if hits:
            found[name] = hits
    return found
