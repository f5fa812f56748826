"""Read a submission's source, in the grader: does the learner's function use the library?

An exercise that asks for the learner's own code is not answered by calling the library's
version of it. The grader decides this from the notebook's code cells, never from the
learner's kernel: :func:`library_use` finds the function's definition (its last top-level
binding), follows every name it reaches (helpers and classes of the notebook, imports and
aliases such as ``import gflow_lib as g`` or ``from gflow_lib import X as Y``, top-level
assignments, decorators and default values), and returns why the function gets no points, or
None:

* it reaches a forbidden name of ``gflow_lib``: with ``Check.no_library`` any name of the
  library, else the names of ``Check.forbidden``; ``gflow_lib.checks`` (the references) always;
* it does something whose reach cannot be read from the source: ``exec``, ``eval``,
  ``compile``, ``__import__``, ``globals()``, ``getattr`` with a computed name, modules that
  reach other modules (``importlib``, ``sys``, ``gc``, ``inspect``, ...), dunder attributes, a
  name the notebook never binds where the grader can read it;
* the notebook replaces an attribute of a module (``json.dumps = ...``, ``setattr(np, ...)``,
  ``sys.modules[...]``) or rebinds names with ``global``.

This reads the code as written; it is not a sandbox (the kernel's limits and the grader's
process boundary are, see tools/grade.py).
"""

from __future__ import annotations

import ast
import builtins
import importlib
import importlib.util
import re
import sys

# modules a learner's function may reach: numbers and small standard helpers
ALLOWED_MODULES = ("numpy", "scipy", "math", "cmath", "functools", "itertools", "operator",
                   "collections", "numbers", "typing", "dataclasses", "fractions", "decimal",
                   "statistics", "warnings", "copy", "gflow_lib", "matplotlib")
# builtins a learner's function may not call or name
DYNAMIC = {"exec", "eval", "compile", "__import__", "globals", "locals", "vars", "breakpoint",
           "open", "input", "help", "memoryview", "__builtins__", "__loader__", "__spec__",
           "delattr", "setattr", "exit", "quit", "get_ipython", "dir"}
HARMLESS_DUNDERS = {"__name__", "__doc__", "__class__", "__init__", "__call__", "__len__",
                    "__qualname__", "__array__", "__future__"}
EXTRA_GLOBALS = {"display"}  # names IPython defines in the notebook

_MAX_DEPTH = 50


class Unreadable(Exception):
    """The function's reach cannot be read from the source."""


def cells_source(nb) -> list[str]:
    """The code cells of a notebook as Python (IPython magics turned into calls)."""
    from IPython.core.inputtransformer2 import TransformerManager

    tm = TransformerManager()
    out = []
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        try:
            out.append(tm.transform_cell(str(cell.get("source", ""))))
        except Exception:  # a cell IPython cannot read does not run either
            continue
    return out


def _parse(sources):
    trees = []
    for src in sources:
        try:
            trees.append(ast.parse(src))
        except (SyntaxError, ValueError):  # such a cell does not run in the kernel either
            continue
    return trees


def _dotted(node) -> list[str] | None:
    """``a.b.c`` as ["a", "b", "c"], or None for another expression."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(parts)]
    return None


def _top_statements(body):
    """Statements run at the top level, also inside if/for/while/with/try blocks."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for field in ("body", "orelse", "finalbody"):
            yield from _top_statements(getattr(stmt, field, []) or [])
        for handler in getattr(stmt, "handlers", []) or []:
            yield from _top_statements(handler.body)
        for case in getattr(stmt, "cases", []) or []:
            yield from _top_statements(case.body)


def _target_names(target):
    """Names an assignment target binds (``a``, ``a, b``, ``*a``), not the bases of
    ``a.x = ...`` or ``a[k] = ...``."""
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            yield from _target_names(elt)
    elif isinstance(target, ast.Starred):
        yield from _target_names(target.value)


