"""The bundled gazetteer: administrative areas and localities of the demo region, offline.

Sources and licences: incidents/data/geo/SOURCE.md (OCHA COD-AB, GeoNames, Natural Earth);
the attribution shown under every map is `ATTRIBUTION`. Places are loaded once into `Place`
(shared by every workspace); workspaces add their own sites beside them.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from testimonia.core.text import normalise, tokens

GEO = Path(__file__).parent / "data" / "geo"
ATTRIBUTION = _(
    "Boundaries: OCHA COD-AB (CC BY-IGO). Country outlines: Natural Earth. Place names: "
    "GeoNames (CC BY 4.0). Simplified by Testimonia. Designations do not imply any opinion "
    "on legal status."
)
BOUNDARY_FILES = {
    "adm1": "pse_adm1_ocha_codab.geojson",
    "adm2": "pse_adm2_ocha_codab.geojson",
    "countries": "ne_admin0_context.geojson",
}


def _split(value: str) -> list[str]:
    return [v for v in (value or "").split("|") if v]


def search_text(names: dict[str, Any]) -> str:
    parts = [names.get("en", ""), names.get("ar", ""), names.get("he", ""), *names.get("alt", [])]
    return " | ".join(normalise(p) for p in parts if p)


def _admin_places() -> Iterator[dict[str, Any]]:
    centres = {}
    with (GEO / BOUNDARY_FILES["adm2"]).open(encoding="utf-8") as handle:
        for feature in json.load(handle)["features"]:
            props = feature["properties"]
            centres[props["adm2_pcode"]] = (props.get("center_lat"), props.get("center_lon"))
    with (GEO / "admin_names_ps_il.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            ar, he, latin = (
                _split(row["names_ar"]),
                _split(row["names_he"]),
                _split(row["names_latin"]),
            )
            english = row["cod_name_en"] or row["name_geonames"]
            names = {
                "en": english,
                "ar": ar[0] if ar else "",
                "he": he[0] if he else "",
                "alt": [
                    n for n in [row["name_geonames"], *latin, *ar[1:], *he[1:]] if n != english
                ],
            }
            lat, lon = centres.get(row["cod_pcode"], (None, None))
            yield {
                "kind": "adm1" if row["level"] == "1" else "adm2",
                "names": names,
                "country_code": row["country_code"],
                "pcode": row["cod_pcode"] or row["iso_3166_2"],
                "parent_pcode": row["cod_pcode"][:4] if row["level"] == "2" else "",
                "geonames_id": int(row["geonames_id"]) if row["geonames_id"] else None,
                "latitude": lat,
                "longitude": lon,
            }


def _localities() -> Iterator[dict[str, Any]]:
    with (GEO / "localities_geonames_ps_il.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            names = {
                "en": row["name_geonames"],
                "ar": row["name_ar"],
                "he": row["name_he"],
                "alt": [
                    *_split(row["alt_names_ar"]),
                    *_split(row["alt_names_he"]),
                    *_split(row["alt_names_latin"]),
                ],
            }
            yield {
                "kind": "locality",
                "names": names,
                "country_code": row["country_code"],
                "pcode": "",
                "parent_pcode": row["opt_adm2_pcode"],
                "geonames_id": int(row["geonameid"]),
                "latitude": float(row["latitude"]),
                "longitude": float(row["longitude"]),
                "population": int(row["population"] or 0) or None,
            }


def load_gazetteer(**_: Any) -> int:
    """Load the bundled places that are not loaded yet (by GeoNames id); the count added."""
    from testimonia.incidents.models import Place

    known = set(
        Place.objects.filter(workspace=None, geonames_id__isnull=False).values_list(
            "geonames_id", flat=True
        )
    )
    new = []
    for row in [*_admin_places(), *_localities()]:
        if row["geonames_id"] in known:
            continue
        known.add(row["geonames_id"])
        new.append(Place(workspace=None, search_text=search_text(row["names"]), **row))
    with transaction.atomic():
        Place.objects.bulk_create(new, batch_size=500)
    return len(new)


def find_places(query: str, workspace: Any = None, limit: int = 20) -> QuerySet[Any]:
    """Places whose names (any language, any listed variant) start with each word typed."""
    from django.db.models import Q

    from testimonia.incidents.models import Place

    places = Place.objects.filter(Q(workspace=None) | Q(workspace=workspace))
    for token in tokens(query)[:6]:
        # A word starts at the beginning of the text or after a space or separator.
        places = places.filter(
            Q(search_text__startswith=token) | Q(search_text__contains=" " + token)
        )
    return places.order_by("-population", "pk")[:limit]


def boundaries(kind: str) -> dict[str, Any]:
    with (GEO / BOUNDARY_FILES[kind]).open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data
