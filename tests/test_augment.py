"""Tests of the training-image augmentations (hyperspy_symmetry.simulate.augment)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from scipy import ndimage

from hyperspy_symmetry.simulate import augment as aug
from hyperspy_symmetry.simulate.augment import AugmentationRecipe

MICROSCOPE_ONLY = {"linear_drift", "row_jitter", "intensity_gradient", "contamination",
                   "scan_line_noise"}  # fmt: skip
PAPERS_KEYS = {"shear", "gaussian_blur", "gaussian_noise", "poisson_noise"}


def columns(shape=(130, 130), period=12.0, sigma=1.5, angle=17.0, pedestal=0.1):
    """HAADF-like image: Gaussian columns on a hexagonal lattice (spacing ``period`` px)."""
    y, x = np.mgrid[: shape[0], : shape[1]].astype(float)
    th = np.deg2rad(angle)
    basis = period * np.array([[np.cos(th), np.cos(th + np.pi / 3)],
                               [np.sin(th), np.sin(th + np.pi / 3)]])  # fmt: skip
    r = np.stack([x - shape[1] / 2, y - shape[0] / 2])
    frac = np.tensordot(np.linalg.inv(basis), r, axes=1)
    img = np.full(shape, pedestal)
    # the columns of the 3x3 cells around each pixel's nearest lattice point (sigma << period)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            site = np.round(frac) + np.array([di, dj])[:, None, None]
            d = r - np.tensordot(basis, site, axes=1)
            img += np.exp(-(d**2).sum(axis=0) / (2 * sigma**2))
    return img


def smooth_random(shape, sigma=2.0, seed=0):
    """Random image with features ~``sigma`` px wide (interpolates accurately)."""
    return ndimage.gaussian_filter(np.random.default_rng(seed).standard_normal(shape), sigma)


def high_frequency_power(img, cutoff, fraction=True):
    """Power (or its fraction, mean removed) at spatial frequencies above ``cutoff`` cycles/px."""
    power = np.abs(np.fft.fft2(img - img.mean())) ** 2
    fy = np.fft.fftfreq(img.shape[0])[:, None]
    fx = np.fft.fftfreq(img.shape[1])[None, :]
    high = power[np.hypot(fy, fx) > cutoff].sum()
    return high / power.sum() if fraction else high


def period_along_rows(img, guess):
    """Period (px) of a pattern varying along y: refined peak of the row-profile's DFT."""
    profile = img.mean(axis=1)
    profile = (profile - profile.mean()) * np.hanning(profile.size)
    y = np.arange(profile.size)
    freqs = np.linspace(0.8 / guess, 1.25 / guess, 4001)
    amplitude = np.abs(np.exp(-2j * np.pi * freqs[:, None] * y[None, :]) @ profile)
    return 1.0 / freqs[np.argmax(amplitude)]


def row_centroids(img, rows):
    x = np.arange(img.shape[1])
    block = img[rows] - img[rows].min(axis=1, keepdims=True)
    return (block * x).sum(axis=1) / block.sum(axis=1)


# One call per function, with the random ones taking an rng.
CALLS = {
    "rotate": lambda im, rng: aug.rotate(im, 23.0),
    "shear": lambda im, rng: aug.shear(im, 0.04),
    "gaussian_blur": lambda im, rng: aug.gaussian_blur(im, 1.3),
    "gaussian_noise": lambda im, rng: aug.gaussian_noise(im, 0.1, rng),
    "poisson_noise": lambda im, rng: aug.poisson_noise(im, 50.0, rng),
    "row_jitter": lambda im, rng: aug.row_jitter(im, 0.8, 0.7, rng),
    "scan_line_noise": lambda im, rng: aug.scan_line_noise(im, 0.05, rng),
    "linear_drift": lambda im, rng: aug.linear_drift(im, (0.02, -0.03)),
    "intensity_gradient": lambda im, rng: aug.intensity_gradient(im, 0.3, 40.0),
    "contamination": lambda im, rng: aug.contamination(im, 0.2, 20.0, rng),
    "augment": lambda im, rng: aug.augment(im, rng),
}
RANDOM = ["gaussian_noise", "poisson_noise", "row_jitter", "scan_line_noise", "contamination",
          "augment"]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Generic contract: shape, no mutation, determinism
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CALLS))
def test_shape_preserved_and_input_untouched(name):
    img = columns(shape=(60, 84))
    reference = img.copy()
    img.setflags(write=False)  # any in-place write would raise
    out = CALLS[name](img, np.random.default_rng(0))
    assert out.shape == img.shape
    assert out.dtype == np.float64
    assert np.all(np.isfinite(out))
    assert out is not img and not np.shares_memory(out, img)
    np.testing.assert_array_equal(img, reference)


