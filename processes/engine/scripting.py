"""The script engine diagrams run in: RestrictedPython, under a CPU and memory budget, instead of SpiffWorkflow's
bare exec/eval.

A diagram published by a process owner may hold script tasks, gateway conditions and timer expressions.
RestrictedPython's compiler (`restricted.py`) refuses imports, dunder attribute access and unsafe builtins. The
budget comes from where the code runs:

- **bounded code runs here.** Most conditions and scripts are a comparison or one call of an application function
  (`council_decision == 'return'`, `receiving_level = dossier_level(nominees, award_levels)`). Code of at
  most 200 syntax nodes (statements that read no earlier statement's result) made only of names, constants, comparisons, `and`/`or`/`not`, `-`, indexing, literal
  displays and calls of a few cheap builtins (`len`, `str`, `min`…), a few cheap methods (`get`, `lower`…) or the
  application's functions does work in proportion to its data — no loop, no `**`, no `*`, no `+` copying — so it is
  compiled once and evaluated in this process, for the cost of an `eval` (microseconds).
- **everything else runs in the sandbox's worker processes** (`sandbox.py`): loops, comprehensions, `**`, `*`,
  `%`… there a wall-clock deadline kills it, RLIMIT_CPU and RLIMIT_AS bound it, and it raises `ScriptRejected` —
  the step fails, the case gets the incident, the request or timer worker goes on. Application functions called
  from there run here, asked for over the pipe.
"""
from __future__ import annotations

import ast
from functools import lru_cache
from typing import Any, Callable

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from . import sandbox
from .restricted import GUARDS, SCRIPT_FILENAME, ScriptRejected, compile_expression, compile_script  # noqa: F401

#: Names every script and expression may read without the case providing them (the diagram validator's list).
BUILTIN_NAMES = frozenset(GUARDS["__builtins__"]) | {"True", "False", "None"}

# Builtins whose cost follows the size of their arguments (round, pow, range, ljust… do not: round(5, -10**9)).
CHEAP_BUILTINS = frozenset({"len", "str", "int", "float", "bool", "abs", "min", "max", "any", "all", "sorted",
                            "list", "tuple", "set", "dict", "sum"})
MAX_BOUNDED_NODES = 200
CHEAP_METHODS = frozenset({"get", "keys", "values", "items", "lower", "upper", "strip", "lstrip", "rstrip",
                           "startswith", "endswith", "isdigit", "casefold", "split", "join", "count", "index"})
_BOUNDED_NODES = (
    ast.Module, ast.Expression, ast.Expr, ast.Assign, ast.Name, ast.Load, ast.Store, ast.Constant,
    ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In, ast.NotIn,
    ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.BinOp, ast.Sub,
    ast.IfExp, ast.Subscript, ast.Slice, ast.Attribute, ast.Tuple, ast.List, ast.Dict, ast.Set, ast.Call,
    ast.keyword,
)


def is_bounded(source: str, function_names, *, expression: bool) -> bool:
    """Whether the code's cost is bounded by its data (no loop, no power or repetition, only cheap calls), so it
    may run in this process without a budget."""
    try:
        tree = ast.parse(source, mode="eval" if expression else "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    if not expression and _reads_earlier_results(tree.body):
        return False  # `a = [x, x]; b = [a, a]; …`: each statement doubles what the next one reads
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_BOUNDED_NODES:
        return False
    for node in nodes:
        if not isinstance(node, _BOUNDED_NODES):
            return False
        if isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Sub):  # `x + x` copies; `-` never grows
            return False
        if isinstance(node, ast.Assign) and not all(isinstance(t, ast.Name) for t in node.targets):
            return False
        if isinstance(node, ast.Call) and not _cheap_call(node, function_names):
            return False
    return True


