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

from sejajar.core.settings import About, check_all, declared, setting
from sejajar.translate.dedup import DEFAULT_CAPACITY, DedupTranslator
from sejajar.translate.translator import Translator, TranslatorError

if TYPE_CHECKING:
    from sejajar.translate.cache import CachingTranslator, TranslationCache
    from sejajar.translate.glossary import Glossary

DEFAULT_MODEL = "Helsinki-NLP/opus-mt-id-en"


# The engines by name (registered below, once the settings they take are defined); the
# settings' choice of engine is one of them.
ENGINES: dict[str, Callable[[ModelSettings], Translator]] = {}


@dataclass(frozen=True)
class ModelSettings:
    """Everything that picks and runs the model: each setting's default, description and rule,
    declared once. The front ends build their options from these (see :func:`user_settings`);
    an invalid value is refused here, with a :class:`TranslatorError` naming the setting."""

    model: str = setting(
        DEFAULT_MODEL, About("Hugging Face hub id or local model folder.", envvar="SEJAJAR_MODEL")
    )
    beams: int = setting(4, About("Beam size (1 = greedy).", least=1))
    batch_size: int = setting(16, About("Sentences per batch.", least=1))
    device: str = setting("auto", About("Where the model runs.", choices=("auto", "cpu", "cuda")))
    engine: str = setting(
        "transformers",
        About(
            "transformers, or ctranslate2 (faster; extra). Left out, an int8 calibration may "
            "pick CTranslate2 where it is faster; given, it is kept.",
            choices=ENGINES,
        ),
    )
    quantize: str = setting(
        "none",
        About(
            "int8: faster on a CPU, slightly worse; bf16: near fp32, faster on a CPU with "
            "avx512_bf16 or AMX (refused elsewhere).",
            choices=("none", "int8", "bf16"),
        ),
    )
    threads: int | None = setting(None, About("Threads per worker.", least=1, unset="auto"))
    # Batches translated in parallel; None: one per core on a CPU (see ``workers.layout``).
    workers: int | None = setting(
        None, About("Batches translated in parallel.", least=1, unset="one per core")
    )
    # Where an engine that converts the model (CTranslate2) keeps the conversion; None: the
    # user cache folder. A session sets it from its cache setting: not the user's to give.
    conversions: Path | None = None
    # Time the layouts and matrix kernels this CPU offers at the first load of a model, and
    # keep the fastest (see ``calibrate``); only what ``workers`` and ``threads`` leave open.
    calibrate: bool = setting(
        True,
        About(
            "Time this CPU's layouts and kernels once per model and keep the fastest "
            "(not with {workers} or {threads}).",
            envvar="SEJAJAR_CALIBRATE",
        ),
    )
    # A plan baked ahead (``sejajar calibrate --plan FILE``, see ``plans``): its plan for this
    # CPU and settings instead of a calibration; read wherever calibration would run.
    plan: Path | None = setting(  # noqa: RUF009 (a field with its About, as the others)
        None,
        About(
            "Plan file written by sejajar calibrate, used instead of calibrating (a plan for "
            "another CPU, model or setting is ignored, with a warning).",
            unset="none",
            envvar="SEJAJAR_PLAN",
        ),
    )
    # House terms every translation must use (see ``glossary``, ``termbase``): the files.
    glossary: tuple[Path, ...] = setting(
        (),
        About(
            "Glossary file (.tsv, .csv or .tbx) whose terms every output uses; repeatable.",
            unset="none",
        ),
    )
    # Characters of source text the job will translate, when known (the front end's estimate,
    # not the user's to give): a job too short to repay a calibration runs with the default
    # plan (see ``plans``). None: unknown or open-ended (a service), which calibrates.
    workload: int | None = None
    # Whether calibration may time the CTranslate2 engine beside the default one and a plan
    # run it (see ``rival``): off where the default engine is wanted as such (an engine the
    # user gave, CTranslate2's own engine for sentences with terms).
    rivals: bool = True

    def __post_init__(self) -> None:
        check_all(self, TranslatorError)


