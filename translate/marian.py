"""MarianMT through transformers: loading a hub id or a local folder, and batched generation.

torch and transformers are imported inside the functions that need them, so importing this
module (and ``sejajar --help``) stays fast.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal

from sejajar.core.text import fold
from sejajar.translate.benchmarking import BenchmarkOptions
from sejajar.translate.models import (
    hub_local_only,
    hub_revision,
    local_folder,
    quiet_transformers,
    resolved,
    unavailable_message,
    weights_revision,
)
from sejajar.translate.pages import release_checkpoint_pages
from sejajar.translate.translator import (
    Terms,
    Translation,
    Translator,
    TranslatorError,
    output_cap,
)

if TYPE_CHECKING:
    from sejajar.translate.calibrate import Plan
    from sejajar.translate.decode import MarianSearch
    from sejajar.translate.engines import ModelSettings
    from sejajar.translate.plans import Bake
    from sejajar.translate.required import Speller
    from sejajar.translate.workers import WorkerPool

log = logging.getLogger(__name__)

# What each fp32 kernel choice asks of the search's linear layers: all through oneDNN, none, or
# the output projection only.
_FP32_ONEDNN: dict[str, bool | Literal["output"]] = {
    "onednn": True,
    "plain": False,
    "mixed": "output",
}


class MarianTranslatorBase(Translator):
    """What every engine running a Marian model shares: its tokenizer and its signature."""

    engine = "transformers"
    tokenizer: Any
    name: str
    revision: str
    beams: int
    quantize: str
    # Benchmarks only (see :mod:`benchmarking`); None in every normal run.
    benchmark: BenchmarkOptions | None = None

    @property
    def signature(self) -> tuple[tuple[str, str], ...]:
        return (
            ("model", self.name),
            ("rev", self.revision),
            ("engine", self.engine),
            ("quantize", self.quantize),
            ("beams", str(self.beams)),
            ("cap", "2n+16"),
        )

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, truncation=False)["input_ids"])

    def _caps(self, source_tokens: Sequence[int], limit: int) -> list[int]:
        """Each output's cap in tokens (end-of-sentence included) for sources of these
        lengths; ``limit`` is what the decoder can hold. A benchmark's forced length instead."""
        if self.benchmark is not None:
            return [self.benchmark.forced_length] * len(source_tokens)
        return [output_cap(n, limit) for n in source_tokens]

    def _min_tokens(self) -> int:
        """Tokens before which end-of-sentence is forbidden: none, except in benchmarks."""
        return 0 if self.benchmark is None else self.benchmark.forced_length

    def _finish(self, ids: list[int], ended: bool, cap: int) -> Translation:
        """One output: its token ids before end-of-sentence, whether it ended, and its cap.
        A batch runs to its longest cap, so a sentence with a smaller cap is cut to its own;
        one that reached it, or never ended, hit the cap."""
        kept = ids[:cap]
        text = self.tokenizer.decode(kept, skip_special_tokens=True)
        return Translation(fold(text), not ended or len(ids) >= cap)


