"""The script engine diagrams run in: RestrictedPython instead of SpiffWorkflow's bare exec/eval.

A diagram published by a process owner may hold script tasks and gateway conditions. RestrictedPython's compiler
refuses imports, dunder attribute access and unsafe builtins (no `open`, `__import__`, `eval`); a line budget stops
scripts that loop forever. Compiled code is cached per source text, so a condition evaluated on every case costs a
dictionary lookup, not a compile.
"""
from __future__ import annotations

import ast
import sys
import time
from functools import lru_cache
from typing import Any, Callable

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, limited_builtins, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

SCRIPT_FILENAME = "<bpmn-script>"
MAX_LINES = 100_000  # lines a single script or condition may execute
MAX_SECONDS = 2.0


class ScriptRejected(Exception):
    """The script breaks the sandbox's rules (compile time) or its budget (run time)."""


def _safe_builtins() -> dict[str, Any]:
    allowed = dict(safe_builtins)
    allowed.update(limited_builtins)  # range() capped in length
    for name in ("sum", "min", "max", "any", "all", "len", "sorted", "enumerate", "zip", "list", "dict", "set",
                 "map", "filter", "reversed"):
        allowed[name] = __builtins__[name] if isinstance(__builtins__, dict) else getattr(__builtins__, name)
    return allowed


_BUILTINS = _safe_builtins()
#: Names every script and expression may read without the case providing them.
BUILTIN_NAMES = frozenset(_BUILTINS) | {"True", "False", "None"}
_GUARDS = {
    "__builtins__": _BUILTINS,
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_write_": full_write_guard,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_inplacevar_": lambda op, x, y: _INPLACE[op](x, y),
}
_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": lambda x, y: x + y, "-=": lambda x, y: x - y, "*=": lambda x, y: x * y,
    "/=": lambda x, y: x / y, "//=": lambda x, y: x // y, "%=": lambda x, y: x % y,
}


def _refuse_imports(source: str) -> None:
    # RestrictedPython compiles `import x` and only fails it when run; a published diagram should fail at once.
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return  # the restricted compiler reports syntax errors itself
    if any(isinstance(node, (ast.Import, ast.ImportFrom)) for node in ast.walk(tree)):
        raise ScriptRejected("Không được import module trong kịch bản.")


@lru_cache(maxsize=2048)
def compile_expression(source: str):
    result = compile_restricted_eval(source, SCRIPT_FILENAME)
    if result.errors:
        raise ScriptRejected("; ".join(result.errors))
    return result.code


@lru_cache(maxsize=2048)
def compile_script(source: str):
    _refuse_imports(source)
    result = compile_restricted_exec(source, SCRIPT_FILENAME)
    if result.errors:
        raise ScriptRejected("; ".join(result.errors))
    return result.code


class _Budget:
    """A trace function that counts the lines a script executes and stops it past the budget."""

    def __init__(self):
        self.lines = 0
        self.started = time.monotonic()

    def __call__(self, frame, event, arg):
        if frame.f_code.co_filename != SCRIPT_FILENAME:
            return None
        return self._line

    def _line(self, frame, event, arg):
        if event == "line":
            self.lines += 1
            if self.lines > MAX_LINES or (self.lines % 1000 == 0 and time.monotonic() - self.started > MAX_SECONDS):
                raise ScriptRejected("Kịch bản chạy quá giới hạn cho phép (vòng lặp vô hạn?)")
        return self._line


def _run_limited(code, namespace: dict) -> Any:
    previous = sys.gettrace()
    sys.settrace(_Budget())
    try:
        return eval(code, namespace)  # noqa: S307 - code comes from RestrictedPython's compiler
    finally:
        sys.settrace(previous)


class RestrictedEnvironment(TaskDataEnvironment):
    """Same data semantics as SpiffWorkflow's TaskDataEnvironment, restricted compile and execution."""

    def evaluate(self, expression, context, external_context=None):
        namespace = {**_GUARDS, **self.globals, **(external_context or {}), **context}
        return _run_limited(compile_expression(expression), namespace)

    def execute(self, script, context, external_context=None):
        self.check_for_overwrite(context, external_context or {})
        context.update({**_GUARDS, **self.globals, **(external_context or {})})
        try:
            _run_limited(compile_script(script), context)
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
            for name in _GUARDS:
                context.pop(name, None)
        return True


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
