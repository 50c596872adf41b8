"""gunicorn settings shared by every way the app is served: scripts/demo.sh and the benches pass
`--config python:webapp.gunicorn_conf`, and a deployment should too.

The app is built once in the master (`preload_app`) and warmed there (webapp/warmup.py): every worker, including
one forked later to replace a worker that died, starts with compiled templates, parsed diagrams, compiled SQL and
filled supervision memos instead of paying for them on its first requests. Worker count and threads stay on the
command line.
"""
preload_app = True


def when_ready(server):
    from webapp import warmup

    try:
        counts = warmup.warm(server.app.wsgi())
    except Exception:  # noqa: BLE001 - a database not reachable yet, say: the workers start cold, only slower
        server.log.exception("warm-up skipped")
    else:
        server.log.info("warmed: %(templates)d templates, %(diagrams)d diagram versions, %(pages)d pages", counts)


def post_fork(server, worker):
    from webapp import warmup

    warmup.forked(server.app.wsgi())
