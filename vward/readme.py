"""Keep the README's generated sections (configuration, problem types, code layout) current."""

from __future__ import annotations

import re
from collections.abc import Callable

from shared.settings import REPO_ROOT
from vward.layout_doc import markdown_table as layout_table
from vward.problems_doc import markdown_list
from vward.settings_doc import markdown_table

README = REPO_ROOT / "README.md"
SECTIONS = {
    "configuration": markdown_table,
    "problem-types": markdown_list,
    "code-layout": layout_table,
}


def _block(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- generated:{name} -->\n)(.*?)(<!-- /generated:{name} -->)", re.DOTALL)


def render(text: str) -> str:
    """The README text with every generated section rebuilt."""
    for name, build in SECTIONS.items():
        text = _block(name).sub(_filler(build()), text)
    return text


def _filler(body: str) -> Callable[[re.Match[str]], str]:
    """Replace a generated block's body, keeping its opening and closing markers."""
    return lambda m: f"{m[1]}{body}\n{m[3]}"


if __name__ == "__main__":
    README.write_text(render(README.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"regenerated {', '.join(SECTIONS)} in {README.name}")
