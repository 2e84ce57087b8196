"""Organisation and property (SPEC §0): who works where, and which household hangs off which building."""

import hashlib
import secrets
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from heatline.core.models import BaseModel


class Role(models.TextChoices):
    OPERATOR = "operator", _("热线话务员")  # takes calls, registers, calls back
    DISTRICT = "district", _("片区责任人")  # responsible person of one district; routine requests land here
    WORKER = "worker", _("片区工作人员")  # field staff of one district: contact, arrive, complete
    DEPT_HEAD = "dept_head", _("科室负责人")  # head of a department; unsatisfied callbacks go here
    CREW = "crew", _("抢修突击队队员")  # emergency repair crew
    BRANCH = "branch", _("分公司经理")  # manages one branch: its districts, joint cases
    INSPECTOR = "inspector", _("巡检/换热站技术人员")  # post-season inspection
    MANAGER = "manager", _("公司管理层")  # reads everything, changes nothing
    ADMIN = "admin", _("系统管理员")
    PBX = "pbx", _("电话系统接口")  # the phone system's account: posts call events, sees nothing else
    GATEWAY = "gateway", _("数据采集网关")  # a telemetry gateway's account: posts readings, sees nothing else


# WGS84 degrees (issue 21): what the admin's pin and the imports may store.
LATITUDE = [MinValueValidator(-90.0), MaxValueValidator(90.0)]
LONGITUDE = [MinValueValidator(-180.0), MaxValueValidator(180.0)]

# Roles whose view is the whole company (hotline, crew and management work across districts).
COMPANY_WIDE_ROLES = frozenset(
    {Role.OPERATOR, Role.DEPT_HEAD, Role.CREW, Role.INSPECTOR, Role.MANAGER, Role.ADMIN}
)
# System accounts (the phone system, telemetry gateways): they post through the API and see no pages.
SYSTEM_ROLES = frozenset({Role.PBX, Role.GATEWAY})
# Roles tied to one district.
DISTRICT_ROLES = frozenset({Role.DISTRICT, Role.WORKER})

# The code of the branch and district that an import puts stations and buildings in when the file names
# none (待分配): the go-live checklist lists what is still there, and routing treats it like any district.
UNASSIGNED_CODE = "UNASSIGNED"


class Company(BaseModel):
    name = models.CharField(_("公司名称"), max_length=100, unique=True)
    hotline = models.CharField(_("服务热线"), max_length=20, default="963000")

    class Meta:
        verbose_name = _("公司")
        verbose_name_plural = _("公司")

    def __str__(self) -> str:
        return self.name


