"""Classify an image file end to end: the work behind ``hyperspy-symmetry classify``.

:func:`classify_file` loads any file RosettaSciIO reads (dm3/dm4/emd/tif/hspy/zspy, ...),
runs ``classify_symmetry`` and ``mc_uncertainty`` (mutual information) in one dask
computation, and writes to an output folder:

``probabilities.zspy``, ``uncertainty.zspy``
    The :class:`SymmetryProbabilities` and :class:`SymmetryUncertainty` signals.
``class_map.png``, ``uncertainty.png``
    The predicted-class map and the mutual-information map over the image; for a stack,
    of its first frame (navigation index 0 on every navigation axis).
``summary.json``
    Input, model (name, version, sha256), window, stride, samples, seed, per class the
    fraction of windows predicted and the mean probability, mutual-information statistics
    (median, 90th percentile, maximum, fraction above the model's interface threshold), run
    time and versions.
    Statistics run over every window of every frame.

Examples
--------
>>> from hyperspy_symmetry.report import classify_file, format_summary
>>> s.save("cu.tif")  # s: a 200 x 200 px lattice image, 0.12 Å per pixel
>>> summary = classify_file("cu.tif", "result", stride="2.4 Å", seed=0)
>>> print(format_summary(summary))  # doctest: +ELLIPSIS
class          windows  fraction  mean p
BCC_Fe_100          36     1.000   ...
Mutual information (bits)
  median ...
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from .checks import check_output_folder
from .signal_types import IMAGE, IMAGE_TYPES
from .signal_types import signal_type as signal_type_of

__all__ = [
    "OUTPUTS",
    "LAZY_THRESHOLD_BYTES",
    "MI_THRESHOLD_BITS",
    "output_paths",
    "load_image",
    "summarize",
    "classify_file",
    "format_summary",
]

#: Files written into the output folder, by role.
OUTPUTS = {
    "probabilities": "probabilities.zspy",
    "uncertainty": "uncertainty.zspy",
    "class_map": "class_map.png",
    "uncertainty_map": "uncertainty.png",
    "summary": "summary.json",
}
#: ``.zspy``/``.hspy`` inputs larger than this are read lazily even without ``lazy=True``.
LAZY_THRESHOLD_BYTES = 256 * 2**20
#: Windows above this mutual information (bits) count as uncertain when the map records no
#: model threshold (AI-STEM's; models record their own, ``UncertaintyMap.interface_threshold``).
MI_THRESHOLD_BITS = 0.1
_LAZY_SUFFIXES = {".zspy", ".hspy", ".hdf5", ".h5"}


def output_paths(out: str | Path) -> dict[str, Path]:
    """Paths of the files :func:`classify_file` writes into ``out``.

    Examples
    --------
    >>> output_paths("res")["summary"].as_posix()
    'res/summary.json'
    """
    return {role: Path(out) / name for role, name in OUTPUTS.items()}


def _size_bytes(path: Path) -> int:
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size


def _auto_lazy(path: Path) -> bool:
    return path.suffix.lower() in _LAZY_SUFFIXES and _size_bytes(path) > LAZY_THRESHOLD_BYTES


@contextmanager
def _quiet_hyperspy_log():
    """HyperSpy logs failed reads as ERROR lines; the caller reports them in one line."""
    logger = logging.getLogger("hyperspy")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _describe(signal) -> str:
    title = signal.metadata.get_item("General.title") or "untitled"
    am = signal.axes_manager
    nav = ", ".join(str(n) for n in am.navigation_shape)
    sig = ", ".join(str(n) for n in am.signal_shape)
    return f"{title!r} {type(signal).__name__} ({nav}|{sig})"


def load_image(
    path: str | Path,
    lazy: bool | None = None,
    signal_type: str = IMAGE,
    signal_index: int | None = None,
):
    """Load the image (or stack) of a file as an atomic-resolution signal.

    Parameters
    ----------
    path
        Any file :func:`hyperspy.api.load` reads.
    lazy
        Read lazily; default: lazily for ``.zspy``/``.hspy`` files over
        :data:`LAZY_THRESHOLD_BYTES`.
    signal_type
        ``"atomic_resolution"`` or one of its aliases.
    signal_index
        Which signal of a multi-signal file; default: its only 2D image.

    Returns
    -------
    AtomicResolution2D or LazyAtomicResolution2D

    Raises
    ------
    FileNotFoundError, ValueError
        A missing or unreadable file, no (or several) 2D images, an RGB image.

    Examples
    --------
    >>> s.save("cu.tif")  # s: a calibrated image
    >>> load_image("cu.tif")
    <AtomicResolution2D, title: , dimensions: (|200, 200)>
    """
    import hyperspy.api as hs

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist.")
    _check_readable_format(path)
    if signal_type not in IMAGE_TYPES:
        raise ValueError(f"signal_type must be one of {list(IMAGE_TYPES)}, not {signal_type!r}.")
    lazy = _auto_lazy(path) if lazy is None else bool(lazy)
    try:
        with _quiet_hyperspy_log():
            loaded = hs.load(str(path), lazy=lazy)
    except Exception as err:  # readers raise anything from OSError to KeyError
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"cannot read {path}: {message}") from err
    signals = loaded if isinstance(loaded, list) else [loaded]
    if signal_index is not None:
        if not -len(signals) <= signal_index < len(signals):
            raise ValueError(
                f"signal_index={signal_index} but {path} holds {len(signals)} signal(s)."
            )
        signal = signals[signal_index]
        if signal.axes_manager.signal_dimension != 2:
            raise ValueError(
                f"signal {signal_index} of {path} is not a 2D image: {_describe(signal)}."
            )
    else:
        images = [s for s in signals if s.axes_manager.signal_dimension == 2]
        found = "; ".join(f"{i}: {_describe(s)}" for i, s in enumerate(signals))
        if not images:
            raise ValueError(f"{path} holds no 2D image ({found}).")
        if len(images) > 1:
            raise ValueError(
                f"{path} holds {len(images)} 2D images ({found}); choose one with "
                f"signal_index (--signal-index)."
            )
        signal = images[0]
    if signal.is_rgbx:
        raise ValueError(f"{path} is an RGB image; convert it to greyscale first.")
    if np.iscomplexobj(signal.data):
        raise ValueError(
            f"{path} holds complex data (e.g. an exit wave); classify a real image made from "
            f"it, such as its amplitude (s.amplitude) or phase (s.phase), saved to a file."
        )
    signal.set_signal_type(signal_type)
    if not hasattr(signal, "classify_symmetry"):
        raise ValueError(f"signal type {signal_type!r} did not give an atomic-resolution signal.")
    if not signal.metadata.get_item("General.original_filename"):
        signal.metadata.set_item("General.original_filename", path.name)
    return signal


def _check_readable_format(path: Path) -> None:
    """A clear error for a folder that is no zarr store or an extension no reader knows."""
    from rsciio import IO_PLUGINS

    suffix = path.suffix.lower().lstrip(".")
    if path.is_dir() and suffix != "zspy":
        raise ValueError(
            f"{path} is a folder, not an image file (of folders, only .zspy zarr stores are "
            f"read); give the path of an image file inside it."
        )
    known = sorted({e.lower() for p in IO_PLUGINS for e in p.get("file_extensions", [])})
    if suffix not in known:
        raise ValueError(
            f"cannot read {path}: no reader knows the extension {path.suffix or '(none)'!r}; "
            f"readable extensions are {', '.join(known)}."
        )


def _log(message: str, show: bool) -> None:
    if show:
        print(message, file=sys.stderr)


def _is_lazy(signal) -> bool:
    from hyperspy.signals import LazySignal

    return isinstance(signal, LazySignal)


def _unreadable_block(signal) -> tuple[tuple[int, ...], str] | None:
    """(first navigation index, error) of the first chunk of a lazy signal that cannot be
    read, or None when every chunk reads (or the signal is in memory)."""
    if not _is_lazy(signal):
        return None
    data = signal.data
    for index in np.ndindex(*data.numblocks):
        try:
            data.blocks[index].compute(scheduler="synchronous")
        except Exception as err:  # codecs and stores raise anything from OSError to RuntimeError
            first = tuple(sum(c[:i]) for c, i in zip(data.chunks[:-2], index, strict=False))
            text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            return first, text
    return None


def _compute_blocks(tasks: list, show_progressbar: bool, scheduler) -> None:
    """Run block-writing tasks in waves of twice the parallelism, so blocks are written as
    they are computed (left to itself, dask may compute every block before writing any)."""
    import dask
    from tqdm.auto import tqdm

    client = scheduler if scheduler is not None and not isinstance(scheduler, str) else None
    if client is not None:
        width = 2 * max(1, sum(client.nthreads().values()))
    else:
        width = 2 * (os.cpu_count() or 1)
    with tqdm(
        total=len(tasks),
        unit="block",
        disable=not show_progressbar or not tasks,
        desc="classifying",
    ) as bar:
        for i in range(0, len(tasks), width):
            wave = tasks[i : i + width]
            if client is not None:
                client.gather(client.compute(wave))
            else:
                dask.compute(*wave, scheduler=scheduler)
            bar.update(len(wave))


def summarize(probabilities, uncertainty) -> dict[str, Any]:
    """Class fractions, mean probabilities and uncertainty statistics of eager results.

    Fractions count the windows whose most probable class is each class (windows with NaN
    probabilities left out), over every frame; they sum to 1.

    Examples
    --------
    >>> summarize(p, u)["class_fractions"]  # doctest: +ELLIPSIS
    {'BCC_Fe_100': 0.0, ..., 'FCC_Cu_100': 1.0, ...}
    """
    names = probabilities.class_names
    labels = np.asarray(probabilities.predicted_class().data)
    valid = labels >= 0
    n_valid = int(valid.sum())
    axis = probabilities.data.ndim - 3
    pdata = np.moveaxis(np.asarray(probabilities.data, dtype=np.float64), axis, -1)
    pdata = pdata.reshape(-1, len(names))
    pdata = pdata[~np.isnan(pdata).any(axis=1)]
    fractions = {
        n: (float((labels == i).sum() / n_valid) if n_valid else 0.0) for i, n in enumerate(names)
    }
    means = {
        n: (float(pdata[:, i].mean()) if len(pdata) else None)  # None: no valid window
        for i, n in enumerate(names)
    }
    values = np.asarray(uncertainty.data, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    # The model's interface threshold is in bits of mutual information; other measures
    # keep AI-STEM's figure, as before models recorded their own.
    measure = uncertainty.metadata.get_item("Symmetry.measure", "mutual_information")
    threshold = (
        float(uncertainty.interface_threshold)
        if measure == "mutual_information"
        else MI_THRESHOLD_BITS
    )
    stats: dict[str, Any] = {
        "measure": uncertainty.metadata.get_item("Symmetry.measure"),
        "quantity": uncertainty.metadata.get_item("Signal.quantity"),
    }
    if values.size:
        stats.update(
            median=float(np.median(values)),
            p90=float(np.percentile(values, 90)),
            max=float(values.max()),
            fraction_above_threshold=float((values > threshold).mean()),
        )
    stats["threshold_bits"] = threshold
    return {
        "n_windows": int(labels.size),
        "n_valid_windows": n_valid,
        "class_fractions": fractions,
        "mean_probabilities": means,
        "mutual_information": stats,
    }


def classify_file(
    path: str | Path,
    out: str | Path,
    model: str = "aistem",
    window_size=None,
    stride=None,
    n_samples: int = 100,
    seed: int | None = None,
    lazy: bool | None = None,
    signal_type: str = IMAGE,
    signal_index: int | None = None,
    overwrite: bool = False,
    show_progressbar: bool = True,
    scheduler=None,
    precision: str = "auto",
    adaptive: bool | None = None,
    dropout: str = "model",
) -> dict[str, Any]:
    """Classify the image(s) of a file and write results, plots and a summary to ``out``.

    Parameters
    ----------
    path
        Input file (anything :func:`hyperspy.api.load` reads).
    out
        Output folder (created); see :data:`OUTPUTS` for what is written.
    model, window_size, stride, n_samples, seed
        As in ``classify_symmetry``: window and stride in pixels (int) or as lengths
        (``"12 Å"``, ``"1.2nm"``); an uncalibrated image needs them in pixels.
    lazy, signal_type, signal_index
        As in :func:`load_image`.
    overwrite
        Replace existing outputs (of a finished run, or of an unfinished run with other
        parameters); otherwise they are an error.
    show_progressbar
        Show dask's progress bar while the network runs.
    scheduler
        ``"threads"`` (default), ``"synchronous"``, ``"processes"`` or a
        ``dask.distributed.Client``.
    precision, adaptive, dropout
        As in ``classify_symmetry``; ``"float32"``, ``False`` and ``"all"`` is the exact
        mode.

    Returns
    -------
    dict
        The summary, as written to ``summary.json``.

    Notes
    -----
    The results are written into the ``.zspy`` stores block by block (one chunk of the
    input's navigation axes at a time), see :mod:`hyperspy_symmetry.stores`. If the run is
    interrupted, calling again with the same arguments computes only the blocks not yet
    written and ends with the same stores as an uninterrupted run; a run started with
    ``seed=None`` resumes with the seed it drew.

    Raises
    ------
    FileNotFoundError, FileExistsError, ValueError, TypeError
        A missing or unreadable input, an unknown model, bad window or stride, or an
        existing output without ``overwrite``; all before anything is computed.

    Examples
    --------
    >>> s.save("cu.tif")  # s: a 200 x 200 px image
    >>> summary = classify_file("cu.tif", "cu_result", window_size=100, stride=20,
    ...                         n_samples=20, seed=0)
    >>> sum(summary["class_fractions"].values())
    1.0
    """
    import hyperspy.api as hs

    from . import __version__
    from .models.mc_dropout import resolve_precision
    from .models.registry import resolve_model
    from .plotting import plot_class_map, plot_uncertainty, save_figure
    from .stores import ResumableRun, recorded_parameters

    start = time.perf_counter()
    path, paths = Path(path), output_paths(out)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist.")
    resolve_model(model)
    check_output_folder(paths["summary"].parent)
    s = load_image(path, lazy=lazy, signal_type=signal_type, signal_index=signal_index)
    roles = ("probabilities", "uncertainty")
    finished = paths["summary"].exists()
    if seed is None and not finished:
        # Resuming a run started without a seed: take the seed it drew.
        earlier = recorded_parameters(paths["summary"].parent)
        if earlier is not None and earlier.get("seed_given") is None:
            seed = earlier.get("seed")
    kw = dict(
        model=model,
        window_size=window_size,
        stride=stride,
        n_samples=n_samples,
        seed=seed,
        lazy_output=True,
        show_progressbar=False,
        precision=precision,
        adaptive=adaptive,
        dropout=dropout,
    )
    p = s.classify_symmetry(**kw)
    u = s.mc_uncertainty(measure="mutual_information", **kw)
    n_lead = s.axes_manager.navigation_dimension
    stat = path.stat()
    sym = p.metadata.Symmetry
    parameters = {
        "input": str(path.resolve()),
        "input_bytes": stat.st_size,
        "input_mtime_ns": stat.st_mtime_ns,
        "signal_index": signal_index,
        "signal_type": signal_type,
        "model_sha256": sym.model_sha256,
        "window": int(sym.window_size),
        "stride": int(sym.stride),
        "n_samples": int(sym.n_samples),
        "seed": int(sym.seed),
        "seed_given": seed,
        "precision": sym.precision,
        "adaptive": bool(sym.adaptive),
        "tolerance": float(sym.tolerance),
        "dropout": str(sym.get_item("dropout", "all")),
        "chunks": [list(c) for c in p.data.chunks[:n_lead] + p.data.chunks[-2:]],
    }
    run = ResumableRun(paths["summary"].parent, {r: paths[r] for r in roles}, parameters)
    if run.start(overwrite, finished) == "new":
        for role in ("class_map", "uncertainty_map", "summary"):
            paths[role].unlink(missing_ok=True)
        run.create({"probabilities": p, "uncertainty": u})
    tasks, n_blocks = run.pending_tasks([p.data, u.data], n_lead)
    if len(tasks) < n_blocks:
        _log(
            f"resuming: {n_blocks - len(tasks)} of {n_blocks} blocks already written",
            show_progressbar,
        )
    try:
        _compute_blocks(tasks, show_progressbar, scheduler or "threads")
    except Exception as err:
        # A lazily read input shows a damaged chunk only now, deep inside zarr or a codec:
        # name the file and the chunk instead.
        unreadable = _unreadable_block(s)
        if unreadable is None:
            raise
        where, message = unreadable
        raise ValueError(
            f"cannot read {path}: {message} (in the chunk starting at navigation index "
            f"{where}); repair or re-export the file, then run again with overwrite "
            f"(--overwrite), since the input changed."
        ) from err
    p = hs.load(paths["probabilities"])
    u = hs.load(paths["uncertainty"])
    frame = (0,) * s.axes_manager.navigation_dimension
    save_figure(plot_class_map, paths["class_map"], probabilities=p, image=s, index=frame)
    save_figure(plot_uncertainty, paths["uncertainty_map"], uncertainty=u, image=s, index=frame)

    sym = p.metadata.Symmetry
    ax_x = s.axes_manager.signal_axes[0]
    units = str(ax_x.units) if ax_x.units and str(ax_x.units) != "<undefined>" else None
    summary: dict[str, Any] = {
        "input": str(path.resolve()),
        "signal": {
            "title": s.metadata.get_item("General.title") or "",
            "signal_type": signal_type_of(s),
            "data_shape": list(s.data.shape),
            "navigation_shape": list(s.axes_manager.navigation_shape),
            "pixel_size": f"{ax_x.scale:g} {units}" if units else None,
            "lazy": _is_lazy(s),
        },
        "model": {"name": sym.model, "version": sym.model_version, "sha256": sym.model_sha256},
        "window": {"pixels": int(sym.window_size), "length": sym.get_item("window_size_length")},
        "stride": {"pixels": int(sym.stride), "length": sym.get_item("stride_length")},
        "n_samples": int(sym.n_samples),
        "seed": int(sym.seed),
        # "auto" is resolved where the model ran; this process resolves it alike.
        "precision": resolve_precision(sym.precision),
        "adaptive": bool(sym.adaptive),
        "dropout": sym.get_item("dropout", "all"),
        "sampled_dropout": sym.get_item("sampled_dropout", "all"),
        "gaussian_dropout": sym.get_item("gaussian_dropout", []),
        "grid_shape": list(p.data.shape[-2:]),
        "plotted_frame": list(frame),
    }
    calibration = sym.get_item("calibration")
    if calibration is not None:  # the calibration check of fixed-scale models
        summary["calibration"] = calibration.as_dictionary()
    if p.metadata.has_item("Symmetry.measured_lattices"):  # scale-free windows
        summary["lattice_check"] = p.lattice_check()
    summary.update(summarize(p, u))
    summary["outputs"] = {role: str(p_) for role, p_ in paths.items()}
    summary["run_time_s"] = round(time.perf_counter() - start, 3)
    summary["package_version"] = __version__
    import hyperspy

    summary["hyperspy_version"] = hyperspy.__version__
    summary["blocks"] = {"total": n_blocks, "computed_in_this_run": len(tasks)}
    paths["summary"].write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
    run.finish()
    return summary


def format_summary(summary: dict[str, Any]) -> str:
    """A short aligned table of class fractions and mutual-information statistics.

    Examples
    --------
    >>> s = {"class_fractions": {"square": 0.75, "noise": 0.25},
    ...      "mean_probabilities": {"square": 0.7, "noise": 0.3},
    ...      "n_valid_windows": 4,
    ...      "mutual_information": {"quantity": "Mutual information (bits)", "median": 0.01,
    ...                             "p90": 0.2, "max": 0.5, "fraction_above_threshold": 0.25,
    ...                             "threshold_bits": 0.1}}
    >>> print(format_summary(s))
    class   windows  fraction  mean p
    square        3     0.750   0.700
    noise         1     0.250   0.300
    <BLANKLINE>
    Mutual information (bits)
      median     0.0100
      p90        0.2000
      max        0.5000
      > 0.1     25.0 % of windows
    """
    fractions, means = summary["class_fractions"], summary["mean_probabilities"]
    n = summary["n_valid_windows"]
    width = max(len("class"), *(len(k) for k in fractions))
    lines = [f"{'class':<{width}}  windows  fraction  mean p"]
    for name, fraction in fractions.items():
        mean = "-" if means[name] is None else f"{means[name]:.3f}"
        lines.append(f"{name:<{width}}  {round(fraction * n):7d}  {fraction:8.3f}  {mean:>6}")
    mi = summary["mutual_information"]
    lines += ["", mi.get("quantity") or "Uncertainty"]
    if "median" in mi:
        for key in ("median", "p90", "max"):
            lines.append(f"  {key:<8} {mi[key]:8.4f}")
        lines.append(
            f"  {'> ' + format(mi['threshold_bits'], 'g'):<8} "
            f"{100 * mi['fraction_above_threshold']:5.1f} % of windows"
        )
    else:
        lines.append("  no finite values")
    return "\n".join(lines)
