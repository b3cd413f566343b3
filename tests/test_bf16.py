"""``--quantize bf16``: refused with one line where the CPU lacks native bf16 and with
CTranslate2; elsewhere calibrated and keyed like the other precisions, and close to fp32 by
the measure docs/performance.md#bf16 states: the log-probabilities fp32's own greedy outputs
get, teacher-forced, differ from fp32's by at most ``MEAN_NATS`` on average and ``MAX_NATS``
on any token, on the tiny model and on the real architecture.

The CPU's flags are simulated (``cpu.cpuinfo``), so every test runs on any CPU: where it has
no bf16, torch emulates it, slowly but with the same numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from sejajar.translate import calibrate, cpu
from sejajar.translate.calibrate import Plan
from sejajar.translate.engines import ModelSettings
from sejajar.translate.marian import MarianTranslator, load_marian
from tests.calibrating import TEXTS, forced, load
from tests.helpers import KONTAN, one_process, run

# The tolerance (docs/performance.md#bf16), in nats of log-probability per target token.
MEAN_NATS = 0.02
MAX_NATS = 0.05
NO_BF16 = "AMD EPYC 7B13", frozenset({"fpu", "fma", "f16c", "avx2", "avx512f"})
REFUSED = (
    "Error: --quantize bf16 needs a CPU with avx512_bf16 or amx_bf16 and this one (AMD EPYC "
    "7B13) has neither (bf16 emulated would be slower than fp32); use --quantize int8 or "
    "--quantize none\n"
)


@pytest.fixture
def bf16_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """This CPU, said to have AMX's bf16 (emulated by torch where it has not)."""
    name, flags = cpu.cpuinfo()
    monkeypatch.setattr(cpu, "cpuinfo", lambda: (name, flags | {"amx_tile", "amx_bf16"}))


def translate_args(model: Path, out: Path, *extra: str) -> list[str]:
    return ["translate", str(KONTAN), "--out", str(out), "--model", str(model), *extra]


def test_a_cpu_without_bf16_is_refused_in_one_line_and_nothing_is_written(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cpu, "cpuinfo", lambda: NO_BF16)
    out = tmp_path / "out"
    code, _, err = run(*translate_args(tiny_model, out, "--quantize", "bf16"))
    assert (code, err) == (1, REFUSED)
    assert not out.exists() or not any(out.iterdir())
    # Either bf16 extension is enough.
    for flag in cpu.BF16_FLAGS:
        monkeypatch.setattr(cpu, "cpuinfo", lambda flag=flag: (NO_BF16[0], {*NO_BF16[1], flag}))
        assert cpu.has_bf16() and cpu.bf16_refusal("transformers") is None


def test_ctranslate2_refuses_bf16_on_any_cpu(
    tiny_model: Path, tmp_path: Path, bf16_cpu: None
) -> None:
    out = tmp_path / "out"
    code, _, err = run(
        *translate_args(tiny_model, out, "--engine", "ctranslate2", "--quantize", "bf16")
    )
    assert code == 1
    assert err == (
        "Error: --engine ctranslate2 has no bf16 on a CPU; use --quantize int8 or --quantize "
        "none, or the default engine\n"
    )
    assert not out.exists() or not any(out.iterdir())


def test_the_linear_layers_are_bf16_and_the_rest_fp32(tiny_model: Path, bf16_cpu: None) -> None:
    import torch

    from sejajar.translate.bf16 import Bf16Linear

    translator = load_marian(one_process(tiny_model, quantize="bf16"))
    model = translator.model
    assert not any(type(m) is torch.nn.Linear for m in model.modules())
    layers = [m for m in model.modules() if isinstance(m, Bf16Linear)]
    assert layers and all(m.weight.dtype == torch.bfloat16 for m in layers)
    others = [p for m in model.modules() if not isinstance(m, Bf16Linear)
              for p in m.parameters(recurse=False)]  # fmt: skip
    assert others and all(p.dtype == torch.float32 for p in others)  # norms, embeddings
    assert model.final_logits_bias.dtype == torch.float32
    assert dict(translator.signature)["quantize"] == "bf16"
    assert all(t.text for t in translator.translate(TEXTS))


def test_each_bf16_weight_is_held_once_as_each_translators_kernels_want_it(
    tiny_model: Path, bf16_cpu: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """oneDNN's reordered copy of a layer run at every step replaces its plain bf16 weight
    (one copy, not both: bf16's peak memory stays under fp32's); another translator on the
    same model (calibration's other kernels) holds the weights its way while it runs, and
    the first gets them back, with the same outputs. Handing pages back runs no ldconfig."""
    import copy
    import ctypes.util

    import torch

    from sejajar.translate.bf16 import Bf16Linear
    from sejajar.translate.onednn import onednn_works

    if not onednn_works(torch.bfloat16):
        pytest.skip("this torch build has no working oneDNN bf16 linear ops")
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: pytest.fail("ldconfig"))
    onednn = load_marian(one_process(tiny_model, beams=1, quantize="bf16"))
    first = onednn.translate(TEXTS)
    model = onednn.model
    decoder = model.model.decoder.modules()
    stepped = [model.lm_head, *(m for m in decoder if isinstance(m, Bf16Linear))]
    once = [m for m in model.model.encoder.modules() if isinstance(m, Bf16Linear)]
    assert once and all(m.weight.is_mkldnn for m in stepped)
    assert not any(m.weight.is_mkldnn for m in once)
    plain = copy.copy(onednn)
    plain._search, plain.kernels = None, "plain"
    plain_out = plain.translate(TEXTS)
    assert not any(m.weight.is_mkldnn for m in [*stepped, *once])
    assert onednn.translate(TEXTS) == first and all(m.weight.is_mkldnn for m in stepped)
    assert plain.translate(TEXTS) == plain_out and all(t.text for t in plain_out)


