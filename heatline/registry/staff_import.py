"""`heatline import-staff`: the organisation as a staff list exports it, one row a person.

Branches, districts, departments and teams named in the file are created when missing; a district that an
earlier register import left under 待分配 moves to the branch the staff list gives it. `账号` is the key:
a known account is updated, a new one is created with an unusable password (never a shared default) and
gets a one-time sign-in link. `负责片区` makes the person the district's responsible person (第七条.1: routine
requests land there); a 科室负责人 with a 科室 becomes its head, a 分公司经理 its branch's manager.
"""

import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.errors import InvalidInput
from heatline.core.imports import data_import_written
from heatline.core.models import DataImport, ImportKind
from heatline.core.tabular import (
    PHONE_SEPARATORS,
    Column,
    ImportReport,
    Progress,
    split_phones,
    table_open,
    template_csv,
    template_xlsx,
    text,
)
from heatline.registry.models import (
    UNASSIGNED_CODE,
    Branch,
    Company,
    Department,
    District,
    Role,
    Staff,
    Team,
    TeamKind,
)

STAFF_COLUMNS = (
    Column("分公司", ("branch",)),
    Column("片区", ("district",)),
    Column("科室", ("department",)),
    Column("班组", ("team",)),
    Column("姓名", ("name", "full_name"), required=True),
    Column("账号", ("username", "account", "login"), required=True),
    Column("手机", ("mobile", "phone")),
    Column("角色", ("role",), required=True),
    Column("负责片区", ("responsible_for", "responsible_districts")),
)
STAFF_EXAMPLES = (
    ("江北分公司", "爱辉片区", "", "", "王强", "wangqiang", "13904560101", "片区责任人", "爱辉片区"),
    ("", "", "客服科", "", "刘敏", "liumin", "13904560102", "热线话务员", ""),
    ("江北分公司", "", "", "抢修一队", "赵刚", "zhaogang", "13904560103", "抢修突击队队员", ""),
)
TEAM_KIND_OF_ROLE = {Role.CREW: TeamKind.REPAIR_CREW, Role.INSPECTOR: TeamKind.INSPECTION}
STAFF_FIELDS = ("name", "phone", "role", "branch_id", "district_id", "department_id", "team_id")


def _role_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for role in Role:
        lookup[role.value] = role.value
        lookup[str(role.label)] = role.value
    # Short names a staff list may use.
    lookup.update(
        {"话务员": Role.OPERATOR, "片区负责人": Role.DISTRICT, "抢修突击队": Role.CREW, "抢修队员": Role.CREW,
         "巡检员": Role.INSPECTOR, "换热站技术人员": Role.INSPECTOR, "管理层": Role.MANAGER, "管理员": Role.ADMIN,
         "科室负责人": Role.DEPT_HEAD, "分公司经理": Role.BRANCH, "片区工作人员": Role.WORKER}
    )  # fmt: skip
    return lookup


@dataclass
class StaffRow:
    row: int
    branch: str
    district: str
    department: str
    team: str
    name: str
    username: str
    phone: str
    role: str
    responsible_for: list[str] = field(default_factory=list)


@dataclass
class StaffImportResult:
    report: ImportReport
    new_accounts: list[Staff] = field(default_factory=list)


def staff_template_xlsx() -> bytes:
    return template_xlsx(title="组织机构与人员", columns=STAFF_COLUMNS, examples=STAFF_EXAMPLES)


def staff_template_csv() -> bytes:
    return template_csv(columns=STAFF_COLUMNS, examples=STAFF_EXAMPLES)


def _code(prefix: str, name: str) -> str:
    return f"{prefix}-{hashlib.sha1(name.encode()).hexdigest()[:10].upper()}"  # a stable code for a name


