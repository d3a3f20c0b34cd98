from django.urls import path

from testimonia.custody import views as custody_views
from testimonia.evidence import views as evidence_views
from testimonia.web import views
from testimonia.web.sections import SECTIONS

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("portal/", views.portal, name="portal"),
    path("workspaces/new/", views.workspace_create, name="workspace_create"),
    path("w/<slug:workspace>/", views.dashboard, name="dashboard"),
    path("w/<slug:workspace>/evidence/", evidence_views.evidence, name="evidence"),
    path(
        "w/<slug:workspace>/evidence/upload/",
        evidence_views.evidence_upload,
        name="evidence_upload",
    ),
    path("w/<slug:workspace>/evidence/<int:item>/", evidence_views.item_detail, name="item"),
    path(
        "w/<slug:workspace>/evidence/<int:item>/download/",
        evidence_views.item_download,
        name="item_download",
    ),
    path(
        "w/<slug:workspace>/evidence/<int:item>/view/", evidence_views.item_view, name="item_view"
    ),
    path(
        "w/<slug:workspace>/evidence/<int:item>/content/",
        evidence_views.item_content,
        name="item_content",
    ),
    path(
        "w/<slug:workspace>/evidence/<int:item>/derive/",
        evidence_views.item_derive,
        name="item_derive",
    ),
    path(
        "w/<slug:workspace>/evidence/<int:item>/hold/",
        evidence_views.item_hold,
        name="item_hold",
    ),
    path(
        "w/<slug:workspace>/evidence/<int:item>/hold/<int:hold>/release/",
        evidence_views.item_hold_release,
        name="item_hold_release",
    ),
    path(
        "w/<slug:workspace>/evidence/<int:item>/deletion/",
        evidence_views.item_deletion_request,
        name="item_deletion_request",
    ),
    path("w/<slug:workspace>/evidence/deletions/", evidence_views.deletions, name="deletions"),
    path(
        "w/<slug:workspace>/evidence/deletions/<int:deletion>/decide/",
        evidence_views.deletion_decide,
        name="deletion_decide",
    ),
    path("w/<slug:workspace>/custody/", custody_views.custody_log, name="custody"),
    path("w/<slug:workspace>/incidents/", views.incidents, name="incidents"),
    path("w/<slug:workspace>/cases/", views.cases, name="cases"),
    path("w/<slug:workspace>/jobs/", views.jobs, name="jobs"),
]
urlpatterns += [
    path(
        f"w/<slug:workspace>/{section.key}/",
        views.not_built_view(section),
        name=f"section_{section.key}",
    )
    for section in SECTIONS
    if section.url_name is None
]
