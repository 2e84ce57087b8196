"""The table reader of every import (issue 18): encodings, .xlsx, headers and their aliases, phone cells."""

import pytest

from heatline.core.errors import InvalidInput
from heatline.core.tabular import Column, split_phones, table_open, table_read
from heatline.core.tests.import_files import csv_bytes, xlsx_bytes

COLUMNS = (
    Column("户号", ("account",), required=True),
    Column("供热面积", ("area",)),
    Column("电话", ("phone",)),
)
ROWS = [
    ["户号", "供热面积(㎡)", "电话"],
    ["2010001", "86.5", "13904561234"],
    ["", "", ""],
    ["2010002", "92", ""],
]


def read(content: bytes, name: str = "f.csv") -> tuple[dict[str, int], list[str], list[tuple[int, dict]]]:
    table = table_read(content=content, file_name=name, columns=COLUMNS)
    return (
        table.columns,
        table.unknown,
        [(n, {k: str(v) for k, v in cells.items()}) for n, cells in table.rows],
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_every_encoding_reads_the_same_rows(encoding: str) -> None:
    columns, unknown, rows = read(csv_bytes(ROWS, encoding=encoding))
    assert columns == {"户号": 0, "供热面积": 1, "电话": 2} and unknown == []
    # the blank row is skipped; the numbers are the spreadsheet's (header = row 1)
    assert rows == [
        (2, {"户号": "2010001", "供热面积": "86.5", "电话": "13904561234"}),
        (4, {"户号": "2010002", "供热面积": "92", "电话": ""}),
    ]


def test_xlsx_reads_the_same_rows_and_english_aliases_match() -> None:
    columns, unknown, rows = read(
        xlsx_bytes([["Account", " AREA ", "phone", "备注"], [2010001, 86.5, "139"]]), "f.xlsx"
    )
    assert set(columns) == {"户号", "供热面积", "电话"}
    assert unknown == ["备注"]  # reported, not dropped in silence
    assert rows[0][0] == 2 and rows[0][1]["户号"] in ("2010001", "2010001.0")


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (csv_bytes([["供热面积"], ["1"]]), "f.csv", "表头缺少必填列:户号"),
        (csv_bytes([["户号", "account"], ["1", "2"]]), "f.csv", "表头重复"),
        (b"", "f.csv", "文件为空"),
        (b"anything", "f.txt", "只支持 .xlsx 和 .csv 文件"),
        (b"not a workbook", "f.xlsx", "无法读取 Excel 文件"),
        (b"\xff\xfe\xfa\x00\x81\x00", "f.csv", "无法识别文件编码"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_its_reason(
    content: bytes, name: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        read(content, name)
    assert message in error.value.message


def test_phone_cells_split_on_every_separator() -> None:
    phones, bad = split_phones("13904561234;0456-8221234 13800000000/13700000000,13600000000、13500000000")
    assert phones == [
        "13904561234",
        "04568221234",
        "13800000000",
        "13700000000",
        "13600000000",
        "13500000000",
    ]
    assert bad == []
    assert split_phones("13904561234 abc 13904561234 139") == (["13904561234"], ["abc", "139"])
    assert split_phones(None) == ([], [])


def test_unknown_columns_become_the_reports_warning() -> None:
    table, report = table_open(
        content=csv_bytes([["户号", "备注", "楼层"], ["2010001", "x", "3"]]),
        file_name="f.csv",
        columns=COLUMNS,
    )
    assert table.unknown == ["备注", "楼层"]
    assert report.warnings == ["以下列无法识别,未导入:备注、楼层"]
    assert [cells for _n, cells in table.rows] == [{"户号": "2010001"}]  # the unknown cells are not read


def test_full_width_brackets_spaces_and_case_in_headers_match() -> None:
    columns, unknown, _rows = read(csv_bytes([["户 号", "供热面积（㎡）", "PHONE"], ["1", "2", "3"]]))
    assert columns == {"户号": 0, "供热面积": 1, "电话": 2} and unknown == []
    # a unit in the header does not make a different column: two spellings of one column are refused
    with pytest.raises(InvalidInput, match="表头重复"):
        read(csv_bytes([["户号", "供热面积", "供热面积(㎡)"], ["1", "2", "3"]]))


def test_a_required_column_is_named_even_when_only_its_alias_is_missing() -> None:
    with pytest.raises(InvalidInput) as error:
        read(xlsx_bytes([["area", "phone"], [1, 2]]), "f.xlsx")
    assert "户号" in error.value.message


def test_phone_cells_split_on_full_width_separators_too() -> None:
    assert split_phones("13904561234，13800000000；13700000000") == (
        ["13904561234", "13800000000", "13700000000"],
        [],
    )