def test_the_command_translates_in_bf16_and_its_outputs_say_so(
    tiny_model: Path, tmp_path: Path, bf16_cpu: None
) -> None:
    out = tmp_path / "out"
    code, _, err = run(*translate_args(tiny_model, out, "--quantize", "bf16", "--beams", "2"))
    assert code == 0, err
    rows = (out / f"{KONTAN.stem}.tsv").read_text("utf-8").splitlines()
    assert len(rows) > 1 and all(row.split("\t")[-1] for row in rows[1:])
    page = (out / f"{KONTAN.stem}.html").read_text("utf-8")
    assert "engine:transformers|quantize:bf16|beams:2" in page


def test_bf16_is_calibrated_and_keyed_as_bf16(
    tiny_model: Path, private_cache: Path, bf16_cpu: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from sejajar.translate.models import weights_revision

    monkeypatch.setenv("SEJAJAR_CALIBRATE", "1")
    assert calibrate.kernels("bf16") in (list(calibrate.KERNELS["bf16"]), ["plain"])
    calls: list[int] = []
    monkeypatch.setattr(calibrate, "fastest", forced(Plan(1, 1, "mixed"), calls))
    translator = load(tiny_model, quantize="bf16")
    assert calls and translator.kernels == "mixed"
    note = translator.calibration_note or ""
    assert note.endswith(": 1 worker(s) x 1 thread(s), mixed kernels"), note
    key = calibrate.plan_key(str(tiny_model), weights_revision(tiny_model), 1, "bf16", 16)
    assert key.endswith("quantize=bf16 batch=16") and "amx_bf16" in key
    plans = json.loads((private_cache / "sejajar" / "calibration.json").read_text())
    assert set(plans) == {key} and plans[key]["kernels"] == "mixed"
    # The next load reads the plan back.
    monkeypatch.setattr(calibrate, "fastest", forced(Plan(2, 1, "plain"), calls))
    assert load(tiny_model, quantize="bf16").kernels == "mixed" and len(calls) == 1


# -- quality ---------------------------------------------------------------------------------


def teacher_forced(
    translator: MarianTranslator, texts: list[str], targets: list[list[int]]
) -> list[list[float]]:
    """The log-probability of each target token (end-of-sentence included) after the ones
    before it, through the translator's own search (its kernels)."""
    import torch

    from sejajar.translate.search_state import State

    translator.prepare()
    search = translator._search
    assert search is not None
    enc = translator.tokenizer(texts, return_tensors="pt", padding=True)
    longest = max(len(t) for t in targets)
    scores: list[list[float]] = [[] for _ in texts]
    with torch.inference_mode():
        attention = enc["attention_mask"]
        mask = None if bool(attention.all()) else attention.bool()[:, None, None, :]
        state = State(
            search, search._encode(enc["input_ids"], mask), mask, [longest] * len(texts), 1
        )
        tokens = torch.full((len(texts),), search.start, dtype=torch.long)
        for step in range(longest):
            log_probs = torch.log_softmax(search.logits(state, tokens, step), dim=-1)
            chosen = [t[step] if step < len(t) else search.eos for t in targets]
            for row, target in enumerate(targets):
                if step < len(target):
                    scores[row].append(float(log_probs[row, chosen[row]]))
            tokens = torch.tensor(chosen)
    return scores


def differences(model: Path, texts: list[str], kernels: str) -> list[float]:
    """|bf16 - fp32| of every teacher-forced token log-probability of fp32's greedy outputs."""
    fp32 = load_marian(one_process(model, beams=1))
    enc = fp32.tokenizer(texts, return_tensors="pt", padding=True)
    fp32.prepare()
    assert fp32._search is not None
    decoded = fp32._search.run(enc["input_ids"], enc["attention_mask"], [30] * len(texts), 1)
    targets = [d.ids + ([fp32._search.eos] if d.ended else []) for d in decoded]
    bf16 = load_marian(one_process(model, beams=1, quantize="bf16"))
    bf16.kernels = kernels
    pairs = zip(
        teacher_forced(fp32, texts, targets), teacher_forced(bf16, texts, targets), strict=True
    )
    found = [abs(a - b) for ours, theirs in pairs for a, b in zip(ours, theirs, strict=True)]
    assert len(found) == sum(len(t) for t in targets) > 0
    return found


def within_tolerance(found: list[float]) -> None:
    assert max(found) > 0  # bf16 did round something
    assert sum(found) / len(found) <= MEAN_NATS and max(found) <= MAX_NATS, (
        f"mean {sum(found) / len(found):.4f}, max {max(found):.4f} nats"
    )


@pytest.mark.parametrize("kernels", calibrate.KERNELS["bf16"])
def test_bf16_stays_close_to_fp32_on_the_tiny_model(
    tiny_model: Path, bf16_cpu: None, kernels: str
) -> None:
    within_tolerance(differences(tiny_model, list(calibrate.SENTENCES[:6]), kernels))


@pytest.mark.shared
@pytest.mark.slow  # two loads of the full-size model
def test_bf16_stays_close_to_fp32_on_the_real_architecture(
    full_model: Path, bf16_cpu: None
) -> None:
    within_tolerance(differences(full_model, list(calibrate.SENTENCES[:6]), "onednn"))


def test_settings_take_bf16() -> None:
    assert ModelSettings(quantize="bf16").quantize == "bf16"
