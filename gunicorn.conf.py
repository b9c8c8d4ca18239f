"""gunicorn's settings for the site (`gunicorn -c gunicorn.conf.py wsgi:app`, as scripts/run-site
runs it; gunicorn also reads this file by itself when started from the project folder). Options on
the command line override these.

Threaded workers (`gthread`), because downloads stream: a CSV of 50,000 deliverables takes about
18 seconds to make on a 2-core machine (docs/benchmarks/2026-11-25-exports.md), longer to send to
a slow client. A sync worker tells the
arbiter it is alive only between requests, so its `timeout` is a limit on the whole request and
would kill such a download part-way (the client gets a truncated file). A gthread worker's main
loop reports every second while its threads serve requests, so `timeout` only catches a worker
that is stuck as a whole, and a long download runs to the end. tests/test_exports.py checks this
with a real gunicorn, a 2-second timeout and a download that takes longer.

Threads share a process's search index, caches and database pool, so each thread costs little
memory; a download in progress holds one thread, and the other threads keep serving pages.
"""

import os

# One process per core is plenty for a site this size; KB_WORKERS overrides (scripts/run-site).
workers = int(os.environ.get("KB_WORKERS", "2"))
worker_class = "gthread"
# Downloads in progress at once per worker, beside pages (each download is rate-limited per
# client address: KB_EXPORT_RATE_LIMIT).
threads = int(os.environ.get("KB_THREADS", "4"))
# A stuck worker (no heartbeat) is restarted after this many seconds; no limit on one request.
timeout = 30
# On a restart or deploy, downloads in progress get this long to finish before the old worker stops.
graceful_timeout = 120
# Keep-alive connections (threads wait on them without tying up a thread).
keepalive = 5
