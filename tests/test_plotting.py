"""Plots of symmetry results: what they contain, not only that they run (Agg backend)."""

import matplotlib
import matplotlib.image

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from conftest import calibrated, lattice_image  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.layout_engine import ConstrainedLayoutEngine  # noqa: E402

from hyperspy_symmetry.plotting import (  # noqa: E402
    CLASS_COLORS,
    class_colors,
    plot_class_map,
    plot_uncertainty,
    save_figure,
)
from hyperspy_symmetry.signals import SymmetryProbabilities, SymmetryUncertainty  # noqa: E402

NAMES = ["square", "hexagonal", "oblique", "noise"]
# image: 0.1 nm pixels from offset 1.0 nm; window 20 px, stride 8 px
PIXEL, OFFSET, WINDOW, STRIDE = 0.1, 1.0, 20, 8
H, W = 60, 76
GY, GX = (H - WINDOW) // STRIDE + 1, (W - WINDOW) // STRIDE + 1
GRID_OFFSET = OFFSET + (WINDOW - 1) / 2 * PIXEL


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _grid_axes():
    return [
        {"name": "y", "units": "nm", "size": GY, "scale": STRIDE * PIXEL, "offset": GRID_OFFSET},
        {"name": "x", "units": "nm", "size": GX, "scale": STRIDE * PIXEL, "offset": GRID_OFFSET},
    ]


def _symmetry():
    return {
        "model": "bravais",
        "class_names": NAMES,
        "window_size": WINDOW,
        "stride": STRIDE,
        "n_samples": 5,
        "seed": 0,
        "measure": "mutual_information",
    }


def make_probabilities(frames: int = 0, lazy: bool = False):
    """Probabilities whose predicted classes use only classes 0, 1 and 3; one NaN window."""
    rng = np.random.default_rng(1)
    nav = (frames,) if frames else ()
    labels = rng.choice([0, 1, 3], size=nav + (GY, GX))
    data = rng.uniform(0, 0.2, size=nav + (len(NAMES), GY, GX))
    np.put_along_axis(data, np.expand_dims(labels, -3), 0.8, axis=-3)
    data /= data.sum(axis=-3, keepdims=True)
    data[..., :, 0, 1] = np.nan
    axes = [{"name": "time", "units": "s", "size": frames, "scale": 2.0}] if frames else []
    axes.append({"name": "class", "units": "", "size": len(NAMES)})
    axes += _grid_axes()
    for ax in axes[:-2]:
        ax["navigate"] = True
    metadata = {
        "General": {"title": "Movie"},
        "Signal": {"quantity": "Probability"},
        "Symmetry": _symmetry(),
    }
    p = SymmetryProbabilities(data.astype(np.float32), axes=axes, metadata=metadata)
    return p.as_lazy() if lazy else p


def make_uncertainty(frames: int = 0):
    rng = np.random.default_rng(2)
    nav = (frames,) if frames else ()
    data = rng.uniform(0, 0.6, size=nav + (GY, GX)).astype(np.float32)
    data[..., 2, 2] = np.nan
    axes = [{"name": "time", "units": "s", "size": frames, "navigate": True}] if frames else []
    metadata = {
        "General": {"title": "Movie MI"},
        "Signal": {"quantity": "Mutual information (bits)"},
        "Symmetry": _symmetry(),
    }
    return SymmetryUncertainty(data, axes=axes + _grid_axes(), metadata=metadata)


def make_image(frames: int = 0):
    data = lattice_image((H, W), period=(5, 5))
    if frames:
        data = np.stack([data * (i + 1) for i in range(frames)])
    s = calibrated(data, scale=PIXEL, units="nm")
    for ax in s.axes_manager.signal_axes:
        ax.offset = OFFSET
    return s


def _expected_labels(frame):
    nan = np.isnan(frame).any(axis=0)
    return np.where(nan, -1, np.nanargmax(np.where(np.isnan(frame), -1, frame), axis=0))


GRID_EXTENT = (
    GRID_OFFSET - 0.4,
    GRID_OFFSET + (GX - 0.5) * 0.8,
    GRID_OFFSET + (GY - 0.5) * 0.8,
    GRID_OFFSET - 0.4,
)
IMAGE_EXTENT = (OFFSET - 0.05, OFFSET + (W - 0.5) * 0.1, OFFSET + (H - 0.5) * 0.1, OFFSET - 0.05)


def test_class_colors_are_fixed_per_index_and_colour_blind_safe_first():
    assert class_colors(10)[:6] == class_colors(6)
    assert class_colors(4)[0] == to_rgba("#56B4E9")  # Okabe-Ito sky blue
    colors = class_colors(20)
    assert len(set(colors)) == 20 and colors[:15] == [to_rgba(c) for c in CLASS_COLORS]


