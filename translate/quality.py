"""Translation quality with sacreBLEU: corpus scores with their signatures, paired bootstrap
significance between systems, and per-document breakdowns.

Scores are sacreBLEU's own (default settings, 13a tokenisation), so they match published ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sejajar.core.errors import json_problem
from sejajar.core.files import InputError, decode
from sejajar.translate.split import split_text
from sejajar.translate.translator import Progress, Translator

# TER is slow and rarely reported for this pair: on request only.
DEFAULT_METRICS = ("BLEU", "chrF")


@dataclass(frozen=True)
class SystemScore:
    name: str
    scores: dict[str, float]
    # Against the first system (paired bootstrap); empty for the first system itself.
    p_values: dict[str, float] = field(default_factory=dict)
    # Bootstrap mean and 95% confidence half-width, where a comparison was made.
    means: dict[str, float] = field(default_factory=dict)
    cis: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class DocumentScore:
    doc_id: str
    lines: int
    scores: tuple[dict[str, float], ...]  # one per system, in system order


@dataclass(frozen=True)
class Evaluation:
    systems: tuple[SystemScore, ...]
    signatures: dict[str, str]
    lines: int
    run_signature: str | None = None
    documents: tuple[DocumentScore, ...] = ()
    bootstrap: int = 0


def translate_lines(
    lines: list[str],
    translator: Translator,
    *,
    resplit: bool = False,
    progress: Callable[[int], Progress] | None = None,
) -> list[str]:
    """Translate a test set: one output line per input line, in order.

    By default each line is one segment, as published scores assume. With ``resplit`` each
    line is run through the article splitter, its sentences (of every kind: test data has no
    boilerplate to set aside) translated, and joined back into one line, which shows what
    sentence splitting does to quality. ``progress`` receives the number of segments to
    translate (with ``resplit``, sentences rather than lines) and returns the callback.
    """
    pieces: list[list[str]] = [
        [s.text for s in split_text(line)] if resplit else ([line.strip()] if line.strip() else [])
        for line in lines
    ]
    flat = [p for group in pieces for p in group]
    results = iter(translator.translate(flat, progress(len(flat)) if progress else None))
    return [" ".join(next(results).text for _ in group) for group in pieces]


def _metric(name: str) -> Any:
    from sacrebleu.metrics.bleu import BLEU
    from sacrebleu.metrics.chrf import CHRF
    from sacrebleu.metrics.ter import TER

    return {"BLEU": BLEU, "chrF": CHRF, "TER": TER}[name]()


def evaluate(
    systems: Sequence[tuple[str, Sequence[str]]],
    references: Sequence[str],
    *,
    metrics: Sequence[str] = DEFAULT_METRICS,
    bootstrap: int = 1000,
    documents: Sequence[tuple[str, Sequence[int]]] = (),
    run_signature: str | None = None,
) -> Evaluation:
    """Score each system against ``references``; with two or more systems, each one after the
    first is compared with it by paired bootstrap resampling (``bootstrap`` resamples).
    ``documents`` are (doc id, 0-based line indices) for per-document scores, worst first."""
    if not references:
        raise InputError("the reference has no lines: nothing to score")
    for name, hyps in systems:
        if len(hyps) != len(references):
            raise InputError(
                f"{name} has {len(hyps)} lines but the reference has {len(references)}"
            )
    scorers = {m: _metric(m) for m in metrics}
    if len(systems) > 1 and bootstrap > 0:
        results, signatures = _paired(systems, references, metrics, bootstrap)
    else:
        results = []
        for name, hyps in systems:
            scores = {
                m: s.corpus_score(list(hyps), [list(references)]).score for m, s in scorers.items()
            }
            results.append(SystemScore(name, scores))
        signatures = {m: str(s.get_signature()) for m, s in scorers.items()}
    return Evaluation(
        systems=tuple(results),
        signatures=signatures,
        lines=len(references),
        run_signature=run_signature,
        documents=_by_document(systems, references, scorers, documents),
        bootstrap=bootstrap if len(systems) > 1 else 0,
    )


def _paired(
    systems: Sequence[tuple[str, Sequence[str]]],
    references: Sequence[str],
    metrics: Sequence[str],
    bootstrap: int,
) -> tuple[list[SystemScore], dict[str, str]]:
    from sacrebleu.significance import PairedTest

    test = PairedTest(
        [(name, list(hyps)) for name, hyps in systems],
        {m: _metric(m) for m in metrics},
        [list(references)],
        test_type="bs",
        n_samples=bootstrap,
    )
    sigs, table = test()
    baseline = list(systems[0][1])
    # The table is keyed by score names ("chrF2" for chrF), in metric order after "System".
    keys = dict(zip(metrics, [k for k in table if k != "System"], strict=True))
    results = []
    for row, (name, _) in enumerate(systems):
        scores: dict[str, float] = {}
        p_values: dict[str, float] = {}
        means: dict[str, float] = {}
        cis: dict[str, float] = {}
        for m in metrics:
            res: Any = table[keys[m]][row]
            # sacreBLEU's bootstrap figures are numpy floats: plain floats for JSON.
            scores[m] = float(res.score)
            if res.mean is not None:
                means[m], cis[m] = float(res.mean), float(res.ci)
            if res.p_value is not None:
                # sacreBLEU counts resamples with a *strictly* larger difference, so a system
                # identical to the baseline (every difference 0) would get p = 1/(n+1) and look
                # significant. Identical outputs cannot differ: p is 1.
                p = 1.0 if list(systems[row][1]) == baseline else res.p_value
                p_values[m] = float(p)
        results.append(SystemScore(name, scores, p_values, means, cis))
    return results, {m: str(sigs[keys[m]]) for m in metrics}


def _by_document(
    systems: Sequence[tuple[str, Sequence[str]]],
    references: Sequence[str],
    scorers: dict[str, Any],
    documents: Sequence[tuple[str, Sequence[int]]],
) -> tuple[DocumentScore, ...]:
    rows = []
    for doc_id, lines in documents:
        refs = [[references[i] for i in lines]]
        per_system = tuple(
            {m: s.corpus_score([hyps[i] for i in lines], refs).score for m, s in scorers.items()}
            for _, hyps in systems
        )
        rows.append(DocumentScore(doc_id, len(lines), per_system))
    first = next(iter(scorers))
    # Worst first by the first metric of the first system; TER is better when lower.
    worst_first = sorted(rows, key=lambda d: d.scores[0][first], reverse=first == "TER")
    return tuple(worst_first)


def read_documents(path: Path, lines: int) -> list[tuple[str, list[int]]]:
    """Documents from a JSONL file of ``{"doc_id": ..., "line_numbers": [1-based, ...]}``
    objects (the TICO-19 docs format), checked against the number of lines."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    documents = []
    for number, raw in enumerate(decode(path.read_bytes(), path).split("\n"), 1):
        if not raw.strip():
            continue
        try:
            doc_id, numbers = _document_record(json.loads(raw))
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            problem = json_problem(exc)
            raise InputError(f"{path}: line {number}: not a document record ({problem})") from exc
        if not numbers:
            raise InputError(
                f"{path}: line {number}: document {doc_id} has no line numbers "
                "(line_numbers is empty)"
            )
        bad = [n for n in numbers if not 1 <= n <= lines]
        if bad:
            raise InputError(
                f"{path}: line {number}: document {doc_id} names line {bad[0]}, outside 1..{lines}"
            )
        documents.append((doc_id, [n - 1 for n in numbers]))
    return documents


