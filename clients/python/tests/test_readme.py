"""README.md as a user meets it: its install line run as written into a fresh
virtual environment, next to this repository as the clone it names; its
examples type-checked with mypy --strict against that install and run from it,
against a server that requires a token and was started from the same
environment as the examples (EASYTASK_URL and EASYTASK_TOKEN included). The
scripts print what the README says; the apps are served as it says, and a
task is run through each. And the package builds into a wheel with the
generated code and both typed-package markers."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
import venv
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from easytask.v1.task_pb2 import RunState
from easytask_client import Client
from support import add_one_shot, last_run, route_of, wait_for

PACKAGE = Path(__file__).resolve().parents[1]
ROOT = PACKAGE.parents[1]
README = (PACKAGE / "README.md").read_text()
TOKEN = "sdk-test-token-0123456789"
# The apps' frameworks and server, at the versions the tests pin.
FRAMEWORKS = ["fastapi", "uvicorn", "flask"]


@dataclass
class Example:
    code: str
    prints: str | None = None  # a script: what it prints
    run: list[str] | None = None  # an app: the shell lines that serve it


def examples() -> list[Example]:
    found = [
        Example(m["code"], prints=m["prints"]) if m["prints"] is not None else Example(m["code"], run=m["run"].strip().split("\n"))
        for m in re.finditer(
            r"```python\n(?P<code>.*?)```\n\n(?:It prints:\n\n```text\n(?P<prints>.*?)```|Run it with:\n\n```sh\n(?P<run>.*?)```)", README, re.DOTALL
        )
    ]
    assert len(found) == README.count("```python\n"), "every ```python block says what it prints or how to run it"
    return found


@dataclass
class UserVenv:
    python: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def user_venv(tmp_path_factory: pytest.TempPathFactory) -> UserVenv:
    home = tmp_path_factory.mktemp("user")
    (home / "easytask").symlink_to(ROOT)  # the clone, next to the project
    project = home / "project"
    project.mkdir()
    venv.create(home / "venv", with_pip=True)
    bin_dir = home / "venv" / "bin"
    # As after `source venv/bin/activate`.
    env = {**os.environ, "VIRTUAL_ENV": str(home / "venv"), "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    (install,) = re.findall(r"## Install\n.*?```sh\n(.*?)```", README, re.DOTALL)
    for line in install.strip().split("\n"):
        subprocess.run(line, shell=True, cwd=project, env=env, check=True, capture_output=True)
    constraints = ROOT / "scripts" / "tools-requirements.txt"
    subprocess.run(["pip", "install", "--quiet", "-c", str(constraints), *FRAMEWORKS], cwd=project, env=env, check=True)
    return UserVenv(bin_dir / "python", env)


def test_examples_type_check_strictly_against_the_installed_package(user_venv: UserVenv, tmp_path: Path) -> None:
    files = []
    for i, example in enumerate(examples()):
        path = tmp_path / f"example{i + 1}.py"
        path.write_text(example.code)
        files.append(str(path))
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--python-executable", str(user_venv.python), "--cache-dir", os.devnull, *files],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # And the package's own annotations, strict too ([tool.mypy] of pyproject.toml).
    own = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", os.devnull, "src/easytask_client"], cwd=PACKAGE, capture_output=True, text=True)
    assert own.returncode == 0, own.stdout + own.stderr


def test_scripts_print_what_the_readme_says(user_venv: UserVenv, start_easytask: Callable[..., str], tmp_path: Path) -> None:
    scripts = [e for e in examples() if e.prints is not None]
    assert len(scripts) >= 3
    for example in scripts:
        # A fresh server each, so that its ids are the README's.
        url = start_easytask(EASYTASK_URL="http://127.0.0.1:1", EASYTASK_TOKEN=TOKEN, EASYTASK_AUTH__TOKENS=TOKEN)
        (tmp_path / "example.py").write_text(example.code)
        ran = subprocess.run(
            [str(user_venv.python), "example.py"], env={**user_venv.env, "EASYTASK_URL": url, "EASYTASK_TOKEN": TOKEN},
            capture_output=True, text=True, cwd=tmp_path, timeout=60,
        )
        assert (ran.returncode, ran.stdout) == (0, example.prints), ran.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("n", [0, 1])
def test_apps_serve_as_the_readme_says(user_venv: UserVenv, start_easytask: Callable[..., str], tmp_path: Path, n: int) -> None:
    apps = [e for e in examples() if e.run is not None]
    assert len(apps) == 2
    app = apps[n]
    assert app.run is not None
    srv_name = re.findall(r'TaskServer\(client, "([^"]+)"', app.code)[0]
    prefix = re.findall(r'prefix="([^"]+)"', app.code)
    path = (prefix[0] if prefix else "") + "/job"
    url = start_easytask(EASYTASK_URL="http://127.0.0.1:1", EASYTASK_TOKEN=TOKEN, EASYTASK_AUTH__TOKENS=TOKEN)
    client = Client(url, token=TOKEN)
    (tmp_path / "example.py").write_text(app.code)
    port = free_port()
    # The README's lines, on a free port rather than its 8000 or 5000.
    script = "\n".join(app.run).replace(re.findall(r"export PORT=(\d+)", app.run[0])[0], str(port))
    proc = subprocess.Popen(
        ["sh", "-c", script], cwd=tmp_path, env={**user_venv.env, "EASYTASK_URL": url, "EASYTASK_TOKEN": TOKEN},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    try:
        route = wait_for("the app's route to answer heartbeats", lambda: route_of(client, srv_name) if proc.poll() is None else None,
                         lambda r: proc.poll() is not None or (r is not None and r.HasField("last_heartbeat_at")))
        assert proc.poll() is None and route is not None and route.port == port
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/hello") as hello:
            assert json.loads(hello.read()) == {"hello": "world"}
        task_id = add_one_shot(client, "job", srv_name=srv_name, callback_path=path)
        assert last_run(client, task_id, RunState.RUN_STATE_SUCCEEDED).extra != ""
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C
        output, _ = proc.communicate(timeout=30)
    assert f"run {task_id}:1:1 at {path}\n" in output, output
    assert route_of(client, srv_name) is None, "unregistered at exit"


def test_wheel_holds_the_sdk_the_generated_code_and_the_typed_markers(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(tmp_path), str(PACKAGE)], check=True
    )
    (wheel,) = tmp_path.glob("easytask_client-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in [
        "easytask_client/__init__.py",
        "easytask_client/task_server.py",
        "easytask_client/py.typed",
        "easytask/py.typed",
        "easytask/v1/task_pb2.py",
        "easytask/v1/task_pb2.pyi",
        "easytask/v1/task_connect.py",
        "easytask/v1/callback_pb2.py",
    ]:
        assert name in names, sorted(names)
