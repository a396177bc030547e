"""The trained models that ship in the package: integrity, cards, and a small held-out check.

The cards record the figures measured on the full held-out sets when the weights were
trained (``hyperspy-symmetry train``); here a small fresh sample (a seed never used in
training) checks that the shipped weights still deliver them.
"""

import numpy as np
import pytest

import hyperspy_symmetry as hss
from hyperspy_symmetry.models.registry import SHIPPED_DIR
from hyperspy_symmetry.simulate import TrainingSetRecipe, make_samples
from hyperspy_symmetry.training import evaluate_network
from hyperspy_symmetry.training.scenes import bicrystal_metrics, polycrystal_metrics

SHIPPED = hss.list_models()
#: A seed no shipped model was trained (seed 0) or measured (seeds 1, 2, 100) on.
FRESH_SEED = 20261122


@pytest.mark.parametrize("name", SHIPPED)
def test_card_records_what_the_issue_asks(name):
    card = hss.load_model(name).card
    assert card.sha256 and card.weights.endswith(".weights.h5")
    for key in (
        "accuracy",
        "top2_accuracy",
        "confusion_matrix",
        "expected_calibration_error",
        "mi_in_distribution_median",
        "mi_out_of_distribution_median",
        "held_out_seed",
    ):
        assert key in card.metrics, key
    assert card.training["seconds"]["total"] > 0 and card.training["seed"] == 0
    assert card.metrics["held_out_seed"] != card.training["seed"]
    assert (
        card.metrics["mi_out_of_distribution_median"] > card.metrics["mi_in_distribution_median"]
    )


def test_both_models_ship():
    assert {"aistem", "bravais"} <= set(SHIPPED)
    assert all((SHIPPED_DIR / name / "card.json").is_file() for name in SHIPPED)


def _fresh_accuracy(name, per_class):
    model = hss.load_model(name)
    # As the cards' held-out sets: no holes (bravais measures them apart, in metrics["holes"]).
    recipe = TrainingSetRecipe.default(name, n_per_class=per_class, seed=FRESH_SEED, holes=None)
    x, y, _ = make_samples(recipe, 0, recipe.n_samples)
    return evaluate_network(model.network, x, y, n_samples=10, seed=0)


@pytest.mark.skipif("aistem" not in SHIPPED, reason="aistem weights not shipped")
def test_aistem_targets_on_a_fresh_sample():
    card = hss.load_model("aistem").card
    # The card's held-out set carries every HAADF-STEM imperfection at once (issue 14: >= 90 %
    # with all of them combined), and the model is never confidently wrong on it.
    assert card.metrics["accuracy"] >= 0.90
    assert card.metrics["robustness"]["combined"]["accuracy"] >= 0.90
    assert card.metrics["robustness"]["combined"]["confidently_wrong"] <= 0.02
    m = _fresh_accuracy("aistem", 20)  # 200 windows, all imperfections
    assert m["accuracy"] >= 0.90
    # The previous recipe's moderate augmentation only (no specimen or probe imperfections):
    # as accurate as the model trained on it alone.
    model = hss.load_model("aistem")
    recipe = TrainingSetRecipe.default(
        "aistem", n_per_class=20, seed=FRESH_SEED, imaging=None, augmentation=None
    )
    x, y, _ = make_samples(recipe, 0, recipe.n_samples)
    assert evaluate_network(model.network, x, y, n_samples=10, seed=0)["accuracy"] >= 0.98


@pytest.mark.skipif("aistem" not in SHIPPED, reason="aistem weights not shipped")
def test_aistem_card_robustness_over_the_realistic_ranges():
    """Issue 14: >= 95 % accuracy at every strength within the documented realistic range
    of each imperfection, and <= 2 % confidently wrong windows."""
    card = hss.load_model("aistem").card
    for name, sweep in card.metrics["robustness"].items():
        if name == "combined":
            continue
        strengths = np.asarray(sweep["strengths"])
        realistic = sweep["realistic"]
        # sweeps run from none to beyond the range; the dose sweep runs downwards
        inside = strengths >= realistic if name == "dose" else strengths <= realistic
        assert min(np.asarray(sweep["accuracy"])[inside]) >= 0.95, name
        assert max(np.asarray(sweep["confidently_wrong"])[inside]) <= 0.02, name


