"""What the rules require of a project: its labour-cost allocation and its wage deposit.

Pure functions over the thresholds of `core.rules` (so a region's own values apply); the services and
the alert rules call these, never their own arithmetic.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

from wageguard.core import rules
from wageguard.core.models import Region
from wageguard.core.money import round_money

money = round_money  # computed sums round half up to the fen


def labour_cost_min_share(*, industry: str, contract_amount: Decimal, region: Region | None) -> Decimal:
    if contract_amount < rules.value("labour_cost.small_project_below", region):
        return rules.value("labour_cost.min_share.small_project", region)
    key = f"labour_cost.min_share.{industry}"
    return rules.value(key if key in rules.RULES else "labour_cost.min_share.other", region)


def expected_allocation(*, progress_payment: Decimal, labour_cost_ratio: Decimal, industry: str, contract_amount: Decimal,
                        region: Region | None) -> Decimal:
    """The labour cost the owner must move into the account for a progress payment: the project's own
    labour-cost ratio, and never less than the industry's minimum share."""
    if progress_payment < 0:
        raise ValueError("a progress payment cannot be negative")
    share = max(labour_cost_ratio, labour_cost_min_share(industry=industry, contract_amount=contract_amount, region=region))
    return money(progress_payment * share)


class DepositBasis:
    EXEMPT_SMALL = "exempt_small"              # contract below the exemption threshold
    EXEMPT_CLEAN = "exempt_clean_three_years"  # three consecutive years without arrears
    REDUCED = "reduced_clean_two_years"        # two consecutive years without arrears
    RAISED = "raised_after_arrears"            # arrears within the last two years
    STANDARD = "standard"


@dataclass(frozen=True)
class DepositRequirement:
    amount: Decimal
    rate: Decimal
    basis: str


def required_deposit(*, contract_amount: Decimal, region: Region | None, clean_years: int, recent_arrears: bool) -> DepositRequirement:
    """The wage deposit owed for a contract (人社部发〔2021〕65号 as adopted here).

    `clean_years`: consecutive years without wage arrears; `recent_arrears`: arrears in the last two years (both
    from the enterprise's credit facts: `credit_standing`).
    """
    if contract_amount < 0 or clean_years < 0:
        raise ValueError("contract amount and clean years cannot be negative")
    if contract_amount < rules.value("deposit.exempt_below", region):
        return DepositRequirement(Decimal("0.00"), Decimal("0"), DepositBasis.EXEMPT_SMALL)
    rate = rules.value("deposit.rate", region)
    if recent_arrears:
        rate, basis = max(rate, rules.value("deposit.raised_rate", region)), DepositBasis.RAISED
    elif clean_years >= 3:
        return DepositRequirement(Decimal("0.00"), Decimal("0"), DepositBasis.EXEMPT_CLEAN)
    elif clean_years >= 2:
        rate, basis = rate * rules.value("deposit.reduced_factor", region), DepositBasis.REDUCED
    else:
        basis = DepositBasis.STANDARD
    return DepositRequirement(money(contract_amount * rate), rate, basis)


@dataclass(frozen=True)
class CreditStanding:
    """What the deposit rules read of an enterprise's credit (the credit app computes it from the facts)."""

    clean_years: int = 0          # whole years without arrears on record
    recent_arrears: bool = False  # arrears within the last two years
    band: str = ""                # the rating's band, shown beside the deposit


_standing_source: list[Callable[[object], CreditStanding]] = []


def register_credit_standing(source: Callable[[object], CreditStanding]) -> None:
    """The credit app registers how an enterprise's standing is read (accounts may not import credit)."""
    _standing_source[:] = [source]


def credit_standing(enterprise) -> CreditStanding:
    """The enterprise's standing from its credit facts; with no credit source, no history (the standard rate)."""
    return _standing_source[0](enterprise) if _standing_source else CreditStanding()
