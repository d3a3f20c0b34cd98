"""Every route, taken from the URL resolver, declares an access rule, and answers by it."""

from __future__ import annotations

import pytest
from django.test import Client

from testimonia.accounts.access import Kind
from testimonia.accounts.api_auth import operation_rule
from testimonia.accounts.middleware import api_operations, is_api_view, resolve_rule
from testimonia.accounts.roles import POLICY, Role
from testimonia.conftest import client_for

from .urlwalk import walk

ROUTES = list(walk())
PARAM_VALUES = {"workspace": "test-ws"}


def test_the_walk_finds_the_routes_of_every_layer():
    names = {r.name for r in ROUTES}
    assert {"home", "evidence", "account_login", "set_language"} <= names
    assert any(r.namespaces == ("admin",) for r in ROUTES)
    assert any(is_api_view(r.callback) for r in ROUTES)


def test_every_route_declares_an_access_rule():
    missing = [
        r.route for r in ROUTES if resolve_rule(r.callback, list(r.namespaces), r.name) is None
    ]
    assert missing == [], f"routes without an access rule: {missing}"


def test_every_api_operation_has_an_access_rule():
    problems = []
    for r in ROUTES:
        for op in api_operations(r.callback):
            if operation_rule(op) is None:
                problems.append(f"{r.route} {op.methods}: no rule")
    assert problems == []


def _web_workspace_routes():
    for r in ROUTES:
        rule = resolve_rule(r.callback, list(r.namespaces), r.name)
        if rule is not None and rule.kind is Kind.WORKSPACE and not r.is_regex:
            yield r, rule


@pytest.mark.django_db
def test_anonymous_visitors_reach_only_public_routes():
    client = Client()
    leaks = []
    for r in ROUTES:
        rule = resolve_rule(r.callback, list(r.namespaces), r.name)
        url = r.fill(PARAM_VALUES)
        if url is None or rule is None or rule.kind is Kind.PUBLIC:
            continue
        if is_api_view(r.callback):
            continue  # checked per operation below
        status = client.get(url).status_code
        if status == 200:
            leaks.append(url)
    assert leaks == []


@pytest.mark.django_db
def test_anonymous_api_calls_are_refused_except_public_operations(personas):
    client = Client()
    leaks = []
    for r in ROUTES:
        url = r.fill(PARAM_VALUES)
        for op in api_operations(r.callback):
            rule = operation_rule(op)
            if url is None or rule is None or rule.kind is Kind.PUBLIC:
                continue
            method = op.methods[0].lower()
            status = getattr(client, method)(url).status_code
            if status != 401:
                leaks.append((method, url, status))
    assert leaks == []


@pytest.fixture
def real_objects(personas, workspace, settings, tmp_path):
    """Real objects of the workspace for routes that name one, so that a 404 means refusal."""
    import io

    from PIL import Image

    from testimonia.evidence.services import add_item
    from testimonia.jobs.models import Job

    # An image: the routes that display an original exist for viewable types only.
    image = io.BytesIO()
    Image.new("RGB", (2, 2)).save(image, "PNG")
    item = add_item(None, workspace, [image.getvalue()], filename="x.png").item
    job = Job.objects.create(workspace=workspace, label="x")
    from testimonia.incidents.services import add_act, cite, create_incident

    incident = create_incident(None, workspace, title="x")
    act = add_act(None, incident, "killing")
    citation = cite(None, incident, item=item)
    return {
        **_relation_objects(workspace, incident, act),
        **PARAM_VALUES,
        "item": str(item.pk),
        "item_id": str(item.pk),
        "job_id": str(job.pk),
        "incident": str(incident.pk),
        "act": str(act.pk),
        "citation": str(citation.pk),
        "kind": "adm1",
        **(documentation := _documentation_objects(workspace, item)),
        **_legal_objects(personas["legal_officer"], documentation["act_id"]),
        **_witness_objects(workspace, settings, tmp_path),
        **_roadmap_objects(workspace),
        **_case_objects(personas, workspace, item, documentation["incident_id"]),
    }


