"""The example users copy from README.md is the one that runs here, and the
package builds into a wheel with the generated code in it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]


def test_readme_example(start_easytask: Callable[..., str], tmp_path: Path) -> None:
    match = re.search(r"```python\n(.*?)```", (PACKAGE / "README.md").read_text(), re.DOTALL)
    assert match, "README.md has no ```python block"
    example = tmp_path / "example.py"
    example.write_text(match.group(1))
    ran = subprocess.run(
        [sys.executable, str(example)], env={**os.environ, "EASYTASK_URL": start_easytask()}, capture_output=True, text=True, cwd=tmp_path
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == 'run 1 of daily-report with {"team":7}\n'


def test_wheel_holds_the_sdk_and_the_generated_code(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(tmp_path), str(PACKAGE)], check=True
    )
    (wheel,) = tmp_path.glob("easytask_client-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in [
        "easytask_client/__init__.py",
        "easytask_client/task_server.py",
        "easytask/v1/task_pb2.py",
        "easytask/v1/task_pb2.pyi",
        "easytask/v1/task_connect.py",
        "easytask/v1/callback_pb2.py",
    ]:
        assert name in names, sorted(names)
