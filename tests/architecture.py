"""Checkers for the architecture ratchets (tests/unit/test_architecture.py).

Each checker takes `Sources` — relative path → Python source — so the tests can run it
on the real tree and on a synthetic violation. Everything is read with `ast`; nothing
is imported.

`python -m tests.architecture` prints today's offenders in the shape of the baselines,
to shrink a baseline after a refactor (a baseline may only shrink).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("composition", "market", "bids", "donors", "opendata", "notify", "funds")

Sources = Mapping[str, str]  # "donors/settlement.py" → source


def load_sources(root: Path = ROOT, apps: Iterable[str] = APPS) -> dict[str, str]:
    sources: dict[str, str] = {}
    for app in apps:
        for path in sorted((root / app).rglob("*.py")):
            sources[path.relative_to(root).as_posix()] = path.read_text(encoding="utf-8")
    return sources


def module_name(path: str) -> str:
    parts = path.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def app_of(module_or_path: str) -> str:
    return module_or_path.replace("/", ".").split(".")[0]


def is_migration(path: str) -> bool:
    return "/piccolo_migrations/" in path


# --- imports ---------------------------------------------------------------------------


def _imported(node: ast.AST, module: str, is_package: bool) -> Iterator[tuple[str, str | None]]:
    """(module, name) pairs an import statement names, relative imports resolved."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name, None
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            package = module.split(".") if is_package else module.split(".")[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, *([base] if base else [])])
        for alias in node.names:
            yield base, alias.name


def import_graph(sources: Sources) -> dict[str, set[str]]:
    """Module → the modules of `sources` it imports, at module level or inside a
    function (a lazy import is still a dependency). `from a import b` counts as an
    import of `a.b` when that is a module, otherwise of `a`."""
    modules = {module_name(path): path for path in sources}
    graph: dict[str, set[str]] = {module: set() for module in modules}
    for module, path in modules.items():
        tree = ast.parse(sources[path], filename=path)
        is_package = path.endswith("__init__.py")
        for node in ast.walk(tree):
            for base, name in _imported(node, module, is_package):
                target = f"{base}.{name}" if name and f"{base}.{name}" in modules else base
                if target in modules and target != module:
                    graph[module].add(target)
    return graph


def find_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def direction_violations(
    graph: Mapping[str, set[str]], allowed: Mapping[str, set[str]]
) -> list[tuple[str, str]]:
    """(importer, imported) pairs whose apps are not in `allowed[importer's app]`."""
    bad = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            source_app, target_app = app_of(module), app_of(target)
            if source_app != target_app and target_app not in allowed.get(source_app, set()):
                bad.append((module, target))
    return bad


def imports_between(graph: Mapping[str, set[str]], source: str, target: str) -> set[str]:
    """The `target` app's modules that the `source` app imports."""
    return {
        t
        for module, targets in graph.items()
        if app_of(module) == source
        for t in targets
        if app_of(t) == target
    }


# --- tables and SQL ----------------------------------------------------------------


def declared_tables(sources: Sources) -> dict[str, str]:
    """Table name → owning app, from every `*tables.py` module's Piccolo tables
    (`class X(Table, tablename="...")`)."""
    owners: dict[str, str] = {}
    for path, source in sources.items():
        if is_migration(path) or not path.endswith("tables.py"):
            continue
        for node in ast.walk(ast.parse(source, filename=path)):
            if not isinstance(node, ast.ClassDef):
                continue
            if not any(isinstance(b, ast.Name) and b.id == "Table" for b in node.bases):
                continue
            name = next(
                (
                    k.value.value
                    for k in node.keywords
                    if k.arg == "tablename" and isinstance(k.value, ast.Constant)
                ),
                re.sub(r"(?<!^)(?=[A-Z])", "_", node.name).lower(),
            )
            owners[str(name)] = app_of(path)
    return owners


SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|FROM|JOIN|INTO|WITH|TABLE)\b", re.I)


