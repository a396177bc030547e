"""Window geometry, unit conversion and the strided window view."""

import numpy as np
import pint
import pytest

from hyperspy_symmetry.windows import (
    central_crop,
    grid_axis,
    length_unit,
    sliding_windows,
    to_pixels,
    window_grid_shape,
)

ANGSTROM = ((0.12, 0.12), ("Å", "Å"))


@pytest.mark.parametrize(
    "value, scales, units, expected",
    [
        (100, (0.12, 0.12), ("Å", "Å"), 100),
        ("12 Å", (0.12, 0.12), ("Å", "Å"), 100),
        ("1.2 nm", (0.12, 0.12), ("Å", "Å"), 100),
        ("12 Å", (0.012, 0.012), ("nm", "nm"), 100),
        ("1.2nm", (0.012, 0.012), ("nm", "nm"), 100),
        ("0.0012 µm", (0.012, 0.012), ("nm", "nm"), 100),
        ("12 Å", (1.2e-5, 1.2e-5), ("µm", "µm"), 100),
        ("12 angstrom", (12.0, 12.0), ("pm", "pm"), 100),
        ("12 \u212b", (0.12, 0.12), ("\u212b", "\u212b"), 100),
        ("12\u00c5", (0.12, 0.12), ("A", "A"), 100),
        ("2.4 Å", (0.12, 0.12), ("A", "A"), 20),
        (np.int64(7), (1.0, 1.0), ("<undefined>", "<undefined>"), 7),
        (20.0, (1.0, 1.0), ("", ""), 20),
    ],
)
def test_to_pixels(value, scales, units, expected):
    assert to_pixels(value, scales, units, "window_size") == expected


def test_to_pixels_pint_quantity():
    ureg = pint.UnitRegistry()
    assert to_pixels(1.2 * ureg.nm, *ANGSTROM, "window_size") == 100
    assert to_pixels(ureg.Quantity(2.4, "angstrom"), *ANGSTROM, "stride") == 20


@pytest.mark.parametrize("value", [0, -3, "0 Å", "-2 nm"])
def test_to_pixels_rejects_non_positive(value):
    with pytest.raises(ValueError, match="stride"):
        to_pixels(value, *ANGSTROM, "stride")


def test_to_pixels_length_without_length_units():
    with pytest.raises(ValueError, match="no length units.*window_size.*pixels"):
        to_pixels("12 Å", (1.0, 1.0), ("<undefined>", "<undefined>"), "window_size")
    with pytest.raises(ValueError, match="no length units"):
        to_pixels("12 Å", (0.1, 0.1), ("1/nm", "1/nm"), "window_size")


@pytest.mark.parametrize("value", ["12 s", "3 eV", "12"])
def test_to_pixels_rejects_non_length_units(value):
    with pytest.raises(ValueError, match="not of length|window_size"):
        to_pixels(value, *ANGSTROM, "window_size")


def test_to_pixels_wrong_type_and_float():
    with pytest.raises(TypeError, match="window_size"):
        to_pixels([100], *ANGSTROM, "window_size")
    with pytest.raises(TypeError, match="float"):
        to_pixels(99.5, *ANGSTROM, "window_size")
    with pytest.raises(TypeError, match="bool"):
        to_pixels(True, *ANGSTROM, "window_size")


def test_to_pixels_non_square_pixels():
    with pytest.raises(ValueError, match="non-square"):
        to_pixels("12 Å", (0.12, 0.10), ("Å", "Å"), "window_size")
    # whole pixels are fine whatever the pixel shape
    assert to_pixels(100, (0.12, 0.10), ("Å", "Å"), "window_size") == 100


def test_length_unit():
    assert length_unit("Å") is not None
    assert length_unit("nm") is not None
    assert length_unit("<undefined>") is None
    assert length_unit("1/nm") is None
    assert length_unit("eV") is None
    assert length_unit(None) is None


@pytest.mark.parametrize(
    "shape, window, stride, expected",
    [((256, 256), 100, 20, (8, 8)), ((300, 200), 100, 20, (11, 6)), ((100, 100), 100, 5, (1, 1))],
)
def test_window_grid_shape(shape, window, stride, expected):
    assert window_grid_shape(shape, window, stride) == expected


def test_grid_axis_calibration():
    ax = grid_axis(0.12, 0.0, 100, 20, 8, "x", "Å")
    assert ax["scale"] == pytest.approx(2.4)
    assert ax["offset"] == pytest.approx(5.94)
    assert ax["size"] == 8 and ax["units"] == "Å" and ax["name"] == "x"
    ax = grid_axis(0.05, 1.0, 64, 10, 3, "y", "nm")
    assert ax["scale"] == pytest.approx(0.5)
    assert ax["offset"] == pytest.approx(1.0 + 31.5 * 0.05)


def test_sliding_windows_matches_slicing():
    rng = np.random.default_rng(0)
    images = rng.random((2, 3, 50, 70))
    view = sliding_windows(images, 20, 7)
    gy, gx = window_grid_shape((50, 70), 20, 7)
    assert view.shape == (2, 3, gy, gx, 20, 20)
    for i in range(gy):
        for j in range(gx):
            np.testing.assert_array_equal(
                view[1, 2, i, j], images[1, 2, i * 7 : i * 7 + 20, j * 7 : j * 7 + 20]
            )
    assert np.shares_memory(view, images)


@pytest.mark.parametrize(
    "shape, size, corner",
    [
        ((100, 100), 64, (18, 18)),
        ((101, 100), 64, (18, 18)),  # odd difference: the extra row is left after the square
        ((67, 130), 64, (1, 33)),
        ((64, 64), 64, (0, 0)),
        ((7, 9), 3, (2, 3)),
    ],
)
def test_central_crop_starts_at_half_the_difference(shape, size, corner):
    images = np.random.default_rng(0).random((2, *shape))
    crop = central_crop(images, size)
    r0, c0 = corner
    np.testing.assert_array_equal(crop, images[:, r0 : r0 + size, c0 : c0 + size])
    np.testing.assert_array_equal(central_crop(images[1], size), crop[1])  # one image
    assert np.shares_memory(crop, images)
    if shape[0] == shape[1] and size % 2 == 0:  # an fftshifted spectrum's centre stays centred
        assert r0 == shape[0] // 2 - size // 2
