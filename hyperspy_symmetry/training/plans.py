"""How each shipped model is trained: architecture, data recipe, optimiser and card defaults."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ..checks import check_number

__all__ = ["TrainingPlan", "PLANS", "get_plan"]


@dataclass(frozen=True)
class TrainingPlan:
    """Everything :func:`~hyperspy_symmetry.training.train_model` needs for one model.

    Attributes
    ----------
    name, description
        Model name (the folder and ``classify_symmetry(model=name)``) and a sentence for
        the card.
    data
        :class:`~hyperspy_symmetry.simulate.TrainingSetRecipe` keyword arguments.
    architecture
        ``{"name", "kwargs"}`` for
        :func:`~hyperspy_symmetry.models.architectures.build_architecture`.
    epochs, batch_size, learning_rate, patience, validation_fraction
        Adam optimiser settings; training stops when the validation loss has not improved
        for ``patience`` epochs and keeps the best weights.
    held_out_per_class
        Size of the held-out test set (another seed, never seen in training).
    eval_samples
        MC-dropout samples T per window when measuring the card's metrics.
    card
        Card fields: descriptor, pixel size, field of view, default window and stride.
    sampling
        Architecture keyword arguments that change only how the trained network is sampled
        at inference, e.g. ``{"dropout_from": 5}``: the network is trained with
        ``architecture`` and its weights are shipped in :attr:`inference_architecture`.
    boundary_stage
        :class:`~hyperspy_symmetry.training.boundary_stage.BoundaryStage` keyword arguments
        of a second stage after training that asks the Monte-Carlo samples to disagree on
        windows across grain boundaries (HAADF models); ``None``: no such stage.
    """

    name: str
    description: str
    data: dict[str, Any]
    architecture: dict[str, Any]
    epochs: int = 20
    batch_size: int = 64
    learning_rate: float = 1e-3
    patience: int = 3
    validation_fraction: float = 0.2
    held_out_per_class: int = 300
    eval_samples: int = 30
    card: dict[str, Any] = field(default_factory=dict)
    sampling: dict[str, Any] = field(default_factory=dict)
    boundary_stage: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        # Checked here, before anything is simulated: a bad value must not surface only
        # after an hour of simulation and training.
        for name, low in (
            ("epochs", 1),
            ("batch_size", 1),
            ("patience", 0),
            ("held_out_per_class", 1),
            ("eval_samples", 1),
        ):
            check_number(getattr(self, name), name, low=low, integer=True)
        check_number(self.learning_rate, "learning_rate", low=0, low_open=True)
        check_number(
            self.validation_fraction,
            "validation_fraction",
            low=0,
            high=1,
            low_open=True,
            high_open=True,
        )

    @property
    def inference_architecture(self) -> dict[str, Any]:
        """The architecture the card names: ``architecture`` with ``sampling`` applied."""
        kwargs = {**self.architecture.get("kwargs", {}), **self.sampling}
        return {**self.architecture, "kwargs": kwargs}

    def with_changes(self, **changes: Any) -> TrainingPlan:
        """A copy with some fields changed (``data`` entries are merged)."""
        data = {**self.data, **changes.pop("data", {})}
        return replace(self, data=data, **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


PLANS: dict[str, TrainingPlan] = {
    "aistem": TrainingPlan(
        name="aistem",
        description=(
            "AI-STEM (Leitherer et al. 2023): 10 structure/orientation classes of fcc Cu, "
            "bcc Fe and hcp Ti in HAADF-STEM, from 12 Å windows at 0.12 Å/px, FFT-HAADF "
            "descriptor, Bayesian CNN with MC dropout. Trained only on images simulated by "
            "hyperspy_symmetry.simulate (abTEM convolution approximation) with the "
            "imperfections of real HAADF-STEM: effective resolution down to 1.2 Å, probe "
            "aberrations, mistilt, thickness, non-linear column intensities, amorphous "
            "layers, scan distortions, slow intensity modulations, doses down to 2 counts "
            "per pixel. Dropout (rate 0.3) follows conv5, conv6 and the dense layer only, "
            "in training as in Monte-Carlo sampling, so conv1-5 run once per window."
        ),
        data={"model": "aistem"},
        # Dropout only where it is sampled, at a rate chosen for the uncertainty of
        # structures the model never saw (issue 14: a pilot on 2,000 windows compared
        # training with dropout everywhere at 0.07 and 0.15 with dropout after conv5+ at
        # 0.15 and 0.3 and after conv4+ at 0.2; whole trainings at 0.25, 0.3 and 0.35 are
        # compared in docs/training.md: 0.3 flags the amorphous grain under realistic noise
        # and most boundary windows while keeping imperfect crystals below the threshold).
        architecture={
            "name": "aistem_cnn",
            "kwargs": {"n_classes": 10, "dropout": 0.3, "dropout_from": 5},
        },
        # At 16 epochs (0.4.0) the validation loss was still falling; early stopping now
        # ends the fit (29 epochs, best 26, on seed 0).
        epochs=40,
        # Then a boundary stage (docs/training.md, "A boundary stage"): with the longer fit
        # and a threshold chosen on validation scenes it raises the MI of boundaries and of
        # unseen structures while crystal interiors stay below it. Asking the samples to
        # agree on training windows too (agreement) keeps crystals certain at full weight.
        # 8 epochs rather than 2 (0.5.3): the boundary figures improved from 2 to 4, 6, 8
        # and 12; 12 read part of a real perovskite image confidently as Ti (docs/training.md).
        boundary_stage={"weight": 1.0, "agreement": 1.0, "epochs": 8},
        card={
            "descriptor": "fft_haadf",
            "pixel_size": "0.12 Å",
            "field_of_view": "12 Å",
            "default_window": "12 Å",
            "default_stride": "1.2 Å",
        },
    ),
    "bravais": TrainingPlan(
        name="bravais",
        description=(
            "2D Bravais lattices plus noise (after Vasudevan et al. 2018): square, rectangular, "
            "centred rectangular, hexagonal, oblique and disordered 'noise', from the FFT "
            "amplitude of 128 px windows; trained on lattices of 6-20 px spacing in any "
            "rotation, several column shapes, with realistic microscope augmentation."
        ),
        data={"model": "bravais"},
        architecture={"name": "bravais_cnn", "kwargs": {"n_classes": 6, "dropout": 0.2}},
        # period_range: the lattice spacings of the training set (simulate.bravais.SPACING_RANGE).
        card={
            "descriptor": "fft_amplitude",
            "pixel_size": None,
            "field_of_view": None,
            "default_window": 128,
            "default_stride": 16,
            "period_range": [6.0, 20.0],
            # Monte-Carlo samples draw the third convolution's dropout from its Gaussian at
            # the dense layer ("fast dropout") and the dense layer's with masks, and every
            # window gets all T of them (issue 15; docs/training.md "Where `bravais` is
            # sampled"): the convolutions and the dense layer run once per window, a sample
            # costs the last layer, and a few of the T sample networks carry most of every
            # window's mutual information, which adaptive stopping misses.
            "sampled_dropout": ["dropout_conv3", "dropout_dense"],
            "gaussian_dropout": ["dropout_conv3"],
            "adaptive_sampling": False,
        },
    ),
}


def get_plan(name: str) -> TrainingPlan:
    """The training plan of a shipped model.

    Examples
    --------
    >>> get_plan("aistem").architecture["name"]
    'aistem_cnn'
    """
    try:
        return PLANS[name]
    except KeyError:
        raise ValueError(
            f"No training plan for {name!r}; choose one of {sorted(PLANS)}."
        ) from None
