"""The ``sejajar`` command: a thin layer over the library. Library errors become one
``Error: ...`` line on stderr and a non-zero exit, never a traceback.

Exit codes: 0 success, 1 an input or the job failed, 2 a usage error, 130 Ctrl-C, 143 SIGTERM.
"""

from __future__ import annotations

import signal
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from align.records import render_signature
from translate import __version__
from translate.marian import DEFAULT_MODEL
from translate.translator import Progress, Translator, TranslatorError

if TYPE_CHECKING:
    from translate.cache import TranslationCache

app = typer.Typer(
    name="sejajar",
    help="Indonesian news articles into reviewed English parallel text.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Device(str, Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sejajar {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Indonesian news articles into reviewed English parallel text."""


ModelOption = Annotated[
    str,
    typer.Option(
        "--model",
        envvar="SEJAJAR_MODEL",
        help="Hugging Face hub id or local model folder.",
        show_default=True,
    ),
]
BeamsOption = Annotated[int, typer.Option("--beams", min=1, help="Beam size (1 = greedy).")]
BatchOption = Annotated[int, typer.Option("--batch-size", min=1, help="Sentences per batch.")]
DeviceOption = Annotated[Device, typer.Option("--device", help="Where the model runs.")]


class EngineName(str, Enum):
    transformers = "transformers"
    ctranslate2 = "ctranslate2"


class Quantize(str, Enum):
    none = "none"
    int8 = "int8"


EngineOption = Annotated[
    EngineName, typer.Option("--engine", help="transformers, or ctranslate2 (faster; extra).")
]
QuantizeOption = Annotated[
    Quantize, typer.Option("--quantize", help="int8: about 3x faster on a CPU, slightly worse.")
]
ThreadsOption = Annotated[
    int | None, typer.Option("--threads", min=1, help="Threads per worker [default: auto].")
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers", min=1, help="Batches translated in parallel [default: one per core]."
    ),
]


@dataclass(frozen=True)
class ModelSettings:
    """Everything that picks and runs the model, as the command line gave it."""

    model: str
    beams: int
    batch_size: int
    device: Device
    engine: EngineName = EngineName.transformers
    quantize: Quantize = Quantize.none
    threads: int | None = None
    workers: int | None = None


CacheOption = Annotated[
    Path | None,
    typer.Option("--cache", help="Translation cache file [default: user cache folder]."),
]
NoCacheOption = Annotated[bool, typer.Option("--no-cache", help="Do not read or write the cache.")]


class Engine:
    """The translator of a run, built on first use (inputs that fail never load a model),
    wrapped by the translation cache unless it is off; errors end the run cleanly."""

    def __init__(
        self, settings: ModelSettings, cache_path: Path | None = None, use_cache: bool = True
    ) -> None:
        self.settings = settings
        self.cache_path = cache_path
        self.use_cache = use_cache
        self.translator: Translator | None = None
        self.loaded: Translator | None = None
        self.cache: TranslationCache | None = None

    def __call__(self) -> Translator:
        if self.translator is None:
            try:
                loaded = self.loaded = self._load()
            except TranslatorError as exc:
                fail(str(exc))
            self.translator = self._cached(loaded) if self.use_cache else loaded
        return self.translator

    def _load(self) -> Translator:
        m = self.settings
        if m.engine is EngineName.ctranslate2:
            from translate.ct2 import load_ct2

            return load_ct2(
                m.model,
                beams=m.beams,
                batch_size=m.batch_size,
                device=m.device.value,
                quantize=m.quantize.value,
                threads=m.threads,
                workers=m.workers,
            )
        from translate.marian import load_marian

        return load_marian(
            m.model,
            beams=m.beams,
            batch_size=m.batch_size,
            device=m.device.value,
            quantize=m.quantize.value,
            threads=m.threads,
            workers=m.workers,
        )

    def _cached(self, translator: Translator) -> Translator:
        from translate.cache import CachingTranslator, TranslationCache, default_cache_path

        path = self.cache_path or default_cache_path()
        try:
            self.cache = TranslationCache(path)
        except (OSError, sqlite3.Error) as exc:
            fail(f"cannot use the cache {path}: {exc}; pass --cache PATH or --no-cache")
        if self.cache.notice:
            typer.echo(f"Warning: {self.cache.notice}", err=True)
        return CachingTranslator(translator, self.cache)

    def counts(self, fallback: int) -> tuple[int, int]:
        """(sentences translated, served from the cache); ``fallback`` when uncached."""
        from translate.cache import CachingTranslator

        if isinstance(self.translator, CachingTranslator):
            return self.translator.translated, self.translator.cached
        return fallback, 0

    def close(self) -> None:
        if self.loaded is not None:
            self.loaded.close()
        if self.cache is not None:
            self.cache.close()


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int], Progress]]:
    """Hands out per-document progress callbacks drawing a bar on stderr when it is a
    terminal; in pipes and logs there is no bar and no noise."""
    bars = []

    def start(total: int) -> Progress:
        if not sys.stderr.isatty():
            return lambda done: None
        bar = typer.progressbar(length=total, label=label, file=sys.stderr)
        bar.__enter__()
        bars.append(bar)
        return bar.update

    try:
        yield start
    finally:
        for bar in bars:
            bar.__exit__(None, None, None)


