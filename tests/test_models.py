"""Model cards, safe loading with sha256 checks, architectures and the MC-dropout engine."""

import json
import re
import shutil

import numpy as np
import pytest

import hyperspy_symmetry as hss
from hyperspy_symmetry.models import (
    ModelCard,
    ModelNotAvailableError,
    cached_model,
    load_model,
    resolve_model,
    sha256_file,
)
from hyperspy_symmetry.models.architectures import aistem_cnn, bravais_cnn, build_architecture
from hyperspy_symmetry.models.mc_dropout import MCDropoutEngine
from hyperspy_symmetry.uncertainty import mc_statistics


def test_aistem_architecture_matches_paper():
    import keras

    net = aistem_cnn()
    assert net.input_shape == (None, 64, 64, 1)
    assert net.output_shape == (None, 10)
    assert net.count_params() == 281818  # "about 282k parameters"
    convs = [x for x in net.layers if isinstance(x, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [32, 32, 16, 16, 8, 8]
    assert all(c.kernel_size == (3, 3) and c.padding == "same" for c in convs)
    drops = [x for x in net.layers if isinstance(x, keras.layers.Dropout)]
    assert len(drops) == 7 and all(d.rate == pytest.approx(0.07) for d in drops)
    pools = [i for i, x in enumerate(net.layers) if isinstance(x, keras.layers.MaxPooling2D)]
    assert len(pools) == 2
    assert net.layers[-1].activation.__name__ == "softmax"


def test_bravais_architecture():
    import keras

    net = bravais_cnn()
    assert net.output_shape == (None, 6)
    kinds = [type(x).__name__ for x in net.layers]
    assert kinds.count("Conv2D") == 3 and kinds.count("AveragePooling2D") == 1
    assert all(
        x.rate == pytest.approx(0.2) for x in net.layers if isinstance(x, keras.layers.Dropout)
    )


def test_build_architecture_errors():
    with pytest.raises(ValueError, match="Unknown architecture"):
        build_architecture({"name": "resnet"})
    with pytest.raises(ValueError, match="does not accept"):
        build_architecture({"name": "aistem_cnn", "kwargs": {"depth": 3}})


def test_list_models_and_planned_models(tmp_path, monkeypatch):
    from hyperspy_symmetry.models import registry

    assert isinstance(hss.list_models(), list)
    # A planned model whose weights are missing from the installation is refused clearly.
    monkeypatch.setattr(registry, "SHIPPED_DIR", tmp_path / "empty")
    monkeypatch.setenv("HYPERSPY_SYMMETRY_MODELS", str(tmp_path / "none"))
    assert hss.list_models() == []
    with pytest.raises(ModelNotAvailableError, match="no trained weights"):
        load_model("aistem")


def test_user_models_are_found_by_name(tmp_path, monkeypatch):
    from conftest import make_model_folder

    monkeypatch.setenv("HYPERSPY_SYMMETRY_MODELS", str(tmp_path))
    make_model_folder(tmp_path / "my_model", "bravais")
    assert "my_model" in hss.list_models()
    assert load_model("my_model").card.name == "tiny_bravais"


def test_unknown_model():
    with pytest.raises(ValueError, match="Unknown model 'no_such_model'"):
        resolve_model("no_such_model")
    with pytest.raises(TypeError, match="model"):
        resolve_model(3.5)


def test_card_round_trip_and_load(tiny_aistem, tmp_path):
    card, ref = resolve_model(tiny_aistem)
    assert card.sha256 == sha256_file(f"{tiny_aistem}/{card.weights}")
    assert ref.sha256 == card.sha256
    card.save(tmp_path / "card.json")
    assert ModelCard.load(tmp_path / "card.json") == card
    model = load_model(tiny_aistem)
    assert model.class_names == card.classes
    assert "tiny_aistem" in repr(model)
    # by the card's own path too
    assert load_model(f"{tiny_aistem}/card.json").card == card


def test_card_markdown_names_the_stages_and_the_thresholds_reason():
    card = ModelCard(
        "demo", "1.0", ["a", "b"], "fft_haadf", {"name": "aistem_cnn"}, "demo.weights.h5",
        "0" * 64, "12 Å", "1.2 Å", interface_threshold=0.25,
        metrics={"interface_threshold_reason": "validation: 0.25 bits, a geometric mean"},
        training={
            "command": "train demo --initial-model first", "epochs_run": 3, "best_epoch": 2,
            "seconds": {"total": 120, "training": 100},
            "first_stage": {"command": "train demo --epochs 3", "sha256": "ab" * 32,
                            "seconds": {"total": 600}},
            "boundary_stage": {"settings": {"epochs": 2, "windows": 30, "weight": 0.5,
                                            "agreement": 1.0},
                               "seed": 4, "history": {"boundary_mi_bits": [0.2, 0.3]},
                               "seconds": 60},
        },
    )  # fmt: skip
    rows = dict(re.findall(r"^\| ([^|]+?) \| (.*) \|$", card.to_markdown(), re.MULTILINE))
    assert rows["interface threshold (default of `u.segment()`)"].startswith(
        "0.25 bits (validation: 0.25 bits, a geometric mean)"
    )
    run = rows["training run"]
    assert "2 min in all" in run and "`train demo --epochs 3` (10 min, sha256 abababababab" in run
    assert rows["boundary stage"].startswith(
        "2 epochs on 30 boundary windows (seed 4), weight 0.5, agreement 1.0; their mean MI "
        "0.200 -> 0.300 bits"
    )
    del card.training["boundary_stage"]["settings"]["agreement"]  # a stage without it
    assert "weight 0.5; their mean MI" in card.to_markdown()
    # a card without stages or reason: no such rows, and the paper's threshold is named
    plain = ModelCard(
        "demo", "1.0", ["a", "b"], "fft_haadf", {"name": "aistem_cnn"}, "demo.weights.h5",
        "0" * 64, "12 Å", "1.2 Å", training={"command": "c", "seconds": {}},
    )  # fmt: skip
    text = plain.to_markdown()
    assert "boundary stage" not in text and "first stage" not in text
    assert "| 0.1 bits (the paper's) |" in text


def _h5_groups(path):
    import h5py

    with h5py.File(path, "r") as f:
        return set(f.keys())


def test_save_model_writes_weights_without_optimizer_state(tiny_aistem, tmp_path):
    """A trained (compiled) network is saved without Adam's moments; it predicts the same."""
    from hyperspy_symmetry.models import save_model

    model = load_model(tiny_aistem)
    net = model.network
    net.compile(optimizer="adam", loss="categorical_crossentropy")
    x = np.random.default_rng(0).random((4, 64, 64, 1)).astype("float32")
    net.fit(x, np.eye(10)[:4], epochs=1, verbose=0)  # optimizer state now exists
    card = save_model(net, ModelCard.load(f"{tiny_aistem}/card.json"), tmp_path / "m")
    weights = tmp_path / "m" / card.weights
    assert "optimizer" not in _h5_groups(weights)
    again = load_model(tmp_path / "m")
    np.testing.assert_array_equal(again.network(x, training=False), net(x, training=False))


@pytest.mark.parametrize("name", ["aistem", "bravais"])
def test_shipped_weights_carry_no_optimizer_state(name):
    card, _ = resolve_model(name)
    from hyperspy_symmetry.models.registry import SHIPPED_DIR

    assert _h5_groups(SHIPPED_DIR / name / card.weights) == {"layers", "vars"}


def _copy(folder, tmp_path):
    dst = tmp_path / "copy"
    shutil.copytree(folder, dst)
    return dst


def test_tampered_weights_fail_sha256(tiny_aistem, tmp_path):
    dst = _copy(tiny_aistem, tmp_path)
    card = ModelCard.load(dst / "card.json")
    with open(dst / card.weights, "r+b") as fh:
        fh.seek(-100, 2)
        byte = fh.read(1)
        fh.seek(-100, 2)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ValueError, match="sha256.*corrupted or was changed"):
        load_model(dst)


def test_weights_not_matching_architecture(tiny_aistem, tmp_path):
    dst = _copy(tiny_aistem, tmp_path)
    data = json.loads((dst / "card.json").read_text())
    data["architecture"]["kwargs"]["dense"] = 32
    (dst / "card.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match="do not fit the architecture"):
        load_model(dst)


def test_card_must_name_weights_file(tiny_aistem, tmp_path):
    dst = _copy(tiny_aistem, tmp_path)
    data = json.loads((dst / "card.json").read_text())
    data["weights"] = "model.pkl"
    (dst / "card.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        load_model(dst)
    (dst / "card.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_model(dst)
    (dst / "card.json").write_text(json.dumps({"name": "x"}))
    with pytest.raises(ValueError, match="missing the fields"):
        load_model(dst)


def _keras_folder(tmp_path, network, n_classes):
    from hyperspy_symmetry.models.cards import ModelCard, sha256_file

    folder = tmp_path / "keras_model"
    folder.mkdir()
    network.save(folder / "model.keras")
    card = ModelCard(
        "user",
        "1",
        [f"c{i}" for i in range(n_classes)],
        "fft_haadf",
        {"name": "user"},
        "model.keras",
        sha256_file(folder / "model.keras"),
        100,
        20,
    )
    card.save(folder / "card.json")
    return folder


def test_keras_model_file_loads_in_safe_mode(tmp_path):
    from hyperspy_symmetry.models.architectures import bravais_cnn

    folder = _keras_folder(tmp_path, bravais_cnn(n_classes=3, filters=(2, 2, 2), dense=4), 3)
    model = load_model(folder)
    assert model.class_names == ["c0", "c1", "c2"]
    stats = model.statistics(np.zeros((2, 64, 64), np.float32), n_samples=3, seed=0)
    assert stats.shape == (2, 6)


def test_keras_file_with_code_is_refused(tmp_path):
    import keras

    inputs = keras.Input((64, 64, 1))
    x = keras.layers.Lambda(lambda t: t * 2.0)(inputs)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dropout(0.1)(x)
    outputs = keras.layers.Dense(2, activation="softmax")(x)
    folder = _keras_folder(tmp_path, keras.Model(inputs, outputs), 2)
    with pytest.raises(ValueError, match="safe mode"):
        load_model(folder)


def test_cached_model_loads_once(tiny_aistem):
    _, ref = resolve_model(tiny_aistem)
    assert cached_model(ref) is cached_model(ref)


@pytest.fixture(scope="module")
def engine():
    import keras

    keras.utils.set_random_seed(1)
    return MCDropoutEngine(
        aistem_cnn(filters=(4, 4, 4, 4, 2, 2), dense=16, dropout=0.3), passes_per_batch=64
    )


def _x(n, seed=0):
    return np.random.default_rng(seed).random((n, 64, 64), dtype=np.float32)


def _explicit_samples(engine, x, n_samples, seed):
    """Each sample t run as Keras layers with that sample's masks applied by hand."""
    import keras

    keep = engine._keep_masks(seed, n_samples)
    samples = []
    for t in range(n_samples):
        h, k = x[..., None], 0
        for layer in engine.model.layers:
            if isinstance(layer, keras.layers.Dropout):
                h = h * keep[k][t] / (1 - layer.rate)
                k += 1
            else:
                h = np.asarray(layer(h, training=False))
        samples.append(h)
    return np.array(samples)


def test_engine_matches_explicit_per_sample_networks(engine):
    """Each sample t is one network: Keras layers with that sample's masks applied by hand."""
    x = _x(5)
    expected = mc_statistics(_explicit_samples(engine, x, 6, 3))
    np.testing.assert_allclose(engine.statistics(x, 6, 3), expected, atol=2e-5)


def test_engine_samples_only_the_named_dropout_layers(engine):
    """Unsampled dropout layers pass their input on, as in inference; each sampled layer keeps
    the masks it has when every layer is sampled; the layers before it become the trunk."""
    import keras

    late = ["dropout_conv6", "dropout_dense"]
    part = MCDropoutEngine(engine.model, passes_per_batch=64, sampled_layers=late)
    assert part.dropout_layers == late
    assert part.trunk_shape == tuple(engine.model.get_layer("dropout_conv6").output.shape[1:])
    keep, names = engine._keep_masks(3, 6), engine.dropout_layers
    x = _x(5)
    samples = []
    for t in range(6):
        h = x[..., None]
        for layer in engine.model.layers:
            if not isinstance(layer, keras.layers.Dropout):
                h = np.asarray(layer(h, training=False))
            elif layer.name in late:
                h = h * keep[names.index(layer.name)][t] / (1 - layer.rate)
        samples.append(h)
    np.testing.assert_allclose(
        part.statistics(x, 6, 3), mc_statistics(np.array(samples)), atol=2e-5
    )
    # naming every layer is the default
    every = MCDropoutEngine(engine.model, passes_per_batch=64, sampled_layers=names)
    np.testing.assert_array_equal(every.statistics(x, 6, 3), engine.statistics(x, 6, 3))
    for wrong in (["conv1"], []):
        with pytest.raises(ValueError, match="sampled_layers"):
            MCDropoutEngine(engine.model, sampled_layers=wrong)


def test_engine_is_stochastic_and_seeded(engine):
    x = _x(4)
    a = engine.statistics(x, 20, seed=5)
    b = engine.statistics(x, 20, seed=5)
    c = engine.statistics(x, 20, seed=6)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.all(a[:, 11] > 0)  # dropout at 0.3 makes the samples disagree: MI > 0
    np.testing.assert_allclose(a[:, :10].sum(axis=1), 1.0, atol=1e-5)


def test_engine_result_independent_of_batch_and_grouping(engine):
    """A window's statistics do not depend on the other windows or on the batch plan."""
    x = _x(9)
    full = engine.statistics(x, 30, seed=2)
    alone = np.concatenate([engine.statistics(x[i : i + 1], 30, seed=2) for i in range(9)])
    np.testing.assert_array_equal(full, alone)
    other = MCDropoutEngine(engine.model, passes_per_batch=7)  # T split into groups of 7
    np.testing.assert_allclose(other.statistics(x, 30, seed=2), full, atol=1e-5)


def test_head_calls_are_padded_to_multiples_of_96_rows_and_keep_the_bits(engine):
    """Head calls are padded to as many windows as make their rows (samples x windows) a
    multiple of 96, not to the full batch (adaptive sampling leaves fewer windows each
    group), and a window's bits do not depend on it."""
    from hyperspy_symmetry.models.mc_dropout import head_call_rows

    big = MCDropoutEngine(engine.model, passes_per_batch=7000)  # up to 224 windows per call
    sizes = []
    head = big._head

    def recording(batch, *masks):
        sizes.append((int(masks[0].shape[0]), int(batch.shape[0])))
        return head(batch, *masks)

    big._head = recording
    x = _x(150, seed=4)
    together = big.statistics(x, 30, seed=2)  # one group of 30 samples: 16 windows = 480 rows
    assert sizes == [(30, 160)]
    sizes.clear()
    alone = np.concatenate([big.statistics(x[i : i + 1], 30, seed=2) for i in range(0, 150, 7)])
    assert set(sizes) == {(30, 16)}
    np.testing.assert_array_equal(together[::7], alone)
    np.testing.assert_array_equal(together, engine.statistics(x, 30, seed=2))  # other calls
    sizes.clear()
    adaptive = big.statistics(x, 30, seed=2, adaptive=True)  # groups of 10: 48 windows
    assert sizes[0] == (10, 192) and all(g == 10 and n % 48 == 0 for g, n in sizes)
    np.testing.assert_array_equal(
        adaptive[::7],
        np.concatenate(
            [big.statistics(x[i : i + 1], 30, seed=2, adaptive=True) for i in range(0, 150, 7)]
        ),
    )
    assert all((g * n) % 96 == 0 for g, n in sizes)
    assert [head_call_rows(n, 192, 10) for n in (1, 48, 49, 500)] == [48, 48, 96, 192]
    assert [head_call_rows(n, 192, 7) for n in (1, 96, 97, 500)] == [96, 96, 192, 192]


def test_single_sample_has_zero_mutual_information(engine):
    s = engine.statistics(_x(3), 1, seed=0)
    np.testing.assert_array_equal(s[:, 11], 0.0)
    np.testing.assert_array_equal(s[:, 12], 0.0)


def test_engine_rejects_network_without_dropout():
    import keras

    net = keras.Sequential(
        [
            keras.Input((64, 64, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    with pytest.raises(ValueError, match="no Dropout"):
        MCDropoutEngine(net)


def test_engine_nan_windows(engine):
    x = _x(3)
    x[1] = np.nan
    s = engine.statistics(x, 5, seed=0)
    assert np.all(np.isnan(s[1])) and np.all(np.isfinite(s[[0, 2]]))


# -- where dropout sits, adaptive sampling, precision (issue 6) ------------------------------


@pytest.fixture(scope="module")
def late_engine():
    import keras

    keras.utils.set_random_seed(2)
    net = aistem_cnn(filters=(4, 4, 4, 4, 2, 2), dense=16, dropout=0.3, dropout_from=5)
    return MCDropoutEngine(net, passes_per_batch=40)


def test_dropout_from_keeps_weights_and_moves_the_first_dropout():
    full = aistem_cnn(filters=(4, 4, 4, 4, 2, 2), dense=16)
    late = aistem_cnn(filters=(4, 4, 4, 4, 2, 2), dense=16, dropout_from=5)
    assert full.count_params() == late.count_params()
    engine = MCDropoutEngine(late)
    assert engine.dropout_layers == ["dropout_conv5", "dropout_conv6", "dropout_dense"]
    assert engine.trunk_shape == (16, 16, 2)  # conv1-5 and both pools run once per window


def test_late_dropout_engine_matches_explicit_networks(late_engine):
    """Only the head after the first dropout is sampled; the trunk runs once, same result."""
    x = _x(4)
    expected = mc_statistics(_explicit_samples(late_engine, x, 5, 7))
    np.testing.assert_allclose(late_engine.statistics(x, 5, 7), expected, atol=2e-5)


# -- Gaussian ("fast") dropout sampling of a convolution's dropout (issue 15) ----------------

GAUSSIAN = dict(
    sampled_layers=["dropout_conv3", "dropout_dense"], gaussian_layers=["dropout_conv3"]
)


@pytest.fixture(scope="module")
def tiny_bravais():
    import keras

    keras.utils.set_random_seed(3)
    return bravais_cnn(filters=(4, 4, 3), dense=8, dropout=0.3)


def _conv3_output(net, x):
    """The third convolution's output, the layers before it in inference mode."""
    import keras

    h = x[..., None]
    for layer in net.layers:
        if not isinstance(layer, keras.layers.Dropout):
            h = np.asarray(layer(h, training=False))
        if layer.name == "conv3":
            return h.astype(np.float64)


def test_gaussian_moments_are_those_of_the_masks(tiny_bravais):
    """The mean and standard deviation of the dense pre-activation that the engine computes
    are those of the masked passes: measured over 20,000 random masks of dropout_conv3."""
    engine = MCDropoutEngine(tiny_bravais, **GAUSSIAN)
    assert engine.gaussian_layers == ["dropout_conv3"] and engine.trunk_shape == (2, 8)
    x = _x(2, seed=4)
    moments = engine.trunk_features(x)
    kernel, bias = tiny_bravais.get_layer("dense").get_weights()
    rate = tiny_bravais.get_layer("dropout_conv3").rate
    rng = np.random.default_rng(0)
    for h, (mean, sd) in zip(_conv3_output(tiny_bravais, x), moments, strict=True):
        z = []
        for _ in range(10):  # 10 x 2,000 masks
            keep = rng.random((2000,) + h.shape) >= rate
            pooled = (h * keep / (1 - rate)).reshape(2000, 32, 2, 32, 2, 3).mean(axis=(2, 4))
            z.append(pooled.reshape(2000, -1) @ kernel + bias)
        z = np.concatenate(z)
        assert np.all(sd > 0)
        np.testing.assert_allclose(mean, z.mean(0), atol=4 * sd.max() / np.sqrt(20000))
        np.testing.assert_allclose(sd, z.std(0), rtol=0.03)


def test_gaussian_engine_matches_explicit_networks(tiny_bravais):
    """Sample t: the dense pre-activation mean + sd * g_t, then the dense layer's activation,
    its dropout masks (the same as when every layer is sampled with masks) and the output."""
    engine = MCDropoutEngine(tiny_bravais, **GAUSSIAN)
    masks = MCDropoutEngine(tiny_bravais)
    x, n_samples, seed = _x(5, seed=5), 7, 2
    draws, keep = engine._keep_masks(seed, n_samples)
    np.testing.assert_array_equal(keep, masks._keep_masks(seed, n_samples)[3])
    assert draws.shape == (n_samples, 8) and abs(draws.mean()) < 1
    mean, sd = engine.trunk_features(x).transpose(1, 0, 2)
    output = tiny_bravais.get_layer("probabilities")
    rate = tiny_bravais.get_layer("dropout_dense").rate
    samples = [
        np.asarray(
            output(np.maximum(mean + sd * draws[t], 0) * keep[t] / (1 - rate), training=False)
        )
        for t in range(n_samples)
    ]
    np.testing.assert_allclose(
        engine.statistics(x, n_samples, seed), mc_statistics(np.array(samples)), atol=2e-5
    )
    # a window's result does not depend on the others in its batch
    np.testing.assert_array_equal(
        engine.statistics(x[2:3], n_samples, seed)[0], engine.statistics(x, n_samples, seed)[2]
    )


def test_gaussian_layers_are_checked(tiny_bravais):
    """Only the first sampled layer, and only with linear layers up to a Dense layer."""
    with pytest.raises(ValueError, match="first sampled dropout layer"):
        MCDropoutEngine(tiny_bravais, gaussian_layers=["dropout_dense"])
    with pytest.raises(ValueError, match="first sampled dropout layer"):
        MCDropoutEngine(tiny_bravais, gaussian_layers=["dropout_conv3"])  # conv1's is first
    # the output layer is a Dense layer too: its logits get the Gaussian
    last = MCDropoutEngine(
        tiny_bravais, sampled_layers=["dropout_dense"], gaussian_layers=["dropout_dense"]
    )
    assert last.trunk_shape == (2, 6)
    np.testing.assert_allclose(last.statistics(_x(2), 5, 0)[:, :6].sum(1), 1, atol=1e-5)
    # a convolution between the dropout and the dense layer is not linear in the masks
    with pytest.raises(ValueError, match="conv3.*Conv2D"):
        MCDropoutEngine(
            tiny_bravais,
            sampled_layers=["dropout_conv2", "dropout_dense"],
            gaussian_layers=["dropout_conv2"],
        )


def test_adaptive_stops_converged_windows_early(late_engine):
    x = _x(30, seed=4)
    exact = late_engine.statistics(x, 60, seed=1)
    stats, counts = late_engine.statistics(
        x, 60, seed=1, adaptive=True, tolerance=0.02, return_counts=True
    )
    assert set(np.unique(counts)) <= set(range(10, 61, 10))
    # Windows that ran to T are the exact mode's result, bit for bit: sample t is one network.
    full = counts == 60
    np.testing.assert_array_equal(stats[full], exact[full])
    # The others stopped because their estimate had settled: within a few tolerances.
    early = ~full
    assert early.any()
    np.testing.assert_array_equal(stats[early, :10].argmax(1), exact[early, :10].argmax(1))
    assert np.all(np.abs(stats[early, 11] - exact[early, 11]) < 4 * 0.02)


def test_adaptive_result_independent_of_the_other_windows(late_engine):
    x = _x(12, seed=5)
    together = late_engine.statistics(x, 40, seed=3, adaptive=True)
    alone = np.concatenate(
        [late_engine.statistics(x[i : i + 1], 40, seed=3, adaptive=True) for i in range(12)]
    )
    np.testing.assert_array_equal(together, alone)


def test_adaptive_needs_fewer_samples_for_certain_windows():
    """A network whose output ignores dropout noise converges at the first check."""
    import keras

    keras.utils.set_random_seed(0)
    net = aistem_cnn(filters=(4, 4, 4, 4, 2, 2), dense=16, dropout=0.01, dropout_from=5)
    w = net.get_layer("probabilities")
    kernel, bias = w.get_weights()
    w.set_weights([kernel * 0, bias * 0 + np.arange(10) * 5.0])  # always class 9, p ~ 1
    stats, counts = MCDropoutEngine(net).statistics(
        _x(8), 100, 0, adaptive=True, return_counts=True
    )
    np.testing.assert_array_equal(counts, 10)
    assert np.all(stats[:, :10].argmax(1) == 9) and np.all(stats[:, 11] < 1e-6)


def test_bfloat16_parity_with_float32():
    """bfloat16 changes the arithmetic, not the answer: classes and MI as in float32."""
    import keras

    keras.utils.set_random_seed(4)
    net = aistem_cnn(filters=(8, 8, 8, 8, 4, 4), dense=32, dropout=0.2, dropout_from=3)
    x = _x(60, seed=6)
    f32 = MCDropoutEngine(net, precision="float32").statistics(x, 30, 0)
    bf16 = MCDropoutEngine(net, precision="bfloat16")
    assert bf16.precision == "bfloat16"
    b = bf16.statistics(x, 30, 0)
    assert np.mean(b[:, :10].argmax(1) == f32[:, :10].argmax(1)) >= 0.95
    np.testing.assert_allclose(b[:, :10], f32[:, :10], atol=0.05)
    assert np.corrcoef(b[:, 11], f32[:, 11])[0, 1] >= 0.95


def test_precision_is_checked():
    from hyperspy_symmetry.models.mc_dropout import resolve_precision

    with pytest.raises(ValueError, match="precision"):
        resolve_precision("float16")
    assert resolve_precision("auto") in ("float32", "bfloat16")
