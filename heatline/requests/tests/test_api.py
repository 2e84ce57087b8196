"""The request API contract (issue 3): names, status codes, scoping, masking, bad input."""

import json
from datetime import datetime, timedelta
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from heatline.registry.models import Staff
from heatline.registry.services import api_token_create
from heatline.registry.tests.factories import HouseholdFactory, Org
from heatline.requests.models import ClockName, RequestEvent, ServiceRequest, Status
from heatline.requests.tests.factories import emergency_request, registered_request, reported_request

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


class Api:
    """A JSON client with a bearer token for one staff member."""

    def __init__(self, staff: Staff | None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if staff is not None:
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {api_token_create(staff=staff)}"

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, **self.headers)  # type: ignore[arg-type]

    def post(self, path: str, body: Any) -> Any:
        return self.client.post(
            f"/api/v1{path}",
            data=json.dumps(body),
            content_type="application/json",
            **self.headers,  # type: ignore[arg-type]
        )


def intake(org: Org, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "source": "12345",
        "external_id": "GD-20261120-0001",
        "caller_name": "李四",
        "phone": "13800000001",
        "household": org.household.account_number,
        "content": "家里暖气不热,客厅只有16度",
    }
    body.update(fields)
    return body


@pytest.mark.django_db
def test_anonymous_calls_get_401(org: Org) -> None:
    # given: no token, no session
    anonymous = Api(None)

    # when / then: every endpoint refuses with 401
    assert anonymous.get("/requests").status_code == 401
    assert anonymous.post("/requests", intake(org)).status_code == 401
    assert anonymous.get("/callers/13800000001").status_code == 401
    assert anonymous.get("/households", q="幸福").status_code == 401
    assert Api(None).get("/categories").status_code == 401


@pytest.mark.django_db
def test_a_bad_token_gets_401(org: Org) -> None:
    response = Client().get("/api/v1/requests", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert response.status_code == 401


@pytest.mark.django_db
def test_post_request_creates_then_returns_the_same_order_on_repeat(org: Org) -> None:
    api = Api(org.operator)

    # when: a 12345 order is pushed twice
    with time_machine.travel(T0, tick=False):
        first = api.post("/requests", intake(org))
        second = api.post("/requests", intake(org, content="重复推送"))

    # then: 201 with the contract's fields, then 200 with the same request
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["number"].startswith("RX20261120")
    assert body["status"] == Status.DISPATCHED
    assert body["kind"] == "routine"
    assert body["category"] == "low_temperature"  # suggested from the content
    assert body["district"]["id"] == org.district.pk
    assert body["household"] == org.household.account_number
    assert body["assignee"] == {"username": org.responsible.username, "name": org.responsible.name}
    assert body["round"] == 1
    assert body["source"] == "12345" and body["external_id"] == "GD-20261120-0001"
    assert body["is_late_intake"] is False
    clocks = {clock["name"]: clock for clock in body["clocks"]}
    assert set(clocks) >= {"intake", "contact", "repair"}
    assert clocks["contact"]["due_at"].startswith("2026-11-20T00:30:00")  # 08:30 Beijing, in UTC
    assert clocks["contact"]["met_at"] is None and clocks["contact"]["breached_at"] is None
    assert second.status_code == 200
    assert second.json()["number"] == body["number"]
    assert ServiceRequest.objects.count() == 1


@pytest.mark.django_db
def test_late_registration_is_flagged(org: Org) -> None:
    api = Api(org.operator)
    with time_machine.travel(T0, tick=False):
        response = api.post(
            "/requests", intake(org, received_at=(T0 - timedelta(minutes=7)).isoformat(), external_id="L1")
        )
    assert response.status_code == 201
    assert response.json()["is_late_intake"] is True


@pytest.mark.django_db
def test_unknown_address_is_kept_and_waits_for_a_district(org: Org) -> None:
    api = Api(org.operator)
    response = api.post(
        "/requests",
        intake(org, household=None, address="某某路不存在的小区8号楼", source="963000", external_id=None),
    )
    assert response.status_code == 201
    assert response.json()["status"] == Status.REGISTERED
    assert response.json()["address"] == "某某路不存在的小区8号楼"
    assert response.json()["household"] is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        {"phone": ""},
        {"content": "   "},
        {"content": "热" * 4001},
        {"caller_name": "名" * 51},
        {"phone": "1" * 21},
        {"address": "址" * 201, "household": None},
        {"external_id": "x" * 65},
        {"category": "no_such_category"},
        {"kind": "urgent"},
        {"source": "fax"},
        {"household": "does-not-exist"},
        {"received_at": "yesterday"},
        {"received_at": "9999-12-31T23:59:59+14:00"},
        {"received_at": "0001-01-01T00:00:00-14:00"},
        {"phone": 13800000001},
        {"content": ["a", "b"]},
        {"unexpected": "field"},
        {"content": "暖气\x00不热"},
        {"district": 2**40},
        {"external_id": None},  # 12345 orders keep the platform's number
    ],
)
def test_bad_intake_is_a_422_and_nothing_is_saved(org: Org, change: dict[str, Any]) -> None:
    response = Api(org.operator).post("/requests", intake(org, **change))
    assert response.status_code == 422, response.content
    assert "detail" in response.json()
    assert ServiceRequest.objects.count() == 0


