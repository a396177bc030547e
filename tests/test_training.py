"""Training pipeline: metrics, split, a tiny end-to-end run, scene measurements, CLI."""

import json

import numpy as np
import pytest
from conftest import make_model_folder

import hyperspy_symmetry as hss
from hyperspy_symmetry.cli import main
from hyperspy_symmetry.simulate import AISTEM_CLASSES
from hyperspy_symmetry.training import (
    accuracy,
    confusion_matrix,
    expected_calibration_error,
    get_plan,
    measure_threshold,
    stratified_split,
    top_k_accuracy,
    train_model,
)
from hyperspy_symmetry.training.scenes import polycrystal_metrics, window_labels


def test_metrics_on_known_predictions():
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.3, 0.3, 0.4], [0.5, 0.4, 0.1]])
    y = np.array([0, 2, 2, 1])
    assert accuracy(p, y) == 0.5
    assert top_k_accuracy(p, y, 2) == 1.0
    assert top_k_accuracy(p, y, 1) == accuracy(p, y)
    assert confusion_matrix(p, y, 3).tolist() == [[1, 0, 0], [1, 0, 0], [0, 1, 1]]
    # Over-confident: always 0.9 sure, right half of the time -> ECE 0.4.
    sure = np.tile([0.9, 0.1], (10, 1))
    assert expected_calibration_error(sure, np.array([0, 1] * 5)) == pytest.approx(0.4)


def test_stratified_split_keeps_class_proportions():
    labels = np.repeat(np.arange(5), [10, 20, 30, 40, 50])
    a, b = stratified_split(labels, 0.2, seed=3)
    assert len(np.intersect1d(a, b)) == 0 and len(a) + len(b) == len(labels)
    assert np.bincount(labels[b]).tolist() == [2, 4, 6, 8, 10]
    np.testing.assert_array_equal(b, stratified_split(labels, 0.2, seed=3)[1])
    assert not np.array_equal(b, stratified_split(labels, 0.2, seed=4)[1])


@pytest.mark.timeout(600)
def test_tiny_end_to_end_training_writes_a_usable_model(tmp_path):
    plan = get_plan("bravais").with_changes(
        architecture={
            "name": "bravais_cnn",
            "kwargs": {"n_classes": 6, "filters": [8, 8, 4], "dense": 16},
        },
        held_out_per_class=6,
        eval_samples=5,
    )
    card = train_model(
        "bravais",
        tmp_path / "model",
        plan=plan,
        seed=1,
        epochs=2,
        n_per_class=40,
        data_dir=tmp_path / "data",
        verbose=0,
        log=lambda s: None,
    )
    written = json.loads((tmp_path / "model" / "card.json").read_text())
    assert written["sha256"] == card.sha256 and written["weights"] == "bravais.weights.h5"
    assert written["classes"] == [
        "square",
        "rectangular",
        "centered_rectangular",
        "hexagonal",
        "oblique",
        "noise",
    ]
    m = written["metrics"]
    assert m["n_windows"] == 36 and m["held_out_seed"] == 2
    assert np.array(m["confusion_matrix"]).shape == (6, 6)
    assert np.sum(m["confusion_matrix"]) == 36
    for key in (
        "accuracy",
        "top2_accuracy",
        "expected_calibration_error",
        "mi_in_distribution_median",
        "mi_out_of_distribution_median",
    ):
        assert 0.0 <= m[key] <= np.log2(6)
    t = written["training"]
    assert t["seconds"]["total"] > 0 and t["epochs_run"] == 2
    assert t["data_recipe"]["n_per_class"] == 40 and t["data_recipe"]["seed"] == 1
    assert "hyperspy-symmetry train bravais --seed 1" in t["command"]
    # The simulated sets were kept and are reused by a second run with the same recipe.
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == [
        "bravais_test_seed2.zarr",
        "bravais_train_seed1.zarr",
    ]
    # The folder is a model: loadable and usable by path in classify_symmetry.
    model = hss.load_model(tmp_path / "model")
    assert model.class_names == written["classes"]
    from hyperspy_symmetry.simulate import bravais_image

    s = bravais_image("hexagonal", 160, seed=0)
    # the card's window (a trained bravais model is scale-free by default: issue 15)
    p = s.classify_symmetry(
        model=tmp_path / "model", window_size=128, n_samples=3, seed=0, show_progressbar=False
    )
    assert p.data.shape == (6, 3, 3)
    np.testing.assert_allclose(p.data.sum(axis=0), 1.0, rtol=1e-5)


def test_window_labels_marks_windows_across_boundaries():
    labels = np.zeros((10, 10), dtype=int)
    labels[:, 6:] = 1
    out = window_labels(labels, 4, 2)
    assert out.tolist() == [[0, 0, -1, 1]] * 4


