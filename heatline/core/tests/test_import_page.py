"""/setup/imports/ (issue 18): an administrator uploads a register, the worker checks it with progress, the
row report is shown, and only a confirmed clean report is written; a wrong file writes nothing."""

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from heatline.core.jobs import data_imports
from heatline.core.models import AuditEvent, DataImport, DataImportStatus
from heatline.core.tabular import table_read
from heatline.registry.imports import REGISTER_COLUMNS
from heatline.registry.models import Household, HouseholdPhone
from heatline.registry.tests.factories import Org
from heatline.requests.imports import REQUEST_COLUMNS

REGISTER = (
    "换热站,小区,楼栋,单元,户号,地址,户主,电话,供热面积,供热状态\n"
    "页面1号站,页面小区,1,1,9100001,页面小区1号楼1单元101室,张三,13900009991/13900009992/13900009993,80,在供\n"
    "页面1号站,页面小区,1,1,9100002,页面小区1号楼1单元102室,李四,13900009994,70,报停\n"
)


def client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


@pytest.mark.django_db
def test_upload_check_confirm_write(org: Org) -> None:
    client = client_for(org.admin)
    file = io.BytesIO(REGISTER.encode("gbk"))
    file.name = "register.csv"
    response = client.post("/setup/imports/register/upload/", {"file": file})
    assert response.status_code == 302
    record = DataImport.objects.get()
    assert record.status == DataImportStatus.QUEUED
    before = Household.objects.count()

    # the worker checks it: the row report, nothing written
    assert data_imports(record.started_at) == 1
    record.refresh_from_db()
    assert record.status == DataImportStatus.CHECKED and not record.committed
    assert record.report["created"]["热用户"] == 2 and record.report["error_count"] == 0
    assert Household.objects.count() == before
    page = client.get(f"/setup/imports/{record.pk}/").content.decode()
    assert "确认写入" in page and "热用户:2" in page

    # confirmed: written in one go, the file dropped, an audit event
    assert client.post(f"/setup/imports/{record.pk}/confirm/").status_code == 302
    assert data_imports(record.started_at) == 1
    record.refresh_from_db()
    assert record.status == DataImportStatus.DONE and record.committed and bytes(record.content) == b""
    assert Household.objects.count() == before + 2
    assert HouseholdPhone.objects.filter(household__account_number="9100001").count() == 1
    assert AuditEvent.objects.filter(action="register_import", object_id=str(record.pk)).exists()
    assert data_imports(record.started_at) == 0  # nothing left to do
    # a second confirm is refused
    client.post(f"/setup/imports/{record.pk}/confirm/")
    record.refresh_from_db()
    assert record.status == DataImportStatus.DONE


@pytest.mark.django_db
def test_a_file_with_a_bad_row_shows_it_and_cannot_be_written(org: Org) -> None:
    client = client_for(org.admin)
    file = io.BytesIO(
        (REGISTER + "页面1号站,页面小区,,1,9100003,某地址,王五,139,八十,在供\n").encode("utf-8-sig")
    )
    file.name = "register.csv"
    client.post("/setup/imports/register/upload/", {"file": file})
    record = DataImport.objects.get()
    data_imports(record.started_at)
    record.refresh_from_db()
    assert record.status == DataImportStatus.CHECKED
    rows = {(row, column) for row, column, _message in record.report["errors"]}
    assert {(4, "楼栋"), (4, "电话"), (4, "供热面积")} <= rows
    page = client.get(f"/setup/imports/{record.pk}/").content.decode()
    assert "有错误行,未写入任何数据" in page and "确认写入" not in page
    client.post(f"/setup/imports/{record.pk}/confirm/")
    record.refresh_from_db()
    assert record.status == DataImportStatus.CHECKED and not record.commit_requested
    assert not Household.objects.filter(account_number__startswith="91000").exists()


