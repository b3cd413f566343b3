"""CTranslate2 as calibration's rival (translate/rival.py): at int8 with the package
installed, calibration times it beside the default engine on the same batches; a plan that
chose it runs it and says so in its plan line, the signature (and so the cache's key) names
it, sentences with terms still go to the default engine, and its outputs stay within int8's
tolerance of fp32. Plans kept before (no engine field) still load; without the package,
nothing changes. The choice is forced (``forced``), never left to timing."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from sejajar.translate import calibrate, rival
from sejajar.translate.calibrate import Plan
from sejajar.translate.ct2 import CT2Translator, load_ct2
from sejajar.translate.engines import ModelSettings, load_translator, open_translator
from sejajar.translate.marian import MarianTranslator, load_marian
from sejajar.translate.models import weights_revision
from sejajar.translate.required import missing
from tests.calibrating import TEXTS, forced
from tests.helpers import KONTAN, one_process, run
from tests.test_bf16 import MAX_NATS, MEAN_NATS, teacher_forced

pytestmark = pytest.mark.usefixtures("calibrating")

CT2_PLAN = Plan(1, 1, "fbgemm", "ctranslate2")


def settings(model: Path, **options: Any) -> ModelSettings:
    return ModelSettings(model=str(model), **{"beams": 1, "quantize": "int8", **options})


def key_of(model: Path) -> str:
    return calibrate.plan_key(str(model), weights_revision(model), 1, "int8", 16)


def plan_file(path: Path, model: Path, entry: dict[str, Any]) -> Path:
    path.write_text(json.dumps({key_of(model): entry}), "utf-8")
    return path


def refuse(plans: Sequence[Plan], time_plan: Callable[[Plan], float]) -> Any:
    raise AssertionError("calibrated")


def timing_then(chosen: Plan, timed: list[Plan]) -> Any:
    """A ``fastest`` that times every plan (each one timed added to ``timed``), then
    chooses ``chosen`` where it is among them (the first plan elsewhere)."""
    real = calibrate.fastest

    def choose(plans: Sequence[Plan], time_plan: Callable[[Plan], float]) -> Any:
        _, seconds = real(plans, lambda p: timed.append(p) or time_plan(p))  # type: ignore[func-returns-value]
        return (chosen if chosen in plans else plans[0]), seconds

    return choose


def one_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Calibration with one layout, one worker of one thread: no worker process forked."""
    monkeypatch.setattr(calibrate, "layouts", lambda cores: [(1, 1)])


