"""Training sets: deterministic samples, chunked zarr, recipe in the metadata."""

from dataclasses import replace

import numpy as np
import pytest
import zarr

from hyperspy_symmetry.simulate import (
    AISTEM_CLASSES,
    BRAVAIS_CLASSES,
    TrainingSetRecipe,
    build_training_set,
    load_training_set,
    make_samples,
)
from hyperspy_symmetry.simulate.augment import AugmentationRecipe
from hyperspy_symmetry.simulate.bravais import lattice_class
from hyperspy_symmetry.simulate.imaging import ImagingRecipe


def test_default_recipes_have_the_papers_sizes():
    aistem = TrainingSetRecipe.default("aistem")
    bravais = TrainingSetRecipe.default("bravais")
    assert aistem.n_samples >= 31_000 and aistem.window == 100 and aistem.pixel_size == 0.12
    assert bravais.n_samples >= 24_000 and bravais.window == 128
    assert aistem.class_names == list(AISTEM_CLASSES)
    assert bravais.class_names == list(BRAVAIS_CLASSES)
    assert (aistem.descriptor, bravais.descriptor) == ("fft_haadf", "fft_amplitude")


@pytest.mark.parametrize("model", ["aistem", "bravais"])
def test_samples_do_not_depend_on_how_the_set_is_split(model):
    recipe = TrainingSetRecipe.default(model, n_per_class=2, seed=5)
    n = recipe.n_samples
    whole = make_samples(recipe, 0, n)
    parts = [make_samples(recipe, a, b) for a, b in [(0, 3), (3, 4), (4, n)]]
    for i in range(3):
        np.testing.assert_array_equal(whole[i], np.concatenate([p[i] for p in parts]))
    x, y, params = whole
    n_classes = len(recipe.class_names)
    assert x.shape == (n, 64, 64) and x.dtype == np.float32
    assert np.isfinite(x).all() and x.min() >= 0 and x.max() <= 1
    assert y.tolist() == [k % n_classes for k in range(n)]  # classes interleave
    other = make_samples(TrainingSetRecipe.default(model, n_per_class=2, seed=6), 0, n)[0]
    assert not np.allclose(x, other)


def test_bravais_parameters_respect_the_class_rules():
    recipe = TrainingSetRecipe.default("bravais", n_per_class=5, seed=1)
    _, labels, params = make_samples(recipe, 0, recipe.n_samples)
    for label, (a, ratio, gamma, _, _, _) in zip(labels, params, strict=False):
        name = BRAVAIS_CLASSES[label]
        if name in ("noise", "centered_rectangular"):
            continue
        g = np.radians(gamma)
        vectors = np.array([[a, 0.0], [a * ratio * np.cos(g), a * ratio * np.sin(g)]])
        assert lattice_class(vectors) == name


