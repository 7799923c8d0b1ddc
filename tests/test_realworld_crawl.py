"""The real-world corpus, served on loopback and crawled by the provider-site spider.

Every page the answer key calls a training offer must yield a candidate with the
right title; pages that are not offers must yield none.  Run with ``-s`` to see
the per-field accuracy table.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import select

from db.models import Page, Source
from db.session import Database
from pipeline.evaluation import (
    SCORED_FIELDS,
    PageResult,
    Scoreboard,
    field_is_correct,
    load_answers,
)
from tests.conftest import REPO, run_offermap
from tests.servers import LoopbackServer


def corpus_site(realworld: Path, answers: dict[str, dict]) -> LoopbackServer:
    """Every page of the answer key at /<file>, linked from an index at /."""
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
    links = []
    for name in sorted(answers):
        if not name.startswith(("pages/", "pages-negative/")):
            continue
        path = "/" + quote(name)
        # No charset in the header: these files come without their original headers,
        # so the page's own declaration and the bytes decide, as for a bare server.
        routes[path] = (200, {"Content-Type": "text/html"}, (realworld / name).read_bytes())
        links.append(f'<li><a href="{path}">{name}</a></li>')
    index = f"<html><body><h1>Corpus</h1><ul>{''.join(links)}</ul></body></html>"
    routes["/"] = (200, {"Content-Type": "text/html; charset=utf-8"}, index.encode())
    return LoopbackServer(routes, host="127.0.0.9")


def test_realworld_pages_yield_the_right_candidates(realworld: Path, tmp_path: Path) -> None:
    answers = load_answers(realworld / "answers.jsonl")
    config = tmp_path / "config"
    config.mkdir()
    (config / "taxonomy.yaml").write_text((REPO / "config" / "taxonomy.yaml").read_text())
    (config / "keywords.yaml").write_text("keywords: [unused]\nformats: [unused]\n")
    db = tmp_path / "realworld.sqlite"

    with corpus_site(realworld, answers) as site:
        (config / "providers.yaml").write_text(textwrap.dedent(f"""\
            providers:
              - name: corpus
                start_urls: ["{site.url}/"]
                allowed_domains: ["127.0.0.9"]
                max_depth: 1
                theme_filter: false   # these pages are not on the study's theme
                delay: 0              # our own loopback server needs no politeness
            """))
        result = run_offermap("crawl", "--spider", "providers", "--db", str(db),
                              "--config-dir", str(config), env={"OFFERMAP_LOG_LEVEL": "ERROR",
                                   # the corpus is served on loopback, opened on purpose
                                   "OFFERMAP_ALLOW_NETWORKS": "127.0.0.0/8"})
    assert result.returncode == 0, result.stdout + result.stderr

    board = Scoreboard()
    problems: list[str] = []
    with Database(str(db)).session() as session:
        pages = {page.url.split("/", 3)[3]: page for page in session.scalars(select(Page))}
        sources_by_page: dict[int, list[Source]] = {}
        for source in session.scalars(select(Source)):
            sources_by_page.setdefault(source.page_id or 0, []).append(source)

        for name, answer in answers.items():
            if not name.startswith(("pages/", "pages-negative/")):
                continue
            page = pages.get(quote(name))
            assert page is not None, f"{name} was not fetched"
            kept = [item for item in page.relevance if item["keep"]]
            kind = answer["kind"]
            title_right = any(field_is_correct("title", item["title"], answer) for item in kept)
            if kind == "training" and not title_right:
                problems.append(f"training page {name} gave {[i['title'] for i in kept]}")
            if kind == "not_offer" and kept:
                problems.append(f"not-offer page {name} gave {[i['title'] for i in kept]}")

            # Fields are scored on what was stored: pages that yielded a candidate.
            source = next(iter(sources_by_page.get(page.id, [])), None)
            values = dict(source.fields) if source else {}
            fee = {"is_free": values.get("is_free"), "amount": values.get("fee_amount"),
                   "currency": values.get("fee_currency")}
            verdicts = {field: field_is_correct(field, fee if field == "fee" else
                                                values.get(field), answer) if source else None
                        for field in SCORED_FIELDS}
            board.add(PageResult(name, kind, len(kept), title_right, verdicts, values))

    print("\nReal-world pages crawled through the provider spider "
          "(fields scored on the pages that yielded a candidate):\n" + board.render())
    assert not problems, "\n".join(problems)
