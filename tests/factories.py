"""What the tests share: the achievement report every nominee now needs (as JSON and as posted form fields); the
seeded campaign files and units without a database, for the rules' pure functions; nominees and minutes as the case
data holds them; and cases arranged with the core verbs (no HTTP) for the checks that read the database."""
from __future__ import annotations

import copy
import functools

from processes import seeding
from processes.rules.quotas import UnitFacts

REPORT = {
    "result": "Xây dựng và đưa vào sử dụng phần mềm quản lý, theo dõi án hình sự trên môi trường mạng.",
    "in_use_since": "2024-01-15",
    "problem_solved": "Khắc phục việc theo dõi thời hạn tố tụng thủ công, dễ sót hạn.",
    "effect": "Giảm 30% thời gian tra cứu hồ sơ, không để xảy ra án quá hạn trong năm 2024.",
    "resources": "Kinh phí 120 triệu đồng; 03 cán bộ CNTT; 02 máy chủ.",
}


def achievement_of(name: str) -> str:
    return f"Chuyển đổi số trong công tác kiểm sát của {name}"


def reported(nominee: dict) -> dict:
    """A nominee (JSON) with its achievement title and report."""
    return {"achievement_title": achievement_of(nominee["name"]), "report": dict(REPORT), **nominee}


def report_fields(index: int, name: str, prefix: str = "nominees") -> dict:
    """The same as posted form fields for row `index`."""
    fields = {f"{prefix}.{index}.achievement_title": achievement_of(name)}
    for key, value in REPORT.items():
        if key == "in_use_since":
            y, m, d = value.split("-")
            value = f"{d}/{m}/{y}"
        fields[f"{prefix}.{index}.report.{key}"] = value
    return fields


def with_reports(form: dict, prefix: str = "nominees") -> dict:
    """Posted nominee rows (nominees.N.name …) with each row's title and report added."""
    out = dict(form)
    for key, value in form.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == prefix and parts[2] == "name":
            out = {**report_fields(int(parts[1]), value, prefix), **out}
    return out


# --- the campaign files and the units, as seeding stores them (no database needed) ----------------------------------

def campaign_details(code: str) -> dict:
    """`campaigns.details` of the seeded campaign `code`: its file under processes/seed_data/campaigns, as JSON."""
    return copy.deepcopy(_campaign_files()[code])


def round_details(code: str, round_code: str) -> dict:
    """One `[[related_round]]` of a campaign file (another round of the same movement, with its own quotas)."""
    return next(r for r in campaign_details(code)["related_round"] if r["code"] == round_code)


def unit_facts(code: str) -> UnitFacts:
    """What the quotas read of the seeded unit `code` (processes/seed_data/units.toml), as rules.unit_facts does."""
    row = _unit_rows()[code]
    return UnitFacts(row["code"], row["name"], row.get("kind", "procuracy"), row["level"], row.get("staff_count", 0),
                     row.get("collective_count", 0))


@functools.cache
def _campaign_files() -> dict[str, dict]:
    from processes.campaign_definition import jsonable

    return {c["code"]: jsonable(c) for c in seeding.load_campaigns()}


@functools.cache
def _unit_rows() -> dict[str, dict]:
    return {u["code"]: u for u in seeding.load_units()}


# --- nominees and minutes as the case data holds them ---------------------------------------------------------------

def person(name: str, award: str = "bang_khen_vkstc", **extra) -> dict:
    return {"kind": "individual", "name": name, "award_form": award, **extra}


def collective(name: str, award: str = "bang_khen_vkstc", **extra) -> dict:
    return {"kind": "collective", "name": name, "award_form": award, **extra}


def people(n: int, award: str = "bang_khen_vkstc", **extra) -> list[dict]:
    return [person(f"Cá nhân {i + 1}", award, **extra) for i in range(n)]


def teams(n: int, award: str = "bang_khen_vkstc", **extra) -> list[dict]:
    return [collective(f"Tập thể {i + 1}", award, **extra) for i in range(n)]


def minutes(*votes: tuple[str, int], total: int = 9, present: int = 8) -> dict:
    """The meeting's figures with `votes` as (nominee name, votes for) pairs; the rest of those present against."""
    return {"members_total": total, "members_present": present,
            "votes": [{"nominee": name, "votes_for": n, "votes_against": present - n} for name, n in votes]}


def all_for(nominees: list[dict], total: int = 9, present: int = 8) -> dict:
    """Minutes where every member present voted for every nominee."""
    return minutes(*[(n["name"], present) for n in nominees], total=total, present=present)


def messages(violations) -> list[str]:
    return [v.message for v in violations]


def shown(response) -> str:
    """A page's text as the user reads it (entities such as &#39; and &amp; decoded): refusals assert on this."""
    import html

    return html.unescape(response.get_data(as_text=True))


