"""The personal-data detector and masker (feedback/privacy.py), without an app."""
from __future__ import annotations

from feedback.privacy import find_personal_data, id_check_digit, is_id_number, kinds, mask

# 11010519491231002X is the standard's own example; its check digit is X.
GOOD_ID = "11010519491231002X"
BAD_ID = "110105194912310021"  # same digits, wrong check digit


def test_the_check_digit_of_the_standards_example():
    assert id_check_digit("11010519491231002") == "X"
    assert is_id_number(GOOD_ID) and is_id_number(GOOD_ID.lower())
    assert not is_id_number(BAD_ID)


def test_an_id_number_is_found_only_with_a_valid_check_digit():
    assert kinds(find_personal_data(f"身份证号{GOOD_ID}已核实")) == ["id_number"]
    assert find_personal_data(f"身份证号{BAD_ID}已核实") == []
    assert find_personal_data(f"编号9{GOOD_ID}") == []  # part of a longer number


def test_mobile_numbers_with_and_without_separators():
    for text in ("请拨打13800138000", "电话 138-0013-8000。", "+86 138 0013 8000", "8613800138000"):
        assert kinds(find_personal_data(text)) == ["mobile"], text
    assert find_personal_data("编号 12800138000") == []  # 12x is no mobile prefix
    assert find_personal_data("流水号 1380013800012") == []  # longer digit run
    assert find_personal_data("热线 0851-12345678") == []  # a landline is nobody's mobile here


def test_the_reporters_own_name_landline_and_email():
    reporter = {"name": "张三丰", "phone": "0851-8765432", "email": "Zhang@Example.com"}
    text = "张三丰同志：您反映的问题已整改，如有疑问请致电 08518765432 或回复 zhang@example.com。"
    found = find_personal_data(text, reporter)
    assert kinds(found) == ["reporter_name", "reporter_phone", "reporter_email"]
    assert [f.value for f in found] == ["张三丰", "08518765432", "zhang@example.com"]


def test_a_one_character_name_and_an_absent_reporter_find_nothing():
    assert find_personal_data("王局长已批示", {"name": "王"}) == []
    assert find_personal_data("您好，已整改。", None) == []
    assert find_personal_data("", {"name": "张三"}) == []


def test_mask_blanks_every_finding_and_any_email():
    reporter = {"name": "李四", "phone": "13912345678"}
    text = f"李四反映身份证{GOOD_ID}被公开，电话13912345678，邮箱 a.b@gov.cn。"
    assert mask(text, reporter) == "李*反映身份证1101************2X被公开，电话139****5678，邮箱 a***@gov.cn。"
    assert mask("已整改。") == "已整改。"
    assert mask(None) is None
