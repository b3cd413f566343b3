"""Choosing and opening a translator: the engines by name, the settings they are built from,
and a session that loads the model on first use and puts the translation cache in front of it.

Engines are registered by name, as the exporters are: ``ENGINES["ctranslate2"](settings)``.
Nothing heavy is imported here; an engine's loader imports its back-end when it is called.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sejajar.translate.dedup import DEFAULT_CAPACITY, DedupTranslator
from sejajar.translate.marian import DEFAULT_MODEL
from sejajar.translate.translator import Translator, TranslatorError

if TYPE_CHECKING:
    from sejajar.translate.cache import CachingTranslator, TranslationCache


@dataclass(frozen=True)
class ModelSettings:
    """Everything that picks and runs the model."""

    model: str = DEFAULT_MODEL
    beams: int = 4
    batch_size: int = 16
    device: str = "auto"
    engine: str = "transformers"
    quantize: str = "none"
    threads: int | None = None
    # Batches translated in parallel; None: one per core on a CPU (see ``workers.layout``).
    workers: int | None = None
    # Where an engine that converts the model (CTranslate2) keeps the conversion; None: the
    # user cache folder. A session sets it from its cache setting.
    conversions: Path | None = None
    # Time the layouts and matrix kernels this CPU offers at the first load of a model, and
    # keep the fastest (see ``calibrate``); only what ``workers`` and ``threads`` leave open.
    calibrate: bool = True


def _load_transformers(s: ModelSettings) -> Translator:
    from sejajar.translate.marian import load_marian

    return load_marian(
        s.model,
        beams=s.beams,
        batch_size=s.batch_size,
        device=s.device,
        quantize=s.quantize,
        threads=s.threads,
        workers=s.workers,
        calibrate=s.calibrate,
    )


def _load_ctranslate2(s: ModelSettings) -> Translator:
    from sejajar.translate.ct2 import load_ct2

    return load_ct2(
        s.model,
        beams=s.beams,
        batch_size=s.batch_size,
        device=s.device,
        quantize=s.quantize,
        threads=s.threads,
        workers=s.workers,
        cache_root=s.conversions,
    )


ENGINES: dict[str, Callable[[ModelSettings], Translator]] = {
    "transformers": _load_transformers,
    "ctranslate2": _load_ctranslate2,
}


def load_translator(settings: ModelSettings) -> Translator:
    """The translator ``settings`` describe; :class:`TranslatorError` when it cannot be had."""
    loader = ENGINES.get(settings.engine)
    if loader is None:
        raise TranslatorError(
            f"{{engine}} must be one of {', '.join(ENGINES)}, not {settings.engine}"
        )
    return loader(settings)


class TranslatorSession:
    """The translator of a run, loaded on first call (an input that fails never costs a model
    load) and wrapped by the translation cache unless ``cache`` is False.

    ``cache`` is a cache file, True for the default one, or False for none. ``notices`` collects
    what the user should be told (a corrupt cache set aside...). In front of the cache, a
    :class:`DedupTranslator` translates each distinct sentence once in the run (remembering at
    most ``memo_capacity``). A converted model (CTranslate2) follows the cache: kept in
    ``ctranslate2/`` beside the cache file, or, with no cache, in a temporary folder removed at
    :meth:`close`.
    """

    def __init__(
        self,
        settings: ModelSettings,
        cache: Path | bool = True,
        memo_capacity: int = DEFAULT_CAPACITY,
    ) -> None:
        if isinstance(cache, Path) and cache.is_dir():
            raise TranslatorError(f"{{cache}} {cache} is a folder; give the path of a file")
        self.settings = settings
        self.cache_setting = cache
        self.notices: list[str] = []
        self.info: list[str] = []  # what the user is told that is no warning (a calibration)
        self.loaded: Translator | None = None
        self.cache: TranslationCache | None = None
        # Why the cache could not be opened: the run goes on without it.
        self.cache_off: str | None = None
        self._translator: Translator | None = None
        # The run's memory of sentences translated (see ``dedup``), made with the translator.
        self.memo: DedupTranslator | None = None
        self.memo_capacity = memo_capacity
        self.caching: CachingTranslator | None = None
        self._scratch: Path | None = None

    def __call__(self) -> Translator:
        if self._translator is None:
            loaded = self.loaded = load_translator(self._with_conversions())
            note = getattr(loaded, "calibration_note", None)
            if note:
                self.info.append(note)
            cached = self._cached(loaded) if self.cache_setting is not False else loaded
            # Outermost: a sentence met earlier in the run never reaches the cache.
            self._translator = self.memo = DedupTranslator(cached, self.memo_capacity)
        return self._translator

    def _with_conversions(self) -> ModelSettings:
        import dataclasses
        import tempfile

        if self.settings.conversions is not None or self.settings.engine != "ctranslate2":
            return self.settings
        if isinstance(self.cache_setting, Path):
            folder = self.cache_setting.parent / "ctranslate2"
        elif self.cache_setting is False:
            folder = self._scratch = Path(tempfile.mkdtemp(prefix="sejajar-ctranslate2-"))
        else:
            return self.settings
        return dataclasses.replace(self.settings, conversions=folder)

    @property
    def signature(self) -> tuple[tuple[str, str], ...]:
        return self().signature

    def _cached(self, translator: Translator) -> Translator:
        from sejajar.translate.cache import (
            CacheUnavailable,
            CachingTranslator,
            TranslationCache,
            default_cache_path,
        )

        path = self.cache_setting if isinstance(self.cache_setting, Path) else default_cache_path()
        try:
            self.cache = TranslationCache(path)
        except CacheUnavailable as exc:
            # The run goes on uncached: translations are still right, only slower to redo.
            self.cache_off = str(exc)
            self.notices.append(f"{exc}; going on without the cache ({{no_cache}} silences this)")
            return translator
        if self.cache.notice:
            self.notices.append(self.cache.notice)
        self.caching = CachingTranslator(translator, self.cache, warn=self.notices.append)
        return self.caching

    def cache_note(self) -> str:
        """What a run's summary says about a cache that was off, or nothing."""
        if self.caching is not None and self.caching.off:
            return f" (the cache failed and was off for the rest of the run: {self.caching.off})"
        if self.cache_off is not None:
            return " (the cache was off: see the warning above)"
        return ""

    def counts(self, fallback: int = 0) -> tuple[int, int, int]:
        """(sentences translated, served from the cache, repeated in the run: served from the
        run's memory); ``fallback`` translated when the model was never loaded."""
        if self.memo is None:
            return fallback, 0, 0
        if self.caching is not None:
            return self.caching.translated, self.caching.cached, self.memo.repeats
        return self.memo.sent, 0, self.memo.repeats

    def close(self) -> None:
        if self.loaded is not None:
            self.loaded.close()
        if self.cache is not None:
            self.cache.close()
        if self._scratch is not None:
            import shutil

            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None


@contextmanager
def open_translator(
    settings: ModelSettings, cache: Path | bool = True
) -> Iterator[TranslatorSession]:
    """A :class:`TranslatorSession` closed on exit (its worker processes and cache file)."""
    session = TranslatorSession(settings, cache)
    try:
        yield session
    finally:
        session.close()
