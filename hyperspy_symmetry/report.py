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
    (median, 90th percentile, maximum, fraction above 0.1 bits), run time and versions.
    Statistics run over every window of every frame.

Examples
--------
>>> from hyperspy_symmetry.report import classify_file, format_summary
>>> summary = classify_file("image.dm4", "result", stride="2.4 Å")  # doctest: +SKIP
>>> print(format_summary(summary))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

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
#: Windows above this mutual information (bits) count as uncertain (AI-STEM's threshold).
MI_THRESHOLD_BITS = 0.1
_LAZY_SUFFIXES = {".zspy", ".hspy", ".hdf5", ".h5"}
_IMAGE_TYPES = ("atomic_resolution", "STEM", "HAADF", "STM")


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
    return f"{title!r} {type(signal).__name__} {signal.axes_manager._get_dimension_str()}"


def load_image(
    path: str | Path,
    lazy: bool | None = None,
    signal_type: str = "atomic_resolution",
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
    >>> s = load_image("image.tif")  # doctest: +SKIP
    """
    import hyperspy.api as hs

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist.")
    if signal_type not in _IMAGE_TYPES:
        raise ValueError(f"signal_type must be one of {list(_IMAGE_TYPES)}, not {signal_type!r}.")
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
            raise ValueError(f"signal {signal_index} of {path} is not a 2D image: "
                             f"{_describe(signal)}.")
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
    signal.set_signal_type(signal_type)
    if not hasattr(signal, "classify_symmetry"):
        raise ValueError(f"signal type {signal_type!r} did not give an atomic-resolution signal.")
    if not signal.metadata.get_item("General.original_filename"):
        signal.metadata.set_item("General.original_filename", path.name)
    return signal


def _check_outputs(paths: dict[str, Path], overwrite: bool) -> None:
    out = paths["summary"].parent
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a folder.")
    existing = [p for p in paths.values() if p.exists()]
    if existing and not overwrite:
        raise FileExistsError(f"{existing[0]} exists; pass --overwrite to replace it.")


def _compute(arrays, show_progressbar: bool, scheduler):
    """Compute dask arrays together (one MC-dropout run) with a progress bar if asked."""
    import dask

    if scheduler is not None and not isinstance(scheduler, str):  # a distributed Client
        futures = scheduler.compute(list(arrays))
        if show_progressbar:
            from distributed import progress

            progress(futures)
        return scheduler.gather(futures)
    if show_progressbar:
        from dask.diagnostics import ProgressBar

        with ProgressBar():
            return dask.compute(*arrays, scheduler=scheduler)
    return dask.compute(*arrays, scheduler=scheduler)


def _eager(signal, data):
    """The eager twin of a lazy result signal, holding ``data``."""
    from .signals import SymmetryProbabilities, SymmetryUncertainty

    cls = SymmetryProbabilities if signal._signal_type == "symmetry_probabilities" else (
        SymmetryUncertainty)
    return cls(np.asarray(data), axes=signal.axes_manager._get_axes_dicts(),
               metadata=signal.metadata.as_dictionary())


def summarize(probabilities, uncertainty) -> dict[str, Any]:
    """Class fractions, mean probabilities and uncertainty statistics of eager results.

    Fractions count the windows whose most probable class is each class (windows with NaN
    probabilities left out), over every frame; they sum to 1.

    Examples
    --------
    >>> summarize(p, u)["class_fractions"]  # doctest: +SKIP
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
    fractions = {n: (float((labels == i).sum() / n_valid) if n_valid else 0.0)
                 for i, n in enumerate(names)}
    means = {n: (float(pdata[:, i].mean()) if len(pdata) else None)  # None: no valid window
             for i, n in enumerate(names)}
    values = np.asarray(uncertainty.data, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    stats: dict[str, Any] = {
        "measure": uncertainty.metadata.get_item("Symmetry.measure"),
        "quantity": uncertainty.metadata.get_item("Signal.quantity"),
    }
    if values.size:
        stats.update(
            median=float(np.median(values)),
            p90=float(np.percentile(values, 90)),
            max=float(values.max()),
            fraction_above_threshold=float((values > MI_THRESHOLD_BITS).mean()),
        )
    stats["threshold_bits"] = MI_THRESHOLD_BITS
    return {
        "n_windows": int(labels.size),
        "n_valid_windows": n_valid,
        "class_fractions": fractions,
        "mean_probabilities": means,
        "mutual_information": stats,
    }


def _save_png(draw, path: Path, **kwargs) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.5, 6), layout="constrained")
    draw(ax=fig.add_subplot(), **kwargs)
    fig.savefig(path, dpi=100)


