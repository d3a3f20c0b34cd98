"""The cases page: every case for the workspace's own roles; for a reviewer, only the cases
whose team names them, and no working record of the workspace."""

import pytest
from django.utils import translation

from testimonia.cases import dossiers
from testimonia.conftest import client_for
from testimonia.incidents.services import create_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(workspace, personas):
    lawyer = personas["legal_officer"]
    incident = create_incident(None, workspace, title="Strike on the bakery")
    named = dossiers.create_case(lawyer, workspace, "Bakery strike dossier", mechanism_slug="icc")
    dossiers.add_incidents(lawyer, named, [incident])
    dossiers.add_member(lawyer, named, personas["reviewer"], "reviewer", mechanism_slug="icc")
    other = dossiers.create_case(lawyer, workspace, "Convoy dossier")
    return named, other


def test_internal_roles_see_every_case_with_its_mechanism_and_incidents(analyst, cases):
    with translation.override("en"):
        page = client_for(analyst).get("/w/test-ws/cases/").content.decode()
    assert "Bakery strike dossier" in page
    assert "Convoy dossier" in page
    assert "Strike on the bakery" in page
    assert "International Criminal Court" in page


def test_a_reviewer_sees_only_the_cases_naming_them_and_no_incident(reviewer, cases):
    page = client_for(reviewer).get("/w/test-ws/cases/").content.decode()
    assert "Bakery strike dossier" in page
    assert "Convoy dossier" not in page
    assert "Strike on the bakery" not in page