@pytest.mark.parametrize("name", RANDOM)
def test_random_functions_are_reproducible_for_a_seed(name):
    img = columns(shape=(64, 64))
    a = CALLS[name](img, np.random.default_rng(7))
    b = CALLS[name](img, np.random.default_rng(7))
    c = CALLS[name](img, np.random.default_rng(8))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_float32_and_integer_inputs_are_accepted():
    img = (columns(shape=(40, 40)) * 100).astype(np.uint16)
    out = aug.gaussian_blur(img, 1.0)
    assert out.dtype == np.float64
    np.testing.assert_allclose(
        aug.shear(img.astype(np.float32), 0.03), aug.shear(img.astype(float), 0.03), atol=1e-3
    )


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError):
        aug.gaussian_blur(np.zeros((2, 3, 4)), 1.0)
    with pytest.raises(TypeError):
        aug.gaussian_noise(np.zeros((8, 8)), 0.1, rng=0)
    with pytest.raises(ValueError):
        aug.poisson_noise(np.ones((8, 8)), 0.0, np.random.default_rng(0))
    with pytest.raises(ValueError):
        aug.row_jitter(np.ones((8, 8)), 0.5, 1.0, np.random.default_rng(0))
    with pytest.raises(ValueError):
        aug.linear_drift(np.ones((8, 8)), (0.0, 1.5))


# ---------------------------------------------------------------------------------------------
# Geometric transforms
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [96, 97])
def test_rotate_90_equals_rot90(size):
    img = columns(shape=(size, size), angle=11.0)
    out = aug.rotate(img, 90.0)
    np.testing.assert_allclose(out[8:-8, 8:-8], np.rot90(img)[8:-8, 8:-8], atol=1e-9)
    np.testing.assert_allclose(aug.rotate(img, -90.0), np.rot90(img, -1), atol=1e-9)
    np.testing.assert_allclose(aug.rotate(img, 0.0), img, atol=1e-12)


def test_rotations_compose_counter_clockwise():
    img = columns(shape=(128, 128), sigma=2.5, angle=7.0)
    twice = aug.rotate(aug.rotate(img, 30.0), 60.0)
    y, x = np.mgrid[:128, :128] - 63.5
    disk = np.hypot(y, x) < 40
    error = np.abs(twice - np.rot90(img))[disk].max()
    assert error < 0.02 * np.ptp(img)
    # the opposite sense is clearly different
    assert np.abs(aug.rotate(img, -90.0) - np.rot90(img))[disk].max() > 0.3 * np.ptp(img)


def test_shear_moves_rows_by_shear_times_distance_from_centre():
    h, w, x0, s = 121, 101, 50.0, 0.04
    x = np.arange(w)
    line = np.tile(np.exp(-((x - x0) ** 2) / (2 * 1.5**2)), (h, 1))
    out = aug.shear(line, s)
    rows = np.arange(10, h - 10)
    expected = x0 + s * (rows - (h - 1) / 2)
    np.testing.assert_allclose(row_centroids(out, rows), expected, atol=0.02)


