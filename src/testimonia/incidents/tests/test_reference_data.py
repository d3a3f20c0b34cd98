"""The vocabularies and the gazetteer shipped as data, and the model's own rules."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from testimonia.incidents.gazetteer import find_places, load_gazetteer
from testimonia.incidents.models import Act, Incident, Person, Place, Term
from testimonia.incidents.vocabularies import descendants, load, sync_vocabularies

pytestmark = pytest.mark.django_db


def test_every_act_type_the_issue_names_is_in_the_vocabulary_with_three_labels():
    data = load("act_types.json")
    codes = {t["code"] for t in data["terms"]}
    assert {
        "killing",
        "injury",
        "arbitrary_detention",
        "torture",
        "sexual_violence",
        "enforced_disappearance",
        "hostage_taking",
        "forced_displacement",
        "destruction_of_property",
        "attack_on_medical",
        "attack_on_aid",
        "obstruction_of_aid",
        "starvation",
        "settler_violence",
    } <= codes
    assert Term.objects.filter(vocabulary="act_type").count() == len(codes)


def test_labels_follow_the_reader_language():
    term = Term.objects.get(vocabulary="act_type", code="enforced_disappearance")
    with translation.override("ar"):
        assert term.label == "اختفاء قسري"
    with translation.override("he"):
        assert term.label == "היעלמות כפויה"
    assert term.huridocs == "030103000000"


def test_sync_is_idempotent_and_deactivates_rather_than_deletes():
    assert sync_vocabularies() == 0
    Term.objects.create(vocabulary="act_type", code="retired", labels={"en": "Retired"})
    sync_vocabularies()
    assert Term.objects.get(code="retired").active is False


def test_a_facet_on_a_term_includes_the_terms_below_it():
    ids = descendants(["killing"])
    codes = set(Term.objects.filter(pk__in=ids).values_list("code", flat=True))
    assert {"killing", "summary_execution", "death_in_detention"} <= codes
    assert "injury" not in codes


def test_the_gazetteer_is_loaded_once_and_found_in_any_script():
    assert Place.objects.filter(workspace=None).count() > 1000
    assert load_gazetteer() == 0
    for query in ("Hebron", "الخليل", "חברון", "al khalil"):
        names = [p.names["en"] for p in find_places(query)]
        assert "Hebron" in names, query
    assert [p.names["en"] for p in find_places("خان يونس")][:1] == ["Khān Yūnis"]


def test_an_incident_cannot_end_before_it_starts(workspace):
    with pytest.raises(IntegrityError), transaction.atomic():
        Incident.objects.create(
            workspace=workspace,
            title="x",
            start_date=dt.date(2024, 5, 2),
            end_date=dt.date(2024, 5, 1),
        )


def test_the_child_flag_is_derived_from_the_age(workspace):
    assert Person(workspace=workspace, age_min=9, age_max=12).is_child is True
    assert Person(workspace=workspace, age_min=30).is_child is False
    assert Person(workspace=workspace, age_min=15, age_max=25).is_child is None
    assert Person(workspace=workspace).is_child is None


def test_every_change_is_kept_with_its_author(workspace, investigator):
    incident = Incident.objects.create(workspace=workspace, title="Shelling of the school")
    incident.title = "Shelling of the UNRWA school"
    incident._history_user = investigator
    incident.save()
    newest, oldest = incident.history.all()[:2]
    delta = newest.diff_against(oldest)
    assert [(c.field, c.old, c.new) for c in delta.changes] == [
        ("title", "Shelling of the school", "Shelling of the UNRWA school")
    ]
    assert newest.history_user == investigator
    act = Act.objects.create(
        incident=incident, act_type=Term.objects.get(vocabulary="act_type", code="killing")
    )
    assert act.history.count() == 1
