"""`heatline import-staff` (issue 18): the organisation and its people; new accounts get no password but a
one-time sign-in link; 负责片区 makes the district's responsible person; wrong rows write nothing."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from heatline.core.models import DataImport
from heatline.core.tests.import_files import csv_bytes, xlsx_bytes
from heatline.outbox.models import Outbox
from heatline.registry.imports import register_import
from heatline.registry.models import (
    UNASSIGNED_CODE,
    Branch,
    Department,
    District,
    Role,
    Staff,
    Team,
    TeamKind,
)
from heatline.registry.staff_import import staff_import
from heatline.registry.tests.factories import Org

HEADER = ["分公司", "片区", "科室", "班组", "姓名", "账号", "手机", "角色", "负责片区"]


def staff_rows() -> list[list[object]]:
    return [
        HEADER,
        ["江东分公司", "新城片区", "", "", "王强", "wangqiang", "13904560101", "片区责任人", "新城片区"],
        ["", "", "客服科", "", "刘敏", "liumin", "13904560102", "热线话务员", ""],
        ["江东分公司", "", "", "抢修三队", "赵刚", "zhaogang", "", "抢修突击队队员", ""],
        ["", "", "稽查科", "", "孙科长", "sunke", "13904560104", "dept_head", ""],
    ]


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Staff, Branch, District, Department, Team))


@pytest.mark.django_db
def test_the_organisation_comes_in_with_sign_in_links_never_a_password(org: Org, tmp_path: Path) -> None:
    path = tmp_path / "staff.xlsx"
    path.write_bytes(xlsx_bytes(staff_rows()))
    before = counts()
    call_command("import_staff", str(path), stdout=StringIO(), stderr=StringIO())  # dry run
    assert counts() == before
    out = StringIO()
    call_command("import_staff", str(path), "--commit", stdout=out, stderr=StringIO())
    wang = Staff.objects.get(username="wangqiang")
    assert (wang.name, wang.role, wang.phone) == ("王强", Role.DISTRICT, "13904560101")
    assert (
        wang.district is not None
        and wang.district.name == "新城片区"
        and wang.district.branch.name == "江东分公司"
    )
    assert District.objects.get(name="新城片区").responsible == wang
    assert Department.objects.get(name="稽查科").head == Staff.objects.get(username="sunke")
    assert Team.objects.get(name="抢修三队").kind == TeamKind.REPAIR_CREW
    assert Staff.objects.get(username="zhaogang").team == Team.objects.get(name="抢修三队")
    new = Staff.objects.filter(username__in=["wangqiang", "liumin", "zhaogang", "sunke"])
    assert new.count() == 4 and not any(s.has_usable_password() for s in new)
    links = [line.split("链接:", 1)[1] for line in out.getvalue().splitlines() if "/accounts/signin/" in line]
    assert len(links) == 4
    # a printed link opens the set-password form for its owner
    client = Client()
    response = client.get("/accounts/" + links[0].split("/accounts/", 1)[1], follow=True)
    assert response.status_code == 200 and "new_password1" in response.content.decode()
    # the same file again: nothing changes
    again = staff_import(content=xlsx_bytes(staff_rows()), file_name="s.xlsx", commit=True, by=None)
    assert (
        again.report.unchanged == 4
        and again.new_accounts == []
        and counts() == (before[0] + 4, *counts()[1:])
    )


@pytest.mark.django_db
def test_send_sms_queues_a_link_for_each_new_account_with_a_phone(org: Org, tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_bytes(csv_bytes(staff_rows(), encoding="gbk"))
    out = StringIO()
    call_command("import_staff", str(path), "--commit", "--send-sms", stdout=out, stderr=StringIO())
    texts = [row.payload for row in Outbox.objects.filter(topic="resident.sms")]
    assert sorted(p["phone"] for p in texts) == ["13904560101", "13904560102", "13904560104"]
    assert all("/accounts/signin/" in p["text"] for p in texts)
    assert "zhaogang" in out.getvalue() and "/accounts/signin/" in out.getvalue()  # no phone: printed


@pytest.mark.django_db
def test_wrong_rows_write_nothing(org: Org) -> None:
    rows = staff_rows()
    rows.append(["", "", "", "", "某人", "liumin", "", "热线话务员", ""])
    rows.append(["", "", "", "", "", "bad name", "139", "厨师", "不存在片区"])
    rows.append(["", "没有分公司的新片区", "", "", "钱七", "qianqi", "", "片区工作人员", ""])
    before = counts()
    result = staff_import(content=csv_bytes(rows), file_name="s.csv", commit=True, by=None)
    found = {(e.row, e.column) for e in result.report.errors}
    assert {(6, "账号"), (7, "账号"), (7, "姓名"), (7, "角色"), (7, "手机"), (8, "分公司")} <= found
    assert not result.report.committed and counts() == before


@pytest.mark.django_db
def test_unknown_responsible_district_is_refused(org: Org) -> None:
    rows = [HEADER, ["江东分公司", "新城片区", "", "", "周八", "zhouba", "", "片区责任人", "火星片区"]]
    result = staff_import(content=csv_bytes(rows), file_name="s.csv", commit=True, by=None)
    assert {(e.row, e.column) for e in result.report.errors} == {(2, "负责片区")}
    assert not District.objects.filter(name="新城片区").exists()
    assert not Staff.objects.filter(username="zhouba").exists()


@pytest.mark.django_db
def test_a_district_left_unassigned_by_the_register_moves_to_its_branch(org: Org) -> None:
    register = [["小区", "楼栋", "户号", "地址"], ["孤岛小区", "1", "7700001", "孤岛小区1号楼101室"]]
    register_import(content=csv_bytes(register), file_name="r.csv", commit=True, by=None)
    unassigned = District.objects.get(code=UNASSIGNED_CODE)
    unassigned.name = "孤岛片区"  # the administrator names it, the staff list then places it
    unassigned.save()
    rows = [HEADER, ["江东分公司", "孤岛片区", "", "", "吴九", "wujiu", "", "片区责任人", "孤岛片区"]]
    result = staff_import(content=csv_bytes(rows), file_name="s.csv", commit=True, by=None)
    assert result.report.ok
    unassigned.refresh_from_db()
    assert unassigned.branch.name == "江东分公司" and unassigned.responsible == Staff.objects.get(
        username="wujiu"
    )


@pytest.mark.django_db
def test_the_command_exits_1_on_errors(org: Org, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([HEADER, ["", "", "", "", "x", "x", "", "没有的角色", ""]]))
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command("import_staff", str(path), "--commit", stdout=StringIO(), stderr=StringIO())


@pytest.mark.django_db
def test_a_dry_run_counts_what_a_commit_would_make_and_writes_nothing(org: Org) -> None:
    before = counts()
    result = staff_import(content=csv_bytes(staff_rows()), file_name="s.csv", commit=False, by=None)
    report = result.report
    assert report.ok and not report.committed and result.new_accounts == []
    assert report.created["员工"] == 4 and report.created["分公司"] == 1 and report.created["片区"] == 1
    assert report.created["科室"] == 1 and report.created["班组"] == 1  # 客服科 is the org's already
    assert counts() == before and not Staff.objects.filter(username="wangqiang").exists()
    assert not DataImport.objects.exists()


@pytest.mark.django_db
def test_a_re_import_with_send_sms_queues_nothing_for_known_accounts(org: Org, tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_bytes(csv_bytes(staff_rows()))
    call_command("import_staff", str(path), "--commit", "--send-sms", stdout=StringIO(), stderr=StringIO())
    queued = Outbox.objects.filter(topic="resident.sms").count()
    out = StringIO()
    call_command("import_staff", str(path), "--commit", "--send-sms", stdout=out, stderr=StringIO())
    assert Outbox.objects.filter(topic="resident.sms").count() == queued == 3
    assert "/accounts/signin/" not in out.getvalue() and "未变化 4 行" in out.getvalue()


@pytest.mark.django_db
def test_a_changed_role_updates_the_account_and_keeps_it_passwordless(org: Org) -> None:
    staff_import(content=csv_bytes(staff_rows()), file_name="s.csv", commit=True, by=None)
    rows = staff_rows()
    rows[2][7] = "话务员"  # 刘敏's role, by its short name
    rows[2][6] = "13904560199"
    result = staff_import(content=csv_bytes(rows), file_name="s.csv", commit=True, by=None)
    assert result.report.updated["员工"] == 1 and result.report.unchanged == 3 and result.new_accounts == []
    liumin = Staff.objects.get(username="liumin")
    assert (liumin.role, liumin.phone) == (Role.OPERATOR, "13904560199") and not liumin.has_usable_password()


@pytest.mark.django_db
def test_people_of_a_new_district_after_the_row_that_names_its_branch(org: Org) -> None:
    rows = [
        HEADER,
        ["江东分公司", "新城片区", "", "", "王强", "wangqiang", "", "片区责任人", "新城片区"],
        ["", "新城片区", "", "", "钱七", "qianqi", "", "片区工作人员", ""],  # the branch is given above
    ]
    result = staff_import(content=csv_bytes(rows), file_name="s.csv", commit=True, by=None)
    assert result.report.ok, [str(e) for e in result.report.errors]
    qian = Staff.objects.get(username="qianqi")
    assert qian.district is not None and qian.district.name == "新城片区"
    assert qian.branch is not None and qian.branch.name == "江东分公司"
