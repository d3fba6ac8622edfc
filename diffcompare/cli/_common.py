"""Arguments shared by several commands."""
from __future__ import annotations

from .. import models
from ..errors import BadOptionError


def add_model_arguments(p, default="softplus"):
    p.add_argument("--model", default=default, help=f"catalogue model: {', '.join(models.NAMES)}")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="model option, e.g. --set depth=5 --set width=2 (repeatable)")


def parse_value(text):
    """An option value: int, float, or a bare word -- never evaluated as code."""
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    if "," in text:
        return tuple(parse_value(t) for t in text.split(","))
    return text


def set_options(items):
    """``--set KEY=VALUE`` items -> {key: value}."""
    opts = {}
    for item in items:
        key, sep, val = item.partition("=")
        if not sep or not key.isidentifier():
            raise BadOptionError(f"--set expects KEY=VALUE, got {item!r}")
        opts[key] = parse_value(val)
    return opts


def model_from_args(args, **extra):
    return models.get(args.model, **dict(extra, **set_options(args.set)))
