import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from heatline.core.errors import ActionForbidden, InvalidInput
from heatline.core.models import AuditEvent
from heatline.core.worker import run_once
from heatline.inspections.models import (
    AssetType,
    CheckKind,
    CheckStatus,
    HazardArea,
    ItemKind,
    ItemStatus,
    Level,
    NoticeKind,
    RectificationItem,
)
from heatline.inspections.selectors import area_requests, campaign_progress, item_list_visible
from heatline.inspections.services import (
    Asset,
    checklist_record,
    finding_record,
    hazard_area_add,
    hazard_detect,
    item_complete,
    item_progress,
    item_replacement_create,
    notice_record,
)
from heatline.inspections.tests.factories import (
    TZ,
    campaign_for,
    high_risk_building,
    households,
    request_at,
    season,
)
from heatline.outbox.models import Outbox
from heatline.registry.models import PipeOwner
from heatline.registry.tests.factories import PartnerFactory, PipeSectionFactory, UnitFactory

pytestmark = pytest.mark.django_db


def test_ten_households_with_recurring_blockage_make_community_and_building_high_risk(org):
    # given: 10 households of one building complained this season; blockage this season, ageing last season
    homes = high_risk_building(org, count=10)

    # when
    areas = hazard_detect(season=season(2025))

    # then: the building and its community are high-risk, explained by households, requests and causes
    levels = {(a.level, a.building_id or a.community_id) for a in areas}
    assert levels == {(Level.BUILDING, org.building.pk), (Level.COMMUNITY, org.community.pk)}
    building_area = next(a for a in areas if a.level == Level.BUILDING)
    assert building_area.households == 10
    assert building_area.request_count == 10
    causes = {c["code"]: c["seasons"] for c in building_area.evidence["causes"]}
    assert causes == {"pipe_blockage": [2025], "equipment_ageing": [2024]}
    assert {r.household_id for r in area_requests(building_area)} == {h.pk for h in homes}
    assert AuditEvent.objects.filter(object_type="inspections.hazardarea", action="detected").count() == 2


def test_nine_households_are_not_enough(org):
    # given
    high_risk_building(org, count=9)

    # when / then
    assert hazard_detect(season=season(2025)) == []


def test_hazard_causes_in_only_one_season_are_not_recurring(org):
    # given: 12 households, blockage only this season
    season(2024)
    homes = households(org.building, 12)
    for index, home in enumerate(homes):
        at = dt.datetime(2025, 12, 1, 9, index, tzinfo=TZ)
        request_at(org, household=home, at=at, cause="pipe_blockage" if index < 3 else None)

    # when / then
    assert hazard_detect(season=season(2025)) == []


def test_threshold_is_configurable_and_detection_can_rerun(org):
    # given
    from heatline.core.models import RuleSetting

    high_risk_building(org, count=5)
    RuleSetting.objects.create(key="hazard_household_threshold", value=5)

    # when: detection runs twice
    hazard_detect(season=season(2025))
    hazard_detect(season=season(2025))

    # then: still one row per area
    assert HazardArea.objects.filter(season=season(2025)).count() == 2


def test_manual_area_needs_a_reason(org):
    # given
    target = season(2025)

    # when / then
    with pytest.raises(InvalidInput):
        hazard_area_add(season=target, community=org.community, reason="  ", by=org.admin)
    with pytest.raises(ActionForbidden):
        hazard_area_add(season=target, community=org.community, reason="老旧管网", by=org.manager)
    area = hazard_area_add(season=target, community=org.community, reason="老旧管网,多次漏水", by=org.admin)
    assert area.is_manual and area.reason == "老旧管网,多次漏水"
    assert AuditEvent.objects.filter(object_id=str(area.pk), action="added_by_hand").exists()


def test_campaign_ledger_lists_checks_per_asset_and_leaked_pipes(org):
    # given: the high-risk building is fed by a company pipe and a property company's pipe, both leaked
    homes = high_risk_building(org)
    UnitFactory(building=org.building, number="1")
    UnitFactory(building=org.building, number="2")
    own = PipeSectionFactory(station=org.station)
    own.buildings.add(org.building)
    partner = PartnerFactory(name="某物业")
    theirs = PipeSectionFactory(owner=PipeOwner.OTHER, owner_partner=partner)
    theirs.buildings.add(org.building)
    request_at(org, household=homes[1], at=dt.datetime(2026, 1, 5, 9, tzinfo=TZ), cause="network_leak")

    # when
    campaign = campaign_for(org)

    # then
    area = campaign.areas.get(hazard_area__level=Level.BUILDING)
    kinds = list(area.checklist.values_list("asset_type", "kind"))
    assert (AssetType.STATION, CheckKind.PRESSURE_GAUGES) in kinds
    assert kinds.count((AssetType.RISER, CheckKind.DOOR_TO_DOOR)) == 2  # one per unit
    assert area.checklist.get(kind=CheckKind.LEAKED_REPLACE).pipe_section == own
    assert area.checklist.get(kind=CheckKind.LEAKED_NOTIFY).pipe_section == theirs
    replacement = area.items.get(kind=ItemKind.REPLACEMENT)
    assert replacement.pipe_section == own and replacement.status == ItemStatus.OPEN

    # and: a replacement for the other owner's pipe is refused; its owner is notified and recorded
    with pytest.raises(InvalidInput, match="非本公司产权"):
        item_replacement_create(campaign_area=area, pipe_section=theirs, by=org.inspector)
    notice = notice_record(
        campaign_area=area, kind=NoticeKind.OWNER, pipe_section=theirs, by=org.inspector, note="书面通知"
    )
    assert notice.partner == partner and notice.checklist_item.kind == CheckKind.LEAKED_NOTIFY
    with pytest.raises(InvalidInput):
        notice_record(campaign_area=area, kind=NoticeKind.OWNER, pipe_section=own, by=org.inspector)


