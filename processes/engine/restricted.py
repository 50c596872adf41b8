"""RestrictedPython's compiler and guards, shared by the request process and the sandbox's worker processes.

RestrictedPython refuses imports, dunder attribute access and unsafe builtins (no `open`, `__import__`, `eval`) at
compile time; its guards check attribute, item and iteration access at run time. What it cannot bound — CPU time and
memory — is the sandbox's job (`sandbox.py`, `sandbox_child.py`).
"""
from __future__ import annotations

import ast
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

SCRIPT_FILENAME = "<bpmn-script>"


class ScriptRejected(Exception):
    """The script breaks the sandbox's rules (compile time) or its budget (run time)."""


def _safe_builtins() -> dict[str, Any]:
    allowed = dict(safe_builtins)
    allowed.update(limited_builtins)  # range() capped in length
    for name in ("sum", "min", "max", "any", "all", "len", "sorted", "enumerate", "zip", "list", "dict", "set",
                 "map", "filter", "reversed"):
        allowed[name] = __builtins__[name] if isinstance(__builtins__, dict) else getattr(__builtins__, name)
    return allowed


BUILTINS = _safe_builtins()
_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": lambda x, y: x + y, "-=": lambda x, y: x - y, "*=": lambda x, y: x * y,
    "/=": lambda x, y: x / y, "//=": lambda x, y: x // y, "%=": lambda x, y: x % y,
}
GUARDS = {
    "__builtins__": BUILTINS,
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_write_": full_write_guard,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_inplacevar_": lambda op, x, y: _INPLACE[op](x, y),
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


def compile_source(source: str, *, expression: bool):
    return (compile_expression if expression else compile_script)(source)
