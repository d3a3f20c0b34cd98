"""API route for full-text search over a workspace's records (see incidents/search.py)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from testimonia.accounts.api_auth import workspace_auth
from testimonia.accounts.roles import Capability, grants
from testimonia.accounts.services import membership_roles
from testimonia.incidents.search import ITEM, TYPES, SearchError, search

router = Router(tags=["search"])

MAX_LIMIT = 200


class HitOut(Schema):
    type: str  # incident, act, person or item
    id: int
    title: str
    score: float  # higher is better; comparable within one response only


@router.get(
    "/workspaces/{workspace}/search",
    response=list[HitOut],
    summary="Records whose words begin with every word of the query, best first",
    description="Searches incidents, acts, persons and (for members who may see evidence) "
    "evidence items. Arabic spelling variants, Hebrew niqqud, accents and case are ignored; "
    "every word of `q` must begin a word of the record. `type` (repeatable) narrows the "
    "search to incident, act, person or item.",
    auth=workspace_auth(Capability.VIEW_RECORDS),
)
def search_records(
    request: HttpRequest,
    workspace: str,
    q: str = "",
    type: Query[list[str] | None] = None,  # repeatable: ?type=incident&type=act
    limit: int = 50,
    offset: int = 0,
) -> list[HitOut]:
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise HttpError(400, f"limit must be 1..{MAX_LIMIT} and offset >= 0")
    types = list(type) if type else list(TYPES)
    # Item hits are evidence: only for those who may see the vault.
    if not grants(membership_roles(request.user, workspace), Capability.VIEW_EVIDENCE):
        if type and ITEM in type:
            raise HttpError(403, "Your role in this workspace does not allow searching evidence.")
        types = [t for t in types if t != ITEM]
    try:
        hits = search(
            request.workspace,  # type: ignore[attr-defined]
            q,
            types=types,
            limit=limit,
            offset=offset,
        )
    except SearchError as exc:
        raise HttpError(400, str(exc)) from None
    return [HitOut(type=h.type, id=h.id, title=h.title, score=h.score) for h in hits]
