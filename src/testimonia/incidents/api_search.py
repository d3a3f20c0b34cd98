"""API routes for full-text search over a workspace's records, or over every workspace the
caller may read (see incidents/search.py)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from testimonia.accounts.api_auth import workspace_auth
from testimonia.accounts.models import Membership, Workspace
from testimonia.accounts.roles import Capability, grants, roles_with
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


class WorkspaceHitOut(HitOut):
    workspace: str  # the workspace's slug


@router.get(
    "/search",
    response=list[WorkspaceHitOut],
    summary="Search every workspace you may read, best first",
    description="The search of `/workspaces/{workspace}/search` over every workspace in which "
    "the caller may read the records (or those named by `workspace`, repeatable), merged by "
    "score. Evidence items only from workspaces where the caller may see evidence. A "
    "workspace the caller is not a member of answers 404, as everywhere.",
)
def search_everywhere(
    request: HttpRequest,
    q: str = "",
    workspace: Query[list[str] | None] = None,  # repeatable: ?workspace=a&workspace=b
    type: Query[list[str] | None] = None,
    limit: int = 50,
) -> list[WorkspaceHitOut]:
    if not 1 <= limit <= MAX_LIMIT:
        raise HttpError(400, f"limit must be 1..{MAX_LIMIT}")
    readers = roles_with(Capability.VIEW_RECORDS)
    seeing = roles_with(Capability.VIEW_EVIDENCE)
    roles: dict[str, set[str]] = {}
    member_of: dict[str, Workspace] = {}
    for membership in Membership.objects.filter(user_id=request.user.pk or 0).select_related(
        "workspace"
    ):
        roles.setdefault(membership.workspace.slug, set()).add(membership.role)
        member_of[membership.workspace.slug] = membership.workspace
    chosen = list(dict.fromkeys(workspace)) if workspace else sorted(member_of)
    for slug in chosen:
        if slug not in member_of:
            raise HttpError(404, "No such resource.")
    found: list[WorkspaceHitOut] = []
    for slug in chosen:
        if not roles[slug] & readers:
            if workspace:
                raise HttpError(403, "Your role does not allow this.")
            continue
        types = list(type) if type else list(TYPES)
        if not roles[slug] & seeing:
            if type and ITEM in type and workspace:
                raise HttpError(
                    403, "Your role in this workspace does not allow searching evidence."
                )
            types = [t for t in types if t != ITEM]
        if not types:
            continue
        try:
            hits = search(member_of[slug], q, types=types, limit=limit)
        except SearchError as exc:
            raise HttpError(400, str(exc)) from None
        found += [
            WorkspaceHitOut(type=h.type, id=h.id, title=h.title, score=h.score, workspace=slug)
            for h in hits
        ]
    found.sort(key=lambda hit: (-hit.score, hit.workspace, hit.type, hit.id))
    return found[:limit]
