"""Rules of issue 5 that need no bank: working days, deposit and allocation requirements, continuity, banks."""
import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wageguard.accounts import continuity
from wageguard.accounts.banks import BANKS
from wageguard.accounts.models import Bank
from wageguard.accounts.requirements import DepositBasis, expected_allocation, labour_cost_min_share, required_deposit
from wageguard.core import rules
from wageguard.core.models import Region, RegionalSetting
from wageguard.core.workdays import add_working_days, is_working_day, working_days_between

D = datetime.date
amounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("5000000000"), places=2, allow_nan=False, allow_infinity=False)


# ---------------------------------------------------------------- working days (official calendar)

def test_spring_festival_2026_and_its_adjusted_working_saturday():
    assert is_working_day(D(2026, 2, 14)) == (True, True)      # Saturday worked in lieu
    assert is_working_day(D(2026, 2, 16)) == (False, True)     # Spring Festival holiday (a Monday)
    assert add_working_days(D(2026, 2, 13), 1).day == D(2026, 2, 14)
    assert add_working_days(D(2026, 2, 14), 1).day == D(2026, 2, 24)  # 15-23 February off
    assert working_days_between(D(2026, 2, 13), D(2026, 2, 24)) == 2


def test_national_day_week_2026():
    assert add_working_days(D(2026, 9, 30), 1).day == D(2026, 10, 8)
    assert add_working_days(D(2026, 9, 30), 3).day == D(2026, 10, 10)  # Saturday 10 October is worked
    assert is_working_day(D(2026, 9, 20)) == (True, True)              # and so is Sunday 20 September


def test_twenty_working_days_and_a_year_the_calendar_does_not_know_yet():
    deadline = add_working_days(D(2026, 3, 2), 20)
    assert deadline.day == D(2026, 3, 30) and not deadline.provisional
    into_next_year = add_working_days(D(2026, 12, 21), 20)
    assert into_next_year.provisional and into_next_year.day.year == 2027


# ---------------------------------------------------------------- deposit requirement (properties)

@given(amounts, st.integers(min_value=0, max_value=10), st.booleans())
@settings(max_examples=200)
def test_deposit_properties(amount, clean_years, recent_arrears):
    required = required_deposit(contract_amount=amount, region=None, clean_years=clean_years, recent_arrears=recent_arrears)
    standard = required_deposit(contract_amount=amount, region=None, clean_years=0, recent_arrears=False)
    assert required.amount >= 0 and required.amount == required.amount.quantize(Decimal("0.01"))
    if amount < Decimal("3000000"):
        assert required.basis == DepositBasis.EXEMPT_SMALL and required.amount == 0
    elif recent_arrears:
        assert required.basis == DepositBasis.RAISED and required.amount >= standard.amount
    elif clean_years >= 3:
        assert required.basis == DepositBasis.EXEMPT_CLEAN and required.amount == 0
    elif clean_years == 2:
        assert required.basis == DepositBasis.REDUCED and required.amount <= standard.amount
    else:
        assert required == standard and standard.rate == Decimal("0.02")


@given(amounts, amounts)
def test_deposit_grows_with_the_contract(a, b):
    low, high = sorted((a, b))
    assert (required_deposit(contract_amount=low, region=None, clean_years=0, recent_arrears=False).amount
            <= required_deposit(contract_amount=high, region=None, clean_years=0, recent_arrears=False).amount)


@pytest.mark.django_db
def test_a_city_sets_its_own_deposit_rate_and_its_counties_follow():
    jinan, lixia, qingdao = (Region.objects.get(code=c) for c in ("370100", "370102", "370200"))
    RegionalSetting.objects.create(key="deposit.rate", region=jinan, value=Decimal("0.03"), regulation="济南市规定")
    contract = Decimal("10000000")
    assert required_deposit(contract_amount=contract, region=lixia, clean_years=0, recent_arrears=False).amount == Decimal("300000.00")
    assert required_deposit(contract_amount=contract, region=qingdao, clean_years=0, recent_arrears=False).amount == Decimal("200000.00")
    RegionalSetting.objects.create(key="deposit.rate", region=lixia, value=Decimal("0.01"), regulation="历下区规定")
    assert rules.value("deposit.rate", lixia) == Decimal("0.01") and rules.value("deposit.rate", jinan) == Decimal("0.03")


def test_every_rule_cites_its_regulation_and_its_default_is_within_bounds():
    for rule in rules.RULES.values():
        assert rule.regulation and rule.label
        assert (rule.low is None or rule.default >= rule.low) and (rule.high is None or rule.default <= rule.high)


# ---------------------------------------------------------------- labour-cost allocation

@pytest.mark.parametrize("industry,share", [("building", "0.20"), ("transport", "0.08"), ("municipal", "0.12"), ("water", "0.12")])
def test_industry_minimum_shares(industry, share):
    assert labour_cost_min_share(industry=industry, contract_amount=Decimal("50000000"), region=None) == Decimal(share)
    # A project whose own labour-cost ratio is lower still owes the industry's minimum share.
    assert expected_allocation(progress_payment=Decimal("1000000"), labour_cost_ratio=Decimal("0.05"), industry=industry,
                               contract_amount=Decimal("50000000"), region=None) == Decimal(share) * 1000000


