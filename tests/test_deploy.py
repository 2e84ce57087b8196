"""The container files (issue 18): no Docker engine runs here, so the image and compose file are checked for
what the README promises — a non-root image with the `heatline` command, PostgreSQL, web and worker."""

from pathlib import Path

import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[1]


def test_the_image_runs_heatline_as_a_non_root_user() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert 'ENTRYPOINT ["heatline"]' in lines
    for line in lines:
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
    assert "collectstatic" in (ROOT / "Dockerfile").read_text()
    assert "postgresql-client" in (ROOT / "Dockerfile").read_text()  # pg_dump for `heatline backup`
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and ".git" in ignored


def test_compose_runs_postgresql_migrations_web_and_worker() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) >= {"db", "migrate", "web", "worker"}
    assert services["db"]["image"].startswith("postgres:")
    commands = set(get_commands())
    for name in ("migrate", "web", "worker"):
        service = services[name]
        assert service["command"][0] in commands
        environment = service["environment"]
        assert environment["DEBUG"] == "false" and environment["DATABASE_URL"].startswith("postgres://")
        assert "SECRET_KEY" in environment and "HEATLINE_EXCHANGE_SECRET" in environment
        assert "media:/app/var/media" in service["volumes"]
    assert services["web"]["command"][:1] == ["serve"] and "--no-worker" in services["web"]["command"]
    assert services["worker"]["command"] == ["worker"]
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "pgdata" in compose["volumes"]
