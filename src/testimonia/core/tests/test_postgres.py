"""The PostgreSQL pass really runs on PostgreSQL: CI sets TESTIMONIA_REQUIRE_POSTGRES=1 so a
missing or misconfigured server fails here instead of the suite quietly using SQLite."""

import os

import pytest
from django.db import IntegrityError, connection

from testimonia.accounts.models import Membership
from testimonia.conftest import require_service

ON_POSTGRES = connection.vendor == "postgresql"

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _postgres_or_skip():
    if not ON_POSTGRES:
        if require_service("TESTIMONIA_REQUIRE_POSTGRES"):
            pytest.fail(
                "TESTIMONIA_REQUIRE_POSTGRES=1 but the suite runs on "
                f"{connection.vendor}: set TESTIMONIA_DATABASE_URL=postgres://..."
            )
        pytest.skip("not running on PostgreSQL (set TESTIMONIA_DATABASE_URL=postgres://...)")


@pytest.mark.django_db
def test_the_suite_talks_to_a_live_postgresql_server():
    with connection.cursor() as cursor:
        cursor.execute("select version()")
        assert cursor.fetchone()[0].startswith("PostgreSQL")
    assert os.environ.get("TESTIMONIA_DATABASE_URL", "").startswith("postgres")


@pytest.mark.django_db
def test_unknown_roles_are_refused_by_the_database(investigator, workspace):
    with pytest.raises(IntegrityError):
        Membership.objects.create(user=investigator, workspace=workspace, role="king")