@pytest.mark.parametrize("vision", ["normal", "deuteranomaly", "protanomaly", "tritanomaly"])
def test_ten_class_colours_stay_apart_for_colour_blind_vision(vision):
    """Every pair of the first ten colours (the aistem model's classes) is at least 13
    CAM02-UCS units apart, for normal vision and simulated full colour blindness
    (Machado et al. 2009, through colorspacious). 13.7 measured; the former Okabe-Ito plus
    Tol palette had 6.4 (deutan), so a regression to it fails."""
    import itertools

    from colorspacious import cspace_convert

    rgb = np.array([c[:3] for c in class_colors(10)])
    if vision != "normal":
        rgb = np.clip(
            cspace_convert(
                rgb, {"name": "sRGB1+CVD", "cvd_type": vision, "severity": 100}, "sRGB1"
            ),
            0,
            1,
        )
    ucs = cspace_convert(rgb, "sRGB1", "CAM02-UCS")
    smallest = min(
        np.linalg.norm(ucs[i] - ucs[j]) for i, j in itertools.combinations(range(10), 2)
    )
    assert smallest > 13.0


def test_class_map_over_image_content():
    p, s = make_probabilities(), make_image()
    ax = p.plot_class_map(image=s)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["square", "hexagonal", "noise"]  # classes present, in index order
    patches = ax.get_legend().get_patches()
    assert [tuple(h.get_facecolor()) for h in patches] == [class_colors(4)[i] for i in (0, 1, 3)]
    image, classes = ax.images
    np.testing.assert_allclose(image.get_extent(), IMAGE_EXTENT)
    np.testing.assert_allclose(classes.get_extent(), GRID_EXTENT)
    np.testing.assert_array_equal(image.get_array(), s.data)
    # the plotted labels equal the predicted class map; the NaN window is masked (transparent)
    labels = p.predicted_class().data
    plotted = classes.get_array()
    assert plotted.mask[0, 1] and plotted.mask.sum() == 1 and labels[0, 1] == -1
    np.testing.assert_array_equal(plotted.filled(-1), labels)
    assert classes.get_alpha() == 0.45
    # colour of each index: the colormap maps label i to class_colors(4)[i], bad to transparent
    cmap = classes.get_cmap()
    assert [cmap(classes.norm(i)) for i in range(4)] == class_colors(4)
    assert cmap(np.ma.masked_array([0], mask=[True]))[0][3] == 0
    assert ax.get_xlabel() == "x (nm)" and ax.get_ylabel() == "y (nm)"
    np.testing.assert_allclose(ax.get_xlim(), IMAGE_EXTENT[:2])
    assert "predicted class" in ax.get_title()


def test_class_map_from_array_image_is_placed_like_the_signal():
    p, s = make_probabilities(), make_image()
    ax = plot_class_map(p, image=s.data, legend=False)
    np.testing.assert_allclose(ax.images[0].get_extent(), IMAGE_EXTENT)
    assert ax.get_legend() is None
    assert ax.images[1].get_alpha() == 0.45


def test_class_map_of_a_stack_frame_follows_index_and_position():
    p, s = make_probabilities(frames=3), make_image(frames=3)
    fig, (a1, a2) = plt.subplots(1, 2)
    plot_class_map(p, image=s, ax=a1, index=2)
    np.testing.assert_array_equal(a1.images[1].get_array().filled(-1), _expected_labels(p.data[2]))
    np.testing.assert_array_equal(a1.images[0].get_array(), s.data[2])
    assert a1.get_title().endswith("[2]")
    p.axes_manager["time"].index = 1
    plot_class_map(p, ax=a2)  # the current position; no image: opaque map
    np.testing.assert_array_equal(a2.images[0].get_array().filled(-1), _expected_labels(p.data[1]))
    assert a2.images[0].get_alpha() == 1.0
    np.testing.assert_allclose(a2.get_xlim(), GRID_EXTENT[:2])
    with pytest.raises(ValueError, match="navigation"):
        plot_class_map(p, index=(0, 0))


def test_class_map_of_lazy_probabilities():
    p = make_probabilities(frames=2, lazy=True)
    ax = p.plot_class_map(index=0)
    np.testing.assert_array_equal(
        ax.images[0].get_array().filled(-1), _expected_labels(p.data[0].compute())
    )


def test_uncertainty_map_content():
    u, s = make_uncertainty(), make_image()
    ax = u.plot_map(image=s)
    image, mi = ax.images
    np.testing.assert_allclose(mi.get_extent(), GRID_EXTENT)
    np.testing.assert_allclose(image.get_extent(), IMAGE_EXTENT)
    plotted = mi.get_array()
    assert plotted.mask[2, 2] and plotted.mask.sum() == 1
    np.testing.assert_array_equal(plotted.filled(np.nan), u.data)
    assert mi.colorbar.ax.get_ylabel() == "Mutual information (bits)"
    assert mi.get_clim() == (0.0, pytest.approx(float(np.nanmax(u.data))))
    assert mi.get_cmap().name.startswith("inferno") and mi.get_alpha() == 0.6


