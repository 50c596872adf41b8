"""The sandbox's worker process: runs one diagram script or condition at a time under CPU and memory limits.

Started by `sandbox.py` as `python -I -c …` with an empty environment (no database address, no secret in reach),
it reads requests from stdin and answers on stdout, each a length-prefixed pickle:

    request  ("eval" | "exec", source, context, outer, function_names, cpu_seconds)
    answer   ("ok", value or new context) | ("error", exception type name, message)
    callback ("call", name, args, kwargs) → the parent runs the application's function and answers
             ("ret", value) | ("raise", exception type name, message)

The application's functions (working days, award levels…) run in the parent, on its clock and data; here they are
stand-ins that ask for them. Limits: the address space is capped at start (a list of 10⁸ elements is a
MemoryError here, not in the web worker), and before each request the soft CPU limit is set a little above the
time used so far, so a computation the parent failed to stop is ended by the kernel (SIGXCPU). The parent's
wall-clock deadline is the first line: it kills this process and starts another.
"""
from __future__ import annotations

import math
import os
import pickle
import resource
import struct
import sys
import types

from processes.engine.restricted import GUARDS, ScriptRejected, compile_source

_HEADER = struct.Struct("!I")
MAX_ANSWER_BYTES = 16 * 1024 * 1024  # a script's result bigger than this is refused, not sent


def _read_exactly(fd: int, size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(fd, size)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


class _Channel:
    def __init__(self, read_fd: int, write_fd: int):
        self.read_fd, self.write_fd = read_fd, write_fd

    def receive(self):
        (size,) = _HEADER.unpack(_read_exactly(self.read_fd, _HEADER.size))
        return pickle.loads(_read_exactly(self.read_fd, size))

    def send(self, message) -> None:
        payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        if len(payload) > MAX_ANSWER_BYTES:
            payload = pickle.dumps(("error", "ScriptRejected", "Kết quả của kịch bản quá lớn."))
        data = _HEADER.pack(len(payload)) + payload
        while data:
            data = data[os.write(self.write_fd, data):]


class _Remote:
    """Stands for one of the application's functions; calling it asks the parent to run it."""

    def __init__(self, channel: _Channel, name: str):
        self.channel, self.name = channel, name

    def __call__(self, *args, **kwargs):
        self.channel.send(("call", self.name, args, kwargs))
        answer = self.channel.receive()
        if answer[0] == "ret":
            return answer[1]
        raise _exception(answer[1], answer[2])


_PLAIN_ERRORS = {cls.__name__: cls for cls in (
    ArithmeticError, AttributeError, IndexError, KeyError, LookupError, NameError, OverflowError, RecursionError,
    TypeError, ValueError, ZeroDivisionError, UnicodeError)}


def _exception(name: str, message: str) -> Exception:
    return _PLAIN_ERRORS.get(name, ScriptRejected)(message)


def _limit_memory(megabytes: int) -> None:
    # RLIMIT_AS counts address space, mapped libraries included: allow the interpreter as it is now plus the budget.
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            current = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        current = 256 * 1024 * 1024
    limit = current + megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _limit_cpu(seconds: float) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + seconds) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _strip(context: dict, outer: dict, function_names) -> dict:
    """What SpiffWorkflow keeps of a script's namespace: its data, without the globals, functions and modules."""
    for key in list(context):
        value = context[key]
        if (key in GUARDS or key in outer or key in function_names or callable(value)
                or isinstance(value, types.ModuleType)):
            del context[key]
    return context


def _run(channel: _Channel, request) -> tuple:
    kind, source, context, outer, function_names, cpu_seconds = request
    _limit_cpu(cpu_seconds)
    remote = {name: _Remote(channel, name) for name in function_names}
    code = compile_source(source, expression=(kind == "eval"))
    if kind == "eval":
        namespace = {**GUARDS, **remote, **outer, **context}
        return ("ok", eval(code, namespace))  # noqa: S307 - code from RestrictedPython's compiler
    context.update({**GUARDS, **remote, **outer})
    exec(code, context)  # noqa: S102 - code from RestrictedPython's compiler
    return ("ok", _strip(context, outer, set(function_names)))


def main() -> None:
    memory_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 256
    # the protocol keeps its own copies of the pipes; fd 1 goes nowhere, so nothing else can write on the channel
    channel = _Channel(os.dup(0), os.dup(1))
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    _limit_memory(memory_mb)
    channel.send(("ready",))  # the parent's deadline for a script starts after this process has started
    while True:
        try:
            request = channel.receive()
        except EOFError:
            return
        try:
            answer = _run(channel, request)
        except MemoryError:
            answer = ("error", "MemoryError", "Kịch bản dùng quá giới hạn bộ nhớ.")
        except EOFError:
            return
        except Exception as exc:  # noqa: BLE001 - every failure of the script goes back to the parent
            answer = ("error", type(exc).__name__, str(exc)[:2000])
        request = None
        try:
            channel.send(answer)
        except MemoryError:
            channel.send(("error", "MemoryError", "Kịch bản dùng quá giới hạn bộ nhớ."))
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            channel.send(("error", "TypeError", f"Kết quả của kịch bản không lưu được: {exc}"))


if __name__ == "__main__":
    main()
