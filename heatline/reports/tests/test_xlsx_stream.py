"""The streaming .xlsx writer of the big request export: openpyxl reads back what it wrote."""

import io

from openpyxl import load_workbook

from heatline.reports.xlsx_stream import write_xlsx_stream


def test_streamed_workbook_reads_back_with_every_kind_of_value() -> None:
    # given: text needing escapes, a control character, numbers, a boolean, empty cells
    rows = [
        ("RX0001", "A & B <c>", 3, 2.5, True, None, ""),
        ("RX0002", "暖气不热\x07", 0, -1.25, False, "x", "末列"),
    ]
    seen: list[int] = []
    out = io.BytesIO()

    # when
    count = write_xlsx_stream(
        out=out,
        title="诉求明细",
        headers=("工单号", "内容", "n", "x", "b", "e", "f"),
        rows=rows,
        progress=seen.append,
        every=1,
    )

    # then
    assert count == 2
    assert seen == [1, 2, 2]
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    assert sheet.title == "诉求明细"
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("工单号", "内容", "n", "x", "b", "e", "f")
    assert values[1] == ("RX0001", "A & B <c>", 3, 2.5, True, None, None)
    assert values[2] == ("RX0002", "暖气不热", 0, -1.25, False, "x", "末列")
    assert sheet["A1"].font.b is True
