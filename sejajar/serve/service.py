"""The service's model and what a request's text becomes: one :class:`TranslatorSession` (the
model, the cache and the run's memory of repeats, as a ``sejajar translate`` run has), the
shared queue in front of it, and the steps from a request's text to translations or records.

Splitting, pairing and aligning run in a thread of their own (off the event loop), the model
in the queue's model thread."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from functools import partial

from sejajar.align.pipeline import align_documents, pair_translations, to_translate
from sejajar.core import language
from sejajar.core.errors import SejajarError
from sejajar.core.files import article_text
from sejajar.core.records import Document, ParallelDocument, Signature, run_signature
from sejajar.serve.batcher import SharedBatcher
from sejajar.serve.lanes import lanes, one_thread, thread_lanes
from sejajar.serve.metrics import Metrics
from sejajar.serve.passages import Markup, passage, rebuild
from sejajar.serve.settings import ServeSettings
from sejajar.translate.engines import TranslatorSession
from sejajar.translate.glossary import signed
from sejajar.translate.rules import EN_RULES, ID_RULES
from sejajar.translate.split import split_document, splitter_id
from sejajar.translate.translator import Translation

log = logging.getLogger("sejajar.serve")


class Service:
    """The model behind the app. :meth:`load` (before serving, outside the event loop) loads
    the model in the model thread; :meth:`start` and :meth:`stop` run the queue on the event
    loop; :meth:`close` ends the model's workers and the cache. ``threads``: lanes to run as
    threads of this process instead of worker processes (a Ray Serve replica's CPUs)."""

    def __init__(
        self, session: TranslatorSession, settings: ServeSettings, threads: int = 0
    ) -> None:
        self.session = session
        self.threads = threads
        self.settings = settings
        self.foreign = settings.foreign
        self.metrics = Metrics()
        self.lanes = [session]
        self.batcher = SharedBatcher(
            partial(self._work, session),
            self.metrics,
            limit=settings.queue_size,
            wait=settings.batch_wait_ms / 1000,
        )
        self.signature: Signature = ()
        self.model_name = session.settings.model
        self.loaded = False

    def load(self) -> None:
        """Load the model (raises :class:`TranslatorError`); what the user should be told
        stays in the session's ``info`` and ``notices``."""
        translator = self.batcher.call(self.session)
        language.load()  # every request asks it (foreign sentences, /detect, source=auto)
        self.signature = translator.signature
        if self.threads > 1:
            self.lanes = self.batcher.call(thread_lanes, self.session, self.threads)
        else:
            self.lanes = self.batcher.call(lanes, self.session)
        if len(self.lanes) > 1:  # a lane per worker: a full batch starts a lane's call
            self.batcher.set_lanes([partial(self._work, lane) for lane in self.lanes])
            if self.threads > 1:  # lanes in this process: one torch thread each
                for lane in range(len(self.lanes)):
                    self.batcher.call(one_thread, lane=lane)
            self.batcher.fill, self.batcher.most = translator.batch_size, 2 * translator.batch_size
        else:  # one call for every worker: enough for each to have a batch
            pool = getattr(self.session.loaded, "pool", None)
            workers = pool.workers if pool is not None else 1
            self.batcher.fill = translator.batch_size * workers
            self.batcher.most = max(64, 4 * self.batcher.fill)
        self.loaded = True

    def start(self) -> None:
        self.batcher.start()

    async def stop(self) -> None:
        await self.batcher.stop()

    def close(self) -> None:
        try:  # each lane's cache connection is closed in the thread that opened it
            for lane, session in enumerate(self.lanes):
                self.batcher.call(session.close, lane=lane)
            if self.session not in self.lanes:
                self.batcher.call(self.session.close)
        finally:
            self.batcher.shutdown()

    def _work(self, session: TranslatorSession, texts: list[str]) -> list[Translation]:
        """In a lane's thread: one call to the model for a batch of requests' sentences."""
        translator = session()
        self.metrics.sentences.inc(len(texts))
        tokenizer = getattr(session.loaded, "tokenizer", None)
        if tokenizer is not None:
            self.metrics.tokens.inc(sum(map(len, tokenizer(texts)["input_ids"])))
        done = translator.translate(texts)
        counts = [lane.counts() for lane in self.lanes]
        self.metrics.counts((sum(c[0] for c in counts), sum(c[1] for c in counts),
                             sum(c[2] for c in counts)))  # fmt: skip
        for notice in session.notices:  # the cache failed and is off, say
            log.warning(json.dumps({"warning": str(SejajarError(notice))}))
        session.notices.clear()
        return done

    async def n_best(self, sentences: list[str], count: int) -> list[list[str]]:
        """The model's ``count`` best translations of each sentence, in the model thread."""
        from sejajar.translate.alternatives import n_best

        return await self.batcher.run(n_best, self.session(), sentences, count)

    # LibreTranslate's texts.
    async def translate_texts(
        self, texts: Sequence[str], html: bool, alternatives: int = 0
    ) -> tuple[list[str], list[list[str]]]:
        """Each text translated (plain, or the text nodes of HTML markup) and, when asked, up
        to ``alternatives`` other translations of each. Raises ``ValueError`` for markup that
        cannot be read, :class:`TranslatorError` when the model fails."""
        units = await asyncio.to_thread(_split_texts, texts, html)
        docs = [doc for _, passages in units for doc in passages]
        # What the model gets: every sentence but the foreign ones (as --foreign says).
        chosen = await asyncio.to_thread(lambda: [set(to_translate(d, True, self.foreign))
                                                  for d in docs])  # fmt: skip
        sentences = [segment.text for doc, picked in zip(docs, chosen, strict=True)
                     for i, segment in enumerate(doc.segments) if i in picked]  # fmt: skip
        done = iter(t.text for t in await self.batcher.translate(sentences))
        choices: list[list[str]] = []
        asked: list[list[str]] = []  # the choices of the translated sentences
        for doc, picked in zip(docs, chosen, strict=True):
            for i, segment in enumerate(doc.segments):
                if i in picked:
                    choices.append([next(done)])
                    asked.append(choices[-1])
                else:  # foreign: copied as it is, or left out
                    choices.append([segment.text if self.foreign == "keep" else ""])
        if alternatives:
            best = await self.n_best(sentences, alternatives + 1)
            for choice, found in zip(asked, best, strict=True):
                choice += [text for text in found if text != choice[0]][:alternatives]
        results = _join(units, choices, 0)
        others = [_join(units, choices, n) for n in range(1, alternatives + 1)]
        return results, [[other[i] for other in others if other[i] != results[i]]
                         for i in range(len(texts))]  # fmt: skip

    # sejajar's own records.
    async def translate_article(
        self, text: str, name: str, keep_boilerplate: bool = False
    ) -> ParallelDocument:
        """An article as ``sejajar translate`` reads, splits and translates it."""
        doc = await asyncio.to_thread(lambda: split_document(name, article_text(text)))
        chosen = to_translate(doc, keep_boilerplate, self.foreign)
        done = await self.batcher.translate([doc.segments[i].text for i in chosen])
        signature = run_signature(splitter_id(), *self.signature)
        results = dict(zip(chosen, done, strict=True))
        glossary = self.session.glossary
        return await asyncio.to_thread(
            partial(pair_translations, glossary=glossary, foreign=self.foreign),
            doc, results, signature,
        )  # fmt: skip

    async def align_articles(
        self, source: str, target: str, name: str, bridge: bool = True, monotone: bool = False
    ) -> ParallelDocument:
        """An article and its English version paired as ``sejajar align`` pairs them, with the
        model's translations as the bridge (or none)."""

        def read() -> tuple[Document, Document]:
            return (
                split_document(name, article_text(source), ID_RULES),
                split_document(name, article_text(target), EN_RULES),
            )

        src, tgt = await asyncio.to_thread(read)
        splitter = f"{splitter_id(ID_RULES)}/{splitter_id(EN_RULES)}"
        lines: list[str] | None = None
        settings: Signature = (("bridge", "none"),)
        if bridge:
            done = await self.batcher.translate([s.text for s in src.segments])
            lines, settings = [t.text for t in done], self.signature
        glossary = self.session.glossary
        signature = run_signature(splitter, *signed(settings, glossary))
        return await asyncio.to_thread(
            align_documents, src, tgt, lines, signature, monotone, glossary
        )


Unit = tuple[Markup | None, list[Document]]


def _split_texts(texts: Sequence[str], html: bool) -> list[Unit]:
    """Each text's passages: itself, or its markup's text nodes."""
    units: list[Unit] = []
    for text in texts:
        if html:
            markup = Markup(text)
            units.append((markup, markup.passages))
        else:
            units.append((None, [passage(text)]))
    return units


def _join(units: list[Unit], choices: list[list[str]], n: int) -> list[str]:
    """Each text rebuilt from its segments' ``n``-th choice (the best where there is none)."""
    picked = iter(choice[n] if n < len(choice) else choice[0] for choice in choices)
    results = []
    for markup, passages in units:
        texts = [rebuild(doc, [next(picked) for _ in doc.segments]) for doc in passages]
        results.append(markup.render(texts) if markup is not None else texts[0])
    return results