def _read(rows: Any, report: ImportReport) -> list[StaffRow]:
    roles = _role_lookup()
    good: list[StaffRow] = []
    first_row_of: dict[str, int] = {}
    districts_with_branch: set[str] = set()  # new districts an earlier row of this file placed in a branch
    for number, cells in rows:
        report.rows += 1
        before = len(report.errors)
        username = text(cells.get("账号"))
        name = text(cells.get("姓名"))
        if not username:
            report.error(number, "账号", _("缺少账号"))
        elif not all(ch.isalnum() or ch in "@.+-_" for ch in username) or len(username) > 150:
            report.error(number, "账号", _("账号只能包含字母、数字和 @.+-_:%(value)s") % {"value": username})
        elif username.lower() in first_row_of:
            report.error(
                number,
                "账号",
                _("账号与第%(row)d行重复:%(value)s")
                % {"row": first_row_of[username.lower()], "value": username},
            )
        else:
            first_row_of[username.lower()] = number
        if not name:
            report.error(number, "姓名", _("缺少姓名"))
        role_text = text(cells.get("角色"))
        role = roles.get(role_text) or roles.get(role_text.lower())
        if role is None:
            report.error(
                number,
                "角色",
                _("角色无法识别:%(value)s(可用:%(roles)s)")
                % {"value": role_text or _("(空)"), "roles": "、".join(str(r.label) for r in Role)},
            )
        phones, bad = split_phones(cells.get("手机"))
        if bad or len(phones) > 1:
            report.error(
                number, "手机", _("手机号码无效(只填一个):%(value)s") % {"value": text(cells.get("手机"))}
            )
        branch, district = text(cells.get("分公司")), text(cells.get("片区"))
        department, team = text(cells.get("科室")), text(cells.get("班组"))
        report.check_lengths(number, (("姓名", name, 50), ("分公司", branch, 100), ("片区", district, 100),
                                      ("科室", department, 100), ("班组", team, 100)))  # fmt: skip
        responsible = [part for part in PHONE_SEPARATORS.split(text(cells.get("负责片区"))) if part]
        if role in (Role.DISTRICT, Role.WORKER) and not district:
            report.error(number, "片区", _("片区责任人和片区工作人员须填写所在片区"))
        if district and branch:
            districts_with_branch.add(district)
        if (
            district
            and not branch
            and district not in districts_with_branch
            and not District.objects.filter(name=district).exists()
        ):
            report.error(number, "分公司", _("新片区须填写所属分公司:%(value)s") % {"value": district})
        if len(report.errors) == before:
            assert role is not None
            good.append(
                StaffRow(
                    number,
                    branch,
                    district,
                    department,
                    team,
                    name,
                    username,
                    phones[0] if phones else "",
                    role,
                    responsible,
                )
            )
    return good


def staff_import(
    *,
    content: bytes,
    file_name: str,
    commit: bool,
    by: Staff | None,
    progress: Progress | None = None,
    record: DataImport | None = None,
) -> StaffImportResult:
    """Check the file row by row; with `commit` and no errors, write it in one transaction."""
    started_at = timezone.now()
    table, report = table_open(content=content, file_name=file_name, columns=STAFF_COLUMNS, progress=progress)
    rows = _read(table.rows, report)
    company = Company.objects.order_by("id").first()
    if company is None:
        raise InvalidInput(_("尚未设置公司:请先运行 heatline setup"))
    result = StaffImportResult(report=report)
    # Responsible-for names must be districts that exist or that this file creates.
    named_districts = {row.district for row in rows if row.district}
    known = set(District.objects.values_list("name", flat=True)) | set(
        District.objects.values_list("code", flat=True)
    )
    for row in rows:
        for name in row.responsible_for:
            if name not in known and name not in named_districts:
                report.error(row.row, "负责片区", _("片区不存在:%(value)s") % {"value": name})
    if report.errors:
        return result
    with transaction.atomic():
        sid = transaction.savepoint()
        _apply(rows, report, company=company, result=result)
        if not commit:
            transaction.savepoint_rollback(sid)  # a dry run counts exactly what a commit would do
            result.new_accounts = []
            return result
        report.committed = True
        data_import_written(
            kind=ImportKind.STAFF,
            record=record,
            content=content,
            file_name=file_name,
            by=by,
            report=report,
            started_at=started_at,
        )
    return result


