"""``hyperspy-symmetry classify`` writes block by block and resumes after a crash."""

import json
import signal
import subprocess
import sys
import time

import hyperspy.api as hs
import numpy as np
import pytest
from conftest import calibrated, lattice_image

from hyperspy_symmetry.cli import main
from hyperspy_symmetry.stores import PROGRESS_DIR, RUN_RECORD

N_FRAMES = 24


@pytest.fixture(scope="module")
def movie_file(tmp_path_factory):
    data = np.stack(
        [lattice_image((224, 224), period=(7 + i % 4, 8), seed=i) for i in range(N_FRAMES)]
    ).astype(np.float32)
    s = calibrated(data, lazy=True, chunks=(1, 224, 224))
    path = tmp_path_factory.mktemp("movie") / "movie.zspy"
    s.save(path)
    return path


def _command(movie_file, out, model, *extra):
    # --lazy keeps the file's chunks, one frame each: one block per frame.
    return [
        "classify",
        str(movie_file),
        "--out",
        str(out),
        "--model",
        str(model),
        "--window",
        "100",
        "--stride",
        "8",
        "--samples",
        "20",
        "--seed",
        "3",
        "--scheduler",
        "synchronous",
        "--lazy",
        "--quiet",
        *extra,
    ]


def _stores(out):
    return [hs.load(out / name) for name in ("probabilities.zspy", "uncertainty.zspy")]


@pytest.fixture(scope="module")
def uninterrupted(movie_file, tiny_aistem, tmp_path_factory):
    out = tmp_path_factory.mktemp("uninterrupted") / "res"
    assert main(_command(movie_file, out, tiny_aistem)) == 0
    return out


def _kill_midway(movie_file, out, model, min_blocks=3):
    """Start the command in a process and kill it (SIGKILL) once some blocks are written."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "hyperspy_symmetry.cli", *_command(movie_file, out, model)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    progress = out / PROGRESS_DIR
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if progress.is_dir() and len(list(progress.glob("*.done"))) >= min_blocks:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.01)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()
    done = sorted(progress.glob("*.done"))
    assert min_blocks <= len(done) < N_FRAMES
    assert not (out / "summary.json").exists()
    return done


@pytest.mark.timeout(600)
def test_killed_run_resumes_and_ends_equal(movie_file, tiny_aistem, uninterrupted, tmp_path):
    out = tmp_path / "res"
    done = _kill_midway(movie_file, out, tiny_aistem)
    assert main(_command(movie_file, out, tiny_aistem)) == 0  # the same command again
    summary = json.loads((out / "summary.json").read_text())
    assert summary["blocks"] == {"total": N_FRAMES, "computed_in_this_run": N_FRAMES - len(done)}
    assert not (out / PROGRESS_DIR).exists() and (out / RUN_RECORD).exists()
    for a, b in zip(_stores(out), _stores(uninterrupted), strict=False):
        np.testing.assert_array_equal(a.data, b.data)
        assert a.metadata.Symmetry.as_dictionary() == b.metadata.Symmetry.as_dictionary()
        assert type(a) is type(b)
    assert np.isfinite(_stores(out)[1].data).all()


@pytest.mark.timeout(600)
def test_partly_written_block_is_computed_again(movie_file, tiny_aistem, uninterrupted, tmp_path):
    """A block whose data reached the store but whose marker did not is not taken as done."""
    out = tmp_path / "res"
    done = _kill_midway(movie_file, out, tiny_aistem)
    # Crash between writing a block and marking it: garbage in its chunk, no marker.
    victim = done[0]
    frame = int(victim.name.split("-")[1].split(".")[0])
    victim.unlink()
    chunk = next((out / "uncertainty.zspy").rglob(f"data/{frame}"))
    if chunk.is_dir():  # nested store: data/<frame>/<0>/<0>
        chunk = next(p for p in chunk.rglob("*") if p.is_file())
    chunk.write_bytes(b"\x00garbage")
    assert main(_command(movie_file, out, tiny_aistem)) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["blocks"]["computed_in_this_run"] == N_FRAMES - len(done) + 1
    for a, b in zip(_stores(out), _stores(uninterrupted), strict=False):
        np.testing.assert_array_equal(a.data, b.data)


def test_resume_with_other_parameters_is_refused(movie_file, tiny_aistem, tmp_path, capsys):
    out = tmp_path / "res"
    _kill_midway(movie_file, out, tiny_aistem, min_blocks=1)
    other = _command(movie_file, out, tiny_aistem)
    other[other.index("--seed") + 1] = "4"
    assert main(other) == 1
    err = capsys.readouterr().err
    assert "unfinished run with other parameters (seed" in err and "--overwrite" in err
    assert main(other + ["--overwrite"]) == 0  # starts again from scratch
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 4 and summary["blocks"]["computed_in_this_run"] == N_FRAMES
