"""The go-live checklist (issue 18): what is still missing before the first call can be handled.

Read-only. `/setup/` shows it to administrators and `heatline check-ready` prints it (exit 1 while an item
is red). Each item says how many rows are concerned, names the first few and links to the admin page that
fixes it.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import chinese_calendar
from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.models import HeatingSeason, WorkdayOverride
from heatline.registry.models import (
    UNASSIGNED_CODE,
    Branch,
    Building,
    Company,
    District,
    Household,
    Role,
    Staff,
    Station,
    Team,
    TeamKind,
)
from heatline.requests.models import Category

EXAMPLES = 5
# The accounts the channels act as (heatline/integrations/services.py `system_staff`: role operator, nobody
# signs in with them) are no hotline operators.
CHANNEL_ACCOUNT_PREFIXES = ("public-web", "exchange-", "open311-")
# A season starting within this many days counts as "the season" before it begins (preparing for it).
SEASON_AHEAD_DAYS = 120


@dataclass(frozen=True)
class Check:
    key: str
    title: str
    ok: bool
    count: int  # how many rows the item is about (missing ones when red, present ones when green)
    detail: str = ""  # what is wrong, or what is there
    examples: tuple[str, ...] = field(default_factory=tuple)  # the first few names concerned
    fix_url: str = ""  # the admin page that fixes it ("" when it is a setting, not a page)


def _admin_url(name: str, **query: object) -> str:
    url = reverse(f"admin:{name}")
    return f"{url}?{urlencode(query)}" if query else url


def _names(rows: "QuerySet[Any]") -> tuple[str, ...]:
    return tuple(str(row) for row in rows[:EXAMPLES])


def season_in_view(*, today: dt.date) -> HeatingSeason | None:
    """The season covering today (trial start to extended end), else the next one starting within 120 days."""
    horizon = today + dt.timedelta(days=SEASON_AHEAD_DAYS)
    return (
        HeatingSeason.objects.annotate(
            starts=Coalesce("trial_start", "first_heating_day"), ends=Coalesce("extended_end", "last_day")
        )
        .filter(starts__lte=horizon, ends__gte=today)
        .order_by("starts")
        .first()
    )


def package_knows_year(year: int) -> bool:
    """Does the chinese-calendar package have the holidays and make-up days of `year`?"""
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
        chinese_calendar.is_workday(dt.date(year, 12, 31))
    except NotImplementedError:
        return False
    return True


def _company() -> Check:
    names = tuple(Company.objects.values_list("name", flat=True)[:EXAMPLES])
    return Check(
        key="company",
        title=_("已登记公司"),
        ok=bool(names),
        count=len(names),
        detail="" if names else _("尚未登记公司:运行 heatline setup --company 公司名称 --admin 账号"),
        examples=names,
        fix_url=_admin_url("registry_company_changelist"),
    )


def _districts() -> Check:
    districts = District.objects.exclude(code=UNASSIGNED_CODE).select_related("branch")
    branches = Branch.objects.exclude(code=UNASSIGNED_CODE).count()
    count = districts.count()
    ok = branches > 0 and count > 0
    return Check(
        key="districts",
        title=_("至少一个分公司和片区"),
        ok=ok,
        count=count,
        detail=_("分公司 %(branches)s 个,片区 %(districts)s 个") % {"branches": branches, "districts": count},
        examples=tuple(f"{district.branch.name}·{district.name}" for district in districts[:EXAMPLES]),
        fix_url=_admin_url("registry_district_changelist"),
    )


def _districts_without_responsible() -> Check:
    missing = (
        District.objects.exclude(code=UNASSIGNED_CODE)
        .filter(Q(responsible=None) | Q(responsible__is_active=False))
        .order_by("code")
    )
    count = missing.count()
    return Check(
        key="district_responsible",
        title=_("每个片区都有片区责任人"),
        ok=count == 0,
        count=count,
        detail=_("%(count)s 个片区没有责任人,常规诉求无人接收") % {"count": count} if count else "",
        examples=_names(missing),
        fix_url=_admin_url("registry_district_changelist", responsible__isnull="True"),
    )


def _categories_without_department() -> Check:
    missing = Category.objects.filter(is_active=True, department=None).order_by("priority", "code")
    count = missing.count()
    return Check(
        key="category_department",
        title=_("每个诉求类别都有主管科室"),
        ok=count == 0,
        count=count,
        detail=_("%(count)s 个启用的类别没有主管科室") % {"count": count} if count else "",
        examples=_names(missing),
        fix_url=_admin_url("requests_category_changelist", department__isnull="True"),
    )


def _repair_crew() -> Check:
    crews = (
        Team.objects.filter(kind=TeamKind.REPAIR_CREW, is_on_duty=True)
        .annotate(active_members=Count("members", filter=Q(members__is_active=True)))
        .filter(active_members__gt=0)
        .order_by("code")
    )
    count = crews.count()
    return Check(
        key="repair_crew",
        title=_("有值班的抢修突击队(有队员)"),
        ok=count > 0,
        count=count,
        detail="" if count else _("紧急诉求(第七条.1)直派抢修突击队:尚无值班且有队员的抢修队"),
        examples=_names(crews),
        fix_url=_admin_url("registry_team_changelist", kind__exact=TeamKind.REPAIR_CREW),
    )


def _buildings_without_district() -> Check:
    unassigned = District.objects.filter(code=UNASSIGNED_CODE).first()
    examples: tuple[str, ...] = ()
    if unassigned is None:
        count = 0
        fix_url = _admin_url("registry_building_changelist")
    else:
        buildings = Building.objects.filter(district=unassigned).select_related("community")
        count = buildings.count()
        examples = _names(buildings.order_by("community__name", "number"))
        fix_url = _admin_url("registry_building_changelist", district__id__exact=unassigned.pk)
    return Check(
        key="building_district",
        title=_("每栋楼都已分到片区"),
        ok=count == 0,
        count=count,
        detail=_("%(count)s 栋楼在“待分配”片区(导入文件未写片区)") % {"count": count} if count else "",
        examples=examples,
        fix_url=fix_url,
    )


def _stations_without_branch() -> Check:
    unassigned = Branch.objects.filter(code=UNASSIGNED_CODE).first()
    examples: tuple[str, ...] = ()
    if unassigned is None:
        count = 0
        fix_url = _admin_url("registry_station_changelist")
    else:
        stations = Station.objects.filter(branch=unassigned).order_by("code")
        count = stations.count()
        examples = _names(stations)
        fix_url = _admin_url("registry_station_changelist", branch__id__exact=unassigned.pk)
    return Check(
        key="station_branch",
        title=_("每个换热站都已分到分公司"),
        ok=count == 0,
        count=count,
        detail=_("%(count)s 个换热站在“待分配”分公司") % {"count": count} if count else "",
        examples=examples,
        fix_url=fix_url,
    )


def _heating_season(season: HeatingSeason | None, *, today: dt.date) -> Check:
    return Check(
        key="heating_season",
        title=_("已设置当前或即将开始的采暖期"),
        ok=season is not None,
        count=0 if season is None else 1,
        detail=_("没有覆盖今天或 %(days)s 天内开始的采暖期") % {"days": SEASON_AHEAD_DAYS}
        if season is None
        else _("%(season)s 采暖期:%(start)s 至 %(end)s")
        % {
            "season": season,
            "start": season.trial_start or season.first_heating_day,
            "end": season.extended_end or season.last_day,
        },
        examples=() if season is None else (str(season),),
        fix_url=_admin_url("core_heatingseason_changelist"),
    )


def _working_days(season: HeatingSeason | None, *, today: dt.date) -> Check:
    if season is None:
        years = [today.year, today.year + 1]
    else:
        start = season.trial_start or season.first_heating_day
        end = season.extended_end or season.last_day
        years = list(range(start.year, end.year + 1))
    missing = [
        year
        for year in years
        if not package_knows_year(year) and not WorkdayOverride.objects.filter(date__year=year).exists()
    ]
    return Check(
        key="working_days",
        title=_("采暖期所在年份有工作日数据(节假日与调休)"),
        ok=not missing,
        count=len(missing),
        detail=_("这些年份节假日数据包未收录,也没有工作日调整:请在“工作日调整”中录入国务院公布的安排")
        if missing
        else _("年份 %(years)s 的工作日数据齐全") % {"years": ", ".join(map(str, years))},
        examples=tuple(str(year) for year in missing[:EXAMPLES]),
        fix_url=_admin_url("core_workdayoverride_changelist"),
    )


def _sms_sender() -> Check:
    ok = bool(settings.HEATLINE_USE_SMS)
    return Check(
        key="sms_sender",
        title=_("已配置短信发送"),
        ok=ok,
        count=int(ok),
        detail="" if ok else _("HEATLINE_USE_SMS 未开启:发给居民和员工的短信只写入日志"),
    )


def _operators() -> Check:
    operators = Staff.objects.filter(role=Role.OPERATOR, is_active=True).order_by("username")
    for prefix in CHANNEL_ACCOUNT_PREFIXES:
        operators = operators.exclude(username__startswith=prefix)
    count = operators.count()
    return Check(
        key="operators",
        title=_("有热线话务员"),
        ok=count > 0,
        count=count,
        detail="" if count else _("没有角色为热线话务员的在岗员工,来电无人登记"),
        examples=_names(operators),
        fix_url=_admin_url("registry_staff_changelist", role__exact=Role.OPERATOR),
    )


def _households() -> Check:
    count = Household.objects.count()
    return Check(
        key="households",
        title=_("已导入热用户档案"),
        ok=count > 0,
        count=count,
        detail="" if count else _("热用户档案为空:用 heatline import-register 导入收费系统的档案"),
        fix_url=reverse("setup_imports"),
    )


def readiness_checks(*, today: dt.date | None = None) -> list[Check]:
    """Every item of the go-live checklist, in the order an administrator fixes them."""
    today = today or timezone.localdate()
    season = season_in_view(today=today)
    return [
        _company(),
        _districts(),
        _districts_without_responsible(),
        _categories_without_department(),
        _repair_crew(),
        _buildings_without_district(),
        _stations_without_branch(),
        _heating_season(season, today=today),
        _working_days(season, today=today),
        _sms_sender(),
        _operators(),
        _households(),
    ]
