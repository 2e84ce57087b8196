"""The platform's push endpoint (machine to machine: signed, no session, no CSRF)."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from heatline.integrations.exchange import signing
from heatline.integrations.exchange.mapping import MAX_BODY_BYTES
from heatline.integrations.exchange.services import PushRefused, exchange_push


def _refused(error: PushRefused) -> JsonResponse:
    return JsonResponse(
        {"accepted": False, "code": error.code, "detail": error.message},
        status=error.status,
        json_dumps_params={"ensure_ascii": False},
    )


@csrf_exempt
@require_POST
def push(request: HttpRequest) -> JsonResponse:
    """POST /exchange/v1/orders: one work order from 12345/12319, signed (see exchange/signing.py)."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        return _refused(PushRefused(413, "too_large", "请求体过大"))
    headers = {
        name: request.headers.get(name, "")
        for name in (signing.TIMESTAMP_HEADER, signing.NONCE_HEADER, signing.SIGNATURE_HEADER)
    }
    try:
        logged = exchange_push(headers=headers, body=request.body, content_type=request.content_type or "")
    except PushRefused as error:
        return _refused(error)
    return JsonResponse(
        {
            "accepted": True,
            "order_no": logged.order_no,
            "number": logged.service_request.number,
            "outcome": logged.outcome,
            "status": logged.service_request.status,
        },
        status=200 if logged.outcome == "duplicate" else 201,
        json_dumps_params={"ensure_ascii": False},
    )
