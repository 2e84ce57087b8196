"""The forecast adapter: what a provider's answer or a forecast file says, as plain `ForecastDay` rows.

Two inputs, both pure mappings (no database here):
- a QWeather (和风天气) v7 daily forecast response (`/v7/weather/3d`, `/7d`…): `{"code": "200",
  "updateTime": "…", "daily": [{"fxDate": "2026-12-07", "tempMax": "-12", "tempMin": "-25", …}]}`, values
  as strings; the provider sends it gzip-compressed;
- a forecast file the utility receives (.xlsx, or .csv in UTF-8/GBK) with the columns 日期, 最低气温,
  最高气温 and optionally 日均气温, 实测日均气温, 实测最低气温 (history), read by `heatline.core.tabular`.

The mean of a day is the given mean, else (low + high) / 2. `fetch` is the one network call: a timeout
always, the provider's error codes and malformed bodies raised as `ForecastError` (zh + en message).
"""

import datetime as dt
import gzip
import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from heatline.core.tabular import Column, ImportReport, Progress, parse_date, parse_decimal, table_open, text

QWEATHER_SOURCE = "qweather"
# The coldest and warmest daily temperatures taken as real (Heilongjiang's record is about −53 ℃).
LOWEST_C = -60.0
HIGHEST_C = 50.0


class ForecastError(Exception):
    """A fetch or a response that cannot be used; `message` is shown as is (Chinese / English)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class ForecastDay:
    date: dt.date
    low_c: float | None = None
    high_c: float | None = None
    mean_c: float | None = None
    observed_mean_c: float | None = None
    observed_low_c: float | None = None


@dataclass(frozen=True)
class Forecast:
    """A provider's answer: when it was issued, by whom, the days it covers."""

    issued_at: dt.datetime | None
    source: str
    days: tuple[ForecastDay, ...]


def day_mean(low: float | None, high: float | None, mean: float | None) -> float | None:
    """The day's mean: the one given, else the middle of low and high."""
    if mean is not None:
        return mean
    if low is None or high is None:
        return None
    return round((low + high) / 2, 1)


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _in_range(value: float | None) -> bool:
    return value is None or LOWEST_C <= value <= HIGHEST_C


# --- QWeather v7 ---------------------------------------------------------------------------------------


def qweather_parse(body: bytes | str) -> Forecast:
    """A QWeather v7 daily response → Forecast. Raises ForecastError for a code other than 200, a body
    that is not JSON, or a day without a date or temperatures (the whole answer is refused then)."""
    if isinstance(body, bytes):
        if body[:2] == b"\x1f\x8b":  # the provider compresses every answer
            try:
                body = gzip.decompress(body)
            except (OSError, EOFError) as error:
                raise ForecastError(f"预报数据解压失败 / cannot decompress the response: {error}") from error
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ForecastError("预报数据不是 UTF-8 文本 / the response is not UTF-8 text") from error
    try:
        payload = json.loads(body)
    except json.JSONDecodeError as error:
        raise ForecastError(f"预报数据不是有效的 JSON / malformed JSON: {error}") from error
    if not isinstance(payload, dict):
        raise ForecastError("预报数据格式错误 / unexpected response shape")
    code = str(payload.get("code", ""))
    if code != "200":
        raise ForecastError(
            f"预报服务返回错误代码 {code or '(空)'} / the provider answered code {code or '(none)'}"
        )
    daily = payload.get("daily")
    if not isinstance(daily, list) or not daily:
        raise ForecastError("预报数据缺少逐日预报 / the response has no daily forecast")
    days: list[ForecastDay] = []
    for index, item in enumerate(daily, start=1):
        if not isinstance(item, dict):
            raise ForecastError(f"第{index}天预报格式错误 / day {index}: unexpected shape")
        try:
            date = dt.date.fromisoformat(str(item.get("fxDate", "")))
        except ValueError:
            raise ForecastError(
                f"第{index}天预报日期无效 / day {index}: invalid fxDate {item.get('fxDate')!r}"
            ) from None
        low, high = _number(item.get("tempMin")), _number(item.get("tempMax"))
        if low is None or high is None or not (_in_range(low) and _in_range(high)) or low > high:
            raise ForecastError(
                f"{date} 的预报气温无效 / {date}: invalid tempMin/tempMax "
                f"{item.get('tempMin')!r}/{item.get('tempMax')!r}"
            )
        days.append(ForecastDay(date=date, low_c=low, high_c=high, mean_c=day_mean(low, high, None)))
    issued_at: dt.datetime | None = None
    try:
        issued_at = dt.datetime.fromisoformat(str(payload.get("updateTime", "")))
    except ValueError:
        issued_at = None
    if issued_at is not None and issued_at.tzinfo is None:
        issued_at = None  # QWeather always gives an offset (+08:00); a naive time is not trusted
    return Forecast(issued_at=issued_at, source=QWEATHER_SOURCE, days=tuple(days))


