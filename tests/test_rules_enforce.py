"""The rules a step enforces, on cases arranged with the core verbs in the seeded test database (both backends), without
HTTP: the unit head's `dossier` check (quotas, voting rule, eligibility, and the round's registry it writes), the
receiving level's `acceptance` re-check, and on the consolidation case the council's `selection` and the
consolidated submission (`consolidation`). Each refusal is asserted by the messages the user is shown."""
import datetime as dt

from sqlalchemy import insert, select, update

from processes import clock
from processes.db import unit_of_work
from processes.models import Case, Nomination
from processes.rules import CHECKS
from tests.factories import (achievement_of, all_for, collective, complete, messages, minutes, person,
                             refusal, registered, start, submitted, teams)

BK = "Bằng khen của Viện trưởng VKSND tối cao"
THUY, DONG_HOI_TEAM = person("Trần Thị Thủy"), collective("VKSND thành phố Đồng Hới")
DONG_HOI, LE_THUY = "Viện kiểm sát nhân dân thành phố Đồng Hới", "Viện kiểm sát nhân dân huyện Lệ Thủy"


def dossier(*nominees, votes=None) -> dict:
    """What the unit head's submission checks: the registered nominees and the minutes (default: all in favour)."""
    rows = [registered(n) for n in nominees]
    return {"nominees": rows, **(votes or all_for(rows))}


def registry(session, case) -> list[tuple[str, str, str]]:
    return [(n.nominee_key, n.achievement_key, n.award_form) for n in session.scalars(
        select(Nomination).where(Nomination.case_id == case.id).order_by(Nomination.id))]


# --- the unit head's dossier ---------------------------------------------------------------------------------------

def test_a_dossier_within_the_rules_passes_and_its_nominees_are_registered(session):
    case = start(session, "vks-qb-dong-hoi")
    assert refusal(session, case, "dossier", dossier(THUY, DONG_HOI_TEAM)) == []
    assert registry(session, case) == [
        ("individual:trần thị thủy", "chuyển đổi số trong công tác kiểm sát của trần thị thủy", "bang_khen_vkstc"),
        ("collective:vksnd thành phố đồng hới", "chuyển đổi số trong công tác kiểm sát của vksnd thành phố đồng hới",
         "bang_khen_vkstc")]


def test_a_refused_dossier_names_every_broken_rule_and_registers_nothing(session):
    case = start(session, "vks-qb-dong-hoi")
    rows = teams(4) + [{**THUY, "under_discipline": True}]
    assert refusal(session, case, "dossier", dossier(*rows, votes=all_for(rows, present=5))) == [
        f"Hạn mức {BK} của cả phong trào: tối đa 3 tập thể, đã đề nghị 4.",  # the round's total: 3 collectives
        "Cuộc họp không đủ số thành viên: cần ít nhất 66.67% số thành viên, có mặt 5/9 (55.56%).",
        "«Trần Thị Thủy» đang bị xử lý kỷ luật: không đủ điều kiện đề nghị khen thưởng (tiêu chuẩn của phong trào: "
        "«Nội bộ đoàn kết, có kỷ cương, kỷ luật; không có cán bộ vi phạm bị xử lý kỷ luật hoặc đang xem xét xử lý "
        "kỷ luật»).",
    ]
    assert registry(session, case) == []


def test_the_minutes_must_carry_each_nominee_s_approval(session):
    case = start(session, "vks-qb-dong-hoi")
    assert refusal(session, case, "dossier", dossier(THUY, DONG_HOI_TEAM, votes=minutes(
        ("Trần Thị Thủy", 8), ("VKSND thành phố Đồng Hới", 4)))) == [
        f"«VKSND thành phố Đồng Hới» ({BK}) được 4/8 phiếu đồng ý (50%), cần trên 50% số thành viên có mặt."]
    assert refusal(session, case, "dossier", dossier(THUY, DONG_HOI_TEAM, votes=minutes(
        ("Trần Thị Thủy", 8), ("VKSND thành phố Đồng Hới", 5)))) == []


