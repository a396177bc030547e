"""Statistics of Monte-Carlo dropout samples: mean probabilities and uncertainty measures.

Pure NumPy. The inference engine accumulates three running sums over the T samples of
each window (sum of probabilities, sum of per-sample entropies, votes for the arg-max
class); :func:`statistics_from_sums` turns them into the packed *statistics* array that
both ``classify_symmetry`` and ``mc_uncertainty`` read: the ``n_classes`` mean
probabilities followed by one column per uncertainty measure, in :data:`MEASURES` order.

All entropies are in bits (log base 2):

- predictive entropy ``H[mean_t p_t]``
- mutual information ``H[mean_t p_t] - mean_t H[p_t]``
- variation ratio ``1 - (votes for the modal class) / T``
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "MEASURES",
    "MEASURE_QUANTITIES",
    "entropy_bits",
    "mc_statistics",
    "statistics_from_sums",
    "check_measure",
    "converged",
    "standard_errors",
]

#: Uncertainty measures, in the order of their columns after the class probabilities.
MEASURES = ("predictive_entropy", "mutual_information", "variation_ratio")

#: ``metadata.Signal.quantity`` of each measure.
MEASURE_QUANTITIES = {
    "predictive_entropy": "Predictive entropy (bits)",
    "mutual_information": "Mutual information (bits)",
    "variation_ratio": "Variation ratio",
}


def check_measure(measure: str) -> int:
    """Column offset of ``measure`` after the class probabilities; clear error if unknown."""
    if measure not in MEASURES:
        raise ValueError(f"Unknown measure {measure!r}; choose one of {list(MEASURES)}.")
    return MEASURES.index(measure)


def entropy_bits(p: np.ndarray, axis: int = -1) -> np.ndarray:
    """Shannon entropy in bits along ``axis``, with ``0 log 0 = 0``.

    Examples
    --------
    >>> float(entropy_bits(np.array([0.5, 0.5])))
    1.0
    >>> float(entropy_bits(np.array([1.0, 0.0])))
    0.0
    """
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0)
    terms = np.where(np.isnan(p), np.nan, terms)
    return 0.0 - terms.sum(axis=axis)  # 0.0 - x, not -x: no negative zero


def statistics_from_sums(
    sum_p: np.ndarray, sum_entropy: np.ndarray, votes: np.ndarray, n_samples
) -> np.ndarray:
    """Pack running sums over MC samples into the statistics array.

    Parameters
    ----------
    sum_p
        ``(n, n_classes)`` sum over samples of the class probabilities.
    sum_entropy
        ``(n,)`` sum over samples of each sample's entropy in bits.
    votes
        ``(n, n_classes)`` number of samples whose arg-max is each class.
    n_samples
        T, the number of samples summed: an int, or ``(n,)`` ints when windows have
        different numbers of samples (adaptive sampling).

    Returns
    -------
    numpy.ndarray
        float32 ``(n, n_classes + 3)``: mean probabilities, then predictive entropy, mutual
        information and variation ratio.
    """
    n = np.asarray(n_samples, dtype=np.float64)
    mean_p = sum_p / (n[..., None] if n.ndim else n)
    h_mean = entropy_bits(mean_p)
    # MI is non-negative in exact arithmetic; clip the round-off of nearly certain windows.
    mi = np.maximum(h_mean - sum_entropy / n, 0.0)
    vr = 1.0 - votes.max(axis=-1) / n
    vr = np.where(np.isnan(h_mean), np.nan, vr)
    return np.concatenate([mean_p, h_mean[:, None], mi[:, None], vr[:, None]], axis=1).astype(
        np.float32
    )


def mc_statistics(samples: np.ndarray, drawn: np.ndarray | None = None) -> np.ndarray:
    """Statistics array from all MC samples at once.

    Parameters
    ----------
    samples
        ``(T, n, n_classes)`` softmax outputs of T stochastic passes over n windows.
    drawn
        ``(n,)`` samples to use per window: window ``i`` uses its first ``drawn[i]``
        (adaptive sampling); default all T.

    Returns
    -------
    numpy.ndarray
        ``(n, n_classes + 3)`` as in :func:`statistics_from_sums`.

    Examples
    --------
    Two samples that disagree completely: the mean is uniform (1 bit), each sample is
    certain (0 bits), so the mutual information is 1 bit.

    >>> s = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
    >>> mc_statistics(s)[0].tolist()
    [0.5, 0.5, 1.0, 1.0, 0.5]
    """
    samples = np.asarray(samples, dtype=np.float64)
    t, n, c = samples.shape
    one_hot = np.eye(c)[samples.argmax(axis=-1)]
    if drawn is None:
        drawn = t
    else:
        used = (np.arange(t)[:, None] < np.asarray(drawn)[None, :])[..., None]
        samples = np.where(used, samples, 0.0)
        one_hot = np.where(used, one_hot, 0.0)
    return statistics_from_sums(
        samples.sum(axis=0), entropy_bits(samples).sum(axis=0), one_hot.sum(axis=0), drawn
    )


def standard_errors(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Monte-Carlo standard errors of each window's estimates, from its samples so far.

    Parameters
    ----------
    samples
        ``(t, n, n_classes)`` softmax outputs of ``t >= 2`` samples of ``n`` windows.

    Returns
    -------
    se_probability : numpy.ndarray
        ``(n,)`` the largest standard error of the mean class probabilities.
    se_mutual_information : numpy.ndarray
        ``(n,)`` the standard error of the mutual information (bits), by the delta
        method: MI is a smooth function of sample means, whose influence function for one
        sample ``p`` is ``-sum_c log2(pbar_c) p_c - H[p]`` (``pbar`` the mean).
    lead : numpy.ndarray
        ``(n,)`` the lead of the most probable class over the runner-up, in standard
        errors of their difference (inf where all samples agree exactly).
    """
    p = np.asarray(samples, dtype=np.float64)
    t = p.shape[0]
    if t < 2:
        raise ValueError(f"standard errors need at least 2 samples, got {t}.")
    root_t = np.sqrt(t)
    se_p = p.std(axis=0, ddof=1).max(axis=-1) / root_t
    mean = p.mean(axis=0)
    with np.errstate(divide="ignore"):
        log_mean = np.where(mean > 0, np.log2(np.where(mean > 0, mean, 1.0)), 0.0)
    influence = -(p * log_mean).sum(axis=-1) - entropy_bits(p)
    se_mi = influence.std(axis=0, ddof=1) / root_t
    order = np.argsort(mean, axis=-1)
    rows = np.arange(p.shape[1])
    diff = p[:, rows, order[..., -1]] - p[:, rows, order[..., -2]]
    se_diff = diff.std(axis=0, ddof=1) / root_t
    with np.errstate(divide="ignore", invalid="ignore"):
        lead = np.where(
            se_diff > 0, diff.mean(axis=0) / se_diff, np.where(diff.mean(axis=0) > 0, np.inf, 0.0)
        )
    return se_p, se_mi, lead


