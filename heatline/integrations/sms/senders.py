"""Sending one SMS through the configured gateway (HEATLINE_SMS_PROVIDER: log, aliyun, tencent).

Chinese SMS goes out only through templates the carrier approved: HEATLINE_SMS_TEMPLATE_CODE is the
template, its one variable (HEATLINE_SMS_TEMPLATE_PARAM, default `content`) carries the message text.
The gateway's message id is kept on the outbox row, so its delivery receipt finds the row again.
"""

import datetime as dt
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from django.conf import settings
from django.utils import timezone

from heatline.integrations.sms.signing import aliyun_signature, tencent_authorization
from heatline.outbox.models import Outbox
from heatline.outbox.services import PermanentFailure

TIMEOUT_SECONDS = 10.0
ALIYUN_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
TENCENT_ENDPOINT = "https://sms.tencentcloudapi.com/"


def _post(url: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            answer: dict[str, Any] = json.loads(response.read() or b"{}")
            return answer
    except urllib.error.HTTPError as error:
        if 400 <= error.code < 500 and error.code not in (408, 429):
            raise PermanentFailure(f"HTTP {error.code}: {error.read()[:200]!r}") from None
        raise


def aliyun_send(*, phone: str, text: str, out_id: str, now: dt.datetime) -> str:
    """SendSms (2017-05-25); returns the BizId."""
    params = {
        "AccessKeyId": settings.HEATLINE_SMS_ACCESS_KEY_ID,
        "Action": "SendSms",
        "Format": "JSON",
        "OutId": out_id,
        "PhoneNumbers": phone,
        "RegionId": "cn-hangzhou",
        "SignName": settings.HEATLINE_SMS_SIGN_NAME,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": secrets.token_hex(16),
        "SignatureVersion": "1.0",
        "TemplateCode": settings.HEATLINE_SMS_TEMPLATE_CODE,
        "TemplateParam": json.dumps({settings.HEATLINE_SMS_TEMPLATE_PARAM: text}, ensure_ascii=False),
        "Timestamp": now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": "2017-05-25",
    }
    params["Signature"] = aliyun_signature(params, secret=settings.HEATLINE_SMS_ACCESS_KEY_SECRET)
    answer = _post(
        settings.HEATLINE_SMS_ENDPOINT or ALIYUN_ENDPOINT,
        urllib.parse.urlencode(params).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    if answer.get("Code") != "OK":
        code = str(answer.get("Code"))
        if code.startswith(("isv.BUSINESS_LIMIT_CONTROL", "Throttling")):
            raise RuntimeError(f"aliyun {code}: {answer.get('Message')}")  # retried with back-off
        raise PermanentFailure(f"aliyun {code}: {answer.get('Message')}")
    return str(answer.get("BizId", ""))


def tencent_send(*, phone: str, text: str, out_id: str, now: dt.datetime) -> str:
    """SendSms (2021-01-11); returns the SerialNo."""
    endpoint = settings.HEATLINE_SMS_ENDPOINT or TENCENT_ENDPOINT
    host = urllib.parse.urlsplit(endpoint).netloc
    number = phone if phone.startswith("+") else f"+86{phone}"
    body = json.dumps(
        {
            "PhoneNumberSet": [number],
            "SmsSdkAppId": settings.HEATLINE_SMS_APP_ID,
            "SignName": settings.HEATLINE_SMS_SIGN_NAME,
            "TemplateId": settings.HEATLINE_SMS_TEMPLATE_CODE,
            "TemplateParamSet": [text],
            "SessionContext": out_id,
        },
        ensure_ascii=False,
    ).encode()
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Host": host,
        "X-TC-Action": "SendSms",
        "X-TC-Version": "2021-01-11",
        "X-TC-Timestamp": str(timestamp),
        "X-TC-Region": "ap-guangzhou",
        "Authorization": tencent_authorization(
            secret_id=settings.HEATLINE_SMS_ACCESS_KEY_ID,
            secret_key=settings.HEATLINE_SMS_ACCESS_KEY_SECRET,
            host=host,
            payload=body,
            timestamp=timestamp,
        ),
    }
    answer = _post(endpoint, body, headers).get("Response", {})
    if "Error" in answer:
        raise PermanentFailure(f"tencent {answer['Error'].get('Code')}: {answer['Error'].get('Message')}")
    status = (answer.get("SendStatusSet") or [{}])[0]
    if status.get("Code") != "Ok":
        raise PermanentFailure(f"tencent {status.get('Code')}: {status.get('Message')}")
    return str(status.get("SerialNo", ""))


PROVIDERS = {"aliyun": aliyun_send, "tencent": tencent_send}


def sms_send(message: Outbox) -> str:
    """Send `message` (payload phone, text) through the configured gateway; '' for the log adapter."""
    provider = PROVIDERS.get(str(settings.HEATLINE_SMS_PROVIDER))
    if provider is None:
        return ""
    phone = str(message.payload.get("phone", "")).strip()
    if not phone:
        raise PermanentFailure("no phone number")
    external_id = provider(
        phone=phone, text=str(message.payload.get("text", "")), out_id=str(message.pk), now=timezone.now()
    )
    Outbox.objects.filter(pk=message.pk).update(external_id=external_id[:64])
    return external_id
