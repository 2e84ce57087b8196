import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import Workbook

from heatline.core.errors import InvalidInput
from heatline.proactive.jobs import ledger_validate
from heatline.proactive.ledger import ledger_commit, ledger_read, ledger_template_csv
from heatline.proactive.models import ImportStatus, LedgerImport, Reading
from heatline.proactive.tests.factories import seasons
from heatline.registry.tests.factories import Org

HEADER = "户号,地址,测温日期,房间,温度,原因\n"


def csv_bytes(org: Org, encoding: str = "utf-8") -> bytes:
    lines = [
        f"{org.household.account_number},,2025-12-05 09:30,客厅,18.5,暖气片积气",
        f",{org.household.address},2025/12/06,主卧,19,入户管道循环慢",
        ",无此地址1号楼,2025-12-06,客厅,18,",
        f"{org.household.account_number},,2025-12-07,客厅,45,",
        f"{org.household.account_number},,昨天,客厅,18,",
        f"{org.household.account_number},,2025-12-08,次卧,冷,",
    ]
    return (HEADER + "\n".join(lines) + "\n").encode(encoding)


@pytest.mark.django_db
def test_dry_run_reports_each_bad_row_with_its_number_and_writes_nothing(org: Org) -> None:
    # given: a ledger with two good rows and four bad ones
    seasons()

    # when
    report = ledger_read(content=csv_bytes(org), file_name="台账.csv")

    # then
    assert [row.row for row in report.good] == [2, 3]
    reasons = dict(report.errors)
    assert "地址无法识别" in reasons[4]
    assert "温度超出范围" in reasons[5]
    assert "日期无效" in reasons[6]
    assert "温度不是数字" in reasons[7]
    assert report.good[0].cause_id is not None  # 暖气片积气 is a known cause
    assert report.good[0].measured_at is not None and report.good[1].measured_at is None
    assert Reading.objects.count() == 0


@pytest.mark.django_db
def test_commit_imports_good_rows_once_even_when_the_file_comes_twice(org: Org) -> None:
    # given
    last, _this = seasons()
    report = ledger_read(content=csv_bytes(org), file_name="台账.csv")

    # when
    first = ledger_commit(report=report, by=org.admin)
    second = ledger_commit(report=ledger_read(content=csv_bytes(org), file_name="台账.csv"), by=org.admin)

    # then
    assert first == (2, 0)
    assert second == (0, 2)
    readings = list(Reading.objects.order_by("measured_on"))
    assert [r.temperature for r in readings] == [Decimal("18.5"), Decimal("19.0")]
    assert all(r.season_id == last.pk for r in readings)
    assert all(not r.counts_for_refund and r.not_counting_reason for r in readings)


