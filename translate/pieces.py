"""A Marian model's tokenizer read straight from its files (SentencePiece and ``vocab.json``),
for the CTranslate2 engine: the same token ids and the same decoded text as transformers'
``MarianTokenizer``, without importing transformers (about 1.3 s, and sacremoses' 0.7 s for a
punctuation normaliser that tokenising never calls), which a CTranslate2 run otherwise needs
for nothing else. Tokenising a sentence also costs a fraction of ``MarianTokenizer``'s.

What ``MarianTokenizer`` does, and so this: the text is cut at its special tokens (``</s>``,
``<unk>``, ``<pad>``, kept as themselves), a leading language code (``>>fr<<``) of each piece
is kept as one token, the rest goes through the source SentencePiece model; pieces missing
from ``vocab.json`` are ``<unk>``; ``</s>`` ends every input. Decoding drops the special
tokens, joins the pieces with the source model (a shared vocabulary decodes with it), and,
where ``tokenizer_config.json`` asks for it, applies transformers' clean-up of the spaces
before punctuation.

Only a folder whose tokenizer files ask for nothing else is read this way (:func:`plain`):
separate vocabularies, SentencePiece options, other special or added tokens, or any setting
this module does not know, and the engine loads ``MarianTokenizer`` instead, so a model
whose tokenizer differs is never tokenised differently. tests/test_pieces.py compares the
two on the sample articles and the shared test sets.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sejajar.translate.translator import TranslatorError

# The special tokens, their default names; a folder naming others is not plain.
EOS, UNK, PAD = "</s>", "<unk>", "<pad>"
_SPECIALS = (EOS, UNK, PAD)
# tokenizer_config.json settings read here (any other one: not plain). The special tokens
# must keep their names; ``separate_vocabs`` must be false and ``sp_model_kwargs`` empty.
_KNOWN = {
    "clean_up_tokenization_spaces", "eos_token", "unk_token", "pad_token", "model_max_length",
    "separate_vocabs", "source_lang", "target_lang", "sp_model_kwargs", "tokenizer_class",
    "name_or_path", "special_tokens_map_file", "added_tokens_decoder",
}  # fmt: skip
# transformers' clean-up of tokenization spaces (``clean_up_tokenization``), in its order.
_CLEAN_UP = (
    (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
    (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
)  # fmt: skip


def _json(path: Path) -> Any:
    return json.loads(path.read_text("utf-8")) if path.exists() else {}


def plain(folder: Path) -> dict[str, Any] | None:
    """The tokenizer settings of ``folder`` when :class:`Pieces` reads it as
    ``MarianTokenizer`` would (see the module's docstring), else None."""
    try:
        config = _json(folder / "tokenizer_config.json")
        specials = _json(folder / "special_tokens_map.json")
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(config, dict) or not isinstance(specials, dict):
        return None
    if (folder / "added_tokens.json").exists() or (folder / "target_vocab.json").exists():
        return None
    if set(config) - _KNOWN or set(specials) - {"eos_token", "unk_token", "pad_token"}:
        return None
    names = {"eos_token": EOS, "unk_token": UNK, "pad_token": PAD}
    for given in (config, specials):
        if any(_name(given[k]) != names[k] for k in names if k in given):
            return None
    if config.get("separate_vocabs") or config.get("sp_model_kwargs"):
        return None
    added = config.get("added_tokens_decoder") or {}
    if not isinstance(added, dict) or not all(_default_special(t) for t in added.values()):
        return None
    return config


def _name(token: Any) -> Any:
    """A special token as the files write it: a string, or an object with ``content``."""
    return token.get("content") if isinstance(token, dict) else token


def _default_special(token: Any) -> bool:
    """An ``added_tokens_decoder`` entry that is one of the three special tokens as
    ``MarianTokenizer`` adds them (no stripping, whole words not required)."""
    return (
        isinstance(token, dict)
        and token.get("content") in _SPECIALS
        and not token.get("lstrip")
        and not token.get("rstrip")
        and not token.get("single_word")
    )


class Pieces:
    """The subset of ``MarianTokenizer`` the engines call: ``tokenizer(text)["input_ids"]``
    (a text or a list of texts), ``convert_ids_to_tokens``, ``convert_tokens_to_ids``,
    ``decode(ids, skip_special_tokens=True)``."""

    def __init__(self, folder: Path, config: dict[str, Any]) -> None:
        import sentencepiece

        self.encoder: dict[str, int] = json.loads((folder / "vocab.json").read_text("utf-8"))
        self.decoder: dict[int, str] = {i: piece for piece, i in self.encoder.items()}
        self.source = sentencepiece.SentencePieceProcessor(model_file=str(folder / "source.spm"))
        self.unk_token_id = self.encoder[UNK]
        self.eos_token_id = self.encoder[EOS]
        self.special_ids = {self.encoder[t] for t in _SPECIALS if t in self.encoder}
        self.clean_up = bool(config.get("clean_up_tokenization_spaces", False))
        self.model_max_length = int(config.get("model_max_length", 512))

    def __call__(self, text: str | Sequence[str], **_: Any) -> dict[str, Any]:
        if isinstance(text, str):
            return {"input_ids": self.encode(text)}
        return {"input_ids": [self.encode(t) for t in text]}

    def encode(self, text: str) -> list[int]:
        return [*self.convert_tokens_to_ids(self.tokenize(text)), self.eos_token_id]

    def tokenize(self, text: str) -> list[str]:
        tokens: list[str] = []
        for part in _cut(text):
            if part in _SPECIALS:
                tokens.append(part)
            elif part:
                tokens += self._pieces(part)
        return tokens

    def _pieces(self, text: str) -> list[str]:
        code: list[str] = []
        if text.startswith(">>") and (end := text.find("<<")) != -1:
            code, text = [text[: end + 2]], text[end + 2 :]
        return code + list(self.source.encode(text, out_type=str))

    def convert_tokens_to_ids(self, tokens: Sequence[str]) -> list[int]:
        get, unk = self.encoder.get, self.unk_token_id
        return [get(t, unk) for t in tokens]

    def convert_ids_to_tokens(self, ids: Sequence[int]) -> list[str]:
        return [self._token(int(i)) for i in ids]

    def _token(self, index: int) -> str:
        found = self.decoder.get(index)
        if found is not None:
            return found
        return str(self.source.IdToPiece(index)) or UNK  # as MarianTokenizer falls back

    def _join(self, tokens: list[str]) -> str:
        return str(self.source.decode_pieces(tokens))

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = False) -> str:
        out, run = "", list[str]()
        for index in ids:
            index = int(index)
            if index in self.special_ids:
                if not skip_special_tokens:
                    out += self._join(run) + self._token(index) + " "
                    run = []
                continue
            run.append(self._token(index))
        out = (out + self._join(run)).replace("\u2581", " ").strip()
        if self.clean_up:
            for before, after in _CLEAN_UP:
                out = out.replace(before, after)
        return out


def _cut(text: str) -> list[str]:
    """``text`` cut at every special token, the tokens kept as parts of their own."""
    parts = [text]
    for special in _SPECIALS:
        cut: list[str] = []
        for part in parts:
            if part in _SPECIALS:
                cut.append(part)
                continue
            pieces = part.split(special)
            for i, piece in enumerate(pieces):
                if i:
                    cut.append(special)
                cut.append(piece)
        parts = cut
    return parts


def load_tokenizer(folder: Path) -> Any:
    """The tokenizer of a Marian model folder: :class:`Pieces` where the folder is plain,
    else transformers' ``MarianTokenizer``."""
    config = plain(folder)
    if config is not None:
        return Pieces(folder, config)
    from transformers import MarianTokenizer

    try:
        return MarianTokenizer.from_pretrained(str(folder))
    except Exception as exc:  # anything from transformers, sentencepiece or json
        raise TranslatorError(f"cannot read the tokenizer of {folder}: {exc}") from exc
