"""Starts the easytask server of this repository as users run it
(``node bin/easytask.js``), on a fresh SQLite file and a free port."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _start(db: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    if not (ROOT / "dist" / "src" / "main.js").exists():
        pytest.fail(f"the easytask server is not built: run `npm ci` (or `npm run build`) in {ROOT} first")
    node = shutil.which("node")
    if node is None:
        pytest.fail("node (Node.js 20+) is needed to run the easytask server")
    proc = subprocess.Popen(
        [node, str(ROOT / "bin" / "easytask.js")],
        env={
            **os.environ,
            "EASYTASK_SQLITE__PATH": str(db),
            "EASYTASK_API_SERVER__HTTP__HOST": "127.0.0.1",
            "EASYTASK_API_SERVER__HTTP__PORT": "0",
            "EASYTASK_HEALTH_CHECK_INTERVAL_SEC": "0.2",
            **env,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        record = json.loads(line)
        if record.get("msg") == "easytask node started":
            # Keep reading so that its log never fills the pipe.
            threading.Thread(target=proc.stdout.read, daemon=True).start()
            return proc, f"http://127.0.0.1:{record['port']}"
    proc.wait()
    pytest.fail(f"easytask exited with {proc.returncode} before serving: {proc.stderr.read() if proc.stderr else ''}")


@pytest.fixture
def start_easytask(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Starts an easytask server with extra environment variables; returns its URL."""
    procs: list[subprocess.Popen[str]] = []

    def start(**env: str) -> str:
        # A database of its own each: a fresh server, whose ids start at 1.
        proc, url = _start(tmp_path / f"easytask-{len(procs)}.db", env)
        procs.append(proc)
        return url

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait()
