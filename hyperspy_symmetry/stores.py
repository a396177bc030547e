"""Result stores written block by block, so that an interrupted run resumes where it stopped.

:func:`~hyperspy_symmetry.report.classify_file` (``hyperspy-symmetry classify``) writes its
result signals into ``.zspy`` stores one computation block at a time (a block is one chunk
of the input's navigation axes and one tile of the window grid). The stores are created first, with
their axes and metadata and an empty data array chunked like the computation (NaN until
written). After both results of a block are written, a marker file is created for it
(atomically, by renaming). ``run.json`` in the output folder records the parameters.

If the process dies, running the same command again finds ``run.json`` without a
``summary.json``, checks that the parameters (input file, model, window, stride, samples,
seed, sampling mode, chunks) are the same, and computes only the blocks without a marker. A
block that was being written when the process died has no marker, so it is computed and
written again: a partly written block is never taken as done. Results do not depend on
which blocks ran in which session (the computation is deterministic for a seed), so the
stores end up equal to those of an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["RUN_RECORD", "PROGRESS_DIR", "ResumableRun", "recorded_parameters"]

#: File in the output folder recording the parameters of a run.
RUN_RECORD = "run.json"
#: Folder in the output folder holding one marker file per finished block.
PROGRESS_DIR = ".progress"


def _signal_group(store: str | Path):
    """The zarr group of the one signal in a ``.zspy`` store (named after its title)."""
    import zarr

    # A plain path: zarr 2 reads each array's own chunk-key separator ("/" in .zspy).
    experiments = zarr.open_group(str(store), mode="r+")["Experiments"]
    (name,) = list(experiments.group_keys())
    return experiments[name]


def _open_data(store: str | Path):
    return _signal_group(store)["data"]


def _has_data(store: Path) -> bool:
    try:
        return "data" in _signal_group(store)
    except (KeyError, ValueError, OSError, TypeError):
        return False


def recorded_parameters(out: str | Path) -> dict[str, Any] | None:
    """The parameters of the run started earlier in the folder ``out``, if any."""
    try:
        return json.loads((Path(out) / RUN_RECORD).read_text())["parameters"]
    except (OSError, ValueError, KeyError):
        return None


def _block_name(index: tuple[int, ...]) -> str:
    return "block" + "".join(f"-{i}" for i in index) + ".done"


def _write_block(
    blocks: list[np.ndarray], stores: list[str], regions: list[tuple[slice, ...]], marker: str
) -> None:
    """Write one block of each result into its store, then mark the block done."""
    for data, store, region in zip(blocks, stores, regions, strict=False):
        _open_data(store)[region] = data
    tmp = f"{marker}.tmp-{os.getpid()}"
    Path(tmp).write_text("done\n")
    os.replace(tmp, marker)  # atomic: a marker exists only once both writes finished


class ResumableRun:
    """The stores of one run and which of their blocks are written.

    Parameters
    ----------
    out
        Output folder.
    stores
        ``{role: path}`` of the ``.zspy`` stores to write.
    parameters
        JSON-serialisable parameters that must match for a run to be resumed.

    Examples
    --------
    >>> run = ResumableRun("result", {"probabilities": "result/p.zspy"}, {"seed": 0})
    >>> run.start(overwrite=False, finished=False)
    'new'
    """

    def __init__(self, out: str | Path, stores: dict[str, str | Path], parameters: dict[str, Any]):
        self.out = Path(out)
        self.stores = {role: Path(p) for role, p in stores.items()}
        self.parameters = json.loads(json.dumps(parameters))  # as it reads back from JSON
        self.record = self.out / RUN_RECORD
        self.progress = self.out / PROGRESS_DIR

    def start(self, overwrite: bool, finished: bool) -> str:
        """``"resume"`` an unfinished run with the same parameters, else start a ``"new"`` one.

        Parameters
        ----------
        overwrite
            Replace what an earlier run left: finished outputs, or an unfinished run with
            other parameters. An unfinished run with the same parameters is always resumed.
        finished
            Whether the earlier run in ``out`` finished (its summary exists).

        Raises
        ------
        FileExistsError
            Earlier outputs that are not resumable, without ``overwrite``.
        """
        earlier = recorded_parameters(self.out)
        if (
            not finished
            and earlier == self.parameters
            and self.progress.is_dir()
            and all(_has_data(s) for s in self.stores.values())
        ):
            return "resume"
        leftovers = [p for p in (*self.stores.values(), self.record, self.progress) if p.exists()]
        if leftovers and not overwrite:
            if earlier is not None and not finished:
                changed = sorted(
                    k
                    for k in set(earlier) | set(self.parameters)
                    if earlier.get(k) != self.parameters.get(k)
                )
                raise FileExistsError(
                    f"{self.out} holds an unfinished run with other parameters "
                    f"({', '.join(changed)}); run the same command to resume it, or pass "
                    "--overwrite to start again."
                )
            raise FileExistsError(f"{leftovers[0]} exists; pass --overwrite to replace it.")
        for p in leftovers:
            shutil.rmtree(p) if p.is_dir() else p.unlink()
        return "new"

    def create(self, signals: dict[str, Any]) -> None:
        """Create the stores: axes and metadata of each lazy signal, an empty data array
        chunked like its dask array, and the run record."""
        self.out.mkdir(parents=True, exist_ok=True)
        for role, signal in signals.items():
            store = self.stores[role]
            with warnings.catch_warnings():
                # RosettaSciIO's writer still uses zarr 2's NestedDirectoryStore.
                warnings.filterwarnings("ignore", message=".*NestedDirectoryStore is deprecated")
                signal.save(str(store), write_dataset=False, overwrite=True)
            data = signal.data
            _signal_group(store).require_dataset(
                "data",
                shape=data.shape,
                dtype=data.dtype,
                exact=True,
                chunks=tuple(c[0] for c in data.chunks),
                fill_value=np.nan,
                dimension_separator="/",  # as RosettaSciIO's .zspy reader expects
            )
        self.progress.mkdir(exist_ok=True)
        self.record.write_text(
            json.dumps({"parameters": self.parameters}, indent=1, ensure_ascii=False) + "\n"
        )

    def pending_tasks(self, arrays: list, n_lead: int) -> tuple[list, int]:
        """Dask tasks that compute and write every block without a marker.

        Parameters
        ----------
        arrays
            The results' dask arrays, in the order of ``stores``; their first ``n_lead``
            axes (the input's navigation axes) and their last two (the tiles of the window
            grid) are chunked alike, the axes between whole.

        Returns
        -------
        tasks, n_blocks
            One ``dask.delayed`` per unfinished block, and the number of blocks in all.
        """
        import dask

        chunks = arrays[0].chunks[:n_lead] + arrays[0].chunks[-2:]
        starts = [np.concatenate([[0], np.cumsum(c)]) for c in chunks]
        indices = list(np.ndindex(*[len(c) for c in chunks]))
        stores = [str(self.stores[role]) for role in self.stores]
        tasks = []
        for index in indices:
            marker = self.progress / _block_name(index)
            if marker.exists():
                continue
            span = [slice(int(s[i]), int(s[i + 1])) for s, i in zip(starts, index, strict=False)]
            regions, blocks = [], []
            for a in arrays:
                middle = a.ndim - n_lead - 2
                regions.append(
                    tuple(span[:n_lead]) + (slice(None),) * middle + tuple(span[n_lead:])
                )
                blocks.append(a.blocks[index[:n_lead] + (0,) * middle + index[n_lead:]])
            tasks.append(
                dask.delayed(_write_block, pure=False)(blocks, stores, regions, str(marker))
            )
        return tasks, len(indices)

    def finish(self) -> None:
        """Forget the block markers once the run is complete (the record stays)."""
        shutil.rmtree(self.progress, ignore_errors=True)
