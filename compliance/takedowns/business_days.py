"""Business days for the counter-notice clock (DMCA 512(g)(2)(C): restore the content "not
less than 10, nor more than 14, business days" after the counter-notice reached the person
who asked for the removal).

A business day is a weekday that is not a holiday (settings.TAKEDOWN_HOLIDAYS). Days are
counted on the calendar of settings.TIME_ZONE. Pure functions: no database, no clock.
"""

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.utils import timezone

SATURDAY = 5


def is_business_day(day: date, holidays: Iterable[date] = ()) -> bool:
    return day.weekday() < SATURDAY and day not in set(holidays)


def add_business_days(start: datetime, days: int, holidays: Iterable[date] = ()) -> datetime:
    """The same local time of day on the `days`-th business day after `start`'s date.

    The day of `start` itself never counts, whatever it is: a notice forwarded on a
    Friday evening (or on a Saturday) starts its clock on Monday.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    holidays = set(holidays)
    local = timezone.localtime(start)
    day, counted = local.date(), 0
    while counted < days:
        day += timedelta(days=1)
        if is_business_day(day, holidays):
            counted += 1
    naive = datetime.combine(day, local.time().replace(tzinfo=None))
    return timezone.make_aware(naive, local.tzinfo)


def business_days_between(start: datetime, end: datetime, holidays: Iterable[date] = ()) -> int:
    """How many business days after `start`'s date `end`'s date is (0 for the same day)."""
    holidays = set(holidays)
    first, last = timezone.localtime(start).date(), timezone.localtime(end).date()
    return sum(
        is_business_day(first + timedelta(days=n), holidays)
        for n in range(1, (last - first).days + 1)
    )