def test_calibration_times_ctranslate2_and_its_plan_runs_it(
    tiny_model: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_layout(monkeypatch)
    timed: list[Plan] = []
    monkeypatch.setattr(calibrate, "fastest", timing_then(CT2_PLAN, timed))
    loaded = load_translator(settings(tiny_model))
    try:
        assert isinstance(loaded, CT2Translator) and CT2_PLAN in timed
        assert Plan(1, 1, "fbgemm") in timed  # on the same batches as its own layouts
        assert dict(loaded.signature)["engine"] == "ctranslate2"
        note = loaded.calibration_note or ""
        assert "the CTranslate2 engine too" in note and CT2_PLAN.describe() in note
        assert "the CTranslate2 engine, 1 worker(s) x 1 thread(s)" in note
        got = loaded.translate(TEXTS)
    finally:
        loaded.close()
    entry = json.loads((private_cache / "sejajar" / "calibration.json").read_text())
    assert entry[key_of(tiny_model)]["engine"] == "ctranslate2"
    direct = load_ct2(settings(tiny_model, engine="ctranslate2", workers=1, threads=1))
    assert got == direct.translate(TEXTS)
    # The next load reads the plan back, times nothing, and says which engine runs.
    monkeypatch.setattr(calibrate, "fastest", refuse)
    again = load_translator(settings(tiny_model))
    assert isinstance(again, CT2Translator)
    assert again.calibration_note == f"this CPU's plan: {CT2_PLAN.describe()}"
    # Not at bf16 (CTranslate2 has none on a CPU), nor with the engine given otherwise, nor
    # without calibration's layout; a fp32 calibration that kept the default engine runs it.
    monkeypatch.setattr(calibrate, "fastest", forced(Plan(1, 1, "plain"), []))
    assert isinstance(load_translator(settings(tiny_model, quantize="none")), MarianTranslator)
    assert rival.allowed(settings(tiny_model, quantize="none"))
    assert not rival.allowed(settings(tiny_model, quantize="bf16"))
    assert not rival.allowed(settings(tiny_model, rivals=False))
    assert not rival.allowed(settings(tiny_model, engine="ctranslate2"))


def test_at_fp32_too_a_plan_that_chose_ctranslate2_runs_it_with_the_same_outputs(
    tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At fp32 both engines compute the same products: greedy, the same text."""
    one_layout(monkeypatch)
    chosen, timed = Plan(1, 1, "onednn", "ctranslate2"), list[Plan]()
    monkeypatch.setattr(calibrate, "fastest", timing_then(chosen, timed))
    loaded = load_translator(settings(tiny_model, quantize="none"))
    try:
        assert isinstance(loaded, CT2Translator) and chosen in timed
        assert dict(loaded.signature)["quantize"] == "none" and loaded.quantize == "none"
        got = loaded.translate(TEXTS)
    finally:
        loaded.close()
    own = load_marian(one_process(tiny_model, beams=1))
    try:
        assert got == own.translate(TEXTS)
    finally:
        own.close()


def test_the_plan_line_the_signature_and_the_cache_say_which_engine_ran(
    tiny_model: Path, tmp_path: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_layout(monkeypatch)
    monkeypatch.setattr(calibrate, "fastest", forced(CT2_PLAN, []))
    plan = tmp_path / "plan.json"
    base = ["--model", str(tiny_model), "--beams", "1", "--quantize", "int8"]
    code, _out, err = run("calibrate", *base, "--plan", str(plan))
    assert code == 0 and "the CTranslate2 engine, " in err, err
    assert json.loads(plan.read_text())[key_of(tiny_model)]["engine"] == "ctranslate2"
    monkeypatch.setattr(calibrate, "fastest", refuse)
    cache = ["--cache", str(tmp_path / "cache" / "t.sqlite")]
    own = run("translate", str(KONTAN), "--out", str(tmp_path / "a"), *base, *cache,
              "--no-calibrate")  # fmt: skip
    assert own[0] == 0 and "CTranslate2" not in own[2], own[2]
    code, _out, err = run("translate", str(KONTAN), "--out", str(tmp_path / "b"), *base, *cache,
                          "--plan", str(plan), "--format", "jsonl")  # fmt: skip
    assert code == 0, err
    assert f"Plan from {plan}: {CT2_PLAN.describe()}" in err
    assert " 0 from the cache" in err  # the default engine's translations are not CTranslate2's
    (meta,) = (tmp_path / "b").glob("*.meta.json")
    assert "|engine:ctranslate2|" in json.loads(meta.read_text("utf-8"))["signature"]
    assert (tmp_path / "cache" / "ctranslate2").is_dir()  # the conversion follows the cache


def test_sentences_with_terms_still_go_to_the_default_engine(
    tiny_model: Path, tmp_path: Path
) -> None:
    plan = plan_file(tmp_path / "plan.json", tiny_model, {"workers": 2, "threads": 1,
                     "kernels": "fbgemm", "engine": "ctranslate2"})  # fmt: skip
    texts = [TEXTS[0], "Harga beras naik.", TEXTS[2]]
    terms = [["Korea"], [], ["Seoul", "Washington"]]
    with open_translator(settings(tiny_model, plan=plan, calibrate=False), cache=False) as session:
        got = session().translate(texts, terms=terms)
        assert isinstance(session.loaded, CT2Translator)
        assert session.rerouted == 2
    assert all(g.missing_terms == () for g in got)
    assert all(missing(g.text, t) == () for g, t in zip(got, terms, strict=True))


def test_old_plans_load_and_without_the_package_nothing_changes(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = plan_file(tmp_path / "old.json", tiny_model, {"workers": 1, "threads": 1,
                    "kernels": "fbgemm", "seconds": {}, "when": 0})  # fmt: skip
    assert calibrate.stored_plan(key_of(tiny_model), old) == Plan(1, 1, "fbgemm")
    loaded = load_translator(settings(tiny_model, plan=old))
    assert isinstance(loaded, MarianTranslator) and loaded.kernels == "fbgemm"
    bad = plan_file(tmp_path / "bad.json", tiny_model, {"workers": 1, "threads": 1,
                    "kernels": "fbgemm", "engine": "marian-nmt"})  # fmt: skip
    code, _out, err = run("translate", str(KONTAN), "--out", str(tmp_path / "x"), "--model",
                          str(tiny_model), "--beams", "1", "--quantize", "int8", "--plan",
                          str(bad))  # fmt: skip
    assert code == 1 and err.count("\n") == 1 and "damaged" in err, err
    # Without ctranslate2: calibration times the default engine alone, and a plan naming
    # CTranslate2 runs the default engine with its layout and kernels, and says that.
    monkeypatch.setattr(rival, "available", lambda: False)
    ct2 = plan_file(tmp_path / "ct2.json", tiny_model, {"workers": 1, "threads": 1,
                    "kernels": "fbgemm", "engine": "ctranslate2"})  # fmt: skip
    loaded = load_translator(settings(tiny_model, plan=ct2))
    assert isinstance(loaded, MarianTranslator)
    assert loaded.calibration_note == f"plan from {ct2}: 1 worker(s) x 1 thread(s), fbgemm kernels"
    one_layout(monkeypatch)
    seen: list[Sequence[Plan]] = []

    def recording(plans: Sequence[Plan], time_plan: Any) -> Any:
        seen.append(plans)
        return plans[0], {p: 1.0 for p in plans}

    monkeypatch.setattr(calibrate, "fastest", recording)
    assert isinstance(load_translator(settings(tiny_model)), MarianTranslator)
    assert seen and all(p.engine == "transformers" for plans in seen for p in plans)


def test_ctranslate2_int8_stays_within_int8s_tolerance_of_fp32(
    tiny_model: Path, tmp_path: Path
) -> None:
    """The measure of docs/performance.md#bf16 (teacher-forced log-probabilities of fp32's
    greedy outputs), which the default engine's int8 meets too: CTranslate2's int8 scores
    through its own ``score_batch``."""
    texts = list(calibrate.SENTENCES[:6])
    fp32 = load_marian(one_process(tiny_model, beams=1))
    enc = fp32.tokenizer(texts, return_tensors="pt", padding=True)
    fp32.prepare()
    assert fp32._search is not None
    eos = fp32._search.eos
    decoded = fp32._search.run(enc["input_ids"], enc["attention_mask"], [30] * len(texts), 1)
    targets = [d.ids + ([eos] if d.ended else []) for d in decoded]
    reference = teacher_forced(fp32, texts, targets)
    own = teacher_forced(load_marian(one_process(tiny_model, beams=1, quantize="int8")), texts,
                         targets)  # fmt: skip
    ct2 = load_ct2(settings(tiny_model, engine="ctranslate2", conversions=tmp_path, workers=1))
    tokens = ct2.tokenizer.convert_ids_to_tokens
    scored = ct2.translator.score_batch(
        [tokens(ct2.tokenizer(t)["input_ids"]) for t in texts],
        [tokens([i for i in t if i != eos]) for t in targets],  # it adds the end itself
    )
    theirs = [list(s.log_probs)[: len(t)] for s, t in zip(scored, targets, strict=True)]
    for found in (own, theirs):
        gaps = [abs(a - b) for r, f in zip(reference, found, strict=True)
                for a, b in zip(r, f, strict=True)]  # fmt: skip
        assert len(gaps) == sum(len(t) for t in targets) > 0
        assert sum(gaps) / len(gaps) <= MEAN_NATS and max(gaps) <= MAX_NATS, gaps
