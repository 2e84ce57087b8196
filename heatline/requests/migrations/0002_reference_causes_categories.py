"""Reference data every utility starts with: the cause codes (第五条, SPEC §6) and request categories (第七条.1).

Departments are the utility's own data, so categories start without one; admin links them.
"""

from django.db import migrations

CAUSES = [
    # code, name, attribution, counts towards high-risk areas
    ("pipe_blockage", "管道堵塞", "utility", True),
    ("equipment_ageing", "设备老化", "utility", True),
    ("radiator_air", "暖气片积气", "household", False),
    ("slow_circulation", "入户管道循环慢", "utility", False),
    ("valve_fault", "阀门故障", "utility", False),
    ("unauthorised_alteration", "用户私改", "household", False),
    ("covered_radiator", "暖气片被遮挡", "household", False),
    ("window_open", "门窗未关/破损", "household", False),
    ("heat_source", "热源供热不足", "heat_source", False),
    ("building_insulation", "建筑保温差", "building", False),
    ("network_leak", "管网泄漏", "utility", True),
    ("neighbour_stopped", "相邻用户报停", "household", False),
    ("other", "其他", "other", False),
]

CATEGORIES = [
    # code, name, kind, nature, is_repair, is_low_temperature, keywords, priority
    ("indoor_leak", "室内跑水", "emergency", "help", True, False, "跑水,漏水,喷水,淹了,水管破裂,暖气片漏,管子爆", 10),
    ("network_leak", "管网泄漏", "emergency", "help", True, False, "管网泄漏,爆管,管道破裂,地面冒气,井冒汽,漏汽,泄漏", 11),
    ("low_temperature", "室温不达标", "routine", "complaint", True, True, "不热,温度低,室温低,冷,凉,度,不达标,温度不够", 20),
    ("no_heat", "暖气不热/停热", "routine", "help", True, True, "没暖气,停暖,不供热,没有热,暖气停了", 21),
    ("small_repair", "小故障维修", "routine", "help", True, False, "维修,阀门,放气,滴水,漏点,坏了,异响,响声", 30),
    ("heating_complaint", "用热投诉", "routine", "complaint", False, False, "投诉,态度,服务,不满意", 40),
    ("billing", "收费咨询", "routine", "consult", False, False, "收费,缴费,交费,热费,发票,退费,价格", 50),
    ("suspension", "报停/启用", "routine", "consult", False, False, "报停,停供,启用,恢复供热,开栓", 51),
    ("other", "其他", "routine", "other", False, False, "", 99),
]


def forwards(apps, schema_editor):
    Cause = apps.get_model("requests", "Cause")
    Category = apps.get_model("requests", "Category")
    for code, name, attribution, hazard in CAUSES:
        Cause.objects.get_or_create(code=code, defaults={"name": name, "attribution": attribution, "is_hazard": hazard})
    for code, name, kind, nature, repair, low, keywords, priority in CATEGORIES:
        Category.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "nature": nature,
                "is_repair": repair,
                "is_low_temperature": low,
                "keywords": keywords,
                "priority": priority,
                "route_to_department": code in ("billing", "suspension"),
            },
        )


class Migration(migrations.Migration):
    dependencies = [("requests", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