def test_polycrystal_metrics_plumbing(tmp_path):
    folder = make_model_folder(tmp_path / "m", "aistem")
    card = json.loads((tmp_path / "m" / "card.json").read_text())
    card["classes"] = list(AISTEM_CLASSES)  # random weights, real class names
    (tmp_path / "m" / "card.json").write_text(json.dumps(card))
    m = polycrystal_metrics(folder, seed=0, grain_size=14.0, stride=20, n_samples=3)
    # 2 x 117 px grains, 100 px windows every 20 px: one window fits wholly in each grain
    assert m["n_grain_windows"] == 3
    assert 0.0 <= m["grain_accuracy"] <= 1.0 and m["mi_ratio"] >= 0.0


def test_measure_threshold_writes_the_validated_threshold_to_the_card(tmp_path):
    from hyperspy_symmetry.simulate import polycrystal_scene
    from hyperspy_symmetry.training.scenes import validation_threshold

    folder = make_model_folder(tmp_path / "m", "aistem")
    card = json.loads((tmp_path / "m" / "card.json").read_text())
    card["classes"] = list(AISTEM_CLASSES)  # random weights, real class names
    (tmp_path / "m" / "card.json").write_text(json.dumps(card))
    kw = dict(seeds=[3], rotations=[10.0], stride=40, n_samples=3)
    threshold, why, figures = validation_threshold(folder, **kw)
    # 3 crystalline grains of the polycrystal and 10 perfect crystals, each clean and noisy
    assert figures["n_crystals"] == 2 * (3 + 10)
    assert figures["seeds"] == [3] and figures["rotations"] == [10.0]
    # the amorphous windows: those wholly inside its grain, twice
    _, labels = polycrystal_scene(seed=3)
    inside = window_labels(labels.data, 100, 40)
    amorphous = list(labels.metadata.Symmetry.class_names).index("amorphous")
    assert figures["n_amorphous_windows"] == 2 * int(np.sum(inside == amorphous))
    assert threshold > 0 and ("crystals" in why and "amorphous windows" in why)

    card = measure_threshold(folder, **{k: kw[k] for k in ("seeds", "rotations", "n_samples")})
    written = json.loads((tmp_path / "m" / "card.json").read_text())
    assert written["interface_threshold"] == card.threshold > 0
    assert written["metrics"]["interface_threshold_reason"].startswith("validation")
    assert written["metrics"]["threshold_validation"]["seeds"] == [3]
    assert written["metrics"]["interface_threshold_reason"].endswith(why)


def test_train_cli_rejects_unknown_models(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["train", "resnet", "--out", "x"])
    assert stop.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def _tiny_haadf_plan():
    """The aistem plan with a tiny network and a tiny boundary stage."""
    return get_plan("aistem").with_changes(
        architecture={
            "name": "aistem_cnn",
            "kwargs": {"n_classes": 10, "filters": [4, 4, 4, 4, 2, 2], "dense": 16},
        },
        held_out_per_class=2,
        eval_samples=3,
        boundary_stage={"windows": 6, "base_windows": 40, "epochs": 1, "boundary_batch": 4},
    )


@pytest.fixture(scope="module")
def tiny_haadf_model(tmp_path_factory):
    """A tiny aistem-architecture model trained by train_model (classes named as aistem)."""
    folder = tmp_path_factory.mktemp("tiny") / "tiny_aistem"
    plan = _tiny_haadf_plan()
    train_model(
        "aistem",
        folder,
        plan=plan,
        epochs=1,
        n_per_class=6,
        scenes=False,
        verbose=0,
        log=lambda s: None,
    )
    return folder


@pytest.mark.timeout(600)
def test_extend_model_adds_a_class_usable_by_name(tiny_haadf_model, tmp_path, monkeypatch):
    from ase.build import bulk

    from hyperspy_symmetry.simulate import crystal_image
    from hyperspy_symmetry.training import extend_model

    monkeypatch.setenv("HYPERSPY_SYMMETRY_MODELS", str(tmp_path / "user_models"))
    gold = bulk("Au", "fcc", a=4.08, cubic=True)
    card = extend_model(
        tiny_haadf_model,
        {"FCC_Au_110": (gold, (1, 1, 0))},
        "tiny_plus_au",
        n_per_class=4,
        epochs=0,
        held_out_per_class=2,
        eval_samples=2,
        verbose=0,
        log=lambda s: None,
    )
    assert card.classes == list(AISTEM_CLASSES) + ["FCC_Au_110"]
    assert card.training["new_classes"]["FCC_Au_110"]["zone_axis"] == [1, 1, 0]
    assert "tiny_plus_au" in hss.list_models()
    extended, base = hss.load_model("tiny_plus_au"), hss.load_model(tiny_haadf_model)
    old_kernel = base.network.layers[-1].get_weights()[0]
    new_kernel = extended.network.layers[-1].get_weights()[0]
    assert new_kernel.shape == (old_kernel.shape[0], 11)
    np.testing.assert_array_equal(new_kernel[:, :10], old_kernel)  # epochs=0: untouched
    s = crystal_image(gold, zone_axis=(1, 1, 0), size=120, seed=0)
    p = s.classify_symmetry(model="tiny_plus_au", n_samples=2, seed=0, show_progressbar=False)
    assert p.class_names[-1] == "FCC_Au_110" and p.data.shape[0] == 11
    # A second extension builds on the first: the card describes every class it knows.
    card2 = extend_model(
        "tiny_plus_au",
        {"BCC_W_100": (bulk("W", "bcc", a=3.16, cubic=True), (1, 0, 0))},
        "tiny_plus_au_w",
        n_per_class=2,
        epochs=0,
        held_out_per_class=1,
        eval_samples=2,
        verbose=0,
        log=lambda s: None,
    )
    assert card2.classes[-2:] == ["FCC_Au_110", "BCC_W_100"]


