"""Arguments shared by several commands."""
from __future__ import annotations

from .. import models
from ..options import parse_settings


def add_model_arguments(p, default="softplus"):
    p.add_argument("--model", default=default, help=f"catalogue model: {', '.join(models.NAMES)}")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="model option, e.g. --set depth=5 --set width=2 (repeatable)")


def model_from_args(args, **extra):
    return models.get(args.model, **dict(extra, **parse_settings(args.set)))
