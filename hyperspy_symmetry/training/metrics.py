"""Classification and calibration metrics of MC-dropout predictions (pure NumPy)."""

from __future__ import annotations

import numpy as np

__all__ = ["accuracy", "top_k_accuracy", "confusion_matrix", "expected_calibration_error"]


def accuracy(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of samples whose most probable class is the label.

    Examples
    --------
    >>> accuracy(np.array([[0.9, 0.1], [0.4, 0.6]]), np.array([0, 0]))
    0.5
    """
    return float(np.mean(np.argmax(probabilities, axis=1) == np.asarray(labels)))


def top_k_accuracy(probabilities: np.ndarray, labels: np.ndarray, k: int = 2) -> float:
    """Fraction of samples whose label is among the ``k`` most probable classes.

    Examples
    --------
    >>> top_k_accuracy(np.array([[0.5, 0.3, 0.2], [0.5, 0.3, 0.2]]), np.array([1, 2]), k=2)
    0.5
    """
    top = np.argsort(-np.asarray(probabilities), axis=1, kind="stable")[:, :k]
    return float(np.mean((top == np.asarray(labels)[:, None]).any(axis=1)))


def confusion_matrix(probabilities: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """``(n_classes, n_classes)`` counts: row = true class, column = predicted class.

    Examples
    --------
    >>> confusion_matrix(np.array([[0.9, 0.1], [0.4, 0.6]]), np.array([0, 0]), 2).tolist()
    [[1, 1], [0, 0]]
    """
    predicted = np.argmax(probabilities, axis=1)
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(labels), predicted), 1)
    return matrix


def expected_calibration_error(
    probabilities: np.ndarray, labels: np.ndarray, n_bins: int = 15
) -> float:
    """Expected calibration error of the top-class confidence, with equal-width bins.

    ``sum_b |B_b| / n * |accuracy(B_b) - confidence(B_b)|`` over bins of the predicted
    class' probability (Guo et al. 2017).

    Examples
    --------
    >>> p = np.array([[0.8, 0.2]] * 10)
    >>> round(expected_calibration_error(p, np.array([0] * 8 + [1] * 2)), 6)
    0.0
    """
    probabilities = np.asarray(probabilities)
    confidence = probabilities.max(axis=1)
    correct = np.argmax(probabilities, axis=1) == np.asarray(labels)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        in_bin = which == b
        if in_bin.any():
            ece += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(ece)
