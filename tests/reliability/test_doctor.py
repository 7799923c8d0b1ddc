"""`offermap doctor` says in plain words what is wrong, and exits non-zero when it is."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_offermap
from tests.reliability.harness import write_config
from tests.servers import LoopbackServer, searxng_json


def prepared_db(tmp_path: Path) -> str:
    db = str(tmp_path / "doctor.sqlite")
    assert run_offermap("db", "upgrade", "--db", db).returncode == 0
    return db


def test_a_healthy_deployment_has_nothing_to_fix(tmp_path: Path) -> None:
    db = prepared_db(tmp_path)
    with LoopbackServer({"/search": searxng_json([])}) as search:
        config = write_config(tmp_path / "config", search_url=search.url)
        result = run_offermap("doctor", "--db", db, "--config-dir", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Nothing to fix" in result.stdout
    assert "answers JSON" in result.stdout and "schema" in result.stdout


def test_json_disabled_missing_schema_and_wide_allowlist_are_named(tmp_path: Path) -> None:
    forbidden = (403, {"Content-Type": "text/html"}, b"<h1>403 Forbidden</h1>")
    with LoopbackServer({"/search": forbidden}) as search:
        config = write_config(tmp_path / "config", search_url=search.url)
        result = run_offermap("doctor", "--db", str(tmp_path / "empty.sqlite"),
                              "--config-dir", str(config),
                              env={"OFFERMAP_ALLOW_NETWORKS": "0.0.0.0/0"})
    assert result.returncode == 1
    out = " ".join(result.stdout.split())
    assert "search.formats in SearXNG's settings.yml" in out
    assert "no offermap tables" in out
    assert "opens every address" in out


def test_an_unreachable_backend_and_a_broken_config_are_named(tmp_path: Path) -> None:
    db = prepared_db(tmp_path)
    config = write_config(tmp_path / "config", search_url="http://127.0.0.1:9")
    result = run_offermap("doctor", "--db", db, "--config-dir", str(config))
    assert result.returncode == 1 and "unreachable" in result.stdout
    (config / "keywords.yaml").write_text("keywords: [x]\nformats: [course]\nbogus: 1\n")
    result = run_offermap("doctor", "--db", db, "--config-dir", str(config))
    assert result.returncode == 1 and "bogus" in result.stdout
