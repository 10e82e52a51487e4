"""Months as the platform writes them ("YYYY-MM"), and the arithmetic every app needs, in one place."""
from __future__ import annotations

import calendar
import datetime
import re

MONTH_RE = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def is_month(text: str | None) -> bool:
    return bool(MONTH_RE.fullmatch(text or ""))


def of(day: datetime.date) -> str:
    """The month a day (or a local datetime) falls in."""
    return f"{day:%Y-%m}"


def bounds(month: str) -> tuple[datetime.date, datetime.date]:
    """The first and last day of a month."""
    year, number = int(month[:4]), int(month[5:7])
    return datetime.date(year, number, 1), datetime.date(year, number, calendar.monthrange(year, number)[1])


def first_day(month: str) -> datetime.date:
    return bounds(month)[0]


def last_day(month: str) -> datetime.date:
    return bounds(month)[1]


def next_month(month: str) -> str:
    return of(last_day(month) + datetime.timedelta(days=1))


def previous(month: str) -> str:
    return of(first_day(month) - datetime.timedelta(days=1))


def before(day: datetime.date) -> str:
    """The month before the one a day falls in (the month-end task's month on the 1st)."""
    return of(day.replace(day=1) - datetime.timedelta(days=1))


def span(first: datetime.date, last: datetime.date) -> list[str]:
    """The months from the one of `first` to the one of `last`."""
    found, month = [], of(first)
    while month <= of(last):
        found.append(month)
        month = next_month(month)
    return found


def shift(month: str, count: int) -> str:
    """The month `count` months after (before, if negative) a month."""
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 + count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def add_years(day: datetime.date, years: int) -> datetime.date:
    """The same day `years` later (earlier, if negative); 29 February becomes the 28th in a year without it."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


def add_months(day: datetime.date, count: int) -> datetime.date:
    """The same day `count` months later (earlier, if negative), or that month's last day when it is shorter."""
    month = shift(of(day), count)
    return min(first_day(month).replace(day=min(day.day, 28)) + datetime.timedelta(days=max(day.day - 28, 0)), last_day(month))