def _apply(
    rows: list[StaffRow], report: ImportReport, *, company: Company, result: StaffImportResult
) -> None:
    branches = {b.name: b for b in Branch.objects.all()}
    districts = {d.name: d for d in District.objects.select_related("branch")}
    departments = {d.name: d for d in Department.objects.all()}
    teams = {t.name: t for t in Team.objects.all()}

    def branch_of(name: str) -> Branch | None:
        if not name:
            return None
        if name not in branches:
            branches[name] = Branch.objects.create(company=company, code=_code("BR", name), name=name)
            report.created["分公司"] += 1
        return branches[name]

    for row in rows:
        branch = branch_of(row.branch)
        district: District | None = None
        if row.district:
            district = districts.get(row.district)
            if district is None:
                assert branch is not None  # checked: a new district names its branch
                district = districts[row.district] = District.objects.create(
                    branch=branch, code=_code("DS", row.district), name=row.district
                )
                report.created["片区"] += 1
            elif (
                branch is not None
                and district.branch_id != branch.pk
                and district.branch.code == UNASSIGNED_CODE
            ):
                district.branch = branch
                district.save(update_fields=["branch", "updated_at"])
                report.updated["片区"] += 1
        department: Department | None = None
        if row.department:
            department = departments.get(row.department)
            if department is None:
                department = departments[row.department] = Department.objects.create(
                    code=_code("DP", row.department), name=row.department
                )
                report.created["科室"] += 1
        team: Team | None = None
        if row.team:
            team = teams.get(row.team)
            if team is None:
                team = teams[row.team] = Team.objects.create(
                    code=_code("TM", row.team),
                    name=row.team,
                    kind=TEAM_KIND_OF_ROLE.get(row.role, TeamKind.MAINTENANCE),  # type: ignore[call-overload]
                    branch=branch,
                )
                report.created["班组"] += 1
        values = {
            "name": row.name,
            "phone": row.phone,
            "role": row.role,
            "branch_id": branch.pk if branch else (district.branch_id if district else None),
            "district_id": district.pk if district else None,
            "department_id": department.pk if department else None,
            "team_id": team.pk if team else None,
        }
        staff = Staff.objects.filter(username__iexact=row.username).first()
        if staff is None:
            staff = Staff(username=row.username, **values)
            staff.set_unusable_password()
            staff.is_staff = staff.is_superuser = row.role == Role.ADMIN  # as `heatline setup` makes one
            staff.save()
            result.new_accounts.append(staff)
            report.created["员工"] += 1
        elif any(getattr(staff, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(staff, key, value)
            staff.save(update_fields=[*(key.removesuffix("_id") for key in values)])
            report.updated["员工"] += 1
        else:
            report.unchanged += 1
        for name in row.responsible_for:
            target = districts.get(name) or District.objects.filter(code=name).first()
            if target is not None and target.responsible_id != staff.pk:
                target.responsible = staff
                target.save(update_fields=["responsible", "updated_at"])
                report.updated["片区责任人"] += 1
        if row.role == Role.DEPT_HEAD and department is not None and department.head_id != staff.pk:
            department.head = staff
            department.save(update_fields=["head", "updated_at"])
            report.updated["科室负责人"] += 1
        if row.role == Role.BRANCH and branch is not None and branch.manager_id != staff.pk:
            branch.manager = staff
            branch.save(update_fields=["manager", "updated_at"])
            report.updated["分公司经理"] += 1


def staff_import_report(*, send_sms: bool = False, **kwargs: Any) -> ImportReport:
    """The page's staff import: new accounts' one-time sign-in links go out by SMS (through the outbox) when
    asked and a phone is known; the others are named in the report, for `heatline signin-link`."""
    from heatline.registry.signin import signin_link_send_sms

    result = staff_import(**kwargs)
    report = result.report
    if not report.committed:
        return report
    without: list[str] = []
    for staff in result.new_accounts:
        if send_sms and staff.phone:
            signin_link_send_sms(staff=staff, by=kwargs.get("by"))
        else:
            without.append(staff.username)
    if without:
        report.warnings.append(
            _("以下新账号需用 heatline signin-link 账号 生成一次性登录链接:%(names)s")
            % {"names": "、".join(without)}
        )
        if kwargs.get("record") is not None:
            DataImport.objects.filter(pk=kwargs["record"].pk).update(report=report.as_dict())
    return report
