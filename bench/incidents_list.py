"""The incident list at scale (issue "Documentation database").

Bar: with 100,000 incidents and 300,000 persons in one workspace, the list page and faceted
search answer in under 300 ms at the 95th percentile, on SQLite and on PostgreSQL. Each query
shape is requested --requests times (after 2 warm-up requests) through Django's test Client in
this process, logged in as an analyst of the workspace: middleware, view, ORM queries and
template rendering, no HTTP server or network. The peer, measured alternately in the same run:
the same facet filter as one hand-written SQL query (the count and the first 50 rows in the
page's order, with only the joins the facet needs, as EXISTS sub-queries) executed directly on
the same connection: the floor that no page can beat. The map data (GeoJSON of up to 5,000
incidents) is measured and reported, not held to the bar.

The data are generated once per database with bulk_create (not through the services: no
history rows, no search-index signals), then the search index is filled with the project's
`reindex`. They are fictional: names made of syllables, titles from templates, places from
the bundled gazetteer. Exit code 0 when every barred shape meets the bar on every database
measured, 1 when one does not, 2 when the benchmark could not run.

    .venv/bin/python bench/incidents_list.py                        # both databases, full size
    .venv/bin/python bench/incidents_list.py --db sqlite --keep     # keep the data for next time
    .venv/bin/python bench/incidents_list.py --incidents 10000 --persons 30000   # quicker
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness

BAR_MS = 300.0
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "bench_incidents"
SLUG = "bench"
SEED = 7
# Bumped whenever the generator changes, so that data kept with --keep are made again.
GENERATOR_VERSION = 2
WARM_UP = 2

# The values the query shapes filter on; the generator makes them exist in realistic shares.
TOP_UNIT = "Southern Command"
TAG = "evacuation order"
WORD = "bakery"  # in about 1% of the titles, nowhere else
AREA = "PS0270"  # Khan Younis governorate (OCHA P-code)
PERIOD = ("2024-03-01", "2024-05-31")


# ---------------------------------------------------------------------------------------------
# Command line and the two databases


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="incidents_list.py",
        description="p50/p95 of the incident list page, its facets, faceted search and the map "
        "data over generated incidents, against one hand-written SQL query per facet filter; "
        f"bar: p95 < {BAR_MS:.0f} ms for the list and search shapes.",
    )
    parser.add_argument(
        "--db",
        choices=["sqlite", "postgres", "both"],
        default="both",
        help="database to measure (default both, one process each); PostgreSQL at "
        f"{PG_SERVER}/{PG_DATABASE}, created and dropped by the benchmark",
    )
    parser.add_argument("--incidents", type=int, default=100_000, help="incidents (100000)")
    parser.add_argument("--persons", type=int, default=300_000, help="persons (300000)")
    parser.add_argument(
        "--requests", type=int, default=40, help="measured requests per query shape (40)"
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the generated data at the end (data of the same sizes kept by an earlier "
        "run are always reused; without --keep they are removed at the end)",
    )
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="SQLite: run ANALYZE before measuring (nothing in Testimonia does; without this "
        "option statistics left by an earlier run are dropped). PostgreSQL always gets VACUUM "
        "ANALYZE, as autovacuum would",
    )
    parser.add_argument(
        "--show-queries",
        action="store_true",
        help="after the measurements, print every SQL query of one request of each shape with "
        "its time (to find what is slow)",
    )
    parser.add_argument("--results", type=Path, help=argparse.SUPPRESS)  # for --db both
    args = parser.parse_args(argv)
    if args.incidents < 100 or args.persons < 1 or args.requests < 1:
        parser.error("--incidents must be at least 100, --persons and --requests at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.db == "both":
        return run_both(args)
    return run_one(args)


def run_both(args: argparse.Namespace) -> int:
    """Each database in its own process (Django is configured once per process), then a
    summary of both."""
    results = {}
    for db in ("sqlite", "postgres"):
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
            out = Path(handle.name)
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--db",
            db,
            "--incidents",
            str(args.incidents),
            "--persons",
            str(args.persons),
            "--requests",
            str(args.requests),
            "--results",
            str(out),
            *(["--keep"] if args.keep else []),
            *(["--show-queries"] if args.show_queries else []),
            *(["--analyze"] if args.analyze else []),
        ]
        # S603: this very script, with this interpreter.
        code = subprocess.run(command, check=False).returncode  # noqa: S603
        print(flush=True)
        if code not in (0, 1):
            out.unlink(missing_ok=True)
            raise harness.BenchError(f"the {db} run failed (exit code {code})")
        results[db] = json.loads(out.read_text())
        out.unlink()
    print("== summary: p95 (ms) per query shape ==")
    names = [s["name"] for s in results["sqlite"]["shapes"]]
    rows = []
    for index, name in enumerate(names):
        cells = [results[db]["shapes"][index] for db in ("sqlite", "postgres")]
        barred = cells[0]["barred"]
        verdicts = {c["verdict"] for c in cells}
        rows.append(
            [
                name,
                *(f"{c['p95']:.0f}" for c in cells),
                *(f"{c['ratio']:.1f}x" for c in cells),
                ("FAIL" if "FAIL" in verdicts else "PASS") if barred else "- (not barred)",
            ]
        )
    harness.table(
        [
            "shape",
            "SQLite p95",
            "PostgreSQL p95",
            "SQLite page/peer",
            "PostgreSQL page/peer",
            f"p95 < {BAR_MS:.0f} ms",
        ],
        rows,
    )
    failed = any(r[-1] == "FAIL" for r in rows)
    print(
        f"bar: p95 < {BAR_MS:.0f} ms for every list and search shape on both databases   "
        f"{'FAIL' if failed else 'PASS'}   (map data reported, not barred)"
    )
    return 1 if failed else 0


def existing_counts(db: str, home: Path) -> tuple[int, int] | None:
    """(incidents, persons) of the benchmark workspace in data kept by an earlier run."""
    query = (
        "SELECT (SELECT COUNT(*) FROM incidents_incident i JOIN accounts_workspace w "
        "ON w.id = i.workspace_id WHERE w.slug = %s), (SELECT COUNT(*) FROM incidents_person p "
        "JOIN accounts_workspace w ON w.id = p.workspace_id WHERE w.slug = %s)"
    )
    try:
        if db == "sqlite":
            path = home / "testimonia.sqlite3"
            if not path.exists():
                return None
            conn = sqlite3.connect(path)
            try:
                row = conn.execute(query.replace("%s", "?"), [SLUG, SLUG]).fetchone()
            finally:
                conn.close()
        else:
            import psycopg

            with psycopg.connect(f"{PG_SERVER}/{PG_DATABASE}", connect_timeout=5) as conn:
                row = conn.execute(query, [SLUG, SLUG]).fetchone()
    except Exception:  # no such database or table: nothing kept
        return None
    return (int(row[0]), int(row[1])) if row else None


def postgres_admin(statement: str) -> None:
    import psycopg

    try:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=5) as conn:
            conn.execute(statement)
    except psycopg.OperationalError as exc:
        raise harness.BenchError(f"PostgreSQL at {PG_SERVER} cannot be reached: {exc}") from exc


def run_one(args: argparse.Namespace) -> int:
    home = harness.WORK / f"incidents-list-{args.db}"
    marker = home / "generated.json"
    wanted = {
        "incidents": args.incidents,
        "persons": args.persons,
        "seed": SEED,
        "generator": GENERATOR_VERSION,
    }
    kept = (
        marker.exists()
        and json.loads(marker.read_text()) == wanted
        and existing_counts(args.db, home) == (args.incidents, args.persons)
    )
    if not kept:
        harness.remove(home)
        if args.db == "postgres":
            postgres_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
            postgres_admin(f"CREATE DATABASE {PG_DATABASE}")
    home.mkdir(parents=True, exist_ok=True)
    for key in list(os.environ):
        if key.startswith("TESTIMONIA_"):
            del os.environ[key]
    os.environ.update(
        TESTIMONIA_HOME=str(home),
        TESTIMONIA_SECRET_KEY="bench-only-key-0123456789-0123456789-0123456789",  # noqa: S106
        TESTIMONIA_ALLOWED_HOSTS="testserver",  # the test Client's host name
        DJANGO_SETTINGS_MODULE="testimonia.settings",
    )
    if args.db == "postgres":
        os.environ["TESTIMONIA_DATABASE_URL"] = f"{PG_SERVER}/{PG_DATABASE}"
    import django

    django.setup()
    import logging

    logging.getLogger("testimonia").setLevel(logging.WARNING)
    logging.getLogger("django.request").setLevel(logging.ERROR)

    label = "SQLite (WAL)" if args.db == "sqlite" else "PostgreSQL"
    harness.header(
        f"incident list and faceted search over {args.incidents:,} incidents and "
        f"{args.persons:,} persons on {label}",
        "in-process Django test Client, warm caches",
    )
    try:
        from django.core.management import call_command

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"migrate: {time.perf_counter() - started:.1f} s", flush=True)
        if kept:
            print("data: kept by an earlier run (--keep), reused", flush=True)
        else:
            generate(args.incidents, args.persons)
            marker.write_text(json.dumps(wanted))
        statistics_of(args)
        results = measure(args)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            harness.remove(home)
            if args.db == "postgres":
                postgres_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    if args.results:
        args.results.write_text(json.dumps({"db": args.db, **results}))
    return 1 if any(s["verdict"] == "FAIL" for s in results["shapes"]) else 0


def statistics_of(args: argparse.Namespace) -> None:
    """The planner statistics the measurements run with, the same whether the data were just
    made or kept."""
    from django.db import connection, connections

    started = time.perf_counter()
    with connection.cursor() as cursor:
        if args.db == "postgres":
            # What autovacuum does after a bulk load anyway (statistics, visibility map), done
            # now so that the plans do not depend on when it last ran.
            cursor.execute("VACUUM ANALYZE")
            note = "VACUUM ANALYZE"
        elif args.analyze:
            cursor.execute("ANALYZE")
            note = "ANALYZE (--analyze)"
        else:
            # As in use: nothing in Testimonia runs ANALYZE on SQLite.
            cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")
            note = "no ANALYZE (as in use; --analyze to compare)"
    connections.close_all()  # the next connection plans with these statistics
    print(f"planner statistics: {note} ({time.perf_counter() - started:.1f} s)", flush=True)


# ---------------------------------------------------------------------------------------------
# Generated data


LATIN = [
    "ka", "lo", "mi", "ra", "tu", "sen", "dar", "vi", "no", "be", "sha", "rin", "tal", "mo",
    "zel", "fa", "qui", "lun", "ber", "ya", "hem", "do", "ni", "sur",
]  # fmt: skip
ARABIC = [
    "سا", "مي", "را", "نو", "لي", "حا", "دي", "كا", "فا", "زي", "جو", "بي", "تا", "وا", "ر",
    "ن", "م", "ل",
]  # fmt: skip
# Where it happened, as the title says it; WORD's share is 1 in 100.
WHAT = [
    ("at a home", 26), ("in a residential building", 12), ("near a school", 7),
    ("at a checkpoint", 7), ("on the main road", 9), ("in a shelter", 8), ("at a hospital", 4),
    ("near a mosque", 4), ("at a market", 5), ("at a water point", 3), ("in a field", 6),
    ("in a refugee camp", 8), (f"at a {WORD}", 1),
]  # fmt: skip
SOURCES = ["a witness", "a relative", "a paramedic", "a local journalist", "a field researcher"]
DETAILS = [
    "The family had received no warning.",
    "Neighbours carried the wounded to the nearest clinic.",
    "The road was closed for several hours afterwards.",
    "Footage of the aftermath was shared the same evening.",
    "Residents said the area had been quiet that day.",
    "Several houses nearby were damaged.",
]
METHODS = ["airstrike", "shelling", "gunfire", "demolition", "raid", "drone strike", ""]
TAGS = [
    "airstrike", "night raid", "children", "women", "journalists", "medical staff",
    "aid workers", "schools", "hospitals", "shelters", TAG, "water", "electricity",
    "agriculture", "mass grave", "siege", "checkpoint", "detention", "demolition", "settlers",
    "fishermen", "farmers", "elderly", "disability", "ambulance", "refugee camp", "road",
    "curfew", "fuel", "telecommunications", "cultural heritage", "places of worship",
    "universities", "press", "convoy", "crossing", "coast", "border", "olive harvest",
    "family",
]  # fmt: skip
# Relative frequency of each type of act (codes missing from the vocabulary are skipped; terms
# not named here weigh 0.3) and how many victims an act of that type tends to have.
ACT_WEIGHTS = {
    "killing": 6, "summary_execution": 1, "extrajudicial_execution": 1,
    "killing_of_non_combatant": 4, "massacre": 1, "indiscriminate_killing": 5,
    "death_in_detention": 0.5, "death_from_denial_of_care": 0.5, "injury": 10,
    "physical_assault": 3, "death_threat": 1, "collective_punishment": 2,
    "arbitrary_detention": 6, "arrest": 4, "house_arrest": 0.5, "mass_roundup": 1,
    "torture": 2, "sexual_violence": 0.5, "rape": 0.2, "enforced_disappearance": 1,
    "hostage_taking": 0.5, "abduction": 0.5, "forced_displacement": 4, "eviction": 1,
    "denial_of_return": 0.5, "denial_of_health_care": 1, "movement_restriction": 2,
    "attack_on_education": 1, "destruction_of_property": 8, "looting": 1, "confiscation": 1,
    "attack_on_medical": 1, "attack_on_aid": 0.5, "obstruction_of_aid": 1, "starvation": 0.5,
    "attack_on_culture": 0.3, "settler_violence": 2, "persecution": 0.5, "other": 0.5,
}  # fmt: skip
KILLING = {
    "killing", "summary_execution", "extrajudicial_execution", "killing_of_non_combatant",
    "massacre", "indiscriminate_killing", "death_in_detention", "death_from_denial_of_care",
}  # fmt: skip
DETENTION = {"arbitrary_detention", "arrest", "house_arrest", "mass_roundup", "torture"}
DISPLACEMENT = {"forced_displacement", "eviction", "deportation", "denial_of_return"}
PROPERTY = {"destruction_of_property", "looting", "confiscation"}
# Incidents per month, relative (Oct 2023 .. Dec 2025).
MONTHS = [10, 9, 9, 8, 8, 7, 7, 6, 6, 5, 5, 5, 5, 4, 4, 4, 5, 5, 6, 5, 4, 4, 3, 3, 3, 3, 3]
TOP_UNITS = [
    ("Northern Command", "armed_forces"),
    (TOP_UNIT, "armed_forces"),
    ("Central Command", "armed_forces"),
    ("Internal Security Service", "intelligence"),
    ("Coastal Armed Group", "armed_group"),
]
UNIT_SHARE = [30, 30, 15, 10, 15]  # how often each top unit's chain is involved


def pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def latin_name(rng: random.Random) -> str:
    given = "".join(rng.choice(LATIN) for _ in range(rng.randint(2, 3))).capitalize()
    family = "".join(rng.choice(LATIN) for _ in range(rng.randint(2, 3))).capitalize()
    return f"{given} {family}"


def arabic_name(rng: random.Random) -> str:
    return " ".join("".join(rng.choice(ARABIC) for _ in range(rng.randint(2, 3))) for _ in "12")


def generate(n_incidents: int, n_persons: int) -> None:
    """One workspace with `n_incidents` incidents and `n_persons` victims, inserted in batches
    with bulk_create, then the search and facet indexes rebuilt as `testimonia reindex` does."""
    from django.db import transaction

    from testimonia.accounts.roles import Role
    from testimonia.accounts.services import create_user, create_workspace, grant_role
    from testimonia.incidents.models import (
        Act,
        Incident,
        Involvement,
        Organisation,
        Person,
        PersonName,
        Place,
        Tag,
        Term,
        Victimisation,
    )
    from testimonia.incidents.search import reindex

    rng = random.Random(SEED)  # noqa: S311 (fictional data, not security)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    workspace = create_workspace(None, "Benchmark", slug=SLUG)
    analyst = create_user("bench-analyst", "bench-only-password-0123456789", validate=False)
    grant_role(analyst, workspace, Role.ANALYST)
    tags = Tag.objects.bulk_create([Tag(workspace=workspace, name=name) for name in TAGS])
    tag_weights = [1 / (rank + 1) ** 0.7 for rank in range(len(tags))]

    # Units: 5 commands or services, 7 brigades under each, 32 battalions under each command.
    units: list[tuple[int, float]] = []  # (id, how often involved)
    for (name, kind), share in zip(TOP_UNITS, UNIT_SHARE, strict=True):
        top = Organisation.objects.create(workspace=workspace, name=name, kind=kind)
        brigades = Organisation.objects.bulk_create(
            [
                Organisation(
                    workspace=workspace, name=f"{name}, brigade {b + 1}", kind=kind, parent=top
                )
                for b in range(7)
            ]
        )
        battalions = Organisation.objects.bulk_create(
            [
                Organisation(
                    workspace=workspace,
                    name=f"{name}, battalion {b % 7 + 1}-{b // 7 + 1}",
                    kind=kind,
                    parent=brigades[b % 7],
                )
                for b in range(32)
            ]
        )
        units.append((top.pk, share * 0.05))
        units.extend((u.pk, share * 0.25 / len(brigades) * rng.uniform(0.3, 1.7)) for u in brigades)
        units.extend(
            (u.pk, share * 0.70 / len(battalions) * rng.uniform(0.2, 1.8)) for u in battalions
        )
    unit_ids = [u for u, _ in units]
    unit_cum = list(_cumulative([w for _, w in units]))

    # Every list below in a fixed order (not the models' default orderings, which put NULLs
    # in different places on SQLite and PostgreSQL): the same data on both databases.
    terms = {
        t.code: t
        for t in Term.objects.filter(vocabulary="act_type", active=True).order_by("code")
        if ACT_WEIGHTS.get(t.code, 0.3) > 0
    }
    type_codes = list(terms)
    type_cum = list(_cumulative([ACT_WEIGHTS.get(c, 0.3) for c in type_codes]))

    # Places: Gaza's localities weigh more (most incidents of the period), then by population.
    places = list(
        Place.objects.filter(workspace=None, country_code="PS", kind="locality")
        .order_by("geonames_id")
        .values_list("pk", "parent_pcode", "population", "latitude", "longitude", "names")
    )
    if not places:
        raise harness.BenchError("the gazetteer has no localities: did migrate load it?")
    place_cum = list(
        _cumulative(
            (4.0 if parent.startswith("PS02") else 0.6) * math.sqrt(pop or 500)
            for _pk, parent, pop, *_rest in places
        )
    )
    areas = list(
        Place.objects.filter(workspace=None, country_code="PS", kind="adm2")
        .order_by("geonames_id")
        .values_list("pk", "names")
    )
    first_day = dt.date(2023, 10, 1)
    month_starts = [
        dt.date(
            first_day.year + (first_day.month - 1 + m) // 12, (first_day.month - 1 + m) % 12 + 1, 1
        )
        for m in range(len(MONTHS) + 1)
    ]
    print(f"generating {n_incidents:,} incidents ...", flush=True)

    acts: list[tuple[int, str, int]] = []  # (act id, type code, incident id)
    chunk = 5000
    for first in range(0, n_incidents, chunk):
        rows = []
        act_plans = []
        tag_plans = []
        for _ in range(min(chunk, n_incidents - first)):
            month = rng.choices(range(len(MONTHS)), weights=MONTHS)[0]
            days = (month_starts[month + 1] - month_starts[month]).days
            if rng.random() < 0.15:
                start, precision = month_starts[month], "month"
            else:
                start = month_starts[month] + dt.timedelta(days=rng.randrange(days))
                precision = "day"
            end = (
                start + dt.timedelta(days=rng.randint(1, 14))
                if precision == "day" and rng.random() < 0.10
                else None
            )
            n_acts = rng.choices([1, 2, 3, 4], weights=[50, 30, 15, 5])[0]
            codes = [type_codes[_index(type_cum, rng)] for _ in range(n_acts)]
            label = terms[codes[0]].labels
            where = rng.random()
            fields: dict[str, Any] = {}
            if where < 0.92:
                pk, _parent, _pop, lat, lon, names = places[_index(place_cum, rng)]
                fields.update(place_id=pk, place_name=names.get("en", ""))
                if rng.random() < 0.2:
                    fields.update(
                        latitude=round(lat + rng.uniform(-0.01, 0.01), 6),
                        longitude=round(lon + rng.uniform(-0.01, 0.01), 6),
                        location_precision="approximate",
                    )
                else:
                    fields["location_precision"] = "locality"
            elif where < 0.96:
                pk, names = rng.choice(areas)
                fields.update(place_id=pk, place_name=names.get("en", ""))
                fields["location_precision"] = "district"
            else:
                names = {"en": "a location withheld by the source", "ar": "مكان غير معلن"}
                fields.update(place_name=names["en"], location_precision="unknown")
            what = pick(rng, WHAT)
            title = f"{label.get('en', codes[0])} {what} in {names.get('en', '')}"
            translations = (
                {"ar": {"title": f"{label.get('ar', '')} في {names.get('ar', '')}"}}
                if rng.random() < 0.25
                else {}
            )
            rows.append(
                Incident(
                    workspace=workspace,
                    title=title[:300],
                    description=(
                        f"Reported by {rng.choice(SOURCES)}. {rng.choice(DETAILS)} "
                        f"{rng.choice(DETAILS)}"
                    ),
                    translations=translations,
                    start_date=start,
                    start_precision=precision,
                    end_date=end,
                    end_precision="day",
                    status=pick(rng, [("draft", 55), ("verified", 35), ("published", 10)]),
                    sensitivity=pick(
                        rng, [("restricted", 80), ("public", 15), ("confidential", 5)]
                    ),
                    created_by=analyst,
                    **fields,
                )
            )
            act_plans.append((codes, start, precision, fields.get("place_id")))
            if rng.random() < 0.45:
                tag_plans.append(
                    {
                        tags[i].pk
                        for i in rng.choices(range(len(tags)), tag_weights, k=rng.randint(1, 3))
                    }
                )
            else:
                tag_plans.append(set())
        with transaction.atomic():
            made = Incident.objects.bulk_create(rows, batch_size=1000)
            new_acts = [
                Act(
                    incident_id=incident.pk,
                    act_type=terms[code],
                    start_date=start,
                    start_precision=precision,
                    place_id=place_id,
                    method=rng.choice(METHODS),
                    description=rng.choice(DETAILS) if rng.random() < 0.3 else "",
                )
                for incident, (codes, start, precision, place_id) in zip(
                    made, act_plans, strict=True
                )
                for code in codes
            ]
            Act.objects.bulk_create(new_acts, batch_size=1000)
            involvements = []
            for act in new_acts:
                acts.append((act.pk, act.act_type.code, act.incident_id))
                roll = rng.random()
                for _ in range(0 if roll < 0.05 else 2 if roll > 0.93 else 1):
                    involvements.append(
                        Involvement(
                            act_id=act.pk,
                            organisation_id=unit_ids[_index(unit_cum, rng)],
                            degree=pick(
                                rng,
                                [
                                    ("direct", 60),
                                    ("ordered", 10),
                                    ("unknown", 20),
                                    ("suspected", 10),
                                ],
                            ),
                            certainty=pick(
                                rng,
                                [
                                    ("confirmed", 30),
                                    ("likely", 40),
                                    ("possible", 20),
                                    ("unknown", 10),
                                ],
                            ),
                        )
                    )
            Involvement.objects.bulk_create(involvements, batch_size=1000)
            through = Incident.tags.through
            through.objects.bulk_create(
                [
                    through(incident_id=incident.pk, tag_id=tag_id)
                    for incident, wanted in zip(made, tag_plans, strict=True)
                    for tag_id in wanted
                ],
                batch_size=1000,
            )
        print(f"  {first + len(rows):,} incidents, {len(acts):,} acts", flush=True)
    timings["incidents, acts, involvements, tags"] = time.perf_counter() - started

    # Victims: each person suffers one act (one in ten a second one), chosen by how many
    # victims acts of that type tend to have.
    def victims_of(code: str) -> float:
        if code == "massacre":
            return 15
        if code == "indiscriminate_killing":
            return 5
        if code in KILLING or code == "injury" or code in DISPLACEMENT:
            return 3
        if code in DETENTION:
            return 1.5
        if code in PROPERTY:
            return 0.5
        return 1

    def outcome_of(code: str) -> str:
        if code in KILLING:
            return "killed" if rng.random() < 0.9 else "injured"
        if code == "injury":
            return "injured"
        if code in DETENTION:
            return "detained" if rng.random() < 0.7 else "released"
        if code in DISPLACEMENT:
            return "displaced"
        if code in PROPERTY:
            return "property_loss"
        return pick(rng, [("other", 1), ("unknown", 1)])

    act_cum = list(_cumulative([victims_of(code) for _pk, code, _incident in acts]))
    started = time.perf_counter()
    print(f"generating {n_persons:,} persons ...", flush=True)
    victims = 0
    for first in range(0, n_persons, chunk):
        people = []
        plans = []
        for _ in range(min(chunk, n_persons - first)):
            act_no = _index(act_cum, rng)
            act_pk, code, _incident = acts[act_no]
            outcome = outcome_of(code)
            group = rng.random()
            if group < 0.30:  # children
                age_min = age_max = rng.randint(0, 17)
            elif group < 0.84:
                age_min = age_max = rng.randint(18, 85)
            elif group < 0.90:  # an adult's age known as a range
                age_min = rng.choice([20, 30, 40, 50])
                age_max = age_min + 9
            else:
                age_min = age_max = None
            people.append(
                Person(
                    workspace=workspace,
                    sex=pick(rng, [("male", 52), ("female", 38), ("unknown", 10)]),
                    age_min=age_min,
                    age_max=age_max,
                    status=pick(rng, [("civilian", 85), ("unknown", 13), ("combatant", 2)]),
                    deceased=outcome == "killed",
                    sensitivity=pick(rng, [("restricted", 90), ("confidential", 10)]),
                )
            )
            second = _index(act_cum, rng) if rng.random() < 0.10 else None
            plans.append((act_pk, outcome, age_min if age_min == age_max else None, second))
        with transaction.atomic():
            made = Person.objects.bulk_create(people, batch_size=1000)
            names = []
            links = []
            for person, (act_pk, outcome, age, second) in zip(made, plans, strict=True):
                names.append(
                    PersonName(person=person, text=latin_name(rng), language="en", primary=True)
                )
                if rng.random() < 0.4:
                    names.append(PersonName(person=person, text=arabic_name(rng), language="ar"))
                links.append(
                    Victimisation(act_id=act_pk, person=person, outcome=outcome, age_at_time=age)
                )
                if second is not None and acts[second][0] != act_pk:
                    links.append(
                        Victimisation(
                            act_id=acts[second][0],
                            person=person,
                            outcome=outcome_of(acts[second][1]),
                            age_at_time=age,
                        )
                    )
            PersonName.objects.bulk_create(names, batch_size=1000)
            Victimisation.objects.bulk_create(links, batch_size=1000)
            victims += len(links)
        if (first // chunk) % 10 == 9 or first + chunk >= n_persons:
            print(f"  {first + len(people):,} persons, {victims:,} victims", flush=True)
    timings["persons, names, victims"] = time.perf_counter() - started

    started = time.perf_counter()
    print("filling the search index (search.reindex) ...", flush=True)
    indexed = reindex(workspace)
    timings[f"search.reindex ({indexed:,} records)"] = time.perf_counter() - started

    from testimonia.incidents import facet_index

    started = time.perf_counter()
    print("filling the facet index (facet_index.rebuild) ...", flush=True)
    rows = facet_index.rebuild(workspace)
    timings[f"facet_index.rebuild ({rows:,} rows)"] = time.perf_counter() - started
    harness.table(["generation step", "time (s)"], [[k, f"{v:.1f}"] for k, v in timings.items()])


def _cumulative(weights: Sequence[float]) -> Any:
    total = 0.0
    for weight in weights:
        total += weight
        yield total


def _index(cumulative: Sequence[float], rng: random.Random) -> int:
    import bisect

    return min(bisect.bisect_left(cumulative, rng.random() * cumulative[-1]), len(cumulative) - 1)


# ---------------------------------------------------------------------------------------------
# Query shapes and their peers


@dataclass
class Shape:
    name: str
    kind: str  # "list", "search" (list with q), "api" (search route), "map"
    params: dict[str, str] = field(default_factory=dict)
    page: int = 1

    @property
    def barred(self) -> bool:
        return self.kind != "map"


def shapes(top_unit: int, incidents: int) -> list[Shape]:
    from testimonia.incidents.views import PAGE_SIZE

    deep = min(50, max(1, math.ceil(incidents / PAGE_SIZE)))  # page 50, or the last one
    return [
        Shape("list, no filter", "list"),
        Shape("act_type=killing", "list", {"act_type": "killing"}),
        Shape(f"place={AREA}", "list", {"place": AREA}),
        Shape("status=verified", "list", {"status": "verified"}),
        Shape("victim_age=child", "list", {"victim_age": "child"}),
        Shape("victim_sex=female", "list", {"victim_sex": "female"}),
        Shape("perpetrator=<top unit>", "list", {"perpetrator": str(top_unit)}),
        Shape("3-month period", "list", {"date_from": PERIOD[0], "date_to": PERIOD[1]}),
        Shape(f"tag={TAG}", "list", {"tag": TAG}),
        Shape(
            "3 facets combined",
            "list",
            {"act_type": "killing", "place": AREA, "victim_age": "child"},
        ),
        Shape(f"page {deep}, no filter", "list", page=deep),
        Shape(f"q={WORD} + status=verified", "search", {"q": WORD, "status": "verified"}),
        Shape(f"API search q={WORD}", "api", {"q": WORD}),
        Shape("map.geojson, act_type=killing", "map", {"act_type": "killing"}),
    ]


class Peer:
    """One hand-written SQL statement per shape: the count (a scalar sub-query) and the rows
    of the page, each facet as an EXISTS sub-query that joins only what it needs."""

    def __init__(self, vendor: str, workspace_id: int, analyst: Any) -> None:
        self.vendor = vendor
        self.workspace_id = workspace_id
        self.analyst = analyst

    @staticmethod
    def units_under(unit: int) -> list[int]:
        """The unit and every unit below it, as a peer that joins the involvements must list
        them."""
        from testimonia.incidents.models import Organisation

        children: dict[int | None, list[int]] = {}
        for pk, parent in Organisation.objects.values_list("pk", "parent_id"):
            children.setdefault(parent, []).append(pk)
        found, stack = [], [unit]
        while stack:
            pk = stack.pop()
            if pk not in found:
                found.append(pk)
                stack.extend(children.get(pk, []))
        return found

    def where(self, params: dict[str, str]) -> tuple[str, list[Any]]:
        from testimonia.incidents.models import CHILD_AGE
        from testimonia.incidents.vocabularies import descendants

        conditions = ["i.workspace_id = %s"]
        values: list[Any] = [self.workspace_id]

        def in_list(ids: Sequence[int]) -> str:
            return ", ".join(str(int(pk)) for pk in ids) or "NULL"

        if "date_from" in params:
            conditions.append("(i.end_date >= %s OR (i.end_date IS NULL AND i.start_date >= %s))")
            values += [params["date_from"], params["date_from"]]
        if "date_to" in params:
            conditions.append("i.start_date <= %s")
            values.append(params["date_to"])
        if "place" in params:
            conditions.append(
                "i.place_id IN (SELECT id FROM incidents_place "
                "WHERE pcode = %s OR parent_pcode LIKE %s OR pcode LIKE %s)"
            )
            values += [params["place"], params["place"] + "%", params["place"] + "%"]
        if "act_type" in params:
            conditions.append(
                "EXISTS (SELECT 1 FROM incidents_act a WHERE a.incident_id = i.id "  # noqa: S608
                f"AND a.act_type_id IN ({in_list(descendants([params['act_type']]))}))"
            )
        if "perpetrator" in params:
            units = self.units_under(int(params["perpetrator"]))
            conditions.append(
                "EXISTS (SELECT 1 FROM incidents_act a JOIN incidents_involvement v "  # noqa: S608
                "ON v.act_id = a.id WHERE a.incident_id = i.id "
                f"AND v.organisation_id IN ({in_list(units)}))"
            )
        # One sub-query per facet, as the page's filter() calls each join again: an incident
        # with a female victim and a child victim matches, whether or not they are one person.
        victim = []
        if "victim_sex" in params:
            victim.append("p.sex = %s")
            values.append(params["victim_sex"])
        if params.get("victim_age") == "child":
            # A child when the act happened: the age recorded for the act, else the person's.
            victim.append(
                f"(v.age_at_time < {CHILD_AGE} "
                f"OR (v.age_at_time IS NULL AND p.age_max < {CHILD_AGE}))"
            )
        for condition in victim:
            conditions.append(
                "EXISTS (SELECT 1 FROM incidents_act a JOIN incidents_victimisation v "  # noqa: S608
                "ON v.act_id = a.id JOIN incidents_person p ON p.id = v.person_id "
                f"WHERE a.incident_id = i.id AND {condition})"
            )
        if "status" in params:
            conditions.append("i.status = %s")
            values.append(params["status"])
        if "tag" in params:
            conditions.append(
                "EXISTS (SELECT 1 FROM incidents_incident_tags it JOIN incidents_tag t "
                "ON t.id = it.tag_id WHERE it.incident_id = i.id AND t.name = %s)"
            )
            values.append(params["tag"])
        if "q" in params:
            match, words = self._match(params["q"])
            conditions.append(
                "i.id IN (SELECT object_id FROM incidents_searchentry "  # noqa: S608
                f"WHERE {match} AND workspace_id = %s AND kind = 'incident')"
            )
            values += [words, self.workspace_id]
        return " AND ".join(conditions), values

    def _match(self, query: str) -> tuple[str, str]:
        from testimonia.incidents.search import query_words

        words = query_words(query)
        if self.vendor == "sqlite":
            return "incidents_searchentry MATCH %s", " ".join(f'"{w}"*' for w in words)
        return "document @@ %s::tsquery", " & ".join(f"'{w}':*" for w in words)

    def statement(self, shape: Shape) -> tuple[str, list[Any]]:
        from testimonia.incidents.views import MAP_LIMIT, PAGE_SIZE

        if shape.kind == "api":
            return self._search(shape.params["q"])
        where, values = self.where(shape.params)
        if shape.kind == "map":
            # S608: the conditions are this script's own text; values are parameters.
            sql = (
                "SELECT i.id, i.title, i.start_date, i.location_precision, i.latitude, "  # noqa: S608
                "i.longitude, p.latitude, p.longitude FROM incidents_incident i "
                f"LEFT JOIN incidents_place p ON p.id = i.place_id WHERE {where} "
                "ORDER BY i.start_date DESC, i.id DESC LIMIT %s"
            )
            return sql, [*values, MAP_LIMIT]
        sql = (
            f"SELECT (SELECT COUNT(*) FROM incidents_incident i WHERE {where}) AS total, "  # noqa: S608
            "i.id, i.title, i.start_date, i.start_precision, i.status, i.place_name, p.names "
            "FROM incidents_incident i LEFT JOIN incidents_place p ON p.id = i.place_id "
            f"WHERE {where} ORDER BY i.start_date DESC, i.id DESC LIMIT %s OFFSET %s"
        )
        return sql, [*values, *values, PAGE_SIZE, (shape.page - 1) * PAGE_SIZE]

    def _search(self, query: str) -> tuple[str, list[Any]]:
        from testimonia.accounts.roles import Capability, grants
        from testimonia.accounts.services import membership_roles
        from testimonia.incidents.search import ITEM, TYPES

        types = list(TYPES)
        if not grants(membership_roles(self.analyst, SLUG), Capability.VIEW_EVIDENCE):
            types.remove(ITEM)
        kinds = ", ".join(f"'{t}'" for t in types)
        match, words = self._match(query)
        if self.vendor == "sqlite":
            score = "-bm25(incidents_searchentry, 0, 0, 0, 0, 10.0, 1.0)"
            values = [words]
        else:
            score = "ts_rank_cd(document, %s::tsquery)"
            values = [words, words]
        sql = (
            f"SELECT kind, object_id, title, {score} AS score FROM incidents_searchentry "  # noqa: S608
            f"WHERE {match} AND workspace_id = %s AND kind IN ({kinds}) "
            "ORDER BY score DESC, kind, object_id LIMIT 50"
        )
        return sql, [*values, self.workspace_id]

    def run(self, shape: Shape) -> list[tuple[Any, ...]]:
        from django.db import connection

        sql, values = self.statement(shape)
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            return list(cursor.fetchall())


def url_of(shape: Shape) -> str:
    params = dict(shape.params)
    if shape.page > 1:
        params["page"] = str(shape.page)
    query = f"?{urlencode(params)}" if params else ""
    if shape.kind == "api":
        return f"/api/v1/workspaces/{SLUG}/search{query}"
    if shape.kind == "map":
        return f"/w/{SLUG}/incidents/map.geojson{query}"
    return f"/w/{SLUG}/incidents/{query}"


RESULT_COUNT = re.compile(r'id="result-count">\s*([\d,.\s\u00a0\u202f]+)')


def matches_of(shape: Shape, body: bytes, peer_rows: list[tuple[Any, ...]]) -> tuple[int, int]:
    """(what the page says matched, what the peer found): they must agree."""
    if shape.kind == "api":
        page_ids = {(h["type"], h["id"]) for h in json.loads(body)}
        peer_ids = {(r[0], int(r[1])) for r in peer_rows}
        return len(page_ids), len(peer_ids) if page_ids == peer_ids else -1
    if shape.kind == "map":
        features = json.loads(body)["features"]
        placed = [r for r in peer_rows if (r[4] is not None) or (r[6] is not None)]
        return len(features), len(placed)
    found = RESULT_COUNT.search(body.decode())
    shown = int(re.sub(r"\D", "", found.group(1))) if found else -1
    return shown, int(peer_rows[0][0]) if peer_rows else 0


# ---------------------------------------------------------------------------------------------
# Measurements


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile: the smallest value with at least q% of the values at or
    below it (p95 of 40 requests is the 38th fastest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def measure(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client

    from testimonia.accounts.models import User, Workspace
    from testimonia.incidents.models import Incident, Organisation, Person

    workspace = Workspace.objects.get(slug=SLUG)
    analyst = User.objects.get(username="bench-analyst")
    top_unit = Organisation.objects.get(workspace=workspace, name=TOP_UNIT, parent=None).pk
    client = Client()
    client.force_login(analyst)
    peer = Peer(connection.vendor, workspace.pk, analyst)
    incidents = Incident.objects.filter(workspace=workspace).count()
    persons = Person.objects.filter(workspace=workspace).count()
    print(
        f"data: {incidents:,} incidents, {persons:,} persons; {args.requests} requests per "
        f"shape after {WARM_UP} warm-up requests, page and peer alternating",
        flush=True,
    )

    def get(shape: Shape) -> tuple[float, bytes]:
        t0 = time.perf_counter()
        response = client.get(url_of(shape))
        took = (time.perf_counter() - t0) * 1000
        if response.status_code != 200:
            raise harness.BenchError(f"{url_of(shape)} answered {response.status_code}")
        return took, response.content

    def run_peer(shape: Shape) -> tuple[float, list[tuple[Any, ...]]]:
        connection.ensure_connection()
        t0 = time.perf_counter()
        rows = peer.run(shape)
        return (time.perf_counter() - t0) * 1000, rows

    rows_out = []
    results = []
    for shape in shapes(top_unit, incidents):
        for _ in range(WARM_UP):
            _took, body = get(shape)
            _took, peer_rows = run_peer(shape)
        shown, found = matches_of(shape, body, peer_rows)
        if shown != found:
            raise harness.BenchError(
                f"{shape.name}: the page shows {shown} but the peer found {found}: "
                "the peer's SQL does not filter as the page does"
            )
        statements = QueryLog()
        with connection.execute_wrapper(statements):
            get(shape)
        page_ms: list[float] = []
        peer_ms: list[float] = []
        for n in range(args.requests):
            order = ["page", "peer"] if n % 2 == 0 else ["peer", "page"]
            for side in order:
                if side == "page":
                    page_ms.append(get(shape)[0])
                else:
                    peer_ms.append(run_peer(shape)[0])
        p50, p95 = statistics.median(page_ms), percentile(page_ms, 95)
        peer50 = statistics.median(peer_ms)
        verdict = ("PASS" if p95 < BAR_MS else "FAIL") if shape.barred else "-"
        results.append(
            {
                **asdict(shape),
                "barred": shape.barred,
                "p50": p50,
                "p95": p95,
                "max": max(page_ms),
                "peer_p50": peer50,
                "peer_p95": percentile(peer_ms, 95),
                "ratio": p50 / peer50 if peer50 else math.inf,
                "matches": shown,
                "queries": len(statements.queries),
                "verdict": verdict,
            }
        )
        r = results[-1]
        rows_out.append(
            [
                shape.name,
                f"{r['matches']:,}",
                str(r["queries"]),
                f"{p50:.0f}",
                f"{p95:.0f}",
                f"{r['max']:.0f}",
                f"{peer50:.1f}",
                f"{r['peer_p95']:.1f}",
                f"{r['ratio']:.1f}x",
                verdict if shape.barred else "- (map: not barred)",
            ]
        )
        print(f"  {shape.name}: p50 {p50:.0f} ms, p95 {p95:.0f} ms", flush=True)
    harness.table(
        [
            "shape",
            "matches",
            "queries",
            "page p50 (ms)",
            "p95",
            "max",
            "peer p50 (ms)",
            "peer p95",
            "page/peer (p50)",
            f"p95 < {BAR_MS:.0f} ms",
        ],
        rows_out,
    )
    failed = [r["name"] for r in results if r["verdict"] == "FAIL"]
    print(
        f"bar: p95 < {BAR_MS:.0f} ms for every list and search shape   "
        f"{'FAIL (' + ', '.join(failed) + ')' if failed else 'PASS'}   "
        "(map data reported, not barred; matches: the count the page shows, the API's hits, "
        "the map's points; queries: SQL statements of one request)"
    )
    if args.show_queries:
        show_queries(client, top_unit, incidents)
    return {"shapes": results}


class QueryLog:
    """An execute wrapper (connection.execute_wrapper) that notes each statement and its
    time; unlike CaptureQueriesContext it survives the reset of the query log that every
    request starts with."""

    def __init__(self) -> None:
        self.queries: list[tuple[float, str, Any]] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append(((time.perf_counter() - t0) * 1000, sql, params))


def show_queries(client: Any, top_unit: int, incidents: int) -> None:
    from django.db import connection

    for shape in shapes(top_unit, incidents):
        log = QueryLog()
        t0 = time.perf_counter()
        with connection.execute_wrapper(log):
            client.get(url_of(shape))
        took = (time.perf_counter() - t0) * 1000
        in_sql = sum(ms for ms, _sql, _params in log.queries)
        print(f"-- {shape.name}: {url_of(shape)}  ({took:.0f} ms, of which SQL {in_sql:.0f} ms)")
        for ms, sql, params in sorted(log.queries, key=lambda q: -q[0]):
            print(f"   {ms:8.1f} ms  {sql[:300]}  {str(params)[:100]}")


if __name__ == "__main__":
    sys.exit(harness.main_guard(lambda: main()))
