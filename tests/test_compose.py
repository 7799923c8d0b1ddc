"""docker-compose.yml: validated by a real compose client, and complete.

These machines have no Docker engine: the file is checked with Debian's
`docker-compose` client (`config` resolves and validates it against the Compose
schema), and the services it describes run natively in the rest of the suite.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import yaml

from tests.conftest import REPO, need

COMPOSE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"


def test_compose_file_validates_with_every_profile() -> None:
    client = shutil.which("docker-compose")
    need(client is not None, "docker-compose is not installed (apt-get install docker-compose)")
    assert client is not None
    result = subprocess.run(
        [client, "--env-file", str(ENV_EXAMPLE), "-f", str(COMPOSE), "--profile", "crawl",
         "--profile", "scale", "config"], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    assert set(resolved["services"]) == {"db", "searxng", "migrate", "app", "scheduler",
                                         "crawler", "redis", "worker"}
    assert resolved["services"]["scheduler"]["command"] == ["schedule"]
    # Workers of one run: the same Redis, the same run key, the same database.
    worker = resolved["services"]["worker"]
    assert worker["environment"]["OFFERMAP_REDIS_URL"] == "redis://redis:6379/0"
    assert worker["environment"]["OFFERMAP_RUN_KEY"] == "team"
    assert worker["environment"]["OFFERMAP_DATABASE_URL"] == \
        resolved["services"]["crawler"]["environment"]["OFFERMAP_DATABASE_URL"]
    assert int(worker["deploy"]["replicas"]) == 2
    assert worker["depends_on"]["redis"]["condition"] == "service_healthy"
    # The values came from .env.example, not from the file itself.
    app_env = resolved["services"]["app"]["environment"]
    assert app_env["OFFERMAP_DATABASE_URL"].startswith("postgresql://offermap:change-me@db")


def test_compose_services_start_in_order_with_health_checks() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    for name in ("db", "searxng", "app"):
        assert "healthcheck" in services[name], name
        assert services[name]["restart"] == "unless-stopped", name
    # Migrations run before the app and the crawler start.
    assert services["migrate"]["command"] == ["db", "upgrade"]
    for name in ("app", "scheduler", "crawler"):
        assert services[name]["depends_on"]["migrate"]["condition"] == \
            "service_completed_successfully"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    # SearXNG runs with its own settings file (JSON on) and its limiter off.
    assert "./config/searxng/settings.yml:/etc/searxng/settings.yml:ro" in \
        services["searxng"]["volumes"]
    assert services["searxng"]["environment"]["SEARXNG_LIMITER"] == "false"
    assert "json" in yaml.safe_load((REPO / "config/searxng/settings.yml").read_text())[
        "search"]["formats"]


def test_every_setting_is_in_env_example_and_no_secret_is_committed() -> None:
    used = set(re.findall(r"\$\{([A-Z_]+)", COMPOSE.read_text()))
    example = dict(line.split("=", 1) for line in ENV_EXAMPLE.read_text().splitlines()
                   if line and not line.startswith("#"))
    assert used <= set(example), used - set(example)
    for name in ("POSTGRES_PASSWORD", "SEARXNG_SECRET"):
        assert example[name] == "change-me"
    for name in ("BRAVE_SEARCH_API_KEY", "GOOGLE_CSE_KEY", "GOOGLE_CSE_CX"):
        assert example[name] == ""
    assert ".env" in (REPO / ".gitignore").read_text().split()
