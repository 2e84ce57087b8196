"""SMS for real (issue 20): Aliyun and Tencent Cloud senders checked by a local server that verifies each
signature the way the vendor documents it; delivery receipts onto the outbox row; replies as callbacks."""

import datetime as dt
import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client, override_settings

from heatline.integrations.sms.signing import aliyun_signature, tencent_authorization
from heatline.outbox.models import Outbox
from heatline.outbox.services import outbox_deliver, outbox_enqueue
from heatline.registry.tests.factories import Org
from heatline.requests.models import Callback, CallbackChannel, Status
from heatline.requests.tests.factories import reported_request

TZ = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=TZ)
KEY_ID, SECRET = "LTAI-test-id", "test-secret-不外传"


class Gateway(BaseHTTPRequestHandler):
    """Checks the request the way the vendor does, then answers like it."""

    received: list[dict[str, Any]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self, body: dict[str, Any], status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("X-TC-Action") == "SendSms":  # Tencent Cloud API 3.0
            expected = tencent_authorization(
                secret_id=KEY_ID, secret_key=SECRET, host=self.headers["Host"], payload=raw,
                timestamp=int(self.headers["X-TC-Timestamp"]),
            )  # fmt: skip
            if self.headers["Authorization"] != expected:
                return self._answer(
                    {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "x"}}}
                )
            body = json.loads(raw)
            self.received.append({"vendor": "tencent", **body})
            return self._answer({"Response": {"SendStatusSet": [{"SerialNo": "tc-serial-1", "Code": "Ok"}]}})
        params = dict(urllib.parse.parse_qsl(raw.decode()))  # Aliyun RPC
        signature = params.pop("Signature", "")
        if signature != aliyun_signature(params, secret=SECRET):
            return self._answer({"Code": "SignatureDoesNotMatch", "Message": "bad signature"}, 400)
        self.received.append({"vendor": "aliyun", **params})
        return self._answer({"Code": "OK", "BizId": "ali-biz-1", "Message": "OK"})


@pytest.fixture
def gateway() -> Iterator[str]:
    Gateway.received = []
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


def settings_for(provider: str, endpoint: str, secret: str = SECRET) -> Any:
    return override_settings(
        HEATLINE_SMS_PROVIDER=provider, HEATLINE_SMS_ENDPOINT=endpoint, HEATLINE_SMS_ACCESS_KEY_ID=KEY_ID,
        HEATLINE_SMS_ACCESS_KEY_SECRET=secret, HEATLINE_SMS_SIGN_NAME="黑河热力", HEATLINE_SMS_TEMPLATE_CODE="SMS_001",
        HEATLINE_SMS_APP_ID="1400000000", HEATLINE_SMS_CALLBACK_TOKEN="cb-token",
    )  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(("provider", "gateway_id"), [("aliyun", "ali-biz-1"), ("tencent", "tc-serial-1")])
def test_an_sms_goes_out_signed_and_its_receipt_comes_back(
    gateway: str, provider: str, gateway_id: str
) -> None:
    with settings_for(provider, gateway), time_machine.travel(T0, tick=False):
        message = outbox_enqueue(
            topic="resident.sms", key="k", payload={"phone": "13900001111", "text": "您好"}
        )
        assert message is not None
        outbox_deliver(now=dt.datetime.now(tz=TZ))
        message.refresh_from_db()
        assert message.delivered_at is not None and message.external_id == gateway_id
        sent = Gateway.received[-1]
        if provider == "aliyun":
            assert sent["PhoneNumbers"] == "13900001111" and json.loads(sent["TemplateParam"]) == {
                "content": "您好"
            }
            receipt = [{"biz_id": gateway_id, "success": True, "report_time": "2026-12-07 09:00:05"}]
        else:
            assert sent["PhoneNumberSet"] == ["+8613900001111"] and sent["TemplateParamSet"] == ["您好"]
            receipt = [
                {"sid": gateway_id, "report_status": "SUCCESS", "user_receive_time": "2026-12-07 09:00:05"}
            ]
        response = Client().post(
            f"/integrations/sms/cb-token/receipts/{provider}",
            json.dumps(receipt),
            content_type="application/json",
        )
        assert response.status_code == 200
        message.refresh_from_db()
        assert message.receipt_status == "DELIVERED" and message.receipt_at is not None
        # a wrong token is nobody's business
        assert (
            Client()
            .post(f"/integrations/sms/nope/receipts/{provider}", "[]", content_type="application/json")
            .status_code
            == 404
        )


@pytest.mark.django_db
def test_a_wrong_secret_is_refused_by_the_gateway_and_kept_as_failed(gateway: str) -> None:
    with settings_for("aliyun", gateway, secret="wrong"), time_machine.travel(T0, tick=False):
        message = outbox_enqueue(topic="resident.sms", key="k", payload={"phone": "13900001111", "text": "x"})
        assert message is not None
        outbox_deliver(now=dt.datetime.now(tz=TZ))
        message.refresh_from_db()
    assert message.delivered_at is None and message.failed_at is not None and "400" in message.last_error
    assert Gateway.received == []


@pytest.mark.django_db
@pytest.mark.parametrize("vendor", ["aliyun", "tencent"])
def test_a_reply_2_answers_the_callback(org: Org, vendor: str) -> None:
    with time_machine.travel(T0, tick=False):
        service_request = reported_request(org)
        assert service_request.status == Status.REPORTED
        body: Any = (
            [{"phone_number": service_request.phone, "content": "2", "send_time": "2026-12-07 09:30:00"}]
            if vendor == "aliyun"
            else {"mobile": service_request.phone, "nationcode": "86", "text": "2", "time": 1796000000}
        )
        with settings_for(vendor, ""):
            noise: Any = [{"phone_number": service_request.phone, "content": "好的"}] if vendor == "aliyun" else {
                "mobile": service_request.phone, "text": "好的"}  # fmt: skip
            Client().post(
                f"/integrations/sms/cb-token/replies/{vendor}",
                json.dumps(noise),
                content_type="application/json",
            )
            assert not Callback.objects.filter(service_request=service_request).exists()  # not an answer
            response = Client().post(
                f"/integrations/sms/cb-token/replies/{vendor}",
                json.dumps(body),
                content_type="application/json",
            )
    assert response.status_code == 200
    callback = Callback.objects.get(service_request=service_request)
    assert (callback.channel, callback.satisfaction, callback.is_solved) == (
        CallbackChannel.SMS,
        "basic",
        True,
    )
    assert Outbox.objects.exists()


def test_both_signatures_match_the_vendors_published_examples() -> None:
    # Aliyun's RPC signature document: DescribeRegions with testid/testsecret, signed for GET
    params = {
        "AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML", "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "SignatureVersion": "1.0",
        "Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26",
    }  # fmt: skip
    assert aliyun_signature(params, secret="testsecret", method="GET") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    # Tencent Cloud's TC3-HMAC-SHA256 document: DescribeInstances on cvm at 1551113065
    payload = b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    header = tencent_authorization(
        secret_id="AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", secret_key="Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
        host="cvm.tencentcloudapi.com", payload=payload, timestamp=1551113065, service="cvm",
    )  # fmt: skip
    assert header.endswith("Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168")
    assert "Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request" in header
