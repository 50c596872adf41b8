"""Every kind of quota of the campaign files, over and within the limit, as pure calls: the quotas of
processes/seed_data/campaigns/*.toml (as seeded into `campaigns.details`) against the seeded units' facts. No
database; the wiring to the unit head's submission is in test_rules_enforce.py and test_rules_http.py."""
from processes.rules.quotas import campaign_violations, unit_violations
from tests.factories import campaign_details, collective, messages, people, round_details, teams, unit_facts

BK = "Bằng khen của Viện trưởng VKSND tối cao"
BK_TINH = "bang_khen_ubnd_tinh"
BK_TINH_NAME = "Bằng khen của Chủ tịch UBND tỉnh"
DONG_HOI = unit_facts("vks-qb-dong-hoi")  # 20 staff, no collectives declared
DA_NANG = unit_facts("vks-da-nang")  # 85 staff, 17 collectives

# 001 §III.5.2: "Mỗi đơn vị lựa chọn đề nghị không quá 03 tập thể và 04 cá nhân"
VKSTC_COUNT = campaign_details("vkstc-dmst-2025-2027")["quota"]
# 001, the yearly round: ≤ 10% of the unit's collectives, ≤ 5% of its staff
VKSTC_PERCENT = round_details("vkstc-dmst-2025-2027", "vkstc-dmst-hang-nam")["quota"]
# 001, the 2030 review: the branch selects 2–3 collectives and 2–3 individuals for state awards
VKSTC_RANGE = round_details("vkstc-dmst-2025-2027", "vkstc-dmst-tong-ket-2030")["quota"]
TH_CDS = campaign_details("th-cds-2024")["quota"]  # 004 §III.4.a
QB = campaign_details("qb-1532-2024")["quota"]  # 3 collectives and 4 individuals for the whole round


# --- count -----------------------------------------------------------------------------------------------------------

def test_count_takes_three_collectives_and_four_individuals_per_unit():
    assert unit_violations(VKSTC_COUNT, DONG_HOI, teams(3) + people(4)) == []
    assert unit_violations(VKSTC_COUNT, DONG_HOI, teams(9, "giay_khen_thu_truong")) == []  # another award form


def test_count_refuses_a_fourth_collective_and_a_fifth_individual():
    assert messages(unit_violations(VKSTC_COUNT, DONG_HOI, teams(4) + people(1))) == [
        f"Hạn mức {BK} của Viện kiểm sát nhân dân thành phố Đồng Hới: tối đa 3 tập thể, đã đề nghị 4."]
    found = unit_violations(VKSTC_COUNT, DA_NANG, teams(4) + people(5))
    assert messages(found) == [
        f"Hạn mức {BK} của Viện kiểm sát nhân dân thành phố Đà Nẵng: tối đa 3 tập thể, đã đề nghị 4.",
        f"Hạn mức {BK} của Viện kiểm sát nhân dân thành phố Đà Nẵng: tối đa 4 cá nhân, đã đề nghị 5."]
    assert [(v.rule, v.allowed, v.submitted) for v in found] == [("quota_count", 3, 4), ("quota_count", 4, 5)]
    assert found[0].source.startswith("Các đơn vị thuộc VKSND tối cao, VKSND cấp tỉnh")


def test_a_campaign_total_one_unit_alone_exceeds_is_refused_at_its_submission():
    # Quảng Bình: the whole round passes on at most 3 collectives, so no district may propose a fourth.
    assert unit_violations(QB, DONG_HOI, teams(3) + people(4)) == []
    assert messages(unit_violations(QB, DONG_HOI, teams(4))) == [
        f"Hạn mức {BK} của cả phong trào: tối đa 3 tập thể, đã đề nghị 4."]


# --- percent ---------------------------------------------------------------------------------------------------------

def test_percent_takes_up_to_the_share_of_the_unit_s_collectives_and_staff():
    assert unit_violations(VKSTC_PERCENT, DONG_HOI, people(1)) == []  # 5% of 20 = 1
    assert unit_violations(VKSTC_PERCENT, DA_NANG, teams(1) + people(4)) == []  # 10% of 17 = 1; 5% of 85 = 4


def test_percent_refuses_more_than_the_share():
    assert messages(unit_violations(VKSTC_PERCENT, DONG_HOI, people(2))) == [
        "Hạn mức mọi hình thức khen thưởng của Viện kiểm sát nhân dân thành phố Đồng Hới: không quá 5% của 20 công "
        "chức, viên chức, người lao động = tối đa 1 cá nhân, đã đề nghị 2."]
    assert messages(unit_violations(VKSTC_PERCENT, DA_NANG, teams(2, "giay_khen_thu_truong") + people(5))) == [
        "Hạn mức mọi hình thức khen thưởng của Viện kiểm sát nhân dân thành phố Đà Nẵng: không quá 10% của 17 tập "
        "thể = tối đa 1 tập thể, đã đề nghị 2.",
        "Hạn mức mọi hình thức khen thưởng của Viện kiểm sát nhân dân thành phố Đà Nẵng: không quá 5% của 85 công "
        "chức, viên chức, người lao động = tối đa 4 cá nhân, đã đề nghị 5."]


