"""A second crawl of the demo web: no new trainings, every reviewer decision kept."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import func, select

from db.models import Candidate, Decision, FieldChange
from db.session import Database
from pipeline.demo.server import DemoWeb
from tests.conftest import REPO, run_offermap

LOOPBACK = {"OFFERMAP_ALLOW_NETWORKS": "127.0.0.0/8", "OFFERMAP_LOG_LEVEL": "WARNING"}


def demo_config(folder: Path, web: DemoWeb) -> Path:
    """The shipped configuration pointed at the demo web, as an operator would write it."""
    folder.mkdir()
    for name in ("taxonomy.yaml", "dedup.yaml"):
        (folder / name).write_text((REPO / "config" / name).read_text())
    keywords = yaml.safe_load((REPO / "config" / "keywords.yaml").read_text())
    keywords["use_backends"] = ["searxng"]
    keywords.setdefault("backends", {}).setdefault("searxng", {}).update(
        {"url": web.search_url, "delay": 0})
    (folder / "keywords.yaml").write_text(yaml.safe_dump(keywords, allow_unicode=True))
    sites = [{**site, "delay": 0} for site in web.providers()]
    (folder / "providers.yaml").write_text(yaml.safe_dump({"providers": sites}))
    return folder


def test_a_second_demo_crawl_adds_nothing_and_keeps_every_decision(tmp_path: Path) -> None:
    db = str(tmp_path / "refresh.sqlite")
    with DemoWeb() as web:
        config = demo_config(tmp_path / "config", web)
        first = run_offermap("crawl", "--db", db, "--config-dir", str(config), "--quiet",
                             env=LOOPBACK)
        assert first.returncode == 0, first.stderr

        database = Database(db)
        with database.session() as session:
            ids = sorted(session.scalars(select(Candidate.id).where(
                Candidate.merged_into_id.is_(None))))
        assert len(ids) >= 15
        assert run_offermap("review", "include", str(ids[0]), "--db", db,
                            "--by", "ana").returncode == 0
        assert run_offermap("review", "exclude", str(ids[1]), "--reason", "off theme",
                            "--db", db, "--by", "ana").returncode == 0
        edited = run_offermap("review", "maybe", str(ids[2]), "--db", db, "--by", "ben")
        assert edited.returncode == 0, edited.stderr
        with database.session() as session:
            before = {c.id: (c.status, c.reason, c.decided_by, c.title)
                      for c in session.scalars(select(Candidate))}
            decisions = session.scalar(select(func.count()).select_from(Decision))

        second = run_offermap("crawl", "--db", db, "--config-dir", str(config), "--quiet",
                              env=LOOPBACK)
        assert second.returncode == 0, second.stderr

    with database.session() as session:
        after = {c.id: (c.status, c.reason, c.decided_by, c.title)
                 for c in session.scalars(select(Candidate))}
        assert after == before  # no new training, nothing a reviewer decided changed
        assert session.scalar(select(func.count()).select_from(Decision)) == decisions
        # The second run (run 2) applied no change to a decided training.
        assert session.scalar(select(func.count()).select_from(FieldChange).where(
            FieldChange.candidate_id.in_(ids[:3]), FieldChange.run_id == 2,
            FieldChange.status == "applied")) == 0
    assert "candidates new" in second.stdout
    database.dispose()