class Notebook:
    """The top-level bindings of a notebook's code cells, in the order they run."""

    def __init__(self, sources):
        self.trees = _parse(sources)
        self.bindings: dict[str, tuple] = {}
        self.stars: list[str] = []
        self.patches: list[str] = []  # what the notebook replaces in modules, as written
        self.rebound: set[str] = set()  # names some function declares global
        for tree in self.trees:
            for stmt in _top_statements(tree.body):
                self._bind(stmt)
            for node in ast.walk(tree):
                if isinstance(node, ast.Global):
                    self.rebound.update(node.names)

    def _bind(self, stmt):
        b = self.bindings
        if isinstance(stmt, ast.Import):
            for a in stmt.names:
                if a.asname:
                    b[a.asname] = ("module", a.name)
                else:
                    top = a.name.split(".")[0]
                    b[top] = ("module", top)
        elif isinstance(stmt, ast.ImportFrom):
            base = "." * stmt.level + (stmt.module or "")
            for a in stmt.names:
                if a.name == "*":
                    self.stars.append(base)
                else:
                    b[a.asname or a.name] = ("module", f"{base}.{a.name}")
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            b[stmt.name] = ("def", stmt)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            value = stmt.value
            for t in targets:
                if isinstance(t, ast.Name) and value is not None:
                    b[t.id] = ("expr", value) if not isinstance(stmt, ast.AugAssign) else (
                        "expr", ast.BinOp(left=ast.Name(t.id, ast.Load()), op=stmt.op,
                                          right=value))
                    continue
                for name in _target_names(t):
                    b[name] = ("expr", value if value is not None else t)
                if isinstance(t, ast.Attribute):
                    self._patch(t, ast.unparse(t))
                if isinstance(t, ast.Subscript) and _dotted(t.value) and _dotted(
                        t.value)[-1] in ("modules", "__dict__", "__builtins__"):
                    self.patches.append(ast.unparse(t))
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            for name in _target_names(stmt.target):
                b[name] = ("expr", stmt.iter)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                if item.optional_vars is not None:
                    for name in _target_names(item.optional_vars):
                        b[name] = ("expr", item.context_expr)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            fn = _dotted(stmt.value.func)
            if fn and fn[-1] in ("setattr", "delattr") and stmt.value.args:
                self._patch(stmt.value.args[0], ast.unparse(stmt.value))
        for node in ast.walk(stmt) if not isinstance(
                stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else ():
            if isinstance(node, ast.NamedExpr):
                b[node.target.id] = ("expr", node.value)

    def _patch(self, target, text):
        """Record an assignment to an attribute of a module (or of builtins)."""
        parts = _dotted(target.value if isinstance(target, ast.Attribute) else target)
        if not parts:
            return
        kind = self.bindings.get(parts[0])
        if parts[0] in ("builtins", "__builtins__", "sys") or (kind and kind[0] == "module"):
            self.patches.append(text)


class _Reach:
    """What a function reaches: library paths, and the first unreadable thing."""

    def __init__(self, nb: Notebook):
        self.nb = nb
        self.paths: set[str] = set()
        self.seen: set[int] = set()

    # -- names ------------------------------------------------------------------------------
    def name(self, name: str, rest: list[str], depth: int):
        if depth > _MAX_DEPTH:
            raise Unreadable("code nested too deeply to read")
        if name in self.nb.rebound:
            raise Unreadable(f"the name {name} is rebound with a global statement")
        binding = self.nb.bindings.get(name)
        if binding is None:
            if name in DYNAMIC:
                raise Unreadable(f"{name}")
            if hasattr(builtins, name) or name in EXTRA_GLOBALS:
                return
            star = self._star(name)
            if star is not None:
                self.module(f"{star}.{name}", rest)
                return
            raise Unreadable(f"the name {name}, which the notebook does not define where the "
                             "grader can read it")
        kind, value = binding
        if kind == "module":
            self.module(value, rest)
        elif kind == "expr" and _dotted(value) and _dotted(value)[0] != name:
            parts = _dotted(value)  # an alias: ``alias = g.flow``
            self.name(parts[0], [*parts[1:], *rest], depth + 1)
        elif id(value) not in self.seen:
            self.seen.add(id(value))
            self.node(value, depth + 1)

    def _star(self, name):
        for mod in reversed(self.nb.stars):
            top = mod.split(".")[0]
            if top not in ALLOWED_MODULES:
                continue
            try:
                module = importlib.import_module(mod) if top != "gflow_lib" else sys.modules.get(
                    mod) or importlib.import_module(mod)
            except Exception:
                continue
            exported = getattr(module, "__all__", None) or [
                n for n in dir(module) if not n.startswith("_")]
            if name in exported:
                return mod
        return None

    def module(self, path: str, rest: list[str]):
        """A dotted path reached through an import: library paths are kept; other modules
        must be among the allowed ones."""
        if path.startswith("."):
            raise Unreadable(f"a relative import ({path})")
        full = ".".join([path, *rest])
        top = path.split(".")[0]
        if top not in ALLOWED_MODULES:
            raise Unreadable(f"the module {top}, which this exercise does not need")
        for part in rest:
            if part.startswith("__") and part not in HARMLESS_DUNDERS:
                raise Unreadable(f"the attribute {part}")
        if top == "gflow_lib":
            self.paths.add(full)

    # -- code ---------------------------------------------------------------------------------
    def node(self, tree, depth: int = 0):
        local = _locals(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr.startswith("__") and (
                    node.attr not in HARMLESS_DUNDERS):
                raise Unreadable(f"the attribute {node.attr}")
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                if "gflow" in text or re.fullmatch(r"__\w+__", text.strip()):
                    raise Unreadable(f"the string {text[:30]!r}")
            if isinstance(node, ast.Call):
                fn = _dotted(node.func)
                if fn and fn[-1] in ("getattr", "hasattr") and not (
                        len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)):
                    raise Unreadable("getattr with a computed attribute name")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for a in node.names:
                    if isinstance(node, ast.ImportFrom):
                        base = "." * node.level + (node.module or "")
                        if a.name == "*":
                            raise Unreadable("a star import inside a function")
                        self.module(base, [a.name])
                    else:
                        self.module(a.name, [])
            if isinstance(node, ast.Global):
                raise Unreadable("a global statement")
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and (
                    node.id not in local):
                self.name(node.id, [], depth)
            elif isinstance(node, ast.Attribute):
                parts = _dotted(node)
                if parts and parts[0] not in local:
                    self.name(parts[0], parts[1:], depth)
            elif isinstance(node, ast.Call) and _dotted(node.func) and _dotted(
                    node.func)[-1] == "getattr" and len(node.args) >= 2 and isinstance(
                    node.args[1], ast.Constant):
                base = _dotted(node.args[0])
                if base and base[0] not in local:
                    self.name(base[0], [*base[1:], str(node.args[1].value)], depth)


def _locals(tree) -> set[str]:
    """Names bound inside a function, lambda or class (parameters, assignments, loops,
    comprehensions, imports, except and with targets), nested scopes included."""
    if not isinstance(tree, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
        out = set()
        for node in ast.walk(tree):  # comprehensions and lambdas inside an expression
            if isinstance(node, (ast.Lambda, ast.comprehension)):
                out |= _locals(node) if isinstance(node, ast.Lambda) else set(
                    _target_names(node.target))
        return out
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.arg):
            out.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            out.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and (
                node is not tree):
            out.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            out.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            out.add(node.name)
    return out


def _objects(paths):
    """The library objects of dotted paths (an attribute walk from the imported modules), each
    with its path; a path that does not resolve keeps its text."""
    out = []
    for path in paths:
        parts = path.split(".")
        obj, ok = None, False
        for k in range(len(parts), 0, -1):
            mod = sys.modules.get(".".join(parts[:k]))
            if mod is None:
                try:
                    mod = importlib.import_module(".".join(parts[:k]))
                except Exception:
                    continue
            obj, ok = mod, True
            for attr in parts[k:]:
                try:
                    obj = getattr(obj, attr)
                except Exception:
                    ok = False
                    break
            break
        out.append((path, obj if ok else None))
    return out


def _qualified(obj) -> str:
    if hasattr(obj, "__name__") and type(obj).__name__ == "module":
        return obj.__name__
    return f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}"


