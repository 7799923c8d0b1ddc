"""Provider-site discovery from the Common Crawl index: a site with
``common_crawl: true`` is walked from the pages the index lists for its domains too,
through a loopback CDX server; a throttled index never stops the walk."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.backends.fakes import FakeCommonCrawl
from tests.conftest import REPO, run_offermap
from tests.servers import LoopbackServer, html

LOOPBACK = {"OFFERMAP_ALLOW_NETWORKS": "127.0.0.0/8", "OFFERMAP_LOG_LEVEL": "WARNING"}
PAGE = "<html><head><title>{0}</title></head><body><h1>{0}</h1><p>{1}</p></body></html>"


def site_routes() -> dict[str, object]:
    return {
        "/": html(PAGE.format("Academy", "Nothing linked from here.")),
        "/courses/participatory-budgeting": html(PAGE.format(
            "Participatory budgeting course", "An online course for city staff.")),
        "/courses/old": html(PAGE.format("Old course", "Archived.")),
    }


def config(folder: Path, site: str, index: str, *, common_crawl: bool,
           collection: str = "latest") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "taxonomy.yaml").write_text((REPO / "config" / "taxonomy.yaml").read_text())
    (folder / "keywords.yaml").write_text(textwrap.dedent(f"""\
        keywords: [unused]
        formats: [unused]
        backends:
          commoncrawl: {{url: "{index}", collection: {collection}, delay: 0, limit: 10}}
        """))
    (folder / "providers.yaml").write_text(textwrap.dedent(f"""\
        providers:
          - name: academy
            start_urls: ["{site}/"]
            allowed_domains: ["127.0.0.3"]
            max_depth: 0
            common_crawl: {str(common_crawl).lower()}
        """))
    return folder


def walk(tmp_path: Path, site: LoopbackServer, index: FakeCommonCrawl, **options: object
         ) -> None:
    folder = config(tmp_path / "config", site.url, index.url, **options)  # type: ignore[arg-type]
    result = run_offermap("crawl", "--spider", "providers", "--quiet", "--db",
                          str(tmp_path / "p.sqlite"), "--config-dir", str(folder), env=LOOPBACK)
    assert result.returncode == 0, result.stderr


def test_the_index_seeds_pages_the_walk_would_miss(tmp_path: Path) -> None:
    with LoopbackServer(site_routes(), host="127.0.0.3") as site:
        captured = [f"{site.url}/courses/participatory-budgeting", f"{site.url}/courses/old",
                    "http://127.0.0.4:9/elsewhere", f"{site.url}/courses/old"]
        with FakeCommonCrawl({"127.0.0.3": captured}) as index:
            walk(tmp_path, site, index, common_crawl=True)
    fetched = [path for path in site.paths() if path != "/robots.txt"]
    assert sorted(fetched) == ["/", "/courses/old", "/courses/participatory-budgeting"]
    assert [e.path for e in index.log] == ["/collinfo.json", "/CC-MAIN-2026-40-index"]
    lookup = index.log[1].params
    assert (lookup["url"], lookup["matchType"], lookup["limit"]) == ("127.0.0.3", "domain", "10")
    assert "Scrapy" not in index.log[1].headers.get("user-agent", "")


def test_a_pinned_collection_skips_collinfo_and_sites_without_the_flag_ask_nothing(
        tmp_path: Path) -> None:
    with LoopbackServer(site_routes(), host="127.0.0.3") as site:
        captured = [f"{site.url}/courses/old"]
        with FakeCommonCrawl({"127.0.0.3": captured}) as index:
            walk(tmp_path, site, index, common_crawl=True, collection="CC-MAIN-2026-40")
            assert [e.path for e in index.log] == ["/CC-MAIN-2026-40-index"]
            walk(tmp_path / "off", site, index, common_crawl=False)
            assert len(index.log) == 1


def test_a_throttled_index_leaves_the_walk_from_the_start_urls(tmp_path: Path) -> None:
    with LoopbackServer(site_routes(), host="127.0.0.3") as site:
        with FakeCommonCrawl({"127.0.0.3": []}, mode="throttle") as index:
            walk(tmp_path, site, index, common_crawl=True)
    assert [path for path in site.paths() if path != "/robots.txt"] == ["/"]
    assert [e.status for e in index.log] == [200, 503]