def _document_record(record: object) -> tuple[str, list[int]]:
    """``doc_id`` (a string or an integer) and ``line_numbers`` (a list of integers): a
    string of digits is not a list of line numbers (``"12"`` is not lines 1 and 2)."""
    if not isinstance(record, dict):
        raise TypeError(f"expected an object, found {type(record).__name__}")
    doc_id, numbers = record["doc_id"], record["line_numbers"]
    if isinstance(doc_id, bool) or not isinstance(doc_id, str | int):
        raise TypeError(f"doc_id must be a string, not {json.dumps(doc_id)[:40]}")
    lone = re.search("[\ud800-\udfff]", doc_id) if isinstance(doc_id, str) else None
    if lone:  # JSON may escape half a surrogate pair; no output can hold it
        raise ValueError(f"doc_id holds a lone surrogate U+{ord(lone.group()):04X}")
    if not isinstance(numbers, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) for n in numbers
    ):
        raise TypeError(f"line_numbers must be a list of integers, not {json.dumps(numbers)[:40]}")
    return str(doc_id), numbers


def render_table(result: Evaluation) -> str:
    """A plain-text table of systems (with p-values against the first), the signatures, and
    per-document scores when asked for."""
    metrics = list(result.systems[0].scores)
    names = [f"#{i} {s.name}" for i, s in enumerate(result.systems, 1)]
    width = max(len("system"), *map(len, names))
    lines = ["system".ljust(width) + "".join(f"  {m:>24}" for m in metrics)]
    for index, (name, system) in enumerate(zip(names, result.systems, strict=True)):
        cells = []
        for m in metrics:
            cell = f"{system.scores[m]:.2f}"
            if m in system.cis:
                cell += f" ±{system.cis[m]:.2f}"
            if index and m in system.p_values:
                p = system.p_values[m]
                cell += f" p={p:.3f}{'*' if p < 0.05 else ' '}"
            cells.append(f"  {cell:>24}")
        lines.append(name.ljust(width) + "".join(cells))
    lines.append("")
    if result.bootstrap:
        lines.append(
            f"p: paired bootstrap ({result.bootstrap} resamples) against #1;"
            " * = significant at 0.05; ± = 95% confidence interval"
        )
    lines.extend(f"{m} signature: {sig}" for m, sig in result.signatures.items())
    if result.run_signature:
        lines.append(f"sejajar signature: {result.run_signature}")
    if result.documents:
        lines.append("")
        lines.append(f"{metrics[0]} by document, worst first for #1:")
        id_width = max(len("document"), *(len(d.doc_id) for d in result.documents))
        head = "document".ljust(id_width) + "  lines"
        head += "".join(f"  {'#' + str(i):>7}" for i in range(1, len(result.systems) + 1))
        lines.append(head)
        for doc in result.documents:
            row = doc.doc_id.ljust(id_width) + f"  {doc.lines:>5}"
            row += "".join(f"  {s[metrics[0]]:>7.2f}" for s in doc.scores)
            lines.append(row)
    return "\n".join(lines) + "\n"


def render_json(result: Evaluation) -> str:
    return json.dumps(asdict(result), indent=2, ensure_ascii=False) + "\n"
