"""Monte-Carlo dropout inference: all windows x all T samples in large batches.

How sampling works
------------------
Sample ``t`` of a Bayesian network is one *network*: every dropout layer drops a fixed set
of units. The engine draws, for each sample ``t`` and each dropout layer, one keep-mask
over that layer's whole feature map from ``numpy.random.default_rng([seed, layer, t])``,
and applies the same T networks to every window. So:

- a window's result depends only on its descriptor, the weights, ``seed``, ``T`` and the
  mode (``adaptive``, ``tolerance``, ``precision``): not on its position in a batch, on how
  the data are chunked, or on which process or machine runs it (tested bit for bit on the
  threaded, process and distributed schedulers);
- the *trunk*, the layers before the first dropout, is deterministic: it runs once per
  window, and only the *head* after it runs T times. Where the first dropout sits decides
  the cost of a sample (see :func:`~hyperspy_symmetry.models.architectures.aistem_cnn`);
- trunk calls are padded to a fixed number of windows, head calls to a number of windows
  whose rows (samples x windows) are a multiple of :data:`HEAD_ROW_MULTIPLE` (up to a fixed
  number), and each ``tf.function`` is traced once for any batch size; floating-point
  results do not depend on the number of windows in a call.

The masks are scaled by ``1 / (1 - rate)`` (inverted dropout, as Keras trains with).

Gaussian dropout sampling
-------------------------
A dropout layer followed only by linear layers (average pooling, flattening) and then a
``Dense`` layer can be sampled without masks (``gaussian_layers``). The dense layer's
pre-activation is then a sum of many independent terms, one per dropped unit, and its
distribution over the masks is close to a Gaussian with mean ``W.T @ pool(x) + b`` and
variance ``(W**2).T @ pool2(x**2) * rate / (1 - rate)``, where ``pool2`` sums the squared
pooling weights ("fast dropout", Wang & Manning, ICML 2013). Sample ``t`` draws one
standard normal vector ``g_t`` per layer from ``numpy.random.default_rng([seed, layer, t])``
and every window's pre-activation is ``mean + sd * g_t``. The two moments cost one more
pass of the dense layer per window, where masks cost one per sample: for ``bravais`` the
third convolution's dropout so costs about what the dense layer's does (measured in
docs/benchmarks.md). Units are drawn independently, as in fast dropout; the covariance the
shared inputs give them is left out (keeping it was measured no closer to exact sampling).

Adaptive sampling
-----------------
With ``adaptive=True`` the samples are drawn in groups of :data:`ADAPTIVE_STEP`; after each
group, windows whose estimate has converged stop (see
:func:`~hyperspy_symmetry.uncertainty.converged`): the standard errors of their mean class
probabilities and of their mutual information are below ``tolerance`` and the predicted
class is settled. The others go on, up to T. A window that runs to T gets exactly the
result of the exact mode, since sample ``t`` is the same network in both.

Precision and threads
---------------------
``precision="bfloat16"`` runs the network in bfloat16 (the output layer in float32); it pays
on CPUs with AVX512-BF16/AMX and on GPUs. ``"auto"`` picks it where it is supported and
float32 elsewhere. TensorFlow calls are serialised per process by one lock: TensorFlow
already spreads one call over all cores, so dask threads overlap descriptor work with
inference instead of oversubscribing the cores.
"""

from __future__ import annotations

import functools
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from ..uncertainty import converged, mc_statistics
from .tf_runtime import gpu_available, import_tensorflow

__all__ = [
    "MCDropoutEngine",
    "PRECISIONS",
    "check_precision",
    "resolve_precision",
    "bfloat16_supported",
    "configure_threads",
    "DROPOUT_CHOICES",
    "check_dropout",
]

#: Samples per group in adaptive mode: windows are checked for convergence after each.
ADAPTIVE_STEP = 10
#: Default tolerance of the adaptive mode (standard error of probabilities and of MI, bits).
DEFAULT_TOLERANCE = 0.01
#: Bytes of activations one TensorFlow call may hold, on CPU and on a GPU.
CPU_BATCH_BYTES = 128 * 2**20
GPU_BATCH_BYTES = 1024 * 2**20
#: Windows per block: the trunk features and the samples of a block are held at once.
WINDOWS_PER_BLOCK = 2048
#: Precisions accepted by the engine (and ``classify_symmetry(precision=...)``).
PRECISIONS = ("auto", "float32", "bfloat16")
#: Which dropout layers are sampled (``classify_symmetry(dropout=...)``): those the model
#: card names, or every one.
DROPOUT_CHOICES = ("model", "all")

