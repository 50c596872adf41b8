"""A living demo: beside the seed campaigns exactly as their documents state them (all of whose deadlines have long
passed), current rounds — copies whose dates are moved so that the deadline lies a few weeks after the day the demo
is seeded — and sample cases at every stage, so that a newcomer, a staff member and a supervisor each see a
working system on their first sign-in.

Only the demo's `seed-demo` command calls this (the tests' databases hold the seed campaigns alone). Every case is
moved by the same verbs the pages call, as the people whose accounts the demo seeds; nothing is written around them.
Idempotent: a round or a sample case that exists is left as users left it."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import campaign_admin, campaign_definition, cases, clock
from .campaign_admin import SHIFTED_DATES
from .models import Campaign, Case, OpenTask, Unit, User

CURRENT_SUFFIX = "-hien-hanh"
WEEKS_AHEAD = 3
#: The seed campaigns that get a current round (the Quảng Bình round carries the sample cases).
CURRENT_OF = ("qb-1532-2024", "th-cds-2024", "dn-cds-tong-ket-2025")  # those with a deadline
SAMPLE_ROUND = "qb-1532-2024" + CURRENT_SUFFIX
PAST_SAMPLE_ROUND = "qb-1532-2024"  # the 2024 round itself: one dossier decided as it could have been, one late
DECIDED_UNIT, LATE_UNIT = "vks-qb-minh-hoa", "vks-qb-tuyen-hoa"
# On the 2024 round's own calendar (naive UTC, 08:00 in Việt Nam): the unit's steps inside the round, the province's
# upward submission after the units' deadline (23/8/2024), the supreme decision in October.
IN_ROUND, AFTER_UNITS, DECIDED_ON = (dt.datetime(2024, 8, 19, 1), dt.datetime(2024, 8, 26, 1),
                                     dt.datetime(2024, 10, 10, 1))

REPORT = {"result": "Triển khai phần mềm quản lý án, số hoá 100% hồ sơ kiểm sát án hình sự.",
          "problem_solved": "Khắc phục việc theo dõi thời hạn tố tụng thủ công, dễ sót hạn.",
          "effect": "Giảm 30% thời gian tra cứu hồ sơ, không để án quá hạn.",
          "resources": "Kinh phí của đơn vị, 02 cán bộ kỹ thuật.", "in_use_since": "2024-01-15"}


def _nominee(name: str, position: str, award: str = "bang_khen_vkstc") -> dict:
    return {"kind": "individual", "name": name, "position": position, "award_form": award,
            "achievement_title": f"Chuyển đổi số trong công tác kiểm sát của {name}",
            "achievement_summary": "Số hoá toàn bộ hồ sơ vụ án từ 01/2024, giảm 30% thời gian tra cứu.",
            "report": REPORT}


def _minutes(nominees: list[dict]) -> dict:
    return {"meeting_date": clock.to_local(clock.now()).date().isoformat(), "meeting_place": "Phòng họp cơ quan",
            "chair": "Thủ trưởng đơn vị", "secretary_name": "Thư ký Hội đồng", "members_total": 9,
            "members_present": 8,
            "votes": [{"nominee": n["name"], "votes_for": 8, "votes_against": 0} for n in nominees]}


def _submission(number: str) -> dict:
    return {"submission_number": number, "submission_date": clock.to_local(clock.now()).date().isoformat(),
            "signer_name": "Thủ trưởng đơn vị", "signer_title": "Viện trưởng"}


@dataclass(frozen=True)
class Sample:
    """One unit's case in the current Quảng Bình round, and how far it goes."""
    unit: str
    stage: str  # "opened" | "registered" | "returned" | "submitted" | "sent_back"
    nominee: str


SAMPLES = (
    Sample("vks-qb-dong-hoi", "opened", ""),
    Sample("vks-qb-le-thuy", "registered", "Hoàng Văn Nam"),
    Sample("vks-qb-ba-don", "returned", "Nguyễn Thị Hoa"),
    Sample("vks-qb-bo-trach", "submitted", "Trần Văn Lợi"),
    Sample("vks-qb-quang-trach", "sent_back", "Phạm Thị Mai"),
)


def seed(session: Session) -> tuple[int, int]:
    """Current rounds and sample cases, whatever is missing of them. Returns (rounds added, cases added)."""
    admin = session.scalar(select(User).where(User.is_admin.is_(True)).order_by(User.id).limit(1))
    rounds = sum(1 for code in CURRENT_OF if _current_round(session, admin, code))
    return rounds, _sample_cases(session)


def _current_round(session: Session, admin: User, code: str) -> bool:
    source = session.scalar(select(Campaign).where(Campaign.code == code))
    if source is None or source.deadline is None:
        return False
    if session.scalar(select(Campaign.id).where(Campaign.code == code + CURRENT_SUFFIX)) is not None:
        return False
    today = clock.to_local(clock.now()).date()
    shift = (today + dt.timedelta(weeks=WEEKS_AHEAD)) - source.deadline
    definition = campaign_definition.definition_of(source.details)
    for key in SHIFTED_DATES:
        if definition.get(key):
            definition[key] = (dt.date.fromisoformat(str(definition[key])) + shift).isoformat()
    definition.pop("deadline_text", None)  # the seed's own words name the old day
    definition["code"] = code + CURRENT_SUFFIX
    definition["name"] = f"{definition['name']} — đợt hiện hành (dữ liệu minh hoạ)"
    campaign_admin.create_campaign(session, admin, definition)
    if code == PAST_SAMPLE_ROUND:
        _past_round_samples(session, source)
    if source.deadline < today and source.status == "open":
        # its round is over: new cases go to the current round (an administrator may reopen it for practice)
        campaign_admin.close_campaign(session, admin, source.id)
    return True


