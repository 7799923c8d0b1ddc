"""`offermap doctor` says in plain words what is wrong, and exits non-zero when it is."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

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
    empty = tmp_path / "empty.sqlite"
    sqlite3.connect(empty).close()  # a SQLite file without offermap's tables
    with LoopbackServer({"/search": forbidden}) as search:
        config = write_config(tmp_path / "config", search_url=search.url)
        result = run_offermap("doctor", "--db", str(empty),
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


def test_the_doctor_only_looks_it_creates_no_database(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config")
    work = tmp_path / "work"
    work.mkdir()
    named = run_offermap("doctor", "--db", "nope/x.sqlite", "--config-dir", str(config),
                         cwd=work)
    default = run_offermap("doctor", "--config-dir", str(config), cwd=work)
    assert named.returncode == 1 and default.returncode == 1
    out = " ".join(named.stdout.split())
    assert "nope/x.sqlite does not exist" in out and "offermap db upgrade" in out
    assert "offermap.sqlite does not exist" in " ".join(default.stdout.split())
    assert list(work.iterdir()) == []  # no folder, no empty SQLite file left behind


def test_a_keyed_backend_without_its_key_is_a_problem(tmp_path: Path) -> None:
    db = prepared_db(tmp_path)
    config = write_config(tmp_path / "config", keywords=(
        "keywords: [participatory budgeting]\nformats: [course]\n"
        "use_backends: [brave, google]\n"))
    missing = run_offermap("doctor", "--db", db, "--config-dir", str(config))
    keyed = run_offermap("doctor", "--db", db, "--config-dir", str(config),
                         env={"BRAVE_SEARCH_API_KEY": "BRAVE-SECRET-XYZ",
                              "GOOGLE_CSE_KEY": "GOOGLE-SECRET-XYZ",
                              "GOOGLE_CSE_CX": "cx-1"})
    out = " ".join(missing.stdout.split())
    assert missing.returncode == 1
    assert "PROBLEM backend brave:" in out and "BRAVE_SEARCH_API_KEY" in out
    assert "PROBLEM backend google:" in out
    assert "ok backend brave" not in out
    keyed_out = " ".join(keyed.stdout.split())
    assert "ok backend brave: configured" in keyed_out, keyed_out
    assert "BRAVE-SECRET-XYZ" not in keyed.stdout + keyed.stderr


@pytest.mark.parametrize(("value", "said"), [
    ("0.0.0.0/1,128.0.0.0/1", "covers the cloud metadata address 169.254.169.254"),
    ("169.254.0.0/16", "covers the cloud metadata address 169.254.169.254"),
    ("garbage", "'garbage' is not a network"),
])
def test_an_allowlist_that_opens_the_metadata_service_is_a_problem(
        tmp_path: Path, value: str, said: str) -> None:
    config = write_config(tmp_path / "config")
    result = run_offermap("doctor", "--db", str(tmp_path / "none.sqlite"),
                          "--config-dir", str(config),
                          env={"OFFERMAP_ALLOW_NETWORKS": value})
    out = " ".join(result.stdout.split())
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"PROBLEM allowlist: OFFERMAP_ALLOW_NETWORKS={value!r}" in out and said in out


def test_the_default_contact_is_a_warning(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config")
    default = run_offermap("doctor", "--config-dir", str(config), cwd=tmp_path)
    own = run_offermap("doctor", "--config-dir", str(config), cwd=tmp_path,
                       env={"OFFERMAP_CONTACT": "https://ops.example.org/crawler"})
    assert "warning user agent" in " ".join(default.stdout.split())
    assert "ok user agent: offermap/0.1 (+https://ops.example.org/crawler)" in " ".join(
        own.stdout.split())