@pytest.mark.django_db
def test_gbk_csv_and_xlsx_are_read(org: Org) -> None:
    # given
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["户号", "地址", "测温日期", "房间", "温度", "原因"])
    sheet.append([org.household.account_number, None, "2025-12-05", "客厅", 17.5, "设备老化"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    # when
    from_gbk = ledger_read(content=csv_bytes(org, "gbk"), file_name="a.csv")
    from_xlsx = ledger_read(content=buffer.getvalue(), file_name="a.xlsx")

    # then
    assert len(from_gbk.good) == 2
    assert len(from_xlsx.good) == 1 and from_xlsx.good[0].temperature == Decimal("17.5")


@pytest.mark.django_db
def test_wrong_headers_and_wrong_type_are_refused(org: Org) -> None:
    with pytest.raises(InvalidInput, match="表头"):
        ledger_read(content=b"a,b\n1,2\n", file_name="x.csv")
    with pytest.raises(InvalidInput, match="xlsx"):
        ledger_read(content=b"x", file_name="x.txt")


@pytest.mark.django_db
def test_district_staff_cannot_import_readings_of_another_district(org: Org) -> None:
    # given
    content = (HEADER + f"{org.other_household.account_number},,2025-12-05,客厅,18,\n").encode()

    # when
    report = ledger_read(content=content, file_name="a.csv", viewer=org.responsible)

    # then
    assert not report.good
    assert "不在您的管辖片区" in report.errors[0][1]


@pytest.mark.django_db
def test_command_is_a_dry_run_unless_told_to_commit(org: Org, tmp_path: object) -> None:
    # given
    seasons()
    path = tmp_path / "ledger.csv"  # type: ignore[operator]
    path.write_bytes(csv_bytes(org))
    out = io.StringIO()

    # when
    call_command("import_ledger", str(path), stdout=out, stderr=io.StringIO())

    # then
    assert "第5行" in out.getvalue() and "试运行" in out.getvalue()
    assert Reading.objects.count() == 0

    # when committed twice
    call_command("import_ledger", str(path), "--commit", stdout=io.StringIO(), stderr=io.StringIO())
    call_command("import_ledger", str(path), "--commit", stdout=out, stderr=io.StringIO())

    # then
    assert Reading.objects.count() == 2
    assert "已导入 0 条" in out.getvalue()


def test_cli_maps_the_dashed_command_names() -> None:
    from heatline.cli import COMMAND_ALIASES

    assert COMMAND_ALIASES["import-ledger"] == "import_ledger"
    assert COMMAND_ALIASES["watchlist-build"] == "watchlist_build"


@pytest.mark.django_db
def test_page_upload_preview_confirm(client: object, org: Org) -> None:
    # given
    seasons()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    assert isinstance(client, Client)
    client.force_login(org.responsible)

    # when: uploaded
    response = client.post(
        reverse("proactive:ledger"), {"file": SimpleUploadedFile("台账.csv", csv_bytes(org))}
    )

    # then: the preview lists the bad rows, nothing imported yet
    item = LedgerImport.objects.get()
    assert response.status_code == 302
    page = client.get(reverse("proactive:ledger_import", args=[item.pk]))
    assert "温度超出范围" in page.content.decode()
    assert item.status == ImportStatus.VALIDATED and Reading.objects.count() == 0

    # when: confirmed
    client.post(reverse("proactive:ledger_confirm", args=[item.pk]))

    # then
    item.refresh_from_db()
    assert item.status == ImportStatus.COMMITTED and item.rows_imported == 2
    assert Reading.objects.count() == 2
    # another user does not see the import
    client.force_login(org.worker)
    assert client.get(reverse("proactive:ledger_import", args=[item.pk])).status_code == 404


@pytest.mark.django_db
def test_large_upload_is_checked_by_the_worker_with_progress(client: object, org: Org) -> None:
    # given: an upload left pending (as a large file is)
    from django.test import Client

    assert isinstance(client, Client)
    seasons()
    item = LedgerImport.objects.create(file_name="big.csv", content=csv_bytes(org), uploaded_by=org.admin)
    client.force_login(org.admin)
    pending = client.get(reverse("proactive:ledger_import", args=[item.pk]), HTTP_HX_REQUEST="true")
    assert "正在校验" in pending.content.decode()

    # when
    handled = ledger_validate(item.created_at)

    # then
    item.refresh_from_db()
    assert handled == 1 and item.status == ImportStatus.VALIDATED
    assert item.rows_good == 2 and item.rows_bad == 4
    assert ledger_validate(item.created_at) == 0


@pytest.mark.django_db
def test_template_downloads_with_the_chinese_headers(client: object, org: Org) -> None:
    from django.test import Client

    assert isinstance(client, Client)
    client.force_login(org.worker)
    response = client.get(reverse("proactive:ledger_template"))
    assert response.content == ledger_template_csv()
    assert response.content.decode("utf-8-sig").startswith("户号,地址,测温日期,房间,温度,原因")
    xlsx = client.get(reverse("proactive:ledger_template") + "?format=xlsx")
    report = ledger_read(content=xlsx.content, file_name="template.xlsx")
    assert report.total == 2  # the sample rows (their households are not in this register)