def test_percent_of_no_declared_collectives_allows_none_and_says_why():
    assert messages(unit_violations(VKSTC_PERCENT, DONG_HOI, teams(1))) == [
        "Hạn mức mọi hình thức khen thưởng của Viện kiểm sát nhân dân thành phố Đồng Hới: không quá 10% của 0 tập "
        "thể = tối đa 0 tập thể, đã đề nghị 1. (Đơn vị chưa khai báo số liệu này.)"]


# --- either_or -------------------------------------------------------------------------------------------------------

def test_either_or_takes_one_collective_or_one_individual():
    so_noi_vu = unit_facts("so-noi-vu-thanh-hoa")
    assert unit_violations(TH_CDS, so_noi_vu, teams(1, BK_TINH)) == []
    assert unit_violations(TH_CDS, so_noi_vu, people(1, BK_TINH)) == []


def test_either_or_refuses_both_kinds_together_and_a_second_of_one_kind():
    so_noi_vu = unit_facts("so-noi-vu-thanh-hoa")
    assert messages(unit_violations(TH_CDS, so_noi_vu, teams(1, BK_TINH) + people(1, BK_TINH))) == [
        f"Hạn mức {BK_TINH_NAME} của Sở Nội vụ tỉnh Thanh Hóa: 1 tập thể hoặc 1 cá nhân (không đồng thời cả hai), đã "
        "đề nghị 1 tập thể và 1 cá nhân."]
    assert messages(unit_violations(TH_CDS, so_noi_vu, people(2, BK_TINH))) == [
        f"Hạn mức {BK_TINH_NAME} của Sở Nội vụ tỉnh Thanh Hóa: 1 tập thể hoặc 1 cá nhân (không đồng thời cả hai), đã "
        "đề nghị 0 tập thể và 2 cá nhân."]


def test_either_or_override_two_for_the_department_of_information_and_communications():
    so_tttt = unit_facts("so-tttt-thanh-hoa")  # "Riêng Sở Thông tin và Truyền thông … 02 tập thể hoặc 02 cá nhân"
    assert unit_violations(TH_CDS, so_tttt, people(2, BK_TINH)) == []
    assert messages(unit_violations(TH_CDS, so_tttt, teams(1, BK_TINH) + people(1, BK_TINH))) == [
        f"Hạn mức {BK_TINH_NAME} của Sở Thông tin và Truyền thông tỉnh Thanh Hóa: 2 tập thể hoặc 2 cá nhân (không "
        "đồng thời cả hai), đã đề nghị 1 tập thể và 1 cá nhân."]
    assert [(v.allowed, v.submitted) for v in unit_violations(TH_CDS, so_tttt, people(3, BK_TINH))] == [(2, 3)]


# --- per_unit_kind ---------------------------------------------------------------------------------------------------

def communes(*names):
    return [collective(f"UBND xã {name}", BK_TINH, unit_kind="people_committee", unit_level="commune")
            for name in names]


def test_per_unit_kind_takes_one_commune_beside_the_district_s_own_nominee():
    hoang_hoa = unit_facts("ubnd-hoang-hoa")
    # the district's own 1-or-1 quota does not count the commune it proposes
    assert unit_violations(TH_CDS, hoang_hoa, communes("Hoằng Lộc") + people(1, BK_TINH)) == []
    assert unit_violations(TH_CDS, unit_facts("ubnd-tp-thanh-hoa"), communes("Đông Hương", "Điện Biên")) == []


def test_per_unit_kind_refuses_a_second_commune():
    found = unit_violations(TH_CDS, unit_facts("ubnd-hoang-hoa"), communes("Hoằng Lộc", "Hoằng Phú"))
    assert messages(found) == [
        f"Hạn mức {BK_TINH_NAME} của Ủy ban nhân dân huyện Hoằng Hóa: tối đa 1 tập thể là UBND cấp xã, đã đề nghị 2."]
    assert found[0].rule == "quota_per_unit_kind"
    assert messages(unit_violations(TH_CDS, unit_facts("ubnd-tp-thanh-hoa"), communes("A", "B", "C"))) == [
        f"Hạn mức {BK_TINH_NAME} của Ủy ban nhân dân thành phố Thanh Hóa: tối đa 2 tập thể là UBND cấp xã, đã đề "
        "nghị 3."]  # the city: two


