"""Testimony intake: interviews, and the evidence items a witness gave or that were made from
them (transcripts and translations are derivatives of the original, in the vault).

A testimony item is stored under a name made from the pseudonym and the kind
(`W-0042-recording.mp3`), never under the name the file had: file names of interviews often
carry the witness's name, and the vault keeps a name in its records and its custody log for
good. Only a known file extension is kept.
"""

from __future__ import annotations

import datetime as dt
import logging
import mimetypes
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from testimonia.accounts.models import User
from testimonia.cases.consent import testimony_of
from testimonia.cases.exceptions import CasesError
from testimonia.cases.models import Interview, Testimony, Witness
from testimonia.custody.services import CustodyDamaged, sign_checkpoint
from testimonia.evidence.exceptions import EvidenceError
from testimonia.evidence.models import Derivation, Item
from testimonia.evidence.services import Acquisition, AddedItem, add_derivative, add_item
from testimonia.incidents.models import Act, Incident

logger = logging.getLogger("testimonia.cases")

LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
EXTENSION = re.compile(r"^\.[a-z0-9]{1,8}$")
# Extensions of recordings and documents that the system's MIME table may lack.
EXTRA_EXTENSIONS = frozenset({".m4a", ".opus", ".ogg", ".oga", ".amr", ".docx", ".odt", ".md"})
DERIVED_KINDS: dict[str, str] = {
    Testimony.Kind.TRANSCRIPT: Derivation.TRANSCRIPT,
    Testimony.Kind.TRANSLATION: Derivation.TRANSLATION,
}
MAX_TEXT = {"place": 300, "interpreter": 200, "interviewer_name": 200}


def check_language(code: str, *, required: bool) -> str:
    code = code.strip()
    if not code and not required:
        return ""
    if not LANGUAGE.match(code):
        raise CasesError(_("give the language as a code such as ar, en or fa-AF"))
    return code


def safe_extension(filename: str) -> str:
    """The file's extension if it is a known one ("Leila.Haddad" has none), lower-cased."""
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if not EXTENSION.match(suffix):
        return ""
    if suffix in EXTRA_EXTENSIONS or suffix in mimetypes.types_map:
        return suffix
    return ""


def testimony_filename(witness: Witness, kind: str, original_name: str) -> str:
    return f"{witness.pseudonym}-{kind}{safe_extension(original_name)}"


def testimonies_of(witness: Witness) -> QuerySet[Testimony]:
    return Testimony.objects.filter(witness=witness).select_related(
        "item__blob", "added_by", "interview"
    )


def interviews_of(witness: Witness) -> QuerySet[Interview]:
    return Interview.objects.filter(witness=witness).prefetch_related("incidents", "acts")


def interview_of(witness: Witness, pk: int) -> Interview:
    found = interviews_of(witness).filter(pk=pk).first()
    if found is None:
        raise CasesError(
            _("no interview %(id)s of %(pseudonym)s") % {"id": pk, "pseudonym": witness.pseudonym}
        )
    return found


def record_interview(
    actor: User | None,
    witness: Witness,
    *,
    conducted_on: dt.date,
    language: str,
    interviewer: User | None = None,
    interviewer_name: str = "",
    place: str = "",
    interpreter: str = "",
    summary: str = "",
    incident_ids: Iterable[int] = (),
    act_ids: Iterable[int] = (),
) -> Interview:
    """Record an interview of the witness and the incidents and acts its facts bear on."""
    texts = {"place": place, "interpreter": interpreter, "interviewer_name": interviewer_name}
    for key, value in texts.items():
        if len(value.strip()) > MAX_TEXT[key]:
            raise CasesError(
                _("the %(field)s is longer than %(limit)s characters")
                % {"field": key.replace("_", " "), "limit": MAX_TEXT[key]}
            )
    incidents = _of_workspace(Incident.objects.all(), witness, incident_ids, _("incident"))
    acts = _of_workspace(
        Act.objects.all(), witness, act_ids, _("act"), field="incident__workspace_id"
    )
    with transaction.atomic():
        interview = Interview.objects.create(
            workspace_id=witness.workspace_id,
            witness=witness,
            interviewer=interviewer,
            interviewer_name=interviewer_name.strip(),
            conducted_on=conducted_on,
            place=place.strip(),
            language=check_language(language, required=True),
            interpreter=interpreter.strip(),
            summary=summary.strip(),
            created_by=actor,
        )
        interview.incidents.set(incidents)
        interview.acts.set(acts)
    return interview


def _of_workspace(
    rows: QuerySet[Incident] | QuerySet[Act],
    witness: Witness,
    ids: Iterable[int],
    label: str,
    *,
    field: str = "workspace_id",
) -> list[int]:
    wanted = list(dict.fromkeys(ids))
    found = set(
        rows.filter(pk__in=wanted, **{field: witness.workspace_id}).values_list("pk", flat=True)
    )
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise CasesError(
            _("no %(what)s %(ids)s in workspace %(workspace)s")
            % {
                "what": label,
                "ids": ", ".join(map(str, missing)),
                "workspace": witness.workspace.slug,
            }
        )
    return wanted