def test_bravais_holes_follow_the_recipe():
    from hyperspy_symmetry.simulate.training_set import BRAVAIS_HOLES, soft_targets

    recipe = TrainingSetRecipe.default("bravais", n_per_class=40, seed=3)
    assert recipe.holes == BRAVAIS_HOLES
    x, labels, params = make_samples(recipe, 0, recipe.n_samples)
    coverage = params[:, -1]
    noise = labels == BRAVAIS_CLASSES.index("noise")
    assert 0.35 < (coverage[~noise] > 0).mean() < 0.65  # lattice_probability 0.5
    assert 0.1 < (coverage[noise] == 1).mean() < 0.5  # noise_empty_probability 0.3
    assert set(np.unique(coverage[noise])) <= {0.0, 1.0}
    assert coverage.min() >= 0 and coverage.max() <= 1
    # Empty windows: no lattice left, a flat descriptor apart from noise.
    empty = np.flatnonzero(noise & (coverage == 1))
    full = np.flatnonzero(~noise & (coverage == 0))
    assert x[empty].std(axis=(1, 2)).mean() < x[full].std(axis=(1, 2)).mean()
    targets = soft_targets(labels, coverage, 6, BRAVAIS_CLASSES.index("noise"))
    np.testing.assert_allclose(targets.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(targets[~noise, 5], coverage[~noise], rtol=1e-6)
    no_holes = TrainingSetRecipe.default("bravais", n_per_class=2, seed=3, holes=None)
    assert (make_samples(no_holes, 0, no_holes.n_samples)[2][:, -1] == 0).all()
    with pytest.raises(ValueError, match="holes"):
        TrainingSetRecipe.default("aistem", holes=BRAVAIS_HOLES)


def test_holes_may_reach_into_the_window_from_outside():
    from hyperspy_symmetry.simulate.training_set import BRAVAIS_HOLES, hole_mask

    size, window, lo = 192, 128, 32
    inside_only, reaching = [], []
    for seed in range(12):
        coverage = 0.05 + 0.07 * seed
        m0 = hole_mask(size, window, coverage, np.random.default_rng(seed))
        np.testing.assert_array_equal(
            m0, hole_mask(size, window, coverage, np.random.default_rng(seed), reach=0.0)
        )
        m = hole_mask(size, window, coverage, np.random.default_rng(seed), reach=0.5)
        assert abs(m[lo : lo + window, lo : lo + window].mean() - coverage) < 1e-3
        # the share of the holes' pixels that lie outside the window
        for mask, out in ((m0, inside_only), (m, reaching)):
            central = np.zeros_like(mask)
            central[lo : lo + window, lo : lo + window] = True
            out.append(mask[~central].sum() / max(mask.sum(), 1))
    # Centres up to half a window outside put more of the holes outside the window.
    assert np.mean(reaching) > np.mean(inside_only) + 0.05
    recipe = TrainingSetRecipe.default(
        "bravais", n_per_class=2, holes=dict(BRAVAIS_HOLES, centre_reach=0.5)
    )
    assert recipe.holes["centre_reach"] == 0.5
    for bad in (dict(BRAVAIS_HOLES, centre_reach=1.5), dict(BRAVAIS_HOLES, reach=0.5)):
        with pytest.raises(ValueError, match="holes needs"):
            TrainingSetRecipe.default("bravais", holes=bad)


def test_low_coverage_draws_the_holes_of_that_share_smaller():
    """``holes["low_coverage"]``: that share of the hole windows covers at most a quarter
    of its square; 0 (the default) draws nothing more, so the samples stay the same."""
    from hyperspy_symmetry.simulate.training_set import BRAVAIS_HOLES, PARAMETER_NAMES

    column = PARAMETER_NAMES["bravais"].index("hole_coverage")
    lattice = dict(BRAVAIS_HOLES, lattice_probability=1.0)

    def coverages(holes):
        recipe = TrainingSetRecipe.default("bravais", n_per_class=8, seed=4, holes=holes)
        descriptors, labels, params = make_samples(recipe, 0, recipe.n_samples)
        lattices = labels != recipe.class_names.index("noise")
        return descriptors, params[lattices, column]

    d_default, default = coverages(lattice)
    d_zero, zero = coverages(dict(lattice, low_coverage=0.0))
    np.testing.assert_array_equal(d_default, d_zero)
    np.testing.assert_array_equal(default, zero)
    _, low = coverages(dict(lattice, low_coverage=1.0))
    assert 0 < low.mean() < 0.5 * default.mean()
    assert np.quantile(low, 0.9) < 0.4 < np.quantile(default, 0.9)
    with pytest.raises(ValueError, match="holes needs"):
        TrainingSetRecipe.default("bravais", holes=dict(BRAVAIS_HOLES, low_coverage=2.0))


def test_aistem_parameters_vary_as_the_recipe_says():
    recipe = TrainingSetRecipe.default("aistem", n_per_class=3, seed=2, rotation=(0, 90, 5))
    _, labels, params = make_samples(recipe, 0, recipe.n_samples)
    classes = list(AISTEM_CLASSES.values())
    imaging = ImagingRecipe.haadf_stem()
    for label, row in zip(labels, params, strict=False):
        (
            a,
            c_over_a,
            rotation,
            displacement,
            thickness,
            tilt,
            amorphous,
            exponent,
            defocus,
            astigmatism,
            coma,
            trefoil,
        ) = row
        crystal = classes[label]
        assert abs(a - crystal.a) <= 0.1 + 1e-6
        assert rotation % 5 == 0 and 0 <= rotation <= 90
        assert 0 <= displacement <= 0.05
        assert np.isnan(c_over_a) == (crystal.c_over_a is None)
        # the default aistem recipe draws the HAADF-STEM imperfections of ImagingRecipe
        assert imaging.thickness[0] <= thickness <= imaging.thickness[1]
        assert 0 <= tilt <= imaging.tilt_mrad[1] and 0 <= amorphous <= 80
        assert exponent == 1.0 or imaging.exponent[0] <= exponent <= imaging.exponent[1]
        assert abs(defocus) <= 60 and 0 <= astigmatism <= 40
        assert 0 <= coma <= 400 and 0 <= trefoil <= 400
    # over 30 windows, each imperfection is drawn for some and not for others
    assert 0 < np.count_nonzero(params[:, 5]) < len(params)
    assert 0 < np.count_nonzero(params[:, 6]) < len(params)
    assert 0 < np.count_nonzero(params[:, 9]) < len(params)


def test_pristine_windows_carry_no_imperfection():
    imaging = ImagingRecipe.haadf_stem()
    recipe = TrainingSetRecipe.default("aistem", n_per_class=2, seed=4, pristine=1.0)
    x, _, params = make_samples(recipe, 0, recipe.n_samples)
    thickness, rest = params[:, 4], params[:, 5:]
    assert ((imaging.thickness[0] <= thickness) & (thickness <= imaging.thickness[1])).all()
    # no tilt, amorphous layer or aberration; column intensities linear (exponent 1)
    np.testing.assert_array_equal(rest, np.tile([0, 0, 1, 0, 0, 0, 0], (len(rest), 1)))
    # noise-free and sharp: the power spectrum is dark away from the reflections
    noisy = make_samples(replace(recipe, pristine=0.0), 0, recipe.n_samples)[0]
    assert np.median(x) < np.median(noisy)
    # the default recipe mixes both kinds; a recipe keeps its fraction
    mixed = TrainingSetRecipe.default("aistem", n_per_class=4, seed=4, pristine=0.5)
    tilts_or_layers = make_samples(mixed, 0, mixed.n_samples)[2][:, 5:7]
    assert 0 < np.count_nonzero(tilts_or_layers.any(axis=1)) < mixed.n_samples
    assert TrainingSetRecipe.default("aistem").pristine == 0.15
    assert TrainingSetRecipe.from_dict(mixed.to_dict()) == mixed
    with pytest.raises(ValueError, match="pristine"):
        TrainingSetRecipe.default("aistem", pristine=1.5)


def _small_recipe(model, **kw):
    return TrainingSetRecipe.default(model, n_per_class=3, seed=9, **kw)


def test_build_writes_chunked_zarr_identical_for_any_chunking(tmp_path):
    recipe = _small_recipe("bravais", augmentation=AugmentationRecipe.papers().to_dict())
    a = build_training_set(
        tmp_path / "a.zarr",
        recipe=recipe,
        chunk_size=5,
        scheduler="threads",
        num_workers=2,
        show_progressbar=False,
    )
    build_training_set(
        tmp_path / "b.zarr",
        recipe=recipe,
        chunk_size=7,
        scheduler="synchronous",
        show_progressbar=False,
    )
    assert a["descriptors"].chunks == (5, 64, 64)
    first, second = load_training_set(tmp_path / "a.zarr"), load_training_set(tmp_path / "b.zarr")
    for key in ("descriptors", "labels", "parameters"):
        np.testing.assert_array_equal(first[key], second[key])
    attrs = first["attrs"]
    assert attrs["complete"] is True and attrs["build_seconds"] >= 0
    assert attrs["class_names"] == list(BRAVAIS_CLASSES)
    assert attrs["descriptor"] == "fft_amplitude" and attrs["window"] == 128
    assert first["recipe"] == recipe  # the whole recipe round-trips through the attributes
    assert first["recipe"].augmentation_recipe() == AugmentationRecipe.papers()
    lazy = load_training_set(tmp_path / "a.zarr", lazy=True)
    np.testing.assert_array_equal(lazy["descriptors"].compute(), first["descriptors"])


@pytest.mark.timeout(600)
def test_build_on_a_local_cluster_matches_threads(tmp_path):
    from distributed import Client, LocalCluster

    recipe = _small_recipe("aistem")
    build_training_set(
        tmp_path / "t.zarr",
        recipe=recipe,
        chunk_size=8,
        scheduler="threads",
        show_progressbar=False,
    )
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        build_training_set(tmp_path / "d.zarr", recipe=recipe, chunk_size=8, scheduler=client)
    a, b = load_training_set(tmp_path / "t.zarr"), load_training_set(tmp_path / "d.zarr")
    np.testing.assert_array_equal(a["descriptors"], b["descriptors"])
    np.testing.assert_array_equal(a["labels"], b["labels"])


def test_existing_and_incomplete_sets_are_clear_errors(tmp_path):
    recipe = _small_recipe("bravais")
    path = tmp_path / "s.zarr"
    build_training_set(path, recipe=recipe, scheduler="synchronous", show_progressbar=False)
    with pytest.raises(FileExistsError, match="overwrite"):
        build_training_set(path, recipe=recipe, scheduler="synchronous")
    zarr.open_group(str(path), mode="a").attrs["complete"] = False
    with pytest.raises(ValueError, match="not completely written"):
        load_training_set(path)
    with pytest.raises(ValueError, match="not a training set"):
        load_training_set(tmp_path / "nothing.zarr")
    with pytest.raises(ValueError, match="model"):
        TrainingSetRecipe.default("resnet")
    with pytest.raises(ValueError, match="window"):
        TrainingSetRecipe.default("aistem", window=32)
