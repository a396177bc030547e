"""Static plots of symmetry results: class maps and uncertainty maps, over the image.

Pure matplotlib: each function takes signals (or arrays), draws on one Axes and returns it.
The window grid is drawn with its calibrated extent, each cell centred on its window's
centre (``offset + i * scale``), so it lines up with the image drawn in the same units.
The signal methods ``p.plot_class_map`` and ``u.plot_map`` call these functions; the
interactive ``p.plot()`` and ``u.plot()`` take their defaults from
:func:`interactive_plot_defaults`.

Colours of classes
    Class ``i`` of a model is always drawn in ``class_colors(n)[i]``: colours of Okabe and
    Ito and of Paul Tol, the first ten distinct for normal and colour-blind vision (see
    :data:`CLASS_COLORS`; more than 15 classes continue with matplotlib's ``tab20``).

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from hyperspy_symmetry.plotting import class_colors
>>> class_colors(3)[0]
(0.33725490196078434, 0.7058823529411765, 0.9137254901960784, 1.0)
>>> ax = plot_class_map(p, image=s)
>>> ax.figure.savefig("classes.png")
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from traits.api import Undefined

from .signal_types import CLASS_AXIS, PROBABILITIES, signal_type

__all__ = [
    "CLASS_COLORS",
    "class_colors",
    "grid_extent",
    "plot_class_map",
    "plot_uncertainty",
    "interactive_plot_defaults",
    "save_figure",
    "PROBABILITY_CMAP",
    "UNCERTAINTY_CMAP",
]

#: One colour per class index: three of Okabe and Ito's, then Paul Tol's (muted and light
#: schemes). Chosen so that the ten colours stay apart for normal vision and for deutan,
#: protan and tritan colour blindness (smallest pairwise CAM02-UCS distance 13.7 over the
#: four; Okabe-Ito plus muted Tol had 6.4, vermilion against olive for deutans). Further
#: classes: Okabe-Ito's orange, blue and vermilion, then Tol's teal and rose.
CLASS_COLORS: tuple[str, ...] = (
    "#56B4E9",
    "#009E73",
    "#CC79A7",
    "#EEDD88",
    "#882255",
    "#117733",
    "#AA4499",
    "#999933",
    "#99DDFF",
    "#FFAABB",
    "#E69F00",
    "#0072B2",
    "#D55E00",
    "#44AA99",
    "#CC6677",
)
#: Colormap of probability maps (perceptually uniform, 0 dark, 1 bright).
PROBABILITY_CMAP = "viridis"
#: Colormap of uncertainty maps (perceptually uniform; uncertain windows glow).
UNCERTAINTY_CMAP = "inferno"


def class_colors(n: int) -> list[tuple[float, float, float, float]]:
    """RGBA colours of classes ``0 .. n-1``; the same index always gets the same colour.

    Examples
    --------
    >>> len(class_colors(10)), class_colors(10)[:2] == class_colors(6)[:2]
    (10, True)
    """
    from matplotlib import colormaps
    from matplotlib.colors import to_rgba

    colors = [to_rgba(c) for c in CLASS_COLORS[:n]]
    extra = colormaps["tab20"]
    colors += [tuple(float(v) for v in extra(i % 20)) for i in range(n - len(colors))]
    return colors


# -- geometry and data access ---------------------------------------------------------------


def _axis_label(axis) -> str:
    name = "" if axis.name is Undefined else str(axis.name)
    units = "" if axis.units is Undefined else str(axis.units)
    return f"{name} ({units})" if units else name


def grid_extent(signal) -> tuple[float, float, float, float]:
    """``imshow`` extent (left, right, bottom, top) of a signal's two signal axes.

    Pixel ``i`` is centred at ``offset + i * scale``, so the extent runs half a cell beyond
    the first and last centres.

    Examples
    --------
    >>> import numpy as np, hyperspy.api as hs
    >>> s = hs.signals.Signal2D(np.zeros((3, 4)))
    >>> s.axes_manager[0].scale = 2.0
    >>> grid_extent(s)
    (-1.0, 7.0, 2.5, -0.5)
    """
    ax_x, ax_y = signal.axes_manager.signal_axes
    return (
        ax_x.offset - ax_x.scale / 2,
        ax_x.offset + (ax_x.size - 0.5) * ax_x.scale,
        ax_y.offset + (ax_y.size - 0.5) * ax_y.scale,
        ax_y.offset - ax_y.scale / 2,
    )


def _frame_index(signal, index) -> tuple[int, ...]:
    """Navigation index (HyperSpy order) of the frame of ``signal`` to draw."""
    axes = signal.axes_manager.navigation_axes
    if index is None:
        return tuple(int(ax.index) for ax in axes)
    index = (index,) if np.isscalar(index) else tuple(int(i) for i in index)
    if len(index) != len(axes):
        raise ValueError(
            f"`index` has {len(index)} entries but the signal has {len(axes)} navigation "
            f"axes besides the class axis."
        )
    return index


def _as_numpy(data, show_progressbar: bool | None = False) -> np.ndarray:
    from .pipeline import compute

    return compute(data, show_progressbar, desc="plotting")


def _frame(
    signal, index: tuple[int, ...], core: int, show_progressbar: bool | None = False
) -> np.ndarray:
    """The ``core`` trailing dimensions of the data at navigation ``index``."""
    lead = signal.data.ndim - core
    sl = tuple(reversed(index))[-lead:] if lead else ()
    return _as_numpy(signal.data[sl], show_progressbar)


def _pixel_calibration(result) -> tuple[tuple[float, float], tuple[float, float]]:
    """(scales, offsets) along (y, x) of the image a result was made from."""
    window = result.metadata.get_item("Symmetry.window_size")
    stride = result.metadata.get_item("Symmetry.stride")
    if window is None or stride is None:
        raise ValueError(
            "This result has no metadata.Symmetry window_size and stride; pass the image "
            "as a signal with calibrated axes instead of an array."
        )
    scales, offsets = [], []
    for ax in reversed(result.axes_manager.signal_axes):
        scale = ax.scale / stride
        scales.append(scale)
        offsets.append(ax.offset - (window - 1) / 2 * scale)
    return tuple(scales), tuple(offsets)


def _image_layer(result, image, index: tuple[int, ...]):
    """(2D array, extent) of the image frame that ``result`` frame ``index`` came from."""
    from hyperspy.signal import BaseSignal

    if isinstance(image, BaseSignal):
        if image.axes_manager.signal_dimension != 2:
            raise ValueError("`image` must be a 2D image signal (signal dimension 2).")
        n_nav = image.axes_manager.navigation_dimension
        sub = (
            index
            if n_nav == len(index)
            else tuple(int(ax.index) for ax in image.axes_manager.navigation_axes)
        )
        return _frame(image, sub, 2), grid_extent(image)
    if not isinstance(image, (list, tuple)) and not hasattr(image, "__array__"):
        raise TypeError(
            f"`image` must be the classified image, as a signal or an array, not "
            f"{type(image).__name__}."
        )
    data = np.asarray(image)
    if data.ndim < 2 or not np.issubdtype(data.dtype, np.number):
        raise ValueError(
            f"`image` must be the classified image (a 2D array or a stack of them), got an "
            f"array of shape {data.shape} and dtype {data.dtype}."
        )
    if data.ndim > 2:
        data = data[tuple(reversed(index))[-(data.ndim - 2) :]]
    (sy, sx), (oy, ox) = _pixel_calibration(result)
    h, w = data.shape
    return data, (ox - sx / 2, ox + (w - 0.5) * sx, oy + (h - 0.5) * sy, oy - sy / 2)


def _check_covers(image_extent, result) -> None:
    """The image drawn underneath must contain the centre of every window of the result."""
    ax_x, ax_y = result.axes_manager.signal_axes
    il, ir, ib, it = image_extent
    rl, rr = ax_x.offset, ax_x.offset + (ax_x.size - 1) * ax_x.scale
    rt, rb = ax_y.offset, ax_y.offset + (ax_y.size - 1) * ax_y.scale
    tol = 1e-6 * max(abs(ir - il), abs(ib - it))
    inside = (
        min(il, ir) - tol <= min(rl, rr)
        and max(rr, rl) <= max(il, ir) + tol
        and min(ib, it) - tol <= min(rb, rt)
        and max(rb, rt) <= max(ib, it) + tol
    )
    if not inside:
        raise ValueError(
            f"`image` (extent x {il:g}..{ir:g}, y {it:g}..{ib:g}) does not contain the window "
            f"centres of the result (x {rl:g}..{rr:g}, y {rt:g}..{rb:g}); pass the image that "
            f"was classified, with the same axes calibration."
        )


def _new_axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(7, 5.5), layout="constrained")[1]


def _decorate(ax, signal, extent, title: str) -> None:
    ax_x, ax_y = signal.axes_manager.signal_axes
    ax.set_xlabel(_axis_label(ax_x))
    ax.set_ylabel(_axis_label(ax_y))
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_title(title)


def _frame_title(signal, index: tuple[int, ...], suffix: str = "") -> str:
    """The signal's title, then ``suffix``, then the frame index of a stack."""
    title = signal.metadata.get_item("General.title") or ""
    title = f"{title}: {suffix}" if title and suffix else title or suffix
    return f"{title} {list(index)}" if index else title


