"""Just enough of a Dockerfile reader to run an image's commands without a Docker engine.

``RuntimeStage`` is the last stage of a Dockerfile: its environment, working directory,
volumes, user, entrypoint, command and health check, and which image paths its ``RUN``
lines hand to which user (``useradd --uid``, ``mkdir``, ``chown``).
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath


@dataclass
class RuntimeStage:
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = "/"
    volumes: list[str] = field(default_factory=list)
    user: str = "root"
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)
    copies: list[tuple[str, str]] = field(default_factory=list)  # (source, image path)
    uids: dict[str, int] = field(default_factory=dict)  # user name -> uid (useradd)
    homes: dict[str, str] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)  # image path -> owning user (chown)

    def owner_of(self, path: str) -> str:
        """Who owns ``path`` in the image: the user a RUN line chowned it to, else root."""
        target = PurePosixPath(path)
        for owned, user in self.owners.items():
            if target == PurePosixPath(owned):
                return user
        return "root"


def _instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        result.append((keyword.upper(), rest.strip()))
    return result


def _exec_form(value: str) -> list[str]:
    if value.startswith("["):
        parsed = json.loads(value)
        assert isinstance(parsed, list)
        return [str(part) for part in parsed]
    return ["/bin/sh", "-c", value]


def _env_pairs(value: str, env: dict[str, str]) -> dict[str, str]:
    pairs = {}
    for token in shlex.split(value):
        key, _, raw = token.partition("=")
        pairs[key] = re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), f"${m.group(1)}"), raw)
    return pairs


def _run(stage: RuntimeStage, command: str) -> None:
    for part in re.split(r"&&|;", command):
        words = shlex.split(part)
        if not words:
            continue
        if words[0] == "useradd":
            name = words[-1]
            if "--uid" in words:
                stage.uids[name] = int(words[words.index("--uid") + 1])
            if "--home-dir" in words:
                stage.homes[name] = words[words.index("--home-dir") + 1]
        elif words[0] == "chown":
            args = [w for w in words[1:] if not w.startswith("-")]
            user = args[0].split(":")[0]
            for path in args[1:]:
                stage.owners[path] = user


def runtime_stage(dockerfile: Path) -> RuntimeStage:
    stage = RuntimeStage()
    for keyword, rest in _instructions(dockerfile.read_text()):
        if keyword == "FROM":
            stage = RuntimeStage()
        elif keyword == "ENV":
            stage.env.update(_env_pairs(rest, {**stage.env}))
        elif keyword == "WORKDIR":
            stage.workdir = rest
        elif keyword == "VOLUME":
            stage.volumes += _exec_form(rest) if rest.startswith("[") else rest.split()
        elif keyword == "USER":
            stage.user = rest
        elif keyword == "ENTRYPOINT":
            stage.entrypoint = _exec_form(rest)
        elif keyword == "CMD":
            stage.cmd = _exec_form(rest)
        elif keyword == "HEALTHCHECK":
            _, _, command = rest.partition("CMD ")
            stage.healthcheck = _exec_form(command.strip())
        elif keyword == "COPY":
            words = [w for w in shlex.split(rest) if not w.startswith("--")]
            stage.copies.append((words[0], words[-1]))
        elif keyword == "RUN":
            _run(stage, rest)
    return stage
