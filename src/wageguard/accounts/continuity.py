"""Is the bank's record of an account continuous? Each transaction must follow the previous one in the
bank's sequence with no gap, and previous balance + amount must equal its balance_after; a day's closing
balance must equal the balance after that day's last transaction."""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable


@dataclass(frozen=True)
class Entry:
    sequence: int
    amount: Decimal
    balance_after: Decimal
    booked_on: datetime.date | None = None


@dataclass(frozen=True)
class Break:
    kind: str          # "sequence_gap" | "balance_break"
    sequence: int      # the entry at which the break shows
    expected: str      # what continuity required
    found: str         # what the bank reported


def breaks(entries: Iterable[Entry], previous: Entry | None = None) -> list[Break]:
    """Breaks in `entries` (any order), continuing from `previous` (the last entry already checked)."""
    found = []
    for entry in sorted(entries, key=lambda e: e.sequence):
        if previous is not None:
            expected = previous.balance_after + entry.amount
            if entry.sequence != previous.sequence + 1:  # across a gap the balances cannot be compared
                found.append(Break("sequence_gap", entry.sequence, str(previous.sequence + 1), str(entry.sequence)))
            elif expected != entry.balance_after:
                found.append(Break("balance_break", entry.sequence, str(expected), str(entry.balance_after)))
        previous = entry
    return found


def closing_mismatch(closing_balance: Decimal, last_entry: Entry | None, opening_balance: Decimal = Decimal("0.00")) -> bool:
    """True when a daily closing balance differs from the balance after the last transaction up to that day."""
    return closing_balance != (last_entry.balance_after if last_entry else opening_balance)