# -- the plots ------------------------------------------------------------------------------


def _map_layers(
    result, image, ax, index, classes: bool, image_cmap: str, show_progressbar: bool | None = None
):
    """Start a map plot: the frame's data, the axes, the image underneath when given.

    For ``classes``, ``result`` is a ``SymmetryProbabilities`` and the frame is its
    predicted class (found along the axis named ``class``, wherever it is). Returns
    ``(ax, index, frame, extent, grid)``; ``extent`` is the image's when drawn, else the
    window grid's (what the axes are decorated with); ``grid`` is the signal drawn.
    """
    from hyperspy.signal import BaseSignal

    probabilities = signal_type(result) == PROBABILITIES and hasattr(result, "predicted_class")
    if classes:
        if not probabilities:
            raise TypeError(
                "`probabilities` must be the SymmetryProbabilities that classify_symmetry "
                f"returned, not {type(result).__name__}."
            )
        grid = result.predicted_class()  # lazy stays lazy: only the frame drawn is computed
        if index is None:  # the current position of the other navigation axes
            index = tuple(
                int(ax.index)
                for ax in result.axes_manager.navigation_axes
                if ax.name != CLASS_AXIS
            )
    elif (
        not isinstance(result, BaseSignal)
        or probabilities
        or result.axes_manager.signal_dimension != 2
    ):
        raise TypeError(
            "`uncertainty` must be a map on the window grid, such as the SymmetryUncertainty "
            f"that mc_uncertainty returned, not {type(result).__name__}."
        )
    else:
        grid = result
    if grid.axes_manager.signal_dimension != 2:
        raise ValueError(
            "The map to draw needs the window grid as its two signal axes; this signal has "
            f"signal axes {[ax.name for ax in grid.axes_manager.signal_axes]}. Transpose it "
            f"back, e.g. p.transpose(signal_axes=['x', 'y'])."
        )
    index = _frame_index(grid, index)
    frame = _frame(grid, index, 2, show_progressbar).astype(float)
    extent = grid_extent(grid)
    if image is not None:
        pixels, extent = _image_layer(grid, image, index)
        _check_covers(extent, grid)
    ax = _new_axes(ax)
    if image is not None:
        ax.imshow(pixels, cmap=image_cmap, extent=extent, interpolation="nearest")
    return ax, index, frame, extent, grid


