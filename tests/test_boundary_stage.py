"""Windows across grain boundaries, and the training stage that asks the Monte-Carlo
samples to disagree on them."""

from __future__ import annotations

import numpy as np
import pytest

from hyperspy_symmetry.simulate.boundaries import (
    PROJECTED_ROTATION_ORDER,
    BoundaryRecipe,
    _effective_misorientation,
    boundary_draws,
    boundary_windows,
)


def test_boundary_windows_are_reproducible_window_by_window():
    windows, share = boundary_windows(3, seed=7)
    assert windows.shape == (3, 100, 100) and windows.dtype == np.float32
    assert share.shape == (3,) and np.all((share >= 0) & (share <= 0.5))
    again, share2 = boundary_windows(2, seed=7)
    np.testing.assert_array_equal(again, windows[:2])
    np.testing.assert_array_equal(share2, share[:2])
    assert not np.array_equal(boundary_windows(1, seed=8)[0][0], windows[0])


def test_a_boundary_through_the_centre_splits_the_taper_evenly():
    recipe = BoundaryRecipe(max_offset=0.0)
    _, share = boundary_windows(4, seed=1, recipe=recipe)
    np.testing.assert_allclose(share, 0.5, atol=0.03)
    far = BoundaryRecipe(max_offset=30.0)
    assert boundary_windows(20, seed=1, recipe=far)[1].min() < 0.25


def test_boundary_draws_name_the_grains_of_each_window(monkeypatch):
    import hyperspy_symmetry.simulate.scenes as scenes

    simulated = []
    bicrystal = scenes.bicrystal

    def spy(class_name, misorientation, **kwargs):
        simulated.append((class_name, kwargs["second_class"], misorientation))
        return bicrystal(class_name, misorientation, **kwargs)

    monkeypatch.setattr(scenes, "bicrystal", spy)
    boundary_windows(4, seed=77)
    draws = boundary_draws(4, seed=77)
    for draw, (first, second, misorientation) in zip(draws, simulated, strict=True):
        assert draw["classes"] == (first, second)
        order = PROJECTED_ROTATION_ORDER[first]
        assert draw["misorientation"] == pytest.approx(
            _effective_misorientation(misorientation, order), abs=1e-3
        )
    many = boundary_draws(400, seed=3)
    same = [d for d in many if d["classes"][0] == d["classes"][1]]
    assert 150 < len(same) < 250  # same_class_probability 0.5
    assert min(d["misorientation"] for d in same) >= BoundaryRecipe().min_misorientation


@pytest.mark.parametrize(
    ("angle", "order", "expected"), [(95.0, 4, 5.0), (58.0, 6, 2.0), (170.0, 2, 10.0)]
)
def test_effective_misorientation(angle, order, expected):
    assert _effective_misorientation(angle, order) == pytest.approx(expected)


def test_bad_number_of_windows_is_refused():
    with pytest.raises(ValueError, match="n"):
        boundary_windows(0)


def _tiny_network_and_windows():
    """A tiny trained dropout network, its crystal inputs and two-crystal boundary inputs."""
    import keras

    from hyperspy_symmetry.models.tf_runtime import import_tensorflow

    import_tensorflow()
    rng = np.random.default_rng(0)
    keras.utils.set_random_seed(0)
    net = keras.Sequential(
        [
            keras.Input((64, 64, 1)),
            keras.layers.AveragePooling2D(8),
            keras.layers.Flatten(),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    # Crystals: class k is a bright k-th row band; boundaries: two bands at once.
    x = np.zeros((400, 64, 64, 1), np.float32)
    y = np.arange(400) % 10
    for i, k in enumerate(y):
        x[i, 6 * k : 6 * k + 6] = 1.0
    x += 0.05 * rng.standard_normal(x.shape).astype(np.float32)
    xb = x[:40] + x[5:45]
    share = np.full(40, 0.5, np.float32)
    net.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    net.fit(x, y, epochs=5, verbose=0)
    return net, x, y, xb, share


def test_boundary_stage_raises_the_mutual_information_of_boundary_windows():
    """On a tiny network: after the stage, the Monte-Carlo samples disagree more on the
    boundary inputs than before, and the crystal inputs keep their classes."""
    from hyperspy_symmetry.training.boundary_stage import BoundaryStage, boundary_stage
    from hyperspy_symmetry.training.trainer import mc_predictions

    net, x, y, xb, share = _tiny_network_and_windows()
    _, mi_before = mc_predictions(net, xb, 30, seed=0)
    stage = BoundaryStage(base_windows=400, epochs=3, learning_rate=3e-3, boundary_batch=16)
    history = boundary_stage(net, x, y, xb, share, stage, seed=0, log=lambda s: None)
    assert len(history["boundary_mi_bits"]) == 3
    p, mi_after = mc_predictions(net, xb, 30, seed=0)
    assert np.median(mi_after) > np.median(mi_before) + 0.1
    p_crystal, _ = mc_predictions(net, x, 30, seed=0)
    assert np.mean(p_crystal.argmax(1) == y) > 0.95


def test_agreement_keeps_the_crystal_windows_certain():
    """The stage alone raises the MI of the crystal inputs too; with ``agreement`` it asks
    their samples to agree, and their MI stays where it was while the boundary inputs'
    MI still rises."""
    from hyperspy_symmetry.training.boundary_stage import BoundaryStage, boundary_stage
    from hyperspy_symmetry.training.trainer import mc_predictions

    rise = {}
    for agreement in (0.0, 10.0):
        net, x, y, xb, share = _tiny_network_and_windows()
        _, boundary_before = mc_predictions(net, xb, 30, seed=0)
        crystal_before = mc_predictions(net, x, 30, seed=0)[1].mean()
        stage = BoundaryStage(
            base_windows=400, epochs=3, learning_rate=3e-3, boundary_batch=16, agreement=agreement
        )
        boundary_stage(net, x, y, xb, share, stage, seed=0, log=lambda s: None)
        _, boundary_after = mc_predictions(net, xb, 30, seed=0)
        assert np.median(boundary_after) > np.median(boundary_before) + 0.1
        rise[agreement] = mc_predictions(net, x, 30, seed=0)[1].mean() / crystal_before
    assert rise[0.0] > 1.2 and rise[10.0] < 1.02
