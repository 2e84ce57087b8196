"""The hotline's day in a real browser (issue 9): a routine call from a known phone, an emergency reaching the
crew, a district worker on a phone closing a job, an unsatisfied callback sending it back to the department
head — and a screenshot of each main page."""

import time
from datetime import timedelta
from typing import Any

import pytest

from heatline.registry.tests.factories import Org
from heatline.requests.models import ClockName, ServiceRequest, Status
from heatline.requests.tests.factories import registered_request
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


def register_call(page: Any, *, phone: str, content: str) -> str:
    """The operator's keyboard-first intake from the phone system's pop-up; returns the new request number."""
    page.goto(f"/intake/?caller={phone}")
    page.locator("#household-box").get_by_text("在办诉求").or_(
        page.locator("#household-box h2")
    ).first.wait_for()
    page.fill("#id_content", content)
    page.locator("#suggestion").get_by_text("建议").first.wait_for()
    screenshot(page, f"intake-{phone}")
    with page.expect_navigation():
        page.click("#register")
    assert "/requests/RX" in page.url, page.url
    return str(page.url.rstrip("/").split("/")[-1])


def test_operator_registers_a_routine_call_from_a_known_phone_in_under_a_minute(
    org: Org, page_for: Any
) -> None:
    # given: the operator signed in; the phone system opens the pop-up for a registered household's phone
    page = page_for(org.operator.username)
    started = time.monotonic()
    # when: the call is registered
    number = register_call(page, phone=org.household.phone, content="家里暖气不热,客厅只有16度")
    elapsed = time.monotonic() - started
    # then: dispatched to the district's responsible person, well inside the 5-minute rule
    assert elapsed < 60, elapsed
    assert page.get_by_text("已派单").first.is_visible()
    assert page.get_by_text(org.responsible.name).first.is_visible()
    service_request = ServiceRequest.objects.get(number=number)
    assert service_request.household == org.household
    assert service_request.status == Status.DISPATCHED
    assert service_request.assignee == org.responsible
    assert not service_request.is_late_intake
    screenshot(page, "request-detail-dispatched")


def test_an_emergency_lands_in_the_crews_queue_with_its_one_hour_clock(org: Org, page_for: Any) -> None:
    # given / when: a call about water running inside a home
    operator = page_for(org.operator.username)
    number = register_call(operator, phone=org.other_household.phone, content="卫生间暖气片跑水了,快来人")
    service_request = ServiceRequest.objects.get(number=number)
    # then: an emergency for the repair crew, on site within the hour
    assert service_request.kind == "emergency"
    assert service_request.team == org.crew
    arrival = service_request.clocks.get(name=ClockName.ARRIVAL)
    assert service_request.dispatched_at is not None
    assert arrival.due_at == service_request.dispatched_at + timedelta(hours=1)
    # and the crew leader sees it in the work queue with a live countdown
    crew = page_for(org.crew_leader.username, viewport=PHONE)
    crew.goto("/requests/queue/")
    row = crew.locator("tr, li, .card", has_text=number).first
    row.wait_for()
    assert row.locator("[data-due]").count() >= 1
    screenshot(crew, "queue-crew-phone")


def test_a_worker_on_a_phone_closes_the_job_and_an_unsatisfied_callback_returns_it_to_the_head(
    org: Org, page_for: Any
) -> None:
    # given: a routine request dispatched to the worker's district
    number = registered_request(org).number
    worker = page_for(org.worker.username, viewport=PHONE)
    worker.goto(f"/requests/{number}/")

    def act(action: str, fill: Any = None) -> None:
        box = worker.locator(f"#act-{action}")
        box.locator("summary").click()
        if fill:
            fill(box)
        with worker.expect_navigation():
            box.locator("button[type=submit]").click()
        assert not worker.locator(".error[role=alert]").count(), worker.locator(
            ".error[role=alert]"
        ).all_inner_texts()

    # when: the worker records contact, arrival and completion (with the cause), then reports the result
    act("contact")
    act("arrive")
    screenshot(worker, "detail-worker-phone-on-site")

    def complete(box: Any) -> None:
        box.locator("select[name=cause]").select_option("radiator_air")
        box.locator("textarea[name=result]").fill("暖气片放气,复测室温21度")

    act("complete", complete)
    act("report")
    assert ServiceRequest.objects.get(number=number).status == Status.REPORTED
    # and the hotline calls back: not solved, not satisfied
    operator = page_for(org.operator.username)
    operator.goto("/requests/callbacks/")
    form = operator.locator(
        "form.cbform", has=operator.locator(f"xpath=ancestor::*[contains(., '{number}')]")
    ).first
    form = operator.locator(f"section:has-text('{number}') form.cbform").first
    form.locator("select[name=outcome]").select_option("answered")
    form.locator("select[name=solved]").select_option("no")
    form.locator("select[name=satisfaction]").select_option("unsatisfied")
    form.locator("input[name=comment]").fill("还是不热")
    screenshot(operator, "callbacks")
    with operator.expect_navigation():
        form.locator("button[type=submit]").click()
    # then: round two, with the head of the department, clocks running again
    service_request = ServiceRequest.objects.get(number=number)
    assert service_request.status == Status.DISPATCHED
    assert service_request.round == 2
    assert service_request.assignee == org.dept_head
    head = page_for(org.dept_head.username)
    head.goto("/requests/queue/")
    head.get_by_text(number).first.wait_for()
    screenshot(head, "queue-dept-head")


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/intake/",
        "/requests/",
        "/requests/queue/",
        "/requests/callbacks/",
        "/incidents/",
        "/proactive/",
        "/inspections/",
        "/joint/",
        "/reports/",
        "/training/",
        "/integrations/",
        "/inbox/",
    ],
)
def test_screenshot_of_each_main_page(org: Org, page_for: Any, url: str) -> None:
    registered_request(org)
    page = page_for(org.admin.username)
    response = page.goto(url)
    assert response is not None and response.status < 400, (url, response and response.status)
    assert page.locator("main.page, main").first.is_visible()
    screenshot(page, "page" + url.replace("/", "-").rstrip("-") or "page-home")


def test_screenshot_of_the_residents_page_on_a_phone(org: Org, browser: Any, live_server: Any) -> None:
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    for url in ("/public/", "/public/report/", "/public/status/", "/public/outages/"):
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        screenshot(page, "public" + url.replace("/", "-").rstrip("-"))
    context.close()