Opener = Callable[..., Any]  # urllib.request.urlopen's shape: (request, timeout=) → a response with .read()


def fetch(*, url: str, key: str, location: str, timeout: float, opener: Opener | None = None) -> bytes:
    """GET the provider's daily forecast. The key goes as QWeather's header and query parameter (older
    and newer accounts accept one or the other). HTTP and network errors become ForecastError."""
    if not url:
        raise ForecastError("未设置 HEATLINE_WEATHER_URL / HEATLINE_WEATHER_URL is not set")
    if not location:
        raise ForecastError("未设置 HEATLINE_WEATHER_LOCATION / HEATLINE_WEATHER_LOCATION is not set")
    query = {"location": location}
    if key:
        query["key"] = key
    separator = "&" if urllib.parse.urlsplit(url).query else "?"
    request = urllib.request.Request(
        f"{url}{separator}{urllib.parse.urlencode(query)}",
        headers={
            "Accept-Encoding": "gzip",
            "User-Agent": "heatline",
            **({"X-QW-Api-Key": key} if key else {}),
        },
    )
    try:
        with (opener or urllib.request.urlopen)(request, timeout=timeout) as response:
            body: bytes = response.read()
    except urllib.error.HTTPError as error:
        raise ForecastError(f"预报服务 HTTP 错误 {error.code} / HTTP error {error.code}") from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ForecastError(f"无法连接预报服务 / cannot reach the provider: {reason}") from error
    return body


# --- Forecast file -------------------------------------------------------------------------------------

COLUMNS: Sequence[Column] = (
    Column("日期", ("date", "预报日期"), required=True),
    Column("最低气温", ("low", "min", "tempmin", "预报最低气温"), required=True),
    Column("最高气温", ("high", "max", "tempmax", "预报最高气温"), required=True),
    Column("日均气温", ("mean", "平均气温", "预报日均气温")),
    Column("实测日均气温", ("observed", "observed_mean", "实测", "实测气温")),
    Column("实测最低气温", ("observed_low", "实测最低")),
)


def _cell_number(report: ImportReport, row: int, column: str, value: Any) -> float | None:
    """A temperature cell: empty is None; anything else must be a number within the plausible range."""
    if text(value) == "":
        return None
    number = parse_decimal(text(value).replace("℃", "").replace("°C", "").replace("°", ""))
    if number is None:
        report.error(row, column, _("不是有效的数字 / not a number: %(value)s") % {"value": text(value)})
        return None
    result = float(number)
    if not _in_range(result):
        report.error(
            row,
            column,
            _("气温超出合理范围(%(low)s~%(high)s℃)/ temperature out of range")
            % {"low": int(LOWEST_C), "high": int(HIGHEST_C)},
        )
        return None
    return result


def file_parse(
    *, content: bytes, file_name: str, progress: Progress | None = None
) -> tuple[list[ForecastDay], ImportReport]:
    """A forecast file's rows, each checked: a date once, low ≤ high, numbers in range. Row errors go to
    the report (the caller writes nothing while there is one). Raises InvalidInput for a bad file."""
    table, report = table_open(content=content, file_name=file_name, columns=COLUMNS, progress=progress)
    days: list[ForecastDay] = []
    seen: dict[dt.date, int] = {}
    for number, row in table.rows:
        report.rows += 1
        errors_before = len(report.errors)
        date = parse_date(row.get("日期"))
        if date is None:
            report.error(
                number, "日期", _("日期无效 / invalid date: %(value)s") % {"value": text(row.get("日期"))}
            )
        elif date in seen:
            report.error(
                number, "日期", _("日期与第%(row)d行重复 / date repeats row %(row)d") % {"row": seen[date]}
            )
        else:
            seen[date] = number
        low = _cell_number(report, number, "最低气温", row.get("最低气温"))
        high = _cell_number(report, number, "最高气温", row.get("最高气温"))
        mean = _cell_number(report, number, "日均气温", row.get("日均气温"))
        observed = _cell_number(report, number, "实测日均气温", row.get("实测日均气温"))
        observed_low = _cell_number(report, number, "实测最低气温", row.get("实测最低气温"))
        if low is None and text(row.get("最低气温")) == "":
            report.error(number, "最低气温", _("必填 / required"))
        if high is None and text(row.get("最高气温")) == "":
            report.error(number, "最高气温", _("必填 / required"))
        if low is not None and high is not None and low > high:
            report.error(number, "最低气温", _("最低气温高于最高气温 / the low is above the high"))
        if len(report.errors) == errors_before and date is not None:
            days.append(
                ForecastDay(
                    date=date,
                    low_c=low,
                    high_c=high,
                    mean_c=day_mean(low, high, mean),
                    observed_mean_c=observed,
                    observed_low_c=observed_low,
                )
            )
    if report.rows == 0:
        report.error(2, "", _("文件没有数据行 / the file has no rows"))
    return days, report
