"""Issue 10 item 9: the image's commands work as its unprivileged user, without an engine.

The Dockerfile's runtime stage is read (environment, WORKDIR, VOLUME, USER, ENTRYPOINT, CMD,
HEALTHCHECK, and who owns what after its RUN lines). Its commands then run as the image's
user id in a scratch directory standing in for WORKDIR, owned as the image would own it,
with the image's paths mapped onto this checkout (/opt/venv -> this virtualenv, COPY
targets -> their sources). A WORKDIR that the user cannot write makes these tests fail.

The process runs under the image's uid via ``setpriv``. If this interpreter lives where that
uid cannot reach it (a Python under /root), the process gets CAP_DAC_READ_SEARCH: it may read
and traverse anything, but every write is still checked against its own uid.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.dockerfile import RuntimeStage, runtime_stage
from tests.support.parallel import free_port

ROOT = Path(__file__).resolve().parents[2]
STAGE = runtime_stage(ROOT / "Dockerfile")
START_GUARD_SECONDS = 60


class Image:
    """The runtime stage, run on this machine as the image's user."""

    def __init__(self, stage: RuntimeStage, scratch: Path) -> None:
        self.stage = stage
        self.uid = stage.uids[stage.user]
        self.workdir = scratch / "workdir"
        self.workdir.mkdir()
        if stage.owner_of(stage.workdir) == stage.user:
            os.chown(self.workdir, self.uid, self.uid)
        self.paths = {stage.workdir: str(self.workdir)}
        self.paths.update({volume: str(self.workdir) for volume in stage.volumes})
        for source, target in stage.copies:
            # Absolute sources come from the build stage: the installed virtualenv.
            if source.startswith("/"):
                self.paths[target] = sys.prefix
                continue
            # Files the image COPYs are copied into the scratch tree as the image holds them,
            # so the user reaches them even when this checkout lies in a directory only root
            # may enter (os.access, which alembic uses, ignores CAP_DAC_READ_SEARCH).
            copy = scratch / "image" / target.strip("/")
            shutil.copytree(ROOT / source, copy)
            self.paths[target] = str(copy)
        env = {name: self.mapped(value) for name, value in stage.env.items()}
        env["PATH"] = env["PATH"].replace("$PATH", os.environ["PATH"])
        env["HOME"] = self.mapped(stage.homes.get(stage.user, stage.workdir))
        # The checkout is installed in this virtualenv in editable mode; make it importable
        # for a uid that cannot read the editable finder's target list.
        env["PYTHONPATH"] = str(ROOT)
        self.env = env
        self.prefix = self._setpriv()

    def mapped(self, value: str) -> str:
        for path in sorted(self.paths, key=len, reverse=True):
            value = value.replace(path, self.paths[path])
        return value

    def _setpriv(self) -> list[str]:
        base = ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups"]
        # The same interpreter must run, not one found elsewhere when this one is out of reach.
        probe = ["python", "-c", f"import sys, app; assert sys.version == {sys.version!r}"]
        if subprocess.run([*base, *probe], env=self.env, capture_output=True).returncode == 0:
            return base
        read_only = ["--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]
        subprocess.run([*base, *read_only, *probe], env=self.env, check=True)
        return [*base, *read_only]

    def command(self, args: list[str]) -> list[str]:
        return [*self.prefix, *args]

    def run(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(args),
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def start(self, args: list[str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("wb") as out:
            return subprocess.Popen(
                self.command(args), cwd=self.workdir, env=self.env, stdout=out, stderr=out
            )


@pytest.fixture
def image() -> Iterator[Image]:
    # Not pytest's tmp_path: its parents are private to root, and the image's user must reach
    # the stand-in WORKDIR as it reaches /data in the image.
    scratch = Path(tempfile.mkdtemp(prefix="pgw-image-"))
    scratch.chmod(0o755)
    try:
        yield Image(STAGE, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=60)


def test_the_image_declares_its_state_volume_user_and_health_check() -> None:
    # issue 10 item 9
    assert STAGE.user != "root"
    assert STAGE.uids[STAGE.user] != 0
    assert STAGE.owner_of(STAGE.workdir) == STAGE.user
    assert STAGE.workdir in STAGE.volumes
    assert STAGE.env["DATABASE_URL"].startswith("sqlite+aiosqlite:///" + STAGE.workdir + "/")
    assert STAGE.healthcheck[0] == "python"
    assert "/health/live" in STAGE.healthcheck[-1]
    assert "curl" not in " ".join(STAGE.healthcheck)
    assert STAGE.entrypoint == ["portal-gateway"]


def test_openapi_out_writes_beside_itself(image: Image) -> None:
    result = image.run([*STAGE.entrypoint, "openapi", "--out", "gateway.json"])
    assert result.returncode == 0, result.stderr
    written = json.loads((image.workdir / "gateway.json").read_text())
    assert written == json.loads((ROOT / "openapi" / "gateway.json").read_text())


def test_serve_passes_the_health_check_with_state_in_the_volume(image: Image) -> None:
    port = free_port()
    args = [*STAGE.entrypoint, *STAGE.cmd]
    # The image binds 0.0.0.0:8000; here loopback and a free port.
    args[args.index("--host") + 1] = "127.0.0.1"
    args[args.index("--port") + 1] = str(port)
    check = [part.replace(":8000/", f":{port}/") for part in STAGE.healthcheck]
    log = image.workdir.parent / "serve.log"
    server = image.start(args, log)
    try:
        deadline = time.monotonic() + START_GUARD_SECONDS
        while True:
            healthy = image.run(check).returncode == 0
            if healthy or server.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert healthy, log.read_text()
    finally:
        _stop(server)
    # The embedded default: SQLite state where DATABASE_URL points, inside the volume.
    state = Path(image.mapped(STAGE.env["DATABASE_URL"].split(":///", 1)[1]))
    assert state.parent == image.workdir
    assert state.stat().st_size > 0
    assert state.stat().st_uid == image.uid


def test_sandbox_casavi_writes_its_state_beside_itself(image: Image) -> None:
    port = free_port()
    log = image.workdir.parent / "casavi.log"
    simulator = image.start([*STAGE.entrypoint, "sandbox", "casavi", "--port", str(port)], log)
    try:
        deadline = time.monotonic() + START_GUARD_SECONDS
        while not (image.workdir / "casavi-simulator.db").exists():
            if simulator.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert (image.workdir / "casavi-simulator.db").exists(), log.read_text()
    finally:
        _stop(simulator)
    assert (image.workdir / "casavi-simulator.db").stat().st_uid == image.uid
