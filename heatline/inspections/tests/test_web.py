import datetime as dt
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from heatline.inspections.models import AssetType, CheckKind, Finding, HazardArea, ItemStatus, Level
from heatline.inspections.services import Asset, finding_record
from heatline.inspections.tests.factories import campaign_for, high_risk_building, season

pytestmark = pytest.mark.django_db


def _client(staff):
    client = Client()
    client.force_login(staff)
    return client


def test_anonymous_is_sent_to_login(org):
    response = Client().get(reverse("inspections:index"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_index_lists_explained_areas_with_bounded_queries(org, django_assert_max_num_queries):
    # given
    high_risk_building(org)
    from heatline.inspections.services import hazard_detect

    hazard_detect(season=season(2025))
    client = _client(org.admin)

    # when
    with django_assert_max_num_queries(15):
        response = client.get(reverse("inspections:index") + "?season=2025")

    # then
    body = response.content.decode()
    assert response.status_code == 200
    assert org.community.name in body and "管道堵塞 2025" in body and "设备老化 2024" in body


def test_area_page_explains_households_requests_and_causes(org):
    # given
    homes = high_risk_building(org)
    from heatline.inspections.services import hazard_detect

    hazard_detect(season=season(2025))
    area = HazardArea.objects.get(level=Level.BUILDING)

    # when
    body = _client(org.admin).get(reverse("inspections:area", args=[area.pk])).content.decode()

    # then
    assert all(h.account_number in body for h in homes)
    assert "管道堵塞" in body and "2024" in body


def test_district_staff_of_another_district_get_404(org):
    high_risk_building(org)
    from heatline.inspections.services import hazard_detect

    hazard_detect(season=season(2025))
    area = HazardArea.objects.get(level=Level.BUILDING)
    assert _client(org.other_responsible).get(reverse("inspections:area", args=[area.pk])).status_code == 404
    assert _client(org.responsible).get(reverse("inspections:area", args=[area.pk])).status_code == 200


def test_manual_add_through_the_page(org):
    season(2025)
    client = _client(org.admin)
    response = client.post(
        reverse("inspections:area_add"), {"season": 2025, "community": org.community.pk, "reason": ""}
    )
    assert response.status_code == 302 and not HazardArea.objects.exists()
    client.post(
        reverse("inspections:area_add"),
        {
            "season": 2025,
            "community": org.community.pk,
            "building": org.building.number,
            "reason": "多年老旧",
        },
    )
    assert HazardArea.objects.get().building == org.building


def test_campaign_created_on_the_page_and_inspector_records_on_the_phone_screen(org):
    # given
    high_risk_building(org)
    from heatline.inspections.services import hazard_detect

    hazard_detect(season=season(2025))
    admin = _client(org.admin)
    response = admin.post(
        reverse("inspections:campaign_new"),
        {"season": 2025, "company_staff": [org.worker.pk], "technicians": [org.inspector.pk]},
    )
    assert response.status_code == 302
    campaign_url = response["Location"]
    inspector = _client(org.inspector)
    area_pk = inspector.get(campaign_url).context["areas"][0][0].pk
    area_url = reverse("inspections:campaign_area", args=[area_pk])
    page = inspector.get(area_url)
    assert page.status_code == 200
    gauge = page.context["area"].checklist.get(kind=CheckKind.PRESSURE_GAUGES)

    # when: a gauge reading and a finding with a photo
    inspector.post(
        reverse("inspections:check", args=[area_pk, gauge.pk]),
        {"is_ok": "1", "supply_pressure": "0.55", "return_pressure": "0.25"},
    )
    photo = SimpleUploadedFile("p.jpg", b"\xff\xd8\xff data", content_type="image/jpeg")
    inspector.post(
        reverse("inspections:finding_add", args=[area_pk]),
        {
            "asset_type": "station",
            "station": org.station.pk,
            "description": "补水泵异响",
            "responsible": org.worker.pk,
            "due_on": (timezone.localdate() + dt.timedelta(days=5)).isoformat(),
            "photos": photo,
        },
    )
    refused = inspector.post(
        reverse("inspections:finding_add", args=[area_pk]),
        {"asset_type": "station", "description": "没有资产", "fixed": "1", "result": "x"},
        follow=True,
    )

    # then
    gauge.refresh_from_db()
    assert gauge.supply_pressure is not None
    finding = Finding.objects.get()
    assert finding.photos.count() == 1 and finding.item.status == ItemStatus.OPEN
    assert "隐患必须指明资产" in refused.content.decode()
    photo_response = inspector.get(reverse("inspections:photo", args=[finding.photos.get().pk]))
    assert photo_response.status_code == 200
    assert _client(org.operator).get(area_url).status_code == 200  # company-wide reader
    from heatline.registry.models import Role
    from heatline.registry.tests.factories import StaffFactory

    stranger = StaffFactory(username="t_insp_x", role=Role.INSPECTOR)
    assert _client(stranger).get(area_url).status_code == 404


def _open_item(org, campaign, *, due):
    area = campaign.areas.first()
    return finding_record(
        campaign_area=area,
        by=org.inspector,
        asset_type=AssetType.RISER,
        asset=Asset(building=org.building),
        description="立管锈蚀",
        is_fixed_on_spot=False,
        responsible=org.worker,
        due_on=due,
    ).item


def test_ledger_marks_overdue_items_and_exports_xlsx(org, django_assert_max_num_queries, time_machine):
    # given: an item due in 2 days, then time moves 5 days on
    high_risk_building(org)
    time_machine.move_to(dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC), tick=False)
    campaign = campaign_for(org)
    item = _open_item(org, campaign, due=dt.date(2026, 6, 3))
    for _ in range(3):
        _open_item(org, campaign, due=dt.date(2026, 6, 30))
    time_machine.move_to(dt.datetime(2026, 6, 6, 9, tzinfo=dt.UTC), tick=False)
    client = _client(org.admin)

    # when
    with django_assert_max_num_queries(12):
        page = client.get(reverse("inspections:ledger", args=[campaign.pk]))
    overdue_only = client.get(reverse("inspections:ledger", args=[campaign.pk]) + "?overdue=1")
    export = client.get(reverse("inspections:ledger_export", args=[campaign.pk]))

    # then
    assert page.content.decode().count('class="overdue"') == 1
    assert [i.pk for i in overdue_only.context["items"]] == [item.pk]
    sheet = load_workbook(BytesIO(export.content)).active
    assert sheet.cell(row=3, column=1).value == "序号"
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    assert len(rows) == 4 + 0 and any(r[13] == "超期" for r in rows)


def test_item_page_progress_and_refused_close(org):
    high_risk_building(org)
    campaign = campaign_for(org)
    item = _open_item(org, campaign, due=timezone.localdate() + dt.timedelta(days=9))
    client = _client(org.worker)
    url = reverse("inspections:item", args=[item.pk])
    client.post(url, {"action": "progress", "progress": "40", "note": "材料已到"})
    refused = client.post(url, {"action": "complete", "result": ""}, follow=True)
    assert "必须填写整改结果" in refused.content.decode()
    client.post(url, {"action": "complete", "result": "更换立管一段"})
    item.refresh_from_db()
    assert item.status == ItemStatus.COMPLETED and item.result == "更换立管一段"
    assert client.get(reverse("inspections:my_items")).status_code == 200


def test_campaign_pages_have_bounded_queries(org, django_assert_max_num_queries):
    # given: a campaign with a few findings
    high_risk_building(org)
    campaign = campaign_for(org)
    for _ in range(3):
        _open_item(org, campaign, due=timezone.localdate() + dt.timedelta(days=4))
    area = campaign.areas.first()
    client = _client(org.worker)

    # then
    with django_assert_max_num_queries(14):
        assert client.get(reverse("inspections:campaign", args=[campaign.pk])).status_code == 200
    with django_assert_max_num_queries(22):
        assert client.get(reverse("inspections:campaign_area", args=[area.pk])).status_code == 200
    with django_assert_max_num_queries(10):
        page = client.get(reverse("inspections:my_items"))
    assert len(page.context["items"]) == 3