def test_extend_model_bad_input(tiny_haadf_model, tiny_bravais):
    from ase.build import bulk

    from hyperspy_symmetry.training import extend_model

    cu = bulk("Cu", "fcc", a=3.63, cubic=True)
    with pytest.raises(ValueError, match="already classes"):
        extend_model(tiny_haadf_model, {"FCC_Cu_100": (cu, (1, 0, 0))}, "x")
    with pytest.raises(ValueError, match="fft_amplitude"):
        extend_model(tiny_bravais, {"new": (cu, (1, 0, 0))}, "x")
    with pytest.raises(ValueError, match="empty"):
        extend_model(tiny_haadf_model, {}, "x")


def test_pixel_size_metrics_use_window_scaling(tiny_haadf_model):
    from hyperspy_symmetry.training.transfer import pixel_size_metrics

    m = pixel_size_metrics(
        tiny_haadf_model, pixel_sizes=(0.2, 0.08), field_of_view=15.0, n_samples=2, realistic=False
    )
    assert set(m) == {"0.2", "0.08"}
    # 12 Å windows every 3 Å in a 15 Å image: 2 x 2 windows per class, 10 classes
    assert m["0.2"]["n_windows"] == m["0.08"]["n_windows"] == 40
    assert 0.0 <= m["0.2"]["accuracy"] <= 1.0


def test_training_targets_are_soft_for_a_recipe_with_holes(tmp_path):
    from hyperspy_symmetry.simulate import TrainingSetRecipe, build_training_set, make_samples
    from hyperspy_symmetry.simulate.training_set import soft_targets
    from hyperspy_symmetry.training.trainer import load_arrays, training_targets

    recipe = TrainingSetRecipe.default("bravais", n_per_class=4, seed=2)
    path = tmp_path / "set.zarr"
    build_training_set(path, recipe=recipe, scheduler="synchronous", show_progressbar=False)
    _, labels = load_arrays(path)
    targets = training_targets(path, labels, recipe)
    _, _, params = make_samples(recipe, 0, recipe.n_samples)
    np.testing.assert_array_equal(targets, soft_targets(labels, params[:, -1], 6, 5))
    assert targets.shape == (24, 6) and (targets[:, 5] > 0).any()
    plain = TrainingSetRecipe.default("bravais", n_per_class=4, seed=2, holes=None)
    assert training_targets(path, labels, plain) is labels


def test_tiny_haadf_training_runs_the_boundary_stage_and_records_it(tiny_haadf_model):
    card = json.loads((tiny_haadf_model / "card.json").read_text())
    stage = card["training"]["boundary_stage"]
    assert stage["settings"]["windows"] == 6 and stage["seed"] == 4
    assert len(stage["history"]["boundary_mi_bits"]) == 1
    assert card["training"]["plan"]["boundary_stage"]["base_windows"] == 40


@pytest.mark.timeout(600)
def test_initial_model_replaces_the_first_stage(tiny_haadf_model, tmp_path):
    """A second run from the first one's weights: no fit, the first stage named in the
    card with its history, the boundary stage run again on those weights."""
    kw = dict(plan=_tiny_haadf_plan(), n_per_class=6, scenes=False, verbose=0, log=print)
    card = train_model("aistem", tmp_path / "second", initial_model=tiny_haadf_model, **kw)
    first = json.loads((tiny_haadf_model / "card.json").read_text())
    assert card.training["first_stage"]["sha256"] == first["sha256"]
    assert card.training["first_stage"]["model"].startswith(f"{tiny_haadf_model} (its card: ")
    assert card.training["history"] == first["training"]["history"]
    assert "--initial-model" in card.training["command"]
    assert card.sha256 != first["sha256"]  # the boundary stage changed the weights
    with pytest.raises(ValueError, match="architecture"):
        train_model("aistem", tmp_path / "third", initial_model="aistem", **kw)