def _sample_cases(session: Session) -> int:
    campaign = session.scalar(select(Campaign).where(Campaign.code == SAMPLE_ROUND))
    if campaign is None:
        return 0
    added = 0
    for sample in SAMPLES:
        unit = session.scalar(select(Unit).where(Unit.code == sample.unit))
        if unit is None or session.scalar(select(Case.id).where(Case.campaign_id == campaign.id,
                                                                Case.unit_id == unit.id)) is not None:
            continue
        _run(session, campaign, unit, sample)
        added += 1
    return added


def _user(session: Session, username: str) -> User:
    return session.scalar(select(User).where(User.username == username))


def _do(session: Session, case: Case, username: str, bpmn_id: str, data: dict) -> None:
    task_id = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case.id, OpenTask.bpmn_id == bpmn_id))
    cases.complete_task(session, _user(session, username), task_id, data)


def _run(session: Session, campaign: Campaign, unit: Unit, sample: Sample) -> None:
    code = unit.code
    case = cases.start_case(session, _user(session, f"{code}.canbo"), campaign.id, unit.id)
    if sample.stage == "opened":
        return
    nominees = [_nominee(sample.nominee, f"Kiểm sát viên, {unit.name}")]
    _do(session, case, f"{code}.canbo", "register_nominees", {"nominees": nominees})
    if sample.stage == "registered":
        return
    _do(session, case, f"{code}.thuky", "record_minutes", _minutes(nominees))
    _do(session, case, f"{code}.hoidong", "council_review", {"council_decision": "approve"})
    if sample.stage == "returned":  # the head sends the list back to the staff, saying why
        _do(session, case, f"{code}.thutruong", "submit_dossier", {
            "head_decision": "return", "return_to": "nominees",
            "head_reason": "Bổ sung ngày sinh và chức vụ đầy đủ của người được đề nghị."})
        return
    _do(session, case, f"{code}.thutruong", "submit_dossier", _submission(f"{sample.unit[-3:].upper()}/TTr-VKS"))
    if sample.stage == "sent_back":  # the province asks for a document
        _do(session, case, "vks-quang-binh.tdkt", "provincial_check", {
            "check_decision": "return", "return_to": "documents",
            "check_reason": "Thiếu bản xác nhận của thủ trưởng trên báo cáo thành tích."})


def _past_round_samples(session: Session, campaign: Campaign) -> None:
    """In the seed round itself: Minh Hóa's dossier taken through the province and the supreme level to a decision
    on the round's own dates, and Tuyên Hóa's case opened today, long after the deadline (the late path)."""
    unit = session.scalar(select(Unit).where(Unit.code == DECIDED_UNIT))
    late = session.scalar(select(Unit).where(Unit.code == LATE_UNIT))
    if unit is None or late is None:
        return
    real = clock.set_clock(clock.ShiftedClock(IN_ROUND))
    try:
        _decided_case(session, campaign, unit)
    finally:
        clock.set_clock(real)
    cases.start_case(session, _user(session, f"{LATE_UNIT}.canbo"), campaign.id, late.id)


def _decided_case(session: Session, campaign: Campaign, unit: Unit) -> Case:
    code, nominee = unit.code, _nominee("Lê Thị Thu", f"Kiểm sát viên, {unit.name}")
    case = cases.start_case(session, _user(session, f"{code}.canbo"), campaign.id, unit.id)
    _do(session, case, f"{code}.canbo", "register_nominees", {"nominees": [nominee]})
    _do(session, case, f"{code}.thuky", "record_minutes", _minutes([nominee]))
    _do(session, case, f"{code}.hoidong", "council_review", {"council_decision": "approve"})
    _do(session, case, f"{code}.thutruong", "submit_dossier", _submission("12/TTr-VKS"))
    _do(session, case, "vks-quang-binh.tdkt", "provincial_check", {"check_decision": "accept"})
    parent = session.scalar(select(Case).where(Case.campaign_id == campaign.id, Case.kind == "consolidation"))
    candidates = [{**{k: c.get(k) for k in ("case_id", "unit", "kind", "name", "position", "award_form",
                                            "achievement_summary") if c.get(k) is not None},
                   "votes_for": 8, "selected": True} for c in parent.data.get("candidates") or []]
    _do(session, parent, "vks-quang-binh.hoidong", "select_nominees", {
        "meeting_date": "2024-08-21", "meeting_place": "Phòng họp VKSND tỉnh Quảng Bình", "members_total": 9,
        "members_present": 8, "candidates": candidates})
    clock.set_clock(clock.ShiftedClock(AFTER_UNITS))
    _do(session, parent, "vks-quang-binh.thutruong", "submit_upward", _submission("120/TTr-VKSQB"))
    _do(session, parent, "vkstc.tdkt", "supreme_check", {"check_decision": "accept"})
    clock.set_clock(clock.ShiftedClock(DECIDED_ON))
    _do(session, parent, "vkstc.tdkt", "supreme_decision", {
        "decision_number": "1234/QĐ-VKSTC", "decision_date": "2024-10-10",
        "decision_authority": "Viện trưởng VKSND tối cao",
        "awards": [{"nominee": c["name"], "award_form": c["award_form"], "awarded": True, "case_id": c["case_id"]}
                   for c in candidates]})
    return case
