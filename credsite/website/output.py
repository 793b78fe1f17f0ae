"""The built site in memory, and its all-or-nothing move onto disk.

Nothing touches the output folder until every file exists in memory; then the whole
site is written to a staging folder beside it and swapped in with two renames, so a failed or
interrupted build leaves the previous site exactly as it was (Lektor's per-artifact commit,
done once for the whole site).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path, PurePosixPath
from typing import Any

from credsite.errors import CredsiteError
from credsite.values import json_bytes


class Output:
    """Site-relative POSIX path -> bytes; refuses a second write or a path leaving the site."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def add(self, path: str, data: bytes | str) -> None:
        pure = PurePosixPath(path)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            raise ValueError(f"output path escapes the site: {path!r}")
        if path in self.files:
            raise ValueError(f"two outputs would be written to {path}")
        self.files[path] = data.encode("utf-8") if isinstance(data, str) else data

    def add_json(self, path: str, document: Any) -> None:
        self.add(path, json_bytes(document))

    def total_bytes(self) -> int:
        return sum(len(d) for d in self.files.values())


def check_target(target: Path, site_root: Path, protected: list[Path]) -> None:
    """Refuse output folders whose replacement would destroy the user's own files."""
    resolved = target.resolve()
    root = site_root.resolve()
    if resolved == root or root.is_relative_to(resolved):
        raise CredsiteError(f"output folder {target} would replace the site itself")
    for path in protected:
        p = path.resolve()
        if resolved == p or p.is_relative_to(resolved) or resolved.is_relative_to(p):
            raise CredsiteError(f"output folder {target} overlaps {path}")
    if (resolved / "site.yaml").exists():
        raise CredsiteError(f"output folder {target} holds a site.yaml: refusing to replace it")


def commit(output: Output, target: Path) -> None:
    """Write everything to ``<target>.staging`` and swap it in for ``target``."""
    target = target.absolute()
    staging = target.with_name(target.name + ".staging")
    previous = target.with_name(target.name + ".previous")
    for leftover in (staging, previous):
        if leftover.exists():
            shutil.rmtree(leftover)
    try:
        for rel, data in sorted(output.files.items()):
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if target.exists():
        os.replace(target, previous)
    os.replace(staging, target)
    shutil.rmtree(previous, ignore_errors=True)