def _strings(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value
        elif isinstance(node, ast.JoinedStr):
            yield "".join(
                v.value
                for v in node.values
                if isinstance(v, ast.Constant) and isinstance(v.value, str)
            )


def cross_app_sql(sources: Sources, owners: Mapping[str, str]) -> dict[str, set[str]]:
    """File → the other apps' tables its SQL string literals name (migrations aside:
    a migration may reference what its app's migrations depend on)."""
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, owners), key=len)[::-1]) + r")\b")
    found: dict[str, set[str]] = {}
    for path, source in sorted(sources.items()):
        if is_migration(path):
            continue
        app = app_of(path)
        for text in _strings(ast.parse(source, filename=path)):
            if not SQL_WORDS.search(text):
                continue
            for match in pattern.finditer(text):
                if owners[match.group(1)] != app:
                    found.setdefault(path, set()).add(match.group(1))
    return found


VIEW_NAME = re.compile(r"\b([a-z]+)_v_[a-z0-9_]+\b")


def declared_views(sources: Sources) -> dict[str, str]:
    """View name → owning app, from each app's `read_views.py` (its read contract):
    the string constants of its module-level `VIEWS` tuple."""
    owners: dict[str, str] = {}
    for path, source in sources.items():
        if not path.endswith("/read_views.py"):
            continue
        for node in ast.parse(source, filename=path).body:
            targets = node.targets if isinstance(node, ast.Assign) else []
            if any(isinstance(t, ast.Name) and t.id == "VIEWS" for t in targets):
                assert isinstance(node, ast.Assign)
                for item in ast.walk(node.value):
                    if isinstance(item, ast.Constant) and isinstance(item.value, str):
                        owners[item.value] = app_of(path)
    return owners


def undeclared_views(sources: Sources, views: Mapping[str, str]) -> dict[str, set[str]]:
    """File → the `<app>_v_<name>` views of another app its SQL strings name that the
    owner does not declare in its read contract (a view is how an app offers its tables
    to a reporting app; reading one the owner does not list is reading its tables)."""
    found: dict[str, set[str]] = {}
    for path, source in sorted(sources.items()):
        if is_migration(path):
            continue
        app = app_of(path)
        for text in _strings(ast.parse(source, filename=path)):
            if not SQL_WORDS.search(text):
                continue
            for match in VIEW_NAME.finditer(text):
                name, owner = match.group(0), match.group(1)
                if owner != app and views.get(name) != owner:
                    found.setdefault(path, set()).add(name)
    return found


# --- sizes -------------------------------------------------------------------------


def _sized(path: str) -> bool:
    """Migrations and demo data are exempt from the size limits."""
    name = path.rsplit("/", 1)[-1]
    return not is_migration(path) and name not in {"demo.py", "demo_data.py"}


def long_modules(sources: Sources, limit: int) -> dict[str, int]:
    return {
        path: n
        for path, source in sources.items()
        if _sized(path) and (n := len(source.splitlines())) > limit
    }


def _functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, ast.AST]]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = f"{prefix}{node.name}"
            if not isinstance(node, ast.ClassDef):
                yield name, node
            yield from _functions(node, f"{name}.")


def long_functions(sources: Sources, limit: int) -> dict[str, int]:
    """`path::Qualified.name` → lines, from `def` to the last line of the body."""
    found = {}
    for path, source in sources.items():
        if not _sized(path):
            continue
        for name, node in _functions(ast.parse(source, filename=path)):
            assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            if lines > limit:
                found[f"{path}::{name}"] = lines
    return found


HANDLER_DECORATORS = {"get", "post", "put", "patch", "delete", "route", "websocket"}


