"""Finding, checking, loading and saving models.

A model is a folder with a ``card.json`` (:class:`~hyperspy_symmetry.models.cards.ModelCard`)
and the ``.weights.h5`` file it names. Models shipped with the package live in
``hyperspy_symmetry/models/shipped/<name>/``; any other folder can be used by path.

Loading builds the network from this package's code (the card names the architecture),
checks the weights' sha256 against the card, and reads the weights into it: no code is ever
executed from a model file.

Importing this module does not import TensorFlow;
:func:`~hyperspy_symmetry.models.load_model` does.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..checks import check_instance, check_output_folder
from .cards import CARD_FILENAME, SHIPPED_DIR, ModelCard, sha256_file

__all__ = [
    "SHIPPED_DIR",
    "PLANNED_MODELS",
    "ModelNotAvailableError",
    "ModelRef",
    "SymmetryModel",
    "list_models",
    "resolve_model",
    "load_model",
    "save_model",
    "cached_model",
    "user_models_dir",
]

#: The models of the design; each ships in ``SHIPPED_DIR/<name>`` (a missing folder means a
#: broken installation, reported clearly).
PLANNED_MODELS = {
    "aistem": "10 fcc/bcc/hcp structure and orientation classes (AI-STEM), FFT-HAADF descriptor",
    "bravais": "5 two-dimensional Bravais lattices plus noise, FFT-amplitude descriptor",
}


class ModelNotAvailableError(ValueError):
    """A model that is known by name but whose weights are not shipped."""


@dataclass(frozen=True)
class ModelRef:
    """A small, picklable reference to a model: what travels in a dask task graph.

    Attributes
    ----------
    folder
        Absolute path of the model folder (holding ``card.json``).
    sha256
        Expected sha256 of the weights, checked when a worker loads them.
    """

    folder: str
    sha256: str


def user_models_dir() -> Path:
    """Folder of the user's own models, usable by name like the shipped ones.

    ``$HYPERSPY_SYMMETRY_MODELS`` if set, else ``~/.local/share/hyperspy_symmetry/models``.
    :func:`hyperspy_symmetry.training.extend_model` writes there by default.
    """
    default = Path("~/.local/share/hyperspy_symmetry/models")
    return Path(os.environ.get("HYPERSPY_SYMMETRY_MODELS", default)).expanduser()


def _model_folders(root: Path) -> dict[str, Path]:
    if not root.is_dir():
        return {}
    return {p.name: p for p in sorted(root.iterdir()) if (p / CARD_FILENAME).is_file()}


def _shipped_folders() -> dict[str, Path]:
    """Shipped models, then the user's (a shipped name cannot be shadowed)."""
    shipped = _model_folders(SHIPPED_DIR)
    user = {k: v for k, v in _model_folders(user_models_dir()).items() if k not in shipped}
    return {**shipped, **user}


def list_models() -> list[str]:
    """Names of the trained models: those shipped with this package, then the user's own
    (see :func:`~.registry.user_models_dir`).

    Returns
    -------
    list of str
        Names accepted by ``classify_symmetry(model=...)`` and :func:`load_model`. Any
        model folder can also be passed by path.

    Examples
    --------
    >>> import hyperspy_symmetry as hss
    >>> isinstance(hss.list_models(), list)
    True
    """
    return list(_shipped_folders())


def _folder_of(model: str | Path) -> Path:
    """Resolve a model name or path to its folder, with a clear error if there is none."""
    shipped = _shipped_folders()
    if isinstance(model, str) and model in shipped:
        return shipped[model]
    if isinstance(model, str) and model in PLANNED_MODELS:
        raise ModelNotAvailableError(
            f"The {model!r} model ({PLANNED_MODELS[model]}) has no trained weights in this "
            f"installation: {SHIPPED_DIR / model} is missing; reinstall hyperspy-symmetry, "
            f"rebuild it with `hyperspy-symmetry train {model} --out DIR`, or pass `model=` "
            f"the path of a model folder (card.json + .weights.h5). "
            f"Available models: {sorted(shipped) or 'none'}."
        )
    if not isinstance(model, (str, Path)):
        raise TypeError(
            f"`model` must be a model name or the path of a model folder, not "
            f"{type(model).__name__}."
        )
    path = Path(model).expanduser()
    if path.is_file() and path.name == CARD_FILENAME:
        path = path.parent
    if path.is_dir() and (path / CARD_FILENAME).is_file():
        return path.resolve()
    raise ValueError(
        f"Unknown model {str(model)!r}: it is neither a shipped model "
        f"({sorted(shipped) or 'none shipped'}) nor a folder holding a {CARD_FILENAME}. "
        f"See hyperspy_symmetry.list_models()."
    )


