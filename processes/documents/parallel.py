"""Independent documents of a dossier laid out side by side, in worker processes.

WeasyPrint's layout is pure Python, so threads would take turns on one core; separate processes do not. The pool is
started on first use from a fork server that has WeasyPrint and the templates already imported (so a worker starts
in milliseconds), lives as long as the process, and is used only when more than one document needs rendering.
`TDKT_RENDER_WORKERS` sets its size (default: the machine's cores, at most 4; 1 renders in the calling process). A
pool that breaks (a worker killed) is dropped and the documents are rendered here instead: rendering never fails
because of the pool.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import threading
from concurrent.futures import ProcessPoolExecutor

log = logging.getLogger(__name__)

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def workers() -> int:
    configured = os.environ.get("TDKT_RENDER_WORKERS")
    if configured:
        return max(1, int(configured))
    return max(1, min(4, os.cpu_count() or 1))


def _ready() -> bool:
    return True


def _executor() -> ProcessPoolExecutor:
    """The pool, its workers started now. While they start, `__main__` shows no file: multiprocessing would
    otherwise re-run the program's main script in each worker (a bench, gunicorn, pytest), which the workers do not
    need and which may not even import there."""
    global _pool
    with _pool_lock:
        if _pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["processes.documents.render"])
            pool = ProcessPoolExecutor(max_workers=workers(), mp_context=context)
            main = sys.modules.get("__main__")
            hidden = main.__dict__.pop("__file__", None) if main is not None else None
            try:
                # A non-fork pool starts a worker per task while none is idle: as many tasks as workers start them all.
                for started in [pool.submit(_ready) for _ in range(workers())]:
                    started.result()
            finally:
                if hidden is not None:
                    main.__file__ = hidden
            _pool = pool
        return _pool


def _drop_pool() -> None:
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


def render_all(htmls: list[str], render_one) -> list[bytes]:
    """`render_one(html)` for each HTML, in the pool when there is more than one and more than one worker.
    `render_one` must be a module-level function (it is sent to the workers by name)."""
    if len(htmls) < 2 or workers() < 2:
        return [render_one(h) for h in htmls]
    try:
        # The largest first, so the longest layout does not start last.
        order = sorted(range(len(htmls)), key=lambda i: -len(htmls[i]))
        results = dict(zip(order, _executor().map(render_one, [htmls[i] for i in order])))
        return [results[i] for i in range(len(htmls))]
    except Exception as exc:  # a broken pool must not take the dossier down: render here
        log.warning("parallel rendering failed, rendering in this process: %r", exc)
        _drop_pool()
        return [render_one(h) for h in htmls]
