"""The joint-case pages (issue 6): both flows end to end through the UI, access, refusals, query counts."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from heatline.joint.models import CaseDocument, CaseStatus, DocumentKind, JointCase
from heatline.joint.selectors import case_counts
from heatline.joint.tests.factories import coordination_case, dispute_case, mediated_case, partners
from heatline.registry.models import Staff
from heatline.registry.tests.factories import Org
from heatline.requests.models import ServiceRequest, Status
from heatline.requests.tests.factories import registered_request

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)


def signed_in(staff: Staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def act(client: Client, case: JointCase, action: str, data: dict[str, Any]) -> Any:
    return client.post(reverse("joint:act", args=[case.pk, action]), data, follow=True)


def local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in(org: Org) -> None:
    # given / when
    response = Client().get(reverse("joint:index"))

    # then
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.django_db
def test_dispute_flow_end_to_end_through_the_ui(org: Org) -> None:
    # given: a cold-home request; the branch manager opens a case from the request's page
    bodies = partners()
    with time_machine.travel(T0, tick=False) as traveller:
        service_request = registered_request(org)
        client = signed_in(org.branch_manager)
        url = reverse("joint:open_from_request") + f"?request={service_request.number}"
        form = client.get(url)
        assert form.status_code == 200
        assert service_request.number in form.content.decode()
        opened = client.post(
            url,
            {"type": "dispute", "requests": service_request.number, "summary": "楼上关阀,楼下不热"},
            follow=True,
        )
        case = JointCase.objects.get()
        assert opened.redirect_chain[-1][0] == reverse("joint:detail", args=[case.pk])

        # when: mediation with the street community and the police, a photo, callback, closing
        traveller.move_to(T0 + timedelta(hours=3))
        mediated = act(
            client,
            case,
            "mediate",
            {
                "held_at": local(T0 + timedelta(hours=2)),
                "partners": [bodies["street"].pk, bodies["police"].pk],
                "parties_present": "402户、302户",
                "agreement": "heating_restored",
                "agreement_detail": "402户恢复供热",
                "document": SimpleUploadedFile("site.jpg", b"jpeg-bytes", content_type="image/jpeg"),
                "document_kind": "photo",
            },
        )
        contact = act(
            client,
            case,
            "contact",
            {
                "partner_id": bodies["property"].pk,
                "person": "赵经理",
                "contact_at": local(T0 + timedelta(hours=3)),
                "channel": "phone",
                "outcome": "物业协助检查阀门",
            },
        )
        called_back = act(client, case, "callback", {"reached": "1", "solved": "1", "note": "室温22度"})
        closed = act(client, case, "close", {})
        # the download is made at the moved clock too: the session began at T0, not on the real date
        document = CaseDocument.objects.get()
        download = client.get(reverse("joint:document", args=[case.pk, document.pk]))

    # then: every step is on the page, the photo on the timeline, the request at its own callback
    page = mediated.content.decode()
    assert "已保存" in page and "兴安街道社区" in page and "回访诉求人(24小时)" in page
    assert document.kind == DocumentKind.PHOTO
    assert reverse("joint:document", args=[case.pk, document.pk]) in page
    assert "物业协助检查阀门" in contact.content.decode()
    assert "已回访" in called_back.content.decode()
    assert "已办结" in closed.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert ServiceRequest.objects.get(pk=service_request.pk).status == Status.REPORTED
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"jpeg-bytes"  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_coordination_flow_end_to_end_through_the_ui(org: Org) -> None:
    # given: a coordination case opened directly for a district
    bodies = partners()
    with time_machine.travel(T0, tick=False) as traveller:
        client = signed_in(org.branch_manager)
        client.post(
            reverse("joint:open"),
            {"type": "coordination", "summary": "立管改造需6户配合", "district": org.district.pk},
        )
        case = JointCase.objects.get()
        page = client.get(reverse("joint:detail", args=[case.pk])).content.decode()
        assert "专题会议(3个工作日)" in page and 'data-due="2026-11-26T' in page

        # when: the meeting (minutes attached), both milestones done, solved, called back, closed
        traveller.move_to(T0 + timedelta(days=1))
        act(
            client,
            case,
            "meeting",
            {
                "held_at": local(T0 + timedelta(days=1)),
                "partners": [bodies["housing"].pk, bodies["street"].pk],
                "responsible_party": "安居物业",
                "plan": "物业协调住户,分公司更换立管",
                "milestones": "2026-11-27 住户签字同意 / 街道社区\n2026-12-04 更换立管 / 分公司",
                "document": SimpleUploadedFile("minutes.pdf", b"%PDF-1.4", content_type="application/pdf"),
            },
        )
        refused = act(client, case, "close", {})
        for milestone in case.milestones.all():
            act(client, case, "complete_milestone", {"milestone_id": milestone.pk})
        act(client, case, "solve", {"result": "立管已更换"})
        act(client, case, "callback", {"reached": "1", "solved": "1"})
        closed = act(client, case, "close", {})

    # then
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert case.responsible_party == "安居物业"
    assert CaseDocument.objects.get().kind == DocumentKind.MINUTES
    assert "会议纪要" in closed.content.decode()
    assert "当前状态" in refused.content.decode()  # closing before the callback: refused, not a 500
    meeting = case.clocks.get(name="meeting")
    assert meeting.met_at is not None and meeting.breached_at is None


@pytest.mark.django_db
def test_refusals_are_shown_on_the_page(org: Org) -> None:
    # given: a coordination case with its meeting held and an open milestone, solved and called back
    bodies = partners()
    with time_machine.travel(T0, tick=False) as traveller:
        client = signed_in(org.branch_manager)
        case = coordination_case(org, district_id=org.district.pk)

        # when: a meeting dated before the case opened, a body not in the register
        early = act(
            client,
            case,
            "meeting",
            {
                "held_at": local(T0 - timedelta(days=1)),
                "partners": [bodies["housing"].pk],
                "responsible_party": "物业",
                "plan": "维修",
            },
        )
        stranger = act(
            client,
            case,
            "meeting",
            {"held_at": local(T0), "partners": [987654], "responsible_party": "物业", "plan": "维修"},
        )
        traveller.move_to(T0 + timedelta(hours=1))
        act(
            client,
            case,
            "meeting",
            {
                "held_at": local(T0 + timedelta(hours=1)),
                "partners": [bodies["housing"].pk],
                "responsible_party": "物业",
                "plan": "维修",
                "milestones": "2026-11-30 更换阀门",
            },
        )
        act(client, case, "solve", {"result": "已修复"})
        act(client, case, "callback", {"reached": "1", "solved": "1"})
        closing = act(client, case, "close", {})

    # then
    assert "会议时间不能早于立案时间" in early.content.decode()
    assert "联动单位不在登记册中" in stranger.content.decode()
    assert "尚有未完成的节点" in closing.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.CALLED_BACK


@pytest.mark.django_db
def test_only_the_leading_branch_and_involved_staff_see_a_case(org: Org) -> None:
    # given: a dispute in the branch, opened by the branch manager
    case = dispute_case(org, registered_request(org))
    url = reverse("joint:detail", args=[case.pk])

    # when / then
    assert signed_in(org.branch_manager).get(url).status_code == 200
    assert signed_in(org.manager).get(url).status_code == 200
    assert signed_in(org.responsible).get(url).status_code == 200  # the request's assignee is involved
    assert signed_in(org.other_responsible).get(url).status_code == 404
    assert signed_in(org.operator).get(url).status_code == 404
    act_url = reverse("joint:act", args=[case.pk, "note"])
    assert signed_in(org.other_responsible).post(act_url, {"note": "x"}).status_code == 404
    assert signed_in(org.manager).post(act_url, {"note": "x"}).status_code == 403
    assert signed_in(org.worker).get(reverse("joint:open")).status_code == 403
    assert case.pk not in [
        row.pk for row in signed_in(org.other_responsible).get(reverse("joint:index")).context["cases"]
    ]


@pytest.mark.django_db
def test_case_list_shows_clocks_and_next_milestone_in_bounded_queries(
    org: Org, django_assert_max_num_queries: Any
) -> None:
    # given: a dozen cases of both kinds, some with milestones
    bodies = partners()
    with time_machine.travel(T0, tick=False):
        for _ in range(4):
            coordination_case(org, district_id=org.district.pk)
            dispute_case(org, district_id=org.district.pk)
            mediated_case(org, bodies)
        client = signed_in(org.branch_manager)

        # when
        with django_assert_max_num_queries(16):
            response = client.get(reverse("joint:index") + "?status=all")

    # then
    assert response.status_code == 200
    assert len(response.context["cases"]) == 12
    assert "专题会议(3个工作日)" in response.content.decode()


@pytest.mark.django_db
def test_case_counts_for_reports(org: Org) -> None:
    # given: three cases — one mediated (solved, never called back), one coordination without its
    # meeting, one dispute still open; five days later both clocks have run out
    bodies = partners()
    with time_machine.travel(T0, tick=False) as traveller:
        mediated_case(org, bodies)
        coordination_case(org, district_id=org.district.pk)
        dispute_case(org, district_id=org.district.pk)
        traveller.move_to(T0 + timedelta(days=5))

        # when
        counts = case_counts(org.branch_manager, T0 - timedelta(days=1), T0 + timedelta(days=5))
        outsider = case_counts(org.other_responsible, T0 - timedelta(days=1), T0 + timedelta(days=5))

    # then
    assert counts == {"opened": 3, "open": 3, "overdue": 2, "solved": 1}
    assert outsider == {"opened": 0, "open": 0, "overdue": 0, "solved": 0}


@pytest.mark.django_db
def test_case_page_loads_in_bounded_queries_and_a_foreign_request_is_404(
    org: Org, django_assert_max_num_queries: Any
) -> None:
    # given: a coordination case with three requests, a meeting and milestones
    bodies = partners()
    with time_machine.travel(T0, tick=False):
        requests = [registered_request(org) for _ in range(3)]
        case = coordination_case(org, *requests)
        client = signed_in(org.branch_manager)
        act(
            client,
            case,
            "meeting",
            {
                "held_at": local(T0),
                "partners": [bodies["housing"].pk, bodies["street"].pk],
                "responsible_party": "物业",
                "plan": "维修",
                "milestones": "2026-11-30 更换阀门\n2026-12-02 恢复供热",
            },
        )

        # when
        with django_assert_max_num_queries(20):
            page = client.get(reverse("joint:detail", args=[case.pk]))
        foreign = signed_in(org.other_responsible).get(
            reverse("joint:open_from_request") + f"?request={requests[0].number}"
        )

    # then
    assert page.status_code == 200
    assert all(sr.number in page.content.decode() for sr in requests)
    assert foreign.status_code == 404
