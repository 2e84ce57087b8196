import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from heatline.inspections.models import ItemKind, Level
from heatline.inspections.services import hazard_detect
from heatline.inspections.tests.factories import TZ, campaign_for, high_risk_building, request_at, season
from heatline.registry.models import PipeOwner
from heatline.registry.services import api_token_create
from heatline.registry.tests.factories import PartnerFactory, PipeSectionFactory

pytestmark = pytest.mark.django_db


def _api(staff):
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(staff=staff)}")


def test_anonymous_gets_401():
    assert Client().get("/api/v1/hazard-areas?season=2025").status_code == 401


def test_hazard_areas_list_levels_households_causes_and_requests(org):
    # given
    homes = high_risk_building(org)
    hazard_detect(season=season(2025))

    # when
    response = _api(org.admin).get("/api/v1/hazard-areas?season=2025")

    # then
    assert response.status_code == 200
    rows = {row["level"]: row for row in response.json()}
    building = rows["building"]
    assert building["id"] and building["name"] == str(org.building)
    assert building["households"] == 10
    assert {c["code"]: c["seasons"] for c in building["causes"]} == {
        "pipe_blockage": [2025],
        "equipment_ageing": [2024],
    }
    assert len(building["requests"]) == 10
    assert rows["community"]["name"] == org.community.name
    assert len(homes) == 10
    assert _api(org.other_responsible).get("/api/v1/hazard-areas?season=2025").json() == []
    assert _api(org.admin).get("/api/v1/hazard-areas?season=1999").status_code == 422


def test_causes_are_listed(org):
    response = _api(org.operator).get("/api/v1/causes")
    codes = {row["code"]: row["name"] for row in response.json()}
    assert codes["pipe_blockage"] == "管道堵塞" and codes["equipment_ageing"] == "设备老化"


def test_manual_area_without_reason_is_422_and_manager_is_403(org):
    season(2025)
    body = {"season": 2025, "community_id": org.community.pk, "reason": ""}
    assert (
        _api(org.admin).post("/api/v1/hazard-areas", body, content_type="application/json").status_code == 422
    )
    body["reason"] = "老旧"
    assert (
        _api(org.manager).post("/api/v1/hazard-areas", body, content_type="application/json").status_code
        == 403
    )
    created = _api(org.admin).post("/api/v1/hazard-areas", body, content_type="application/json")
    assert created.status_code == 201 and created.json()["is_manual"] is True


def test_campaign_findings_and_ledger_through_the_api(org):
    # given: a leaked company pipe and a leaked pipe of a property company
    homes = high_risk_building(org)
    own = PipeSectionFactory()
    own.buildings.add(org.building)
    theirs = PipeSectionFactory(owner=PipeOwner.OTHER, owner_partner=PartnerFactory(name="物业乙"))
    theirs.buildings.add(org.building)
    request_at(org, household=homes[3], at=dt.datetime(2026, 2, 1, 9, tzinfo=TZ), cause="network_leak")
    hazard_detect(season=season(2025))
    admin = _api(org.admin)
    inspector = _api(org.inspector)

    # when: the campaign is created
    created = admin.post(
        "/api/v1/campaigns",
        {"season": 2025, "team": [{"staff_id": org.inspector.pk, "kind": "station_technician"}]},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    campaign = created.json()
    area = next(a for a in campaign["areas"] if a["level"] == Level.BUILDING)
    checklist = inspector.get(f"/api/v1/campaign-areas/{area['id']}/checklist").json()
    kinds = {c["kind"] for c in checklist}
    assert {"rust", "pumps", "pressure_gauges", "door_to_door", "leaked_replace", "leaked_notify"} <= kinds

    # then: a replacement for the other owner's pipe is refused, its owner notice recorded
    refused = inspector.post(
        f"/api/v1/campaign-areas/{area['id']}/replacements",
        {"pipe_section_id": theirs.pk},
        content_type="application/json",
    )
    assert refused.status_code == 422 and "非本公司产权" in refused.json()["detail"]
    notice = inspector.post(
        f"/api/v1/campaign-areas/{area['id']}/notices",
        {"kind": "owner", "pipe_section_id": theirs.pk, "channel": "书面"},
        content_type="application/json",
    )
    assert notice.status_code == 201 and notice.json()["partner_id"] == theirs.owner_partner_id

    # and: findings — without an asset refused; a good one becomes an open ledger item
    no_asset = inspector.post(
        f"/api/v1/campaign-areas/{area['id']}/findings",
        {"asset_type": "network", "description": "漏点", "is_fixed_on_spot": True, "result": "补焊"},
        content_type="application/json",
    )
    assert no_asset.status_code == 422
    finding = inspector.post(
        f"/api/v1/campaign-areas/{area['id']}/findings",
        {
            "asset_type": "network",
            "pipe_section_id": own.pk,
            "description": "保温层脱落",
            "responsible_id": org.worker.pk,
            "due_on": (timezone.localdate() + dt.timedelta(days=7)).isoformat(),
        },
        content_type="application/json",
    )
    assert finding.status_code == 201
    item = finding.json()
    assert item["status"] == "open" and item["responsible_id"] == org.worker.pk

    close_empty = _api(org.worker).post(
        f"/api/v1/rectification-items/{item['id']}/complete", {"result": " "}, content_type="application/json"
    )
    assert close_empty.status_code == 422
    done = _api(org.worker).post(
        f"/api/v1/rectification-items/{item['id']}/complete",
        {"result": "重做保温"},
        content_type="application/json",
    )
    assert done.json()["status"] == "completed"

    ledger = admin.get(f"/api/v1/rectification-items?campaign={campaign['id']}").json()
    assert {row["kind"] for row in ledger} == {ItemKind.REPAIR, ItemKind.REPLACEMENT}
    progress = admin.get(f"/api/v1/campaigns/{campaign['id']}").json()["progress"]
    assert progress["items"] == 2 and progress["completed"] == 1


def test_campaign_closes_only_when_every_check_is_done(org):
    # given
    high_risk_building(org)
    campaign = campaign_for(org)
    admin = _api(org.admin)

    # when / then: pending checks refuse the close
    assert admin.post(f"/api/v1/campaigns/{campaign.pk}/close").status_code == 422
    from heatline.inspections.models import ChecklistItem, CheckStatus

    ChecklistItem.objects.filter(campaign_area__campaign=campaign).update(status=CheckStatus.DONE, is_ok=True)
    closed = admin.post(f"/api/v1/campaigns/{campaign.pk}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert _api(org.inspector).post(f"/api/v1/campaigns/{campaign.pk}/close").status_code in (403, 409)