def test_save_figure_writes_what_draw_drew_without_pyplot(tmp_path):
    drawn = {}

    def draw(ax, probabilities, image):
        drawn["ax"] = plot_class_map(probabilities, image=image, ax=ax)

    save_figure(
        draw, tmp_path / "classes.png", probabilities=make_probabilities(), image=make_image()
    )
    png = matplotlib.image.imread(tmp_path / "classes.png")
    assert png.shape == (600, 850, 4)  # 8.5 x 6 inches at 100 dpi
    assert len(drawn["ax"].images) == 2 and drawn["ax"].get_legend() is not None
    assert isinstance(drawn["ax"].figure.get_layout_engine(), ConstrainedLayoutEngine)
    assert plt.get_fignums() == []  # not a pyplot figure
    assert png[..., :3].std() > 0.05  # not a blank page


def test_uncertainty_options_and_stack():
    u = make_uncertainty(frames=2)
    ax = plot_uncertainty(u, index=1, vmax=2.0, cmap="viridis", colorbar=False, title="MI")
    mi = ax.images[0]
    np.testing.assert_array_equal(mi.get_array().filled(np.nan), u.data[1])
    assert mi.get_clim() == (0.0, 2.0) and mi.colorbar is None and ax.get_title() == "MI"
    assert mi.get_cmap().name.startswith("viridis") and mi.get_alpha() == 1.0


def test_probabilities_plot_defaults():
    p = make_probabilities()
    p.plot()
    imf = p._plot.signal_plot
    im = imf.ax.images[0]
    assert (imf.vmin, imf.vmax) == (0.0, 1.0) and im.get_clim() == (0.0, 1.0)
    assert im.get_cmap().name == "viridis"
    assert imf._colorbar.ax.get_ylabel() == "Probability"
    np.testing.assert_array_equal(im.get_array(), p.data[0])
    assert imf.ax.get_title() == "Movie: square"
    ticks = [t.get_text() for t in p._plot.navigator_plot.ax.get_xticklabels()]
    assert ticks == NAMES
    p.axes_manager.indices = (3,)
    assert imf.ax.get_title() == "Movie: noise"
    assert (imf.vmin, imf.vmax) == (0.0, 1.0)
    np.testing.assert_array_equal(imf.ax.images[0].get_array(), p.data[3])


def test_probabilities_plot_keywords_override_defaults():
    p = make_probabilities()
    p.plot(cmap="magma", vmax=0.5, title="Mine", navigator="slider", colorbar=False)
    imf = p._plot.signal_plot
    assert imf.ax.images[0].get_cmap().name == "magma"
    assert imf.ax.images[0].get_clim() == (0.0, 0.5)
    assert imf.ax.get_title() == "Mine" and imf._colorbar is None
    p.axes_manager.indices = (1,)
    assert imf.ax.get_title() == "Mine"


@pytest.mark.parametrize("lazy", [False, True])
def test_probabilities_plot_of_a_stack(lazy):
    p = make_probabilities(frames=3, lazy=lazy)
    p.plot()
    nav = p._plot.navigator_plot
    assert nav.ax.get_xlabel() == "class"
    assert [t.get_text() for t in nav.ax.get_xticklabels()] == NAMES
    p.axes_manager.indices = (2, 1)
    imf = p._plot.signal_plot
    assert imf.ax.get_title() == "Movie: oblique"
    np.testing.assert_array_equal(imf.ax.images[0].get_array(), np.asarray(p.data[1, 2]))
    p._plot.close()
    p.axes_manager.indices = (1, 1)  # a closed plot no longer listens


def test_uncertainty_plot_defaults_and_overrides():
    u = make_uncertainty(frames=2)
    u.plot()
    imf = u._plot.signal_plot
    im = imf.ax.images[0]
    assert im.get_cmap().name == "inferno" and im.get_clim()[0] == 0.0 and imf.vmin == 0.0
    assert imf._colorbar.ax.get_ylabel() == "Mutual information (bits)"
    u.plot(cmap="gray", vmin=0.1)
    im = u._plot.signal_plot.ax.images[0]
    assert im.get_cmap().name == "gray" and im.get_clim()[0] == pytest.approx(0.1)


def test_plot_of_a_real_classification(tiny_bravais):
    s = calibrated(lattice_image((160, 160), period=(7, 7)), scale=1.0, units="px")
    s.axes_manager.signal_axes[0].units = "<undefined>"
    s.axes_manager.signal_axes[1].units = "<undefined>"
    kw = dict(model=tiny_bravais, window_size=64, stride=32, n_samples=3, seed=0)
    p, u = s.classify_symmetry(**kw), s.mc_uncertainty(**kw)
    ax = p.plot_class_map(image=s)
    present = sorted(set(p.predicted_class().data.ravel().tolist()))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        p.class_names[i] for i in present
    ]
    assert ax.images[1].get_extent()[0] == pytest.approx(31.5 - 16)
    ax = u.plot_map()
    np.testing.assert_allclose(ax.images[0].get_array().filled(np.nan), u.data)
    assert ax.images[0].colorbar.ax.get_ylabel() == u.metadata.Signal.quantity
