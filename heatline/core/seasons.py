"""Heating seasons (采暖期): "this season" and "last season" are derived from the table."""

import datetime as dt

from django.utils import timezone

from heatline.core.models import HeatingSeason


def season_for_date(day: dt.date) -> HeatingSeason | None:
    """The season a date belongs to: the latest season that started on or before it (its off-season
    summer included, so post-season work is filed under the season just ended)."""
    return HeatingSeason.objects.filter(first_heating_day__lte=day).order_by("-first_heating_day").first()


def season_current(*, today: dt.date | None = None) -> HeatingSeason | None:
    return season_for_date(today or timezone.localdate())


def season_previous(season: HeatingSeason) -> HeatingSeason | None:
    return HeatingSeason.objects.filter(year__lt=season.year).order_by("-year").first()


def season_get(year: int) -> HeatingSeason | None:
    return HeatingSeason.objects.filter(year=year).first()


def season_bounds(season: HeatingSeason) -> tuple[dt.datetime, dt.datetime]:
    """Aware [start, end) datetimes of a season, from trial start (if any) to the day after the last day."""
    start_day = season.trial_start or season.first_heating_day
    end_day = (season.extended_end or season.last_day) + dt.timedelta(days=1)
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start_day, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end_day, dt.time.min, tzinfo=tz),
    )
