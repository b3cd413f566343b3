"""The first run on a new machine (issue 29, item 5): ``sejajar translate`` of one article of
60 sentences at beam 4, the whole process timed (start-up, model load, plan, translation,
outputs), on the real opus-mt-id-en architecture with random weights (fixed seed, from
``../shared/models/opus-mt-id-en-tokenizer``), in four states of the machine:

- known machine: this machine's plan cached in the cache folder (the target's reference);
- empty cache folder: a new machine, where a job this short runs with the default plan;
- baked plan: an empty cache folder and ``SEJAJAR_PLAN`` naming the file that
  ``sejajar calibrate --plan`` wrote (a deployment's image);
- calibrating (before): an empty cache folder and a calibration at load, as every first run
  did before (``plans.REPAYS`` set to 0 in that process).

The plan is baked once, first; the known machine's cache holds that same plan. Each round runs
the four in turn, the order rotated every round (a shared machine's slow spells fall on each in
turn); the medians, their ratios to the known machine and the target (empty cache folder
<= 1.25x the known machine) come last. Every run's plan line is checked, so a run that did not
do what its name says fails the bench.

    python -m bench.firstrun [--rounds 3] [--sentences 60] [--beams 4] [--quantize none]
    python -m bench.firstrun --smoke     # tiny model, a few sentences, greedy, one round
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.results import options, recorded
from bench.speed import workload
from tests.modelfactory import ROOT, build_full_model, build_tiny_model

# (name, what its stderr must say, what it must not): the plan line proves the state.
SYSTEMS = (
    ("known machine (plan cached)", None, ("Calibrated", "too short", "Plan from")),
    ("empty cache folder", "too short to repay a calibration", ("Calibrated",)),
    ("baked plan (SEJAJAR_PLAN)", "Plan from", ("Calibrated", "too short")),
    ("empty cache folder, calibrating (before)", "Calibrated this CPU", ("too short",)),
)
TARGET = 1.25


def main() -> None:
    if sys.argv[1:2] == ["--as-before"]:  # a child: the command with no threshold
        as_before(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description="the first run on a new machine")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sentences", type=int, default=60)
    parser.add_argument("--beams", type=int, default=4)
    parser.add_argument("--quantize", default="none", choices=("none", "int8"))
    parser.add_argument("--work", type=Path, default=None, help="folder for model and runs")
    parser.add_argument("--tiny", action="store_true", help="the tiny test model")
    options(parser, smoke={"rounds": 1, "sentences": 6, "beams": 1, "tiny": True})
    args = parser.parse_args()
    with recorded("firstrun", args):
        run(args)


def as_before(argv: list[str]) -> None:
    """``sejajar ARGV`` calibrating at load whatever the job's size, as before plans."""
    from sejajar.cli import main as sejajar
    from sejajar.translate import plans

    plans.REPAYS = 0
    sys.argv = ["sejajar", *argv]
    sejajar()


def _env(cache: Path, plan: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SEJAJAR_PLAN"}
    env.update(XDG_CACHE_HOME=str(cache), SEJAJAR_CALIBRATE="1", HF_HUB_OFFLINE="1")
    if plan is not None:
        env["SEJAJAR_PLAN"] = str(plan)
    return env


def _sejajar(args: list[str], env: dict[str, str], before: bool = False) -> tuple[float, str]:
    """Seconds of ``sejajar ARGS`` in a process of its own, and its stderr."""
    module = ["bench.firstrun", "--as-before"] if before else ["sejajar"]
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", *module, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)  # fmt: skip
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"sejajar {' '.join(args[:1])} failed:\n{done.stderr[-3000:]}")
    return seconds, done.stderr


def run(args: argparse.Namespace) -> None:
    from sejajar.translate.calibrate import machine
    from sejajar.translate.split import split_text

    work = args.work or Path(tempfile.mkdtemp(prefix="sejajar-firstrun-"))
    work.mkdir(parents=True, exist_ok=True)
    build = build_tiny_model if args.tiny else build_full_model
    model = build(work / "model")
    article = work / "article.id.txt"
    article.write_text("\n\n".join(workload(args.sentences, seed=29)) + "\n", "utf-8")
    segments = len(split_text(article.read_text("utf-8")))
    settings = ["--model", str(model), "--beams", str(args.beams), "--quantize", args.quantize]
    print(f"machine: {machine()}")
    print(f"article: {args.sentences} sentences ({segments} segments), beams {args.beams}, "
          f"quantize {args.quantize}, {'tiny' if args.tiny else 'full-size'} model")  # fmt: skip

    plan = work / "plan.json"
    plan.unlink(missing_ok=True)
    seconds, err = _sejajar(["calibrate", *settings, "--plan", str(plan)], _env(work / "bake"))
    print(f"baking: sejajar calibrate --plan took {seconds:.1f} s: {err.strip()}")
    known = work / "known"
    (known / "sejajar").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(plan, known / "sejajar" / "calibration.json")  # the same plan, cached

    translate = ["translate", str(article), *settings, "--no-cache", "--force"]
    times: dict[str, list[float]] = {name: [] for name, *_ in SYSTEMS}
    for round_ in range(args.rounds):
        order = SYSTEMS[round_ % len(SYSTEMS) :] + SYSTEMS[: round_ % len(SYSTEMS)]
        line = []
        for name, says, never in order:
            cache = known if name.startswith("known") else Path(tempfile.mkdtemp(dir=work))
            env = _env(cache, plan if name.startswith("baked") else None)
            out = ["--out", str(work / "out")]
            seconds, err = _sejajar([*translate, *out], env, before=name.endswith("(before)"))
            if (says and says not in err) or any(word in err for word in never):
                raise SystemExit(f"{name}: the run did not say what it should:\n{err}")
            times[name].append(seconds)
            line.append(f"{name.split(' (')[0]} {seconds:.1f} s")
        print(f"round {round_ + 1}: " + ", ".join(line))

    reference = statistics.median(times[SYSTEMS[0][0]])
    print(f"\n{'first run':<44}{'median s':>9}{'x known':>9}")
    for name, *_ in SYSTEMS:
        median = statistics.median(times[name])
        print(f"{name:<44}{median:>9.1f}{median / reference:>9.2f}")
    ratio = statistics.median(times[SYSTEMS[1][0]]) / reference
    verdict = "met" if ratio <= TARGET else "missed"
    print(f"\ntarget: empty cache folder <= {TARGET}x the known machine: {ratio:.2f}, {verdict}")


if __name__ == "__main__":
    main()
