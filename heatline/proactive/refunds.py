"""Below-standard days (黑龙江省城市供热条例): which readings count, and what refund they imply.

20 ℃ is the minimum all day. A day measured at 16–20 ℃ refunds half of that day's fee, below 16 ℃ all of
it. A home measurement counts only with a calibrated instrument and outside 10:00–14:00. The numbers are
rules (heatline.core.rules) so a province with other numbers changes data, not code.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from heatline.core.models import HeatingSeason
from heatline.core.rules import rules_all

LEDGER_NOT_COUNTING = _("台账读数未记录检定仪器与测温时段")


@dataclass(frozen=True)
class CountingRules:
    from_hour: int
    to_hour: int
    half_below: Decimal
    full_below: Decimal
    uses_sensors: bool = False  # 规则参数 refund_uses_sensors: room sensors' daily means count too

    @classmethod
    def current(cls) -> "CountingRules":
        values = rules_all()  # one query for the four numbers
        return cls(
            from_hour=int(values["measure_excluded_from_hour"]),
            to_hour=int(values["measure_excluded_to_hour"]),
            half_below=values["refund_half_below"],
            full_below=values["refund_full_below"],
            uses_sensors=values["refund_uses_sensors"] == 1,
        )


def reading_counts(
    *, measured_at: dt.datetime | None, is_calibrated: bool, rules: CountingRules
) -> tuple[bool, str]:
    """(counts, why not). The hour is read in local time (Asia/Shanghai)."""
    if not is_calibrated:
        return False, str(_("测温仪器未检定或已过检定有效期"))
    if measured_at is None:
        return False, str(_("未记录测温时间"))
    hour = timezone.localtime(measured_at).hour
    if rules.from_hour <= hour < rules.to_hour:
        return False, str(
            _("测温时间在%(a)s:00—%(b)s:00之间,不作为认定依据") % {"a": rules.from_hour, "b": rules.to_hour}
        )
    return True, ""


def day_share(temperature: Decimal, rules: CountingRules) -> Decimal:
    """Share of one day's fee refunded for a day whose counting minimum was `temperature`."""
    if temperature < rules.full_below:
        return Decimal(1)
    if temperature < rules.half_below:
        return Decimal("0.5")
    return Decimal(0)


@dataclass
class Exposure:
    household_id: int
    days_measured: int
    days_half: int
    days_full: int
    refund_days: Decimal  # half days count 0.5
    season_share: Decimal  # refund days / days in the season

    @property
    def days_below(self) -> int:
        return self.days_half + self.days_full


def season_length(season: HeatingSeason) -> int:
    end = season.extended_end or season.last_day
    return (end - season.first_heating_day).days + 1


def exposure_for(
    *, season: HeatingSeason, household_ids: list[int] | None = None, rules: CountingRules | None = None
) -> dict[int, Exposure]:
    """Per household: the days of `season` measured below standard by counting readings, and the share."""
    from heatline.proactive.models import Reading

    rules = rules or CountingRules.current()
    readings = Reading.objects.filter(season=season, counts_for_refund=True)
    if household_ids is not None:
        readings = readings.filter(household_id__in=household_ids)
    lows: dict[tuple[int, dt.date], Decimal] = {
        (household_id, day): low
        for household_id, day, low in readings.values_list("household_id", "measured_on").annotate(
            low=Min("temperature")
        )
    }
    if rules.uses_sensors:
        # Where the utility says so, a room sensor's daily mean is a measurement of that day; the lower of
        # the two counts (the rule book's minimum is all day).
        from heatline.telemetry.selectors import sensor_day_lows

        for (household_id, day), low in sensor_day_lows(season=season, household_ids=household_ids).items():
            key = (household_id, day)
            lows[key] = min(lows[key], low) if key in lows else low
    result: dict[int, Exposure] = {}
    length = Decimal(season_length(season))
    for (household_id, _day), low in sorted(lows.items()):
        exposure = result.setdefault(household_id, Exposure(household_id, 0, 0, 0, Decimal(0), Decimal(0)))
        exposure.days_measured += 1
        share = day_share(low, rules)
        if share == 1:
            exposure.days_full += 1
        elif share > 0:
            exposure.days_half += 1
        exposure.refund_days += share
    for exposure in result.values():
        exposure.season_share = (
            (exposure.refund_days / length).quantize(Decimal("0.0001")) if length else Decimal(0)
        )
    return result
