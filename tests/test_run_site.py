"""The README's first command, run as a person runs it: it sets up, migrates, ingests the sample
content and serves the site with gunicorn, not the development server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request

from .conftest import ROOT


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_run_site_serves_the_sample_content_with_gunicorn(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "KB_DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}",
        "KB_INDEX_DIR": str(tmp_path / "index"),
        "KB_INGEST_LOCK": str(tmp_path / "ingest.lock"),
        "KB_PORT": str(port),
        "KB_WORKERS": "1",
    }
    log = (tmp_path / "run-site.log").open("w")
    server = subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "run-site")],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, (tmp_path / "run-site.log").read_text()[-2000:]
            try:
                response = urllib.request.urlopen(f"http://127.0.0.1:{port}/search?q=pensions", timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "run-site.log").read_text()[-2000:]
                time.sleep(0.5)
        body = response.read().decode()
        assert response.status == 200
        assert response.headers["Server"].startswith("gunicorn")
        assert "nonce-" in response.headers["Content-Security-Policy"]
        assert "results for ‘pensions’" in body
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
