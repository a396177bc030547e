"""Training the shipped models from the package's own simulated data.

Kept apart from inference: nothing here is imported by ``classify_symmetry``.

Examples
--------
>>> from hyperspy_symmetry.training import train_model
>>> # Not run as a test: it simulates a training set and trains (about an hour on 2 cores).
>>> card = train_model("bravais", "my_bravais", seed=0)  # doctest: +SKIP
>>> card.metrics["accuracy"]  # doctest: +SKIP
"""

from .extend import extend_model
from .metrics import accuracy, confusion_matrix, expected_calibration_error, top_k_accuracy
from .plans import PLANS, TrainingPlan, get_plan
from .trainer import (
    evaluate_network,
    measure_scenes,
    measure_threshold,
    stratified_split,
    train_model,
)

__all__ = [
    "PLANS",
    "TrainingPlan",
    "accuracy",
    "confusion_matrix",
    "evaluate_network",
    "extend_model",
    "expected_calibration_error",
    "get_plan",
    "measure_scenes",
    "measure_threshold",
    "stratified_split",
    "top_k_accuracy",
    "train_model",
]