#: One TensorFlow call at a time per process (each call uses all cores).
_TF_LOCK = threading.Lock()


def configure_threads() -> int | None:
    """On a dask.distributed worker, give TensorFlow as many threads as the worker has.

    A worker's ``nthreads`` is its share of the machine's cores, so several worker
    processes on one machine do not each start a thread per core. Elsewhere TensorFlow
    keeps its default (all cores) and :data:`_TF_LOCK` lets one call run at a time. Must
    run before TensorFlow's first operation in the process; later it changes nothing.

    Returns
    -------
    int or None
        The threads set, or None where nothing was changed.
    """
    try:
        from distributed import get_worker

        nthreads = int(get_worker().state.nthreads)
    except (ImportError, ValueError, AttributeError):
        return None
    tf = import_tensorflow()

    try:
        tf.config.threading.set_intra_op_parallelism_threads(nthreads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow already running in this process
        return None
    return nthreads


@functools.lru_cache(maxsize=1)
def bfloat16_supported() -> bool:
    """Whether this machine runs bfloat16 natively: a GPU, or a CPU with AVX512-BF16/AMX."""
    if gpu_available():
        return True
    try:
        with open("/proc/cpuinfo") as f:
            flags = set(f.read().split())
    except OSError:
        return False
    return bool({"avx512_bf16", "amx_bf16"} & flags)


def check_precision(precision: str) -> str:
    """``precision`` if it is one of :data:`PRECISIONS`, else a ValueError (no TensorFlow).

    Examples
    --------
    >>> check_precision("auto")
    'auto'
    """
    if precision not in PRECISIONS:
        raise ValueError(f"`precision` must be one of {list(PRECISIONS)}, got {precision!r}.")
    return precision


def check_dropout(dropout: str) -> str:
    """``dropout`` if it is one of :data:`DROPOUT_CHOICES`, else a ValueError (no TensorFlow).

    Examples
    --------
    >>> check_dropout("all")
    'all'
    """
    if dropout not in DROPOUT_CHOICES:
        raise ValueError(f"`dropout` must be one of {list(DROPOUT_CHOICES)}, got {dropout!r}.")
    return dropout


def resolve_precision(precision: str) -> str:
    """``"float32"`` or ``"bfloat16"`` for a user's ``precision`` (``"auto"`` decides here).

    ``"auto"`` asks TensorFlow whether there is a GPU, so graphs keep ``"auto"`` and each
    process resolves it when it loads the model.

    Examples
    --------
    >>> resolve_precision("float32")
    'float32'
    """
    if check_precision(precision) == "auto":
        return "bfloat16" if bfloat16_supported() else "float32"
    return precision


def _bfloat16_copy(model):
    """The same network computing in bfloat16, except its output layer (float32)."""
    import_tensorflow()
    import keras

    config = model.get_config()
    layers = config["layers"]
    for i, layer in enumerate(layers):
        if layer["class_name"] != "InputLayer":
            layer["config"]["dtype"] = "float32" if i == len(layers) - 1 else "bfloat16"
    copy = keras.Sequential.from_config(config)
    copy.set_weights(model.get_weights())
    return copy


def _numel(shape) -> int:
    return int(np.prod([int(d) for d in shape[1:]]))


class MCDropoutEngine:
    """Run a Keras network with Monte-Carlo dropout and reduce the samples to statistics.

    Parameters
    ----------
    model
        A ``keras.Sequential`` whose dropout layers are ``keras.layers.Dropout`` and whose
        last layer outputs class probabilities (softmax).
    passes_per_batch
        Stochastic passes (windows x samples) per TensorFlow call of the head; default: as
        many as fit in :data:`CPU_BATCH_BYTES` of activations (:data:`GPU_BATCH_BYTES` when
        TensorFlow sees a GPU).
    precision
        ``"float32"``, ``"bfloat16"`` or ``"auto"`` (see :func:`resolve_precision`).
    sampled_layers
        Names of the dropout layers to sample; the others pass their input on unchanged, as
        in inference. Default: every dropout layer. Layers before the first sampled one
        form the deterministic trunk, so sampling only late layers makes samples cheap. A
        layer's masks depend on its place among all the network's dropout layers, so a layer
        gets the same masks whichever others are sampled.
    gaussian_layers
        Names of sampled dropout layers to draw from their Gaussian at the next ``Dense``
        layer's pre-activation instead of with masks (see "Gaussian dropout sampling" in
        this module's notes). Only the first sampled layer can be one, and only average
        pooling and flattening may sit between it and that ``Dense`` layer.

    Examples
    --------
    >>> from hyperspy_symmetry.models.architectures import aistem_cnn
    >>> net = aistem_cnn(filters=(4, 4, 4, 4, 2, 2), dense=8)
    >>> engine = MCDropoutEngine(net)
    >>> x = np.random.default_rng(0).random((3, 64, 64), dtype=np.float32)
    >>> engine.statistics(x, n_samples=10, seed=1).shape
    (3, 13)
    >>> MCDropoutEngine(net, sampled_layers=["dropout_dense"]).dropout_layers
    ['dropout_dense']
    >>> from hyperspy_symmetry.models.architectures import bravais_cnn
    >>> fast = MCDropoutEngine(bravais_cnn(filters=(4, 4, 2), dense=8),
    ...                        sampled_layers=["dropout_conv3", "dropout_dense"],
    ...                        gaussian_layers=["dropout_conv3"])
    >>> fast.trunk_shape  # the dense layer's pre-activation: mean and standard deviation
    (2, 8)
    """

    def __init__(
        self,
        model,
        passes_per_batch: int | None = None,
        precision: str = "float32",
        sampled_layers: Sequence[str] | None = None,
        gaussian_layers: Sequence[str] | None = None,
    ):
        import_tensorflow()
        import keras

        self.model = model
        self.precision = resolve_precision(precision)
        network = _bfloat16_copy(model) if self.precision == "bfloat16" else model
        self._layers = list(network.layers)
        every = [
            i for i, layer in enumerate(self._layers) if isinstance(layer, keras.layers.Dropout)
        ]
        if not every:
            raise ValueError(
                f"Model {model.name!r} has no Dropout layer, so it cannot be sampled with "
                "Monte-Carlo dropout."
            )
        if sampled_layers is None:
            self._dropout_index = every
        else:
            names = [self._layers[i].name for i in every]
            unknown = sorted(set(sampled_layers) - set(names))
            if unknown or not len(sampled_layers):
                raise ValueError(
                    f"`sampled_layers` must name some of the dropout layers {names}, "
                    f"got {list(sampled_layers)!r}."
                )
            self._dropout_index = [i for i in every if self._layers[i].name in sampled_layers]
        # the seed key of each sampled layer: its place among all dropout layers
        self._mask_keys = [every.index(i) for i in self._dropout_index]
        self._first = self._dropout_index[0]
        self._rates = [float(self._layers[i].rate) for i in self._dropout_index]
        self._mask_shapes = [
            tuple(int(d) for d in self._layers[i].output.shape[1:]) for i in self._dropout_index
        ]
        self.input_shape = tuple(int(d) for d in model.input_shape[1:])
        self.trunk_shape = tuple(int(d) for d in self._layers[self._first].output.shape[1:])
        self.n_classes = int(model.output_shape[-1])
        # Gaussian sampling of the first sampled layer: the head starts after its Dense layer
        self._gaussian = self._gaussian_plan(list(gaussian_layers or []))
        head_start = self._first
        if self._gaussian is not None:
            head_start = self._gaussian["dense"]
            units = int(self._layers[head_start].units)
            self._mask_shapes[0] = (units,)
            self.trunk_shape = (2, units)

        budget = GPU_BATCH_BYTES if gpu_available() else CPU_BATCH_BYTES
        # Activations of one pass through the head (x2: a layer's input and output coexist).
        per_pass = 2 * 4 * sum(_numel(layer.output.shape) for layer in self._layers[head_start:])
        self.passes_per_batch = int(passes_per_batch or max(64, budget // per_pass))
        per_window = (
            2 * 4 * sum(_numel(layer.output.shape) for layer in self._layers[: self._first])
        )
        self.windows_per_trunk_call = int(max(8, min(1024, budget // max(per_window, 1))))
        self._masks: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._trunk, self._head = self._make_functions()

    @property
    def dropout_layers(self) -> list[str]:
        """Names of the dropout layers that are sampled."""
        return [self._layers[i].name for i in self._dropout_index]

    @property
    def gaussian_layers(self) -> list[str]:
        """Names of the sampled dropout layers drawn from their Gaussian, not with masks."""
        return [] if self._gaussian is None else [self._layers[self._first].name]

    def _gaussian_plan(self, names: list[str]) -> dict | None:
        """How to sample ``names`` (at most the first sampled layer) from its Gaussian: the
        index of the ``Dense`` layer it feeds, its kernel and bias, and the pool sizes of the
        average poolings on the way."""
        import keras

        if not names:
            return None
        sampled = self.dropout_layers
        if len(names) > 1 or names[0] != sampled[0]:
            raise ValueError(
                f"`gaussian_layers` can only name the first sampled dropout layer "
                f"({sampled[0]!r}), got {list(names)!r}."
            )
        pools = []
        for i in range(self._first + 1, len(self._layers)):
            layer = self._layers[i]
            if isinstance(layer, keras.layers.Dense):
                # the float32 weights of the model (the bfloat16 copy computes with them too)
                kernel, *bias = (
                    np.asarray(w, np.float32) for w in self.model.layers[i].get_weights()
                )
                bias = bias[0] if bias else np.zeros(kernel.shape[1], np.float32)
                return {"dense": i, "kernel": kernel, "bias": bias, "pools": pools}
            pooling = isinstance(layer, keras.layers.AveragePooling2D) and (
                tuple(layer.strides) == tuple(layer.pool_size)
                and layer.padding == "valid"
                and layer.data_format == "channels_last"
            )
            if pooling:
                pools.append(list(layer.pool_size))
            elif not isinstance(layer, keras.layers.Flatten):
                raise ValueError(
                    f"Dropout layer {names[0]!r} cannot be sampled from a Gaussian: layer "
                    f"{layer.name!r} ({type(layer).__name__}) sits between it and the next "
                    "Dense layer; only non-overlapping average pooling and flattening may."
                )
        raise ValueError(f"No Dense layer follows dropout layer {names[0]!r}.")

    # -- masks ------------------------------------------------------------------------

    def _keep_masks(self, seed: int, n_samples: int) -> list[np.ndarray]:
        """Boolean keep-masks ``(T, *feature_shape)`` of each dropout layer (cached); for a
        Gaussian layer, the standard normal draws ``(T, units)`` instead."""
        key = (int(seed), int(n_samples))
        with self._lock:
            if key in self._masks:
                self._masks.move_to_end(key)
                return self._masks[key]
        masks = []
        for k, (layer, rate, shape) in enumerate(
            zip(self._mask_keys, self._rates, self._mask_shapes, strict=True)
        ):
            gaussian = k == 0 and self._gaussian is not None
            keep = np.empty((n_samples,) + shape, dtype=np.float32 if gaussian else bool)
            for t in range(n_samples):
                rng = np.random.default_rng([int(seed), layer, t])
                keep[t] = rng.standard_normal(shape) if gaussian else rng.random(shape) >= rate
            masks.append(keep)
        with self._lock:
            self._masks[key] = masks
            while len(self._masks) > 2:
                self._masks.popitem(last=False)
        return masks

    # -- the forward pass ---------------------------------------------------------------

    def _make_functions(self):
        tf = import_tensorflow()

        layers = self._layers
        first = self._first
        dropout_index = set(self._dropout_index)
        scale = {
            i: 1.0 / (1.0 - r) for i, r in zip(self._dropout_index, self._rates, strict=False)
        }

        gaussian = self._gaussian
        if gaussian is not None:
            kernel, bias = tf.constant(gaussian["kernel"]), tf.constant(gaussian["bias"])
            squared = tf.square(kernel)
            spread = self._rates[0] / (1.0 - self._rates[0])
            dense = gaussian["dense"]

        def moments(h):
            # mean and standard deviation of the dense pre-activation over the masks, in
            # the network's precision as its dense layer computes (TensorFlow's own ops:
            # the layers' dtype policy would not apply to the squares)
            dtype = h.dtype
            mean, square = h, tf.square(h)
            for size in gaussian["pools"]:
                mean, square = (tf.nn.avg_pool2d(a, size, size, "VALID") for a in (mean, square))
                square = square / float(np.prod(size))  # squared weights sum to 1 / area
            mean, square = (tf.reshape(a, [tf.shape(a)[0], -1]) for a in (mean, square))
            mean = tf.matmul(mean, tf.cast(kernel, dtype)) + tf.cast(bias, dtype)
            sd = tf.sqrt(tf.matmul(square * spread, tf.cast(squared, dtype)))
            return tf.cast(tf.stack([mean, sd], axis=1), tf.float32)

        def trunk(x):
            h = x
            for layer in layers[:first]:
                h = layer(h, training=False)
            return tf.cast(h, tf.float32) if gaussian is None else moments(h)

        def head(h, *masks):
            # h: (b, *trunk) features; masks[k]: (tg, *feature) as float 0/1.
            tg = tf.shape(masks[0])[0]
            b = tf.shape(h)[0]
            k, start = 0, first
            if gaussian is not None:
                # h: (b, 2, units) moments; masks[0]: (tg, units) standard normal draws
                z = h[None, :, 0] + h[None, :, 1] * masks[0][:, None]
                h = layers[dense].activation(tf.reshape(z, [tg * b, -1]))
                k, start = 1, dense + 1
            for i in range(start, len(layers)):
                if i in dropout_index:
                    m = tf.cast(masks[k] * scale[i], h.dtype)
                    k += 1
                    feat = tf.shape(h)[1:]
                    if i == first:
                        h = h[None] * m[:, None]
                    else:
                        h = tf.reshape(h, tf.concat([[tg, b], feat], 0)) * m[:, None]
                    h = tf.reshape(h, tf.concat([[tg * b], feat], 0))
                else:
                    h = layers[i](h, training=False)
            return tf.reshape(tf.cast(h, tf.float32), [tg, b, -1])

        # Shape-generic traces: one per function, whatever the number of windows per call.
        mask_specs = [tf.TensorSpec((None, *shape), tf.float32) for shape in self._mask_shapes]
        return (
            tf.function(trunk, input_signature=[tf.TensorSpec((None, *self.input_shape))]),
            tf.function(
                head, input_signature=[tf.TensorSpec((None, *self.trunk_shape)), *mask_specs]
            ),
        )

    def trunk_features(self, x: np.ndarray) -> np.ndarray:
        """The deterministic layers' output of each window, ``(n, *trunk_shape)`` float32; with
        a Gaussian layer, the mean and standard deviation of the dense pre-activation it
        feeds, ``(n, 2, units)``."""
        tf = import_tensorflow()

        x = np.asarray(x, dtype=np.float32).reshape((-1,) + self.input_shape)
        b = self.windows_per_trunk_call
        out = np.empty((len(x),) + self.trunk_shape, dtype=np.float32)
        for start in range(0, len(x), b):
            batch = _pad(x[start : start + b], b)
            with _TF_LOCK:
                h = self._trunk(tf.constant(batch)).numpy()
            out[start : start + b] = h[: min(b, len(x) - start)]
        return out

    def _sample_groups(self, n_samples: int, adaptive: bool) -> list[tuple[int, int]]:
        """Sample groups ``[(t0, t1), ...]`` (fixed for T and the mode)."""
        group = ADAPTIVE_STEP if adaptive else self.passes_per_batch
        group = max(1, min(n_samples, group))
        return [(t0, min(t0 + group, n_samples)) for t0 in range(0, n_samples, group)]

    def _samples(
        self, features: np.ndarray, n_samples: int, seed: int, adaptive: bool, tolerance: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Softmax outputs ``(T, n, c)`` and samples drawn per window ``(n,)``."""
        tf = import_tensorflow()

        n = len(features)
        keep = self._keep_masks(seed, n_samples)
        groups = self._sample_groups(n_samples, adaptive)
        probs = np.zeros((n_samples, n, self.n_classes), dtype=np.float32)
        drawn = np.zeros(n, dtype=np.int64)
        active = np.arange(n)
        for t0, t1 in groups:
            masks = [tf.constant(m[t0:t1], dtype=tf.float32) for m in keep]
            windows = head_windows(self.passes_per_batch, t1 - t0)
            for start in range(0, len(active), windows):
                idx = active[start : start + windows]
                rows = head_call_rows(len(idx), windows, t1 - t0)
                batch = tf.constant(_pad(features[idx], rows))
                with _TF_LOCK:
                    out = self._head(batch, *masks).numpy()
                probs[t0:t1, idx] = out[:, : len(idx)]
            drawn[active] = t1
            if adaptive and t1 < n_samples:
                active = active[~converged(probs[:t1, active], tolerance)]
                if not len(active):
                    break
        return probs, drawn

    def statistics(
        self,
        x: np.ndarray,
        n_samples: int,
        seed: int,
        adaptive: bool = False,
        tolerance: float = DEFAULT_TOLERANCE,
        return_counts: bool = False,
    ):
        """Mean probabilities and uncertainty measures of each window.

        Parameters
        ----------
        x
            Descriptors, ``(n, 64, 64)`` or ``(n, 64, 64, 1)``.
        n_samples
            T, the number of stochastic passes per window (the most, when adaptive).
        seed
            Seed of the dropout masks.
        adaptive
            Stop sampling a window once its estimate has converged to ``tolerance``.
        tolerance
            Standard error allowed on each mean class probability and on the mutual
            information (bits), in adaptive mode.
        return_counts
            Also return the number of samples drawn for each window.

        Returns
        -------
        numpy.ndarray
            float32 ``(n, n_classes + 3)``, see
            :func:`hyperspy_symmetry.uncertainty.statistics_from_sums`; with
            ``return_counts``, also the int ``(n,)`` samples per window.
        """
        x = np.asarray(x, dtype=np.float32)
        x = x.reshape((len(x),) + self.input_shape)
        # Activations like ReLU turn NaN into numbers, so mark windows with NaN or inf here:
        # their statistics are NaN, and they run as zeros.
        bad = ~np.isfinite(x.reshape(len(x), -1)).all(axis=1)
        if bad.any():
            x = np.where(bad.reshape((-1,) + (1,) * (x.ndim - 1)), np.float32(0), x)
        n = len(x)
        stats = np.empty((n, self.n_classes + 3), dtype=np.float32)
        counts = np.zeros(n, dtype=np.int64)
        for start in range(0, n, WINDOWS_PER_BLOCK):
            stop = min(start + WINDOWS_PER_BLOCK, n)
            features = self.trunk_features(x[start:stop])
            probs, drawn = self._samples(features, n_samples, seed, adaptive, tolerance)
            stats[start:stop] = mc_statistics(probs, drawn)
            counts[start:stop] = drawn
        stats[bad] = np.nan
        return (stats, counts) if return_counts else stats


#: Rows of a head call (samples x windows) are a multiple of this. A head call multiplies
#: matrices of ``samples x windows`` rows, and CPU matrix kernels compute rows in blocks (of
#: 3 to 48 rows, depending on the CPU); rows left over at the end go through other kernels
#: whose sums round differently, so a window's result would depend on its position in the
#: batch (seen: the last two of 32 windows differed by 1 ulp at T = 7 on an AMD EPYC). With
#: a multiple of 96 rows no block is ever partial.
HEAD_ROW_MULTIPLE = 96


def head_window_multiple(group: int) -> int:
    """The fewest windows whose rows for ``group`` samples at a time are a multiple of
    :data:`HEAD_ROW_MULTIPLE`: a head call holds a multiple of this many windows.

    Examples
    --------
    >>> head_window_multiple(10), head_window_multiple(7), head_window_multiple(32)
    (48, 96, 3)
    """
    return HEAD_ROW_MULTIPLE // math.gcd(max(1, int(group)), HEAD_ROW_MULTIPLE)


def head_windows(passes_per_batch: int, group: int) -> int:
    """Windows per head call for ``group`` samples at a time: about ``passes_per_batch``
    passes, rounded down to a multiple of :func:`head_window_multiple` (at least one).

    Examples
    --------
    >>> head_windows(2000, 10), head_windows(229, 7)
    (192, 96)
    """
    multiple = head_window_multiple(group)
    windows = int(passes_per_batch) // max(1, int(group))
    return max(multiple, windows - windows % multiple)


def head_call_rows(n: int, windows: int, group: int) -> int:
    """Windows in a head call of ``n`` windows (at most ``windows``) for ``group`` samples
    at a time: ``n`` rounded up to a multiple of :func:`head_window_multiple`.

    Adaptive sampling leaves fewer windows in each group; padding them to a whole
    ``windows`` batch would cost a full call every group, whatever the number left.

    Examples
    --------
    >>> head_call_rows(225, 192, 10), head_call_rows(33, 192, 10), head_call_rows(33, 192, 7)
    (192, 48, 96)
    """
    multiple = head_window_multiple(group)
    rows = -(-int(n) // multiple) * multiple
    return max(multiple, min(int(windows), rows))


def _pad(batch: np.ndarray, size: int) -> np.ndarray:
    """``batch`` padded with zeros to ``size`` rows."""
    if len(batch) == size:
        return np.ascontiguousarray(batch)
    pad = np.zeros((size - len(batch),) + batch.shape[1:], dtype=batch.dtype)
    return np.concatenate([batch, pad])
