"""The app and the timer worker on the bench's clock, for the processes a bench starts.

The offset in TDKT_BENCH_CLOCK_OFFSET (seconds, set by bench.common.use_clock) moves this process's clock the same
way as the bench's, so the campaign's deadlines are where the bench put them.

  gunicorn … 'bench.clocked:create_app()'              the web app, as scripts/demo.sh serves it
  python -m bench.clocked --database-url URL [--poll S]  one timer worker until idle (processes.timer_worker.run);
      prints `fired=N incidents=N start=T end=T` (wall-clock seconds around run(), after imports and the diagram
      cache are warm, so a fire rate does not count the interpreter's start-up)
  python -m bench.clocked --database-url URL --serve     a worker polling as deployed (0.5 s) until SIGTERM;
      prints `ready` once it is about to poll
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import time

from processes import clock

OFFSET_ENV = "TDKT_BENCH_CLOCK_OFFSET"


class OffsetClock(clock.Clock):
    """The real clock moved by a fixed number of seconds. Unlike ShiftedClock (which takes the moment to start
    from), every process given the same offset reads the same time, so a timer set by the bench is due at the same
    instant for a worker started later."""

    def __init__(self, offset: float):
        self.offset = dt.timedelta(seconds=offset)

    def now(self) -> dt.datetime:
        return clock.Clock.now(self) + self.offset


if os.environ.get(OFFSET_ENV):
    clock.set_clock(OffsetClock(float(os.environ[OFFSET_ENV])))


def create_app():
    from webapp import create_app as factory
    return factory()


def worker(argv=None) -> None:
    from processes import timer_worker, workflows
    from processes.db import make_engine, make_sessionmaker
    from processes.supervision import flag_snapshots

    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--poll", type=float, default=None)
    parser.add_argument("--serve", action="store_true")
    args = parser.parse_args(argv)
    engine = make_engine(args.database_url)
    with make_sessionmaker(engine)() as session:  # a long-running worker has its diagrams parsed already
        workflows.load_running(session)
    engine.dispose()
    if args.serve:
        import signal
        import threading
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        print("ready", flush=True)
        timer_worker.run(args.database_url, poll=args.poll or 0.5, stop=stop,
                         flags_every=flag_snapshots.REFRESH_EVERY)  # as deployed (--serve)
        return
    start = time.time()
    result = timer_worker.run(args.database_url, poll=args.poll or 0.05, until_idle=True)
    end = time.time()
    print(f"fired={result.fired} incidents={result.incidents} start={start:.6f} end={end:.6f}", flush=True)


if __name__ == "__main__":
    worker()