def test_drift_along_y_changes_the_period_by_one_over_one_minus_vy():
    period = 16.0
    y = np.arange(256.0)[:, None]
    stripes = np.cos(2 * np.pi * y / period) * np.ones((1, 48))
    assert period_along_rows(stripes[16:-16], period) == pytest.approx(period, rel=2e-3)
    for vy in (0.05, -0.05):
        out = aug.linear_drift(stripes, (0.0, vy))
        measured = period_along_rows(out[16:-16], period)
        assert measured == pytest.approx(period / (1 - vy), rel=3e-3)


def test_drift_along_x_shears_like_the_scan_model():
    h, w, x0, vx = 121, 101, 50.0, 0.03
    x = np.arange(w)
    line = np.tile(np.exp(-((x - x0) ** 2) / (2 * 1.5**2)), (h, 1))
    out = aug.linear_drift(line, (vx, 0.0))
    rows = np.arange(10, h - 10)
    # a line at the centre column is recorded at t = row - yc (its x time offset is ~0)
    expected = x0 + vx * (rows - (h - 1) / 2) / (1 - vx / w)
    np.testing.assert_allclose(row_centroids(out, rows), expected, atol=0.02)


def test_row_jitter_offsets_statistics():
    o = aug.row_jitter_offsets(20_000, 0.6, 0.8, np.random.default_rng(3))
    assert o.std() == pytest.approx(0.6, rel=0.05)
    assert np.corrcoef(o[1:], o[:-1])[0, 1] == pytest.approx(0.8, abs=0.02)
    white = aug.row_jitter_offsets(20_000, 0.6, 0.0, np.random.default_rng(3))
    assert abs(np.corrcoef(white[1:], white[:-1])[0, 1]) < 0.03


def test_row_jitter_shifts_each_row_by_its_drawn_offset():
    # long rows: the estimate's error is the sampling noise of the row's autocorrelation
    img = smooth_random((48, 1024), sigma=2.5, seed=1)
    out = aug.row_jitter(img, 1.5, 0.7, np.random.default_rng(11))
    offsets = aug.row_jitter_offsets(48, 1.5, 0.7, np.random.default_rng(11))
    assert np.abs(offsets).max() > 1.0  # the test sees real multi-pixel shifts
    lags = np.arange(-6, 7)
    inner = slice(16, -16)
    for i in range(img.shape[0]):
        # cross-correlation of the output row with the original row shifted by each lag
        cc = np.array([np.dot(out[i, inner], np.roll(img[i], k)[inner]) for k in lags])
        k = int(np.argmax(cc))
        # the content's autocorrelation is Gaussian: a parabola through log(cc) is exact
        lm, l0, lp = np.log(cc[k - 1 : k + 2])
        peak = lags[k] + 0.5 * (lm - lp) / (lm - 2 * l0 + lp)
        assert peak == pytest.approx(offsets[i], abs=0.1)
        # the row keeps its content: it is the original row, moved
        shifted = ndimage.shift(img[i], offsets[i], order=3, mode="mirror")
        assert np.corrcoef(out[i, inner], shifted[inner])[0, 1] > 0.999


def test_row_jitter_never_mixes_rows():
    img = np.repeat(np.arange(30.0)[:, None], 40, axis=1)  # every row constant
    out = aug.row_jitter(img, 2.0, 0.5, np.random.default_rng(0))
    np.testing.assert_allclose(out, img, atol=1e-9)


# ---------------------------------------------------------------------------------------------
# Blur, background and noise
# ---------------------------------------------------------------------------------------------


def test_blur_lowers_high_frequency_power():
    img = np.random.default_rng(0).random((128, 128))
    out = aug.gaussian_blur(img, 1.5)
    # the Gaussian transfer function is exp(-2 pi^2 sigma^2 f^2): 0.004 in power at f = 0.25
    before = high_frequency_power(img, 0.25, fraction=False)
    assert high_frequency_power(out, 0.25, fraction=False) < 0.005 * before
    assert out.mean() == pytest.approx(img.mean(), rel=1e-9)
    np.testing.assert_array_equal(aug.gaussian_blur(img, 0.0), img)