@dataclass(frozen=True)
class AddedTestimony:
    testimony: Testimony
    added: AddedItem


def add_testimony(
    actor: User | None,
    witness: Witness,
    chunks: Iterable[bytes],
    *,
    original_name: str,
    kind: str,
    interview: Interview | None = None,
    language: str = "",
    derived_from: Item | None = None,
    method: str = "",
) -> AddedTestimony:
    """Store a file the witness gave (or a transcript or translation of one, with
    `derived_from`) in the vault, under a name made from the pseudonym, linked to the
    witness and, if given, the interview."""
    if kind not in Testimony.Kind.values:
        raise CasesError(
            _("unknown kind of testimony item %(kind)r: use one of %(kinds)s")
            % {"kind": kind, "kinds": ", ".join(Testimony.Kind.values)}
        )
    if (kind in DERIVED_KINDS) != (derived_from is not None):
        raise CasesError(
            _(
                "a transcript or a translation is made from an item (give the original); other "
                "kinds are originals"
            )
        )
    if interview is not None and interview.witness_id != witness.pk:
        raise CasesError(
            _("interview %(id)s is not one of %(pseudonym)s")
            % {"id": interview.pk, "pseudonym": witness.pseudonym}
        )
    language = check_language(language, required=False)
    filename = testimony_filename(witness, kind, original_name)
    try:
        with transaction.atomic():
            if derived_from is not None:
                original, _chain = testimony_of(derived_from)
                if original is None or original.witness_id != witness.pk:
                    raise CasesError(
                        _("item %(item)s is not a testimony of %(pseudonym)s")
                        % {"item": derived_from.pk, "pseudonym": witness.pseudonym}
                    )
                added = add_derivative(
                    actor,
                    derived_from,
                    chunks,
                    filename=filename,
                    derivation=DERIVED_KINDS[kind],
                    method=method,
                )
                interview = interview or original.interview
            else:
                acquisition = Acquisition(
                    filename=filename,
                    source=_("testimony of %(pseudonym)s") % {"pseudonym": witness.pseudonym},
                    collected_by=actor,
                )
                added = add_item(
                    actor, witness.workspace, chunks, filename=filename, acquisition=acquisition
                )
            testimony = Testimony.objects.create(
                workspace_id=witness.workspace_id,
                witness=witness,
                item=added.item,
                interview=interview,
                kind=kind,
                language=language,
                added_by=actor,
            )
    except EvidenceError as exc:
        raise CasesError(str(exc)) from None
    _sign(witness)
    return AddedTestimony(testimony, added)


def _sign(witness: Witness) -> None:
    """Sign a custody checkpoint over the new item, as an ingest batch does; a failure leaves
    the item stored and logged, for the next checkpoint to cover."""
    try:
        sign_checkpoint(witness.workspace)
    except DatabaseError:
        pass
    except CustodyDamaged as exc:
        logger.error("custody log of %s not signed: %s", witness.workspace.slug, exc)


def link_item(
    actor: User | None,
    witness: Witness,
    item: Item,
    *,
    kind: str,
    interview: Interview | None = None,
    language: str = "",
) -> Testimony:
    """Record that an item already in the vault was given by the witness."""
    if kind not in Testimony.Kind.values or kind in DERIVED_KINDS:
        raise CasesError(
            _("an item already in the vault is linked as one of %(kinds)s")
            % {"kinds": ", ".join(k for k in Testimony.Kind.values if k not in DERIVED_KINDS)}
        )
    if item.workspace_id != witness.workspace_id or item.deleted_at is not None:
        raise CasesError(
            _("no item %(item)s in workspace %(workspace)s")
            % {"item": item.pk, "workspace": witness.workspace.slug}
        )
    if interview is not None and interview.witness_id != witness.pk:
        raise CasesError(
            _("interview %(id)s is not one of %(pseudonym)s")
            % {"id": interview.pk, "pseudonym": witness.pseudonym}
        )
    existing = Testimony.objects.filter(item=item).select_related("witness").first()
    if existing is not None:
        raise CasesError(
            _("item %(item)s is already a testimony of %(pseudonym)s")
            % {"item": item.pk, "pseudonym": existing.witness.pseudonym}
        )
    try:
        with transaction.atomic():
            return Testimony.objects.create(
                workspace_id=witness.workspace_id,
                witness=witness,
                item=item,
                interview=interview,
                kind=kind,
                language=check_language(language, required=False),
                added_by=actor,
            )
    except IntegrityError:
        # Race: another request linked the same item first (one witness per item).
        raise CasesError(
            _("item %(item)s is already a testimony of a witness") % {"item": item.pk}
        ) from None
