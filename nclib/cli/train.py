"""`nclib train CONFIG [--stop-at N] [--set FIELD=VALUE ...] [--overwrite]`: a fine-tuning recipe
(nclib.train.finetune.recipe_main). The config, the data and the routines it names are the
command's input: their errors are usage errors (exit code 2)."""

from __future__ import annotations

from nclib.cli.parser import POSITIVE
from nclib.errors import UsageError

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("train", help="run a fine-tuning recipe (train/configs/*.yaml)")
    p.add_argument("config")
    p.add_argument("--stop-at", type=POSITIVE, default=None, help="stop after this step as if interrupted; rerun to resume")
    p.add_argument("--set", nargs="*", default=[], metavar="FIELD=VALUE", help="override config fields")
    p.add_argument("--overwrite", action="store_true", help="replace the run in output_dir and start at step 0")
    p.set_defaults(func=run)


def run(a) -> None:
    from nclib.data.userdata import DatasetError
    from nclib.model.library_spec import LibrarySpecError
    from nclib.train.finetune import ConfigError, recipe_main

    try:
        recipe_main([a.config] + (["--stop-at", str(a.stop_at)] if a.stop_at is not None else []) + (["--set", *a.set] if a.set else [])
                    + (["--overwrite"] if a.overwrite else []))
    except (ConfigError, DatasetError, LibrarySpecError) as err:
        raise UsageError(str(err)) from None
