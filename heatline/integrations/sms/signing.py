"""The two vendors' request signatures, as their documentation gives them (tested against a local server
that checks them the same way).

- Aliyun (dysmsapi, RPC style, SignatureVersion 1.0): StringToSign = "POST&%2F&" + percent-encoded
  canonical query (keys sorted, RFC 3986 encoding); Signature = Base64(HMAC-SHA1(secret + "&", it)).
- Tencent Cloud (API 3.0, TC3-HMAC-SHA256): canonical request → string to sign → a key derived from
  "TC3" + secret, the date, the service and "tc3_request"; Authorization header with the hex signature.
"""

import base64
import datetime as dt
import hashlib
import hmac
import urllib.parse


def percent_encode(value: str) -> str:
    """RFC 3986 as Aliyun asks: space → %20, * → %2A, ~ kept."""
    return urllib.parse.quote(value, safe="~")


def aliyun_string_to_sign(params: dict[str, str], *, method: str = "POST") -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"


def aliyun_signature(params: dict[str, str], *, secret: str, method: str = "POST") -> str:
    digest = hmac.new(
        f"{secret}&".encode(), aliyun_string_to_sign(params, method=method).encode(), hashlib.sha1
    )
    return base64.b64encode(digest.digest()).decode()


def _hmac_sha256(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def tencent_authorization(
    *, secret_id: str, secret_key: str, host: str, payload: bytes, timestamp: int, service: str = "sms"
) -> str:
    """The Authorization header of a TC3-HMAC-SHA256 POST with JSON `payload` to `host`."""
    date = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC).strftime("%Y-%m-%d")
    content_type = "application/json; charset=utf-8"
    canonical_request = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{content_type}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(
        ["TC3-HMAC-SHA256", str(timestamp), scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = _hmac_sha256(_hmac_sha256(_hmac_sha256(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={signature}"