@pytest.mark.django_db
def test_malformed_json_is_a_422(org: Org) -> None:
    api = Api(org.operator)
    response = api.client.post(
        "/api/v1/requests", data="{not json", content_type="application/json", **api.headers
    )  # type: ignore[arg-type]
    assert response.status_code in (400, 422)


@pytest.mark.django_db
def test_list_filters_and_pagination(org: Org) -> None:
    # given: a routine and an emergency request, and one whose contact clock has run out
    with time_machine.travel(T0, tick=False) as traveller:
        routine = registered_request(org)
        emergency = emergency_request(org, household=org.other_household)
        traveller.move_to(T0 + timedelta(minutes=45))
        api = Api(org.operator)

        # when / then
        everything = api.get("/requests").json()
        assert everything["count"] == 2
        assert {item["number"] for item in everything["items"]} == {routine.number, emergency.number}
        assert [i["number"] for i in api.get("/requests", kind="emergency").json()["items"]] == [
            emergency.number
        ]
        assert [i["number"] for i in api.get("/requests", district=org.district.pk).json()["items"]] == [
            routine.number
        ]
        overdue = api.get("/requests", overdue="true").json()["items"]
        assert [item["number"] for item in overdue] == [routine.number]  # contact due 08:30
        assert overdue[0]["is_overdue"] is True
        assert api.get("/requests", q=routine.number).json()["count"] == 1
        assert api.get("/requests", status="closed").json()["count"] == 0
        assert api.get("/requests", status="open").json()["count"] == 2
        assert api.get("/requests", page_size=1).json()["items"].__len__() == 1
        assert api.get("/requests", page_size=1000).status_code == 200
        assert api.get("/requests", status="bogus").status_code == 422
        assert api.get("/requests", district="abc").status_code == 422
        assert api.get("/requests", district=2**40).status_code == 422
        assert api.get("/requests", q="x" * 101).status_code == 422


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_rows(org: Org, django_assert_max_num_queries: Any) -> None:
    # given: 12 requests across both districts
    for index in range(6):
        registered_request(org)
        registered_request(org, household=org.other_household)
        del index
    api = Api(org.operator)

    # when / then: a page costs a bounded number of queries (auth, count, rows, clocks)
    with django_assert_max_num_queries(6):
        response = api.get("/requests")
    assert response.json()["count"] == 12
    with django_assert_max_num_queries(6):
        assert api.get("/requests", overdue="true").status_code == 200


@pytest.mark.django_db
def test_district_staff_see_only_their_district(org: Org) -> None:
    # given: one request in each district
    mine = registered_request(org)
    theirs = registered_request(org, household=org.other_household)
    api = Api(org.responsible)

    # when / then: the other district's request is invisible everywhere (404, not 403)
    assert [item["number"] for item in api.get("/requests").json()["items"]] == [mine.number]
    assert api.get(f"/requests/{theirs.number}").status_code == 404
    assert api.post(f"/requests/{theirs.number}/transitions", {"action": "contact"}).status_code == 404
    assert api.get("/requests", q=theirs.number).json()["count"] == 0
    assert api.get(f"/callers/{org.other_household.phone}").json()["households"] == []
    assert api.get("/households", q=org.other_household.account_number).json() == []
    assert api.get(f"/requests/{mine.number}").status_code == 200