def _roadmap_objects(workspace):
    """For the roadmap pages and API (roadmap/views.py, roadmap/api.py): a recommendation
    with a status history, addressed to an actor and citing a source. None of them can be
    deleted while in use, so each DELETE answers 409 to every allowed role."""
    import datetime as dt

    from testimonia.roadmap import services

    actor = services.create_actor(None, workspace, name="x", kind="state")
    source = services.create_source(None, workspace, title="x")
    rec = services.create_recommendation(
        None, workspace, text="x", addressees=[actor], source=source
    )
    services.record_status_change(None, rec, status="partial", date=dt.date(2024, 1, 1), note="x")
    values = {
        "recommendation": rec.pk,
        "recommendation_id": rec.pk,
        "actor_id": actor.pk,
        "roadmap_source_id": source.pk,
    }
    return {name: str(pk) for name, pk in values.items()}


def _witness_objects(workspace, settings, tmp_path):
    """For the witnesses API (cases/api_witnesses.py): a witness, under a key of the test's
    own, with an interview."""
    import datetime as dt

    from testimonia.cases.identity import Identity
    from testimonia.cases.keys import create_key_file
    from testimonia.cases.testimonies import record_interview
    from testimonia.cases.witnesses import create_witness

    settings.TESTIMONIA_IDENTITY_KEY_FILE = tmp_path / "identity.key"
    create_key_file(settings.TESTIMONIA_IDENTITY_KEY_FILE)
    witness = create_witness(None, workspace, Identity(name="x"))
    interview = record_interview(None, witness, conducted_on=dt.date(2024, 1, 1), language="en")
    return {"pseudonym": witness.pseudonym, "interview_id": str(interview.pk)}


def _case_objects(personas, workspace, item, incident_id):
    """For the cases API (cases/api_cases.py): a closed case with an item (the one of the
    routes that name `item_id`) and an incident (`incident_id`), a suspect, a charge, the
    reviewer on its team for the ICC, and a disclosure to the ICC that the server keeps.
    Nothing of a closed case can change, so each DELETE answers 409 to every allowed role
    instead of removing the record for the next one."""
    from testimonia.cases import disclosure, dossiers
    from testimonia.incidents.models import Incident
    from testimonia.incidents.services import create_person

    lawyer = personas["legal_officer"]
    case = dossiers.create_case(lawyer, workspace, "x", mechanism_slug="icc")
    dossiers.add_items(lawyer, case, [item])
    dossiers.add_incidents(lawyer, case, [Incident.objects.get(pk=incident_id)])
    person = create_person(None, workspace, [("y", "en")])
    suspect = dossiers.add_suspect(lawyer, case, person=person)
    charge = dossiers.add_charge(lawyer, case, "RS-7-1-a", "RS-28-a", suspect=suspect)
    reviewer = personas["reviewer"]
    member = dossiers.add_member(lawyer, case, reviewer, "reviewer", mechanism_slug="icc")
    made = disclosure.export_to_store(lawyer, case, "icc")
    dossiers.set_status(lawyer, case, "closed")
    values = {
        "case_id": case.pk,
        "suspect_id": suspect.pk,
        "charge_id": charge.pk,
        "member_id": member.pk,
        "disclosure_id": made.pk,
    }
    return {name: str(pk) for name, pk in values.items()}


def _relation_objects(workspace, incident, act):
    """For the web pages of persons, units and the relationship editing of a (draft) incident:
    a victim and an alleged perpetrator of its act, and a link to another incident. The
    walk only GETs, so the removal pages ask and remove nothing."""
    from testimonia.incidents import services

    person = services.create_person(None, workspace, [("x", "en")])
    unit = services.create_organisation(None, workspace, "x", "armed_forces")
    other = services.create_incident(None, workspace, title="y")
    values = {
        "person": person.pk,
        "organisation": unit.pk,
        "victim": services.add_victim(None, act, person).pk,
        "involvement": services.add_involvement(None, act, organisation=unit).pk,
        "link": services.link_incidents(None, incident, other, "related").pk,
    }
    return {name: str(pk) for name, pk in values.items()}


