"""A pool of worker processes that run diagram scripts and conditions under a CPU, wall-clock and memory budget.

Why processes: RestrictedPython decides *what* a script may touch, not how long it runs or how much it allocates.
`pow(9, 9**9)` or `9**9**8` is one C call no trace function or signal handler interrupts, and `[0] * 10**8` takes
800 MB at once; only a process of its own can be stopped (killed after `seconds` of wall-clock time, or by the
kernel at its CPU limit) and capped (RLIMIT_AS). The worker is started with an empty environment and keeps running
between requests, so a script costs one round trip over a pipe, not a process start (see docs/security.md for the
measured figures). A script that breaks the budget raises `ScriptRejected`: the caller's step fails — an incident
on that case — and the web or timer worker goes on; the worker process is replaced on the next request.
"""
from __future__ import annotations

import atexit
import io
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

from .restricted import ScriptRejected

_HEADER = struct.Struct("!I")
_ROOT = Path(__file__).resolve().parent.parent.parent
_BOOT = f"import sys; sys.path.insert(0, {str(_ROOT)!r}); from processes.engine import sandbox_child; sandbox_child.main()"
MAX_ANSWER_BYTES = 16 * 1024 * 1024
WAIT_FOR_WORKER_SECONDS = 10.0
START_SECONDS = 30.0  # a worker process starting on a loaded machine (its imports), not counted in a script's time


class _SafeUnpickler(pickle.Unpickler):
    """What a worker may send back: plain data, dates and decimals — never an object that runs code on load (the
    worker runs untrusted code; its answer must not be a way into this process)."""

    ALLOWED = {("datetime", "datetime"), ("datetime", "date"), ("datetime", "time"), ("datetime", "timedelta"),
               ("datetime", "timezone"), ("decimal", "Decimal"), ("zoneinfo", "ZoneInfo._unpickle"),
               ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "complex"), ("builtins", "slice"),
               ("builtins", "range"), ("collections", "OrderedDict")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise ScriptRejected(f"Kịch bản trả về kiểu dữ liệu không được phép: {module}.{name}")
        return super().find_class(module, name)


def _loads(payload: bytes):
    return _SafeUnpickler(io.BytesIO(payload)).load()


_PLAIN_ERRORS = {cls.__name__: cls for cls in (
    ArithmeticError, AttributeError, IndexError, KeyError, LookupError, NameError, OverflowError, RecursionError,
    TypeError, ValueError, ZeroDivisionError, UnicodeError)}


class _Worker:
    def __init__(self, memory_mb: int):
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-I", "-c", _BOOT, str(memory_mb)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={"LANG": "C.UTF-8"}, close_fds=True)
        self.read_fd = self.process.stdout.fileno()
        self.write_fd = self.process.stdin.fileno()

    def send(self, message) -> None:
        payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        data = _HEADER.pack(len(payload)) + payload
        while data:
            data = data[os.write(self.write_fd, data):]

    def _read(self, size: int, deadline: float) -> bytes:
        chunks = []
        while size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.read_fd], [], [], remaining)[0]:
                raise TimeoutError
            chunk = os.read(self.read_fd, min(size, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def receive(self, deadline: float):
        (size,) = _HEADER.unpack(self._read(_HEADER.size, deadline))
        if size > MAX_ANSWER_BYTES:
            raise ScriptRejected("Kết quả của kịch bản quá lớn.")
        return _loads(self._read(size, deadline))

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def close(self) -> None:
        try:
            self.process.stdin.close()  # the worker reads EOF and exits
        except OSError:
            pass


class SandboxPool:
    """Up to `size` worker processes; each request takes an idle one (or starts one) and gives it back."""

    def __init__(self, size: int = 2, seconds: float = 1.0, memory_mb: int = 256):
        self.size, self.seconds, self.memory_mb = size, seconds, memory_mb
        self._lock = threading.Condition()
        self._idle: list[_Worker] = []
        self._running = 0
        self._pid = os.getpid()
        self.started = 0  # worker processes started (tests and the bench read it)

    def run(self, kind: str, source: str, context: dict, outer: dict, functions: dict[str, Callable]) -> Any:
        worker = self._take()
        deadline = time.monotonic() + self.seconds
        healthy = False
        try:
            worker.send((kind, source, context, outer, sorted(functions), self.seconds))
            while True:
                answer = worker.receive(deadline)
                if answer[0] == "call":
                    worker.send(_call(functions, *answer[1:]))
                    continue
                healthy = True
                break
        except TimeoutError:
            raise ScriptRejected(f"Kịch bản chạy quá {self.seconds:g} giây nên đã bị dừng.") from None
        except (EOFError, BrokenPipeError, ConnectionError):
            raise ScriptRejected("Kịch bản vượt quá giới hạn CPU hoặc bộ nhớ nên đã bị dừng.") from None
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise ScriptRejected(f"Dữ liệu của hồ sơ không chuyển được cho kịch bản: {exc}") from None
        finally:
            self._give_back(worker, healthy)
        if answer[0] == "ok":
            return answer[1]
        name, message = answer[1], answer[2]
        if name == "MemoryError":
            raise ScriptRejected("Kịch bản dùng quá giới hạn bộ nhớ nên đã bị dừng.")
        raise _PLAIN_ERRORS.get(name, ScriptRejected)(message)

    def _take(self) -> _Worker:
        with self._lock:
            if os.getpid() != self._pid:  # a forked copy of a process that had workers: they are not ours
                self._idle, self._running, self._pid = [], 0, os.getpid()
            give_up = time.monotonic() + WAIT_FOR_WORKER_SECONDS
            while not self._idle and self._running >= self.size:
                if not self._lock.wait(timeout=max(0.0, give_up - time.monotonic())):
                    raise ScriptRejected("Máy chủ đang bận chạy kịch bản khác; hãy thử lại sau.")
            self._running += 1
            if self._idle:
                return self._idle.pop()
        try:
            worker = _Worker(self.memory_mb)
            try:
                if worker.receive(time.monotonic() + START_SECONDS) != ("ready",):
                    raise EOFError
            except (TimeoutError, EOFError) as exc:
                worker.kill()
                raise ScriptRejected("Không khởi động được tiến trình chạy kịch bản.") from exc
        except BaseException:
            with self._lock:
                self._running -= 1
                self._lock.notify()
            raise
        self.started += 1
        return worker

    def _give_back(self, worker: _Worker, healthy: bool) -> None:
        if not healthy:
            worker.kill()
        with self._lock:
            self._running -= 1
            if healthy and os.getpid() == self._pid:
                self._idle.append(worker)
            self._lock.notify()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.close()


def _call(functions: dict[str, Callable], name: str, args, kwargs) -> tuple:
    """Run one of the application's functions for a script (here, on this process's clock and data)."""
    function = functions.get(name)
    if function is None:
        return ("raise", "NameError", f"name '{name}' is not defined")
    try:
        return ("ret", function(*args, **kwargs))
    except Exception as exc:  # noqa: BLE001 - the script sees the function's failure as its own exception
        return ("raise", type(exc).__name__, str(exc))


def _env_number(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


POOL = SandboxPool(size=int(_env_number("TDKT_SCRIPT_WORKERS", 2)), seconds=_env_number("TDKT_SCRIPT_SECONDS", 1.0),
                   memory_mb=int(_env_number("TDKT_SCRIPT_MEMORY_MB", 256)))
atexit.register(POOL.close)
