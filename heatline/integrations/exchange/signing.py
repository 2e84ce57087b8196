"""HMAC-SHA256 signatures of the 12345/12319 exchange, both ways.

The signed text is `timestamp + "\n" + nonce + "\n" + body`; the signature is its hex HMAC-SHA256 under
settings.HEATLINE_EXCHANGE_SECRET. Headers: X-Heatline-Timestamp (Unix seconds), X-Heatline-Nonce,
X-Heatline-Signature.
"""

import hashlib
import hmac

from django.conf import settings

TIMESTAMP_HEADER = "X-Heatline-Timestamp"
NONCE_HEADER = "X-Heatline-Nonce"
SIGNATURE_HEADER = "X-Heatline-Signature"
WINDOW_SECONDS = 300


def signature_of(*, timestamp: str, nonce: str, body: bytes, secret: str | None = None) -> str:
    key = (secret if secret is not None else settings.HEATLINE_EXCHANGE_SECRET).encode()
    message = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def signature_matches(*, timestamp: str, nonce: str, body: bytes, signature: str) -> bool:
    expected = signature_of(timestamp=timestamp, nonce=nonce, body=body)
    return hmac.compare_digest(expected, signature.strip().lower())


def headers_for(*, body: bytes, timestamp: int, nonce: str) -> dict[str, str]:
    stamp = str(timestamp)
    return {
        TIMESTAMP_HEADER: stamp,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: signature_of(timestamp=stamp, nonce=nonce, body=body),
    }
