"""Files the way a utility's systems export them, for the import benchmark (issue 18).

- the billing system's register: one row a household, GBK CSV (Excel's default on a Chinese Windows) and .xlsx;
  phones in one cell with mixed separators, landlines with their area code, 报停 with its date;
- the staff list: branches, districts, departments, teams and people, .xlsx;
- two past seasons of requests as the 12345 platform and the old hotline system export them: some rows by
  account number, some by address only, 12345 order numbers, causes by name, callback results.
"""

import csv
import datetime as dt
import io
import random
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook

BRANCHES = ("江北分公司", "江南分公司")
DISTRICTS = tuple(f"{name}片区" for name in ("爱辉", "西岗", "花园", "兴安", "海兰", "锦河", "卧牛", "幸福"))
DEPARTMENTS = ("客服科", "生产技术科", "收费科", "安全科")
ROLES = (
    ("热线话务员", 60), ("片区责任人", 8), ("片区工作人员", 150), ("科室负责人", 4), ("抢修突击队队员", 40),
    ("分公司经理", 2), ("巡检/换热站技术人员", 30), ("公司管理层", 4), ("系统管理员", 2),
)  # fmt: skip
SEPARATORS = (";", ",", "/", " ", "、")
CATEGORIES = ("室温不达标", "暖气不热/停热", "室内跑水", "管网泄漏", "小故障维修", "收费咨询", "报停/启用")
CAUSES = ("管道堵塞", "设备老化", "暖气片积气", "入户管道循环慢", "阀门故障", "相邻用户报停", "")
Progress = Callable[[str, int, int], None]


def _household_rows(count: int, rng: random.Random) -> list[list[object]]:
    rows: list[list[object]] = []
    per_building, per_unit = 48, 16
    for index in range(count):
        building_index = index // per_building
        community_index = building_index // 6
        station = f"{DISTRICTS[community_index % 8][:2]}{community_index // 4 + 1}号换热站"
        community = f"{DISTRICTS[community_index % 8][:2]}{community_index + 1}小区"
        building = building_index % 6 + 1
        unit = (index % per_building) // per_unit + 1
        floor, door = divmod(index % per_unit, 2)
        room = f"{floor + 1}0{door + 1}"
        phones = [f"139{rng.randrange(10**8):08d}"]
        if rng.random() < 0.35:
            phones.append(f"0456-{rng.randrange(10**7):07d}")
        if rng.random() < 0.08:
            phones.append(f"138{rng.randrange(10**8):08d}")
        stopped = rng.random() < 0.05
        rows.append(
            [
                station, community, f"{building}号楼", f"{unit}单元", f"{3000000 + index}", room,
                f"{community}{building}号楼{unit}单元{room}室", f"用户{index}",
                rng.choice(SEPARATORS).join(phones), round(rng.uniform(45, 140), 2),
                "报停" if stopped else "在供", "2026-10-1" + str(rng.randrange(10)) if stopped else "",
                DISTRICTS[community_index % 8],
            ]
        )  # fmt: skip
    return rows


REGISTER_HEADER = ["换热站", "小区", "楼栋", "单元", "户号", "房号", "地址", "户主", "电话", "供热面积(㎡)",
                   "供热状态", "状态日期", "片区"]  # fmt: skip


def register_files(folder: Path, *, households: int, seed: int = 7, xlsx: bool = True) -> dict[str, Path]:
    rng = random.Random(seed)
    rows = _household_rows(households, rng)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"csv": folder / f"register-{households}.csv"}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(REGISTER_HEADER)
    writer.writerows(rows)
    paths["csv"].write_bytes(buffer.getvalue().encode("gbk"))
    # The delta of a season: 2 % of households 报停 or 复供, 1 % a new phone.
    for row in rows:
        roll = rng.random()
        if roll < 0.02:
            row[10], row[11] = ("在供", "2026-12-01") if row[10] == "报停" else ("报停", "2026-12-01")
        elif roll < 0.03:
            row[8] = f"137{rng.randrange(10**8):08d}"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(REGISTER_HEADER)
    writer.writerows(rows)
    paths["delta"] = folder / f"register-{households}-delta.csv"
    paths["delta"].write_bytes(buffer.getvalue().encode("gbk"))
    if xlsx:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("房产档案")
        sheet.append(REGISTER_HEADER)
        for row in rows:
            sheet.append(row)
        paths["xlsx"] = folder / f"register-{households}.xlsx"
        workbook.save(paths["xlsx"])
    return paths


