"""The one check for text PostgreSQL cannot store, and the pointers it gives."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from shared.text import text_errors, unstorable

_storable = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | _storable,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_storable, inner, max_size=4),
    max_leaves=20,
)


def _strings(value: Any, pointer: str = "") -> list[str]:
    """Pointers to every string value in `value`."""
    if isinstance(value, str):
        return [pointer]
    if isinstance(value, dict):
        token = {k: k.replace("~", "~0").replace("/", "~1") for k in value}
        return [p for k, v in value.items() for p in _strings(v, f"{pointer}/{token[k]}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _strings(v, f"{pointer}/{i}")]
    return []


def _replace(value: Any, pointer: str, here: str, new: str) -> Any:
    if isinstance(value, str):
        return new if here == pointer else value
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            token = k.replace("~", "~0").replace("/", "~1")
            out[k] = _replace(v, pointer, f"{here}/{token}", new)
        return out
    if isinstance(value, list):
        return [_replace(v, pointer, f"{here}/{i}", new) for i, v in enumerate(value)]
    return value


@given(_storable)
def test_storable_text_passes(text: str) -> None:
    assert unstorable(text) is None


@given(_storable, _storable, st.sampled_from(["\x00", "\ud800", "\udfff"]))
def test_nul_or_a_lone_surrogate_anywhere_is_refused(before: str, after: str, bad: str) -> None:
    assert unstorable(before + bad + after) is not None


@given(_json)
def test_a_clean_document_has_no_errors(document: Any) -> None:
    assert text_errors(document, "/body") == []


@given(_json, st.data())
def test_the_pointer_names_the_bad_string(document: Any, data: st.DataObject) -> None:
    pointers = _strings(document)
    if not pointers:
        return
    target = data.draw(st.sampled_from(pointers))
    bad = _replace(document, target, "", data.draw(_storable) + "\x00")
    assert [e["pointer"] for e in text_errors(bad, "/body")] == ["/body" + (target or "")]


def test_keys_are_checked_too_and_errors_come_in_document_order() -> None:
    errors = text_errors({"a\x00": 1, "b": ["ok", "x\ud800"], "c": "\x00"}, "/body")
    assert [e["pointer"] for e in errors] == ["/body/a\x00", "/body/b/1", "/body/c"]