@pytest.mark.django_db
def test_detail_has_events_and_clocks(org: Org) -> None:
    service_request = registered_request(org)
    response = Api(org.operator).get(f"/requests/{service_request.number}")
    assert response.status_code == 200
    body = response.json()
    actions = [(event["action"], event["from"], event["to"]) for event in body["events"]]
    assert actions == [("register", "", "registered"), ("dispatch", "registered", "dispatched")]
    assert body["events"][0]["actor"]["username"] == org.operator.username
    assert {"at", "note"} <= set(body["events"][0])
    assert {clock["name"] for clock in body["clocks"]} == {"intake", "contact", "repair"}
    assert Api(org.operator).get("/requests/RX20990101%2500").status_code in (404, 422)
    assert Api(org.operator).get("/requests/RX0000000000000").status_code == 404


@pytest.mark.django_db
def test_the_whole_loop_through_the_api_closes_on_a_satisfied_callback(org: Org) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        number = Api(org.operator).post("/requests", intake(org)).json()["number"]
        field, hotline = Api(org.responsible), Api(org.operator)
        path = f"/requests/{number}/transitions"

        traveller.move_to(T0 + timedelta(minutes=10))
        assert field.post(path, {"action": "contact", "note": "约好10点上门"}).json()["status"] == "contacted"
        traveller.move_to(T0 + timedelta(hours=2))
        assert field.post(path, {"action": "arrive"}).json()["status"] == "on_site"
        done = field.post(
            path, {"action": "complete", "cause": "radiator_air", "result": "暖气片放气,室温21度"}
        )
        assert done.status_code == 200 and done.json()["status"] == "completed"
        assert field.post(path, {"action": "report"}).json()["status"] == "reported"
        traveller.move_to(T0 + timedelta(hours=5))
        closed = hotline.post(
            path, {"action": "callback", "solved": True, "satisfied": True, "comment": "很满意"}
        )

    assert closed.status_code == 200, closed.content
    body = closed.json()
    assert body["status"] == "closed"
    assert body["satisfaction"] == "satisfied"
    clocks = {clock["name"]: clock for clock in body["clocks"]}
    assert clocks["contact"]["met_at"] is not None and clocks["contact"]["breached_at"] is None
    assert clocks["callback"]["met_at"] is not None
    assert [event["action"] for event in body["events"]][-1] == "callback"


