"""MC statistics against values worked out by hand."""

import numpy as np
import pytest

from hyperspy_symmetry.uncertainty import (
    MEASURES,
    check_measure,
    entropy_bits,
    mc_statistics,
    statistics_from_sums,
)


def test_entropy_bits_hand_values():
    assert entropy_bits(np.array([0.5, 0.5])) == pytest.approx(1.0)
    assert entropy_bits(np.array([0.25] * 4)) == pytest.approx(2.0)
    assert entropy_bits(np.array([1.0, 0.0, 0.0])) == 0.0
    # H(0.9, 0.1) = -(0.9 log2 0.9 + 0.1 log2 0.1) = 0.4689955935892812
    assert entropy_bits(np.array([0.9, 0.1])) == pytest.approx(0.4689955935892812)


def test_mc_statistics_hand_computed():
    # window 0: two samples (0.9, 0.1) and (0.1, 0.9): mean (0.5, 0.5)
    #   predictive entropy 1 bit; mean per-sample entropy 0.46899...; MI = 0.53100...
    #   votes: one each -> variation ratio 0.5
    # window 1: both samples (0.8, 0.2): MI = 0, entropy H(0.8, 0.2) = 0.7219280948873623
    samples = np.array([[[0.9, 0.1], [0.8, 0.2]], [[0.1, 0.9], [0.8, 0.2]]])
    stats = mc_statistics(samples)
    assert stats.shape == (2, 2 + len(MEASURES))
    np.testing.assert_allclose(stats[0, :2], [0.5, 0.5])
    pe, mi, vr = (stats[:, 2 + check_measure(m)] for m in MEASURES)
    assert pe[0] == pytest.approx(1.0, abs=1e-6)
    assert mi[0] == pytest.approx(1.0 - 0.4689955935892812, abs=1e-6)
    assert vr[0] == pytest.approx(0.5)
    assert pe[1] == pytest.approx(0.7219280948873623, abs=1e-6)
    assert mi[1] == pytest.approx(0.0, abs=1e-7)
    assert vr[1] == 0.0


def test_mi_three_class_hand_value():
    # samples (1,0,0), (0,1,0), (0,0,1): mean uniform -> log2(3) bits, each certain -> MI = log2 3
    samples = np.eye(3)[:, None, :]
    stats = mc_statistics(samples)
    assert stats[0, 3] == pytest.approx(np.log2(3), abs=1e-6)
    assert stats[0, 4] == pytest.approx(np.log2(3), abs=1e-6)
    assert stats[0, 5] == pytest.approx(2 / 3)


def test_statistics_from_sums_equals_all_at_once():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((50, 7, 4))
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    votes = np.eye(4)[p.argmax(-1)].sum(0)
    a = statistics_from_sums(p.sum(0), entropy_bits(p).sum(0), votes, 50)
    np.testing.assert_allclose(a, mc_statistics(p), rtol=1e-6)
    assert np.all(a[:, 5] >= 0)  # MI >= 0
    assert np.all(a[:, 5] <= a[:, 4] + 1e-6)  # MI <= predictive entropy


def test_unknown_measure():
    with pytest.raises(ValueError, match="Unknown measure 'entropy'.*mutual_information"):
        check_measure("entropy")


# -- adaptive sampling: standard errors and convergence ----------------------------------------


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_mi_standard_error_matches_the_spread_of_repeated_estimates():
    """The delta-method standard error of MI is the scatter of MI over repeated runs."""
    from hyperspy_symmetry.uncertainty import standard_errors

    rng = np.random.default_rng(0)
    reps, t = 2000, 40
    logits = np.array([2.0, 1.2, 0.0, -1.0])
    samples = _softmax(logits + 1.5 * rng.standard_normal((t, reps, 4)))
    mi = mc_statistics(samples)[:, 4 + 1]
    se_p, se_mi, lead = standard_errors(samples)
    assert np.median(se_mi) == pytest.approx(mi.std(), rel=0.15)
    # And the probability standard error is the scatter of the mean probabilities.
    assert np.median(se_p) == pytest.approx(samples.mean(axis=0).std(axis=0).max(), rel=0.15)
    assert np.all(lead > 0)


def test_converged_needs_settled_class_and_small_errors():
    from hyperspy_symmetry.uncertainty import converged

    rng = np.random.default_rng(1)
    noisy = _softmax(np.array([1.0, 0.9, 0.0]) + 2.0 * rng.standard_normal((20, 1, 3)))
    calm = _softmax(np.array([6.0, 0.0, 0.0]) + 0.05 * rng.standard_normal((20, 1, 3)))
    both = np.concatenate([noisy, calm], axis=1)
    assert converged(both, 0.01).tolist() == [False, True]
    assert converged(both[:1], 0.01).tolist() == [False, False]  # one sample: never
    assert converged(both, 1.0).tolist() == [False, True]  # tie: class not settled