def test_gaussian_noise_has_the_asked_std():
    img = columns(shape=(256, 256))
    noise = aug.gaussian_noise(img, 0.2, np.random.default_rng(0)) - img
    assert noise.std() == pytest.approx(0.2, rel=0.02)
    assert abs(noise.mean()) < 0.005


def test_poisson_noise_variance_equals_mean_in_counts():
    rng = np.random.default_rng(0)
    flat = np.full((256, 256), 3.0)
    out = aug.poisson_noise(flat, 50.0, rng)
    counts = out * 50.0 / 3.0
    np.testing.assert_allclose(counts, np.round(counts), atol=1e-9)  # integer counts
    assert counts.mean() == pytest.approx(50.0, rel=0.01)
    assert counts.var() == pytest.approx(50.0, rel=0.04)
    # two levels: each has variance == mean (in counts); image mean 2 -> 100 counts per unit 2
    steps = np.ones((256, 256))
    steps[:, 128:] = 3.0
    counts = aug.poisson_noise(steps, 100.0, rng) * 100.0 / 2.0
    for half, expected in ((counts[:, :128], 50.0), (counts[:, 128:], 150.0)):
        assert half.mean() == pytest.approx(expected, rel=0.01)
        assert half.var() == pytest.approx(expected, rel=0.05)
    # lower dose, noisier
    low = aug.poisson_noise(flat, 5.0, rng)
    assert low.std() > 2.5 * out.std()


def test_scan_line_noise_is_one_offset_per_row():
    img = np.random.default_rng(1).random((2000, 16))
    added = aug.scan_line_noise(img, 0.05, np.random.default_rng(0)) - img
    np.testing.assert_allclose(added, added[:, :1] * np.ones((1, 16)), atol=1e-12)
    assert added[:, 0].std() == pytest.approx(0.05, rel=0.05)


def test_intensity_gradient_is_a_plane_of_the_asked_height_and_direction():
    img = columns(shape=(90, 110))
    added = aug.intensity_gradient(img, 0.3, 0.0) - img
    assert np.ptp(added) == pytest.approx(0.3)
    yy, xx = np.mgrid[:90, :110]
    design = np.column_stack([np.ones(added.size), xx.ravel(), yy.ravel()])
    coef, *_ = np.linalg.lstsq(design, added.ravel(), rcond=None)
    assert np.abs(design @ coef - added.ravel()).max() < 1e-9  # exactly planar
    assert coef[1] > 0 and abs(coef[2]) < 1e-12  # angle 0: rises to the right
    up = aug.intensity_gradient(np.zeros((50, 50)), 1.0, 90.0)
    assert up[0].mean() == pytest.approx(1.0) and up[-1].mean() == pytest.approx(0.0)
    gain = aug.intensity_gradient(np.full((40, 40), 2.0), 0.25, 200.0, multiplicative=True)
    assert gain.min() == pytest.approx(2.0) and gain.max() == pytest.approx(2.5)


def test_contamination_is_smooth_positive_and_of_the_asked_amplitude():
    img = columns(shape=(128, 128))
    added = aug.contamination(img, 0.25, 15.0, np.random.default_rng(4)) - img
    assert added.min() == pytest.approx(0.0, abs=1e-12)
    assert added.max() == pytest.approx(0.25, rel=1e-12)
    assert high_frequency_power(added, 0.05) < 1e-6  # low-pass: nothing beyond 20 px
    # blobs, not a constant or a single ramp: several local maxima for a short length
    other = aug.contamination(np.zeros((128, 128)), 1.0, 8.0, np.random.default_rng(5))
    peaks = (other == ndimage.maximum_filter(other, size=9, mode="wrap")) & (other > 0.3)
    assert peaks.sum() >= 3


# ---------------------------------------------------------------------------------------------
# Recipes, draw, apply, augment
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("recipe", [AugmentationRecipe.papers(), AugmentationRecipe.realistic()])
def test_recipe_round_trips_through_json(recipe):
    text = json.dumps(recipe.to_dict())
    back = AugmentationRecipe.from_dict(json.loads(text))
    assert back == recipe
    assert isinstance(back.shear_range, tuple)


