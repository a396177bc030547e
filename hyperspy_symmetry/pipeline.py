"""The data path and its dask glue: images -> windows -> descriptors -> MC dropout -> statistics.

The classification is tiled: the window grid of each navigation chunk (any number of
navigation axes, chunked as the user chose) is cut into tiles of about :func:`tile_size`
bytes, and each task turns the pixels of one tile's windows (cut from the input's own
chunks) into the packed *statistics* array (mean class probabilities followed by the
uncertainty measures, see :mod:`hyperspy_symmetry.uncertainty`) of those windows. So one big
image is many tasks, for threads and cluster workers alike, and a task's memory does not
grow with the image. Descriptors, latent features and lattice rotations still take whole
images per task (:func:`as_image_dask`). Tasks carry only a small
:class:`~hyperspy_symmetry.models.ModelRef`; each process loads the weights once
(:func:`~hyperspy_symmetry.models.cached_model`).

Sharing one computation
    ``classify_symmetry`` and ``mc_uncertainty`` slice the same statistics array, whose dask
    name depends only on the input and the parameters, so computing both together runs the
    network once; and each process keeps recent block results in a small cache keyed by the
    block's content and the parameters, so computing them one after the other does too.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass

import dask
import dask.array as da
import numpy as np

from .descriptors import DESCRIPTOR_SIZE, window_descriptors
from .models.registry import ModelRef, cached_model
from .uncertainty import MEASURES
from .windows import window_grid_shape

__all__ = [
    "MCPlan",
    "session_seed",
    "resolve_seed",
    "frame_window_descriptors",
    "image_statistics",
    "clear_cache",
    "statistics_array",
    "descriptor_array",
    "as_image_dask",
    "period_array",
    "lattice_array",
    "as_image_source",
    "tile_size",
    "tile_chunks",
    "progress_wanted",
    "compute_all",
    "compute",
]

#: Pixels per block that eager data are split into along their navigation axes.
EAGER_PIXELS_PER_CHUNK = 2**22
#: Default bytes of descriptors and pixels per task (see :func:`tile_size`).
TILE_BYTES = 32 * 2**20
#: The fewest windows a tile holds, however large the navigation blocks.
MIN_TILE_WINDOWS = 64

_SESSION_SEED: int | None = None
_SEED_LOCK = threading.Lock()


def session_seed() -> int:
    """A random seed drawn once per Python session, used when ``seed=None``.

    With ``seed=None`` the results differ from one session to the next, but within a
    session the same call gives the same result, so ``classify_symmetry`` and
    ``mc_uncertainty`` still share one computation. The seed used is always recorded in
    ``metadata.Symmetry.seed``.
    """
    global _SESSION_SEED
    with _SEED_LOCK:
        if _SESSION_SEED is None:
            _SESSION_SEED = secrets.randbits(31)
        return _SESSION_SEED


def resolve_seed(seed: int | None) -> int:
    """Validate a user seed, or return the session seed for ``None``."""
    if seed is None:
        return session_seed()
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"`seed` must be a non-negative int or None, not {seed!r}.")
    if seed < 0:
        raise ValueError(f"`seed` must be a non-negative int or None, got {seed}.")
    return int(seed)


@dataclass(frozen=True)
class MCPlan:
    """Everything a task needs to turn images into statistics (small and picklable).

    ``precision`` may be ``"auto"``: each process resolves it when it loads the model
    (:func:`~hyperspy_symmetry.models.mc_dropout.resolve_precision`), so building a graph
    imports no TensorFlow. Give ``"float32"`` or ``"bfloat16"`` for the same arithmetic on
    workers of different hardware. ``dropout``: ``"model"`` samples the dropout layers the
    model card names, ``"all"`` every one. The defaults are the exact mode.
    """

    model: ModelRef
    descriptor: str
    window: int
    stride: int
    n_samples: int
    seed: int
    n_classes: int
    precision: str = "float32"
    adaptive: bool = False
    tolerance: float = 0.01
    dropout: str = "all"

    @property
    def n_statistics(self) -> int:
        return self.n_classes + len(MEASURES)


# -- the per-block computation ------------------------------------------------------------

_RESULTS: OrderedDict[str, np.ndarray] = OrderedDict()
_RESULTS_LOCK = threading.Lock()
#: Bytes of block results kept per process for sharing between calls.
RESULT_CACHE_BYTES = 256 * 2**20


def _cache_get(key: str) -> np.ndarray | None:
    with _RESULTS_LOCK:
        hit = _RESULTS.get(key)
        if hit is not None:
            _RESULTS.move_to_end(key)
        return hit


def _cache_put(key: str, value: np.ndarray) -> None:
    with _RESULTS_LOCK:
        _RESULTS[key] = value
        total = sum(v.nbytes for v in _RESULTS.values())
        while total > RESULT_CACHE_BYTES and len(_RESULTS) > 1:
            _, old = _RESULTS.popitem(last=False)
            total -= old.nbytes


def clear_cache() -> None:
    """Forget the block results this process keeps for sharing between calls."""
    with _RESULTS_LOCK:
        _RESULTS.clear()


def frame_window_descriptors(
    images: np.ndarray,
    descriptor: str,
    window: int,
    stride: int,
    windows: np.ndarray | None = None,
) -> np.ndarray:
    """Descriptors ``(..., gy, gx, 64, 64)`` on the grid of ``window``, each frame with its own
    window ``windows[...]`` (px, same parity as ``window``, at most ``window``) centred on the
    grid points; ``windows=None``: ``window`` for every frame.
    """
    if windows is None:
        return window_descriptors(images, descriptor, window, stride)
    windows = np.broadcast_to(np.asarray(windows, dtype=np.int64), images.shape[:-2])
    h, w = images.shape[-2:]
    gy, gx = window_grid_shape((h, w), window, stride)
    flat, frame_windows = images.reshape((-1, h, w)), windows.ravel()
    out = np.empty((len(flat), gy, gx, DESCRIPTOR_SIZE, DESCRIPTOR_SIZE), np.float32)
    for size in np.unique(frame_windows):
        m = (window - int(size)) // 2
        rows = np.flatnonzero(frame_windows == size)
        crop = flat[rows, m : m + (gy - 1) * stride + size, m : m + (gx - 1) * stride + size]
        out[rows] = window_descriptors(crop, descriptor, int(size), stride)
    return out.reshape(images.shape[:-2] + out.shape[1:])


def image_statistics(
    images: np.ndarray, plan: MCPlan, windows: np.ndarray | None = None
) -> np.ndarray:
    """Statistics of every window of a block of images.

    Parameters
    ----------
    images
        ``(..., H, W)`` real array.
    plan
        Model, descriptor, window, stride, T and seed.
    windows
        Optional window of each image (shape ``images.shape[:-2]``), centred on the grid of
        ``plan.window`` (see :func:`frame_window_descriptors`): scale-free models on movies
        whose magnification changes.

    Returns
    -------
    numpy.ndarray
        float32 ``(..., n_classes + 3, gy, gx)``.
    """
    key = dask.base.tokenize(images, plan, windows)
    hit = _cache_get(key)
    if hit is not None:
        return hit
    lead = images.shape[:-2]
    gy, gx = window_grid_shape(images.shape[-2:], plan.window, plan.stride)
    descriptors = frame_window_descriptors(
        images, plan.descriptor, plan.window, plan.stride, windows
    )
    model = cached_model(plan.model)
    stats = model.statistics(
        descriptors.reshape((-1, DESCRIPTOR_SIZE, DESCRIPTOR_SIZE)),
        plan.n_samples,
        plan.seed,
        precision=plan.precision,
        adaptive=plan.adaptive,
        tolerance=plan.tolerance,
        dropout=plan.dropout,
    )
    stats = stats.reshape(lead + (gy, gx, plan.n_statistics))
    stats = np.ascontiguousarray(np.moveaxis(stats, -1, -3))
    _cache_put(key, stats)
    return stats


def _framewise_statistics(images: np.ndarray, windows: np.ndarray, plan: MCPlan) -> np.ndarray:
    return image_statistics(images, plan, windows)


# -- dask graphs ------------------------------------------------------------------------------


def as_image_dask(data, lazy: bool) -> da.Array:
    """The images as a dask array whose blocks hold whole images.

    Lazy data keep their navigation chunks (they set memory use and parallelism, and the
    contract promises identical results for identical chunks). Eager data are split along
    the navigation axes into blocks of about :data:`EAGER_PIXELS_PER_CHUNK` pixels, for the
    progress bar and threads; results do not depend on this split.
    """
    if lazy:
        arr = data if isinstance(data, da.Array) else da.asarray(data)
        return arr.rechunk({arr.ndim - 2: -1, arr.ndim - 1: -1})
    arr = np.asarray(data)
    nav = arr.shape[:-2]
    frames_per_chunk = max(1, EAGER_PIXELS_PER_CHUNK // (arr.shape[-2] * arr.shape[-1]))
    chunks = []
    remaining = frames_per_chunk
    for n in reversed(nav):  # fill the fastest navigation axis first
        c = max(1, min(n, remaining))
        chunks.insert(0, c)
        remaining = max(1, remaining // n) if c == n else 1
    return da.from_array(arr, chunks=tuple(chunks) + arr.shape[-2:])


def _blockwise_images(fn, images: da.Array, new_axes: dict[str, int], dtype, name: str, **kw):
    """Blockwise map of whole-image blocks ``(..., H, W)`` to blocks ``(..., *new_axes)``."""
    nav = "abcdefgh"[: images.ndim - 2]
    return da.blockwise(
        fn,
        nav + "".join(new_axes),
        images,
        nav + "yx",
        new_axes=new_axes,
        concatenate=True,
        dtype=dtype,
        name=name,
        meta=np.empty((0,) * (len(nav) + len(new_axes)), dtype=dtype),
        **kw,
    )


def _framewise_statistics_array(images: da.Array, plan: MCPlan, windows: np.ndarray) -> da.Array:
    """Lazy statistics ``(..., n_classes + 3, gy, gx)`` of whole-image blocks ``(..., H, W)``.

    ``windows`` (navigation shape, optional): each image's own window, see
    :func:`image_statistics`.
    """
    gy, gx = window_grid_shape(images.shape[-2:], plan.window, plan.stride)
    name = "symmetry-statistics-" + dask.base.tokenize(images.name, plan, windows)
    new_axes = {"k": plan.n_statistics, "i": gy, "j": gx}
    nav = "abcdefgh"[: images.ndim - 2]
    frame_windows = da.from_array(np.asarray(windows, dtype=np.int64), chunks=images.chunks[:-2])
    return da.blockwise(
        _framewise_statistics,
        nav + "".join(new_axes),
        images,
        nav + "yx",
        frame_windows,
        nav,
        new_axes=new_axes,
        concatenate=True,
        dtype=np.float32,
        name=name,
        meta=np.empty((0,) * (len(nav) + 3), dtype=np.float32),
        plan=plan,
    )


def as_image_source(data, lazy: bool) -> da.Array:
    """The images as a dask array to cut tiles from: lazy data keep all their chunks (a
    tile reads only the chunks it overlaps), eager data are split along the navigation
    axes as in :func:`as_image_dask` and whole in y and x (tiles are views of them)."""
    if lazy:
        return data if isinstance(data, da.Array) else da.asarray(data)
    return as_image_dask(data, lazy=False)


def tile_size() -> int:
    """Bytes of descriptors and pixels one task may hold: dask config
    ``hyperspy_symmetry.tile-size`` (e.g. ``"64MiB"``), default :data:`TILE_BYTES`."""
    value = dask.config.get("hyperspy_symmetry.tile-size", TILE_BYTES)
    return int(dask.utils.parse_bytes(value) if isinstance(value, str) else value)


def tile_chunks(
    grid_shape: tuple[int, int], frames: int, stride: int, itemsize: int, budget: int | None = None
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Windows per tile along (gy, gx): square-ish tiles of about ``budget`` bytes.

    A window costs its descriptor (16 KiB) and its share of the image (``stride**2``
    pixels), in each of the ``frames`` images of a navigation block; the budget allows at
    least :data:`MIN_TILE_WINDOWS` windows. Tiles are balanced (each side more than half
    that of a square tile of the budget), and all but the last along an axis are equal
    (so that zarr chunks of the same size hold one tile each).

    A grid that fits in one tile but fills more than a quarter of the budget, with at
    least ``4 * MIN_TILE_WINDOWS`` windows, is cut in two along its longer side: one task
    would leave a core idle whenever it is not in the network (its descriptors, its
    bookkeeping between network calls), while two tasks fill those gaps with each other's
    work (a 2048 px image at stride 64: 17 % less time, docs/benchmarks.md). Smaller
    grids stay whole: halves of a few hundred windows pay more for their padded network
    calls than they gain.

    Examples
    --------
    >>> tile_chunks((127, 127), 1, 64, 4, budget=32 * 2**20)  # 8192 px, float32, stride 64
    ((32, 32, 32, 31), (32, 32, 32, 31))
    >>> tile_chunks((31, 31), 1, 64, 4)  # 2048 px: one tile's worth, in two
    ((16, 15), (31,))
    >>> tile_chunks((3, 3), 1, 64, 4)
    ((3,), (3,))
    """
    budget = tile_size() if budget is None else int(budget)
    per_window = frames * (DESCRIPTOR_SIZE**2 * 4 + stride * stride * itemsize)
    windows = max(MIN_TILE_WINDOWS, budget // max(per_window, 1))
    side = max(1, int(np.sqrt(windows)))
    chunks = []
    for g in grid_shape:
        n = -(-g // min(side, g))
        c = -(-g // n)
        chunks.append((c,) * (n - 1) + (g - c * (n - 1),))
    gy, gx = grid_shape
    if (
        len(chunks[0]) == len(chunks[1]) == 1
        and gy * gx >= 4 * MIN_TILE_WINDOWS
        and 4 * gy * gx * per_window > budget
    ):
        axis = 0 if gy >= gx else 1
        g = grid_shape[axis]
        chunks[axis] = (g - g // 2, g // 2)
    return tuple(chunks)


def _tile(
    images: da.Array, rows: tuple[int, int], cols: tuple[int, int], window: int, stride: int
) -> da.Array:
    """The pixels of the windows ``rows[0]:rows[1]`` x ``cols[0]:cols[1]`` of the grid,
    whole in y and x (merged from the input chunks it overlaps only)."""
    (i0, i1), (j0, j1) = rows, cols
    tile = images[
        ..., i0 * stride : (i1 - 1) * stride + window, j0 * stride : (j1 - 1) * stride + window
    ]
    return tile.rechunk({tile.ndim - 2: -1, tile.ndim - 1: -1})


def statistics_array(
    images: da.Array, plan: MCPlan, windows: np.ndarray | None = None
) -> da.Array:
    """Lazy statistics ``(..., n_classes + 3, gy, gx)`` of images ``(..., H, W)``, by tiles.

    ``windows`` (navigation shape, optional): each image's own window (a movie whose
    magnification changes, see :func:`image_statistics`); such images are computed whole,
    not tiled.

    The window grid is cut into tiles of about :func:`tile_size` bytes
    (:func:`tile_chunks`); each task takes the pixels its windows need (a tile overlaps
    its neighbours by ``window - stride``) from the input's own chunks. A window's result
    does not depend on its tile, so any tiling gives the same bits. The result has the
    navigation chunks of ``images`` and the tiles as chunks of the grid axes.
    """
    if windows is not None:
        return _framewise_statistics_array(images, plan, windows)
    gy, gx = window_grid_shape(images.shape[-2:], plan.window, plan.stride)
    frames = max(max(c) for c in images.chunks[:-2]) if images.ndim > 2 else 1
    ty, tx = tile_chunks((gy, gx), frames, plan.stride, images.dtype.itemsize)
    starts_y, starts_x = np.cumsum((0,) + ty), np.cumsum((0,) + tx)
    token = dask.base.tokenize(images.name, plan, ty, tx)
    rows = []
    for a, (i0, i1) in enumerate(zip(starts_y[:-1], starts_y[1:], strict=False)):
        row = []
        for b, (j0, j1) in enumerate(zip(starts_x[:-1], starts_x[1:], strict=False)):
            tile = _tile(images, (int(i0), int(i1)), (int(j0), int(j1)), plan.window, plan.stride)
            row.append(
                _blockwise_images(
                    image_statistics,
                    tile,
                    {"k": plan.n_statistics, "i": int(i1 - i0), "j": int(j1 - j0)},
                    np.float32,
                    f"symmetry-statistics-{token}-{a}-{b}",
                    plan=plan,
                )
            )
        rows.append(row)
    if len(rows) == 1 and len(rows[0]) == 1:
        return rows[0][0]
    return da.block(rows)


def descriptor_array(images: da.Array, descriptor: str, window: int, stride: int) -> da.Array:
    """Lazy descriptors ``(..., gy, gx, 64, 64)`` of whole-image blocks ``(..., H, W)``."""
    gy, gx = window_grid_shape(images.shape[-2:], window, stride)
    name = "symmetry-descriptors-" + dask.base.tokenize(images.name, descriptor, window, stride)
    return _blockwise_images(
        window_descriptors,
        images,
        {"i": gy, "j": gx, "u": DESCRIPTOR_SIZE, "v": DESCRIPTOR_SIZE},
        np.float32,
        name,
        descriptor=descriptor,
        window=window,
        stride=stride,
    )


def period_array(images: da.Array, max_frequency: float | None = None) -> da.Array:
    """Lazy ``(..., 3)`` lattice spacings ``a, b`` (px) and angle of whole-image blocks, as
    scale-free windows measure them (:func:`hyperspy_symmetry.fft_lattice.plausible_spacings`,
    Bragg peaks up to ``max_frequency`` cycles/px)."""
    from .fft_lattice import frame_periods

    return images.map_blocks(
        frame_periods,
        plausible=True,
        max_frequency=max_frequency,
        chunks=images.chunks[:-2] + ((3,),),
        drop_axis=images.ndim - 1,
        dtype=np.float64,
        meta=np.empty((0,) * (images.ndim - 1)),
        name="symmetry-scale-spacings-" + dask.base.tokenize(images.name, max_frequency),
    )


def lattice_array(
    images: da.Array, window: int, stride: int, max_frequency: float | None = None
) -> da.Array:
    """Lazy ``(..., 3, gy, gx)`` lattice readout ``a, b`` (px), ``gamma`` of every window
    (:func:`hyperspy_symmetry.fft_lattice.window_lattices`, Bragg peaks up to
    ``max_frequency`` cycles/px)."""
    from .fft_lattice import window_lattices

    gy, gx = window_grid_shape(images.shape[-2:], window, stride)
    name = "symmetry-lattices-" + dask.base.tokenize(images.name, window, stride, max_frequency)
    return _blockwise_images(
        window_lattices,
        images,
        {"k": 3, "i": gy, "j": gx},
        np.float32,
        name,
        window=window,
        stride=stride,
        max_frequency=max_frequency,
    )


def bragg_amplitude_array(images: da.Array, window: int, stride: int) -> da.Array:
    """Lazy ``(..., gy, gx)`` Bragg amplitude of every window of whole-image blocks
    (:func:`hyperspy_symmetry.analysis.lattice_coverage.bragg_amplitude`)."""
    from .analysis.lattice_coverage import bragg_amplitude

    gy, gx = window_grid_shape(images.shape[-2:], window, stride)
    name = "symmetry-bragg-amplitude-" + dask.base.tokenize(images.name, window, stride)
    return _blockwise_images(
        bragg_amplitude, images, {"i": gy, "j": gx}, np.float64, name, window=window, stride=stride
    )


def progress_wanted(show_progressbar: bool | None) -> bool:
    """``show_progressbar``, or HyperSpy's preference for ``None``."""
    if show_progressbar is None:
        from hyperspy.defaults_parser import preferences

        return bool(preferences.General.show_progressbar)
    return bool(show_progressbar)


def _distributed_client():
    """The dask.distributed Client that dask computes on now, or None."""
    scheduler = dask.base.get_scheduler()
    client = getattr(scheduler, "__self__", None)
    return client if type(client).__name__ == "Client" else None


def compute_all(arrays, show_progressbar: bool | None = None, desc: str = "computing") -> list:
    """Compute dask arrays together on the current scheduler, with a tqdm bar on stderr.

    Arrays that are not dask arrays are passed through as NumPy arrays. The bar counts the
    graph's tasks, so it advances as blocks finish; on a dask.distributed Client it counts
    the output blocks. ``show_progressbar=None`` follows HyperSpy's preference.

    Examples
    --------
    >>> a, b = compute_all([da.arange(4, chunks=2), np.ones(2)], show_progressbar=False)
    >>> a.tolist(), b.tolist()
    ([0, 1, 2, 3], [1.0, 1.0])
    """
    lazy = [i for i, a in enumerate(arrays) if isinstance(a, da.Array)]
    out = [a if i in lazy else np.asarray(a) for i, a in enumerate(arrays)]
    if not lazy:
        return out
    todo = [arrays[i] for i in lazy]
    show = progress_wanted(show_progressbar)
    client = _distributed_client()
    if client is not None:
        from distributed import as_completed, futures_of
        from tqdm.auto import tqdm

        persisted = client.persist(todo)
        futures = futures_of(persisted)
        with tqdm(total=len(futures), desc=desc, unit="block", disable=not show) as bar:
            for _ in as_completed(futures):
                bar.update()
        results = client.compute(persisted, sync=True)
    elif show:
        from tqdm.auto import tqdm
        from tqdm.dask import TqdmCallback

        with TqdmCallback(desc=desc, tqdm_class=tqdm):
            results = dask.compute(*todo)
    else:
        results = dask.compute(*todo)
    for i, r in zip(lazy, results, strict=False):
        out[i] = np.asarray(r)
    return out


def compute(array, show_progressbar: bool | None = None, desc: str = "computing") -> np.ndarray:
    """One array computed as :func:`compute_all` does."""
    return compute_all([array], show_progressbar, desc)[0]
