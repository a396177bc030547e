"""Classification and calibration metrics of MC-dropout predictions (pure NumPy)."""

from __future__ import annotations

import numpy as np

__all__ = [
    "accuracy",
    "top_k_accuracy",
    "confusion_matrix",
    "expected_calibration_error",
    "choose_threshold",
]


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


def choose_threshold(
    crystal_mi: np.ndarray,
    unknown_mi: np.ndarray,
    paper: float = 0.1,
    crystal_below: float = 0.98,
    unknown_above: float = 0.9,
    crystal_name: str = "crystal windows",
    unknown_name: str = "unknown windows",
) -> tuple[float, str]:
    """The interface threshold (bits) that validation data support, and why.

    The paper's threshold is kept when at least ``crystal_below`` of the crystal windows lie
    below it and at least ``unknown_above`` of the windows of structures the model never saw
    (amorphous, boundaries) lie above it. Otherwise the threshold moves to the geometric
    mean of the two quantiles that set those targets (the ``crystal_below`` quantile of the
    crystal MI and the ``1 - unknown_above`` quantile of the unknown MI), if the first lies
    below the second; if they overlap, no threshold meets both, and the paper's is kept.
    ``crystal_name`` and ``unknown_name`` say what the two sets hold, in the reason.

    Returns
    -------
    threshold : float
    reason : str

    Examples
    --------
    >>> crystal = np.linspace(0, 0.01, 100); unknown = np.linspace(0.05, 1, 100)
    >>> choose_threshold(crystal, unknown)[0]
    0.1
    >>> t, why = choose_threshold(crystal, np.linspace(0.03, 0.09, 100))
    >>> round(t, 4)
    0.0188
    """
    crystal_mi = np.asarray(crystal_mi, dtype=float)
    unknown_mi = np.asarray(unknown_mi, dtype=float)
    below = float(np.mean(crystal_mi < paper))
    above = float(np.mean(unknown_mi > paper))
    if below >= crystal_below and above >= unknown_above:
        return paper, (
            f"the paper's {paper:g} bits: {100 * below:.1f} % of {crystal_name} "
            f"below, {100 * above:.1f} % of {unknown_name} above"
        )
    hi_crystal = float(np.quantile(crystal_mi, crystal_below))
    lo_unknown = float(np.quantile(unknown_mi, 1.0 - unknown_above))
    if not 0 < hi_crystal < lo_unknown:
        return paper, (
            f"the paper's {paper:g} bits: no threshold puts {100 * crystal_below:g} % "
            f"of {crystal_name} below and {100 * unknown_above:g} % of {unknown_name} "
            f"above ({100 * below:.1f} % and {100 * above:.1f} % at "
            f"{paper:g} bits)"
        )
    threshold = float(np.sqrt(hi_crystal * lo_unknown))
    return threshold, (
        f"{threshold:.3g} bits: at the paper's {paper:g} bits only {100 * below:.1f} % of "
        f"{crystal_name} lie below and {100 * above:.1f} % of {unknown_name} above; "
        f"{threshold:.3g} bits is the geometric mean of the {100 * crystal_below:g}th "
        f"percentile of the {crystal_name}' MI ({hi_crystal:.3g}) and the "
        f"{100 * (1 - unknown_above):g}th percentile of the {unknown_name}' MI "
        f"({lo_unknown:.3g})"
    )