# --- the same nominee and achievement from two units of the round (the registry) ------------------------------------

def already_nominated(name: str, unit: str = DONG_HOI) -> str:
    return (f"«{name}» đã được {unit} đề nghị {BK} cho cùng thành tích «Chuyển đổi số trong công tác kiểm sát của "
            f"{name}» trong đợt khen thưởng này: một thành tích chỉ được đề nghị khen thưởng một lần.")


def test_a_second_unit_cannot_nominate_the_same_achievement(session):
    first = start(session, "vks-qb-dong-hoi")
    assert refusal(session, first, "dossier", dossier(person("Trần Thị Thủy", birth_date="1985-03-12"))) == []

    second = start(session, "vks-qb-le-thuy")
    again = [person("Trần Thị Thủy", birth_date="1985-03-12"),  # the same person and achievement: refused
             person("Trần Thị Thủy", birth_date="1990-01-01"),  # a namesake (another date of birth): another person
             person("Hoàng Văn Nam", achievement_title=achievement_of("Trần Thị Thủy"))]  # another person
    with_votes = dossier(*again, votes=minutes(("Trần Thị Thủy", 8), ("Hoàng Văn Nam", 8)))
    assert refusal(session, second, "dossier", with_votes) == [already_nominated("Trần Thị Thủy")]
    assert registry(session, second) == []
    assert refusal(session, second, "dossier", {**with_votes, "nominees": with_votes["nominees"][1:]}) == []


def test_a_dossier_closed_unsent_frees_its_nominees(session):
    first = start(session, "vks-qb-dong-hoi")
    assert refusal(session, first, "dossier", dossier(THUY)) == []
    second = start(session, "vks-qb-le-thuy")
    assert refusal(session, second, "dossier", dossier(THUY)) == [already_nominated("Trần Thị Thủy")]
    with unit_of_work(session):  # as if the receiving level had closed it: not submitted
        session.execute(update(Case).where(Case.id == first.id).values(status="not_submitted"))
    assert refusal(session, second, "dossier", dossier(THUY)) == []


def test_a_dossier_submitted_again_replaces_its_registration(session):
    first = start(session, "vks-qb-dong-hoi")
    assert refusal(session, first, "dossier", dossier(THUY)) == []
    assert refusal(session, first, "dossier", dossier(person("Nguyễn Văn An"))) == []  # after a return, say
    assert [key for key, _, _ in registry(session, first)] == ["individual:nguyễn văn an"]
    assert refusal(session, start(session, "vks-qb-le-thuy"), "dossier", dossier(THUY)) == []


# --- the receiving level's acceptance --------------------------------------------------------------------------------

def test_the_receiving_level_checks_the_quota_again_when_it_accepts(session, amend_campaign):
    case = start(session, "vks-qb-dong-hoi")
    data = dossier(THUY, DONG_HOI_TEAM)
    assert refusal(session, case, "dossier", data) == []
    assert refusal(session, case, "acceptance", {**data, "check_decision": "accept"}) == []
    # meanwhile the campaign is amended: one individual per unit, no collective
    amend_campaign(quota=[{"award_form": "bang_khen_vkstc", "kind": "count", "scope": "each_unit", "collectives": 0,
                           "individuals": 1}])
    session.refresh(case.campaign)
    assert refusal(session, case, "acceptance", {**data, "check_decision": "accept"}) == [
        f"Hạn mức {BK} của {DONG_HOI}: tối đa 0 tập thể, đã đề nghị 1."]
    assert refusal(session, case, "acceptance", {**data, "check_decision": "return"}) == []  # a return is not held


def test_at_acceptance_the_dossier_registered_first_stands(session):
    first, second = start(session, "vks-qb-dong-hoi"), start(session, "vks-qb-le-thuy")
    data = {**dossier(THUY), "check_decision": "accept"}
    row = {"campaign_id": first.campaign_id, "nominee_key": "individual:trần thị thủy", "nominee_name": "Trần Thị Thủy",
           "achievement_key": "chuyển đổi số trong công tác kiểm sát của trần thị thủy",
           "award_form": "bang_khen_vkstc", "created_at": clock.now()}
    with unit_of_work(session):  # both registered, Đồng Hới's first
        session.execute(insert(Nomination), [{**row, "case_id": first.id, "unit_id": first.unit_id},
                                             {**row, "case_id": second.id, "unit_id": second.unit_id}])
    assert refusal(session, first, "acceptance", data) == []
    assert refusal(session, second, "acceptance", data) == [already_nominated("Trần Thị Thủy")]