def test_station_check_records_gauge_numbers_and_refuses_missing_ones(org):
    # given
    high_risk_building(org)
    campaign = campaign_for(org)
    area = campaign.areas.get(hazard_area__level=Level.BUILDING)
    gauge = area.checklist.get(kind=CheckKind.PRESSURE_GAUGES)

    # when / then
    with pytest.raises(InvalidInput):
        checklist_record(item=gauge, by=org.inspector, is_ok=True)
    with pytest.raises(ActionForbidden):
        checklist_record(
            item=gauge, by=org.operator, is_ok=True, supply_pressure="0.6", return_pressure="0.3"
        )
    checklist_record(item=gauge, by=org.inspector, is_ok=True, supply_pressure="0.62", return_pressure="0.31")
    gauge.refresh_from_db()
    assert gauge.status == CheckStatus.DONE and str(gauge.supply_pressure) == "0.620"


def test_residents_notice_and_aged_pipe_reminders_are_recorded(org):
    # given
    homes = high_risk_building(org)
    campaign = campaign_for(org)
    area = campaign.areas.get(hazard_area__level=Level.BUILDING)
    notified = area.checklist.get(kind=CheckKind.RESIDENTS_NOTIFIED)
    with pytest.raises(InvalidInput):
        checklist_record(item=notified, by=org.inspector, is_ok=True)

    # when
    notice_record(campaign_area=area, kind=NoticeKind.RESIDENTS, building=org.building, by=org.inspector)
    notice_record(campaign_area=area, kind=NoticeKind.AGED_PIPE, household=homes[2], by=org.inspector)
    checklist_record(item=notified, by=org.inspector, is_ok=True)

    # then
    assert area.notices.count() == 2
    with pytest.raises(InvalidInput):
        notice_record(
            campaign_area=area, kind=NoticeKind.AGED_PIPE, household=org.other_household, by=org.inspector
        )


def test_findings_become_ledger_items(org):
    # given
    high_risk_building(org)
    campaign = campaign_for(org)
    area = campaign.areas.get(hazard_area__level=Level.BUILDING)
    photo = SimpleUploadedFile("leak.jpg", b"\xff\xd8\xff fake jpeg", content_type="image/jpeg")

    # when: one fixed on the spot, one not
    fixed = finding_record(
        campaign_area=area,
        by=org.inspector,
        asset_type=AssetType.STATION,
        asset=Asset(station=org.station),
        description="循环泵密封老化",
        is_fixed_on_spot=True,
        result="现场更换密封圈",
        photos=[photo],
    )
    open_one = finding_record(
        campaign_area=area,
        by=org.inspector,
        asset_type=AssetType.RISER,
        asset=Asset(building=org.building),
        description="立管锈蚀严重",
        is_fixed_on_spot=False,
        responsible=org.worker,
        due_on=timezone.localdate() + dt.timedelta(days=10),
    )

    # then
    assert fixed.item.status == ItemStatus.COMPLETED and fixed.photos.count() == 1
    assert open_one.item.status == ItemStatus.OPEN and open_one.item.responsible == org.worker
    assert Outbox.objects.filter(dedupe_key=f"rectification-assigned:{open_one.item.pk}").exists()


def test_bad_findings_and_closing_without_result_are_refused(org):
    # given
    high_risk_building(org)
    campaign = campaign_for(org)
    area = campaign.areas.first()
    common = {"campaign_area": area, "by": org.inspector, "asset_type": AssetType.NETWORK}

    # then: no asset
    with pytest.raises(InvalidInput, match="资产"):
        finding_record(**common, asset=Asset(), description="漏点", is_fixed_on_spot=True, result="补焊")
    # open without responsible / due date
    with pytest.raises(InvalidInput):
        finding_record(**common, asset=Asset(station=org.station), description="漏点", is_fixed_on_spot=False)
    finding = finding_record(
        **common,
        asset=Asset(station=org.station),
        description="阀门渗漏",
        is_fixed_on_spot=False,
        responsible=org.worker,
        due_on=timezone.localdate() + dt.timedelta(days=3),
    )
    item = finding.item
    with pytest.raises(InvalidInput, match="整改结果"):
        item_complete(item=item, by=org.worker, result="  ")
    with pytest.raises(ActionForbidden):
        item_complete(item=item, by=org.operator, result="done")

    # when: progress, then completion with a result
    item_progress(item=item, by=org.worker, progress=50, note="已订购阀门")
    item_complete(item=item, by=org.worker, result="已更换阀门")

    # then
    item.refresh_from_db()
    assert item.status == ItemStatus.COMPLETED and item.progress == 100
    assert list(item.updates.values_list("progress", flat=True)) == [50, 100]
    assert (
        AuditEvent.objects.filter(object_type="inspections.rectificationitem", object_id=str(item.pk)).count()
        == 3
    )