def test_recipe_is_frozen_and_validated():
    recipe = AugmentationRecipe()
    with pytest.raises(dataclasses.FrozenInstanceError):
        recipe.shear_p = 0.0
    with pytest.raises(ValueError):
        AugmentationRecipe(blur_p=1.5)
    with pytest.raises(ValueError):
        AugmentationRecipe(shear_range=(0.05, -0.05))
    with pytest.raises(ValueError):
        AugmentationRecipe(poisson_dose=(0.0, 10.0))
    with pytest.raises(ValueError):
        AugmentationRecipe.from_dict({"rotation_p": 1.0})


def test_papers_draws_never_include_microscope_only_effects():
    recipe = AugmentationRecipe.papers()
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(2000):
        params = aug.draw(recipe, rng)
        assert set(params) <= PAPERS_KEYS
        assert "shear" in params  # every image is sheared, as in AI-STEM
        assert not {"poisson_noise", "gaussian_noise"} <= set(params)  # one noise or the other
        seen |= set(params)
    assert seen == PAPERS_KEYS


def test_realistic_draws_cover_every_effect_within_range():
    recipe = AugmentationRecipe.realistic()
    rng = np.random.default_rng(1)
    draws = [aug.draw(recipe, rng) for _ in range(600)]
    assert set().union(*draws) == PAPERS_KEYS | MICROSCOPE_ONLY
    json.dumps(draws)  # plain JSON values, so they can be recorded
    for p in draws:
        if "shear" in p:
            assert recipe.shear_range[0] <= p["shear"]["shear"] <= recipe.shear_range[1]
        if "linear_drift" in p:
            lo, hi = recipe.drift_range
            assert all(lo <= v <= hi for v in p["linear_drift"]["velocity"])
        if "poisson_noise" in p:
            lo, hi = recipe.poisson_dose
            assert lo <= p["poisson_noise"]["dose"] <= hi
        if "contamination" in p:
            lo, hi = recipe.contamination_length
            assert lo <= p["contamination"]["length"] <= hi
    frequency = np.mean(["row_jitter" in p for p in draws])
    assert frequency == pytest.approx(recipe.jitter_p, abs=0.07)


def test_augment_returns_the_central_crop_in_unit_range():
    img = columns()
    out = aug.augment(img, np.random.default_rng(0), out_size=100)
    assert out.shape == (100, 100)
    assert out.min() == 0.0 and out.max() == 1.0
    # without distortions the crop is exactly the centre of the input, normalised
    clean = aug.apply(img, {}, np.random.default_rng(0), out_size=100)
    centre = img[15:115, 15:115]
    np.testing.assert_allclose(clean, (centre - centre.min()) / np.ptp(centre), atol=1e-12)
    with pytest.raises(ValueError):
        aug.augment(img, np.random.default_rng(0), out_size=131)


def test_augment_is_apply_of_draw_and_depends_on_the_seed():
    img = columns()
    recipe = AugmentationRecipe.realistic()
    a = aug.augment(img, np.random.default_rng(42), recipe, out_size=100)
    rng = np.random.default_rng(42)
    b = aug.apply(img, aug.draw(recipe, rng), rng, out_size=100)
    np.testing.assert_array_equal(a, b)
    c = aug.augment(img, np.random.default_rng(43), recipe, out_size=100)
    assert not np.allclose(a, c)


def test_augment_does_not_depend_on_the_intensity_scale():
    img = columns()
    a = aug.augment(img, np.random.default_rng(9), out_size=100)
    b = aug.augment(250.0 * img, np.random.default_rng(9), out_size=100)
    np.testing.assert_allclose(a, b, atol=1e-9)


