"""The catalogue of problem types in the README, gathered from what the source raises.

The source is read as Python (not grepped), and a slug is whatever reaches a problem:

- the `slug=` keyword of any call (`NotFound("…", slug="ward-not-found")`);
- the argument of `problem_type(…)`, and any literal starting with the problems base URL;
- whatever is bound to a name `slug`, in a class (`status, slug, title = 404, "not-found", …`)
  or a function (`slug, title = _HTTP_SLUGS.get(…)`).

Each such expression is followed to the literals it can take: constants (in the same module
or imported by name), tuples by position, dict values and `.get` defaults, both arms of
`x if c else y` and `a or b`, and the `return`s of a function of the same module it calls.
A function's own `slug` parameter is left to its callers, who are scanned too. Anything else
is *unresolved*, and `tests/test_problem_catalogue.py` fails on it: no slug can be raised in
a way this catalogue cannot see.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from shared.settings import REPO_ROOT

PROBLEM_BASE = "https://vward.dev/problems/"
OWNERS = ("every service", "ward_api", "monitoring_ingest", "equity_audit")


@dataclass
class Scan:
    """Slugs by owner, and the places a slug is chosen in a way the scan cannot follow."""

    slugs: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    unresolved: list[str] = field(default_factory=list)


def _sources() -> list[Path]:
    return sorted(REPO_ROOT.glob("shared/**/*.py")) + sorted(REPO_ROOT.glob("services/**/*.py"))


def _owner(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).parts
    return "every service" if parts[0] == "shared" or len(parts) < 3 else parts[1]


class _Module:
    """One parsed file: its constants, functions and imported names."""

    def __init__(self, path: Path, tree: ast.Module) -> None:
        self.path = path
        self.constants: dict[str, ast.expr] = {}
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.imports: dict[str, str] = {}  # local name -> module
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions.setdefault(node.name, node)
        for node in tree.body:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.constants[target.id] = node.value
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                if node.value is not None:
                    self.constants[node.target.id] = node.value
            elif isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = node.module


class _Resolver:
    def __init__(self, modules: dict[str, _Module]) -> None:
        self.modules = modules

    def literals(
        self, expr: ast.expr, module: _Module, params: set[str], index: int | None = None
    ) -> set[str] | None:
        """Every string `expr` can be (element `index` when it is a tuple); None if unknown."""
        seen: set[int] = set()
        return self._literals(expr, module, params, index, seen)

    def _literals(
        self,
        expr: ast.expr,
        module: _Module,
        params: set[str],
        index: int | None,
        seen: set[int],
    ) -> set[str] | None:
        if id(expr) in seen:
            return set()
        seen.add(id(expr))

        def again(e: ast.expr, m: _Module = module, i: int | None = index) -> set[str] | None:
            return self._literals(e, m, params, i, seen)

        def union(parts: list[set[str] | None]) -> set[str] | None:
            found: set[str] = set()
            for part in parts:
                if part is None:
                    return None
                found |= part
            return found

        if isinstance(expr, ast.Constant | ast.Attribute):
            return _leaf(expr, index)
        if isinstance(expr, ast.Tuple | ast.List):
            if index is None:
                return union([again(e) for e in expr.elts])
            return again(expr.elts[index], i=None) if index < len(expr.elts) else set()
        parts = _alternatives(expr)
        if parts is not None:
            return union([again(e) for e in parts])
        if isinstance(expr, ast.Name):
            return self._name(expr, module, params, again)
        if isinstance(expr, ast.Call):
            return self._call(expr, module, index, seen, again, union)
        return None

    def _name(
        self,
        expr: ast.Name,
        module: _Module,
        params: set[str],
        again: Callable[..., set[str] | None],
    ) -> set[str] | None:
        """A name's strings: a parameter or bound `slug` (its callers are scanned), a constant."""
        if expr.id in params or expr.id == "slug":
            return set()
        if expr.id in module.constants:
            return again(module.constants[expr.id])
        source = self.modules.get(module.imports.get(expr.id, ""))
        if source is not None and expr.id in source.constants:
            return again(source.constants[expr.id], source)
        return None

    def _call(
        self,
        expr: ast.Call,
        module: _Module,
        index: int | None,
        seen: set[int],
        again: Callable[..., set[str] | None],
        union: Callable[[list[set[str] | None]], set[str] | None],
    ) -> set[str] | None:
        """A call's strings: `mapping.get(key, default)`, or what a local function returns."""
        func = expr.func
        if isinstance(func, ast.Attribute) and func.attr == "get" and expr.args:
            return union([again(func.value), *[again(a) for a in expr.args[1:]]])
        if isinstance(func, ast.Name) and func.id in module.functions:
            returns = [
                node.value
                for node in ast.walk(module.functions[func.id])
                if isinstance(node, ast.Return) and node.value is not None
            ]
            inner = _params(module.functions[func.id])
            return union([self._literals(r, module, inner, index, seen) for r in returns])
        return None


