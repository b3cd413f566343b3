"""Where a Marian model comes from: a local folder or the Hugging Face hub's cache (with one
quick probe of the hub instead of minutes of retries), its revision, and one-line errors when
it cannot be had. ``HF_HUB_OFFLINE`` is read at each call, ``HF_HOME`` by the hub client."""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path
from typing import Any

from sejajar.translate.translator import TranslatorError

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
_TOKENIZER_FILES = ("source.spm", "target.spm", "vocab.json")


def model_folder(name: str) -> Path:
    """A local folder holding the model: ``name`` itself, or the hub's cached snapshot of it
    (downloaded first unless HF_HUB_OFFLINE is set)."""
    folder = local_folder(name)
    if folder is not None:
        return folder
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(name, local_files_only=hub_local_only(name)))
    except Exception as exc:  # hub errors, network errors, a missing cache entry
        raise TranslatorError(unavailable_message(name, None, exc)) from exc


def folder_revision(folder: Path) -> str:
    """The hub commit of a cached snapshot (its folder name), else a hash of the weights."""
    if folder.parent.name == "snapshots" and len(folder.name) == 40:
        return folder.name[:12]
    return weights_revision(folder)


def local_folder(name: str) -> Path | None:
    """The folder ``name`` points at, None for a hub id; an error for a path that is no model."""
    path = Path(name).expanduser()
    if not path.exists():
        if _is_hub_id(name):
            return None
        raise TranslatorError(f"model folder {name} does not exist")
    if not path.is_dir():
        raise TranslatorError(f"{{model}} {name} is a file; give a model folder or a hub id")
    missing = [f for f in ("config.json", *_TOKENIZER_FILES) if not (path / f).exists()]
    if not any((path / w).exists() for w in WEIGHT_FILES):
        missing.append(" or ".join(WEIGHT_FILES))
    if missing:
        raise TranslatorError(f"model folder {name} lacks {', '.join(missing)}")
    return path


def _is_hub_id(name: str) -> bool:
    """``org/name`` or a bare legacy ``name``; anything else is meant as a path."""
    parts = name.split("/")
    return len(parts) <= 2 and all(parts) and not name.startswith((".", "~")) and "\\" not in name


def quiet_transformers() -> None:
    """transformers draws its own progress bars and notices on stderr; ours is enough."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]


def unavailable_message(name: str, folder: Path | None, exc: Exception) -> str:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if folder is not None and "ignore_mismatched_sizes" in detail:
        detail = _mismatch(folder)  # transformers' report went to a log the user never sees
    if folder is not None:
        return f"cannot load the model in {folder}: {detail}"
    why = (
        "HF_HUB_OFFLINE is set and it is not in the cache"
        if _offline()
        else ("it is not in the cache and the Hugging Face hub could not be reached")
    )
    return (
        f"model {name} is unavailable: {why}. Run once with network access to download it, "
        f"or pass {{model}} DIR (a folder with config.json, the weights and the tokenizer files)"
    )


def _mismatch(folder: Path) -> str:
    """Why a model folder's weights do not fit its config.json, in one line: the width the
    config names against the embedding's in the weights, where they differ."""
    import json

    unlike = "config.json and the weights are of different models"
    try:
        from safetensors import safe_open

        width = json.loads((folder / "config.json").read_text("utf-8")).get("d_model")
        with safe_open(str(folder / "model.safetensors"), "pt") as weights:
            for key in weights.keys():  # noqa: SIM118 (a safetensors file, not a dict)
                if key.endswith("shared.weight"):
                    found = weights.get_slice(key).get_shape()[-1]
                    if found != width:
                        return (
                            f"config.json says d_model {width} but the weights are {found} "
                            f"wide ({key}); {unlike}"
                        )
    except Exception:  # no safetensors file, an unreadable config: the general words
        pass
    return f"the weights' sizes do not match config.json (layers, widths or vocabulary); {unlike}"


def hub_local_only(name: str) -> bool:
    """Whether to load a hub model from the cache only: when HF_HUB_OFFLINE is set, or when one
    quick probe finds the hub unreachable. Without the probe the hub client retries every file
    for minutes (measured: 4 min 43 s) before giving up."""
    if _offline():
        return True
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError

    try:
        HfApi().model_info(name, timeout=10)
    except RepositoryNotFoundError as exc:
        raise TranslatorError(
            f"model {name} is not on the Hugging Face hub (or is private); check the name, "
            "or pass {model} DIR"
        ) from exc
    except Exception:  # no network, DNS, time-out, proxy: use the cache if it has the model
        return True
    return False


def _offline() -> bool:
    # Read at each call, not at import: huggingface_hub reads HF_HUB_OFFLINE once, when first
    # imported.
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def weights_revision(folder: Path) -> str:
    """A content hash of the weights: two folders with the same weights share a revision.
    Hashed once per process while the file stays as it was (a load reads it for its plan's
    key and again for CTranslate2's conversion: about 0.3 s each with the real model)."""
    weights = next(folder / w for w in WEIGHT_FILES if (folder / w).exists())
    found = weights.stat()
    return _digest(weights.resolve(), found.st_ino, found.st_size, found.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _digest(weights: Path, inode: int, size: int, modified: int) -> str:
    digest = hashlib.sha256()
    with weights.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()[:12]


def hub_revision(model: Any) -> str:
    commit = getattr(model.config, "_commit_hash", None)
    return str(commit)[:12] if commit else "unknown"


def torch_version() -> str:
    """torch's version (``torch.__version__``, local part included), read from its package's
    metadata: a load whose plan runs CTranslate2 never imports torch (about 1 s)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("torch")
    except PackageNotFoundError:  # a build without package metadata
        import torch

        return str(torch.__version__)


def resolved(device: str) -> str:
    """Where the model runs for a ``device`` setting: "auto" is CUDA when torch sees it."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise TranslatorError("{device} cuda: torch sees no CUDA device here; use {device} cpu")
    return device