def plot_class_map(
    probabilities,
    image=None,
    ax=None,
    alpha: float | None = None,
    index=None,
    legend: bool = True,
    image_cmap: str = "gray",
    title: str | None = None,
    show_progressbar: bool | None = None,
):
    """Draw the predicted-class map, with a named legend, optionally over the image.

    Parameters
    ----------
    probabilities : SymmetryProbabilities
        From ``classify_symmetry`` (eager or lazy; only the frame drawn is computed).
    image : Signal2D or numpy.ndarray, optional
        The classified image(s), drawn in grey underneath with their calibrated extent. An
        array is placed with the pixel calibration recorded in ``probabilities``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default: a new figure.
    alpha : float, optional
        Opacity of the class map; default 0.45 over an image, 1 without.
    index : int or tuple of int, optional
        Navigation index of the frame of a stack (class axis excluded, HyperSpy order);
        default: the current position of the signal's navigation axes.
    legend : bool, default True
        One patch per class present in the frame, named by ``class_names``.
    image_cmap : str, default "gray"
        Colormap of the image.
    title : str, optional
        Axes title; default from the signal title.
    show_progressbar : bool, optional
        Show a progress bar while a lazy frame is computed. Default: HyperSpy's preference.

    Returns
    -------
    matplotlib.axes.Axes
        The class map is the last image of ``ax.images``: its array holds the class
        indices (masked where windows are NaN), drawn with :func:`class_colors`.

    Examples
    --------
    >>> ax = plot_class_map(p, image=s)
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['FCC_Cu_100']
    """
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    ax, index, labels, extent, grid = _map_layers(
        probabilities, image, ax, index, True, image_cmap, show_progressbar
    )
    names = probabilities.class_names
    colors = class_colors(len(names))
    cmap = ListedColormap(colors, name="symmetry_classes").with_extremes(bad=(0, 0, 0, 0))
    ax.imshow(
        np.ma.masked_less(labels, 0),
        cmap=cmap,
        vmin=-0.5,
        vmax=len(names) - 0.5,
        extent=grid_extent(grid),
        interpolation="nearest",
        alpha=(0.45 if image is not None else 1.0) if alpha is None else alpha,
    )
    if legend:
        present = [int(i) for i in np.unique(labels) if i >= 0]
        handles = [Patch(facecolor=colors[i], edgecolor="none", label=names[i]) for i in present]
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            borderaxespad=0.0,
            fontsize="small",
            title=probabilities.metadata.get_item("Symmetry.model"),
        )
    _decorate(
        ax,
        grid,
        extent,
        title if title is not None else _frame_title(probabilities, index, "predicted class"),
    )
    return ax


