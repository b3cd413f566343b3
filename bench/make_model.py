"""Build a loadable MarianMT folder with RANDOM weights, for machines that cannot reach the
model hub: the real opus-mt-id-en architecture and tokenizer when ../shared has them, else a
tiny model. Right for plumbing and speed; its translations are meaningless.

    python bench/make_model.py models/opus-mt-id-en-random
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.modelfactory import SHARED_TOKENIZER, build_full_model, build_tiny_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
