"""Latent features (deterministic penultimate-layer vectors), 2D embeddings and their plots."""

import importlib.util

import matplotlib

matplotlib.use("Agg")

import hyperspy.api as hs  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from conftest import calibrated, lattice_image  # noqa: E402

import hyperspy_symmetry as hss  # noqa: E402
from hyperspy_symmetry.analysis.latent import (  # noqa: E402
    embed,
    latent_embedding,
    plot_embedding,
    resolve_method,
)
from hyperspy_symmetry.signals.probabilities import SymmetryProbabilities  # noqa: E402
from hyperspy_symmetry.signals.uncertainty import SymmetryUncertainty  # noqa: E402

HAS_UMAP = importlib.util.find_spec("umap") is not None


def clusters(n_per=15, d=12, centres=3, seed=0):
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(8.0 * k, 1.0, (n_per, d)) for k in range(centres)])
    return x, np.repeat(np.arange(centres), n_per)


def knn_accuracy(points, labels, k=5):
    """Leave-one-out k-nearest-neighbour accuracy of ``labels`` from ``points``."""
    d = np.linalg.norm(points[:, None] - points[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    nearest = np.argsort(d, axis=1)[:, :k]
    votes = np.array([np.bincount(labels[row], minlength=labels.max() + 1) for row in nearest])
    return float((votes.argmax(axis=1) == labels).mean())


# -- features -------------------------------------------------------------------------------


def test_latent_features_are_the_dense_layer_without_dropout(tiny_aistem):
    import keras

    from hyperspy_symmetry.models.registry import load_model

    movie = np.stack([lattice_image((160, 180), (9.0, 9.0), a, seed=a) for a in (0, 20)])
    s = calibrated(movie)
    s.axes_manager.navigation_axes[0].name = "time"
    f = s.latent_features(model=tiny_aistem, window_size=100, stride=30, show_progressbar=False)
    # Navigation: the input's (time) then the window grid; signal: feature.
    assert f.data.shape == (2, 3, 3, 16)
    assert f.axes_manager.signal_axes[0].name == "feature"
    nav = [ax.name for ax in f.axes_manager.navigation_axes]
    assert nav == ["x", "y", "time"]
    ax = f.axes_manager["x"]
    assert ax.scale == pytest.approx(30 * 0.12) and ax.offset == pytest.approx(99 / 2 * 0.12)
    md = f.metadata.Symmetry
    assert md.layer == "dense" and md.n_features == 16 and "off" in md.dropout
    assert md.window_size == 100 and md.stride == 30

    # The same numbers as the Keras sub-model on the descriptors, with training=False.
    network = load_model(tiny_aistem).network
    sub = keras.Model(network.inputs[0], network.get_layer("dense").output)
    d = s.fft_descriptors(
        model=tiny_aistem, window_size=100, stride=30, show_progressbar=False
    ).data
    expected = np.asarray(sub(d.reshape(-1, 64, 64, 1), training=False))
    np.testing.assert_allclose(f.data.reshape(-1, 16), expected, rtol=1e-5, atol=1e-6)

    # Deterministic, and the lazy twin gives the same.
    lazy = s.as_lazy().latent_features(model=tiny_aistem, window_size=100, stride=30)
    assert lazy._lazy
    np.testing.assert_array_equal(np.asarray(lazy.data.compute()), f.data)


def test_latent_features_other_layer_and_bad_layer(tiny_aistem):
    s = calibrated(lattice_image((128, 128), (9.0, 9.0)))
    f = s.latent_features(
        model=tiny_aistem, window_size=100, stride=28, layer="flatten", show_progressbar=False
    )
    assert f.data.shape == (2, 2, 16 * 16 * 2) and f.metadata.Symmetry.layer == "flatten"
    with pytest.raises(ValueError, match="has no layer 'nope'.*dense"):
        s.latent_features(model=tiny_aistem, window_size=100, stride=28, layer="nope")


# -- embeddings ----------------------------------------------------------------------------


def test_resolve_method():
    assert resolve_method("auto") == ("umap" if HAS_UMAP else "tsne")
    assert resolve_method("pca") == "pca"
    with pytest.raises(ValueError, match="Unknown embedding method"):
        resolve_method("mds")
    if not HAS_UMAP:
        with pytest.raises(ImportError, match="umap-learn"):
            resolve_method("umap")


@pytest.mark.parametrize("method", ["tsne", "pca"])
def test_embed_separates_clusters_and_keeps_nan_rows(method):
    x, labels = clusters()
    x[4] = np.nan
    y = embed(x, method=method, seed=1)
    assert y.shape == (len(x), 2)
    assert np.isnan(y[4]).all() and np.isfinite(np.delete(y, 4, axis=0)).all()
    keep = np.arange(len(x)) != 4
    assert knn_accuracy(y[keep], labels[keep]) == 1.0
    np.testing.assert_array_equal(embed(x, method=method, seed=1), y)


def test_latent_embedding_keeps_the_grid():
    x, labels = clusters(n_per=12, d=8, centres=3)  # 36 windows = a 6 x 6 grid
    latent = hs.signals.Signal1D(x.reshape(6, 6, 8).astype(np.float32))
    latent.axes_manager.navigation_axes[0].name = "x"
    latent.axes_manager.navigation_axes[0].scale = 2.4
    latent.metadata.set_item("Symmetry.layer", "dense")
    e = latent_embedding(latent, method="tsne", seed=0)
    assert e.data.shape == (6, 6, 2)
    assert e.axes_manager.signal_axes[0].name == "component"
    assert e.axes_manager["x"].scale == 2.4
    emb = e.metadata.Symmetry.embedding
    assert emb.method == "tsne" and emb.grid_shape == [6, 6] and emb.n_windows == 36
    assert e.metadata.Symmetry.layer == "dense"
    assert "t-SNE" in e.metadata.General.title
    assert knn_accuracy(e.data.reshape(-1, 2), labels) == 1.0


# -- plots ----------------------------------------------------------------------------------


def _fake_results(labels, mi, class_names):
    """SymmetryProbabilities / SymmetryUncertainty of a (gy, gx) grid of windows."""
    gy, gx = labels.shape
    probs = np.full((len(class_names), gy, gx), 0.01, dtype=np.float32)
    np.put_along_axis(probs, labels[None], 0.9, axis=0)
    p = SymmetryProbabilities(probs, metadata={"Symmetry": {"class_names": class_names}})
    p.axes_manager[0].name = "class"
    u = SymmetryUncertainty(
        mi.astype(np.float32),
        metadata={
            "Signal": {"quantity": "Mutual information (bits)"},
            "Symmetry": {"class_names": class_names, "measure": "mutual_information"},
        },
    )
    return p, u


def test_plot_embedding_shows_classes_and_uncertainty():
    names = ["BCC_Fe_100", "FCC_Cu_100", "HCP_Ti_0001", "FCC_Cu_111"]
    labels = np.array([[0, 0, 2], [2, 1, 1]])  # class 3 never predicted
    mi = np.linspace(0.0, 0.5, 6).reshape(2, 3)
    p, u = _fake_results(labels, mi, names)
    points = np.random.default_rng(0).random((6, 2))
    fig = plot_embedding(points, probabilities=p, uncertainty=u)
    class_ax, mi_ax = fig.axes[:2]

    legend = [t.get_text() for t in class_ax.get_legend().get_texts()]
    assert legend == ["BCC_Fe_100", "FCC_Cu_100", "HCP_Ti_0001"]
    flat = labels.ravel()
    from hyperspy_symmetry.plotting import class_colors

    for coll, k in zip(class_ax.collections, [0, 1, 2], strict=False):
        np.testing.assert_allclose(coll.get_offsets(), points[flat == k])
        # the same colour as the class map gives class k
        np.testing.assert_allclose(coll.get_facecolor()[0], class_colors(4)[k])

    (sc,) = mi_ax.collections
    np.testing.assert_allclose(sc.get_offsets(), points)
    np.testing.assert_allclose(sc.get_array(), mi.ravel(), rtol=1e-6)
    colorbar = fig.axes[2]
    assert colorbar.get_ylabel() == "Mutual information (bits)"
    plt.close(fig)


def test_plot_embedding_on_given_axes_from_an_embedding_signal():
    x, _ = clusters(n_per=4, d=5, centres=2)  # 8 windows: a 2 x 4 grid
    latent = hs.signals.Signal1D(x.reshape(2, 4, 5))
    e = latent_embedding(latent, method="pca")
    fig, ax = plt.subplots()
    u = np.arange(8.0).reshape(2, 4)
    assert plot_embedding(e, uncertainty=u, axes=ax) is fig
    np.testing.assert_allclose(ax.collections[0].get_offsets(), e.data.reshape(-1, 2))
    assert ax.get_xlabel() == "PCA 1" and fig.axes[1].get_ylabel() == "Uncertainty"
    with pytest.raises(ValueError, match="windows but the embedding has 8"):
        plot_embedding(e, uncertainty=np.zeros(5))
    plt.close("all")


# -- the shipped model: grains separate in the latent space ----------------------------------


@pytest.mark.skipif("aistem" not in hss.list_models(), reason="aistem weights not shipped")
def test_grains_separate_in_the_latent_space_of_the_shipped_model():
    from hyperspy_symmetry.simulate import polycrystal_scene
    from hyperspy_symmetry.windows import sliding_windows

    s, truth = polycrystal_scene(seed=3, grain_size=18.0)  # four 150 px grains
    f = s.latent_features(stride=15, show_progressbar=False)
    assert f.data.shape == (14, 14, 128)
    w = sliding_windows(truth.data, 100, 15)
    inside = w.min(axis=(-2, -1)) == w.max(axis=(-2, -1))
    grain = w[..., 0, 0]
    crystalline = inside & (grain < 3)  # Fe [100], Cu [100], Ti [0001]
    assert [int((crystalline & (grain == k)).sum()) for k in range(3)] == [16, 16, 16]

    # In feature space: every window's nearest neighbours come from its own grain.
    assert knn_accuracy(f.data[crystalline], grain[crystalline]) == 1.0
    # And in the 2D embedding (t-SNE here unless umap is installed) of all windows.
    e = latent_embedding(f, seed=0)
    points = e.data[crystalline]
    labels = grain[crystalline]
    assert knn_accuracy(points, labels) == 1.0
    centres = np.array([points[labels == k].mean(axis=0) for k in range(3)])
    spread = max(np.linalg.norm(points[labels == k] - centres[k], axis=1).mean() for k in range(3))
    gaps = [np.linalg.norm(centres[i] - centres[j]) for i in range(3) for j in range(i)]
    assert min(gaps) > 3 * spread