def test_per_unit_kind_counts_a_collective_whose_level_is_left_blank():
    # kind and level are optional on the form: a UBND xã typed without its level is still a commune
    blank = [collective("UBND xã Hoằng Phú", BK_TINH, unit_kind="people_committee")]
    found = unit_violations(TH_CDS, unit_facts("ubnd-hoang-hoa"), communes("Hoằng Lộc") + blank)
    assert [(v.rule, v.allowed, v.submitted) for v in found] == [("quota_per_unit_kind", 1, 2)]
    # a collective said to be of another level or kind is not
    district_office = [collective("Phòng Văn hóa huyện", BK_TINH, unit_kind="department", unit_level="district")]
    assert unit_violations(TH_CDS, unit_facts("ubnd-hoang-hoa"), communes("Hoằng Lộc") + district_office) == []


# --- campaign totals for a kind of unit (what the receiving level passes on) -----------------------------------------

def test_campaign_totals_for_enterprises_and_the_press():
    viettel, vnpt = unit_facts("viettel-thanh-hoa"), unit_facts("vnpt-thanh-hoa")
    press = unit_facts("bao-thanh-hoa")
    assert campaign_violations(TH_CDS, [(viettel, teams(2, BK_TINH)), (vnpt, teams(1, BK_TINH))]) == []
    assert messages(campaign_violations(TH_CDS, [(viettel, teams(2, BK_TINH)), (vnpt, teams(2, BK_TINH))])) == [
        f"Hạn mức {BK_TINH_NAME} của cả phong trào: 3 tập thể hoặc 3 cá nhân (không đồng thời cả hai), đã đề nghị 4 "
        "tập thể và 0 cá nhân."]
    assert campaign_violations(TH_CDS, [(press, teams(1, BK_TINH))]) == []
    assert messages(campaign_violations(TH_CDS, [(press, teams(2, BK_TINH))])) == [
        f"Hạn mức {BK_TINH_NAME} của cả phong trào: tối đa 1 tập thể, đã đề nghị 2."]
    # an agency's nominees do not count against the enterprises' or the press's totals
    assert campaign_violations(TH_CDS, [(unit_facts("so-tttt-thanh-hoa"), teams(5, BK_TINH))]) == []
    # one enterprise alone cannot submit more than the whole bloc may receive
    assert messages(unit_violations(TH_CDS, viettel, teams(4, BK_TINH))) == [
        f"Hạn mức {BK_TINH_NAME} của cả phong trào: 3 tập thể hoặc 3 cá nhân (không đồng thời cả hai), đã đề nghị 4 "
        "tập thể và 0 cá nhân."]


# --- branch_range ----------------------------------------------------------------------------------------------------

STATE_AWARDS = "Huân chương Lao động, Cờ thi đua của Chính phủ, Bằng khen của Thủ tướng Chính phủ"


def test_branch_range_takes_two_to_three_of_each_kind():
    vkstc = unit_facts("vkstc")
    chosen = teams(2, "huan_chuong_ld") + teams(1, "bang_khen_ttg") + people(3, "bang_khen_ttg")
    assert campaign_violations(VKSTC_RANGE, [(vkstc, chosen)], final=True) == []
    assert campaign_violations(VKSTC_RANGE, [(vkstc, people(2, "huan_chuong_ld"))]) == []  # the minimum: only final


def test_branch_range_refuses_over_the_maximum_and_under_the_minimum_of_the_final_selection():
    vkstc = unit_facts("vkstc")
    over = campaign_violations(VKSTC_RANGE, [(vkstc, teams(2, "huan_chuong_ld") + teams(2, "co_thi_dua_cp")
                                              + people(2, "bang_khen_ttg"))], final=True)
    assert messages(over) == [f"Hạn mức {STATE_AWARDS} của cả phong trào: tối đa 3 tập thể, đã đề nghị 4."]
    assert (over[0].allowed, over[0].submitted) == (3, 4)
    assert messages(campaign_violations(VKSTC_RANGE, [(vkstc, teams(1, "huan_chuong_ld")
                                                       + people(2, "huan_chuong_ld"))], final=True)) == [
        f"Hạn mức {STATE_AWARDS} của cả phong trào: từ 2 đến 3 tập thể, đã chọn 1."]
    # the other award forms are not in the range
    assert campaign_violations(VKSTC_RANGE, [(vkstc, teams(2, "huan_chuong_ld") + people(2, "huan_chuong_ld")
                                              + teams(5, "bang_khen_vkstc"))], final=True) == []