def resolve_model(model: str | Path) -> tuple[ModelCard, ModelRef]:
    """Read the card of a model given by name or path and check its weights' sha256,
    without loading them.

    Returns
    -------
    card : ModelCard
    ref : ModelRef
        What to pass to dask tasks (see :func:`cached_model`).
    """
    folder = _folder_of(model)
    card = ModelCard.load(folder / CARD_FILENAME)
    checked_weights(folder, card)  # fail now, not later inside a dask task
    return card, ModelRef(str(folder), card.sha256)


class SymmetryModel:
    """A loaded, checked model: its card, the Keras network and its MC-dropout engine.

    Use :func:`load_model` to make one.

    Attributes
    ----------
    card : ModelCard
    network : keras.Sequential
    engine : ~hyperspy_symmetry.models.mc_dropout.MCDropoutEngine
    """

    def __init__(self, card: ModelCard, network: Any, folder: Path | None = None):
        from .mc_dropout import MCDropoutEngine

        self.card = card
        self.network = network
        self.folder = folder
        self.engine = MCDropoutEngine(network)
        self._engines = {(self.engine.precision, None, ()): self.engine}
        self._engines_lock = threading.Lock()
        if self.engine.n_classes != card.n_classes:
            raise ValueError(
                f"Model {card.name!r}: the network has {self.engine.n_classes} outputs but the "
                f"card lists {card.n_classes} classes."
            )

    @property
    def name(self) -> str:
        return self.card.name

    @property
    def class_names(self) -> list[str]:
        return list(self.card.classes)

    def engine_for(self, precision: str = "float32", dropout: str = "all"):
        """The MC-dropout engine computing in ``precision`` (built once, then reused).

        ``dropout``: ``"model"`` samples the dropout layers the card names
        (:attr:`~.cards.ModelCard.sampled_dropout`, those of
        :attr:`~.cards.ModelCard.gaussian_dropout` from their Gaussian), ``"all"`` every
        dropout layer with masks.
        """
        from .mc_dropout import MCDropoutEngine, check_dropout, resolve_precision

        precision = resolve_precision(precision)
        sampling = self.card.sampling if check_dropout(dropout) == "model" else {}
        sampled, gaussian = sampling.get("sampled_layers"), sampling.get("gaussian_layers")
        key = (precision, None if sampled is None else tuple(sampled), tuple(gaussian or ()))
        with self._engines_lock:
            if key not in self._engines:
                self._engines[key] = MCDropoutEngine(self.network, precision=precision, **sampling)
            return self._engines[key]

    def statistics(
        self,
        descriptors,
        n_samples: int,
        seed: int,
        precision: str = "float32",
        adaptive: bool = False,
        tolerance: float = 0.01,
        dropout: str = "all",
    ):
        """Mean class probabilities and uncertainty measures; see
        :meth:`~.mc_dropout.MCDropoutEngine.statistics`. The defaults are the exact mode."""
        return self.engine_for(precision, dropout).statistics(
            descriptors, n_samples, seed, adaptive=adaptive, tolerance=tolerance
        )

    def __repr__(self) -> str:
        return (
            f"<SymmetryModel {self.card.name!r} v{self.card.version}, "
            f"{self.card.n_classes} classes, descriptor {self.card.descriptor!r}>"
        )


