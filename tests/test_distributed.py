"""The same seed and chunks give bit-identical results on every dask scheduler."""

import dask
import numpy as np
import pytest

from hyperspy_symmetry import pipeline

from conftest import calibrated, lattice_image


@pytest.fixture(scope="module")
def lazy_movie():
    data = np.stack([lattice_image((192, 192), period=(7 + i, 8), seed=i) for i in range(4)])
    return data


def _results(data, model, scheduler):
    s = calibrated(data, lazy=True, chunks=(1, 192, 192))
    kw = dict(model=model, window_size=100, stride=23, n_samples=8, seed=11)
    p = s.classify_symmetry(**kw)
    u = s.mc_uncertainty(**kw)
    with dask.config.set(scheduler=scheduler):
        return dask.compute(p.data, u.data)


@pytest.mark.timeout(600)
def test_local_cluster_matches_threaded(lazy_movie, tiny_aistem):
    from distributed import Client, LocalCluster

    threaded = _results(lazy_movie, tiny_aistem, "threads")
    pipeline.clear_cache()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        distributed = _results(lazy_movie, tiny_aistem, client)
        # the workers loaded the model themselves, from the reference in the graph
        ran_on = client.run(lambda: len(__import__("hyperspy_symmetry.models.registry",
                                                    fromlist=["_CACHE"])._CACHE))
        assert sum(ran_on.values()) >= 1
    for a, b in zip(threaded, distributed):
        np.testing.assert_array_equal(a, b)
    assert np.isfinite(threaded[0]).all()


@pytest.mark.timeout(600)
def test_process_scheduler_matches_threaded(lazy_movie, tiny_aistem):
    threaded = _results(lazy_movie, tiny_aistem, "threads")
    pipeline.clear_cache()
    processes = _results(lazy_movie, tiny_aistem, "processes")
    for a, b in zip(threaded, processes):
        np.testing.assert_array_equal(a, b)


def test_graph_carries_no_weights(lazy_movie, tiny_aistem):
    """Tasks hold a small model reference, not the network: the graph pickles small."""
    import pickle

    s = calibrated(lazy_movie, lazy=True, chunks=(1, 192, 192))
    p = s.classify_symmetry(model=tiny_aistem, window_size=100, stride=23, n_samples=8, seed=11)
    graph = dict(p.data.__dask_graph__())
    stats_tasks = {k: v for k, v in graph.items() if "symmetry-statistics" in str(k)}
    assert stats_tasks
    size = len(pickle.dumps(stats_tasks))
    assert size < 20_000, size