def _leaf(expr: ast.Constant | ast.Attribute, index: int | None) -> set[str] | None:
    """A string constant is itself; `self.slug` and the like are their class's (scanned)."""
    if isinstance(expr, ast.Constant):
        return {expr.value} if isinstance(expr.value, str) and index is None else set()
    if isinstance(expr.value, ast.Name) and expr.value.id in ("self", "cls", "exc"):
        return set()
    return None


def _alternatives(expr: ast.expr) -> list[ast.expr] | None:
    """The expressions whose strings `expr` can be: a dict's values, both arms, any operand."""
    if isinstance(expr, ast.Dict):
        return [v for v in expr.values if v is not None]
    if isinstance(expr, ast.IfExp):
        return [expr.body, expr.orelse]
    if isinstance(expr, ast.BoolOp):
        return list(expr.values)
    if isinstance(expr, ast.Subscript):
        return [expr.value]
    return None


def _params(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> set[str]:
    args = function.args
    names = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    names += [a for a in (args.vararg, args.kwarg) if a is not None]
    return {a.arg for a in names}


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts).removesuffix(".__init__")


def scan() -> Scan:
    """Every slug the services and the shared toolkit can raise, by owner."""
    parsed = {}
    for path in _sources():
        parsed[_module_name(path)] = _Module(path, ast.parse(path.read_text(encoding="utf-8")))
    resolver = _Resolver(parsed)
    result = Scan()
    for module in parsed.values():
        owner = _owner(module.path)
        _scan_module(module, resolver, result.slugs[owner], result.unresolved)
    return result


def _slug_sites(node: ast.AST) -> list[tuple[ast.expr, int | None]]:
    """Where `node` chooses a slug: `slug=` arguments, `problem_type(x)`, `slug = ...`."""
    sites: list[tuple[ast.expr, int | None]] = []
    if isinstance(node, ast.Call):
        sites += [(k.value, None) for k in node.keywords if k.arg == "slug"]
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name == "problem_type" and node.args:
            sites.append((node.args[0], None))
    elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if isinstance(target, ast.Name) and target.id == "slug":
                sites.append((node.value, None))
            elif isinstance(target, ast.Tuple):
                sites += [
                    (node.value, i)
                    for i, element in enumerate(target.elts)
                    if isinstance(element, ast.Name) and element.id == "slug"
                ]
    return sites


def _scan_module(module: _Module, resolver: _Resolver, found: set[str], unresolved: list) -> None:
    tree = ast.parse(module.path.read_text(encoding="utf-8"))
    where = module.path.relative_to(REPO_ROOT)

    def visit(node: ast.AST, params: set[str]) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            params = params | _params(node)
        sites = _slug_sites(node)
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.startswith(PROBLEM_BASE)
            and len(node.value) > len(PROBLEM_BASE)
        ):
            found.add(node.value.removeprefix(PROBLEM_BASE))
        for expr, index in sites:
            values = resolver.literals(expr, module, params, index)
            if values is None:
                unresolved.append(f"{where}:{expr.lineno}: {ast.unparse(expr)}")
            else:
                found.update(values)
        for child in ast.iter_child_nodes(node):
            visit(child, params)

    visit(tree, set())


def problem_slugs() -> dict[str, set[str]]:
    """Problem slugs by where they are raised: `every service` (shared) or one service."""
    return {owner: slugs for owner, slugs in scan().slugs.items() if slugs}


def markdown_list() -> str:
    slugs = problem_slugs()
    lines = []
    for owner in OWNERS:
        if slugs.get(owner):
            lines.append(f"- **{owner}**: " + ", ".join(f"`{s}`" for s in sorted(slugs[owner])))
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_list())