class Branch(BaseModel):
    company = models.ForeignKey(
        Company, verbose_name=_("公司"), on_delete=models.PROTECT, related_name="branches"
    )
    code = models.CharField(_("编号"), max_length=20, unique=True)
    name = models.CharField(_("分公司"), max_length=100)
    manager = models.ForeignKey(
        "Staff", verbose_name=_("经理"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("分公司")
        verbose_name_plural = _("分公司")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class District(BaseModel):
    branch = models.ForeignKey(
        Branch, verbose_name=_("分公司"), on_delete=models.PROTECT, related_name="districts"
    )
    code = models.CharField(_("编号"), max_length=20, unique=True)
    name = models.CharField(_("片区"), max_length=100)
    responsible = models.ForeignKey(
        "Staff",
        verbose_name=_("片区责任人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("片区")
        verbose_name_plural = _("片区")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Department(BaseModel):
    code = models.CharField(_("编号"), max_length=20, unique=True)
    name = models.CharField(_("业务科室"), max_length=100)
    head = models.ForeignKey(
        "Staff",
        verbose_name=_("科室负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("业务科室")
        verbose_name_plural = _("业务科室")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class TeamKind(models.TextChoices):
    REPAIR_CREW = "repair_crew", _("供热抢修突击队")  # emergencies go straight here (第七条.1)
    INSPECTION = "inspection", _("隐患排查队")
    MAINTENANCE = "maintenance", _("维修班组")


class Team(BaseModel):
    code = models.CharField(_("编号"), max_length=20, unique=True)
    name = models.CharField(_("班组"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=TeamKind.choices)
    branch = models.ForeignKey(
        Branch, verbose_name=_("分公司"), null=True, blank=True, on_delete=models.PROTECT
    )
    leader = models.ForeignKey(
        "Staff", verbose_name=_("负责人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_on_duty = models.BooleanField(_("当前值班"), default=True)

    class Meta:
        verbose_name = _("班组")
        verbose_name_plural = _("班组")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Staff(AbstractUser):
    """A person who signs in. `role` decides what they do; branch/district/department/team where they work."""

    name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("电话"), max_length=20, blank=True)
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.OPERATOR)
    branch = models.ForeignKey(
        Branch, verbose_name=_("分公司"), null=True, blank=True, on_delete=models.PROTECT
    )
    district = models.ForeignKey(
        District, verbose_name=_("片区"), null=True, blank=True, on_delete=models.PROTECT
    )
    department = models.ForeignKey(
        Department, verbose_name=_("业务科室"), null=True, blank=True, on_delete=models.PROTECT
    )
    team = models.ForeignKey(
        Team, verbose_name=_("班组"), null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )

    class Meta:
        verbose_name = _("员工")
        verbose_name_plural = _("员工")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.name or self.username

    @property
    def display_name(self) -> str:
        return self.name or self.username


class ApiToken(BaseModel):
    """A bearer token for the API (`heatline apitoken USERNAME`). Only its SHA-256 is stored."""

    staff = models.ForeignKey(
        Staff, verbose_name=_("员工"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("用途"), max_length=100, blank=True)
    digest = models.CharField(_("摘要"), max_length=64, unique=True)
    is_active = models.BooleanField(_("有效"), default=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.staff} {self.name}"

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @staticmethod
    def new_secret() -> str:
        return "hl_" + secrets.token_urlsafe(32)


class PartnerKind(models.TextChoices):
    STREET = "street", _("街道社区")
    POLICE = "police", _("派出所")
    PROPERTY = "property", _("物业公司")
    HOUSING_BUREAU = "housing_bureau", _("住建局")
    HEATING_OFFICE = "heating_office", _("供热办")
    OTHER = "other", _("其他责任单位")


class PartnerBody(BaseModel):
    """Outside bodies for joint work (难诉联办) and owners of pipes the company does not own."""

    kind = models.CharField(_("类型"), max_length=20, choices=PartnerKind.choices)
    name = models.CharField(_("名称"), max_length=100)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    districts = models.ManyToManyField(District, verbose_name=_("服务片区"), blank=True)

    class Meta:
        verbose_name = _("联动单位")
        verbose_name_plural = _("联动单位")
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="partner_unique_kind_name")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}·{self.name}"


class Station(BaseModel):
    """换热站: a heat-exchange station."""

    code = models.CharField(_("编号"), max_length=20, unique=True)
    name = models.CharField(_("换热站"), max_length=100)
    branch = models.ForeignKey(Branch, verbose_name=_("分公司"), on_delete=models.PROTECT)
    heated_area = models.DecimalField(_("供热面积(㎡)"), max_digits=12, decimal_places=2, default=0)
    # WGS84 (what GPS and GeoJSON give); converted to GCJ-02/BD-09 only to draw on a base map that needs it.
    lat = models.FloatField(_("纬度"), null=True, blank=True, validators=LATITUDE)
    lon = models.FloatField(_("经度"), null=True, blank=True, validators=LONGITUDE)

    class Meta:
        verbose_name = _("换热站")
        verbose_name_plural = _("换热站")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Community(BaseModel):
    """小区: a community or estate."""

    code = models.CharField(_("编号"), max_length=20, unique=True)
    name = models.CharField(_("小区"), max_length=100)
    district = models.ForeignKey(
        District, verbose_name=_("片区"), on_delete=models.PROTECT, related_name="communities"
    )
    street = models.ForeignKey(
        PartnerBody,
        verbose_name=_("所属街道社区"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="communities",
    )
    property_company = models.ForeignKey(
        PartnerBody,
        verbose_name=_("物业公司"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    heated_area = models.DecimalField(_("供热面积(㎡)"), max_digits=12, decimal_places=2, default=0)
    is_old_estate = models.BooleanField(_("老旧小区"), default=False)
    # WGS84 (what GPS and GeoJSON give); converted to GCJ-02/BD-09 only to draw on a base map that needs it.
    lat = models.FloatField(_("纬度"), null=True, blank=True, validators=LATITUDE)
    lon = models.FloatField(_("经度"), null=True, blank=True, validators=LONGITUDE)

    class Meta:
        verbose_name = _("小区")
        verbose_name_plural = _("小区")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Building(BaseModel):
    """楼栋. `district` is the routing key: one indexed lookup decides whose request it is (第七条.1)."""

    community = models.ForeignKey(
        Community, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="buildings"
    )
    number = models.CharField(_("楼号"), max_length=20)
    district = models.ForeignKey(
        District, verbose_name=_("片区"), on_delete=models.PROTECT, related_name="buildings", db_index=True
    )
    station = models.ForeignKey(
        Station,
        verbose_name=_("换热站"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="buildings",
    )
    floors = models.PositiveSmallIntegerField(_("层数"), default=6)
    built_year = models.PositiveSmallIntegerField(_("建成年份"), null=True, blank=True)
    # WGS84 (what GPS and GeoJSON give); converted to GCJ-02/BD-09 only to draw on a base map that needs it.
    lat = models.FloatField(_("纬度"), null=True, blank=True, validators=LATITUDE)
    lon = models.FloatField(_("经度"), null=True, blank=True, validators=LONGITUDE)

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        ordering = ["community_id", "number"]
        constraints = [models.UniqueConstraint(fields=["community", "number"], name="building_unique_number")]
        # Bounding boxes (the map) and the nearest building to a point (Open311 lat/long) range over it.
        indexes = [models.Index(fields=["lat", "lon"], name="building_lat_lon_idx")]

    def __str__(self) -> str:
        return f"{self.community.name}{self.number}号楼"


class Unit(BaseModel):
    """单元: a stairway of a building (its riser, 单元立管)."""

    building = models.ForeignKey(
        Building, verbose_name=_("楼栋"), on_delete=models.CASCADE, related_name="units"
    )
    number = models.CharField(_("单元号"), max_length=10)

    class Meta:
        verbose_name = _("单元")
        verbose_name_plural = _("单元")
        ordering = ["building_id", "number"]
        constraints = [models.UniqueConstraint(fields=["building", "number"], name="unit_unique_number")]

    def __str__(self) -> str:
        return f"{self.building}{self.number}单元"


class HeatingStatus(models.TextChoices):
    HEATING = "heating", _("供热")
    STOPPED = "stopped", _("报停")


class PipeOwner(models.TextChoices):
    COMPANY = "company", _("本公司")
    HOUSEHOLD = "household", _("用户")
    OTHER = "other", _("其他产权人")


class Household(BaseModel):
    """热用户. The address is structured (building, unit, room); `address` is its text, kept for search."""

    account_number = models.CharField(_("户号"), max_length=20, unique=True)
    building = models.ForeignKey(
        Building, verbose_name=_("楼栋"), on_delete=models.PROTECT, related_name="households"
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("单元"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="households",
    )
    room = models.CharField(_("房号"), max_length=20)
    address = models.CharField(_("地址"), max_length=200, db_index=True)
    contact_name = models.CharField(_("户主/联系人"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True, db_index=True)
    phone2 = models.CharField(_("备用电话"), max_length=20, blank=True, db_index=True)
    heating_status = models.CharField(
        _("供热状态"), max_length=10, choices=HeatingStatus.choices, default=HeatingStatus.HEATING
    )
    heating_status_since = models.DateField(_("状态起始日"), null=True, blank=True)
    heated_area = models.DecimalField(_("供热面积(㎡)"), max_digits=8, decimal_places=2, default=0)
    indoor_pipe_owner = models.CharField(
        _("户内管道产权"), max_length=10, choices=PipeOwner.choices, default=PipeOwner.HOUSEHOLD
    )
    notes = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("热用户")
        verbose_name_plural = _("热用户")
        ordering = ["account_number"]

    def __str__(self) -> str:
        return f"{self.account_number} {self.address}"


class HouseholdPhone(BaseModel):
    """A household's numbers beyond `phone` and `phone2` (the billing register may list several); the
    caller look-up matches them too."""

    household = models.ForeignKey(
        Household, verbose_name=_("热用户"), on_delete=models.CASCADE, related_name="extra_phones"
    )
    phone = models.CharField(_("电话"), max_length=20, db_index=True)

    class Meta:
        verbose_name = _("其他电话")
        verbose_name_plural = _("其他电话")
        constraints = [models.UniqueConstraint(fields=["household", "phone"], name="household_phone_unique")]

    def __str__(self) -> str:
        return self.phone


class StatusSource(models.TextChoices):
    IMPORT = "import", _("收费系统导入")  # the billing register's export (`heatline import-register`)
    ADMIN = "admin", _("后台修改")


class HeatingStatusChange(BaseModel):
    """The history of a household's 供热状态 (报停 / 复供): a dispute (第九条) shows since when."""

    household = models.ForeignKey(
        Household, verbose_name=_("热用户"), on_delete=models.CASCADE, related_name="status_changes"
    )
    status = models.CharField(_("供热状态"), max_length=10, choices=HeatingStatus.choices)
    previous = models.CharField(_("原状态"), max_length=10, choices=HeatingStatus.choices, blank=True)
    since = models.DateField(_("起始日"))
    source = models.CharField(_("来源"), max_length=10, choices=StatusSource.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("供热状态变更")
        verbose_name_plural = _("供热状态变更")
        ordering = ["household_id", "-since", "-id"]
        indexes = [models.Index(fields=["household", "-since"], name="status_change_household_idx")]

    def __str__(self) -> str:
        return f"{self.household_id} {self.get_status_display()} {self.since}"


class PipeSection(BaseModel):
    """户外管网: an outdoor network pipe section, with its owner and the buildings it feeds."""

    code = models.CharField(_("编号"), max_length=30, unique=True)
    name = models.CharField(_("管段"), max_length=100)
    station = models.ForeignKey(
        Station,
        verbose_name=_("换热站"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sections",
    )
    owner = models.CharField(_("产权"), max_length=10, choices=PipeOwner.choices, default=PipeOwner.COMPANY)
    owner_partner = models.ForeignKey(
        PartnerBody, verbose_name=_("产权单位"), null=True, blank=True, on_delete=models.SET_NULL
    )
    owner_name = models.CharField(_("产权人"), max_length=100, blank=True)
    diameter_mm = models.PositiveIntegerField(_("管径(mm)"), default=100)
    length_m = models.DecimalField(_("长度(m)"), max_digits=8, decimal_places=1, default=0)
    laid_year = models.PositiveSmallIntegerField(_("敷设年份"), null=True, blank=True)
    buildings = models.ManyToManyField(
        Building, verbose_name=_("供热楼栋"), blank=True, related_name="sections"
    )
    # The section's line, WGS84 [[lon, lat], …] as GeoJSON orders them (`heatline import-network`).
    path: "models.JSONField[Any]" = models.JSONField(_("走向"), null=True, blank=True)

    class Meta:
        verbose_name = _("户外管段")
        verbose_name_plural = _("户外管段")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_company_owned(self) -> bool:
        return self.owner == PipeOwner.COMPANY
