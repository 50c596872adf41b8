"""Supervision dashboard figures: the server time of one campaign's dashboard with 10,000 and with 100,000 cases in
the database, their ratio, and the time to remind 500 units.

Set-up (bulk SQL — COPY on PostgreSQL — not the app's verbs; not measured): the demo seed, then one province with
`UNITS` units below it (districts and communes), one supervisor (`bench-sup`, the province's TĐKT section) and one
staff member per unit holding the unit roles. Ten open campaigns take every unit as participant; the one measured
has 85 % of its units started, spread over the unit's steps and the receiving level's check, the rest not started.
A unit has one case per campaign round, so the other cases of the database (up to 10,000, then up to 100,000) are
closed past rounds of the same units (completed, each with its audit trail) — what accumulates over the years and
what the dashboard must not grow with. The dashboard's queries read only the measured campaign's cases.

Measured in-process with the Flask test client (the server's work, no network): `GET /api/supervision/campaigns/
{id}/units` and the page `/supervision/campaigns/{id}`, median of REPEAT after one warm-up (which also fills the
usual-durations cache, kept ten minutes; its cold cost is printed too). Targets: under 200 ms; 100k / 10k ≤ 1.5.
Then `remind` on 500 started units (one transaction per case, through the executor): target ≤ 5 s.

Usage: .venv/bin/python bench/dashboard.py           (PostgreSQL; 700 units, 10 campaigns, 10,000 → 100,000 cases)
       .venv/bin/python bench/dashboard.py --quick   (60 units, 1,000 → 3,000 cases, remind 50; checks it works)
"""
from __future__ import annotations

import statistics
import sys
import time

import _path  # noqa: F401,I001
from bench.common import (CAMPAIGN_TIME, Db, fill_cases, grow_to, organisation, postgres_url, quick_flag, sqlite_url,
                          synthetic_templates, total_cases, use_clock, verdict)
from sqlalchemy import select

from processes import interventions
from processes.models import Case, User
from processes.seeding import seed_demo
from processes.supervision import history

QUICK, ARGS = quick_flag()
UNITS = 60 if QUICK else 700
CAMPAIGNS = 10
SIZES = (1_000, 3_000) if QUICK else (10_000, 100_000)
REMIND = 50 if QUICK else 500
REPEAT = 5 if QUICK else 15


def measure(app, org: dict, campaign_id: int) -> dict:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {org['token']}"}
    history.forget()
    started = time.perf_counter()
    first = client.get(f"/api/supervision/campaigns/{campaign_id}/units", headers=headers)
    cold = (time.perf_counter() - started) * 1000
    assert first.status_code == 200, first.get_data(as_text=True)[:500]
    body = first.get_json()
    samples = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        response = client.get(f"/api/supervision/campaigns/{campaign_id}/units?sort=urgency", headers=headers)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    steps = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        assert client.get(f"/api/supervision/campaigns/{campaign_id}/steps", headers=headers).status_code == 200
        steps.append((time.perf_counter() - started) * 1000)
    listing = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        assert client.get("/api/cases", headers=headers).status_code == 200
        listing.append((time.perf_counter() - started) * 1000)
    return dict(cold=cold, median=statistics.median(samples), steps=statistics.median(steps), units=body["units"],
                counts=body["counts"], cases=statistics.median(listing))


def remind(db: Db, org: dict, campaign_id: int) -> tuple[float, int]:
    with db.Session() as session:
        units = list(session.scalars(select(Case.unit_id).where(Case.campaign_id == campaign_id)
                                     .order_by(Case.unit_id).limit(REMIND)))
        actor = session.scalar(select(User).where(User.username == "bench-sup"))
        started = time.perf_counter()
        outcomes = interventions.apply(session, actor, interventions.Request(
            action="remind", case_ids=[], unit_ids=units, campaign_id=campaign_id, reason="Đo thời gian"))
        elapsed = time.perf_counter() - started
    failed = [o for o in outcomes if not o.ok]
    assert len(outcomes) == REMIND and not failed, failed[:3]
    return elapsed, len(outcomes)


def run(label: str, url: str) -> None:
    from webapp import create_app

    use_clock(CAMPAIGN_TIME)
    db = Db(url)
    with db.Session() as session:
        seed_demo(session)
    org = organisation(db, UNITS, CAMPAIGNS)
    templates = synthetic_templates(org["version"], org["deadline"])
    fill_cases(db, org, org["campaigns"], True, templates)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench" * 8, "TESTING": True})
    campaign_id = org["campaigns"][0]
    print(f"{label}: {UNITS} units, {CAMPAIGNS} open campaigns; dashboard of one campaign (median of {REPEAT})")
    results = {}
    for size in SIZES:
        grow_to(db, org, size, templates)
        with app.app_context():
            results[size] = measure(app, org, campaign_id)
        r = results[size]
        print(f"  {total_cases(db):>7,} cases: units API {r['median']:.1f} ms (cold, history read: {r['cold']:.1f} ms);"
              f" steps API {r['steps']:.1f} ms; the supervisor's case list (GET /api/cases) {r['cases']:.1f} ms;"
              f" {r['units']} units: {r['counts']}")
    small, large = SIZES
    verdict(f"{label} dashboard at {large:,} cases", results[large]["median"], 200, sign="<", unit=" ms")
    verdict(f"{label} {large:,} / {small:,} cases", results[large]["median"] / results[small]["median"], 1.5)
    with app.app_context():
        elapsed, count = remind(db, org, campaign_id)
    print(f"  remind {count} units: {elapsed:.2f} s ({elapsed / count * 1000:.1f} ms per case)")
    verdict(f"{label} remind {count} units", elapsed, 5, unit=" s")
    db.engine.dispose()


def main() -> None:
    url = postgres_url("tdkt_bench_dashboard")
    if url:
        run("PostgreSQL", url)
    elif QUICK:
        run("SQLite", sqlite_url())
    else:
        sys.exit("bench/dashboard.py measures PostgreSQL (TDKT_BENCH_PG); none was reachable.")


if __name__ == "__main__":
    main()
