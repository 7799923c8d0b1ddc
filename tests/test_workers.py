"""A crawl spread over worker processes through Redis (``offermap crawl --redis``).

Real ``offermap crawl`` processes share one run through the Redis of
``OFFERMAP_TEST_REDIS_URL`` and write to one fresh PostgreSQL database (created on the
server of ``OFFERMAP_TEST_POSTGRES_URL``, dropped afterwards), crawling a
2,000-page loopback site whose server counts the requests for every path.
"""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.crawl import HOST, generate_site
from tests.conftest import REPO, need, offermap_command

PAGES = 2000
LISTINGS = (PAGES + 99) // 100
#: Every path of the site that a crawl fetches (robots.txt aside: each worker reads it).
SITE_PATHS = {"/", *(f"/listing/{k}.html" for k in range(LISTINGS)),
              *(f"/course/{n}.html" for n in range(PAGES))}


# --- the site, its request counts, the database, Redis --------------------------------


class CountingSite:
    def __init__(self, folder: Path) -> None:
        self.counts: Counter[str] = Counter()
        lock = threading.Lock()
        counts = self.counts

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(folder), **kwargs)

            def do_GET(self) -> None:  # noqa: N802
                with lock:
                    counts[self.path] += 1
                super().do_GET()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer((HOST, 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{HOST}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CountingSite]:
    folder = tmp_path_factory.mktemp("workers") / "site"
    generate_site(folder, PAGES)
    served = CountingSite(folder)
    yield served
    served.close()


@pytest.fixture
def redis_url() -> Iterator[str]:
    url = os.environ.get("OFFERMAP_TEST_REDIS_URL")
    need(url is not None, "OFFERMAP_TEST_REDIS_URL is not set; distributed crawl tests skipped")
    assert url is not None
    import redis

    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError as error:
        need(False, f"Redis at {url} is unreachable: {error}")
    yield url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    base = os.environ.get("OFFERMAP_TEST_POSTGRES_URL")
    need(base is not None, "OFFERMAP_TEST_POSTGRES_URL is not set; distributed crawl tests "
                           "need PostgreSQL")
    assert base is not None
    import psycopg

    conninfo = base.replace("postgresql+psycopg://", "postgresql://")
    name = f"offermap_workers_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as error:
        need(False, f"PostgreSQL at {base} is unreachable: {error}")
    url = conninfo.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _config(tmp_path: Path, site_url: str, listings: int | None = None) -> Path:
    """The shipped configuration with one provider site: the loopback site, from its
    home page, or from its first ``listings`` listings."""
    config = tmp_path / "config"
    config.mkdir()
    for name in ("keywords.yaml", "taxonomy.yaml", "dedup.yaml"):
        (config / name).write_text((REPO / "config" / name).read_text())
    starts = [f"{site_url}/"] if listings is None else \
        [f"{site_url}/listing/{k}.html" for k in range(listings)]
    (config / "providers.yaml").write_text(
        "providers:\n"
        f"  - name: academy\n    start_urls: {starts}\n"
        f"    allowed_domains: ['{HOST}']\n    max_depth: {2 if listings is None else 1}\n"
        f"    max_pages: {PAGES + 500}\n    delay: 0\n")
    return config


def _env(config: Path, database: str, redis_url: str, run_key: str) -> dict[str, str]:
    inherited = {key: value for key, value in os.environ.items()
                 if not key.startswith("OFFERMAP_") or key.startswith("OFFERMAP_TEST_")}
    return {**inherited, "OFFERMAP_CONFIG_DIR": str(config), "OFFERMAP_DATABASE_URL": database,
            "OFFERMAP_REDIS_URL": redis_url, "OFFERMAP_RUN_KEY": run_key,
            "OFFERMAP_LOG_LEVEL": "WARNING", "OFFERMAP_ALLOW_NETWORKS": "127.0.0.0/8",
            # One host of 2,000 pages; the budget is counted per worker.
            "OFFERMAP_MAX_PAGES_PER_HOST": str(PAGES + 500)}


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([*offermap_command(), "crawl", "--spider", "providers", "--quiet"],
                            cwd=REPO, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def _finish(worker: subprocess.Popen[bytes], log: Path, timeout: float = 150) -> None:
    code = worker.wait(timeout=timeout)
    assert code == 0, log.read_text()[-3000:]


def _upgrade(env: dict[str, str]) -> None:
    result = subprocess.run([*offermap_command(), "db", "upgrade"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def _stored(database: str) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(database) as connection:
        one = lambda sql: connection.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "course_pages": one("SELECT count(*) FROM pages WHERE url LIKE '%/course/%'"),
            "distinct_course_pages": one(
                "SELECT count(DISTINCT url) FROM pages WHERE url LIKE '%/course/%'"),
            "candidates": one("SELECT count(*) FROM candidates"),
            "sources": one("SELECT count(*) FROM sources"),
            "distinct_sources": one("SELECT count(DISTINCT url_key) FROM sources"),
            "runs": connection.execute(
                "SELECT r.id, r.status, (SELECT count(*) FROM pages p WHERE p.run_id = r.id)"
                " FROM runs r ORDER BY r.id").fetchall(),
        }


def _course_pages(database: str) -> int:
    import psycopg

    with psycopg.connect(database) as connection:
        return int(connection.execute(
            "SELECT count(*) FROM pages WHERE url LIKE '%/course/%'").fetchone()[0])


def _run_keys_left(redis_url: str, run_key: str) -> list[bytes]:
    import redis

    return list(redis.Redis.from_url(redis_url).scan_iter(f"offermap:{{{run_key}}}:*"))


def _in_flight(redis_url: str, run_key: str, pid: int) -> int:
    """Pages a worker (by its process id) had taken and not finished."""
    import redis

    server = redis.Redis.from_url(redis_url)
    return sum(int(server.zcard(key)) for key in server.scan_iter(
        f"offermap:{{{run_key}}}:*:proc:*-{pid}-*"))


# --- the tests --------------------------------------------------------------------------


def test_two_workers_fetch_every_page_once_and_store_every_training_once(
        site: CountingSite, redis_url: str, postgres_url: str, tmp_path: Path) -> None:
    site.counts.clear()
    run_key = f"test-{uuid.uuid4().hex[:8]}"
    env = _env(_config(tmp_path, site.url), postgres_url, redis_url, run_key)
    _upgrade(env)

    started = time.monotonic()
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    workers = [_worker(env, log) for log in logs]
    for worker, log in zip(workers, logs, strict=True):
        _finish(worker, log)
    seconds = time.monotonic() - started

    fetched = {path: n for path, n in site.counts.items() if path != "/robots.txt"}
    assert set(fetched) == SITE_PATHS
    twice = {path: n for path, n in fetched.items() if n != 1}
    assert not twice, f"fetched more than once: {sorted(twice.items())[:10]}"

    stored = _stored(postgres_url)
    assert stored["course_pages"] == stored["distinct_course_pages"] == PAGES
    assert stored["candidates"] == stored["sources"] == stored["distinct_sources"] == PAGES
    # Both workers took part, each in a run of its own, both finished.
    assert [status for _, status, _ in stored["runs"]] == ["finished", "finished"]
    assert all(pages > 0 for _, _, pages in stored["runs"]), stored["runs"]
    # The last worker out cleared the run's keys: the key can start another run.
    assert _run_keys_left(redis_url, run_key) == []
    print(f"\n2 workers: {len(SITE_PATHS)} pages in {seconds:.1f} s "
          f"({len(SITE_PATHS) / seconds:.1f} pages/s); pages per worker run: "
          f"{[pages for _, _, pages in stored['runs']]}")


#: The kill test crawls half of the site (from its first ten listings), to stay short.
KILL_LISTINGS = 10
KILL_PAGES = KILL_LISTINGS * 100
KILL_PATHS = {*(f"/listing/{k}.html" for k in range(KILL_LISTINGS)),
              *(f"/course/{n}.html" for n in range(KILL_PAGES))}


def test_a_killed_worker_loses_nothing(site: CountingSite, redis_url: str, postgres_url: str,
                                       tmp_path: Path) -> None:
    site.counts.clear()
    run_key = f"test-{uuid.uuid4().hex[:8]}"
    env = _env(_config(tmp_path, site.url, KILL_LISTINGS), postgres_url, redis_url, run_key)
    _upgrade(env)

    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log", tmp_path / "worker-3.log"]
    victim, survivor = _worker(env, logs[0]), _worker(env, logs[1])
    deadline = time.monotonic() + 90
    while _course_pages(postgres_url) < KILL_PAGES // 4:
        assert time.monotonic() < deadline, "the crawl did not get going"
        assert victim.poll() is None and survivor.poll() is None
        time.sleep(0.2)
    victim.send_signal(signal.SIGKILL)  # mid-run, with pages in flight
    victim.wait(timeout=10)
    in_flight = _in_flight(redis_url, run_key, victim.pid)
    restarted = _worker(env, logs[2])  # joins the same run and takes over its pages
    _finish(survivor, logs[1])
    _finish(restarted, logs[2])

    fetched = {path: n for path, n in site.counts.items() if path != "/robots.txt"}
    assert set(fetched) == KILL_PATHS  # nothing lost
    # The killed worker's pages in flight were put back by the others.
    # Only what the killed worker had taken and not finished is fetched again.
    again = sum(n - 1 for n in fetched.values())
    # (CONCURRENT_REQUESTS in the downloader, plus responses waiting to be stored.)
    assert again <= in_flight <= 64, (again, in_flight)

    stored = _stored(postgres_url)
    assert stored["distinct_course_pages"] == KILL_PAGES
    assert stored["candidates"] == stored["sources"] == stored["distinct_sources"] == KILL_PAGES
    statuses = [status for _, status, _ in stored["runs"]]
    # The killed worker's run is marked interrupted by the last worker out.
    assert sorted(statuses) == ["finished", "finished", "interrupted"], stored["runs"]
    assert _run_keys_left(redis_url, run_key) == []


def test_run_key_needs_redis_and_a_bad_redis_url_is_one_line(tmp_path: Path) -> None:
    from tests.conftest import run_offermap

    database = f"sqlite:///{tmp_path / 'db.sqlite'}"
    result = run_offermap("crawl", "--db", database, "--run-key", "weekly")
    assert result.returncode == 2 and "--run-key needs --redis" in result.stderr
    result = run_offermap("crawl", "--db", database, "--redis", "http://nowhere")
    assert result.returncode == 2 and "invalid Redis URL" in result.stderr, result.stderr
    result = run_offermap("crawl", "--db", database, "--redis", "redis://127.0.0.1:1/0",
                          "--run-key", "bad key!")
    assert result.returncode == 2 and "invalid run key" in result.stderr, result.stderr
