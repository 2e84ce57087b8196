"""The navigation each role sees (the pages themselves check access again)."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from heatline.registry.models import SYSTEM_ROLES, Role, Staff

R = Role


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: Promise
    roles: frozenset[str]


ALL = frozenset(Role.values) - SYSTEM_ROLES  # the phone system's and the gateways' accounts have no pages
NAV: tuple[NavItem, ...] = (
    NavItem("home", _("首页"), ALL),
    NavItem("intake:index", _("来电登记"), frozenset({R.OPERATOR, R.ADMIN})),
    NavItem(
        "requests:queue",
        _("我的待办"),
        frozenset({R.DISTRICT, R.WORKER, R.DEPT_HEAD, R.CREW, R.BRANCH, R.ADMIN}),
    ),
    NavItem("requests:list", _("工单"), ALL - {R.INSPECTOR}),
    NavItem("requests:callbacks", _("回访"), frozenset({R.OPERATOR, R.ADMIN})),
    NavItem("integrations:calls", _("未接来电"), frozenset({R.OPERATOR, R.DEPT_HEAD, R.MANAGER, R.ADMIN})),
    NavItem(
        "incidents:index",
        _("故障事件"),
        frozenset({R.OPERATOR, R.DISTRICT, R.CREW, R.BRANCH, R.MANAGER, R.ADMIN}),
    ),
    NavItem("maps:index", _("地图"), ALL),
    NavItem(
        "proactive:index",
        _("低温关注"),
        frozenset({R.DISTRICT, R.WORKER, R.BRANCH, R.MANAGER, R.OPERATOR, R.ADMIN}),
    ),
    NavItem(
        "telemetry:alerts",
        _("在线监测"),
        frozenset({R.DISTRICT, R.WORKER, R.BRANCH, R.MANAGER, R.OPERATOR, R.CREW, R.INSPECTOR, R.ADMIN}),
    ),
    NavItem(
        "inspections:index",
        _("隐患排查"),
        frozenset({R.INSPECTOR, R.BRANCH, R.MANAGER, R.DEPT_HEAD, R.ADMIN}),
    ),
    NavItem("joint:index", _("难诉联办"), frozenset({R.BRANCH, R.DISTRICT, R.DEPT_HEAD, R.MANAGER, R.ADMIN})),
    NavItem(
        "reports:index", _("统计报表"), frozenset({R.MANAGER, R.BRANCH, R.DISTRICT, R.DEPT_HEAD, R.ADMIN})
    ),
    NavItem("training:index", _("培训"), frozenset({R.MANAGER, R.DEPT_HEAD, R.BRANCH, R.OPERATOR, R.ADMIN})),
    NavItem("integrations:index", _("对外接口"), frozenset({R.ADMIN, R.MANAGER})),
    NavItem("setup", _("上线检查"), frozenset({R.ADMIN})),
)


def nav_for(staff: Staff) -> list[NavItem]:
    role = Role.ADMIN if staff.is_superuser else staff.role
    return [item for item in NAV if role in item.roles]
