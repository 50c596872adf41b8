"""The council's voting rule of the campaign files — quorum of members present, approval among them, a threshold
of its own for one award form — as pure calls: what the submission refuses (voting.vote_violations) and the
figures the council's page shows before anyone submits (figures.vote_summary), which read the same tally."""
from processes.rules.figures import vote_summary
from processes.rules.voting import vote_violations
from tests.factories import campaign_details, collective, messages, minutes, person

BK = "Bằng khen của Viện trưởng VKSND tối cao"
VOTING = campaign_details("qb-1532-2024")["voting"]  # ≥ 2/3 of the members present, > 50% of those present for
THUY, TEAM = person("Trần Thị Thủy"), collective("VKSND thành phố Đồng Hới")


# --- quorum ----------------------------------------------------------------------------------------------------------

def test_two_thirds_present_is_a_quorum():
    assert vote_violations(VOTING, minutes(("Trần Thị Thủy", 6), present=6), [THUY]) == []  # 6/9 is 2/3 exactly
    summary = vote_summary(VOTING, minutes(("Trần Thị Thủy", 6), present=6), [THUY])
    assert (summary.members_present, summary.members_total, summary.attendance, summary.quorum_needed,
            summary.quorum_met) == (6, 9, "66.67%", "≥ 66.67%", True)


def test_under_two_thirds_present_is_refused():
    found = vote_violations(VOTING, minutes(("Trần Thị Thủy", 5), present=5), [THUY])
    assert messages(found) == [
        "Cuộc họp không đủ số thành viên: cần ít nhất 66.67% số thành viên, có mặt 5/9 (55.56%)."]
    assert (found[0].rule, found[0].submitted) == ("voting_quorum", 5)
    summary = vote_summary(VOTING, minutes(("Trần Thị Thủy", 5), present=5), [THUY])
    assert (summary.attendance, summary.quorum_met) == ("55.56%", False)


def test_an_impossible_attendance_is_refused():
    assert messages(vote_violations(VOTING, minutes(("Trần Thị Thủy", 10), present=10), [THUY])) == [
        "Biên bản ghi 10 thành viên có mặt trên tổng số 9: số liệu không hợp lệ."]
    assert messages(vote_violations(VOTING, minutes(total=0, present=0), [THUY])) == [
        "Biên bản ghi 0 thành viên có mặt trên tổng số 0: số liệu không hợp lệ."]
    assert vote_summary(VOTING, minutes(("Trần Thị Thủy", 10), present=10), [THUY]).valid is False


# --- approval --------------------------------------------------------------------------------------------------------

def test_more_than_half_of_those_present_in_favour_passes_and_half_is_refused():
    votes = minutes(("Trần Thị Thủy", 8), ("vksnd  THÀNH PHỐ đồng hới", 4))  # the name as the secretary typed it
    assert messages(vote_violations(VOTING, votes, [THUY, TEAM])) == [
        f"«VKSND thành phố Đồng Hới» ({BK}) được 4/8 phiếu đồng ý (50%), cần trên 50% số thành viên có mặt."]
    assert vote_violations(VOTING, minutes(("Trần Thị Thủy", 5)), [THUY]) == []  # 5/8
    summary = vote_summary(VOTING, votes, [THUY, TEAM])
    assert (summary.attendance, summary.quorum_needed, summary.quorum_met) == ("88.89%", "≥ 66.67%", True)
    assert [(n.name, n.award, n.votes_for, n.votes_against, n.share, n.needed, n.passes) for n in summary.nominees] == [
        ("Trần Thị Thủy", BK, 8, 0, "100%", "> 50%", True),
        ("VKSND thành phố Đồng Hới", BK, 4, 4, "50%", "> 50%", False)]


def test_a_nominee_without_a_vote_in_the_minutes_is_refused():
    assert messages(vote_violations(VOTING, minutes(("Trần Thị Thủy", 8)), [THUY, TEAM])) == [
        "Biên bản chưa có kết quả biểu quyết cho «VKSND thành phố Đồng Hới»."]
    assert vote_summary(VOTING, minutes(("Trần Thị Thủy", 8)), [THUY, TEAM]).nominees[1].share == "—"
    assert vote_summary(VOTING, {}, [THUY]) is None  # nothing to show before the minutes are recorded


# --- a threshold of its own for one award form -----------------------------------------------------------------------

STRICTER = {**VOTING, "by_award_form": {"bang_khen_vkstc": {"approval": 0.75, "approval_rule": "at_least"}}}
AN, ROOM = person("Nguyễn Văn An"), collective("Phòng 1 VKSND TP Đồng Hới", "giay_khen_thu_truong")


def test_the_award_form_s_own_threshold_binds_its_nominees_only():
    votes = minutes(("Trần Thị Thủy", 6), ("Nguyễn Văn An", 5), ("Phòng 1 VKSND TP Đồng Hới", 5))
    assert messages(vote_violations(STRICTER, votes, [THUY, AN, ROOM])) == [
        f"«Nguyễn Văn An» ({BK}) được 5/8 phiếu đồng ý (62.5%), cần ít nhất 75% số thành viên có mặt."]
    summary = vote_summary(STRICTER, votes, [THUY, AN, ROOM])
    assert [(n.name, n.share, n.needed, n.passes) for n in summary.nominees] == [
        ("Trần Thị Thủy", "75%", "≥ 75%", True),  # 6/8 reaches "at least 75%"
        ("Nguyễn Văn An", "62.5%", "≥ 75%", False),
        ("Phòng 1 VKSND TP Đồng Hới", "62.5%", "> 50%", True)]  # the general rule for the other form


def test_a_ninety_percent_threshold():
    voting = {**VOTING, "by_award_form": {"co_thi_dua_nganh": {"approval": 0.9, "approval_rule": "at_least"}}}
    flag = [collective("VKSND quận Hải Châu", "co_thi_dua_nganh")]
    assert vote_violations(voting, minutes(("VKSND quận Hải Châu", 9), total=10, present=10), flag) == []
    found = vote_violations(voting, minutes(("VKSND quận Hải Châu", 8), total=10, present=10), flag)
    assert [v.rule for v in found] == ["voting_approval"]
    assert found[0].message.endswith("được 8/10 phiếu đồng ý (80%), cần ít nhất 90% số thành viên có mặt.")