def classify_file(
    path: str | Path,
    out: str | Path,
    model: str = "aistem",
    window_size=None,
    stride=None,
    n_samples: int = 100,
    seed: int | None = None,
    lazy: bool | None = None,
    signal_type: str = "atomic_resolution",
    signal_index: int | None = None,
    overwrite: bool = False,
    show_progressbar: bool = True,
    scheduler=None,
    precision: str = "auto",
    adaptive: bool = True,
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
        Replace existing outputs; otherwise an existing output is an error.
    show_progressbar
        Show dask's progress bar while the network runs.
    scheduler
        ``"threads"`` (default), ``"synchronous"``, ``"processes"`` or a
        ``dask.distributed.Client``.
    precision, adaptive
        As in ``classify_symmetry``; ``"float32"`` and ``False`` is the exact mode.

    Returns
    -------
    dict
        The summary, as written to ``summary.json``.

    Raises
    ------
    FileNotFoundError, FileExistsError, ValueError, TypeError
        A missing or unreadable input, an unknown model, bad window or stride, or an
        existing output without ``overwrite``; all before anything is computed.

    Examples
    --------
    >>> summary = classify_file("cu.tif", "cu_result", window_size=100, stride=20,
    ...                         n_samples=20, seed=0)  # doctest: +SKIP
    >>> sum(summary["class_fractions"].values())  # doctest: +SKIP
    1.0
    """
    from . import __version__
    from .models.registry import resolve_model
    from .plotting import plot_class_map, plot_uncertainty

    start = time.perf_counter()
    path, paths = Path(path), output_paths(out)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist.")
    resolve_model(model)
    _check_outputs(paths, overwrite)
    s = load_image(path, lazy=lazy, signal_type=signal_type, signal_index=signal_index)
    kw = dict(model=model, window_size=window_size, stride=stride, n_samples=n_samples,
              seed=seed, lazy_output=True, show_progressbar=False, precision=precision,
              adaptive=adaptive)
    p = s.classify_symmetry(**kw)
    u = s.mc_uncertainty(measure="mutual_information", **kw)
    pdata, udata = _compute((p.data, u.data), show_progressbar, scheduler or "threads")
    p, u = _eager(p, pdata), _eager(u, udata)

    paths["summary"].parent.mkdir(parents=True, exist_ok=True)
    for role in ("probabilities", "uncertainty"):
        if paths[role].is_dir():  # a stale store: replace it, do not merge into it
            shutil.rmtree(paths[role])
        elif paths[role].exists():
            paths[role].unlink()
    p.save(str(paths["probabilities"]), overwrite=True)
    u.save(str(paths["uncertainty"]), overwrite=True)
    frame = (0,) * s.axes_manager.navigation_dimension
    _save_png(plot_class_map, paths["class_map"], probabilities=p, image=s, index=frame)
    _save_png(plot_uncertainty, paths["uncertainty_map"], uncertainty=u, image=s, index=frame)

    sym = p.metadata.Symmetry
    ax_x = s.axes_manager.signal_axes[0]
    units = str(ax_x.units) if ax_x.units and str(ax_x.units) != "<undefined>" else None
    summary: dict[str, Any] = {
        "input": str(path.resolve()),
        "signal": {
            "title": s.metadata.get_item("General.title") or "",
            "signal_type": s._signal_type,
            "data_shape": list(s.data.shape),
            "navigation_shape": list(s.axes_manager.navigation_shape),
            "pixel_size": f"{ax_x.scale:g} {units}" if units else None,
            "lazy": bool(s._lazy),
        },
        "model": {"name": sym.model, "version": sym.model_version, "sha256": sym.model_sha256},
        "window": {"pixels": int(sym.window_size),
                   "length": sym.get_item("window_size_length")},
        "stride": {"pixels": int(sym.stride), "length": sym.get_item("stride_length")},
        "n_samples": int(sym.n_samples),
        "seed": int(sym.seed),
        "precision": sym.precision,
        "adaptive": bool(sym.adaptive),
        "grid_shape": list(p.data.shape[-2:]),
        "plotted_frame": list(frame),
    }
    summary.update(summarize(p, u))
    summary["outputs"] = {role: str(p_) for role, p_ in paths.items()}
    summary["run_time_s"] = round(time.perf_counter() - start, 3)
    summary["package_version"] = __version__
    import hyperspy

    summary["hyperspy_version"] = hyperspy.__version__
    paths["summary"].write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
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
        lines.append(f"  {'> ' + format(mi['threshold_bits'], 'g'):<8} "
                     f"{100 * mi['fraction_above_threshold']:5.1f} % of windows")
    else:
        lines.append("  no finite values")
    return "\n".join(lines)