class MarianTranslator(MarianTranslatorBase):
    """A loaded MarianMT model and tokenizer. Build it with :func:`load_marian`."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        name: str,
        revision: str,
        beams: int,
        batch_size: int,
        device: str,
        quantize: str,
        kernels: str,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.name = name
        self.revision = revision
        self.beams = beams
        self.batch_size = batch_size
        self.device = device
        self.quantize = quantize
        self.max_input_tokens = int(getattr(tokenizer, "model_max_length", 512) or 512)
        self.max_input_tokens = min(self.max_input_tokens, model.config.max_position_embeddings)
        self._search: MarianSearch | None = None
        self._use_generate = False  # the model's generation config is beyond our search
        self.pool: WorkerPool | None = None
        # The fp32 or bf16 matrix kernels ("onednn", "plain", or "mixed": oneDNN for the
        # output projection, torch's own products for the rest), or the int8 engine the model
        # was quantised with ("fbgemm" or "onednn"); see :mod:`calibrate`.
        self.kernels = kernels
        # The plan line, to tell the user once: what a calibration at load chose, a plan file's
        # plan, or the default plan of a short job; None for this machine's cached plan.
        self.calibration_note: str | None = None
        # A plan file that had no plan for this load, ignored (see :mod:`plans`); the plan
        # this load runs, when it had one (a CTranslate2 plan: see :mod:`rival`).
        self.plan_warning: str | None = None
        self.plan: Plan | None = None
        # The CTranslate2 engine a calibration timed and chose, for :func:`rival.instead`.
        self.rival: MarianTranslatorBase | None = None
        self._speller: Speller | None = None  # terms as target token ids, made when needed

    def prepare(self) -> None:
        """Set up the search (weights reordered for the fast path) before any worker forks.
        A generation config the search does not implement leaves ``model.generate`` to do it."""
        from sejajar.translate.decode import MarianSearch, UnsupportedSettings

        if self._search is not None:  # another search on the model may hold bf16 weights otherwise
            self._search.linear.settle()
        elif not self._use_generate:
            try:
                # int8: the quantised layers are not oneDNN's, whatever the flag; bf16 chooses
                # its kernels as fp32 does.
                fp = self.quantize in ("none", "bf16")
                onednn = _FP32_ONEDNN.get(self.kernels, False) if fp else True
                self._search = MarianSearch(self.model, onednn=onednn)
            except UnsupportedSettings as exc:
                log.debug("translating with model.generate: %s", exc)
                self._use_generate = True
                return
            self._search.prepare()
            # With oneDNN's kernels most of the checkpoint's mapped pages are now copies the
            # search never reads; with the mixed or plain ones the layers still read from the
            # mapping come back on first use (once per process).
            release_checkpoint_pages()

    def start_workers(self, workers: int, threads: int) -> None:
        """Translate from now on in ``workers`` forked processes of ``threads`` threads each."""
        from sejajar.translate.workers import WorkerPool

        self.prepare()
        self.pool = WorkerPool(self, workers, threads)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    def _batch_limit(self, count: int) -> int:
        if self.pool is None:
            return self.batch_size
        # Enough batches to keep every worker busy, however few the pieces.
        return max(1, min(self.batch_size, -(-count // self.pool.workers)))

    def _generate_batches(
        self, batches: list[list[str]], terms: list[list[tuple[str, ...]]] | None = None
    ) -> Iterator[tuple[int, list[Translation]]]:
        if self.pool is None:
            return super()._generate_batches(batches, terms)
        return self.pool.run(batches, terms)

    def generate(self, texts: Sequence[str]) -> list[Translation]:
        return self._generate(texts, None)

    def generate_terms(self, texts: Sequence[str], terms: Terms) -> list[Translation]:
        """Translate one batch whose outputs hold their terms, by constrained search (see
        :mod:`constraints`). A term the target vocabulary cannot spell, or a model the search
        does not run (``model.generate`` instead), is not placed: ``translate`` reports it."""
        self.prepare()
        if self._search is None:
            return self._generate(texts, None)
        if self._speller is None:
            from sejajar.translate.required import Speller

            self._speller = Speller(self.tokenizer, int(self.model.final_logits_bias.shape[-1]))
        return self._generate(texts, self._speller.constraints(terms))

    def _generate(
        self, texts: Sequence[str], constraints: list[list[list[int]]] | None
    ) -> list[Translation]:
        self.prepare()
        enc = self.tokenizer(list(texts), return_tensors="pt", padding=True, truncation=False)
        # The decoder start token takes one of the model's positions.
        limit = self.model.config.max_position_embeddings - 1
        caps = self._caps([int(n) for n in enc["attention_mask"].sum(dim=1)], limit)
        enc = enc.to(self.device)
        args = (enc["input_ids"], enc["attention_mask"], caps, self.beams, self._min_tokens())
        if self._search is None:
            from sejajar.translate.fallback import generate

            decoded = generate(self.model, *args)
        elif constraints is not None and any(constraints):
            joins = self._speller.joins if self._speller is not None else None
            decoded = self._search.run(*args, constraints=constraints, joins=joins)
        else:
            decoded = self._search.run(*args)
        return [self._finish(d.ids, d.ended, cap) for d, cap in zip(decoded, caps, strict=True)]

    def n_best_ids(self, text: str, width: int, count: int) -> list[list[int]]:
        """Token ids of the ``count`` best outputs of a ``width``-beam search of ``text``, by
        transformers' ``generate`` in this process (see :mod:`alternatives`)."""
        import torch

        enc = self.tokenizer([text], return_tensors="pt", truncation=True).to(self.device)
        limit = self.model.config.max_position_embeddings - 1
        (cap,) = self._caps([int(enc["attention_mask"].sum())], limit)
        with torch.inference_mode():
            out = self.model.generate(
                **enc, num_beams=width, num_return_sequences=count, max_new_tokens=cap,
                do_sample=False,
            )  # fmt: skip
        return [row[1:] for row in out.tolist()]  # after the decoder start token


