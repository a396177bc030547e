"""The same seed and chunks give bit-identical results on every dask scheduler."""

import dask
import numpy as np
import pytest
from conftest import calibrated, lattice_image

from hyperspy_symmetry import pipeline


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


def _tensorflow_threads():
    import tensorflow as tf

    return tf.config.threading.get_intra_op_parallelism_threads()


@pytest.mark.timeout(600)
def test_local_cluster_matches_threaded(lazy_movie, tiny_aistem):
    from distributed import Client, LocalCluster

    threaded = _results(lazy_movie, tiny_aistem, "threads")
    pipeline.clear_cache()
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        distributed = _results(lazy_movie, tiny_aistem, client)
        # the workers loaded the model themselves, from the reference in the graph
        ran_on = client.run(
            lambda: len(
                __import__("hyperspy_symmetry.models.registry", fromlist=["_CACHE"])._CACHE
            )
        )
        assert sum(ran_on.values()) >= 1
        # TensorFlow on each worker uses the worker's threads (its share of the cores).
        threads = client.run(_tensorflow_threads)
        assert {threads[w] for w, n in ran_on.items() if n} == {1}
    for a, b in zip(threaded, distributed, strict=False):
        np.testing.assert_array_equal(a, b)
    assert np.isfinite(threaded[0]).all()


@pytest.mark.timeout(600)
def test_process_scheduler_matches_threaded(lazy_movie, tiny_aistem):
    threaded = _results(lazy_movie, tiny_aistem, "threads")
    pipeline.clear_cache()
    processes = _results(lazy_movie, tiny_aistem, "processes")
    for a, b in zip(threaded, processes, strict=False):
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


@pytest.mark.timeout(600)
def test_killed_worker_costs_nothing_but_time(tiny_aistem):
    """A worker killed in the middle of a classification: the scheduler reruns its tasks
    elsewhere (the nanny restarts it) and the result is bit-identical to an undisturbed run."""
    import os
    import signal
    import time

    from distributed import Client, LocalCluster

    data = np.stack([lattice_image((256, 256), period=(7 + i % 3, 8), seed=i) for i in range(12)])

    def statistics(scheduler):
        s = calibrated(data, lazy=True, chunks=(1, 256, 256))
        p = s.classify_symmetry(
            model=tiny_aistem, window_size=100, stride=6, n_samples=20, seed=5, adaptive=False
        )
        with dask.config.set(scheduler=scheduler):
            return p.data.compute()

    undisturbed = statistics("threads")
    pipeline.clear_cache()
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        s = calibrated(data, lazy=True, chunks=(1, 256, 256))
        p = s.classify_symmetry(
            model=tiny_aistem, window_size=100, stride=6, n_samples=20, seed=5, adaptive=False
        )
        future = client.compute(p.data)
        deadline = time.monotonic() + 120
        # Kill a worker once results exist and work is still under way on it.
        while time.monotonic() < deadline:
            processing = {w: len(t) for w, t in client.processing().items() if t}
            done = sum(len(keys) for keys in client.has_what().values())
            if processing and done:
                break
            time.sleep(0.05)
        victim = max(processing, key=processing.get)
        pid = client.run(os.getpid, workers=[victim])[victim]
        os.kill(pid, signal.SIGKILL)
        result = future.result(timeout=300)
        assert victim not in client.scheduler_info()["workers"]  # it really died
    np.testing.assert_array_equal(result, undisturbed)