# --- the consolidation case: the council's selection and the consolidated submission ---------------------------------

NAM = person("Hoàng Văn Nam")
AFTER_UNITS_DEADLINE = dt.datetime(2024, 8, 26, 1, 0)  # 08:00 on 26/08/2024, after "ngày 23/8/2024"


def accepted(session, unit_code, nominees) -> Case:
    """The unit's dossier submitted and accepted by VKSND tỉnh Quảng Bình: forwarded to the consolidation case."""
    case = submitted(session, unit_code, nominees)
    return complete(session, case, "vks-quang-binh.tdkt", {"check_decision": "accept"}, "provincial_check")


def consolidation(session) -> Case:
    return session.scalar(select(Case).where(Case.kind == "consolidation").execution_options(populate_existing=True))


def selection(candidates, votes: dict[str, int], present=8, total=9) -> dict:
    """The council's form: the forwarded candidates as they are, those in `votes` ticked with their votes for."""
    return {"members_total": total, "members_present": present,
            "candidates": [{**c, "votes_for": votes.get(c["name"], 2), "selected": c["name"] in votes}
                           for c in candidates]}


def chosen(candidates, *names) -> list[dict]:
    return [c for c in candidates if c["name"] in names]


def test_the_council_selects_among_the_forwarded_nominees_as_they_are_by_the_voting_rule(session):
    accepted(session, "vks-qb-dong-hoi", [THUY, DONG_HOI_TEAM])
    accepted(session, "vks-qb-le-thuy", [NAM])
    parent = consolidation(session)
    candidates = parent.data["candidates"]
    assert [(c["unit"], c["name"]) for c in candidates] == [
        (DONG_HOI, "Trần Thị Thủy"), (DONG_HOI, "VKSND thành phố Đồng Hới"), (LE_THUY, "Hoàng Văn Nam")]

    def check(data):
        return messages(CHECKS["selection"](session, parent, data))

    assert check(selection(candidates, {"Trần Thị Thủy": 7, "Hoàng Văn Nam": 5})) == []
    assert check(selection(candidates, {})) == ["Hội đồng chưa chọn trường hợp nào để trình lên trung ương."]
    assert check(selection(candidates, {"Trần Thị Thủy": 7, "Hoàng Văn Nam": 4})) == [
        f"«Hoàng Văn Nam» ({BK}) được 4/8 phiếu đồng ý (50%), cần trên 50% số thành viên có mặt."]
    assert check(selection(candidates, {"Trần Thị Thủy": 5}, present=5)) == [
        "Cuộc họp không đủ số thành viên: cần ít nhất 66.67% số thành viên, có mặt 5/9 (55.56%)."]
    # the rows are the units' dossiers as forwarded: a changed form or an unknown nominee is refused
    changed = selection(candidates, {"Trần Thị Thủy": 8})
    changed["candidates"][0] = {**changed["candidates"][0], "award_form": "giay_khen_thu_truong"}
    changed["candidates"].append({"case_id": candidates[0]["case_id"], "unit": DONG_HOI, "kind": "individual",
                                  "name": "Người Ngoài", "award_form": "bang_khen_vkstc", "votes_for": 8})
    assert check(changed) == [
        "«Trần Thị Thủy»: hình thức hoặc đối tượng khen thưởng khác với hồ sơ của đơn vị.",
        "«Người Ngoài» không có trong các hồ sơ đơn vị đã được tiếp nhận."]