def _reads_earlier_results(statements) -> bool:
    """Whether a statement reads a name an earlier statement of the same script assigned (statements that each read
    only the task's data stay linear in it; a chain of them can double it at every step)."""
    assigned: set[str] = set()
    for statement in statements:
        if any(isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in assigned
               for n in ast.walk(statement)):
            return True
        assigned.update(n.id for n in ast.walk(statement) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    return False


def _cheap_call(node: ast.Call, function_names) -> bool:
    if any(isinstance(arg, ast.Starred) for arg in node.args) or any(k.arg is None for k in node.keywords):
        return False
    func = node.func
    if isinstance(func, ast.Name):
        if func.id == "sum":  # sum(lists, []) is quadratic; sum of numbers is not
            return len(node.args) == 1 and not node.keywords
        return func.id in CHEAP_BUILTINS or func.id in function_names
    return isinstance(func, ast.Attribute) and func.attr in CHEAP_METHODS


@lru_cache(maxsize=4096)
def _plan(source: str, function_names: frozenset, expression: bool):
    """(code, True) for bounded code compiled to run here; (None, False) for code the sandbox runs. Compiling here
    first reports what RestrictedPython refuses the same way on both paths."""
    code = (compile_expression if expression else compile_script)(source)
    if is_bounded(source, function_names, expression=expression):
        return code, True
    return None, False


class RestrictedEnvironment(TaskDataEnvironment):
    """Same data semantics as SpiffWorkflow's TaskDataEnvironment; restricted compile, budgeted execution."""

    def __init__(self, environment_globals=None, pool: sandbox.SandboxPool | None = None):
        super().__init__(environment_globals)
        self.pool = pool or sandbox.POOL

    def evaluate(self, expression, context, external_context=None):
        outer = external_context or {}
        code, here = _plan(expression, self._names(outer), True)
        if here:
            return eval(code, {**GUARDS, **self.globals, **outer, **context})  # noqa: S307 - restricted, bounded
        functions, outer_data = self._split(outer)
        return self.pool.run("eval", expression, _data(context), outer_data, functions)

    def execute(self, script, context, external_context=None):
        outer = external_context or {}
        self.check_for_overwrite(context, outer)
        code, here = _plan(script, self._names(outer), False)
        if here:
            context.update({**GUARDS, **self.globals, **outer})
            try:
                exec(code, context)  # noqa: S102 - restricted, bounded
            finally:
                self._remove_globals_and_functions_from_context(context, outer)
                for name in GUARDS:
                    context.pop(name, None)
            check_data_size(context)
            return True
        functions, outer_data = self._split(outer)
        result = self.pool.run("exec", script, _data(context), outer_data, functions)
        check_data_size(result)
        context.clear()
        context.update(result)
        return True

    def _names(self, outer: dict) -> frozenset:
        return frozenset(self.globals) | frozenset(k for k, v in outer.items() if callable(v))

    def _split(self, outer: dict) -> tuple[dict[str, Callable], dict]:
        functions = {k: v for k, v in {**self.globals, **outer}.items() if callable(v)}
        return functions, {k: v for k, v in outer.items() if not callable(v)}


MAX_DATA_NODES = 200_000  # values in a case's data as saved (shared references counted every time they appear)
MAX_DATA_CHARS = 16 * 1024 * 1024


def check_data_size(context: dict) -> None:
    """Refuse task data a script made too big to save: counted as JSON would write it, so a structure that shares
    references (`b = [a, a]` a few dozen times over) counts at its expanded size — without expanding it."""
    nodes, chars, stack = 0, 0, [context]
    while stack:
        item = stack.pop()
        nodes += 1
        if isinstance(item, dict):
            stack.extend(item.values())
            chars += sum(len(k) for k in item if isinstance(k, str))
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif isinstance(item, (str, bytes)):
            chars += len(item)
        if nodes > MAX_DATA_NODES or chars > MAX_DATA_CHARS:
            raise ScriptRejected("Kịch bản tạo ra dữ liệu quá lớn để lưu hồ sơ nên đã bị dừng.")


def _data(context: dict) -> dict:
    return {k: v for k, v in context.items() if not callable(v)}


def make_script_engine(functions: dict[str, Callable] | None = None) -> PythonScriptEngine:
    return PythonScriptEngine(environment=RestrictedEnvironment(dict(functions or {})))


def check_source(source: str, *, expression: bool) -> str | None:
    """Compile-time check used when a diagram is published; returns the error text or None."""
    try:
        (compile_expression if expression else compile_script)(source)
    except ScriptRejected as exc:
        return str(exc)
    except SyntaxError as exc:
        return str(exc)
    return None
