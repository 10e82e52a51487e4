"""Working days by China's official holiday calendar, with its adjusted working weekends (调休).

The calendar comes from `chinesecalendar`, which follows the State Council's yearly notice; keep the
lock file current each December when the next year's arrangement is published. For a year the library
does not know yet, the statutory festival days as `holidays` computes them (its lunar calendar gives the
Spring Festival of any year) and Monday-Friday otherwise are used, and the answer is marked provisional, so a
deadline that runs into it is still computed (and shown as provisional) instead of failing.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass

import functools

import chinese_calendar
import holidays
from django.utils import timezone


@dataclass(frozen=True)
class Deadline:
    day: datetime.date
    provisional: bool  # some day on the way lies in a year the official calendar does not cover yet


def is_working_day(day: datetime.date) -> tuple[bool, bool]:
    """(is a working day, known from the official calendar)."""
    try:
        return chinese_calendar.is_workday(day), True
    except NotImplementedError:
        return day.weekday() < 5 and day not in _provisional(day.year), False


@functools.lru_cache(maxsize=64)
def _provisional(year: int) -> holidays.HolidayBase:
    return holidays.China(years=year, language="en_US")


def public_holiday(day: datetime.date) -> str:
    """The statutory holiday the day belongs to ("Spring Festival", "National Day", …; the days off of its
    official block, bridging weekends included), or "" on any other day — ordinary weekends and the working
    weekends (调休) included."""
    try:
        off, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        name = _provisional(day.year).get(day, "")
        return "Spring Festival" if "Chinese New Year" in name else name.removesuffix(" (observed)")
    return name if off and name else ""


@functools.lru_cache(maxsize=256)
def spring_festival(year: int) -> datetime.date:
    """The first day off of the year's Spring Festival."""
    for day in (datetime.date(year, 1, 15) + datetime.timedelta(days=n) for n in range(45)):  # it falls between 20 Jan and 20 Feb
        if public_holiday(day) == "Spring Festival":
            return day
    raise ValueError(f"no Spring Festival known for {year}")


def end_of_working_day(start: datetime.date, days: int) -> datetime.datetime:
    """The last moment of the day `days` working days after `start` (a handling deadline)."""
    last = add_working_days(start, days).day
    return timezone.make_aware(datetime.datetime.combine(last, datetime.time(23, 59, 59)))


def add_working_days(start: datetime.date, days: int) -> Deadline:
    """The day `days` working days after `start` (start itself not counted): "within N working days"."""
    if days < 0:
        raise ValueError("days must not be negative")
    day, left, known = start, days, True
    while left:
        day += datetime.timedelta(days=1)
        working, official = is_working_day(day)
        known = known and official
        left -= working
    return Deadline(day, not known)


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after `start` up to and including `end` (0 if end <= start)."""
    count, day = 0, start
    while day < end:
        day += datetime.timedelta(days=1)
        count += is_working_day(day)[0]
    return count
