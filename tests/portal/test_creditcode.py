import pytest
from django.core.exceptions import ValidationError

from portal.creditcode import ALPHABET, WEIGHTS, check_credit_code, make_credit_code
from portal.models import CreditCodeException, Organization, validate_credit_code


def test_weights_are_powers_of_three_mod_31():
    # 3^0..3^16 mod 31, computed by hand for the first few: 1, 3, 9, 27, 81-62=19, 57-31=26, 78-62=16
    assert WEIGHTS[:7] == [1, 3, 9, 27, 19, 26, 16]
    assert len(WEIGHTS) == 17


def test_alphabet_has_31_characters_without_i_o_z_s_v():
    assert len(ALPHABET) == 31
    assert not set("IOZSV") & set(ALPHABET)


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # the example of the standard
        "91110000100000000R",  # hand check below
    ],
)
def test_valid_codes_are_accepted(code):
    assert check_credit_code(code) is None


def test_hand_computed_check_character():
    # "91110000100000000?": '9' at position 1, '1' at positions 2, 3, 4 and 9, zeros elsewhere
    # weights 1, 3, 9, 27 and WEIGHTS[8] = 3^8 mod 31 = 6561 mod 31 = 20
    # sum = 9*1 + 1*3 + 1*9 + 1*27 + 1*20 = 68 ; 68 mod 31 = 6 ; check = 31 - 6 = 25 -> ALPHABET[25] = "R"
    assert make_credit_code("91110000100000000") == "91110000100000000R"
    assert check_credit_code("911100001000000006").rule == "check"


def test_wrong_check_character_names_the_expected_one():
    problem = check_credit_code("91350100M000100Y44")
    assert problem.rule == "check"
    assert "3" in problem.message and "4" in problem.message


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_forbidden_letters_are_refused(letter):
    code = "91350100M000100Y4" + letter
    problem = check_credit_code(code)
    assert problem.rule == "forbidden"
    assert letter in problem.message


def test_lowercase_is_refused_with_its_reason():
    problem = check_credit_code("91350100m000100Y43")
    assert problem.rule == "lowercase"
    assert "m" in problem.message


@pytest.mark.parametrize("code", ["", "91350100M000100Y4", "91350100M000100Y433", "9135"])
def test_wrong_lengths_are_refused(code):
    problem = check_credit_code(code)
    assert problem.rule == "length"
    assert str(len(code)) in problem.message


def test_other_characters_are_refused():
    problem = check_credit_code("91350100M000100Y-3")
    assert problem.rule == "alphabet"


def test_message_is_in_chinese_by_default():
    from django.utils import translation

    with translation.override("zh-hans"):
        assert "校验" in check_credit_code("91350100M000100Y44").message
    with translation.override("en"):
        assert "check character" in check_credit_code("91350100M000100Y44").message


@pytest.mark.django_db
def test_operator_exception_admits_a_legacy_code_but_not_other_rules():
    legacy = "91350100M0001TGQXM"  # legal early pilot code that fails the check character
    with pytest.raises(ValidationError):
        validate_credit_code(legacy)
    CreditCodeException.objects.create(code=legacy, reason="早期试点代码，经核实合法")
    validate_credit_code(legacy)  # now accepted
    # an exception never lifts the other rules
    CreditCodeException.objects.create(code="91350100M0001TGQXO", reason="x")
    with pytest.raises(ValidationError):
        validate_credit_code("91350100M0001TGQXO")


@pytest.mark.django_db
def test_organization_clean_rejects_a_bad_code(world):
    org = Organization(name="坏代码企业", kind="enterprise", region=world.zhanggong, credit_code="91350100M000100Y44")
    with pytest.raises(ValidationError) as err:
        org.full_clean()
    assert "credit_code" in err.value.message_dict