def forbidden_paths(paths, no_library: bool, forbidden=()) -> list[str]:
    """The paths of ``paths`` that are the answer of the exercise: any (``no_library``), those
    whose objects are among ``forbidden`` (re-exports included), and gflow_lib.checks."""
    banned = {id(obj) for _, obj in _objects(forbidden) if obj is not None}
    bad = []
    for path, obj in _objects(sorted(paths)):
        where = _qualified(obj) if obj is not None else path
        if (no_library or path.startswith("gflow_lib.checks") or where.startswith(
                "gflow_lib.checks") or (obj is not None and id(obj) in banned)
                or any(path == f or path.startswith(f + ".") for f in forbidden)):
            bad.append(path)
    return bad


def library_use(sources, function: str, no_library: bool, forbidden=()) -> str | None:
    """Why the learner's ``function`` gets no points, read from the notebook's code cells
    ``sources``, or None when it does not reach a forbidden name of gflow_lib and its reach
    can be read. A function the notebook does not define is left to the kernel (None)."""
    nb = Notebook(sources)
    if nb.patches:
        what = _clean(nb.patches[0])
        return (f"the notebook replaces {what}; a submission may not change the modules that "
                "run it, so this exercise gets no points")
    binding = nb.bindings.get(function)
    if binding is None:
        return None
    reach = _Reach(nb)
    try:
        reach.name(function, [], 0)
    except Unreadable as exc:
        return (f"the grader cannot tell what your function {function} computes with: it uses "
                f"{_clean(str(exc))}. Write it with NumPy (and SciPy) only, as the exercise "
                "asks")
    bad = forbidden_paths(reach.paths, no_library, forbidden)
    if bad:
        name = _clean(max(bad, key=len).removeprefix("gflow_lib."))
        if no_library:
            return ("this exercise asks you to write the computation yourself with NumPy (and "
                    f"SciPy), but your function uses {name} from gflow_lib, the library whose "
                    "code you are rebuilding here")
        return (f"your function uses {name} from gflow_lib, which computes the answer of this "
                "exercise; write that part yourself")
    return None


def _clean(text: str, limit: int = 80) -> str:
    """Printable characters only, at most ``limit`` of them."""
    text = "".join(c if c.isprintable() else "?" for c in str(text))
    return text if len(text) <= limit else text[: limit - 3] + "..."
