"""Signed pushes as the platform sends them."""

import json
import secrets
from pathlib import Path
from typing import Any

from django.test import Client
from django.utils import timezone

from heatline.integrations.exchange import signing

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(fixture_bytes(name))
    return data


def push(
    client: Client,
    body: bytes,
    *,
    content_type: str = "application/json",
    nonce: str | None = None,
    timestamp: int | None = None,
    secret: str | None = None,
) -> Any:
    stamp = str(timestamp if timestamp is not None else int(timezone.now().timestamp()))
    nonce = nonce or secrets.token_hex(8)
    signature = signing.signature_of(timestamp=stamp, nonce=nonce, body=body, secret=secret)
    return client.post(
        "/exchange/v1/orders",
        data=body,
        content_type=content_type,
        headers={
            signing.TIMESTAMP_HEADER: stamp,
            signing.NONCE_HEADER: nonce,
            signing.SIGNATURE_HEADER: signature,
        },
    )