@pytest.mark.skipif("aistem" not in SHIPPED, reason="aistem weights not shipped")
@pytest.mark.timeout(600)
def test_aistem_flags_the_amorphous_grain_with_default_segmentation():
    """Issue 14: on the AI-STEM polycrystal (seed 11, 100 px windows every 10 px, T = 100),
    u.segment() with default arguments keeps the amorphous grain out of the bulk and the
    crystal interiors in it."""
    from hyperspy_symmetry.simulate import polycrystal_scene
    from hyperspy_symmetry.training.scenes import window_labels

    image, labels = polycrystal_scene(seed=11)
    kw = dict(
        model="aistem", window_size=100, stride=10, n_samples=100, seed=0, show_progressbar=False
    )
    p, u = image.classify_symmetry(**kw), image.mc_uncertainty(**kw)
    seg = u.segment(probabilities=p)
    assert seg.threshold == hss.load_model("aistem").card.threshold
    inside = window_labels(labels.data, 100, 10)
    grains = list(labels.metadata.Symmetry.class_names)
    amorphous = inside == grains.index("amorphous")
    crystal = (inside >= 0) & ~amorphous
    assert np.mean(~seg.bulk.data[amorphous]) >= 0.9
    assert np.mean(seg.bulk.data[crystal]) >= 0.98


@pytest.mark.skipif("bravais" not in SHIPPED, reason="bravais weights not shipped")
def test_bravais_targets_on_a_fresh_sample():
    card = hss.load_model("bravais").card
    assert card.metrics["accuracy"] >= 0.92 and card.metrics["top2_accuracy"] >= 0.98
    m = _fresh_accuracy("bravais", 40)  # 240 windows
    assert m["accuracy"] >= 0.86 and m["top2_accuracy"] >= 0.95


@pytest.mark.skipif("bravais" not in SHIPPED, reason="bravais weights not shipped")
def test_bravais_noise_probability_follows_the_hole_coverage():
    from hyperspy_symmetry.training.trainer import hole_metrics

    model = hss.load_model("bravais")
    # What a phase fraction needs is no bias on average (slope ~1, intercept ~0); single
    # windows scatter (card: correlation 0.89, mean absolute error 0.11).
    card_holes = model.card.metrics["holes"]
    assert abs(card_holes["slope"] - 1) <= 0.2 and abs(card_holes["intercept"]) <= 0.05
    assert card_holes["correlation"] >= 0.85
    recipe = TrainingSetRecipe.from_dict(model.card.training["data_recipe"])
    fresh = hole_metrics(model.network, recipe, n_per_class=20, n_samples=10, seed=FRESH_SEED)
    assert fresh["n_windows"] == 100
    assert fresh["correlation"] >= 0.8 and abs(fresh["slope"] - 1) <= 0.25
    assert abs(fresh["intercept"]) <= 0.08


@pytest.mark.skipif("aistem" not in SHIPPED, reason="aistem weights not shipped")
@pytest.mark.timeout(900)
def test_aistem_on_a_polycrystal():
    poly = polycrystal_metrics("aistem", seed=FRESH_SEED, grain_size=24.0, stride=20, n_samples=20)
    assert poly["grain_accuracy"] >= 0.95
    assert poly["mi_ratio"] >= 10


@pytest.mark.skipif("aistem" not in SHIPPED, reason="aistem weights not shipped")
@pytest.mark.timeout(900)
@pytest.mark.parametrize(
    "class_name, misorientation, rotation",
    [("FCC_Cu_100", 22.0, 15.0), ("BCC_Fe_100", 38.0, 10.0)],
)
def test_aistem_grain_boundary_stands_out_in_mi(class_name, misorientation, rotation):
    from hyperspy_symmetry.simulate.augment import AugmentationRecipe

    bi = bicrystal_metrics(
        "aistem",
        class_name,
        misorientation,
        rotation=rotation,
        seed=FRESH_SEED,
        size=300,
        stride=20,
        n_samples=20,
        augmentation=AugmentationRecipe.realistic(),
    )
    assert bi["bulk_accuracy"] >= 0.95
    # Issue 4: more than an order of magnitude; the paper's interface threshold is 0.1 bits.
    assert bi["mi_ratio"] >= 10 and bi["mi_boundary_p90"] >= 0.1
    assert bi["mi_bulk_median"] < 0.01


def test_docs_list_the_shipped_cards():
    from pathlib import Path

    from hyperspy_symmetry.models.cards import cards_markdown

    docs = Path(__file__).parents[1] / "docs" / "models.md"
    assert docs.read_text() == cards_markdown(), "run `make model-cards`"