def parse_formats(value: str) -> list[str]:
    from align.export import FORMATS

    formats = [f.strip() for f in value.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        fail(
            f"--format: unknown format {', '.join(unknown) or '(none)'}; choose from "
            f"{', '.join(FORMATS)}",
            2,
        )
    return list(dict.fromkeys(formats))


@app.command()
def translate(
    inputs: Annotated[list[Path], typer.Argument(help="Article .txt files or folders of them.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("."),
    model: ModelOption = DEFAULT_MODEL,
    beams: BeamsOption = 4,
    batch_size: BatchOption = 16,
    device: DeviceOption = Device.auto,
    engine_name: EngineOption = EngineName.transformers,
    quantize: QuantizeOption = Quantize.none,
    threads: ThreadsOption = None,
    workers: WorkersOption = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing outputs.")] = False,
    keep_boilerplate: Annotated[
        bool, typer.Option("--keep-boilerplate", help="Translate boilerplate and bylines too.")
    ] = False,
    format: Annotated[
        str, typer.Option("--format", help="Comma list of output formats.")
    ] = "tsv,html",
    skip_existing: Annotated[
        bool,
        typer.Option("--skip-existing", help="Skip inputs whose outputs all exist (resume)."),
    ] = False,
    cache: CacheOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Translate articles sentence by sentence into NAME.tsv and NAME.html under --out."""
    from translate.jobs import JobError, check_outputs, expand_inputs, translate_file

    formats = parse_formats(format)
    sources = expand_inputs(inputs)
    if not sources:
        fail("no .txt files found in the given folders")
    if out.exists() and not out.is_dir():
        fail(f"--out {out} is a file, not a folder")
    if force and skip_existing:
        fail("--force and --skip-existing exclude each other", 2)
    try:
        todo = check_outputs(sources, out, formats, force, skip_existing)
    except JobError as exc:
        fail(str(exc))
    engine = Engine(
        ModelSettings(model, beams, batch_size, device, engine_name, quantize, threads, workers),
        cache,
        not no_cache,
    )
    failed = sentences = 0
    try:
        for source in todo:
            with progress_bar(source.name) as progress:
                outcome = translate_file(
                    source,
                    out,
                    engine,
                    formats=formats,
                    keep_boilerplate=keep_boilerplate,
                    progress=progress,
                )
            if outcome.error:
                failed += 1
                typer.echo(f"Error: {outcome.error}", err=True)
                continue
            sentences += outcome.translated
            typer.echo(f"{source} -> {', '.join(map(str, outcome.outputs))}")
    finally:
        engine.close()
    translated, cached = engine.counts(sentences)
    typer.echo(
        f"{len(sources)} inputs: {len(todo) - failed} done, {len(sources) - len(todo)} skipped, "
        f"{failed} failed; {translated} sentences translated, {cached} from the cache",
        err=True,
    )
    if failed:
        fail(f"{failed} of {len(sources)} inputs failed")


@app.command()
def align(
    source: Annotated[Path, typer.Argument(help="The Indonesian article.")],
    target: Annotated[Path, typer.Argument(help="An English version of it.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("."),
    presplit: Annotated[
        bool, typer.Option("--presplit", help="Both files hold one segment per line already.")
    ] = False,
    bridge: Annotated[
        Path | None,
        typer.Option("--bridge", help="Ready translations of the source segments, one a line."),
    ] = None,
    no_bridge: Annotated[
        bool, typer.Option("--no-bridge", help="Align on length and anchors only, no model.")
    ] = False,
    monotone: Annotated[
        bool, typer.Option("--monotone", help="Keep links in order: no moved blocks.")
    ] = False,
    model: ModelOption = DEFAULT_MODEL,
    beams: BeamsOption = 4,
    batch_size: BatchOption = 16,
    device: DeviceOption = Device.auto,
    engine_name: EngineOption = EngineName.transformers,
    quantize: QuantizeOption = Quantize.none,
    threads: ThreadsOption = None,
    workers: WorkersOption = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing outputs.")] = False,
    format: Annotated[
        str, typer.Option("--format", help="Comma list of output formats.")
    ] = "tsv,html,beads",
    cache: CacheOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Pair an Indonesian article with an English version sentence by sentence."""
    from align.pipeline import align_documents
    from translate.evaluate import read_lines
    from translate.files import InputError
    from translate.jobs import JobError, check_outputs, load_document, write_outputs
    from translate.rules import EN_RULES
    from translate.split import SPLITTER_VERSION

    formats = parse_formats(format)
    if bridge is not None and no_bridge:
        fail("--bridge and --no-bridge exclude each other", 2)
    try:
        check_outputs([source], out, formats, force)
        src = load_document(source, presplit=presplit)
        tgt = load_document(target, EN_RULES, presplit=presplit)
        splitter = "presplit" if presplit else f"id-{SPLITTER_VERSION}/en-{SPLITTER_VERSION}"
        signature: tuple[tuple[str, str], ...] = (("sejajar", __version__), ("splitter", splitter))
        texts = [s.text for s in src.segments]
        if bridge is not None:
            lines = read_lines(bridge)
            if len(lines) != len(texts):
                raise InputError(
                    f"{bridge} has {len(lines)} lines but {source} has {len(texts)} segments"
                    + ("" if presplit else " (with --presplit, one per non-empty line)")
                )
            signature += (("bridge", f"file:{bridge.name}"),)
        elif no_bridge:
            lines = None
            signature += (("bridge", "none"),)
        else:
            engine = Engine(
                ModelSettings(
                    model, beams, batch_size, device, engine_name, quantize, threads, workers
                ),
                cache,
                not no_cache,
            )
            try:
                with progress_bar(source.name) as progress:
                    lines = [t.text for t in engine().translate(texts, progress(len(texts)))]
            finally:
                engine.close()
            signature += engine().signature
        doc = align_documents(src, tgt, lines, signature, monotone)
        outputs = write_outputs(doc, source, out, formats)
    except (InputError, JobError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write to {out}: {exc.strerror or exc}")
    typer.echo(f"{source} + {target} -> {', '.join(map(str, outputs))}")


@app.command("score-align")
def score_align(
    gold: Annotated[Path, typer.Argument(help="Gold alignment, bead format.")],
    predicted: Annotated[Path, typer.Argument(help="Predicted alignment, bead format.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Strict and lax precision, recall and F1 of an alignment against a gold one, and
    link-level figures (which also score moved, out-of-order links)."""
    import json
    from dataclasses import asdict

    from align.beads import link_scores, parse_beads, score_alignments
    from translate.files import InputError, read_article

    try:
        pairs = []
        for path in (gold, predicted):
            try:
                pairs.append(parse_beads(read_article(path)))
            except ValueError as exc:
                raise InputError(f"{path}: {exc}") from exc
    except InputError as exc:
        fail(str(exc))
    score = score_alignments([(pairs[0], pairs[1])])
    link = link_scores([(pairs[0], pairs[1])])
    if json_output:
        figures = asdict(score) | {f"link_{k}": v for k, v in asdict(link).items()}
        typer.echo(json.dumps(figures, indent=2))
    else:
        typer.echo(score.render() + link.render(), nl=False)


@app.command("apply-review")
def apply_review(
    review: Annotated[Path, typer.Argument(help="Decisions exported from the HTML page.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("."),
    format: Annotated[str, typer.Option("--format", help="Comma list: tsv, tmx.")] = "tsv,tmx",
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing outputs.")] = False,
) -> None:
    """Keep the accepted pairs of a review (edits applied) as clean TSV and TMX."""
    from align.review import (
        ReviewError,
        parse_review,
        render_accepted_tmx,
        render_accepted_tsv,
        review_name,
    )
    from translate.files import InputError, read_article, write_atomic

    renderers = {"tsv": render_accepted_tsv, "tmx": render_accepted_tmx}
    formats = [f.strip() for f in format.split(",") if f.strip()]
    if not formats or any(f not in renderers for f in formats):
        fail(f"--format: choose from {', '.join(renderers)}", 2)
    name = review_name(review)
    paths = {f: out / f"{name}.accepted.{f}" for f in formats}
    existing = [p for p in paths.values() if p.exists()]
    if existing and not force:
        fail(f"{existing[0]} exists; use --force to overwrite")
    try:
        decisions = parse_review(read_article(review), jsonl=review.suffix == ".jsonl")
    except InputError as exc:
        fail(str(exc))
    except ReviewError as exc:
        fail(f"{review}: {exc}")
    rendered = {f: renderers[f](decisions) for f in formats}
    try:
        for f, path in paths.items():
            write_atomic(path, rendered[f])
    except OSError as exc:
        fail(f"cannot write to {out}: {exc.strerror or exc}")
    counts = {d: sum(1 for x in decisions if x.decision == d) for d in ("accepted", "rejected")}
    edited = sum(1 for x in decisions if x.decision == "accepted" and x.edited)
    pending = len(decisions) - counts["accepted"] - counts["rejected"]
    typer.echo(
        f"{len(decisions)} pairs: {counts['accepted']} accepted ({edited} edited), "
        f"{counts['rejected']} rejected, {pending} pending -> "
        + ", ".join(map(str, paths.values()))
    )


@app.command()
def split(
    file: Annotated[Path, typer.Argument(help="An article .txt file.")],
    kinds: Annotated[
        bool, typer.Option("--kinds", help="Prefix each segment with its kind.")
    ] = False,
) -> None:
    """Print the article's segments one per line, as the translator will see them."""
    from translate.files import InputError
    from translate.jobs import load_document

    try:
        doc = load_document(file)
    except InputError as exc:
        fail(str(exc))
    for segment in doc.segments:
        typer.echo(f"{segment.kind.value}\t{segment.text}" if kinds else segment.text)


@app.command()
def evaluate(
    ref: Annotated[Path, typer.Option("--ref", help="Reference translation, one segment a line.")],
    hyp: Annotated[
        list[Path] | None,
        typer.Option(
            "--hyp", help="A system's output (repeat to compare; the first is the baseline)."
        ),
    ] = None,
    src: Annotated[
        Path | None,
        typer.Option("--src", help="Source lines to translate with --model, then score."),
    ] = None,
    model: ModelOption = DEFAULT_MODEL,
    beams: BeamsOption = 4,
    batch_size: BatchOption = 16,
    device: DeviceOption = Device.auto,
    engine_name: EngineOption = EngineName.transformers,
    quantize: QuantizeOption = Quantize.none,
    threads: ThreadsOption = None,
    workers: WorkersOption = None,
    resplit: Annotated[
        bool, typer.Option("--resplit", help="With --src: split each line into sentences first.")
    ] = False,
    ter: Annotated[bool, typer.Option("--ter", help="Add TER.")] = False,
    by_doc: Annotated[
        Path | None, typer.Option("--by-doc", help="JSONL of documents: per-document scores.")
    ] = None,
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", min=0, help="Paired bootstrap resamples (0: no test).")
    ] = 1000,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    cache: CacheOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Score translations with sacreBLEU (BLEU, chrF, optionally TER), compare systems."""
    from translate.evaluate import (
        DEFAULT_METRICS,
        read_documents,
        read_lines,
        render_json,
        render_table,
    )
    from translate.evaluate import evaluate as run_evaluation
    from translate.files import InputError
    from translate.pipeline import run_signature, translate_lines

    if not hyp and src is None:
        fail("give --hyp FILE (an existing output) or --src FILE (translate it first)", 2)
    if resplit and src is None:
        fail("--resplit goes with --src", 2)
    try:
        references = read_lines(ref)
        systems = [(str(path), read_lines(path)) for path in hyp or []]
        signature = None
        if src is not None:
            sources = read_lines(src)
            if len(sources) != len(references):
                raise InputError(
                    f"{src} has {len(sources)} lines but the reference has {len(references)}"
                )
            engine = Engine(
                ModelSettings(
                    model, beams, batch_size, device, engine_name, quantize, threads, workers
                ),
                cache,
                not no_cache,
            )
            try:
                with progress_bar(src.name) as progress:
                    output = translate_lines(sources, engine(), resplit=resplit, progress=progress)
            finally:
                engine.close()
            signature = run_signature(engine(), resplit="yes" if resplit else "no")
            systems.append((f"sejajar:{model}", output))
        documents = read_documents(by_doc, len(references)) if by_doc else []
        result = run_evaluation(
            systems,
            references,
            metrics=(*DEFAULT_METRICS, "TER") if ter else DEFAULT_METRICS,
            bootstrap=bootstrap,
            documents=documents,
            run_signature=render_signature(signature) if signature else None,
        )
    except InputError as exc:
        fail(str(exc))
    typer.echo(render_json(result) if json_output else render_table(result), nl=False)


class Interrupted(BaseException):
    """Ctrl-C or SIGTERM, raised where the program is so that pending temporary files are
    cleaned up. Not a KeyboardInterrupt: click would swallow that one silently."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _interrupt(signum: int, frame: object) -> None:
    raise Interrupted(signum)


def main() -> None:
    """Entry point. Ctrl-C and SIGTERM end cleanly (exit 130 and 143): every output already
    written is complete, the one being written is not left half-done. A bug still ends in one
    line (SEJAJAR_DEBUG=1 shows the traceback)."""
    import os

    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        app()
    except Interrupted as stop:
        what = "interrupted" if stop.signum == signal.SIGINT else "terminated"
        typer.echo(f"Error: {what}; outputs written so far are complete", err=True)
        sys.exit(128 + stop.signum)
    except Exception as exc:
        if os.environ.get("SEJAJAR_DEBUG") == "1":
            raise
        typer.echo(
            f"Error: unexpected {type(exc).__name__}: {exc} (a bug in sejajar; "
            "SEJAJAR_DEBUG=1 shows where)",
            err=True,
        )
        sys.exit(1)
