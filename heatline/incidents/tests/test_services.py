from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from heatline.core.errors import ActionForbidden, InvalidInput, TransitionNotAllowed
from heatline.incidents.jobs import incident_clocks_sweep
from heatline.incidents.models import IncidentClock, IncidentClockName, IncidentLink, IncidentStatus
from heatline.incidents.selectors import (
    incident_stats,
    incident_suggestions,
    incidents_open_for_households,
    incidents_public_for_address,
    suggestion_requests,
)
from heatline.incidents.services import (
    IncidentInput,
    incident_arrive,
    incident_callbacks_bulk,
    incident_close,
    incident_link_request,
    incident_open,
    incident_resolve,
    incident_restore,
)
from heatline.incidents.tests.factories import linked_call, planned_outage, station_fault
from heatline.outbox.models import Outbox
from heatline.registry.tests.factories import BuildingFactory, HouseholdFactory, PipeSectionFactory
from heatline.requests.models import Callback, Clock, ClockName, RequestEvent, Status
from heatline.requests.tests.factories import registered_request

T0 = datetime(2026, 12, 20, 2, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.django_db
def test_affected_households_come_from_the_register(org) -> None:
    # given: a section feeding one building with two households, and the station's two buildings
    section = PipeSectionFactory(station=org.station)
    building = BuildingFactory(community=org.community)
    section.buildings.add(building)
    HouseholdFactory(building=building)
    HouseholdFactory(building=building)

    # when
    by_section = incident_open(
        data=IncidentInput(title="管段爆管", pipe_section_id=section.pk), by=org.crew_leader
    )
    by_station = station_fault(org)

    # then
    assert by_section.households_affected == 2
    assert by_station.households_affected == 2  # org.household and org.other_household
    assert set(by_station.buildings.values_list("pk", flat=True)) == {
        org.building.pk,
        org.other_household.building_id,
    }


@pytest.mark.django_db
def test_an_incident_without_an_asset_is_refused(org) -> None:
    with pytest.raises(InvalidInput) as error:
        incident_open(data=IncidentInput(title="无设施"), by=org.crew_leader)
    assert error.value.field == "asset"


@pytest.mark.django_db
def test_a_linked_call_keeps_its_data_and_starts_no_crew_job(org) -> None:
    # given
    incident = station_fault(org)

    # when
    service_request = linked_call(org, incident, caller_name="王五", phone="13700000000")

    # then: its own number and caller, registered only, no arrival or contact clock, counted once
    assert service_request.number.startswith("RX")
    assert service_request.caller_name == "王五"
    assert service_request.status == Status.REGISTERED
    assert service_request.assignee_id is None
    assert set(service_request.clocks.values_list("name", flat=True)) == {ClockName.INTAKE}
    assert IncidentLink.objects.filter(incident=incident).count() == 1


@pytest.mark.django_db
def test_linking_a_registered_request_is_in_its_history_once(org) -> None:
    # given: a request dispatched on its own
    incident = station_fault(org)
    own = registered_request(org)
    status = own.status

    # when: linked twice (the second is a no-op)
    incident_link_request(incident=incident, service_request=own, by=org.operator)
    incident_link_request(incident=incident, service_request=own, by=org.operator)

    # then: one note in the request's history, by the operator, naming the incident; the status is unchanged
    notes = list(own.events.filter(action="note"))
    assert len(notes) == 1
    assert (notes[0].actor_id, notes[0].from_status, notes[0].to_status) == (org.operator.pk, status, status)
    assert notes[0].extra == {"incident": incident.number}


@pytest.mark.django_db
def test_linking_outside_the_affected_area_or_to_a_closed_incident_is_refused(org) -> None:
    # given: an incident on one building only
    incident = incident_open(
        data=IncidentInput(title="单楼停热", building_id=org.building.pk), by=org.responsible
    )

    # then: a household elsewhere is refused, and nothing is registered
    with pytest.raises(InvalidInput):
        linked_call(org, incident, household=org.other_household)
    assert not IncidentLink.objects.exists()

    # when closed
    linked_call(org, incident)
    incident_resolve(incident=incident, by=org.responsible, result="阀门更换", cause="valve_fault")

    # then
    with pytest.raises(TransitionNotAllowed):
        linked_call(org, incident)


@pytest.mark.django_db
def test_restoring_before_the_start_is_refused(org) -> None:
    with time_machine.travel(T0, tick=False):
        incident = station_fault(org, started_at=T0 - timedelta(hours=1))
        with pytest.raises(InvalidInput) as error:
            incident_restore(incident=incident, by=org.crew_leader, restored_at=T0 - timedelta(hours=2))
    assert error.value.field == "restored_at"
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.OPEN


@pytest.mark.django_db
def test_only_area_staff_and_the_crew_change_an_incident(org) -> None:
    # given: an incident on a building of org.district
    incident = incident_open(
        data=IncidentInput(title="单楼停热", building_id=org.building.pk, crew_id=org.crew.pk),
        by=org.operator,
    )

    # then: staff of another district, the manager and an operator may not; the crew may
    for outsider in (org.other_responsible, org.manager, org.operator, org.inspector):
        with pytest.raises(ActionForbidden):
            incident_arrive(incident=incident, by=outsider)
    assert incident_arrive(incident=incident, by=org.crew_member).arrived_at is not None


@pytest.mark.django_db
def test_district_staff_cannot_open_an_incident_outside_their_area(org) -> None:
    with pytest.raises(ActionForbidden):
        incident_open(
            data=IncidentInput(title="别处", building_id=org.other_household.building_id), by=org.responsible
        )


@pytest.mark.django_db
def test_resolving_reports_every_linked_call_and_starts_its_callback_clock(org) -> None:
    # given: three calls linked to a fault
    with time_machine.travel(T0, tick=False) as traveller:
        incident = station_fault(org, started_at=T0)
        calls = [linked_call(org, incident, phone=f"1370000000{i}") for i in range(3)]

        # when: restored and reported an hour later
        traveller.move_to(T0 + timedelta(hours=1))
        result = incident_resolve(
            incident=incident, by=org.crew_leader, result="抢修完毕", cause="network_leak"
        )

    # then
    assert result.reported == 3
    assert result.incident.status == IncidentStatus.CLOSED
    for call in calls:
        call.refresh_from_db()
        assert call.status == Status.REPORTED
        assert call.result == "抢修完毕"
        callback = call.clocks.get(name=ClockName.CALLBACK)
        assert callback.due_at == T0 + timedelta(hours=25)
        assert call.next_due_at == callback.due_at
        actions = list(call.events.values_list("action", flat=True))
        assert actions == ["register", "note", "complete", "report"]
        link_note = call.events.get(action="note")
        assert link_note.extra == {"incident": incident.number} and incident.number in link_note.note
    assert Outbox.objects.filter(topic="resident.sms").count() == 3
    report = IncidentClock.objects.get(incident=incident, name=IncidentClockName.REPORT)
    assert report.met_at == T0 + timedelta(hours=1)


@pytest.mark.django_db
def test_callbacks_in_bulk_record_one_callback_per_household(org) -> None:
    # given: two reported calls
    incident = station_fault(org)
    calls = [linked_call(org, incident, phone=f"1370000000{i}") for i in range(2)]
    incident_resolve(incident=incident, by=org.crew_leader, result="抢修完毕", cause="network_leak")

    # when
    result = incident_callbacks_bulk(
        incident=incident,
        request_ids=[call.pk for call in calls],
        by=org.operator,
        outcome="answered",
        solved=True,
        satisfaction="satisfied",
    )

    # then
    assert sorted(result.done) == sorted(call.number for call in calls)
    assert Callback.objects.filter(service_request__in=calls).count() == 2
    assert set(Clock.objects.filter(name=ClockName.CALLBACK).values_list("met_at", flat=True)) != {None}
    for call in calls:
        call.refresh_from_db()
        assert call.status == Status.CLOSED


@pytest.mark.django_db
def test_a_call_with_its_own_job_is_walked_through_the_life_cycle_on_close(org) -> None:
    # given: an emergency already dispatched to the crew, linked afterwards
    incident = station_fault(org)
    own = registered_request(org, content="卫生间暖气片跑水了", category="indoor_leak")
    incident_link_request(incident=incident, service_request=own, by=org.operator)

    # when
    result = incident_resolve(incident=incident, by=org.crew_leader, result="抢修完毕", cause="network_leak")

    # then
    own.refresh_from_db()
    assert (result.walked, own.status) == (1, Status.REPORTED)


@pytest.mark.django_db
def test_incident_clocks_warn_and_breach_once_at_their_due_time(org) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        incident = station_fault(org, started_at=T0)
        for minutes in (50, 61, 90):
            traveller.move_to(T0 + timedelta(minutes=minutes))
            incident_clocks_sweep(timezone.now())

    arrival = IncidentClock.objects.get(incident=incident, name=IncidentClockName.ARRIVAL)
    assert arrival.warned_at == T0 + timedelta(minutes=50)
    assert arrival.breached_at == arrival.due_at == T0 + timedelta(hours=1)
    assert Outbox.objects.filter(topic="incident.clock_breached").count() == 1
    assert Outbox.objects.filter(topic="incident.clock_warned").count() == 1


@pytest.mark.django_db
def test_planned_outage_is_shown_at_intake_and_on_the_residents_page(org) -> None:
    # given: a planned outage tomorrow
    with time_machine.travel(T0, tick=False):
        outage = planned_outage(org, start=T0 + timedelta(days=1), end=T0 + timedelta(days=1, hours=6))
        unrelated = HouseholdFactory()

        # when
        found = incidents_open_for_households([org.household.pk, org.other_household.pk, unrelated.pk])
        public = incidents_public_for_address(org.household)

    # then
    assert found == {org.household.pk: [outage], org.other_household.pk: [outage]}
    assert not IncidentClock.objects.filter(incident=outage, name=IncidentClockName.ARRIVAL).exists()
    assert public[0]["kind"] == "planned"
    assert "李四" not in str(public) and org.household.phone not in str(public)


@pytest.mark.django_db
def test_open_for_households_is_one_query(org, django_assert_max_num_queries) -> None:
    station_fault(org)
    households = [HouseholdFactory(building=org.building) for _ in range(20)]
    with django_assert_max_num_queries(1):
        found = incidents_open_for_households([h.pk for h in households])
    assert len(found) == 20


@pytest.mark.django_db
def test_suggestion_after_five_calls_about_one_symptom_from_one_station(org) -> None:
    # given: five low-temperature calls from the station's buildings within 30 minutes
    with time_machine.travel(T0, tick=False) as traveller:
        for minute in range(5):
            traveller.move_to(T0 + timedelta(minutes=minute * 5))
            registered_request(org, phone=f"1360000000{minute}")

        # when
        suggestions = incident_suggestions(viewer=org.operator)
        calls = suggestion_requests(
            viewer=org.operator,
            asset="station",
            asset_id=org.station.pk,
            category_id=suggestions[0].category_id,
        )
        incident_open(
            data=IncidentInput(title="建议事件", station_id=org.station.pk),
            by=org.operator,
            link_requests=calls,
        )

        # then: one suggestion, opened with its calls linked; then no more suggestion
        assert [(s.asset, s.asset_id, s.calls) for s in suggestions] == [("station", org.station.pk, 5)]
        assert IncidentLink.objects.count() == 5
        assert incident_suggestions(viewer=org.operator) == []


@pytest.mark.django_db
def test_four_calls_are_not_enough_for_a_suggestion(org) -> None:
    with time_machine.travel(T0, tick=False):
        for minute in range(4):
            registered_request(org, phone=f"1360000000{minute}")
        assert incident_suggestions(viewer=org.operator) == []


@pytest.mark.django_db
def test_stats_count_households_restore_time_and_calls(org) -> None:
    # given: a fault restored after 3 hours with two calls
    with time_machine.travel(T0, tick=False) as traveller:
        incident = station_fault(org, started_at=T0)
        linked_call(org, incident)
        linked_call(org, incident, phone="13700000001")
        traveller.move_to(T0 + timedelta(hours=3))
        incident_restore(incident=incident, by=org.crew_leader, result="修复", cause="network_leak")
        incident_close(incident=incident, by=org.crew_leader)

    # when
    stats = incident_stats(org.manager, T0 - timedelta(days=1), T0 + timedelta(days=1))
    outside = incident_stats(org.other_responsible, T0 - timedelta(days=1), T0 + timedelta(days=1))

    # then
    assert (stats["incidents"], stats["households_affected"], stats["calls_absorbed"]) == (1, 2, 2)
    assert stats["restore_hours_median"] == 3.0
    assert outside["incidents"] == 1  # the station also feeds the other district's building
    assert RequestEvent.objects.filter(action="report").count() == 2


@pytest.mark.django_db
def test_a_planned_outage_reads_as_announced_until_it_begins(org) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        planned = planned_outage(org, start=T0 + timedelta(days=2), end=T0 + timedelta(days=2, hours=6))
        fault = station_fault(org, started_at=T0)
        assert planned.state_label == "已公告,未开始"
        assert fault.state_label == str(IncidentStatus.OPEN.label)

        traveller.move_to(T0 + timedelta(days=2, minutes=1))
        assert planned.state_label == str(IncidentStatus.OPEN.label)