def test_the_campaign_quotas_bind_the_selection_and_its_minimum_the_consolidated_dossier(session, amend_campaign):
    accepted(session, "vks-qb-dong-hoi", [THUY, DONG_HOI_TEAM])
    accepted(session, "vks-qb-le-thuy", [NAM, person("Lê Văn Bình")])
    parent = consolidation(session)
    candidates = parent.data["candidates"]
    # what the receiving level may pass on: no collective, and (001 §III.5.3's "Toàn ngành lựa chọn 02-03 … cá
    # nhân", narrowed) exactly two individuals upward
    amend_campaign(quota=[
        {"award_form": "bang_khen_vkstc", "kind": "count", "scope": "campaign", "collectives": 0,
         "source": "Không đề nghị tập thể."},
        {"award_form": "bang_khen_vkstc", "kind": "branch_range", "scope": "campaign", "for_kinds": ["individual"],
         "min": 2, "max": 2, "source": "Toàn ngành lựa chọn 02 cá nhân."}])
    session.refresh(parent.campaign)
    clock.set_clock(clock.ShiftedClock(AFTER_UNITS_DEADLINE))  # no unit left to wait for; the fixture resets it

    def select_(**votes):
        return messages(CHECKS["selection"](session, parent, selection(candidates, votes)))

    def send(*names):
        return messages(CHECKS["consolidation"](session, parent, {"nominees": chosen(candidates, *names)}))

    assert select_(**{"Trần Thị Thủy": 8, "VKSND thành phố Đồng Hới": 8}) == [
        f"Hạn mức {BK} của cả phong trào: tối đa 0 tập thể, đã đề nghị 1."]
    assert select_(**{"Trần Thị Thủy": 8, "Hoàng Văn Nam": 8, "Lê Văn Bình": 8}) == [
        f"Hạn mức {BK} của cả phong trào: tối đa 2 cá nhân, đã đề nghị 3."]
    assert select_(**{"Trần Thị Thủy": 8}) == []  # the minimum does not bind the selection …
    assert send("Trần Thị Thủy") == [  # … but the consolidated dossier
        f"Hạn mức {BK} của cả phong trào: từ 2 đến 2 cá nhân, đã chọn 1."]
    assert send("Trần Thị Thủy", "Hoàng Văn Nam") == []
    # the supreme level's acceptance checks the same, on what it received
    assert messages(CHECKS["acceptance"](session, parent, {"check_decision": "accept",
                                                           "nominees": chosen(candidates, "Hoàng Văn Nam")})) == [
        f"Hạn mức {BK} của cả phong trào: từ 2 đến 2 cá nhân, đã chọn 1."]


def test_the_consolidated_dossier_waits_for_the_units_until_their_deadline_and_for_every_check(session):
    dong_hoi = accepted(session, "vks-qb-dong-hoi", [THUY])
    parent = consolidation(session)
    submitted(session, "vks-qb-le-thuy", [NAM])  # awaiting the province's check
    nominees = chosen(parent.data["candidates"], "Trần Thị Thủy")
    found = messages(CHECKS["consolidation"](session, parent, {"nominees": nominees}))
    assert found[0] == ("Chưa thể trình lên: Hồ sơ của Viện kiểm sát nhân dân huyện Lệ Thủy đang chờ cấp nhận hồ sơ "
                        "xử lý («Cấp tỉnh kiểm tra hồ sơ»).")
    assert found[1].startswith("Chưa thể trình lên: Chưa hết hạn nộp hồ sơ của các đơn vị (23/08/2024) và còn 11 "
                               "đơn vị chưa hoàn tất: ")
    assert DONG_HOI not in found[1] and LE_THUY in found[1]  # Đồng Hới's is with the province already
    assert len(found) == 2

    clock.set_clock(clock.ShiftedClock(AFTER_UNITS_DEADLINE))
    assert messages(CHECKS["consolidation"](session, parent, {"nominees": nominees})) == [found[0]]
    le_thuy = session.scalar(select(Case).where(Case.kind == "unit", Case.id != dong_hoi.id))
    complete(session, le_thuy, "vks-quang-binh.tdkt", {"check_decision": "accept"}, "provincial_check")
    assert CHECKS["consolidation"](session, parent, {"nominees": nominees}) == []
