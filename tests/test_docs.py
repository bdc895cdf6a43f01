"""The README stays true: every setting and every route is documented."""
from __future__ import annotations

import re
from pathlib import Path

from plugin import settings

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_configuration_table_is_current():
    assert settings.readme_table() in README, "regenerate the table: .venv/bin/python -m plugin.docs"


def test_every_route_is_documented(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "{" + m.group(1) + "}", rule.rule)
        variants = {path, path.replace("{request_id}", "{id}").replace("{run_id}", "{id}").replace("{target_id}", "{id}"),
                    path.replace("{name}", "{full_scan,recently_added,access_recheck}")}
        assert any(v in README for v in variants), f"{rule.rule} is not in the README's API table"


def test_quick_start_is_exactly_two_commands():
    block = README.split("## Quick start", 1)[1].split("```", 2)[1]
    assert [line for line in block.splitlines()[1:] if line.strip()] == ["make demo", "make test"]
