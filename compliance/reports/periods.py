"""Report periods: whole local days, weeks (Monday to Sunday) or calendar months in the
report time zone, turned into the two instants that bound them.

A day is midnight to midnight on the wall clock, so on a daylight-saving change it lasts
23 or 25 hours; the instants come from zoneinfo, never from adding 24 hours.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

KINDS = ("daily", "weekly", "monthly")
# The DSA transparency report's periods (Implementing Regulation (EU) 2024/2835, Art. 2):
# calendar half-years (January-June, July-December) and calendar years.
TEMPLATE_KINDS = ("half-year", "year")


def report_zone(name: str | None = None) -> ZoneInfo:
    return ZoneInfo(name or settings.REPORT_TIME_ZONE)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of `day` in `zone`, in UTC. Where midnight does not exist (a
    spring-forward at 00:00), zoneinfo resolves it to the instant the clock jumps to."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    kind: str
    first_day: date
    last_day: date  # inclusive
    zone: ZoneInfo

    def __post_init__(self):
        if self.kind not in (*KINDS, *TEMPLATE_KINDS):
            raise ValueError(f"unknown period {self.kind!r}: use one of {', '.join(KINDS)}")
        if self.last_day < self.first_day:
            raise ValueError(
                f"the period ends ({self.last_day}) before it starts ({self.first_day})"
            )
        try:
            self.start, self.end  # noqa: B018 - both must exist as instants
        except OverflowError:
            raise ValueError(
                f"{self.first_day} to {self.last_day} is outside the days a report can cover "
                "(the years 1 to 9999, in UTC)"
            ) from None

    @property
    def start(self) -> datetime:
        return local_midnight(self.first_day, self.zone)

    @property
    def end(self) -> datetime:
        """Exclusive: the first instant after the period."""
        return local_midnight(self.last_day + timedelta(days=1), self.zone)

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600

    @property
    def days(self) -> list[date]:
        count = (self.last_day - self.first_day).days + 1
        return [self.first_day + timedelta(days=n) for n in range(count)]

    @property
    def time_zone(self) -> str:
        return self.zone.key

    @property
    def label(self) -> str:
        if self.first_day == self.last_day:
            return f"{self.first_day:%Y-%m-%d}"
        return f"{self.first_day:%Y-%m-%d} to {self.last_day:%Y-%m-%d}"


def last_full_period(
    kind: str, *, now: datetime | None = None, zone: ZoneInfo | None = None
) -> Period:
    """The most recent day, Monday-to-Sunday week or calendar month that has ended."""
    zone = zone or report_zone()
    today = (now or timezone.now()).astimezone(zone).date()
    if kind == "daily":
        day = today - timedelta(days=1)
        return Period(kind, day, day, zone)
    if kind == "weekly":
        this_monday = today - timedelta(days=today.weekday())
        return Period(kind, this_monday - timedelta(days=7), this_monday - timedelta(days=1), zone)
    if kind == "monthly":
        last_day = today.replace(day=1) - timedelta(days=1)
        return Period(kind, last_day.replace(day=1), last_day, zone)
    if kind == "half-year":
        if today.month > 6:
            return Period(kind, date(today.year, 1, 1), date(today.year, 6, 30), zone)
        return Period(kind, date(today.year - 1, 7, 1), date(today.year - 1, 12, 31), zone)
    if kind == "year":
        return Period(kind, date(today.year - 1, 1, 1), date(today.year - 1, 12, 31), zone)
    raise ValueError(f"unknown period {kind!r}: use one of {', '.join(KINDS)}")
