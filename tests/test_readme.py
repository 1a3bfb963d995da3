"""The README keeps its promises: two quick-start commands, CI runs them, docs match the code."""

from __future__ import annotations

import re

from shared.settings import REPO_ROOT
from vward.readme import README, render
from vward.settings_doc import all_env_names


def test_generated_sections_are_current() -> None:
    text = README.read_text(encoding="utf-8")
    assert text == render(text), "run `make docs` to regenerate the README's tables"


def test_every_setting_is_documented() -> None:
    text = README.read_text(encoding="utf-8")
    assert sorted(name for name in all_env_names() if name not in text) == []


def test_quick_start_is_two_commands_and_ci_runs_the_test_one() -> None:
    text = README.read_text(encoding="utf-8")
    quick_start = text.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in quick_start.strip().splitlines()]
    assert commands == ["make up", "make test"]
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci, re.MULTILINE)