def staff_file(folder: Path, *, seed: int = 7) -> Path:
    rng = random.Random(seed)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("人员")
    sheet.append(["分公司", "片区", "科室", "班组", "姓名", "账号", "手机", "角色", "负责片区"])
    number = 0
    for role, count in ROLES:
        for index in range(count):
            number += 1
            district = DISTRICTS[index % 8]
            branch = BRANCHES[(index % 8) // 4]
            row = [
                "",
                "",
                "",
                "",
                f"员工{number}",
                f"u{number:04d}",
                f"135{rng.randrange(10**8):08d}",
                role,
                "",
            ]
            if role in ("片区责任人", "片区工作人员"):
                row[0], row[1] = branch, district
                if role == "片区责任人":
                    row[8] = district
            elif role == "科室负责人":
                row[2] = DEPARTMENTS[index % 4]
            elif role == "抢修突击队队员":
                row[0], row[3] = BRANCHES[index % 2], f"抢修{index % 2 + 1}队"
            elif role == "分公司经理":
                row[0] = BRANCHES[index % 2]
            elif role == "热线话务员":
                row[2] = "客服科"
            sheet.append(row)
    path = folder / "staff.xlsx"
    workbook.save(path)
    return path


REQUEST_HEADER = ["来电时间", "户号", "地址", "电话", "来源", "外部单号", "类别", "诉求内容", "原因", "处理结果",
                  "办结时间", "回访结果"]  # fmt: skip


def requests_file(folder: Path, *, season: int, count: int, households: int, seed: int = 7) -> Path:
    """A season of requests: GBK CSV as the 12345 platform exports it."""
    rng = random.Random(seed + season)
    start = dt.datetime(season, 10, 20, 8, 0)  # noqa: DTZ001 - local wall time, as the export writes it
    span = (dt.datetime(season + 1, 4, 5) - start).total_seconds()  # noqa: DTZ001
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(REQUEST_HEADER)
    hot = [rng.randrange(households // 48) for _ in range(30)]  # buildings whose pipes block every season
    for index in range(count):
        if index % 10 == 0:
            building = rng.choice(hot)
            household = building * 48 + rng.randrange(48)
            category, cause = "室温不达标", "管道堵塞"
        else:
            household = rng.randrange(households)
            category, cause = rng.choice(CATEGORIES), rng.choice(CAUSES)
        received = start + dt.timedelta(seconds=rng.randrange(int(span)))
        closed = received + dt.timedelta(hours=rng.uniform(0.5, 60))
        source = rng.choice(("12345", "12345", "963000", "12319"))
        account = f"{3000000 + household}"
        by_address = rng.random() < 0.3
        community_index = household // 48 // 6
        address = ""
        if by_address:
            building = household // 48 % 6 + 1
            unit = (household % 48) // 16 + 1
            floor, door = divmod(household % 16, 2)
            address = f"{DISTRICTS[community_index % 8][:2]}{community_index + 1}小区{building}号楼{unit}单元{floor + 1}0{door + 1}室"
            account = ""
        writer.writerow(
            [
                received.strftime("%Y-%m-%d %H:%M:%S"), account, address, f"139{rng.randrange(10**8):08d}",
                source, f"GD{received:%Y%m%d}{index:06d}" if source != "963000" else "", category,
                f"{category}:第{index}号来电", cause, "已处理", closed.strftime("%Y/%m/%d %H:%M"),
                rng.choice(("满意", "满意", "基本满意", "不满意", "未回访")),
            ]
        )  # fmt: skip
    path = folder / f"requests-{season}.csv"
    path.write_bytes(buffer.getvalue().encode("gbk"))
    return path
