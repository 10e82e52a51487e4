"""Properties of the identifier validators (ID number, USCC, phone, bank card)."""
import datetime
import random

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum.cn import uscc

from wageguard.core.errors import ServiceError
from wageguard.registry.validators import validate_bank_card, validate_id_number, validate_phone, validate_uscc
from wageguard.simulate.generator import make_bank_card, make_id_number, make_uscc
from wageguard.simulate.names import NATIVE_PROVINCE_WEIGHTS

seeds = st.integers(min_value=0, max_value=2**32)
births = st.dates(min_value=datetime.date(1940, 1, 1), max_value=datetime.date(2008, 12, 31))
provinces = st.sampled_from(sorted(NATIVE_PROVINCE_WEIGHTS))
sexes = st.sampled_from(["male", "female"])


@given(seeds, provinces, births, sexes)
def test_generated_id_numbers_validate_and_normalise(seed, province, birth, sex):
    number = make_id_number(random.Random(seed), province, birth, sex)
    assert validate_id_number(number) == number
    assert validate_id_number(f" {number.lower()} ") == number  # lower-case x accepted, normalised


@given(seeds, births, st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_any_single_digit_change_is_refused(seed, birth, position, delta):
    number = make_id_number(random.Random(seed), "37", birth, "male")
    digit = (int(number[position]) + delta) % 10
    changed = number[:position] + str(digit) + number[position + 1:]
    with pytest.raises(ServiceError) as err:
        validate_id_number(changed)
    assert err.value.field == "id_number" and err.value.code == "invalid_id_number"


@given(st.text(max_size=30))
def test_arbitrary_text_never_crashes_the_id_validator(text):
    try:
        validate_id_number(text)
    except ServiceError as error:
        assert error.field == "id_number" and error.message


def test_id_number_birth_date_and_region_are_checked():
    good = make_id_number(random.Random(1), "37", datetime.date(1980, 2, 29), "male")
    assert validate_id_number(good)
    body = "370102" + "19810229" + "123"  # 1981 has no 29 February
    from stdnum.cn import ric
    with pytest.raises(ServiceError, match="出生日期"):
        validate_id_number(body + ric.calc_check_digit(body + "0"))
    body = "379999" + "19800101" + "123"  # no such county
    with pytest.raises(ServiceError, match="地区码"):
        validate_id_number(body + ric.calc_check_digit(body + "0"))


def test_older_workers_from_later_created_districts_are_accepted():
    # 370102 (历下区) exists since 1983; IDs were issued from 1984, so a 1970 birth date is real.
    from stdnum.cn import ric
    body = "370102" + "19700101" + "123"
    assert validate_id_number(body + ric.calc_check_digit(body + "0"))


@given(seeds, st.sampled_from(["370102", "370202", "371302"]))
def test_generated_uscc_validate(seed, region):
    code = make_uscc(random.Random(seed), region)
    assert validate_uscc(code.lower()) == code


@given(seeds, st.integers(min_value=0, max_value=16))
def test_uscc_with_a_changed_character_is_refused(seed, position):
    code = make_uscc(random.Random(seed), "370102")
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    replacement = alphabet[(alphabet.index(code[position]) + 1) % len(alphabet)]
    changed = code[:position] + replacement + code[position + 1:]
    assume(uscc.calc_check_digit(changed) != changed[-1])
    with pytest.raises(ServiceError) as err:
        validate_uscc(changed)
    assert err.value.field == "uscc"


@given(seeds)
def test_bank_cards_pass_luhn_and_a_changed_digit_fails(seed):
    card = make_bank_card(random.Random(seed), "622202")
    assert validate_bank_card(card) == card
    flipped = card[:-1] + str((int(card[-1]) + 1) % 10)
    with pytest.raises(ServiceError):
        validate_bank_card(flipped)


@given(st.from_regex(r"1[3-9]\d{9}", fullmatch=True))
def test_phone_numbers(phone):
    assert validate_phone(phone) == phone
    assert validate_phone("+86 " + phone) == phone


@pytest.mark.parametrize("bad", ["", "12345678901", "1380013800", "abc"])
def test_bad_phone_numbers_are_refused(bad):
    with pytest.raises(ServiceError) as err:
        validate_phone(bad)
    assert err.value.field == "phone"


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_our_check_digit_is_the_standards(first17):
    from stdnum.cn import ric

    from wageguard.registry.validators import id_check_digit

    assert id_check_digit(first17) == ric.calc_check_digit(first17 + "0")
