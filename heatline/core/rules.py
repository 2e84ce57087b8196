"""The rule book's numbers in one configuration place (admin: 规则参数), with the rule book's values as defaults."""

from decimal import Decimal
from typing import Final

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from heatline.core.caches import ProcessCache
from heatline.core.models import RuleSetting

# key: (default, description). The description cites the rule.
DEFAULTS: Final[dict[str, tuple[Decimal, Promise]]] = {
    # 接诉即办 (chapter 3)
    "intake_minutes": (Decimal(5), _("第六条.2 登记与分类时限(分钟)")),
    "contact_minutes": (Decimal(30), _("第七条.2 常规诉求联系预约时限(分钟)")),
    "repair_hours": (Decimal(48), _("第七条.2 报修类诉求处置时限(小时)")),
    "arrival_minutes": (Decimal(60), _("第七条.2 紧急诉求抵达现场时限(分钟)")),
    "report_hours": (Decimal(2), _("第七条.2 处置完成后反馈结果时限(小时)")),
    "routine_report_hours": (Decimal(2), _("常规诉求处置完成后反馈热线时限(小时)")),
    "callback_hours": (Decimal(24), _("第八条 反馈后回访时限(小时)")),
    "warn_ratio": (Decimal("0.8"), _("时限预警比例(已用时长/总时长)")),
    "callback_max_attempts": (Decimal(3), _("回访未接通判定次数")),
    # 未诉先办 (chapter 2)
    "room_temp_standard": (Decimal(20), _("第四条.3 室温标准(℃)")),
    "remeasure_minutes": (Decimal(30), _("第四条.3 处理后复测时限(分钟)")),
    "booking_days_before": (Decimal(1), _("第四条.2 上门前电话预约提前天数")),
    "followup_call_days": (Decimal(3), _("第四条.3 上门后电话回访天数")),
    "refund_half_below": (Decimal(20), _("黑龙江:日室温低于此值退半日热费(℃)")),
    "refund_full_below": (Decimal(16), _("黑龙江:日室温低于此值退全日热费(℃)")),
    "measure_excluded_from_hour": (Decimal(10), _("黑龙江:入户测温不计时段起(时)")),
    "measure_excluded_to_hour": (Decimal(14), _("黑龙江:入户测温不计时段止(时)")),
    "hazard_household_threshold": (Decimal(10), _("第五条 高风险区域同一采暖期投诉户数下限")),
    "hazard_min_seasons": (Decimal(2), _("第五条 管道堵塞/设备老化反复出现的采暖期数")),
    "rectification_remind_days": (Decimal(3), _("第五条.3 整改期限到期前提醒天数")),
    # 未诉先办 on live data (issue 19)
    "telemetry_cold_hours": (Decimal(3), _("在线监测:室温连续低于标准达此小时数即列入关注并派上门")),
    "telemetry_dead_hours": (Decimal(6), _("在线监测:传感器无读数达此小时数视为离线")),
    "telemetry_raw_days": (Decimal(35), _("在线监测:原始读数保存天数(小时汇总长期保存)")),
    "telemetry_clock_skew_minutes": (Decimal(10), _("在线监测:读数时间晚于服务器时间超过此分钟数即拒收")),
    "design_outdoor_c": (Decimal("-29.5"), _("供暖室外计算温度(℃),低于此温度不按室温标准认定")),
    "curve_base_outdoor_c": (Decimal(5), _("供水温度曲线:基准室外温度(℃)")),
    "curve_supply_at_design_c": (Decimal(85), _("供水温度曲线:设计室外温度时供水温度(℃)")),
    "curve_supply_at_base_c": (Decimal(45), _("供水温度曲线:基准室外温度时供水温度(℃)")),
    "curve_tolerance_c": (Decimal(5), _("供水温度低于曲线超过此值(℃)即告警")),
    "refund_uses_sensors": (Decimal(0), _("退费认定采用室温采集器日均温度(1是/0否)")),
    "outlook_base_c": (Decimal(-5), _("来电预测:日均气温低于此值起按度数计算(℃)")),
    # 难诉联办 (chapter 4)
    "joint_callback_hours": (Decimal(24), _("第九条 调解后回访时限(小时)")),
    "joint_meeting_working_days": (Decimal(3), _("第十条 专题会议时限(工作日)")),
    "milestone_remind_days": (Decimal(1), _("第十条 节点到期前提醒天数")),
    # Reports (SPEC §5, §6): the government rates' definitions and the combined score's weights
    "score_weight_response": (Decimal("0.2"), _("综合得分:响应率权重")),
    "score_weight_resolution": (Decimal("0.4"), _("综合得分:解决率权重")),
    "score_weight_satisfaction": (Decimal("0.4"), _("综合得分:满意率权重")),
    "rate_response_counts_intake": (Decimal(1), _("响应率:直办(来电即答复)计为已响应(1是/0否)")),
    "rate_resolution_counts_due": (Decimal(1), _("解决率:分母含已到期未办结工单(1是/0否)")),
    "rate_satisfaction_counts_basic": (Decimal(1), _("满意率:基本满意计为满意(1是/0否)")),
    "report_min_sample": (Decimal(30), _("样本量低于此数时标注“样本少”")),
    # Personal data (个人信息保护法 第十九条: kept no longer than needed)
    "personal_data_retention_days": (
        Decimal(1095),
        _("已办结诉求来电人姓名、电话的保存期限(天),到期后删除,统计数据保留"),
    ),
    # Hot spots (热点预警)
    "hotspot_requests": (Decimal(5), _("热点预警:同一单元/楼栋/换热站的来电件数达到此数")),
    "hotspot_hours": (Decimal(2), _("热点预警:集中来电的时间窗口(小时)")),
    "hotspot_caller_requests": (Decimal(3), _("热点预警:同一来电人本采暖期第几次来电")),
    "hotspot_escalate_minutes": (Decimal(30), _("热点预警:无人确认时逐级上报的间隔(分钟)")),
    # Incidents
    "incident_suggest_calls": (Decimal(5), _("同一换热站/管段短时来电达到此数时建议建立事件")),
    "incident_suggest_minutes": (Decimal(30), _("建议建立事件的时间窗口(分钟)")),
}


RULES_CACHE_SECONDS = 30.0


def rule(key: str) -> Decimal:
    """The value in force: the administrator's row if there is one, else the rule book's default."""
    if key not in DEFAULTS:
        raise KeyError(key)
    return RULES.get()[key]


def rule_int(key: str) -> int:
    return int(rule(key))


def rule_float(key: str) -> float:
    return float(rule(key))


def rules_all() -> dict[str, Decimal]:
    values = {key: default for key, (default, _description) in DEFAULTS.items()}
    values.update(dict(RuleSetting.objects.values_list("key", "value")))
    return values


# Every intake computes three limits, every sweep batch more: the rules in force, read once per 30 s.
RULES: ProcessCache[dict[str, Decimal]] = ProcessCache("rules", rules_all, seconds=RULES_CACHE_SECONDS)
