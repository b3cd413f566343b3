"""The CTranslate2 engine (``pip install sejajar[ct2]``): the same model, converted once with
CTranslate2's own converter into a cache folder, then translated by CTranslate2.

Splitting, length caps, flags and outputs are the base class's, as for the default engine;
on the same weights, greedy and fp32, both engines give the same text (tested).

CTranslate2 cannot place required terms in its outputs (it has no positive lexical
constraints): the sentences with terms are translated by the default engine, loaded from the
same model with the same settings when the first such sentence comes, and counted in
``rerouted``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sejajar.core.folders import user_cache_folder
from sejajar.translate.cpu import bf16_refusal
from sejajar.translate.marian import MarianTranslatorBase
from sejajar.translate.models import folder_revision, model_folder
from sejajar.translate.pieces import load_tokenizer
from sejajar.translate.translator import Translation, Translator, TranslatorError
from sejajar.translate.workers import layout

if TYPE_CHECKING:
    from sejajar.translate.engines import ModelSettings

_EOS = "</s>"


class CT2Translator(MarianTranslatorBase):
    engine = "ctranslate2"

    def __init__(
        self,
        translator: Any,
        tokenizer: Any,
        *,
        name: str,
        revision: str,
        beams: int,
        batch_size: int,
        quantize: str,
        max_positions: int,
        settings: ModelSettings | None,
    ) -> None:
        self.translator = translator
        self.tokenizer = tokenizer
        self.name = name
        self.revision = revision
        self.beams = beams
        self.batch_size = batch_size
        self.quantize = quantize
        self.max_positions = max_positions
        self.max_input_tokens = min(512, max_positions)
        # Token ids of the texts counted for this run, so that each is tokenised once (the
        # tokenizer is about 4% of a run at greedy int8).
        self._ids: dict[str, list[int]] = {}
        # What the default engine is loaded from when sentences with terms come (see above).
        self.settings = settings
        self._default: Translator | None = None
        # Or what gives it: the one a calibration built, when its plan chose this engine (see
        # :mod:`rival`), and that plan's line and warning.
        self.own: Callable[[], Translator] | None = None
        self.calibration_note: str | None = None
        self.plan_warning: str | None = None
        self.rerouted = 0  # sentences with terms the default engine translated

    def count_tokens(self, text: str) -> int:
        ids = self._ids.get(text)
        if ids is None:
            ids = self._ids[text] = self.tokenizer(text, truncation=False)["input_ids"]
        return len(ids)

    def generate(self, texts: Sequence[str]) -> list[Translation]:
        return self._translate(list(texts), max_batch_size=0)

    def _run(
        self,
        pieces: list[str],
        finished: Callable[[list[int]], None],
        terms: list[tuple[str, ...]] | None = None,
    ) -> list[Translation]:
        # CTranslate2 sorts by length, batches, and runs batches on its worker threads itself.
        wanted = terms or [()] * len(pieces)
        plain = [i for i, t in enumerate(wanted) if not t]
        placing = [i for i, t in enumerate(wanted) if t]
        results: list[Translation | None] = [None] * len(pieces)
        try:
            texts = [pieces[i] for i in plain]
            for i, done in zip(plain, self._translate(texts, self.batch_size), strict=True):
                results[i] = done
        finally:
            self._ids.clear()
        if placing:
            default = self.default_engine()
            texts, its_terms = [pieces[i] for i in placing], [wanted[i] for i in placing]
            for i, done in zip(placing, default.translate(texts, terms=its_terms), strict=True):
                results[i] = done
            self.rerouted += len(placing)
        finished(list(range(len(pieces))))
        return [r for r in results if r is not None]

    def default_engine(self) -> Translator:
        """The default engine on the same model and settings, for sentences with terms."""
        if self._default is None and self.own is not None:
            self._default = self.own()
        if self._default is None:
            import dataclasses

            from sejajar.translate.marian import load_marian

            if self.settings is None:
                raise TranslatorError("CTranslate2 cannot place terms, and no settings were given")
            settings = dataclasses.replace(
                self.settings, engine="transformers", calibrate=False, rivals=False
            )
            self._default = load_marian(settings)
        return self._default

    def close(self) -> None:
        if self._default is not None:
            self._default.close()

    def _translate(self, texts: list[str], max_batch_size: int) -> list[Translation]:
        """Translate ``texts`` in length-sorted batches of ``max_batch_size`` (0: as one batch),
        each run to its own longest cap: CTranslate2 takes one ``max_decoding_length`` per
        call, so one call for all would run every batch to the longest sentence's cap. The
        batches are submitted together, asynchronously, so its worker threads run them in
        parallel."""
        ids = [self._ids.get(t) or self.tokenizer(t)["input_ids"] for t in texts]
        tokens = [self.tokenizer.convert_ids_to_tokens(i) for i in ids]
        caps = self._caps([len(t) for t in tokens], self.max_positions - 1)
        # By cap, then by source length (caps tie when a benchmark forces them), so that each
        # batch holds similar lengths, as CTranslate2's own batching sorts them.
        order = sorted(range(len(texts)), key=lambda i: (-caps[i], -len(tokens[i]), i))
        groups = _groups(order, caps, max_batch_size or len(texts) or 1)
        pending = []
        for group in groups:
            options: dict[str, Any] = {
                "beam_size": self.beams,
                "max_decoding_length": max(caps[i] for i in group),
                "return_end_token": True,
                "min_decoding_length": self._min_tokens(),
                "max_batch_size": 0,
                "asynchronous": True,
            }
            pending.append(self.translator.translate_batch([tokens[i] for i in group], **options))
        results: list[Any] = [None] * len(texts)
        for group, waiting in zip(groups, pending, strict=True):
            for i, result in zip(group, waiting, strict=True):
                results[i] = result.result()
        out = []
        for result, cap in zip(results, caps, strict=True):
            hyp = list(result.hypotheses[0])
            ended = bool(hyp) and hyp[-1] == _EOS
            if ended:
                hyp.pop()
            out.append(self._finish(self.tokenizer.convert_tokens_to_ids(hyp), ended, cap))
        return out

    def n_best_ids(self, text: str, width: int, count: int) -> list[list[int]]:
        """Token ids of the ``count`` best outputs of a ``width``-beam search of ``text`` (see
        :mod:`alternatives`)."""
        tokens = self.tokenizer.convert_ids_to_tokens(self.tokenizer(text)["input_ids"])
        (cap,) = self._caps([len(tokens)], self.max_positions - 1)
        (result,) = self.translator.translate_batch(
            [tokens], beam_size=width, num_hypotheses=count, max_decoding_length=cap
        )
        return [self.tokenizer.convert_tokens_to_ids(list(h)) for h in result.hypotheses]


# A batch holds sentences whose caps lie within this ratio of its largest: an output that never
# ends runs to its batch's largest cap, not its own (CTranslate2 takes one per call), so a long
# sentence's cap among short ones' made each of them run 2-4x its own. With the real model's
# random weights (nothing ends), 20 sentences at beam 4 took 96 s against the default engine's
# 19 s, one 135-token source setting a 286-step cap for 16 of them.
CAP_SPREAD = 1.5


def _groups(order: list[int], caps: list[int], size: int) -> list[list[int]]:
    """``order`` (largest cap first) in batches of at most ``size`` whose smallest cap is
    within :data:`CAP_SPREAD` of their largest."""
    groups: list[list[int]] = []
    for i in order:
        group = groups[-1] if groups else None
        if group is None or len(group) >= size or caps[i] * CAP_SPREAD < caps[group[0]]:
            groups.append([i])
        else:
            group.append(i)
    return groups


def load_ct2(settings: ModelSettings) -> CT2Translator:
    """Convert the model of ``settings`` (hub id or folder) once into ``settings.conversions``
    (None: the user cache folder), then load it.

    ``workers`` batches run in parallel with ``threads`` threads each; by default one worker
    per core with one thread each, the layout that wins for batch work on a CPU.
    """
    if settings.quantize == "bf16":
        raise TranslatorError(str(bf16_refusal("ctranslate2")))
    try:
        import ctranslate2
    except ImportError as exc:
        raise TranslatorError(
            "{engine} ctranslate2 needs the ctranslate2 package: pip install 'sejajar[ct2]'"
        ) from exc
    name, quantize, device = settings.model, settings.quantize, settings.device

    folder = model_folder(name)
    revision = folder_revision(folder)
    target = _converted(folder, revision, quantize, settings.conversions)
    resolved = "cuda" if device == "cuda" or (device == "auto" and _has_cuda()) else "cpu"
    # The default engine's layout: one single-threaded worker per usable core (the affinity
    # mask) by default, one process of N threads for --threads N alone.
    inter, intra = layout(settings.workers, settings.threads, resolved)
    compute = {"none": "float32", "int8": "int8"}[quantize]  # bf16 was refused above
    try:
        translator = ctranslate2.Translator(
            str(target),
            device=resolved,
            compute_type=compute,
            inter_threads=inter,
            intra_threads=intra,
        )
    except (RuntimeError, ValueError) as exc:
        raise TranslatorError(f"CTranslate2 cannot load {target}: {exc}") from exc
    return CT2Translator(
        translator,
        load_tokenizer(folder),  # without transformers where the folder allows (see pieces)
        name=name,
        revision=revision,
        beams=settings.beams,
        batch_size=settings.batch_size,
        quantize=quantize,
        max_positions=_max_positions(folder),
        settings=settings,
    )


def _max_positions(folder: Path) -> int:
    """The model's ``max_position_embeddings``, read from its config.json (MarianConfig's
    default where it has none; the folder was checked to hold one)."""
    try:
        config = json.loads((folder / "config.json").read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise TranslatorError(f"cannot read {folder / 'config.json'}: {exc}") from exc
    return int(config.get("max_position_embeddings", 1024)) if isinstance(config, dict) else 1024


def _has_cuda() -> bool:
    import ctranslate2

    return int(ctranslate2.get_cuda_device_count()) > 0


def _converted(folder: Path, revision: str, quantize: str, cache_root: Path | None) -> Path:
    """The converted model, made once per revision and quantisation. Conversion writes to a
    temporary folder renamed into place, so concurrent runs never see half a model."""
    root = cache_root or user_cache_folder() / "ctranslate2"
    target = root / f"{revision.replace(':', '-')}-{quantize}"
    if (target / "model.bin").exists():
        return target
    from ctranslate2.converters import TransformersConverter

    from sejajar.translate.models import quiet_transformers

    quiet_transformers()
    root.mkdir(parents=True, exist_ok=True)
    _remove_stale_conversions(root)
    work = Path(tempfile.mkdtemp(dir=root, prefix=".converting-"))
    try:
        converter = TransformersConverter(str(folder))
        converter.convert(
            str(work / "model"), quantization=None if quantize == "none" else quantize, force=True
        )
        try:
            (work / "model").rename(target)
        except OSError:
            if not (target / "model.bin").exists():  # another run may have won the race
                raise
    except Exception as exc:  # the converter raises anything from transformers or torch
        raise TranslatorError(f"cannot convert {folder} for CTranslate2: {exc}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def _remove_stale_conversions(root: Path) -> None:
    """Remove the ``.converting-*`` folders of killed runs: nothing in them written for
    :data:`STALE_SECONDS` (a live conversion keeps writing its files)."""
    import time

    from sejajar.core.files import STALE_SECONDS

    cutoff = time.time() - STALE_SECONDS
    for work in root.glob(".converting-*"):
        try:
            newest = max(p.stat().st_mtime for p in [work, *work.rglob("*")])
        except (OSError, ValueError):
            continue
        if newest < cutoff:
            shutil.rmtree(work, ignore_errors=True)