def test_apply_single_step_equals_the_function_on_the_unit_range_image():
    img = columns()
    unit = img / np.ptp(img)  # non-negative input: scaled, pedestal kept

    def minmax(a):
        return (a - a.min()) / np.ptp(a)

    out = aug.apply(img, {"shear": {"shear": 0.03}}, np.random.default_rng(0))
    np.testing.assert_allclose(out, minmax(aug.shear(unit, 0.03)), atol=1e-12)
    out = aug.apply(img, {"poisson_noise": {"dose": 30.0}}, np.random.default_rng(5))
    expected = minmax(aug.poisson_noise(unit, 30.0, np.random.default_rng(5)))
    np.testing.assert_allclose(out, expected, atol=1e-12)


def test_apply_composes_distortions_in_the_documented_order():
    img = smooth_random((140, 140), sigma=3.0, seed=2)
    params = {
        "shear": {"shear": 0.05},
        "linear_drift": {"velocity": [0.03, -0.03]},
        "row_jitter": {"amplitude": 0.8, "correlation": 0.8},
    }
    composed = aug.apply(img, params, np.random.default_rng(6))
    unit = (img - img.min()) / np.ptp(img)
    step = aug.shear(unit, 0.05)
    step = aug.linear_drift(step, (0.03, -0.03))
    step = aug.row_jitter(step, 0.8, 0.8, np.random.default_rng(6))
    sequential = (step - step.min()) / np.ptp(step)
    inner = (slice(20, -20), slice(20, -20))
    assert np.abs(composed - sequential)[inner].max() < 0.01
    # a different order (jitter before the shear) gives a clearly different image
    other = aug.row_jitter(unit, 0.8, 0.8, np.random.default_rng(6))
    other = aug.linear_drift(aug.shear(other, 0.05), (0.03, -0.03))
    other = (other - other.min()) / np.ptp(other)
    assert np.abs(composed - other)[inner].max() > 0.05


@pytest.mark.parametrize("sigma", [0.7, 2.0, 9.0])
def test_out_size_crop_equals_cropping_the_full_result(sigma):
    # apply only interpolates the region the window needs; it must give the same pixels
    img = smooth_random((130, 124), sigma=2.0, seed=5)
    params = {
        "shear": {"shear": -0.04},
        "linear_drift": {"velocity": [0.02, 0.03]},
        "row_jitter": {"amplitude": 0.6, "correlation": 0.5},
        "gaussian_blur": {"sigma": sigma},
    }
    full = aug.apply(img, params, np.random.default_rng(2))
    crop = full[15:115, 12:112]
    window = aug.apply(img, params, np.random.default_rng(2), out_size=100)
    np.testing.assert_allclose(window, (crop - crop.min()) / np.ptp(crop), atol=1e-12)


def test_required_margin_keeps_edge_effects_out_of_the_window():
    # Row jitter is left out: its offsets are drawn per row, so crops of different heights
    # get different offsets; its margin is a statistical bound anyway.
    big = smooth_random((260, 260), sigma=2.5, seed=3)
    recipe = AugmentationRecipe(
        shear_range=(-0.05, 0.05), drift_range=(-0.03, 0.03), jitter_p=0.0, blur_sigma=(0.5, 2.0)
    )
    params = {
        "shear": {"shear": 0.05},
        "linear_drift": {"velocity": [-0.03, 0.03]},
        "gaussian_blur": {"sigma": 2.0},
    }

    def window(margin):
        half = 50 + margin
        crop = big[130 - half : 130 + half, 130 - half : 130 + half]
        return aug.apply(crop, params, np.random.default_rng(1), out_size=100)

    m = aug.required_margin(recipe, 100)
    assert m == 11  # ceil(0.03 * 51 + 0.05 * 50 * 1.03 + 3 * 2.0) = ceil(10.1)
    far = window(m + 60)
    assert np.abs(window(m) - far).max() < 0.01
    assert np.abs(window(0) - far).max() > 0.05


def test_constant_image_gives_finite_output():
    params = aug.draw(AugmentationRecipe(poisson_p=1.0, gaussian_p=0.0), np.random.default_rng(0))
    out = aug.apply(np.ones((64, 64)), params, np.random.default_rng(0), out_size=40)
    assert out.shape == (40, 40) and np.all(np.isfinite(out))
    assert 0.0 <= out.min() and out.max() <= 1.0
