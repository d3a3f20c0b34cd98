from django.urls import path

from testimonia.cases import views_redaction, views_witnesses
from testimonia.custody import views as custody_views
from testimonia.evidence import views as evidence_views
from testimonia.incidents import views as incident_views
from testimonia.incidents import views_import, views_people, views_relations
from testimonia.legal import views as legal_views
from testimonia.legal import views_matrix as legal_matrix
from testimonia.roadmap.urls import urlpatterns as roadmap_urlpatterns
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
    path("w/<slug:workspace>/incidents/", incident_views.incident_list, name="incidents"),
    path("w/<slug:workspace>/incidents/map/", incident_views.incident_map, name="incident_map"),
    path(
        "w/<slug:workspace>/incidents/map.geojson",
        incident_views.incident_geojson,
        name="incident_geojson",
    ),
    path(
        "w/<slug:workspace>/incidents/boundaries/<slug:kind>.geojson",
        incident_views.boundaries_geojson,
        name="boundaries",
    ),
    path(
        "w/<slug:workspace>/incidents/timeline/",
        incident_views.incident_timeline,
        name="incident_timeline",
    ),
    path("w/<slug:workspace>/incidents/bulk/", incident_views.incident_bulk, name="incident_bulk"),
    path("w/<slug:workspace>/incidents/new/", incident_views.incident_edit, name="incident_new"),
    path(
        "w/<slug:workspace>/incidents/import/",
        views_import.import_upload,
        name="incident_import",
    ),
    path(
        "w/<slug:workspace>/incidents/import/columns/",
        views_import.import_mapping,
        name="incident_import_mapping",
    ),
    path(
        "w/<slug:workspace>/incidents/import/check/",
        views_import.import_preview,
        name="incident_import_preview",
    ),
    path(
        "w/<slug:workspace>/incidents/import/run/",
        views_import.import_run,
        name="incident_import_run",
    ),
    path(
        "w/<slug:workspace>/incidents/import/jobs/<int:job_id>/",
        views_import.import_job,
        name="incident_import_job",
    ),
    path("w/<slug:workspace>/places/", incident_views.place_search, name="place_search"),
    path(
        "w/<slug:workspace>/organisations/",
        incident_views.organisations,
        name="organisations",
    ),
    path(
        "w/<slug:workspace>/incidents/<int:incident>/",
        incident_views.incident_detail,
        name="incident",
    ),
    path(
        "w/<slug:workspace>/incidents/<int:incident>/edit/",
        incident_views.incident_edit,
        name="incident_edit",
    ),
    path(
        "w/<slug:workspace>/incidents/<int:incident>/history/",
        incident_views.incident_history,
        name="incident_history",
    ),
    path(
        "w/<slug:workspace>/incidents/<int:incident>/acts/",
        incident_views.act_add,
        name="act_add",
    ),
    path(
        "w/<slug:workspace>/incidents/<int:incident>/acts/<int:act>/victims/",
        incident_views.victim_add,
        name="victim_add",
    ),
    path(
        "w/<slug:workspace>/incidents/<int:incident>/acts/<int:act>/perpetrators/",
        incident_views.involvement_add,
        name="involvement_add",
    ),
    path(
        "w/<slug:workspace>/incidents/<int:incident>/citations/",
        incident_views.citation_add,
        name="citation_add",
    ),
    path(
        "w/<slug:workspace>/incidents/<int:incident>/citations/<int:citation>/delete/",
        incident_views.citation_delete,
        name="citation_delete",
    ),
    path(
        "w/<slug:workspace>/incidents/<int:incident>/links/",
        incident_views.link_add,
        name="link_add",
    ),
    path(
        "w/<slug:workspace>/incidents/<int:incident>/acts/<int:act>/edit/",
        views_relations.act_edit,
        name="act_edit",
    ),
    path(
        "w/<slug:workspace>/incidents/<int:incident>/acts/<int:act>/remove/",
        views_relations.act_remove,
        name="act_remove",
    ),
    path(
        "w/<slug:workspace>/incidents/<int:incident>/acts/<int:act>/victims/<int:victim>/remove/",
        views_relations.victim_remove,
        name="victim_remove",
    ),
    path(
        "w/<slug:workspace>/incidents/<int:incident>/acts/<int:act>/perpetrators/"
        "<int:involvement>/edit/",
        views_relations.involvement_edit,
        name="involvement_edit",
    ),
    path(
        "w/<slug:workspace>/incidents/<int:incident>/acts/<int:act>/perpetrators/"
        "<int:involvement>/remove/",
        views_relations.involvement_remove,
        name="involvement_remove",
    ),
    path(
        "w/<slug:workspace>/incidents/<int:incident>/links/<int:link>/remove/",
        views_relations.link_remove,
        name="link_remove",
    ),
    path("w/<slug:workspace>/persons/", views_people.person_list, name="persons"),
    path("w/<slug:workspace>/persons/new/", views_people.person_edit, name="person_new"),
    path("w/<slug:workspace>/persons/<int:person>/", views_people.person_detail, name="person"),
    path(
        "w/<slug:workspace>/persons/<int:person>/edit/",
        views_people.person_edit,
        name="person_edit",
    ),
    path(
        "w/<slug:workspace>/persons/<int:person>/history/",
        views_people.person_history,
        name="person_history",
    ),
    path(
        "w/<slug:workspace>/persons/<int:person>/citations/",
        views_people.person_citation_add,
        name="person_citation_add",
    ),
    path(
        "w/<slug:workspace>/persons/<int:person>/citations/<int:citation>/delete/",
        views_people.person_citation_delete,
        name="person_citation_delete",
    ),
    path(
        "w/<slug:workspace>/organisations/<int:organisation>/",
        views_people.organisation_detail,
        name="organisation",
    ),
    path(
        "w/<slug:workspace>/organisations/<int:organisation>/edit/",
        views_people.organisation_edit,
        name="organisation_edit",
    ),
    path("w/<slug:workspace>/legal/", legal_views.overview, name="legal"),
    path("w/<slug:workspace>/legal/crimes/", legal_views.crime_list, name="crimes"),
    path("w/<slug:workspace>/legal/crimes/<str:crime>/", legal_views.crime_detail, name="crime"),
    path(
        "w/<slug:workspace>/legal/crimes/<str:crime>/matrix/",
        legal_matrix.matrix_crime,
        name="matrix_crime",
    ),
    path(
        "w/<slug:workspace>/legal/incidents/<int:incident>/",
        legal_views.incident_qualifications,
        name="legal_incident",
    ),
    path(
        "w/<slug:workspace>/legal/incidents/<int:incident>/qualify/",
        legal_views.qualify,
        name="qualify",
    ),
    path(
        "w/<slug:workspace>/legal/incidents/<int:incident>/acts/<int:act>/suggest/",
        legal_views.suggest_for_act,
        name="suggest",
    ),
    path(
        "w/<slug:workspace>/legal/incidents/<int:incident>/matrix/",
        legal_matrix.matrix_incident,
        name="matrix_incident",
    ),
    path(
        "w/<slug:workspace>/legal/persons/<int:person>/matrix/",
        legal_matrix.matrix_person,
        name="matrix_person",
    ),
    path(
        "w/<slug:workspace>/legal/organisations/<int:organisation>/matrix/",
        legal_matrix.matrix_organisation,
        name="matrix_organisation",
    ),
    path(
        "w/<slug:workspace>/legal/qualifications/<int:qualification>/decide/",
        legal_views.decide,
        name="qualification_decide",
    ),
    path(
        "w/<slug:workspace>/legal/qualifications/<int:qualification>/suspects/",
        legal_views.liability_add,
        name="liability_add",
    ),
    path(
        "w/<slug:workspace>/legal/qualifications/<int:qualification>/elements/<int:number>/assess/",
        legal_matrix.element_assess,
        name="element_assess",
    ),
    path(
        "w/<slug:workspace>/legal/qualifications/<int:qualification>/elements/<int:number>/"
        "supports/",
        legal_matrix.element_support,
        name="element_support",
    ),
    path(
        "w/<slug:workspace>/legal/liabilities/<int:liability>/remove/",
        legal_views.liability_remove,
        name="liability_remove",
    ),
    path(
        "w/<slug:workspace>/legal/liabilities/<int:liability>/elements/<int:number>/assess/",
        legal_matrix.element_assess,
        name="liability_element_assess",
    ),
    path(
        "w/<slug:workspace>/legal/liabilities/<int:liability>/elements/<int:number>/supports/",
        legal_matrix.element_support,
        name="liability_element_support",
    ),
    path(
        "w/<slug:workspace>/legal/supports/<int:support>/unlink/",
        legal_matrix.support_unlink,
        name="support_unlink",
    ),
    path("w/<slug:workspace>/cases/", views.cases, name="cases"),
    # Witnesses and redaction (cases/views_witnesses.py, cases/views_redaction.py).
    path("w/<slug:workspace>/witnesses/", views_witnesses.witness_list, name="witnesses"),
    path("w/<slug:workspace>/witnesses/new/", views_witnesses.witness_new, name="witness_new"),
    path(
        "w/<slug:workspace>/witnesses/<str:pseudonym>/",
        views_witnesses.witness_detail,
        name="witness",
    ),
    path(
        "w/<slug:workspace>/witnesses/<str:pseudonym>/consent/",
        views_witnesses.witness_consent,
        name="witness_consent",
    ),
    path(
        "w/<slug:workspace>/witnesses/<str:pseudonym>/protection/",
        views_witnesses.witness_protection,
        name="witness_protection",
    ),
    path(
        "w/<slug:workspace>/witnesses/<str:pseudonym>/reveal/",
        views_witnesses.witness_reveal,
        name="witness_reveal",
    ),
    path(
        "w/<slug:workspace>/evidence/<int:item>/redact/",
        views_redaction.item_redact,
        name="item_redact",
    ),
    path("w/<slug:workspace>/jobs/", views.jobs, name="jobs"),
]
# The roadmap for justice (roadmap/urls.py, docs/roadmap.md).
urlpatterns += roadmap_urlpatterns
urlpatterns += [
    path(
        f"w/<slug:workspace>/{section.key}/",
        views.not_built_view(section),
        name=f"section_{section.key}",
    )
    for section in SECTIONS
    if section.url_name is None
]
