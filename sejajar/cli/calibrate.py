"""``sejajar calibrate``: a plan baked ahead for the model settings given (see
:mod:`sejajar.translate.plans`)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from sejajar.cli.common import (
    app,
    fail,
    model_settings,
    model_settings_options,
    reported,
    with_options,
)
from sejajar.translate.engines import ModelSettings

# Every model setting but those that leave nothing to time: this command calibrates.
_LEFT_OUT = ("calibrate", "workers", "threads")
_OPTIONS = [option for option in model_settings_options() if option[0] not in _LEFT_OUT]


def _settings(values: dict[str, Any]) -> dict[str, Any]:
    return {"settings": model_settings(values)}


@app.command()
@with_options(_OPTIONS, ("settings",), _settings)
def calibrate(
    force: Annotated[
        bool, typer.Option("--force", help="Calibrate again where a plan is kept already.")
    ] = False,
    *,
    settings: ModelSettings,
) -> None:
    """Time this CPU's layouts and kernels for these model settings and keep the plan: in the
    --plan file (which translate, corpus and serve then read on machines of this kind), else
    in the user cache folder."""
    from sejajar.translate.calibrate import calibration_path, machine
    from sejajar.translate.marian import load_marian
    from sejajar.translate.plans import Bake

    if settings.engine != "transformers":
        fail(f"--engine {settings.engine} is not calibrated: only the default engine is", 2)
    with reported():
        # Only its plan line is wanted: a CTranslate2 plan starts no workers (rival).
        translator = load_marian(settings, Bake(settings.plan, force), rival=True)
    translator.close()
    note = translator.calibration_note or ""
    typer.echo(note[:1].upper() + note[1:], err=True)
    typer.echo(f"plan for {machine()} kept in {settings.plan or calibration_path()}")
