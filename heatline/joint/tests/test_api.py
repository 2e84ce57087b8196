"""The joint-case API (issue 6): names, status codes, scoping, the dispute and coordination flows."""

import datetime as dt
import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from heatline.joint.jobs import joint_clocks
from heatline.joint.tests.factories import partners
from heatline.registry.models import Staff
from heatline.registry.services import api_token_create
from heatline.registry.tests.factories import HouseholdFactory, Org
from heatline.requests.models import ClockName, ServiceRequest, Status
from heatline.requests.tests.factories import registered_request

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)  # a Monday


class Api:
    def __init__(self, staff: Staff | None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if staff is not None:
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {api_token_create(staff=staff)}"

    def get(self, path: str) -> Any:
        return self.client.get(f"/api/v1{path}", **self.headers)  # type: ignore[arg-type]

    def post(self, path: str, body: Any) -> Any:
        return self.client.post(
            f"/api/v1{path}",
            data=json.dumps(body, default=str),
            content_type="application/json",
            **self.headers,  # type: ignore[arg-type]
        )


def clock(body: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in body["clocks"] if c["name"] == name)


@pytest.mark.django_db
def test_anonymous_gets_401(org: Org) -> None:
    # given / when
    response = Api(None).post("/cases", {"type": "dispute", "summary": "x"})

    # then
    assert response.status_code == 401


@pytest.mark.django_db
def test_coordination_case_opens_with_meeting_clock_at_end_of_third_working_day(org: Org) -> None:
    # given: a cold-home request; the branch manager opens a coordination case on Monday
    with time_machine.travel(T0, tick=False):
        service_request = registered_request(org)
        api = Api(org.branch_manager)

        # when
        response = api.post(
            "/cases",
            {"type": "coordination", "requests": [service_request.number], "summary": "立管改造受阻"},
        )

    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["type"] == "coordination"
    assert body["status"] == "open"
    assert body["branch"] == org.branch.pk
    assert body["requests"] == [service_request.number]
    # Monday → Thursday, the end of the day (JSON carries milliseconds: 23:59:59.999 local)
    due = datetime.fromisoformat(clock(body, "meeting")["due_at"]).astimezone(SHANGHAI)
    assert (due.date(), due.hour, due.minute, due.second) == (dt.date(2026, 11, 26), 23, 59, 59)
    assert [c["name"] for c in body["clocks"]] == ["meeting"]


@pytest.mark.django_db
def test_dispute_flow_end_to_end_through_the_api(org: Org) -> None:
    # given: two cold homes below a closed valve, gathered into one dispute
    bodies = partners()
    second = HouseholdFactory(building=org.building, phone="13800000077")
    with time_machine.travel(T0, tick=False) as traveller:
        first_request = registered_request(org)
        second_request = registered_request(org, household=second)
        api = Api(org.branch_manager)
        response = api.post(
            "/cases",
            {
                "type": "dispute",
                "requests": [first_request.number, second_request.number],
                "summary": "402户关闭阀门,楼下两户不热",
            },
        )
        assert response.status_code == 201, response.content
        case_id = response.json()["id"]
        assert response.json()["clocks"] == []

        # when: mediation on site the next morning, with the street community and the police
        traveller.move_to(T0 + timedelta(hours=24))
        mediated = api.post(
            f"/cases/{case_id}/transitions",
            {
                "action": "mediate",
                "held_at": (T0 + timedelta(hours=23)).isoformat(),
                "partners": [bodies["street"].pk, bodies["police"].pk],
                "parties_present": "402户、302户、社区王主任、民警李",
                "agreement": "valve_adjusted",
                "agreement_detail": "402户同意打开阀门",
            },
        )
        traveller.move_to(T0 + timedelta(hours=30))
        called_back = api.post(
            f"/cases/{case_id}/transitions", {"action": "callback", "reached": True, "solved": True}
        )
        closed = api.post(f"/cases/{case_id}/transitions", {"action": "close"})

    # then: the callback clock ran from the mediation (24 h) and was met
    assert mediated.status_code == 200, mediated.content
    body = mediated.json()
    assert body["status"] == "solved"
    assert datetime.fromisoformat(clock(body, "callback")["due_at"]) == T0 + timedelta(hours=47)
    assert {p["kind"] for p in body["participants"]} == {"street", "police"}
    assert called_back.json()["status"] == "called_back"
    assert clock(called_back.json(), "callback")["met_at"] is not None
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    # and: the linked requests followed the outcome to their own callbacks
    for number in (first_request.number, second_request.number):
        service_request = ServiceRequest.objects.get(number=number)
        assert service_request.status == Status.REPORTED
        assert service_request.cause is not None and service_request.cause.code == "neighbour_stopped"
        assert service_request.clocks.filter(name=ClockName.CALLBACK, met_at=None).exists()
    assert api.get(f"/cases/{case_id}").json()["events"][-1]["action"] == "close"


@pytest.mark.django_db
def test_coordination_flow_end_to_end_through_the_api(org: Org) -> None:
    # given
    bodies = partners()
    with time_machine.travel(T0, tick=False) as traveller:
        service_request = registered_request(org)
        api = Api(org.branch_manager)
        case_id = api.post(
            "/cases",
            {"type": "coordination", "requests": [service_request.number], "summary": "立管改造受阻"},
        ).json()["id"]
        traveller.move_to(T0 + timedelta(days=2))

        # when: the special meeting settles the responsible party, the plan and two milestones
        met = api.post(
            f"/cases/{case_id}/transitions",
            {
                "action": "meeting",
                "held_at": (T0 + timedelta(days=2)).isoformat(),
                "partners": [bodies["housing"].pk, bodies["street"].pk],
                "responsible_party": "安居物业",
                "plan": "物业协调住户,分公司更换立管",
                "milestones": [
                    {"title": "住户签字同意", "due_date": "2026-11-27"},
                    {"title": "更换立管", "due_date": "2026-12-04", "responsible": "分公司"},
                ],
            },
        )
        milestones = met.json()["milestones"]
        contact = api.post(
            f"/cases/{case_id}/transitions",
            {
                "action": "contact",
                "partner_id": bodies["street"].pk,
                "person": "王主任",
                "channel": "phone",
                "outcome": "社区同意出面协调住户",
            },
        )
        for milestone in milestones:
            api.post(
                f"/cases/{case_id}/transitions",
                {"action": "complete_milestone", "milestone_id": milestone["id"]},
            )
        solved = api.post(
            f"/cases/{case_id}/transitions", {"action": "solve", "result": "立管已更换,室温22度"}
        )
        api.post(f"/cases/{case_id}/transitions", {"action": "callback", "reached": True, "solved": True})
        closed = api.post(f"/cases/{case_id}/transitions", {"action": "close"})

    # then
    assert met.status_code == 200, met.content
    body = met.json()
    assert body["status"] == "in_progress"
    assert clock(body, "meeting")["met_at"] is not None
    assert body["responsible_party"] == "安居物业"
    assert len(milestones) == 2
    assert contact.json()["contacts"][0]["outcome"] == "社区同意出面协调住户"
    assert solved.json()["status"] == "solved"
    assert clock(solved.json(), "callback")["due_at"]
    assert closed.json()["status"] == "closed"
    assert ServiceRequest.objects.get(number=service_request.number).status == Status.REPORTED


@pytest.mark.django_db
def test_bad_input_is_refused_clearly(org: Org) -> None:
    # given: a coordination case with its meeting held and one open milestone
    bodies = partners()
    with time_machine.travel(T0, tick=False) as traveller:
        api = Api(org.branch_manager)
        case_id = api.post(
            "/cases", {"type": "coordination", "summary": "维修需多户配合", "district": org.district.pk}
        ).json()["id"]

        # when: a meeting dated before the case was opened, a participant not in the register
        early = api.post(
            f"/cases/{case_id}/transitions",
            {
                "action": "meeting",
                "held_at": (T0 - timedelta(hours=1)).isoformat(),
                "partners": [bodies["housing"].pk],
                "responsible_party": "物业",
                "plan": "维修",
            },
        )
        stranger = api.post(
            f"/cases/{case_id}/transitions",
            {
                "action": "meeting",
                "held_at": T0.isoformat(),
                "partners": [bodies["housing"].pk, 99999],
                "responsible_party": "物业",
                "plan": "维修",
            },
        )
        traveller.move_to(T0 + timedelta(hours=2))
        api.post(
            f"/cases/{case_id}/transitions",
            {
                "action": "meeting",
                "held_at": (T0 + timedelta(hours=1)).isoformat(),
                "partners": [bodies["housing"].pk],
                "responsible_party": "物业",
                "plan": "维修",
                "milestones": [{"title": "更换阀门", "due_date": "2026-11-30"}],
            },
        )
        api.post(f"/cases/{case_id}/transitions", {"action": "solve", "result": "已修复"})
        api.post(f"/cases/{case_id}/transitions", {"action": "callback", "reached": True, "solved": True})
        closing = api.post(f"/cases/{case_id}/transitions", {"action": "close"})
        again = api.post(f"/cases/{case_id}/transitions", {"action": "solve", "result": "x"})
        wrong_type = api.post("/cases", {"type": "quarrel", "summary": "x", "district": org.district.pk})

    # then
    assert early.status_code == 422
    assert early.json()["field"] == "held_at"
    assert stranger.status_code == 422
    assert "99999" in stranger.json()["detail"]
    assert closing.status_code == 422
    assert "更换阀门" in closing.json()["detail"]
    assert again.status_code == 409
    assert wrong_type.status_code == 422


@pytest.mark.django_db
def test_only_the_leading_branch_and_involved_staff_see_a_case(org: Org) -> None:
    # given: a dispute opened by the district's responsible person in the branch's area
    service_request = registered_request(org)
    case_id = (
        Api(org.responsible)
        .post("/cases", {"type": "dispute", "requests": [service_request.number], "summary": "邻里纠纷"})
        .json()["id"]
    )

    # when / then: the branch manager, the opener and management see it; others get 404
    assert Api(org.branch_manager).get(f"/cases/{case_id}").status_code == 200
    assert Api(org.responsible).get(f"/cases/{case_id}").status_code == 200
    assert Api(org.manager).get(f"/cases/{case_id}").status_code == 200
    assert Api(org.other_responsible).get(f"/cases/{case_id}").status_code == 404
    assert Api(org.operator).get(f"/cases/{case_id}").status_code == 404
    # and: management reads but may not act (403); a worker may not open a case (403)
    refused = Api(org.manager).post(f"/cases/{case_id}/transitions", {"action": "note", "note": "x"})
    assert refused.status_code == 403
    assert Api(org.worker).post("/cases", {"type": "dispute", "summary": "x"}).status_code == 403


@pytest.mark.django_db
def test_callback_clock_breaches_once_24_hours_after_mediation(org: Org) -> None:
    # given: a dispute mediated at T0 + 1 h
    bodies = partners()
    with time_machine.travel(T0, tick=False) as traveller:
        api = Api(org.branch_manager)
        case_id = api.post(
            "/cases", {"type": "dispute", "summary": "阀门纠纷", "district": org.district.pk}
        ).json()["id"]
        traveller.move_to(T0 + timedelta(hours=1))
        api.post(
            f"/cases/{case_id}/transitions",
            {
                "action": "mediate",
                "held_at": (T0 + timedelta(hours=1)).isoformat(),
                "partners": [bodies["street"].pk],
                "agreement": "heating_restored",
            },
        )

        # when: the worker runs twice after the 24 hours
        for hours in (26, 30):
            traveller.move_to(T0 + timedelta(hours=hours))
            joint_clocks(timezone.now())
        body = api.get(f"/cases/{case_id}").json()

    # then
    callback = clock(body, "callback")
    assert datetime.fromisoformat(callback["breached_at"]) == T0 + timedelta(hours=25)
    assert datetime.fromisoformat(callback["due_at"]) == T0 + timedelta(hours=25)


@pytest.mark.django_db
def test_case_list_and_a_time_without_zone_is_local(org: Org) -> None:
    # given: a coordination case opened at 09:00 Shanghai time
    bodies = partners()
    with time_machine.travel(T0, tick=False) as traveller:
        api = Api(org.branch_manager)
        case_id = api.post(
            "/cases", {"type": "coordination", "summary": "协调", "district": org.district.pk}
        ).json()["id"]
        traveller.move_to(T0 + timedelta(hours=3))

        # when: the meeting time is sent without a zone (10:00, local), and the list is read
        met = api.post(
            f"/cases/{case_id}/transitions",
            {
                "action": "meeting",
                "held_at": "2026-11-23T10:00:00",
                "partners": [bodies["housing"].pk],
                "responsible_party": "物业",
                "plan": "维修",
                "milestones": [{"title": "更换阀门", "due_date": "2026-11-30"}],
            },
        )
        listed = api.get("/cases?status=open")
        outsider = Api(org.other_responsible).get("/cases?status=all")

    # then
    assert met.status_code == 200, met.content
    assert datetime.fromisoformat(met.json()["meeting_at"]) == T0 + timedelta(hours=1)
    assert [row["id"] for row in listed.json()] == [case_id]
    assert listed.json()[0]["next_milestone"]["title"] == "更换阀门"
    assert outsider.json() == []