@given(amounts, st.decimals(min_value=Decimal("0"), max_value=Decimal("1"), places=4), st.sampled_from(["building", "transport", "municipal", "water", "other"]))
def test_expected_allocation_is_at_least_the_minimum_share_and_at_least_the_ratio(payment, ratio, industry):
    expected = expected_allocation(progress_payment=payment, labour_cost_ratio=ratio, industry=industry,
                                   contract_amount=Decimal("50000000"), region=None)
    floor = labour_cost_min_share(industry=industry, contract_amount=Decimal("50000000"), region=None)
    assert expected >= (payment * floor).quantize(Decimal("0.01")) and expected >= (payment * ratio).quantize(Decimal("0.01"))


@pytest.mark.django_db
def test_small_projects_follow_the_citys_rule():
    qingdao, shinan = Region.objects.get(code="370200"), Region.objects.get(code="370202")
    small, large = Decimal("3500000"), Decimal("5000000")
    assert labour_cost_min_share(industry="transport", contract_amount=small, region=shinan) == Decimal("0.20")
    RegionalSetting.objects.create(key="labour_cost.min_share.small_project", region=qingdao, value=Decimal("0.15"), regulation="青岛市规定")
    assert labour_cost_min_share(industry="transport", contract_amount=small, region=shinan) == Decimal("0.15")
    assert labour_cost_min_share(industry="transport", contract_amount=large, region=shinan) == Decimal("0.08")


# ---------------------------------------------------------------- continuity of the bank's record

@st.composite
def ledgers(draw):
    start = draw(st.integers(min_value=1, max_value=10**6))
    moves = draw(st.lists(st.decimals(min_value=Decimal("-99999"), max_value=Decimal("99999"), places=2), min_size=2, max_size=30))
    balance, entries = Decimal("0.00"), []
    for n, amount in enumerate(moves):
        balance += amount
        entries.append(continuity.Entry(start + n, amount, balance))
    return entries


@given(ledgers(), st.randoms())
def test_a_continuous_record_has_no_break_in_any_arrival_order(entries, rng):
    shuffled = entries[:]
    rng.shuffle(shuffled)
    assert continuity.breaks(shuffled) == []
    assert continuity.breaks(entries[1:], previous=entries[0]) == []


@given(ledgers(), st.data())
def test_a_missing_entry_is_a_gap_and_a_wrong_balance_is_a_break(entries, data):
    n = data.draw(st.integers(min_value=1, max_value=len(entries) - 1))
    missing = entries[:n] + entries[n + 1:]
    found = continuity.breaks(missing)
    if n < len(entries) - 1:
        assert [b.kind for b in found if b.kind == "sequence_gap"] == ["sequence_gap"] and found[0].sequence == entries[n + 1].sequence
    tampered = entries[:n] + [continuity.Entry(entries[n].sequence, entries[n].amount, entries[n].balance_after + Decimal("0.01"))] + entries[n + 1:]
    kinds = [(b.kind, b.sequence) for b in continuity.breaks(tampered)]
    assert ("balance_break", entries[n].sequence) in kinds


def test_closing_balance_must_equal_the_last_balance():
    last = continuity.Entry(7, Decimal("10.00"), Decimal("110.00"))
    assert not continuity.closing_mismatch(Decimal("110.00"), last)
    assert continuity.closing_mismatch(Decimal("100.00"), last)


# ---------------------------------------------------------------- partner banks

@pytest.mark.django_db
def test_partner_banks_are_seeded_with_unique_codes():
    assert Bank.objects.count() == len(BANKS) == len({code for code, _n, _k in BANKS})
    assert Bank.objects.get(code="QLB").name == "齐鲁银行" and Bank.objects.get(code="ICBC").kind == "state"


@pytest.mark.django_db
def test_rule_set_command_checks_bounds_cites_the_rule_and_is_audited(capsys):
    from django.core.management import CommandError, call_command

    from wageguard.core.models import AuditEntry

    call_command("rule_set", "deposit.rate", "370200", "0.03", regulation="青岛市人社局2024年规定")
    assert rules.value("deposit.rate", Region.objects.get(code="370202")) == Decimal("0.03")
    assert AuditEntry.objects.filter(action="core.regional_setting_set").count() == 1
    with pytest.raises(CommandError, match="value"):
        call_command("rule_set", "deposit.rate", "370200", "0.08", regulation="x")  # beyond 1–3 %
    with pytest.raises(CommandError, match="regulation"):
        call_command("rule_set", "deposit.rate", "370200", "0.02")
    with pytest.raises(CommandError, match="key"):
        call_command("rule_set", "no.such.rule", "370200", "1", regulation="x")
