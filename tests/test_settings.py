"""Production settings refuse to start without their secrets (DEBUG off), as a city's system must."""

import os
import subprocess
import sys

import pytest

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-real-secret-key-of-this-utility",
    "ALLOWED_HOSTS": "heatline.example.cn",
}


def start(**overrides: str | None) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("HEATLINE_EXCHANGE")}
    environment.update(PRODUCTION)
    for key, value in overrides.items():
        if value is None:
            environment.pop(key, None)
        else:
            environment[key] = value
    return subprocess.run(
        [sys.executable, "-c", "import heatline.settings as s; print(s.HEATLINE_EXCHANGE_SECRET)"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("secret", [None, "", "heatline-exchange-demo-secret"])
def test_production_refuses_to_start_without_its_own_exchange_secret(secret: str | None) -> None:
    result = start(HEATLINE_EXCHANGE_SECRET=secret)
    assert result.returncode != 0
    assert "HEATLINE_EXCHANGE_SECRET" in result.stderr


def test_production_starts_with_the_utilitys_exchange_secret() -> None:
    result = start(HEATLINE_EXCHANGE_SECRET="agreed-with-the-12345-platform")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "agreed-with-the-12345-platform"


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = start(SECRET_KEY=None, HEATLINE_EXCHANGE_SECRET="agreed-with-the-12345-platform")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_the_demo_keeps_its_demo_secret() -> None:
    result = start(DEBUG="true", HEATLINE_EXCHANGE_SECRET=None)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "heatline-exchange-demo-secret"
