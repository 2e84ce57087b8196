"""Reading the tables that other systems export (billing register, staff list, old hotline orders).

One reader for every import: .xlsx, or .csv in UTF-8, UTF-8 with BOM or GBK (GB18030); Chinese headers with
English aliases; headers the import does not know are reported, never dropped in silence. `ImportReport`
is the row-level report every import prints (console) and keeps (page): rows, errors with their row number
and column, what would be / was created and updated. Imports check every row first and write nothing
while any row is wrong (all or nothing), so a file can be fixed and sent again.
"""

import csv
import datetime as dt
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from heatline.core.errors import InvalidInput

MAX_FILE_BYTES = 100 * 1024 * 1024
PROGRESS_EVERY = 10000
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
TIME_FORMATS = ("%H:%M", "%H:%M:%S")

Progress = Callable[[int, int], None]  # (rows processed, rows in the file)


@dataclass(frozen=True)
class Column:
    """One column of an import: its Chinese header, the English aliases accepted for it."""

    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False


@dataclass
class RowError:
    row: int  # the row number as a spreadsheet shows it (the header is row 1)
    column: str
    message: str

    def __str__(self) -> str:
        where = _("第%(row)d行") % {"row": self.row}
        if self.column:
            where += f"[{self.column}]"
        return f"{where}:{self.message}"


@dataclass
class ImportReport:
    """What an import found and did; `committed` only when it wrote."""

    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: int = 0
    committed: bool = False
    span: tuple[dt.date, dt.date] | None = None  # the first and last day the written rows fall on

    def error(self, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(row, column, message))

    def check_lengths(self, row: int, limits: Sequence[tuple[str, str, int]]) -> None:
        """(column, value, the column's length in the database): a longer value is the row's error."""
        for column, value, limit in limits:
            if len(value) > limit:
                self.error(row, column, _("内容过长(最多 %(limit)d 个字)") % {"limit": limit})

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        def listed(counts: Counter[str]) -> str:
            return "、".join(f"{name} {count:,}" for name, count in counts.items() if count) or "0"

        return _("共 %(rows)s 行:错误 %(errors)s 行;新增 %(created)s;更新 %(updated)s;未变化 %(same)s 行") % {
            "rows": f"{self.rows:,}",
            "errors": f"{len({error.row for error in self.errors}):,}",
            "created": listed(self.created),
            "updated": listed(self.updated),
            "same": f"{self.unchanged:,}",
        }

    def as_dict(self, *, max_errors: int = 2000) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "errors": [[e.row, e.column, e.message] for e in self.errors[:max_errors]],
            "error_count": len(self.errors),
            "warnings": self.warnings,
            "created": dict(self.created),
            "updated": dict(self.updated),
            "unchanged": self.unchanged,
            "committed": self.committed,
        }


def header_key(text: str) -> str:
    """A header as compared: no spaces, no case, no unit in brackets (`供热面积(㎡)` is `供热面积`)."""
    text = text.replace("\u3000", " ").strip().lower()
    text = re.sub(r"[(（\[【].*?[)）\]】]", "", text)
    return re.sub(r"[\s_\-*]", "", text)


@dataclass
class Table:
    """The rows of a file as {column name: cell}, numbered as in a spreadsheet."""

    columns: dict[str, int]
    unknown: list[str]
    rows: Iterator[tuple[int, dict[str, Any]]]
    total: int


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(_("无法识别文件编码,请使用 UTF-8 或 GBK 编码的 CSV"))


