"""The report's tables by name, each with Chinese headers, for the .xlsx export (and the CLI)."""

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.translation import gettext as _

from heatline.registry.models import Staff
from heatline.reports import selectors as s
from heatline.requests.models import ClockName

TABLES: dict[str, str] = {
    "requests": "诉求明细",
    "rates": "三率指标",
    "clocks": "时限达标",
    "daily": "每日来电量",
    "categories": "诉求类别",
    "districts": "片区及时率排名",
    "communities": "小区楼栋投诉",
    "households": "来电最多热用户",
    "buildings": "来电最多楼栋",
}


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def table_rows(
    *, table: str, flt: s.ReportFilter, viewer: Staff, now: dt.datetime
) -> tuple[str, Sequence[str], Iterable[Sequence[Any]]]:
    """(sheet title, headers, rows) of a named table (the request list is exported by `exports`)."""
    title = TABLES[table]
    small = _("样本少")
    if table == "rates":
        summary = s.summary(flt=flt, viewer=viewer, now=now)
        rates = summary["rates"]
        rows: list[Sequence[Any]] = [
            (
                str(name),
                rate["numerator"],
                rate["denominator"],
                _percent(rate["value"]),
                small if rate["is_small_sample"] else "",
            )
            for name, rate in (
                (_("响应率"), rates["response"]),
                (_("解决率"), rates["resolution"]),
                (_("满意率"), rates["satisfaction"]),
            )
        ]
        rows.append((_("综合得分"), "", "", "" if rates["score"] is None else rates["score"], ""))
        rows.append(
            (
                _("登记分类及时率"),
                summary["classified_in_time"],
                summary["total"],
                _percent(summary["classified_share"]),
                "",
            )
        )
        return title, ("指标", "分子", "分母", "比率", "备注"), rows
    if table == "clocks":
        clocks = s.summary(flt=flt, viewer=viewer, now=now)["clocks"]
        labels = dict(ClockName.choices)
        return (
            title,
            ("时限", "总数", "按时", "超时", "进行中", "按时率"),
            [
                (str(labels[name]), f["total"], f["met"], f["breached"], f["open"], _percent(f["share"]))
                for name, f in clocks.items()
            ],
        )
    if table == "daily":
        return (
            title,
            ("日期", "来电量", "紧急"),
            [
                (d["day"].isoformat(), d["total"], d["emergency"])
                for d in s.daily_volume(flt=flt, viewer=viewer)
            ],
        )
    if table == "categories":
        return (
            title,
            ("类别", "工单数", "投诉"),
            [(c["name"], c["total"], c["complaints"]) for c in s.category_breakdown(flt=flt, viewer=viewer)],
        )
    if table == "districts":
        return (
            title,
            ("名次", "片区", "工单数", "时限数", "按时", "超时", "及时率", "备注"),
            [
                (
                    i,
                    r["name"],
                    r["requests"],
                    r["clocks"],
                    r["met"],
                    r["breached"],
                    _percent(r["on_time"]),
                    small if r["is_small_sample"] else "",
                )
                for i, r in enumerate(s.district_ranking(flt=flt, viewer=viewer), start=1)
            ],
        )
    if table == "communities":
        rows = []
        for community in s.community_grid(flt=flt, viewer=viewer, limit=1000):
            for cell in community["buildings"]:
                rows.append(
                    (
                        community["district"],
                        community["name"],
                        cell["building"],
                        cell["total"],
                        cell["complaints"],
                        community["heated_area"],
                        "" if community["per_10k_m2"] is None else community["per_10k_m2"],
                    )
                )
        return title, ("片区", "小区", "楼号", "工单数", "投诉", "小区供热面积(㎡)", "小区每万㎡投诉"), rows
    if table == "households":
        return (
            title,
            ("地址", "工单数"),
            [(r["label"], r["total"]) for r in s.top_households(flt=flt, viewer=viewer, limit=100)],
        )
    if table == "buildings":
        return (
            title,
            ("楼栋", "工单数"),
            [(r["label"], r["total"]) for r in s.top_buildings(flt=flt, viewer=viewer, limit=100)],
        )
    raise KeyError(table)