# --- cases arranged with the core verbs, without HTTP (tests that take the `session` fixture) -----------------------

QB = "qb-1532-2024"
MEETING = {"meeting_date": "2024-08-19", "meeting_place": "Phòng họp", "chair": "Lê Văn Hùng",
           "secretary_name": "Phạm Thị Lan"}
SUBMISSION = {"submission_number": "15/TTr-VKS", "submission_date": "2024-08-20", "signer_name": "Lê Văn Hùng",
              "signer_title": "Viện trưởng"}


def user(session, username: str):
    from sqlalchemy import select

    from processes.models import User

    return session.scalar(select(User).where(User.username == username))


def ids_of(session, campaign_code: str, unit_code: str) -> tuple[int, int]:
    from sqlalchemy import select

    from processes.models import Campaign, Unit

    return (session.scalar(select(Campaign.id).where(Campaign.code == campaign_code)),
            session.scalar(select(Unit.id).where(Unit.code == unit_code)))


def start(session, unit_code: str, campaign_code: str = QB):
    """The unit's case started by its staff member (processes.cases.start_case)."""
    from processes import cases

    return cases.start_case(session, user(session, f"{unit_code}.canbo"), *ids_of(session, campaign_code, unit_code))


def complete(session, case, username: str, data: dict, bpmn_id: str | None = None):
    """`username` completes the case's open task (the one with `bpmn_id` when several are open)."""
    from sqlalchemy import select

    from processes import cases
    from processes.models import OpenTask

    query = select(OpenTask.id).where(OpenTask.case_id == case.id)
    if bpmn_id:
        query = query.where(OpenTask.bpmn_id == bpmn_id)
    return cases.complete_task(session, user(session, username), session.scalar(query.order_by(OpenTask.id)), data)


def claim_failing_once(session, monkeypatch, fail):
    """Đồng Hới's staff claims the task of a new case while the claim's body, the first time, does its work and then
    `fail(tx)` raises (a lost race, a dropped connection): what the executor's retry leaves. Returns the claimant's
    and the task's assignee ids, how many times the body ran and how many task_claimed rows the trail holds."""
    from types import SimpleNamespace

    from sqlalchemy import func, select

    from processes import cases
    from processes.models import AuditEvent, OpenTask

    case = start(session, "vks-qb-dong-hoi")
    task_id = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case.id))
    real, calls = cases.ClaimTask.run, []

    def failing_once(self, tx, locked):
        calls.append(1)
        result = real(self, tx, locked)  # the work is done, then the failure: it must all roll back
        if len(calls) == 1:
            fail(tx)
        return result

    monkeypatch.setattr(cases.ClaimTask, "run", failing_once)
    staff = user(session, "vks-qb-dong-hoi.canbo")
    claimed = cases.claim_task(session, staff, task_id)
    claims = session.scalar(select(func.count()).select_from(AuditEvent)
                            .where(AuditEvent.task_id == task_id, AuditEvent.action == "task_claimed"))
    return SimpleNamespace(staff_id=staff.id, assignee_id=claimed.assignee_id, runs=len(calls), claims=claims)


SUMMARY = "Số hóa toàn bộ hồ sơ vụ án từ 01/2024, giảm 30% thời gian tra cứu."


def registered(nominee: dict) -> dict:
    """A nominee row as the registration form requires it: with its summary, achievement title and report."""
    return reported({"achievement_summary": SUMMARY, **nominee})


def to_the_head(session, unit_code: str, nominees: list[dict], votes: dict | None = None, campaign_code: str = QB):
    """Started, registered (each nominee with its report), minutes recorded (`votes`, default all for) and approved
    by the council: the case waits on the unit head's submission."""
    case = start(session, unit_code, campaign_code)
    complete(session, case, f"{unit_code}.canbo", {"nominees": [registered(n) for n in nominees]})
    complete(session, case, f"{unit_code}.thuky", {**MEETING, **(votes or all_for(nominees))})
    return complete(session, case, f"{unit_code}.hoidong", {"council_decision": "approve"})


def submitted(session, unit_code: str, nominees: list[dict], votes: dict | None = None, campaign_code: str = QB):
    """… and submitted by the head (the `dossier` check passed, its nominees in the round's registry)."""
    case = to_the_head(session, unit_code, nominees, votes, campaign_code)
    return complete(session, case, f"{unit_code}.thutruong", SUBMISSION)


def refusal(session, case, checks: str, data: dict) -> list[str]:
    """The messages of the rules `checks` refuses on the case's data with `data` merged in ([] when they pass), run
    in one transaction as the completing step runs them: a refusal rolls back what the checks wrote."""
    from processes.db import unit_of_work
    from processes.rules import RulesBroken, enforce

    try:
        with unit_of_work(session):
            enforce(session, case, checks, data)
    except RulesBroken as broken:
        return [v.message for v in broken.violations]
    return []
