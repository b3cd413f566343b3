"""Build loadable MarianMT model folders with random weights, for tests and benchmarks.

``build_tiny_model`` trains a small sentencepiece vocabulary on the sample articles and makes a
one-layer model: no network and no ``../shared`` needed. ``build_full_model`` takes the real
opus-mt-id-en tokenizer and config folder and gives the real architecture (random weights).
The tests and the benches build their models here; for a machine without the model hub, a
folder to point ``--model`` at (its translations are meaningless: right for plumbing and speed):

    python -m tests.modelfactory models/opus-mt-id-en-random [--tiny] [--seed N]
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_TOKENIZER = ROOT.parent / "shared" / "models" / "opus-mt-id-en-tokenizer"
_TEXTS = ROOT / "texts"
_ENGLISH = """The United States and South Korea agreed to strengthen their military cooperation.
President Joe Biden met South Korean leader Yoon Suk Yeol at the White House on Wednesday.
North Korea did not respond to a request for comment. Prices rose 3.5 percent in April.
The meeting started at 2:30 p.m. and ended two hours later. Washington said it would act."""


def _train_spm(lines: list[str], vocab_size: int) -> bytes:
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model,
        vocab_size=vocab_size,
        model_type="unigram",
        character_coverage=1.0,
        hard_vocab_limit=False,
        bos_id=-1,
        eos_id=-1,
        unk_id=0,
        minloglevel=2,
    )
    return model.getvalue()


def build_tiny_model(folder: Path, seed: int = 0) -> Path:
    """A one-layer Marian model with a ~300-piece vocabulary shared by both sides."""
    import sentencepiece as spm
    import torch
    from transformers import GenerationConfig, MarianConfig, MarianMTModel

    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        line for p in sorted(_TEXTS.glob("*.txt")) for line in p.read_text("utf-8").splitlines()
    ] + _ENGLISH.splitlines()
    data = _train_spm([line for line in lines if line.strip()], vocab_size=300)
    for name in ("source.spm", "target.spm"):
        (folder / name).write_bytes(data)
    processor = spm.SentencePieceProcessor(model_proto=data)
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    vocab = {"</s>": 0, "<unk>": 1}
    for piece in pieces:
        vocab.setdefault(piece, len(vocab))
    vocab["<pad>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), "utf-8")
    pad = vocab["<pad>"]
    config = MarianConfig(
        vocab_size=len(vocab),
        decoder_vocab_size=len(vocab),
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_position_embeddings=512,
        pad_token_id=pad,
        eos_token_id=0,
        bos_token_id=0,
        decoder_start_token_id=pad,
        forced_eos_token_id=0,
        share_encoder_decoder_embeddings=True,
    )
    torch.manual_seed(seed)
    model = MarianMTModel(config)
    # The hub model's own generation defaults (beam 6, max_length 512): sejajar must override them.
    model.generation_config = GenerationConfig(  # type: ignore[no-untyped-call]
        bos_token_id=0,
        eos_token_id=0,
        forced_eos_token_id=0,
        pad_token_id=pad,
        decoder_start_token_id=pad,
        bad_words_ids=[[pad]],
        num_beams=6,
        max_length=512,
    )
    model.save_pretrained(folder)
    (folder / "tokenizer_config.json").write_text(
        json.dumps(
            {
                "model_max_length": 512,
                "source_lang": "id",
                "target_lang": "en",
                "tokenizer_class": "MarianTokenizer",
                "separate_vocabs": False,
            }
        ),
        "utf-8",
    )
    return folder


def build_full_model(folder: Path, seed: int = 0, tokenizer_dir: Path = SHARED_TOKENIZER) -> Path:
    """The real opus-mt-id-en architecture and tokenizer with random weights (fixed seed)."""
    import torch
    from transformers import GenerationConfig, MarianConfig, MarianMTModel

    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    model = MarianMTModel(MarianConfig.from_pretrained(tokenizer_dir))
    model.generation_config = GenerationConfig.from_pretrained(tokenizer_dir)
    model.save_pretrained(folder)
    for item in tokenizer_dir.iterdir():
        if item.name != "config.json" and item.name != "generation_config.json":
            shutil.copy2(item, folder / item.name)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description="a MarianMT folder with random weights")
    parser.add_argument("folder", type=Path)
    parser.add_argument(
        "--tiny", action="store_true", help="a one-layer model even if the real config is here"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if (args.folder / "config.json").exists():
        print(f"{args.folder} already holds a model; leaving it as it is")
        return
    if SHARED_TOKENIZER.is_dir() and not args.tiny:
        build_full_model(args.folder, seed=args.seed)
        kind = "full-size opus-mt-id-en architecture"
    else:
        build_tiny_model(args.folder, seed=args.seed)
        kind = "tiny"
    print(f"{args.folder}: {kind}, random weights (seed {args.seed}): output is not a translation")


if __name__ == "__main__":
    main()
