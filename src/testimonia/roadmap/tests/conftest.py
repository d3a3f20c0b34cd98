"""A small roadmap for the tests: two states and an armed group, an ICC arrest warrant and a
General Assembly resolution, and recommendations addressed to them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import translation

from testimonia.roadmap import services
from testimonia.roadmap.models import Actor, Recommendation, Source, Theme

D = dt.date


@dataclass
class Roadmap:
    alpha: Actor
    beta: Actor
    group: Actor
    warrant: Source
    resolution: Source
    arrests: Recommendation  # to alpha and beta, theme arrest_warrants, deadline 2025-03-01
    cooperation: Recommendation  # to alpha, themes icc_cooperation + arrest_warrants
    hostages: Recommendation  # to the group, no theme, no deadline


@pytest.fixture(autouse=True)
def _english():
    """Messages in English whatever language an earlier request left active in the thread."""
    with translation.override("en"):
        yield


def theme(code: str) -> Theme:
    return Theme.objects.get(workspace=None, code=code)


@pytest.fixture
def roadmap(workspace, analyst) -> Roadmap:
    alpha = services.create_actor(
        analyst, workspace, name="Alphaland", kind="state", country_code="AL"
    )
    beta = services.create_actor(
        analyst, workspace, name="Betaland", kind="state", country_code="BE"
    )
    group = services.create_actor(analyst, workspace, name="Armed Group X", kind="armed_group")
    warrant = services.create_source(
        analyst,
        workspace,
        title="Warrant of arrest",
        kind="arrest_warrant",
        reference="ICC-01/18-1",
        issued_on=D(2024, 11, 21),
    )
    resolution = services.create_source(
        analyst,
        workspace,
        title="Resolution ES-10/24",
        kind="un_resolution",
        reference="A/RES/ES-10/24",
        issued_on=D(2024, 9, 18),
        url="https://undocs.org/A/RES/ES-10/24",
    )
    arrests = services.create_recommendation(
        analyst,
        workspace,
        text="Arrest and surrender the suspects named in the warrants.",
        addressees=[alpha, beta],
        themes=[theme("arrest_warrants")],
        source=warrant,
        kind="obligation",
        issued_on=D(2024, 11, 21),
        deadline=D(2025, 3, 1),
    )
    cooperation = services.create_recommendation(
        analyst,
        workspace,
        text="Cooperate fully with the Court and its investigators.",
        addressees=[alpha],
        themes=[theme("icc_cooperation"), theme("arrest_warrants")],
        source=resolution,
        issued_on=D(2024, 9, 18),
        deadline=D(2025, 9, 18),
    )
    hostages = services.create_recommendation(
        analyst,
        workspace,
        text="Release every hostage and return the remains of the dead.",
        addressees=[group],
        issued_on=D(2024, 10, 1),
    )
    return Roadmap(alpha, beta, group, warrant, resolution, arrests, cooperation, hostages)