def plot_uncertainty(
    uncertainty,
    image=None,
    ax=None,
    cmap: str = UNCERTAINTY_CMAP,
    alpha: float | None = None,
    vmin: float = 0.0,
    vmax: float | None = None,
    index=None,
    colorbar: bool = True,
    image_cmap: str = "gray",
    title: str | None = None,
    show_progressbar: bool | None = None,
):
    """Draw an uncertainty map (e.g. mutual information) with a labelled colorbar.

    Parameters
    ----------
    uncertainty : SymmetryUncertainty
        From ``mc_uncertainty`` (eager or lazy; only the frame drawn is computed).
    image : Signal2D or numpy.ndarray, optional
        The image(s) to draw underneath, as in :func:`plot_class_map`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default: a new figure.
    cmap : str, default "inferno"
        A perceptually uniform colormap.
    alpha : float, optional
        Opacity of the map; default 0.6 over an image, 1 without.
    vmin, vmax : float, optional
        Colour range; ``vmax`` defaults to the frame's maximum.
    index : int or tuple of int, optional
        Navigation index of the frame of a stack; default: the current position.
    colorbar : bool, default True
        Add a colorbar labelled with ``metadata.Signal.quantity``.
    image_cmap : str, default "gray"
        Colormap of the image.
    title : str, optional
        Axes title; default from the signal title.
    show_progressbar : bool, optional
        Show a progress bar while a lazy frame is computed. Default: HyperSpy's preference.

    Returns
    -------
    matplotlib.axes.Axes
        The map is the last image of ``ax.images`` (NaN windows masked, transparent).

    Examples
    --------
    >>> ax = plot_uncertainty(u, image=s)
    >>> ax.images[-1].colorbar.ax.get_ylabel()
    'Mutual information (bits)'
    """
    from matplotlib import colormaps

    ax, index, data, extent, _ = _map_layers(
        uncertainty, image, ax, index, False, image_cmap, show_progressbar
    )
    if vmax is None:
        finite = data[np.isfinite(data)]
        vmax = float(finite.max()) if finite.size and finite.max() > vmin else vmin + 1e-3
    im = ax.imshow(
        np.ma.masked_invalid(data),
        cmap=colormaps[cmap].with_extremes(bad=(0, 0, 0, 0)),
        vmin=vmin,
        vmax=vmax,
        extent=grid_extent(uncertainty),
        interpolation="nearest",
        alpha=(0.6 if image is not None else 1.0) if alpha is None else alpha,
    )
    if colorbar:
        quantity = uncertainty.metadata.get_item("Signal.quantity") or ""
        ax.figure.colorbar(im, ax=ax, label=quantity)
    _decorate(
        ax, uncertainty, extent, title if title is not None else _frame_title(uncertainty, index)
    )
    return ax