def _load_keras_file(card: ModelCard, path: Path):
    """A whole ``.keras`` model file, read in Keras safe mode (no code from the file runs)."""
    from .tf_runtime import import_tensorflow

    import_tensorflow()
    import keras

    try:
        network = keras.saving.load_model(str(path), compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises ValueError/TypeError for unsafe or bad files
        raise ValueError(
            f"Model {card.name!r}: {path.name} could not be loaded in Keras safe mode, which "
            f"refuses files that carry code (e.g. Lambda layers): {exc}"
        ) from exc
    n_out = network.output_shape[-1]
    if n_out != card.n_classes:
        raise ValueError(
            f"Model {card.name!r}: {path.name} has {n_out} outputs but the card names "
            f"{card.n_classes} classes."
        )
    return network


_DIGESTS: dict[tuple[str, int, int], str] = {}


def checked_weights(folder: Path, card: ModelCard, expected_sha256: str | None = None) -> Path:
    """The weights file of a model folder, once its sha256 matches the card (and
    ``expected_sha256``); a clear error for a missing, misnamed or changed file.

    Digests are remembered per path, size and modification time, so checking again is free.
    """
    weights = folder / card.weights
    if not weights.name.endswith((".weights.h5", ".keras")):
        raise ValueError(
            f"Model {card.name!r}: weights must be a Keras '.weights.h5' file (or a "
            f"'.keras' model file), got {card.weights!r}."
        )
    if not weights.is_file():
        raise FileNotFoundError(f"Model {card.name!r}: weights file {weights} is missing.")
    stat = weights.stat()
    key = (str(weights), stat.st_size, stat.st_mtime_ns)
    if key not in _DIGESTS:
        _DIGESTS[key] = sha256_file(weights)
    digest = _DIGESTS[key]
    for expected in {card.sha256, expected_sha256} - {None}:
        if digest != expected:
            raise ValueError(
                f"Model {card.name!r}: the sha256 of {weights.name} is {digest}, but "
                f"{expected} was expected. The file is corrupted or was changed; reinstall "
                f"the package or restore the model folder."
            )
    return weights


def _load_folder(folder: Path, expected_sha256: str | None = None) -> SymmetryModel:
    from .architectures import build_architecture

    card = ModelCard.load(folder / CARD_FILENAME)
    weights = checked_weights(folder, card, expected_sha256)
    if weights.name.endswith(".keras"):
        return SymmetryModel(card, _load_keras_file(card, weights), folder)
    network = build_architecture(card.architecture)
    try:
        network.load_weights(str(weights))
    except Exception as exc:
        raise ValueError(
            f"Model {card.name!r}: the weights in {weights.name} do not fit the architecture "
            f"{card.architecture}: {exc}"
        ) from exc
    return SymmetryModel(card, network, folder)


def load_model(model: str | Path) -> SymmetryModel:
    """Load a model by name (see :func:`list_models`) or from a model folder.

    The network is built from this package's code as the card names it; the weights'
    sha256 is checked against the card before they are read.

    Parameters
    ----------
    model
        A shipped model's name, or the path of a folder with ``card.json`` and weights.

    Returns
    -------
    SymmetryModel

    Raises
    ------
    ValueError
        Unknown model, weights that fail the sha256 check or do not fit the architecture.

    Examples
    --------
    >>> import hyperspy_symmetry as hss
    >>> hss.load_model("bravais").class_names
    ['square', 'rectangular', 'centered_rectangular', 'hexagonal', 'oblique', 'noise']
    >>> m = hss.load_model(tiny_model)  # the path of a model folder
    >>> m.card.name, len(m.class_names)
    ('tiny_aistem', 10)
    """
    return _load_folder(_folder_of(model))


def save_model(network: Any, card: ModelCard, folder: str | Path) -> ModelCard:
    """Write a network's weights and its card (with the weights' sha256) to ``folder``.

    Only the weights are written: the optimizer state of a compiled (trained) network is
    left out (Adam's moments are twice the size of the weights and unused at inference).

    Parameters
    ----------
    network
        A Keras network built by :func:`~hyperspy_symmetry.models.architectures.build_architecture`
        from ``card.architecture``.
    card
        Its card; ``weights`` and ``sha256`` are filled in here.
    folder
        Destination folder (created if needed).

    Returns
    -------
    ModelCard
        The card as written.
    """
    check_instance(card, "card", ModelCard, "a ModelCard")
    if not hasattr(network, "save_weights"):
        raise TypeError(f"`network` must be a Keras model, not {type(network).__name__}.")
    folder = check_output_folder(folder)
    folder.mkdir(parents=True, exist_ok=True)
    card.weights = f"{card.name}.weights.h5"
    path = folder / card.weights
    _without_optimizer(network).save_weights(str(path))
    card.sha256 = sha256_file(path)
    card.save(folder / CARD_FILENAME)
    return card


def _without_optimizer(network: Any) -> Any:
    """``network`` itself when it has no optimizer, else an uncompiled copy with its
    weights: Keras' ``save_weights`` writes a compiled model's optimizer variables too."""
    if getattr(network, "optimizer", None) is None:
        return network
    bare = type(network).from_config(network.get_config())  # keras.clone_model would compile
    bare.set_weights(network.get_weights())
    return bare


_CACHE: dict[ModelRef, SymmetryModel] = {}
_CACHE_LOCK = threading.Lock()


def cached_model(ref: ModelRef) -> SymmetryModel:
    """The model of ``ref``, loaded once per process (thread-safe).

    Dask tasks carry only the small :class:`ModelRef`; each worker process loads and checks
    the weights the first time it needs them and reuses them afterwards.
    """
    with _CACHE_LOCK:
        model = _CACHE.get(ref)
        if model is None:
            from .mc_dropout import configure_threads

            configure_threads()
            model = _load_folder(Path(ref.folder), expected_sha256=ref.sha256)
            _CACHE[ref] = model
        return model