@pytest.mark.django_db
def test_unsatisfied_callback_starts_round_two(org: Org) -> None:
    service_request = reported_request(org)
    response = Api(org.operator).post(
        f"/requests/{service_request.number}/transitions",
        {"action": "callback", "solved": False, "satisfied": False, "comment": "还是冷"},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "dispatched"
    assert response.json()["round"] == 2
    assert response.json()["assignee"]["username"] == org.dept_head.username


@pytest.mark.django_db
def test_three_level_satisfaction_is_accepted(org: Org) -> None:
    service_request = reported_request(org)
    response = Api(org.operator).post(
        f"/requests/{service_request.number}/transitions",
        {"action": "callback", "solved": True, "satisfaction": "basic"},
    )
    assert response.status_code == 200
    assert response.json()["satisfaction"] == "basic"


@pytest.mark.django_db
def test_transition_errors_are_409_403_422(org: Org) -> None:
    service_request = registered_request(org)
    path = f"/requests/{service_request.number}/transitions"
    events_before = RequestEvent.objects.count()

    # 409: a callback before anything was done
    assert Api(org.operator).post(path, {"action": "callback", "solved": True}).status_code == 409
    # 403: the hotline does not record a field visit; the other district's person may not either
    assert Api(org.operator).post(path, {"action": "contact"}).status_code == 403
    assert Api(org.manager).post(path, {"action": "arrive"}).status_code == 403
    # 422: unknown action, unknown field, wrong type, missing cause, unknown cause, unknown assignee
    field = Api(org.responsible)
    assert field.post(path, {"action": "teleport"}).status_code == 422
    assert field.post(path, {"action": "contact", "colour": "red"}).status_code == 422
    assert field.post(path, {"action": "contact", "note": 5}).status_code == 422
    assert field.post(path, {"action": "arrive"}).status_code == 200
    assert field.post(path, {"action": "complete", "result": "修好了"}).status_code == 422
    assert field.post(path, {"action": "complete", "cause": "nope", "result": "修好了"}).status_code == 422
    reassign = {"action": "reassign", "assignee": "nobody", "note": "换人"}
    assert Api(org.operator).post(path, reassign).status_code == 422

    # then: only the one successful step left an event
    assert RequestEvent.objects.count() == events_before + 1


@pytest.mark.django_db
def test_reassign_by_username_keeps_history(org: Org) -> None:
    service_request = registered_request(org)
    response = Api(org.operator).post(
        f"/requests/{service_request.number}/transitions",
        {"action": "reassign", "assignee": org.worker.username, "note": "片区长休假"},
    )
    assert response.status_code == 200
    assert response.json()["assignee"]["username"] == org.worker.username
    assert response.json()["events"][-1]["action"] == "reassign"


@pytest.mark.django_db
def test_a_stale_second_operator_gets_409(org: Org) -> None:
    # given: a reported request; two operators call back at once (the second holds a stale copy)
    service_request = reported_request(org)
    from heatline.requests.transitions import Params, request_transition

    stale = ServiceRequest.objects.get(pk=service_request.pk)
    request_transition(
        service_request=service_request,
        action="callback",
        by=org.operator,
        params=Params(solved=True, satisfaction="satisfied"),
    )
    from heatline.core.errors import TransitionNotAllowed

    with pytest.raises(TransitionNotAllowed):
        request_transition(
            service_request=stale,
            action="callback",
            by=org.operator,
            params=Params(solved=True, satisfaction="satisfied"),
        )
    assert service_request.callbacks.count() == 1


@pytest.mark.django_db
def test_personal_data_is_masked_for_management(org: Org) -> None:
    service_request = registered_request(org)
    body = Api(org.manager).get(f"/requests/{service_request.number}").json()
    assert body["phone"] == "138****0001"
    assert body["caller_name"] == "李*"
    assert Api(org.operator).get(f"/requests/{service_request.number}").json()["phone"] == "13800000001"
    caller = Api(org.manager).get("/callers/13800000001").json()
    assert caller["households"][0]["phone"] == "138****0001"
    households = Api(org.manager).get("/households", q=org.household.account_number).json()
    assert households[0]["phone"] == "138****0001"


@pytest.mark.django_db
def test_caller_lookup_shows_households_and_open_and_past_requests(org: Org) -> None:
    # given: one open and one closed request from the household's phone
    open_request = registered_request(org)
    from heatline.requests.transitions import Params, request_transition

    closed = request_transition(
        service_request=reported_request(org),
        action="callback",
        by=org.operator,
        params=Params(solved=True, satisfaction="satisfied"),
    )

    # when
    response = Api(org.operator).get(f"/callers/{org.household.phone}")

    # then
    assert response.status_code == 200
    body = response.json()
    assert [h["account_number"] for h in body["households"]] == [org.household.account_number]
    assert body["households"][0]["watchlist"] is None
    assert body["households"][0]["incidents"] == []
    assert [r["number"] for r in body["open_requests"]] == [open_request.number]
    assert [r["number"] for r in body["past_requests"]] == [closed.number]
    assert Api(org.operator).get("/callers/13999999999").json()["households"] == []
    assert Api(org.operator).get("/callers/abc").status_code == 422


@pytest.mark.django_db
def test_household_search_by_account_and_address_fragment(org: Org) -> None:
    HouseholdFactory(building=org.building, room="902")
    api = Api(org.operator)
    by_account = api.get("/households", q=org.household.account_number).json()
    assert [h["account_number"] for h in by_account] == [org.household.account_number]
    by_address = api.get("/households", q=f"{org.community.name} 902").json()
    assert len(by_address) == 1 and by_address[0]["address"].endswith("902室")
    assert by_address[0]["district"]["id"] == org.district.pk
    assert api.get("/households", q="").status_code == 422
    assert api.get("/households", q="x" * 101).status_code == 422


@pytest.mark.django_db
def test_categories_and_causes(org: Org) -> None:
    api = Api(org.worker)
    categories = {c["code"]: c for c in api.get("/categories").json()}
    assert categories["indoor_leak"]["kind"] == "emergency"
    assert {"code", "name"} <= set(categories["low_temperature"])
    causes = {c["code"]: c["name"] for c in api.get("/causes").json()}
    assert causes["radiator_air"] == "暖气片积气"


@pytest.mark.django_db
def test_extension_is_asked_and_approved_and_moves_the_due_time(org: Org) -> None:
    with time_machine.travel(T0, tick=False):
        service_request = registered_request(org)
        new_due = T0 + timedelta(hours=72)
        asked = Api(org.responsible).post(
            f"/requests/{service_request.number}/extensions",
            {"clock": "repair", "new_due_at": new_due.isoformat(), "reason": "需更换阀门,配件未到"},
        )
        assert asked.status_code == 201, asked.content
        extension_id = asked.json()["id"]
        assert asked.json()["status"] == "pending"

        # a district person may not approve; the department head may
        path = f"/extensions/{extension_id}/decision"
        assert Api(org.responsible).post(path, {"approve": True}).status_code == 403
        decided = Api(org.dept_head).post(path, {"approve": True, "note": "同意"})
        assert decided.status_code == 200
        assert decided.json()["status"] == "approved"
        assert Api(org.dept_head).post(path, {"approve": True}).status_code == 409

    repair = service_request.clocks.get(name=ClockName.REPAIR)
    assert repair.due_at == new_due and repair.extended_count == 1
    bad = Api(org.responsible).post(
        f"/requests/{service_request.number}/extensions",
        {"clock": "repair", "new_due_at": T0.isoformat(), "reason": "x"},
    )
    assert bad.status_code == 422
    assert (
        Api(org.other_responsible)
        .post(f"/extensions/{extension_id}/decision", {"approve": False})
        .status_code
        == 404
    )


@pytest.mark.django_db
def test_session_auth_works_for_the_ui(org: Org) -> None:
    client = Client()
    client.force_login(org.operator)
    assert client.get("/api/v1/requests").status_code == 200


@pytest.mark.django_db
def test_apitoken_command_prints_a_working_token(org: Org) -> None:
    out = StringIO()
    call_command("apitoken", org.operator.username, stdout=out)
    token = out.getvalue().strip()
    response = Client().get("/api/v1/requests", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200


@pytest.mark.django_db
def test_openapi_document_names_the_contract(org: Org) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/requests",
        "/api/v1/requests/{number}",
        "/api/v1/requests/{number}/transitions",
        "/api/v1/requests/{number}/extensions",
        "/api/v1/extensions/{extension_id}/decision",
        "/api/v1/callers/{phone}",
        "/api/v1/households",
        "/api/v1/categories",
        "/api/v1/causes",
    ):
        assert path in paths, path


@pytest.mark.django_db
def test_work_queue_and_callbacks_due_endpoints(org: Org, django_assert_max_num_queries: Any) -> None:
    with time_machine.travel(T0, tick=False):
        mine = registered_request(org)
        reported = reported_request(org)
        registered_request(org, household=org.other_household)
    with django_assert_max_num_queries(6):
        queue = Api(org.responsible).get("/queue").json()
    assert [item["number"] for item in queue["items"]] == [mine.number]
    callbacks = Api(org.operator).get("/callbacks").json()
    assert [item["number"] for item in callbacks["items"]] == [reported.number]


@pytest.mark.django_db
def test_the_intake_answer_is_what_request_out_makes_of_the_stored_request(org: Org) -> None:
    """The intake answers straight from what it wrote (`request_answer`); it must say exactly what the
    RequestOut schema says of the stored request, for every viewer and shape of request."""
    from django.test import RequestFactory

    from heatline.requests.schemas import RequestOut, request_answer

    with time_machine.travel(T0, tick=False):
        answered = Api(org.operator).post("/requests", intake(org))
        unknown_address = Api(org.operator).post(
            "/requests", intake(org, external_id="GD-2", household=None, address="无名路1号", caller_name="")
        )
    assert answered.status_code == 201 and unknown_address.status_code == 201
    for response in (answered, unknown_address):
        stored = ServiceRequest.objects.get(number=response.json()["number"])
        http = RequestFactory().get("/")
        http.auth = org.operator  # type: ignore[attr-defined]
        with time_machine.travel(T0, tick=False):  # as at the intake (is_overdue)
            schema = RequestOut.model_validate(stored, context={"request": http}).model_dump(mode="json")
        assert response.json() == schema
    # and for each viewer: masked for management, in full for the operator, no assignee or district unknown
    stored = ServiceRequest.objects.get(number=unknown_address.json()["number"])
    assert stored.district is None and stored.assignee is None and stored.household is None
    with time_machine.travel(T0 + timedelta(days=3), tick=False):  # overdue by then
        for service_request in (ServiceRequest.objects.get(number=answered.json()["number"]), stored):
            for viewer in (org.operator, org.manager):
                http = RequestFactory().get("/")
                http.auth = viewer  # type: ignore[attr-defined]
                context = {"request": http}
                expected = RequestOut.model_validate(service_request, context=context).model_dump()
                assert request_answer(service_request, context) == expected
    assert request_answer(service_request, {"request": None})["phone"].count("*") == 4