# -- defaults of the interactive HyperSpy plots -------------------------------------------


def save_figure(draw: Callable[..., Any], path: str | Path, **kwargs) -> None:
    """Draw on the Axes of a new figure and write it to a file, without pyplot.

    The figure is a bare :class:`matplotlib.figure.Figure` (8.5 x 6 inches, constrained
    layout), so no window opens and nothing is left in pyplot's figure list; it is saved
    at 100 dots per inch (850 x 600 px). The report and the demo write their PNG figures
    with it.

    Parameters
    ----------
    draw
        Called as ``draw(ax=ax, **kwargs)``, e.g. :func:`plot_class_map`.
    path
        The file; its suffix picks the format (``.png``, ``.pdf``, ...).
    **kwargs
        Passed to ``draw``.

    Examples
    --------
    >>> save_figure(plot_class_map, "classes.png", probabilities=p, image=s)
    >>> import matplotlib.image
    >>> matplotlib.image.imread("classes.png").shape
    (600, 850, 4)
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.5, 6), layout="constrained")
    draw(ax=fig.add_subplot(), **kwargs)
    fig.savefig(path, dpi=100)


def interactive_plot_defaults(signal, navigator, kwargs: dict[str, Any]):
    """Defaults of ``p.plot()`` / ``u.plot()``; returns ``(navigator, kwargs, finish)``.

    The given keyword arguments win over the defaults. ``finish()`` is called after
    HyperSpy has drawn the plot: for probabilities it names the classes on the navigator's
    class axis and keeps the signal figure's title naming the class shown.
    """
    probabilities = signal_type(signal) == PROBABILITIES
    kwargs = dict(kwargs)
    kwargs.setdefault("cmap", PROBABILITY_CMAP if probabilities else UNCERTAINTY_CMAP)
    kwargs.setdefault("vmin", 0.0)
    if probabilities:
        kwargs.setdefault("vmax", 1.0)
    kwargs.setdefault("colorbar", True)
    # a lazy signal's plot has already replaced "auto" by its stored (computed) navigator
    own_navigator = (isinstance(navigator, str) and navigator == "auto") or (
        navigator is not None and navigator is signal.navigator
    )
    own_title = "title" not in kwargs

    def finish() -> None:
        # HyperSpy has no public accessor for the figures that signal.plot() drew: _plot
        if probabilities and signal._plot is not None:
            _name_classes(signal, own_navigator, own_title)

    return navigator, kwargs, finish


def _name_classes(signal, navigator: bool, title: bool) -> None:
    """Class names on the navigator's class axis and in the signal figure's title."""
    try:
        names = signal.class_names
    except AttributeError:
        return
    plot = signal._plot
    am = plot.axes_manager
    class_axis = next((ax for ax in am.navigation_axes if ax.name == CLASS_AXIS), None)
    if class_axis is None:
        return  # one class selected (p.inav[3]), classes summed, or class a signal axis
    position = am.navigation_axes.index(class_axis)
    nav = plot.navigator_plot
    if navigator and nav is not None and getattr(nav, "ax", None) is not None and position < 2:
        set_ticks, set_labels, set_label = (
            (nav.ax.set_xticks, nav.ax.set_xticklabels, nav.ax.set_xlabel)
            if position == 0
            else (nav.ax.set_yticks, nav.ax.set_yticklabels, nav.ax.set_ylabel)
        )
        set_ticks(range(len(names)))
        set_labels(names, rotation=60 if position == 0 else 0, ha="right", fontsize="small")
        set_label("class")
    imf = plot.signal_plot
    if not title or imf is None or imf.ax is None:
        return
    base = signal.metadata.get_item("General.title") or ""

    def show_class() -> None:
        if imf.ax is None:
            return
        name = names[int(class_axis.index)] if int(class_axis.index) < len(names) else ""
        imf.ax.set_title(f"{base}: {name}" if base else name)
        imf.ax.figure.canvas.draw_idle()

    show_class()
    am.events.indices_changed.connect(show_class, [])
    imf.events.closed.connect(lambda: am.events.indices_changed.disconnect(show_class), [])
