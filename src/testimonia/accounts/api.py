from django.http import HttpRequest
from ninja import Router, Schema

from testimonia.accounts.api_auth import api_public
from testimonia.accounts.models import Membership

router = Router(tags=["accounts"])


class HealthOut(Schema):
    status: str


class MembershipOut(Schema):
    workspace: str
    workspace_name: str
    role: str


class MeOut(Schema):
    username: str
    memberships: list[MembershipOut]


class WorkspaceOut(Schema):
    slug: str
    name: str
    roles: list[str]


@router.get("/health", response=HealthOut, auth=None, summary="Liveness check")
@api_public
def health(request: HttpRequest) -> HealthOut:
    return HealthOut(status="ok")


@router.get("/me", response=MeOut, summary="The authenticated user and their roles")
def me(request: HttpRequest) -> MeOut:
    rows = Membership.objects.filter(user=request.user).select_related("workspace")  # type: ignore[misc]
    return MeOut(
        username=request.user.get_username(),
        memberships=[
            MembershipOut(workspace=m.workspace.slug, workspace_name=m.workspace.name, role=m.role)
            for m in rows.order_by("workspace__slug", "role")
        ],
    )


@router.get("/workspaces", response=list[WorkspaceOut], summary="Workspaces the user belongs to")
def workspaces(request: HttpRequest) -> list[WorkspaceOut]:
    by_slug: dict[str, WorkspaceOut] = {}
    rows = Membership.objects.filter(user=request.user).select_related("workspace")  # type: ignore[misc]
    for m in rows.order_by("workspace__slug", "role"):
        entry = by_slug.setdefault(
            m.workspace.slug, WorkspaceOut(slug=m.workspace.slug, name=m.workspace.name, roles=[])
        )
        entry.roles.append(m.role)
    return list(by_slug.values())