def _documentation_objects(workspace, item):
    """For the documentation API (incidents/api*.py): a verified incident with one of each
    nested record. Nothing can be removed from a verified incident and a cited source stays,
    so each DELETE answers 409 to every allowed role instead of removing the record for the
    next one."""
    from testimonia.incidents import services
    from testimonia.incidents.models import Source

    incident = services.create_incident(None, workspace, title="x", status="verified")
    other = services.create_incident(None, workspace, title="y", status="verified")
    act = services.add_act(None, incident, "killing")
    person = services.create_person(None, workspace, [("x", "en")])
    unit = services.create_organisation(None, workspace, "x", "armed_forces")
    source = Source.objects.create(workspace=workspace, title="x", kind="report")
    citation = services.cite(None, incident, source=source)
    values = {
        "incident_id": incident.pk,
        "act_id": act.pk,
        "victimisation_id": services.add_victim(None, act, person).pk,
        "involvement_id": services.add_involvement(None, act, organisation=unit).pk,
        "link_id": services.link_incidents(None, incident, other, "related").pk,
        "person_id": person.pk,
        "organisation_id": unit.pk,
        "source_id": source.pk,
        "citation_id": citation.pk,
    }
    return {name: str(pk) for name, pk in values.items()}


def _legal_objects(lawyer, act_id):
    """For the qualification API (legal/api_qualification.py): a rejected qualification with a
    suspect and a link. Nothing of a rejected qualification can change, so each DELETE answers
    409 to every allowed role instead of removing the record for the next one."""
    from testimonia.incidents.models import Act
    from testimonia.legal import services

    act = Act.objects.get(pk=act_id)
    qualification = services.qualify(lawyer, act, "RS-7-1-a", "x")
    support = services.link_support(lawyer, qualification, 1, services.Finding("x"), "weak")
    liability = services.add_suspect_liability(
        lawyer, qualification, act.involvements.get().organisation, "RS-25-3-d"
    )
    services.reject(lawyer, qualification, "x")
    values = {
        "qualification_id": qualification.pk,
        "liability_id": liability.pk,
        "support_id": support.pk,
        "number": 1,
        # The legal web pages (legal/views*.py) name the same records without the suffix.
        "qualification": qualification.pk,
        "liability": liability.pk,
        "support": support.pk,
        "crime": "RS-7-1-a",
    }
    return {name: str(pk) for name, pk in values.items()}


@pytest.mark.django_db
def test_workspace_routes_follow_the_declared_policy_for_every_role(personas, real_objects):
    """Members with the capability get through; members without get 403; outsiders 404."""
    mismatches = []
    clients = {name: client_for(user) for name, user in personas.items()}
    for r, rule in _web_workspace_routes():
        url = r.fill(real_objects)
        allowed = POLICY[rule.capability]
        for name, client in clients.items():
            status = client.get(url).status_code
            if name == "outsider":
                expected_ok = status == 404
            elif Role(name) in allowed:
                expected_ok = status not in (401, 403, 404)
            else:
                expected_ok = status == 403
            if not expected_ok:
                mismatches.append((url, name, status))
    assert mismatches == []


@pytest.mark.django_db
def test_api_workspace_operations_follow_the_declared_policy_for_every_role(personas, real_objects):
    from testimonia.accounts.services import create_api_token

    mismatches = []
    tokens = {name: create_api_token(user)[0] for name, user in personas.items()}
    client = Client()
    for r in ROUTES:
        url = r.fill(real_objects)
        for op in api_operations(r.callback):
            rule = operation_rule(op)
            if url is None or rule is None or rule.kind is not Kind.WORKSPACE:
                continue
            method = op.methods[0].lower()
            for name, token in tokens.items():
                status = getattr(client, method)(
                    url, HTTP_AUTHORIZATION=f"Bearer {token}"
                ).status_code
                if name == "outsider":
                    ok = status == 404
                elif Role(name) in POLICY[rule.capability]:
                    ok = status not in (401, 403, 404)
                else:
                    ok = status == 403
                if not ok:
                    mismatches.append((method, url, name, status))
    assert mismatches == []


@pytest.mark.django_db
def test_a_route_without_a_rule_is_refused(rf, investigator):
    from django.http import Http404, HttpResponse
    from django.urls import ResolverMatch

    from testimonia.accounts.middleware import AccessPolicyMiddleware

    def undeclared(request):
        return HttpResponse("secret")

    request = rf.get("/somewhere/")
    request.user = investigator
    request.resolver_match = ResolverMatch(undeclared, (), {}, url_name="somewhere")
    middleware = AccessPolicyMiddleware(lambda req: HttpResponse())
    with pytest.raises(Http404):
        middleware.process_view(request, undeclared, (), {})
