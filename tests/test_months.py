"""Month and year arithmetic (`core.months`), on every day including 29 February."""
import datetime

from hypothesis import given
from hypothesis import strategies as st

from wageguard.core import months


@given(st.dates(min_value=datetime.date(1950, 1, 1), max_value=datetime.date(2100, 12, 31)), st.integers(-30, 30))
def test_a_day_some_years_later_is_the_same_day_or_the_28th_for_a_leap_day(day, years):
    later = months.add_years(day, years)
    assert later.year == day.year + years and later.month == day.month
    assert later.day == day.day or (day.month, day.day, later.day) == (2, 29, 28)


def test_a_card_issued_on_a_leap_day_expires_on_the_28th():
    assert months.add_years(datetime.date(2016, 2, 29), 10) == datetime.date(2026, 2, 28)
    assert months.add_years(datetime.date(2016, 2, 29), 12) == datetime.date(2028, 2, 29)


@given(st.dates(min_value=datetime.date(1950, 1, 1), max_value=datetime.date(2100, 12, 31)), st.integers(-240, 240))
def test_shifting_a_month_by_n_and_back_returns_it(day, n):
    month = months.of(day)
    assert months.shift(months.shift(month, n), -n) == month
    assert months.first_day(months.shift(month, n)) > months.first_day(month) if n > 0 else True
