"""The gateways' callbacks: /integrations/sms/<token>/receipts|replies/<aliyun|tencent>.

Neither vendor signs its callbacks, so the URL carries a secret (HEATLINE_SMS_CALLBACK_TOKEN) given to the
vendor's console; a wrong or unset token is a 404. Each answers in the form its vendor expects.
"""

import datetime as dt
import hmac
import json
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from heatline.integrations.sms.services import sms_receipts_record, sms_reply_record

OK = {"aliyun": {"code": 0, "msg": "成功"}, "tencent": {"result": 0, "errmsg": "OK"}}


def _check(token: str, vendor: str) -> None:
    expected = str(settings.HEATLINE_SMS_CALLBACK_TOKEN)
    if not expected or not hmac.compare_digest(token, expected) or vendor not in OK:
        raise Http404


def _items(request: HttpRequest) -> list[dict[str, Any]]:
    try:
        data = json.loads(request.body or b"[]")
    except (ValueError, UnicodeDecodeError):
        return []
    items = data if isinstance(data, list) else [data]
    return [item for item in items if isinstance(item, dict)]


def _when(value: Any) -> dt.datetime | None:
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value, tz=dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


@csrf_exempt
@require_POST
def receipts(request: HttpRequest, token: str, vendor: str) -> JsonResponse:
    _check(token, vendor)
    if vendor == "aliyun":  # [{"biz_id", "success", "err_code", "report_time", …}]
        rows = [
            (str(i.get("biz_id", "")), "DELIVERED" if i.get("success") else str(i.get("err_code", "FAILED")),
             _when(i.get("report_time")))
            for i in _items(request)
        ]  # fmt: skip
    else:  # [{"sid", "report_status": "SUCCESS"|"FAIL", "errmsg", "user_receive_time", …}]
        rows = [
            (str(i.get("sid", "")), "DELIVERED" if i.get("report_status") == "SUCCESS" else str(i.get("errmsg", "FAILED")),
             _when(i.get("user_receive_time")))
            for i in _items(request)
        ]  # fmt: skip
    sms_receipts_record(rows)
    return JsonResponse(OK[vendor])


@csrf_exempt
@require_POST
def replies(request: HttpRequest, token: str, vendor: str) -> JsonResponse:
    _check(token, vendor)
    for item in _items(request):
        if vendor == "aliyun":  # {"phone_number", "content", "send_time", …}
            sms_reply_record(phone=str(item.get("phone_number", "")), text=str(item.get("content", "")))
        else:  # {"mobile", "nationcode", "text", "time", …}
            sms_reply_record(phone=str(item.get("mobile", "")), text=str(item.get("text", "")))
    return JsonResponse(OK[vendor])
