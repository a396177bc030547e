"""2D embeddings of latent features, and their plots.

- :func:`embed`: ``(n, d)`` features -> ``(n, 2)`` points, with UMAP when the ``umap``
  package is importable, else scikit-learn's t-SNE (or PCA on request).
- :func:`latent_embedding`: the same from a ``latent_features`` signal, keeping the window
  grid: a signal whose navigation axes are those of the features and whose signal axis is
  the two embedding components.
- :func:`plot_embedding`: scatter plots of an embedding coloured by predicted class and by
  uncertainty.

scikit-learn, UMAP and matplotlib are imported when a function runs.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

__all__ = ["resolve_method", "embed", "latent_embedding", "plot_embedding"]

#: Embedding methods by name; ``"auto"`` picks UMAP if installed, else t-SNE.
METHODS = ("auto", "umap", "tsne", "pca")

#: Names used in titles and metadata.
METHOD_NAMES = {"umap": "UMAP", "tsne": "t-SNE", "pca": "PCA"}


def resolve_method(method: str = "auto") -> str:
    """The embedding method ``method`` stands for: ``"umap"``, ``"tsne"`` or ``"pca"``.

    ``"auto"`` is ``"umap"`` when the ``umap`` package (umap-learn) can be imported, else
    ``"tsne"`` (scikit-learn).

    Examples
    --------
    >>> resolve_method("tsne")
    'tsne'
    >>> resolve_method("auto") in ("umap", "tsne")
    True
    """
    if method not in METHODS:
        raise ValueError(f"Unknown embedding method {method!r}; choose one of {METHODS}.")
    if method == "auto":
        return "umap" if importlib.util.find_spec("umap") is not None else "tsne"
    if method == "umap" and importlib.util.find_spec("umap") is None:
        raise ImportError(
            "method='umap' needs the umap-learn package (pip install umap-learn); "
            "method='tsne' uses scikit-learn instead."
        )
    return method


def embed(
    features, method: str = "auto", seed: int = 0, threads: int | None = 1, **kwargs: Any
) -> np.ndarray:
    """Embed feature vectors in 2D.

    Parameters
    ----------
    features
        ``(n, d)`` array; rows holding NaN are left out and get NaN.
    method
        ``"auto"`` (UMAP if installed, else t-SNE; see :func:`resolve_method` for which one
        runs), ``"umap"``, ``"tsne"`` or ``"pca"``.
    seed
        Random state of the embedding: the same seed gives the same result.
    threads
        Threads of the embedding's native (OpenMP/BLAS) loops; ``None`` leaves the libraries'
        defaults. One by default: for the few thousand windows of a map threads do not pay,
        and on a busy machine they can cost much (t-SNE of 441 windows on a loaded 2-core
        machine: 3.9 s on one thread, 27 s with the default).
    **kwargs
        Passed to ``umap.UMAP``, ``sklearn.manifold.TSNE`` or ``sklearn.decomposition.PCA``.
        t-SNE's default perplexity is ``min(30, (n - 1) / 3)`` so that small sets work.

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` float64.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(0, 1, (20, 8)), rng.normal(6, 1, (20, 8))])
    >>> y = embed(x, method="pca")
    >>> y.shape
    (40, 2)
    >>> bool(abs(y[:20, 0].mean() - y[20:, 0].mean()) > 10)
    True
    """
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"features must be an (n, d) array, got shape {x.shape}.")
    used = resolve_method(method)
    good = np.isfinite(x).all(axis=1)
    n = int(good.sum())
    out = np.full((len(x), 2), np.nan)
    if n < 3:
        raise ValueError(f"At least 3 finite feature vectors are needed to embed, got {n}.")
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads):
        out[good] = _embed(x[good], used, seed, kwargs)
    return out


def _embed(x: np.ndarray, used: str, seed: int, kwargs: dict) -> np.ndarray:
    n = len(x)
    if used == "umap":
        import umap

        options = {"n_components": 2, "random_state": seed, **kwargs}
        return umap.UMAP(**options).fit_transform(x)
    elif used == "tsne":
        from sklearn.manifold import TSNE

        options = {
            "n_components": 2,
            "random_state": seed,
            "init": "pca",
            "perplexity": float(min(30.0, max(1.0, (n - 1) / 3.0))),
            **kwargs,
        }
        return TSNE(**options).fit_transform(x)
    from sklearn.decomposition import PCA

    return PCA(n_components=2, random_state=seed, **kwargs).fit_transform(x)


def latent_embedding(
    latent,
    method: str = "auto",
    seed: int = 0,
    threads: int | None = 1,
    show_progressbar: bool | None = None,
    **kwargs: Any,
):
    """Embed the latent vectors of a ``latent_features`` signal in 2D, keeping the grid.

    Parameters
    ----------
    latent
        The result of ``s.latent_features(...)`` (eager or lazy): navigation axes the
        window grid and the image's navigation axes, signal axis ``feature``.
    method, seed, threads, **kwargs
        See :func:`embed`. All windows of all images are embedded together.
    show_progressbar
        Show a progress bar while lazy features are computed. Default: HyperSpy's
        preference.

    Returns
    -------
    hyperspy.signals.Signal1D
        Data shape ``latent.data.shape[:-1] + (2,)``: the same navigation axes as
        ``latent`` and the signal axis ``component`` (the two embedding coordinates);
        ``data.reshape(-1, 2)`` is the ``(n, 2)`` embedding in the order of
        ``latent.data.reshape(-1, n_features)``. ``metadata.Symmetry`` keeps the
        features' record and adds ``embedding`` (``method`` actually used, ``seed``,
        ``grid_shape``, ``n_windows``).

    Examples
    --------
    >>> f = s.latent_features(stride=20)
    >>> e = latent_embedding(f)
    >>> e.metadata.Symmetry.embedding.method
    'tsne'
    """
    from hyperspy.signals import Signal1D

    from ..pipeline import compute

    data = compute(latent.data, show_progressbar, desc="latent features")
    if data.ndim < 3:
        raise ValueError(
            f"Expected a latent_features signal (..., gy, gx, n_features), got shape {data.shape}."
        )
    used = resolve_method(method)
    points = embed(data.reshape(-1, data.shape[-1]), used, seed, threads, **kwargs)
    am = latent.axes_manager
    axes = [ax.get_axis_dictionary() for ax in (*am.navigation_axes, *am.signal_axes)]
    axes = axes[:-1] + [{"name": "component", "units": "", "size": 2, "navigate": False}]
    for ax in axes[:-1]:
        ax["navigate"] = True
    symmetry = latent.metadata.get_item("Symmetry")
    symmetry = symmetry.as_dictionary() if symmetry is not None else {}
    symmetry["embedding"] = {
        "method": used,
        "seed": int(seed),
        "grid_shape": list(data.shape[-3:-1]),
        "n_windows": int(np.prod(data.shape[:-1])),
        "kwargs": {k: v for k, v in kwargs.items() if isinstance(v, (int, float, str, bool))},
    }
    title = latent.metadata.get_item("General.title") or "Latent features"
    metadata = {
        "General": {"title": f"{title}: {METHOD_NAMES[used]} embedding"},
        "Signal": {"quantity": f"{METHOD_NAMES[used]} coordinate"},
        "Symmetry": symmetry,
    }
    return Signal1D(points.reshape(data.shape[:-1] + (2,)), axes=axes, metadata=metadata)


def _points(embedding) -> tuple[np.ndarray, str | None]:
    """``(n, 2)`` points and the method name of an embedding array or signal."""
    method = None
    if hasattr(embedding, "metadata"):
        method = embedding.metadata.get_item("Symmetry.embedding.method")
        embedding = embedding.data
    try:
        points = np.asarray(embedding, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            "`embedding` must be the signal latent_embedding returned (or an (n, 2) array), "
            f"not {type(embedding).__name__}."
        ) from None
    if points.ndim < 1 or points.shape[-1] != 2:
        raise ValueError(f"An embedding has 2 components (last axis), got shape {points.shape}.")
    return points.reshape(-1, 2), method


def _values(signal, n: int, what: str) -> np.ndarray:
    data = getattr(signal, "data", signal)
    if hasattr(data, "compute"):
        data = data.compute()
    values = np.asarray(data).ravel()
    if values.size != n:
        raise ValueError(
            f"The {what} have {values.size} windows but the embedding has {n}; use the same "
            f"image, window and stride."
        )
    return values


def plot_embedding(embedding, probabilities=None, uncertainty=None, axes=None, **scatter_kwargs):
    """Scatter plots of a 2D embedding: coloured by predicted class, and by uncertainty.

    Parameters
    ----------
    embedding
        ``(n, 2)`` array (or any ``(..., 2)``), or the signal of :func:`latent_embedding`.
    probabilities
        ``SymmetryProbabilities`` of the same windows (same image, window and stride): the
        first panel colours each point by its predicted class, with a legend of the class
        names present.
    uncertainty
        ``SymmetryUncertainty`` (or an array) of the same windows: the next panel colours
        each point by its value, with a colorbar labelled with its quantity (e.g.
        ``Mutual information (bits)``).
    axes
        Matplotlib axes to draw in, one per panel; default a new figure.
    **scatter_kwargs
        Passed to ``Axes.scatter`` (e.g. ``s=8``).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per colouring given (a single plain panel when neither is), each with a
        scatter of all finite points in order.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = plot_embedding(np.random.default_rng(0).random((10, 2)),
    ...                      uncertainty=np.linspace(0, 1, 10))
    >>> fig.axes[1].get_ylabel()
    'Uncertainty'
    """
    import matplotlib.pyplot as plt

    from ..plotting import class_colors

    points, method = _points(embedding)
    n = len(points)
    finite = np.isfinite(points).all(axis=1)
    panels = []
    if probabilities is not None:
        panels.append("class")
    if uncertainty is not None:
        panels.append("uncertainty")
    if not panels:
        panels.append("plain")
    if axes is None:
        fig, axes = plt.subplots(
            1, len(panels), figsize=(5.2 * len(panels), 4.5), squeeze=False, layout="constrained"
        )
        axes = list(axes[0])
    else:
        axes = list(np.atleast_1d(axes))
        if len(axes) != len(panels):
            raise ValueError(f"{len(panels)} panel(s) to draw but {len(axes)} axes given.")
        fig = axes[0].figure
    options = {"s": 10, **scatter_kwargs}
    name = method and {"umap": "UMAP", "tsne": "t-SNE", "pca": "PCA"}.get(method, method)
    for ax, panel in zip(axes, panels, strict=False):
        if panel == "class":
            if hasattr(probabilities, "predicted_class"):
                labels = _values(probabilities.predicted_class(), n, "probabilities")
            else:
                labels = _values(probabilities, n, "class labels")
            class_names = list(getattr(probabilities, "class_names", []))
            # The same colour per class index as in plotting.plot_class_map.
            colors = class_colors(
                max(len(class_names), int(np.nanmax(labels[finite], initial=0)) + 1)
            )
            for k in np.unique(labels[finite]).astype(int):
                keep = finite & (labels == k)
                label = (
                    class_names[k]
                    if 0 <= k < len(class_names)
                    else ("no class" if k < 0 else f"class {k}")
                )
                ax.scatter(
                    points[keep, 0],
                    points[keep, 1],
                    color=colors[k] if k >= 0 else "0.6",
                    label=label,
                    **options,
                )
            ax.legend(title="Predicted class", fontsize="small", markerscale=1.5)
            ax.set_title("Coloured by predicted class")
        elif panel == "uncertainty":
            values = _values(uncertainty, n, "uncertainty values").astype(float)
            quantity = None
            if hasattr(uncertainty, "metadata"):
                quantity = uncertainty.metadata.get_item("Signal.quantity")
            quantity = quantity or "Uncertainty"
            keep = finite & np.isfinite(values)
            sc = ax.scatter(
                points[keep, 0], points[keep, 1], c=values[keep], cmap="viridis", **options
            )
            fig.colorbar(sc, ax=ax, label=quantity)
            ax.set_title(f"Coloured by {quantity.split(' (')[0].lower()}")
        else:
            ax.scatter(points[finite, 0], points[finite, 1], **options)
        ax.set_xlabel(f"{name} 1" if name else "component 1")
        ax.set_ylabel(f"{name} 2" if name else "component 2")
    return fig