def converged(samples: np.ndarray, tolerance: float, z: float = 3.0) -> np.ndarray:
    """Whether each window's Monte-Carlo estimate has settled, from its samples so far.

    A window has converged when the standard errors (:func:`standard_errors`) of each of
    its mean class probabilities and of its mutual information are at most ``tolerance``,
    and its predicted class is settled: the leading class leads the runner-up by more than
    ``z`` standard errors of their difference.

    Parameters
    ----------
    samples
        ``(t, n, n_classes)`` softmax outputs of the first ``t`` samples of ``n`` windows.
    tolerance
        Largest standard error allowed on the probabilities and on the MI.
    z
        Standard errors by which the leading class must lead.

    Returns
    -------
    numpy.ndarray
        bool ``(n,)``; always False for fewer than two samples.

    Examples
    --------
    Ten samples that agree: converged. Ten that flip between two classes: not.

    >>> sure = np.tile([[[0.99, 0.01]]], (10, 1, 1))
    >>> flip = np.array([[[1.0, 0.0]], [[0.0, 1.0]]] * 5)
    >>> converged(np.concatenate([sure, flip], axis=1), 0.01).tolist()
    [True, False]
    """
    p = np.asarray(samples)
    if p.shape[0] < 2:
        return np.zeros(p.shape[1], dtype=bool)
    se_p, se_mi, lead = standard_errors(p)
    return (se_p <= tolerance) & (se_mi <= tolerance) & (lead > z)