def user_settings() -> dict[str, About]:
    """The settings a user gives, by name, in the order they are declared."""
    return declared(ModelSettings)


def _load_transformers(settings: ModelSettings) -> Translator:
    from sejajar.translate.rival import load

    return load(settings)


def _load_ctranslate2(settings: ModelSettings) -> Translator:
    from sejajar.translate.ct2 import load_ct2

    return load_ct2(settings)


ENGINES.update(transformers=_load_transformers, ctranslate2=_load_ctranslate2)


def load_translator(settings: ModelSettings) -> Translator:
    """The translator ``settings`` describe; :class:`TranslatorError` when it cannot be had."""
    return ENGINES[settings.engine](settings)


class TranslatorSession:
    """The translator of a run, loaded on first call (an input that fails never costs a model
    load) and wrapped by the translation cache unless ``cache`` is False.

    ``cache`` is a cache file, True for the default one, or False for none. ``notices`` collects
    what the user should be told (a corrupt cache set aside...). In front of the cache, a
    :class:`DedupTranslator` translates each distinct sentence once in the run (remembering at
    most ``memo_capacity``). A converted model (CTranslate2) follows the cache: kept in
    ``ctranslate2/`` beside the cache file, or, with no cache, in a temporary folder removed at
    :meth:`close` (the default engine, whose plan may run CTranslate2, keeps it in the user
    cache folder then, beside its plans). ``translator``: one already loaded, put behind the
    memory and the cache instead of loading one (the service's lanes, see
    :mod:`sejajar.serve.lanes`).
    """

    def __init__(
        self,
        settings: ModelSettings,
        cache: Path | bool = True,
        memo_capacity: int = DEFAULT_CAPACITY,
        translator: Translator | None = None,
    ) -> None:
        if isinstance(cache, Path):
            from sejajar.translate.cache import refuse_unusable

            refuse_unusable(cache)
        from sejajar.translate.termbase import load_glossary

        self.settings = settings
        self.cache_setting = cache
        # Read before any model load: a bad glossary file costs nothing.
        self.glossary: Glossary | None = load_glossary(settings.glossary)
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
        self._given = translator

    def __call__(self) -> Translator:
        if self._translator is None:
            loaded = self.loaded = self._given or load_translator(self._with_conversions())
            note = getattr(loaded, "calibration_note", None)
            if note:
                self.info.append(note)
            ignored = getattr(loaded, "plan_warning", None)
            if ignored:  # a plan file with no plan for this load
                self.notices.append(ignored)
            pool = getattr(loaded, "pool", None)
            if pool is not None and pool.note:  # fewer workers than asked for
                self.notices.append(pool.note)
            enforcing = self._enforcing(loaded)
            cached = self._cached(enforcing) if self.cache_setting is not False else enforcing
            # Outermost: a sentence met earlier in the run never reaches the cache.
            self._translator = self.memo = DedupTranslator(cached, self.memo_capacity)
        return self._translator

    def _enforcing(self, translator: Translator) -> Translator:
        """``translator`` behind the glossary, when the run has one (innermost: the cache's
        key then carries the glossary's digest)."""
        if self.glossary is None:
            return translator
        from sejajar.translate.glossary import GlossaryTranslator

        return GlossaryTranslator(translator, self.glossary)

    def _with_conversions(self) -> ModelSettings:
        import dataclasses
        import tempfile

        # The default engine may run CTranslate2 too, when its plan says so (see ``rival``).
        if self.settings.conversions is not None:
            return self.settings
        if isinstance(self.cache_setting, Path):
            folder = self.cache_setting.parent / "ctranslate2"
        elif self.cache_setting is False and self.settings.engine == "ctranslate2":
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

    @property
    def rerouted(self) -> int:
        """Sentences with terms the run's engine left to the default engine (CTranslate2's,
        see :mod:`ct2`), so far."""
        return int(getattr(self.loaded, "rerouted", 0))

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
