"""Real atomic-resolution images that ship inside PyPI wheels, fetched once and cached.

``fetch_wheel_member("temul-toolkit==0.1.9", "temul/example_data/experimental/...")``
downloads the wheel with ``pip download --no-deps`` (a package registry, never at package
run time), unzips the one file into the cache folder and returns its path. The cache is
``$HYPERSPY_SYMMETRY_TEST_DATA`` or ``~/.cache/hyperspy-symmetry-test-data``; a file already
there is used without any network access. Without network and without a cached copy the
calling test is skipped.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

__all__ = ["CACHE", "fetch_wheel_member"]

#: Where fetched files are kept, one folder per requirement.
CACHE = Path(
    os.environ.get("HYPERSPY_SYMMETRY_TEST_DATA", "~/.cache/hyperspy-symmetry-test-data")
).expanduser()


def fetch_wheel_member(requirement: str, member: str) -> Path:
    """Path of ``member`` of the wheel of ``requirement`` (``"name==version"``), cached.

    Parameters
    ----------
    requirement
        A pinned requirement, e.g. ``"temul-toolkit==0.1.9"``.
    member
        Path of the file inside the wheel, e.g. ``"temul/example_data/experimental/x.dm3"``.

    Returns
    -------
    pathlib.Path
        The unzipped file in the cache.
    """
    target = CACHE / requirement.replace("==", "-") / member
    if target.is_file():
        return target
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             "--quiet", "-d", tmp, requirement],
            capture_output=True, text=True, timeout=600,
        )
        wheels = list(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or not wheels:
            pytest.skip(f"cannot download {requirement} (no network?): {done.stderr[-300:]}")
        with zipfile.ZipFile(wheels[0]) as wheel:
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(target.suffix + ".part")
            partial.write_bytes(wheel.read(member))
            partial.replace(target)
    return target