def _is_handler(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name in HANDLER_DECORATORS:
            return True
    return False


def handler_body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of the body after the docstring."""
    body = node.body
    if (
        len(body) > 1
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]
    return (node.end_lineno or node.lineno) - body[0].lineno + 1


def long_handlers(sources: Sources, limit: int) -> dict[str, int]:
    """`path::Controller.handler` → body lines, for Litestar route handlers."""
    found = {}
    for path, source in sources.items():
        if not _sized(path):
            continue
        for name, node in _functions(ast.parse(source, filename=path)):
            assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            if _is_handler(node) and (lines := handler_body_lines(node)) > limit:
                found[f"{path}::{name}"] = lines
    return found


# --- controllers catch no domain error ----------------------------------------------


def is_controller(path: str) -> bool:
    """A module of an app's web layer: `*/controllers/*.py` (or a `controllers*.py`)."""
    return "/controllers/" in path or path.rsplit("/", 1)[-1].startswith("controllers")


def _last_name(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def domain_errors(sources: Sources, root: str = "DomainError") -> set[str]:
    """`root` and the names of every class deriving from it (by base name, through any
    module), and module-level aliases of them (`CursorInvalid = inputs.InputInvalid`)."""
    parents: dict[str, set[str]] = {}
    for path, source in sources.items():
        for node in ast.walk(ast.parse(source, filename=path)):
            if isinstance(node, ast.ClassDef):
                parents.setdefault(node.name, set()).update(map(_last_name, node.bases))
            elif isinstance(node, ast.Assign) and _last_name(node.value):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        parents.setdefault(target.id, set()).add(_last_name(node.value))
    names = {root}
    while grown := {n for n, bases in parents.items() if n not in names and bases & names}:
        names |= grown
    return names


def caught_in_controllers(sources: Sources, errors: set[str]) -> dict[str, set[str]]:
    """Controller module → the domain errors it catches itself (`Name:line`): in an
    `except` clause or a `suppress(...)`. They belong to the one error mapping
    (market/web/errors.py, market/web/form_errors.py)."""
    found: dict[str, set[str]] = {}
    for path, source in sorted(sources.items()):
        if not is_controller(path):
            continue
        for node in ast.walk(ast.parse(source, filename=path)):
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
            elif isinstance(node, ast.Call) and _last_name(node.func) == "suppress":
                caught = node.args
            else:
                continue
            for name in map(_last_name, caught):
                if name in errors:
                    found.setdefault(path, set()).add(f"{name}:{node.lineno}")
    return found


def ratchet_problems(current: Mapping[str, int], baseline: Mapping[str, int]) -> list[str]:
    """New offenders, offenders grown past their baseline, and stale baseline entries."""
    problems = []
    for key, n in sorted(current.items()):
        if key not in baseline:
            problems.append(f"new: {key} ({n} lines)")
        elif n > baseline[key]:
            problems.append(f"grew: {key} ({baseline[key]} → {n} lines)")
    for key in sorted(set(baseline) - set(current)):
        problems.append(f"stale baseline entry (fixed? remove it): {key}")
    return problems


def set_ratchet_problems(
    current: Mapping[str, set[str]], baseline: Mapping[str, set[str]]
) -> list[str]:
    problems = []
    for path in sorted(set(current) | set(baseline)):
        now, allowed = current.get(path, set()), baseline.get(path, set())
        for table in sorted(now - allowed):
            problems.append(f"new: {path} names {table} in SQL")
        for table in sorted(allowed - now):
            problems.append(f"stale baseline entry (fixed? remove it): {path} → {table}")
    return problems


if __name__ == "__main__":  # print today's offenders, baseline-shaped
    sources = load_sources()
    print(
        "SQL_BASELINE =",
        {p: sorted(t) for p, t in cross_app_sql(sources, declared_tables(sources)).items()},
    )
    print("MODULES =", dict(sorted(long_modules(sources, 400).items())))
    print("FUNCTIONS =", dict(sorted(long_functions(sources, 60).items())))
    print("HANDLERS =", dict(sorted(long_handlers(sources, 15).items())))
    print("CAUGHT =", caught_in_controllers(sources, domain_errors(sources)))
