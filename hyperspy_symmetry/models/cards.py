"""Model cards: what a model classifies, how its input is made, and how it was trained.

A card is a JSON file beside the model's ``.weights.h5`` file. It names the architecture
(built from this package's code, never from the file), the classes, the descriptor, the
training pixel size and field of view, the default window and stride, the weights' sha256,
and whatever the training run measured. Reading a card never imports TensorFlow.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ModelCard", "sha256_file", "CARD_FILENAME", "cards_markdown"]

#: File name of a card inside a model folder.
CARD_FILENAME = "card.json"
#: Where the models that ship with the package live, one folder each.
SHIPPED_DIR = Path(__file__).parent / "shipped"

#: The AI-STEM paper's interface threshold (bits of mutual information).
PAPER_THRESHOLD = 0.1


def sha256_file(path: str | Path) -> str:
    """Hex sha256 digest of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class ModelCard:
    """Everything needed to use, check and reproduce one trained model.

    Attributes
    ----------
    name, version
        The model's name (used in ``classify_symmetry(model=name)``) and version.
    classes
        Class names, in the order of the network's outputs.
    descriptor
        Name of the descriptor function (see :mod:`hyperspy_symmetry.descriptors`).
    architecture
        ``{"name": ..., "kwargs": {...}}`` for
        :func:`hyperspy_symmetry.models.architectures.build_architecture`.
    weights
        File name of the ``.weights.h5`` file, relative to the card.
    sha256
        sha256 of the weights file; checked every time the weights are loaded.
    pixel_size
        Training pixel size as a length string (``"0.12 Å"``), or ``None`` for a
        scale-invariant model.
    field_of_view
        Training window as a length string (``"12 Å"``) or ``None``.
    default_window, default_stride
        Defaults for ``window_size`` and ``stride``: an int (pixels) or a length string.
    period_range
        Scale-free models only: ``[low, high]``, the lattice periods (px of the model's
        ``default_window`` input) it was trained on. With it, the default window and stride
        are scaled to each image's measured period (:mod:`hyperspy_symmetry.scale_free`).
    description, training, metrics
        Free text, the training recipe, and the figures measured on held-out data.
    interface_threshold
        Mutual information (bits) above which a window is an interface, defect or unknown
        structure: the default of ``u.segment()``. Chosen on validation data (amorphous and
        boundary windows above, crystal interiors below); ``None``: the AI-STEM paper's
        0.1 bits (:attr:`threshold`).
    sampled_dropout
        Names of the dropout layers that Monte-Carlo sampling draws from by default
        (``classify_symmetry(dropout="model")``); ``None``: all of them. The layers before
        the first one run once per window, so late layers make samples cheap;
        ``dropout="all"`` samples every dropout layer, as in training.
    gaussian_dropout
        Names of layers in ``sampled_dropout`` drawn by default from the Gaussian their
        masks give the next dense layer's pre-activation ("fast dropout"; see
        :mod:`~hyperspy_symmetry.models.mc_dropout`) instead of with masks: a sample of
        such a layer costs no pass through the layers between; ``dropout="all"`` still
        draws masks. ``None``: masks for every layer.
    adaptive_sampling
        Whether ``classify_symmetry(adaptive=None)`` (the default) stops sampling a window
        once its estimate has converged. ``False`` where that misleads: when a few of the T
        sample networks carry much of every window's mutual information, a window's first
        samples cannot show when its MI has settled (measured for ``bravais``), and where
        samples are cheap enough that stopping early saves little.

    Examples
    --------
    >>> card = ModelCard(name="demo", version="0.1", classes=["a", "b"],
    ...                  descriptor="fft_amplitude",
    ...                  architecture={"name": "bravais_cnn", "kwargs": {"n_classes": 2}},
    ...                  weights="demo.weights.h5", sha256="0" * 64,
    ...                  default_window=128, default_stride=16)
    >>> card.n_classes
    2
    """

    name: str
    version: str
    classes: list[str]
    descriptor: str
    architecture: dict[str, Any]
    weights: str
    sha256: str
    default_window: int | str
    default_stride: int | str
    pixel_size: str | None = None
    field_of_view: str | None = None
    period_range: list[float] | None = None
    description: str = ""
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    interface_threshold: float | None = None
    sampled_dropout: list[str] | None = None
    gaussian_dropout: list[str] | None = None
    adaptive_sampling: bool = True

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def sampling(self) -> dict[str, list[str] | None]:
        """The card's default way of sampling, as keyword arguments of
        :class:`~.mc_dropout.MCDropoutEngine`: ``sampled_layers`` (:attr:`sampled_dropout`)
        and ``gaussian_layers`` (:attr:`gaussian_dropout`)."""
        return {"sampled_layers": self.sampled_dropout, "gaussian_layers": self.gaussian_dropout}

    @property
    def threshold(self) -> float:
        """The interface threshold in bits: :attr:`interface_threshold`, or the paper's 0.1."""
        return (
            PAPER_THRESHOLD
            if self.interface_threshold is None
            else float(self.interface_threshold)
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def save(self, path: str | Path) -> None:
        """Write the card as UTF-8 JSON."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")

    def _scale_free_markdown(self) -> list[str]:
        """Lines for ``metrics.scale_free`` (periods trained, accepted, accuracy per period)
        and ``metrics.real_data`` (figures on real images), where the card has them."""
        lines: list[str] = []
        sf = self.metrics.get("scale_free")
        if sf:
            periods = sf["periods"]
            lines += [
                "",
                f"Periods: trained on {sf['trained']}; accepted {sf['accepted']}. Accuracy at "
                f"default window and stride (windows of the true class) per lattice period, "
                f"px of the image ({sf['what']}; T = {sf['mc_samples']}, measured by "
                f"`{sf['command']}`):",
                "",
                "| class | " + " | ".join(f"{p:g} px" for p in periods) + " |",
                "|---" * (len(periods) + 1) + "|",
            ]
            for name, row in sf["accuracy"].items():
                lines.append(f"| `{name}` | " + " | ".join(f"{100 * a:.0f} %" for a in row) + " |")
            if sf.get("note"):
                lines += [
                    "",
                    f"Sampling: {sf.get('sampling', 'the defaults')}. Note: {sf['note']}.",
                ]
        for r in self.metrics.get("real_data", []):
            fractions = ", ".join(
                f"{name} {100 * f:.1f} %" for name, f in r["class_fractions"].items() if f > 0
            )
            lines += [
                "",
                f"Real image: {r['image']}, {r['arguments']}: {fractions} of "
                f"{r['n_windows']} windows; median mutual information {r['median_mi_bits']} "
                f"bits (measured by `{r['command']}`).",
            ]
        return lines

    def to_markdown(self) -> str:
        """The card as a Markdown section for the documentation.

        Examples
        --------
        >>> card = ModelCard("demo", "1.0", ["a", "b"], "fft_haadf", {"name": "aistem_cnn"},
        ...                  "demo.weights.h5", "0" * 64, "12 Å", "1.2 Å")
        >>> card.to_markdown().splitlines()[0]
        '## `demo` (version 1.0)'
        """
        m, t = self.metrics, self.training
        lines = [f"## `{self.name}` (version {self.version})", "", self.description, ""]
        rows = [
            ("classes", ", ".join(f"`{c}`" for c in self.classes)),
            ("descriptor", f"`{self.descriptor}`"),
            ("training pixel size / field of view", f"{self.pixel_size} / {self.field_of_view}"),
            ("default window / stride", f"{self.default_window} / {self.default_stride}"),
            *(
                [
                    (
                        "trained period range",
                        f"{self.period_range[0]:g}-{self.period_range[1]:g} px "
                        "of the model window (default windows scale to each image's period)",
                    )
                ]
                if self.period_range
                else []
            ),
            (
                "architecture",
                f"`{self.architecture.get('name')}` {self.architecture.get('kwargs', {})}",
            ),
            ("weights", f"`{self.weights}`, sha256 `{self.sha256}`"),
            (
                "dropout layers sampled by default",
                "all"
                if self.sampled_dropout is None
                else ", ".join(f"`{n}`" for n in self.sampled_dropout)
                + (
                    " ("
                    + ", ".join(f"`{n}`" for n in self.gaussian_dropout)
                    + ' from its Gaussian at the dense layer, "fast dropout")'
                    if self.gaussian_dropout
                    else ""
                )
                + ' (`dropout="all"`: every dropout layer, with masks)',
            ),
            (
                "adaptive sampling by default",
                "yes (windows stop once converged)"
                if self.adaptive_sampling
                else "no: every window gets all T samples",
            ),
            (
                "interface threshold (default of `u.segment()`)",
                f"{self.threshold:g} bits"
                + ("" if self.interface_threshold is not None else " (the paper's)")
                + (
                    f" ({self.metrics['interface_threshold_reason']})"
                    if self.metrics.get("interface_threshold_reason")
                    else ""
                ),
            ),
        ]
        if t:
            seconds = t.get("seconds", {})
            rows += [
                ("rebuilt by", f"`{t.get('command', '')}`"),
                (
                    "training run",
                    f"{t.get('epochs_run')} epochs (best {t.get('best_epoch')}), "
                    f"{seconds.get('total', 0) / 60:.0f} min in all "
                    f"({seconds.get('simulation', 0):.0f} s simulation, "
                    f"{seconds.get('training', 0):.0f} s training) on "
                    f"{t.get('machine', '?')}" + _first_stage_note(t),
                ),
            ]
            stage = t.get("boundary_stage")
            if stage:
                settings = stage.get("settings", {})
                history = stage.get("history", {}).get("boundary_mi_bits", [])
                rows.append(
                    (
                        "boundary stage",
                        f"{settings.get('epochs')} epochs on {settings.get('windows')} "
                        f"boundary windows (seed {stage.get('seed')}), weight "
                        f"{settings.get('weight')}"
                        + (
                            f", agreement {settings['agreement']}"
                            if settings.get("agreement")
                            else ""
                        )
                        + "; their mean MI "
                        + " -> ".join(f"{v:.3f}" for v in history)
                        + f" bits, {stage.get('seconds', 0):.0f} s",
                    )
                )
        if m:
            rows += [
                (
                    "held-out accuracy / top-2",
                    f"{m.get('accuracy')} / {m.get('top2_accuracy')} "
                    f"({m.get('n_windows')} windows, seed {m.get('held_out_seed')}, "
                    f"T = {m.get('mc_samples')})",
                ),
                ("expected calibration error", f"{m.get('expected_calibration_error')}"),
                (
                    "median MI in / out of distribution",
                    f"{m.get('mi_in_distribution_median', 0):.4f} / "
                    f"{m.get('mi_out_of_distribution_median', 0):.4f} bits "
                    f"({m.get('out_of_distribution', '')})",
                ),
            ]
            if "holes" in m:
                h = m["holes"]
                rows.append(
                    (
                        "noise probability vs hole coverage",
                        f"slope {h['slope']}, intercept {h['intercept']}, correlation "
                        f"{h['correlation']}, mean absolute error {h['mae']} "
                        f"({h['n_windows']} lattice windows with holes, seed {h['seed']})",
                    )
                )
        lines += ["| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows]
        if "confusion_matrix" in m:
            lines += [
                "",
                "Confusion matrix (rows: true class, columns: predicted):",
                "",
                "| | " + " | ".join(str(i) for i in range(self.n_classes)) + " |",
                "|---" * (self.n_classes + 1) + "|",
            ]
            lines += [
                f"| {i} `{c}` | " + " | ".join(str(v) for v in row) + " |"
                for i, (c, row) in enumerate(
                    zip(self.classes, m["confusion_matrix"], strict=False)
                )
            ]
        lines += self._scale_free_markdown()
        robustness = m.get("robustness", {})
        if robustness:
            lines += [
                "",
                "Robustness to the imperfections of real imaging (held-out windows of every "
                "class, one imperfection at a time; accuracy, and the first swept strength "
                "where it falls below 95 %):",
                "",
                "| imperfection | realistic up to | accuracy over the sweep | below 95 % from |",
                "|---|---|---|---|",
            ]
            for name, r in robustness.items():
                if name == "combined" or not isinstance(r, dict) or "strengths" not in r:
                    continue
                sweep = ", ".join(
                    f"{s:g}: {100 * a:.1f} %"
                    for s, a in zip(r["strengths"], r["accuracy"], strict=False)
                )
                below = r.get("accuracy_below_95_at")
                lines.append(
                    f"| {r.get('what', name)} ({r.get('unit', '')}) | {r['realistic']:g} "
                    f"| {sweep} | {'-' if below is None else f'{below:g}'} |"
                )
            combined = robustness.get("combined")
            if combined:
                lines += [
                    "",
                    f"All imperfections at once, as in training: accuracy "
                    f"{100 * combined['accuracy']:.1f} %, confidently wrong "
                    f"{100 * combined['confidently_wrong']:.1f} % "
                    f"({combined['n_windows']} windows, seed {combined['seed']}).",
                ]
        for name, scene in m.get("scenes", {}).items():
            if isinstance(scene, dict):
                lines.append(
                    f"- {name}: "
                    + ", ".join(
                        f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                        for k, v in scene.items()
                    )
                )
        return "\n".join(lines) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelCard:
        known = set(cls.__dataclass_fields__)
        required = [
            "name",
            "version",
            "classes",
            "descriptor",
            "architecture",
            "weights",
            "sha256",
            "default_window",
            "default_stride",
        ]
        missing = [k for k in required if k not in data]
        if missing:
            raise ValueError(f"Model card is missing the fields {missing}.")
        return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def load(cls, path: str | Path) -> ModelCard:
        """Read a card from its JSON file."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"Model card {path} is not valid JSON: {exc}") from exc
        return cls.from_dict(data)


def _first_stage_note(training: dict[str, Any]) -> str:
    """Where a run started from another run's weights: that run and its time."""
    first = training.get("first_stage")
    if not first:
        return ""
    total = first.get("seconds", {}).get("total", 0)
    return (
        f"; the epochs are those of the first stage, `{first.get('command', '')}` "
        f"({total / 60:.0f} min, sha256 {first.get('sha256', '')[:12]}...), whose weights "
        "this run took on"
    )


def cards_markdown() -> str:
    """``docs/models.md``: the cards of every shipped model (``make model-cards``)."""
    parts = [
        "# Shipped models\n",
        "Generated from the model cards in `hyperspy_symmetry/models/shipped/` by "
        "`make model-cards`. Every figure was measured by `hyperspy-symmetry train` on "
        "held-out simulated data (a seed never used in training).\n",
    ]
    for card_path in sorted(SHIPPED_DIR.glob(f"*/{CARD_FILENAME}")):
        parts.append(ModelCard.load(card_path).to_markdown())
    return "\n".join(parts)