def raw_rows(content: bytes, file_name: str) -> tuple[Iterator[Sequence[Any]], int]:
    if len(content) > MAX_FILE_BYTES:
        raise InvalidInput(_("文件过大(最大 %(mb)d MB)") % {"mb": MAX_FILE_BYTES // (1024 * 1024)})
    name = file_name.lower()
    if name.endswith(".xlsx"):
        from python_calamine import CalamineWorkbook

        try:
            sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
        except Exception as error:  # calamine raises its own kinds for a broken or encrypted file
            raise InvalidInput(_("无法读取 Excel 文件:%(error)s") % {"error": error}) from error
        return iter(sheet.iter_rows()), max(int(sheet.height or 1) - 1, 0)
    if name.endswith(".csv"):
        text = _decode(content)
        return csv.reader(io.StringIO(text)), max(text.count("\n") - 1, 0)
    raise InvalidInput(_("只支持 .xlsx 和 .csv 文件"))


def table_read(
    *, content: bytes, file_name: str, columns: Sequence[Column], progress: Progress | None = None
) -> Table:
    """Open a file and match its header to `columns`. A missing required column or an empty file is an
    error for the whole file; unknown headers are returned for the report."""
    raw, total = raw_rows(content, file_name)
    header = next(raw, None)
    if header is None or not any(text(cell) for cell in header):
        raise InvalidInput(_("文件为空或缺少表头"))
    known: dict[str, str] = {}
    for column in columns:
        for spelling in (column.name, *column.aliases):
            known[header_key(spelling)] = column.name
    found: dict[str, int] = {}
    unknown: list[str] = []
    for index, cell in enumerate(header):
        label = text(cell)
        if not label:
            continue
        name = known.get(header_key(label))
        if name is None:
            unknown.append(label)
        elif name in found:
            raise InvalidInput(_("表头重复:%(name)s") % {"name": label})
        else:
            found[name] = index
    missing = [column.name for column in columns if column.required and column.name not in found]
    if missing:
        raise InvalidInput(_("表头缺少必填列:%(missing)s(可下载模板对照)") % {"missing": "、".join(missing)})

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for number, values in enumerate(raw, start=2):
            if progress is not None and number % PROGRESS_EVERY == 0:
                progress(number - 1, total)
            if not values or all(text(value) == "" for value in values):
                continue
            yield number, {name: values[i] if i < len(values) else None for name, i in found.items()}
        if progress is not None:
            progress(total, total)

    return Table(columns=found, unknown=unknown, rows=rows(), total=total)


def table_open(
    *, content: bytes, file_name: str, columns: Sequence[Column], progress: Progress | None = None
) -> tuple[Table, ImportReport]:
    """An import's start: the file's table and a fresh report that already warns of unknown columns."""
    table = table_read(content=content, file_name=file_name, columns=columns, progress=progress)
    report = ImportReport()
    if table.unknown:
        report.warnings.append(unknown_columns_warning(table.unknown))
    return table, report


def unknown_columns_warning(unknown: Sequence[str]) -> str:
    return _("以下列无法识别,未导入:%(names)s") % {"names": "、".join(unknown)}


def text(value: Any) -> str:
    """A cell as text: numbers from Excel without their `.0`, spaces trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    return str(value).replace("\u3000", " ").strip()


def parse_decimal(value: Any) -> Decimal | None:
    raw = text(value).replace(",", "").replace("㎡", "").replace("m²", "").strip()
    if not raw:
        return None
    try:
        number = Decimal(raw)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def parse_date(value: Any) -> dt.date | None:
    when = parse_when(value)
    return when[0] if when else None


def parse_when(value: Any) -> tuple[dt.date, dt.time | None] | None:
    """A date, with its time when given; None when the cell is not a date."""
    if isinstance(value, dt.datetime):
        has_time = value.time() != dt.time.min
        return value.date(), (value.time().replace(microsecond=0) if has_time else None)
    if isinstance(value, dt.date):
        return value, None
    raw = text(value)
    if not raw:
        return None
    try:  # the common `2025-12-03 08:15[:00]` and `2025/12/03 08:15` at C speed; the formats below otherwise
        moment = dt.datetime.fromisoformat(raw.replace("/", "-"))
    except ValueError:
        moment = None
    if moment is not None and moment.tzinfo is None and len(raw) >= 10:
        has_time = len(raw) > 10
        return moment.date(), (moment.time().replace(microsecond=0) if has_time else None)
    date_part, _space, time_part = raw.replace("T", " ").partition(" ")
    day: dt.date | None = None
    for date_format in DATE_FORMATS:
        try:
            day = dt.datetime.strptime(date_part, date_format).date()  # noqa: DTZ007 - a calendar date
            break
        except ValueError:
            continue
    if day is None:
        return None
    time_part = time_part.strip()
    if not time_part:
        return day, None
    for time_format in TIME_FORMATS:
        try:
            return day, dt.datetime.strptime(time_part, time_format).time()  # noqa: DTZ007
        except ValueError:
            continue
    return None


PHONE_SEPARATORS = re.compile(r"[,，;；/、\s]+")
PHONE = re.compile(r"^\+?[0-9][0-9\-]{4,19}$")


def split_phones(value: Any) -> tuple[list[str], list[str]]:
    """One or more phone numbers separated by , ; / or space: (numbers, parts that are not numbers)."""
    phones: list[str] = []
    bad: list[str] = []
    for part in PHONE_SEPARATORS.split(text(value)):
        if not part:
            continue
        if PHONE.match(part):
            number = part.replace("-", "")
            if number not in phones:
                phones.append(number)
        else:
            bad.append(part)
    return phones, bad


def template_xlsx(*, title: str, columns: Sequence[Column], examples: Sequence[Sequence[Any]]) -> bytes:
    """A downloadable template: the header row and example rows."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append([column.name for column in columns])
    for example in examples:
        sheet.append(list(example))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_csv(*, columns: Sequence[Column], examples: Sequence[Sequence[Any]]) -> bytes:
    """The same template as CSV, UTF-8 with BOM so Excel opens the Chinese headers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([column.name for column in columns])
    for example in examples:
        writer.writerow(["" if cell is None else cell for cell in example])
    return buffer.getvalue().encode("utf-8-sig")
