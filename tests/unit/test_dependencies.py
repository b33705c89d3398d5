"""Dependencies are pinned (issue 11, security review): every requirement names one exact version,
so a build on a clean machine installs what was tested, and a new release reaches the app only
through a reviewed change of these files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PINNED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9,._-]+\])?==[0-9][0-9A-Za-z.+!-]*(\s*;.*)?$")


def requirements(path: Path) -> list[str]:
    lines = [line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line]


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt", "requirements-infra.txt"])
def test_every_requirement_is_pinned_to_one_version(name: str) -> None:
    found = requirements(ROOT / name)
    assert found, f"{name} lists nothing"
    loose = [line for line in found if not line.startswith("-r ") and not PINNED.match(line)]
    assert loose == [], f"{name}: not pinned with ==: {loose}"


def test_the_npm_packages_are_pinned_too() -> None:
    import json

    manifest = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    versions = {**manifest.get("dependencies", {}), **manifest.get("devDependencies", {})}
    assert versions
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in versions.values()), versions
