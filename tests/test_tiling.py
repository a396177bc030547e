"""One big image is cut into tiles of the window grid: same bits however tiled."""

from __future__ import annotations

import re

import dask
import numpy as np
import pytest
from conftest import calibrated, lattice_image

from hyperspy_symmetry import pipeline

KW = dict(window_size=64, stride=12, n_samples=20, seed=3, show_progressbar=False)


@pytest.fixture(scope="module")
def image():
    return lattice_image((400, 300), period=(7.0, 9.0), seed=1).astype(np.float32)


def _both(s, model, tile_size=None, **kw):
    """Lazy probabilities and uncertainty signals (fresh block cache)."""
    pipeline.clear_cache()
    config = {} if tile_size is None else {"hyperspy_symmetry.tile-size": tile_size}
    with dask.config.set(config):
        p = s.classify_symmetry(model=model, lazy_output=True, **KW, **kw)
        u = s.mc_uncertainty(model=model, lazy_output=True, **KW, **kw)
    return p, u


def _computed(s, model, tile_size, **kw):
    p, u = _both(s, model, tile_size, **kw)
    return dask.compute(p.data, u.data)


def test_tile_chunks_follow_the_budget():
    # 8192 px at stride 64 (float32): 32 KiB per window, 1024 windows per 32 MiB tile.
    assert pipeline.tile_chunks((127, 127), 1, 64, 4, budget=32 * 2**20) == (
        (32, 32, 32, 31),
        (32, 32, 32, 31),
    )
    # Twice the frames per block: half the windows per tile.
    ty, tx = pipeline.tile_chunks((127, 127), 2, 64, 4, budget=32 * 2**20)
    assert max(ty) * max(tx) <= 512 < (max(ty) + 1) * (max(tx) + 1)
    for grid in [(1, 1), (3, 500), (97, 13), (180, 180)]:
        ty, tx = pipeline.tile_chunks(grid, 1, 8, 8, budget=2**20)
        assert (sum(ty), sum(tx)) == grid
        assert len(set(ty[:-1])) <= 1 and ty[-1] <= ty[0]  # regular, as zarr chunks are
        assert len(set(tx[:-1])) <= 1 and tx[-1] <= tx[0]
        # Square tiles of MIN_TILE_WINDOWS = 64 windows have sides of 8; balanced ones
        # keep more than half of that.
        assert all(c[0] == g or c[0] > 4 for c, g in zip((ty, tx), grid, strict=False))
    # A grid that fits one tile but fills more than a quarter of the budget is cut in two
    # along its longer side (two tasks share the cores); a smaller one stays whole.
    assert pipeline.tile_chunks((31, 31), 1, 64, 4) == ((16, 15), (31,))  # 2048 px
    assert pipeline.tile_chunks((20, 45), 1, 64, 4) == ((20,), (23, 22))
    assert pipeline.tile_chunks((15, 15), 1, 64, 4) == ((15,), (15,))  # 1024 px
    assert pipeline.tile_chunks((29, 20), 1, 12, 4, budget=2**30) == ((29,), (20,))
    with dask.config.set({"hyperspy_symmetry.tile-size": "1MiB"}):
        assert pipeline.tile_size() == 2**20


def test_tiled_results_are_bit_identical(image, tiny_aistem):
    s = calibrated(image)
    p1, u1 = _both(s, tiny_aistem, tile_size="1GiB")  # one tile: the untiled path
    assert p1.data.numblocks == (1, 1, 1)
    whole = dask.compute(p1.data, u1.data)
    # Small tiles, eager input; then lazy input chunked across the tiles' edges.
    lazy = calibrated(image, lazy=True, chunks=(97, 61))
    for signal in (s, lazy):
        p, u = _both(signal, tiny_aistem, tile_size="600KiB")
        assert p.data.numblocks[1] * p.data.numblocks[2] >= 6, p.data.chunks
        tiled = dask.compute(p.data, u.data)
        for a, b in zip(whole, tiled, strict=False):
            np.testing.assert_array_equal(a, b)
    assert np.isfinite(whole[0]).all()
    # The adaptive mode stops each window on its own samples: tiling changes nothing.
    exact = [
        _computed(s, tiny_aistem, size, adaptive=False, precision="float32")
        for size in ("1GiB", "600KiB")
    ]
    for a, b in zip(*exact, strict=False):
        np.testing.assert_array_equal(a, b)


def test_a_tile_reads_only_the_input_chunks_it_needs(image, tiny_aistem):
    lazy = calibrated(image, lazy=True, chunks=(100, 100))
    p, _ = _both(lazy, tiny_aistem, tile_size="600KiB")
    from dask.core import get_dependencies

    assert p.data.chunks[1:] == ((8, 8, 8, 5), (7, 7, 6))
    first = p.data.blocks[0, 0, 0]
    graph = dict(first.__dask_graph__())
    needed, todo = set(), [first.__dask_keys__()[0][0][0]]
    while todo:
        key = todo.pop()
        if key not in needed:
            needed.add(key)
            todo.extend(get_dependencies(graph, key))
    read = {k[1:] for k in needed if isinstance(k, tuple) and k[0] == lazy.data.name}
    # Its windows need rows 0:8 and columns 0:7 of the grid: pixels 0:148 x 0:136.
    assert read == {(0, 0), (0, 1), (1, 0), (1, 1)}, read


def test_a_big_eager_image_is_many_blocks(tiny_aistem):
    # Only the graph is built: 4096 x 4096 at stride 64 (100 px windows).
    s = calibrated(np.zeros((4096, 4096), dtype=np.float32))
    p = s.classify_symmetry(
        model=tiny_aistem, window_size=100, stride=64, n_samples=2, seed=0, lazy_output=True
    )
    ty, tx = pipeline.tile_chunks((63, 63), 1, 64, 4)
    assert p.data.chunks[1:] == (ty, tx)
    assert p.data.numblocks == (1, len(ty), len(tx)) and len(ty) * len(tx) >= 4


def test_progress_bar_advances_with_the_tiles(image, tiny_aistem, capsys):
    s = calibrated(image)
    pipeline.clear_cache()
    with dask.config.set({"hyperspy_symmetry.tile-size": "600KiB"}):
        p = s.classify_symmetry(model=tiny_aistem, **dict(KW, show_progressbar=True))
    captured = capsys.readouterr()
    assert captured.out == ""
    counts = [(int(n), int(total)) for n, total in re.findall(r"(\d+)/(\d+) \[", captured.err)]
    # tqdm on stderr counts the graph's tasks: at least one per tile, all done at the end.
    n, total = counts[-1]
    assert n == total >= 12 and p.data.shape[1:] == (29, 20), captured.err


@pytest.mark.timeout(600)
def test_local_cluster_shares_one_image(image, tiny_aistem):
    from distributed import Client, LocalCluster

    s = calibrated(image, lazy=True, chunks=(200, 150))
    threaded = _computed(s, tiny_aistem, "600KiB")
    pipeline.clear_cache()
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        p, u = _both(s, tiny_aistem, tile_size="600KiB")
        distributed = client.compute([p.data, u.data], sync=True)
        # Both workers ran tiles: each loaded the model itself.
        loaded = client.run(
            lambda: len(
                __import__("hyperspy_symmetry.models.registry", fromlist=["_CACHE"])._CACHE
            )
        )
        assert sorted(loaded.values()) == [1, 1], loaded
    for a, b in zip(threaded, distributed, strict=False):
        np.testing.assert_array_equal(a, b)