def load_marian(
    settings: ModelSettings, bake: Bake | None = None, *, rival: bool = False
) -> MarianTranslator:
    """Load the MarianMT model of ``settings`` from a local folder or a hub id (cached,
    ``HF_HUB_OFFLINE`` and ``HF_HOME`` respected). Raises :class:`TranslatorError` with a fix
    when it cannot.

    ``workers`` processes translate batches in parallel with ``threads`` threads each (call
    :meth:`MarianTranslator.close` to end them); ``workers=None`` picks the layout, one
    single-threaded worker per core on a CPU (see :func:`workers.layout`). With ``calibrate``
    and the layout left open on a CPU, the layout and matrix kernels are those a short
    calibration found fastest on this machine, or those of a plan file, or the default plan for
    a job too short to repay a calibration (see :mod:`plans`); ``bake``: calibrate whatever is
    kept, and keep the plan where it says (``sejajar calibrate``). ``rival``: a CTranslate2 plan
    is the caller's to run (:func:`rival.instead`): no workers start, calibration's engine kept."""
    from sejajar.translate import calibrate as calibration
    from sejajar.translate import plans
    from sejajar.translate.cpu import bf16_refusal
    from sejajar.translate.workers import layout, usable_cores

    name, quantize, batch_size = settings.model, settings.quantize, settings.batch_size
    workers, threads = settings.workers, settings.threads
    folder = local_folder(name)
    resolved_device = resolved(settings.device)
    if quantize != "none" and resolved_device != "cpu":
        raise TranslatorError(f"{{quantize}} {quantize} runs on the CPU only; use {{device}} cpu")
    refusal = bf16_refusal("transformers") if quantize == "bf16" else None
    if refusal:
        raise TranslatorError(refusal)
    if resolved_device != "cpu" and workers not in (None, 1):
        raise TranslatorError("{workers} runs on the CPU only; use {device} cpu")
    if bake is not None and (resolved_device != "cpu" or workers or threads):
        raise TranslatorError(
            "sejajar calibrate times CPU layouts: {device} cpu, without {workers} or {threads}"
        )
    calibrating = bake is not None or (
        settings.calibrate and calibration.enabled() and resolved_device == "cpu"
        and workers is None and threads is None
    )  # fmt: skip
    workers, threads = layout(workers, threads, resolved_device)
    import torch

    # With workers, this process only hands out batches: one thread, and no idle thread pool
    # for the forks to inherit.
    torch.set_num_threads(1 if workers > 1 else threads)
    quiet_transformers()
    from transformers import MarianMTModel, MarianTokenizer

    from sejajar.translate.bf16 import to_bf16
    from sejajar.translate.int8 import quantized

    source = str(folder) if folder else name
    local_only = folder is not None or hub_local_only(name)
    try:
        tokenizer: Any = MarianTokenizer.from_pretrained(source, local_files_only=local_only)
        model: Any = MarianMTModel.from_pretrained(source, local_files_only=local_only)
    except Exception as exc:  # transformers raises OSError, ValueError or hub errors
        raise TranslatorError(unavailable_message(name, folder, exc)) from exc
    model.to(resolved_device).eval()
    revision = weights_revision(folder) if folder else hub_revision(model)

    if quantize == "bf16":
        to_bf16(model)  # in place: the fp32 weights go, whatever the kernels

    def build(kernels: str) -> MarianTranslator:
        return MarianTranslator(
            quantized(model, kernels) if quantize == "int8" else model,
            tokenizer,
            name=name,
            revision=revision,
            beams=settings.beams,
            batch_size=batch_size,
            device=resolved_device,
            quantize=quantize,
            kernels=kernels,
        )

    key = calibration.plan_key(name, revision, settings.beams, quantize, batch_size)
    if calibrating:
        plan, translator = plans.planned(build, settings, key, usable_cores(), bake)
        workers, threads = plan.workers, plan.threads
        translator.plan = plan
    else:  # no timing; a plan file still gives its plan, or with the layout given its kernels
        baked = plans.baked(settings, key) if resolved_device == "cpu" else plans.Choice(None)
        translator = build(baked.plan.kernels if baked.plan else calibration.KERNELS[quantize][0])
        if baked.plan and settings.workers is None and settings.threads is None:
            workers, threads = baked.plan.workers, baked.plan.threads
            translator.calibration_note, translator.plan = baked.note, baked.plan
        elif baked.plan:
            translator.calibration_note = f"kernels from {settings.plan}: {baked.plan.kernels}"
        translator.plan_warning = baked.warning
    torch.set_num_threads(1 if workers > 1 else threads)
    if rival and translator.plan is not None and translator.plan.engine == "ctranslate2":
        return translator
    translator.rival = None  # calibration's CTranslate2 engine goes before any worker forks
    if workers > 1:
        translator.start_workers(workers, threads)
    return translator