@pytest.mark.django_db
def test_an_unreadable_file_fails_with_its_reason(org: Org) -> None:
    client = client_for(org.admin)
    file = io.BytesIO("名字,年龄\n张三,3\n".encode())
    file.name = "wrong.csv"
    client.post("/setup/imports/register/upload/", {"file": file})
    record = DataImport.objects.get()
    data_imports(record.started_at)
    record.refresh_from_db()
    assert record.status == DataImportStatus.FAILED
    assert "表头缺少必填列" in record.message
    assert "文件无法读取" in client.get(f"/setup/imports/{record.pk}/").content.decode()
    # a .txt is refused at the upload
    text_file = io.BytesIO(b"x")
    text_file.name = "notes.txt"
    response = client.post("/setup/imports/register/upload/", {"file": text_file}, follow=True)
    assert "只支持 .xlsx 和 .csv 文件" in response.content.decode()
    assert DataImport.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "columns"), [("register", REGISTER_COLUMNS), ("requests", REQUEST_COLUMNS)])
def test_templates_download_with_the_import_headers(org: Org, kind: str, columns: tuple) -> None:
    client = client_for(org.admin)
    for extension in ("xlsx", "csv"):
        response = client.get(f"/setup/imports/{kind}/template.{extension}")
        assert response.status_code == 200
        table = table_read(content=response.content, file_name=f"t.{extension}", columns=columns)
        assert set(table.columns) == {column.name for column in columns} and table.unknown == []
        assert len(list(table.rows)) >= 2
    workbook = load_workbook(io.BytesIO(client.get(f"/setup/imports/{kind}/template.xlsx").content))
    assert workbook.worksheets[0].cell(1, 1).value == columns[0].name


@pytest.mark.django_db
def test_only_administrators_reach_the_imports(org: Org) -> None:
    assert client_for(org.operator).get("/setup/imports/").status_code == 403
    assert client_for(org.responsible).post("/setup/imports/register/upload/").status_code == 403
    assert Client().get("/setup/imports/").status_code == 302
    assert client_for(org.admin).get("/setup/imports/").status_code == 200


@pytest.mark.django_db
def test_a_script_sends_the_nightly_delta_through_the_api(org: Org) -> None:
    from heatline.registry.services import api_token_create

    client = Client()
    headers = {"Authorization": f"Bearer {api_token_create(staff=org.admin)}"}
    file = io.BytesIO(REGISTER.encode("gbk"))
    file.name = "delta.csv"
    response = client.post("/api/v1/imports/register", {"file": file, "commit": "true"}, headers=headers)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["commit_requested"] is True
    record = DataImport.objects.get(pk=body["id"])
    assert data_imports(record.started_at) == 1  # checked and, every row right, written in one pass
    done = client.get(f"/api/v1/imports/runs/{record.pk}", headers=headers).json()
    assert done["status"] == "done" and done["committed"] and done["report"]["created"]["热用户"] == 2
    assert Household.objects.filter(account_number__in=["9100001", "9100002"]).count() == 2
    # others may not; a wrong kind or file is refused clearly
    operator = {"Authorization": f"Bearer {api_token_create(staff=org.operator)}"}
    again = io.BytesIO(b"x")
    again.name = "x.csv"
    assert client.post("/api/v1/imports/register", {"file": again}, headers=operator).status_code == 403
    assert client.get(f"/api/v1/imports/runs/{record.pk}", headers=operator).status_code == 403
    wrong = io.BytesIO(b"x")
    wrong.name = "x.csv"
    assert client.post("/api/v1/imports/ledgers", {"file": wrong}, headers=headers).status_code == 422
    text_file = io.BytesIO(b"x")
    text_file.name = "x.txt"
    refused = client.post("/api/v1/imports/staff", {"file": text_file}, headers=headers)
    assert refused.status_code == 422 and "只支持" in refused.json()["detail"]
    assert client.get("/api/v1/imports/runs/999999", headers=headers).status_code == 404