def test_followup_job_reminds_before_and_at_due_once_and_overdue_stands_out(org):
    # given: an open item due on 2026-06-10
    high_risk_building(org)
    with time_machine.travel(dt.datetime(2026, 6, 1, 9, tzinfo=TZ), tick=False) as traveller:
        campaign = campaign_for(org)
        area = campaign.areas.first()
        item = finding_record(
            campaign_area=area,
            by=org.inspector,
            asset_type=AssetType.NETWORK,
            asset=Asset(station=org.station),
            description="保温层破损",
            is_fixed_on_spot=False,
            responsible=org.worker,
            due_on=dt.date(2026, 6, 10),
        ).item

        # when: the job runs early, 3 days before (twice), and after the due date
        early = run_once(only={"rectification_followup"})["rectification_followup"]
        traveller.move_to(dt.datetime(2026, 6, 7, 9, tzinfo=TZ))
        before = run_once(only={"rectification_followup"})["rectification_followup"]
        again = run_once(only={"rectification_followup"})["rectification_followup"]
        traveller.move_to(dt.datetime(2026, 6, 11, 9, tzinfo=TZ))
        overdue = run_once(only={"rectification_followup"})["rectification_followup"]
        overdue_items = list(item_list_visible(viewer=org.admin, is_overdue=True))
        progress = campaign_progress(campaign=campaign)

    # then
    assert (early, before, again, overdue) == (0, 1, 0, 1)
    assert overdue_items == [item]
    assert progress.total.overdue == 1


def test_inspectors_see_only_their_campaigns_areas(org):
    # given: a campaign whose team is the worker only
    from heatline.inspections.selectors import campaign_area_list_visible, hazard_area_list_visible
    from heatline.inspections.services import TeamMember, campaign_create
    from heatline.registry.models import Role
    from heatline.registry.tests.factories import StaffFactory

    high_risk_building(org)
    hazard_detect(season=season(2025))
    outsider = StaffFactory(username="t_inspector2", role=Role.INSPECTOR)
    campaign_create(season=season(2025), team=[TeamMember(org.inspector)], by=org.admin)

    # then
    assert campaign_area_list_visible(viewer=org.inspector).count() == 2
    assert campaign_area_list_visible(viewer=outsider).count() == 0
    assert hazard_area_list_visible(viewer=outsider).count() == 0
    assert hazard_area_list_visible(viewer=org.other_responsible).count() == 0
    assert hazard_area_list_visible(viewer=org.responsible).count() == 2


def test_a_completed_item_without_result_is_refused_by_the_database(org):
    # given
    from django.db import IntegrityError, transaction

    high_risk_building(org)
    campaign = campaign_for(org)
    area = campaign.areas.first()

    # then
    with pytest.raises(IntegrityError), transaction.atomic():
        RectificationItem.objects.create(
            campaign=campaign,
            campaign_area=area,
            asset_type=AssetType.NETWORK,
            description="x",
            status="completed",
        )


def test_hazard_causes_recorded_at_proactive_visits_count_towards_recurrence(org):
    # given: 10 households complained in 2025 with a blockage; the 2024 ageing cause comes from a visit
    from decimal import Decimal

    from heatline.proactive.services import RoomReading, visit_record, watch_entry_add

    homes = households(org.building, 10)
    for index, home in enumerate(homes):
        at = dt.datetime(2025, 12, 1, 9, index, tzinfo=TZ)
        request_at(org, household=home, at=at, cause="pipe_blockage" if index == 0 else None)
    assert hazard_detect(season=season(2025)) == []  # one season of hazard causes only
    with time_machine.travel(dt.datetime(2024, 12, 10, 10, tzinfo=TZ), tick=False):
        entry = watch_entry_add(season=season(2024), household=homes[1], reason="上季低温", by=org.admin)
        visit_record(
            entry=entry,
            by=org.worker,
            readings=[RoomReading(room="客厅", temperature=Decimal("17.5"))],
            instrument_id="T-01",
            is_calibrated=True,
            cause="equipment_ageing",
            action="specialists",
        )

    # when
    areas = hazard_detect(season=season(2025))

    # then
    building_area = next(a for a in areas if a.level == Level.BUILDING)
    assert {c["code"]: c["seasons"] for c in building_area.evidence["causes"]}["equipment_ageing"] == [2024]
