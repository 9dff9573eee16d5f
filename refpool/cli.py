"""Command line: ``refpool ops``, ``refpool selfcheck`` (``python -m refpool ...``)."""

from __future__ import annotations

import argparse
import sys
import time


def _engines_available():
    from ._dispatch import cuda_available
    return {"reference": True, "cpu": True, "cuda": cuda_available()}


def cmd_ops(args):
    from .conformance.operators import ENGINES, OPERATORS
    available = _engines_available()
    print(f"{'operator':<24} {'comparison':<10} engines")
    for op in OPERATORS.values():
        engines = ", ".join(e if available[e] else f"({e}: unavailable)" for e in ENGINES)
        print(f"{op.name:<24} {'exact' if op.exact else 'tolerance':<10} {engines}")
    return 0


def cmd_selfcheck(args):
    from .conformance.selfcheck import run_selfcheck
    return run_selfcheck(engines=args.engines, use_peers=not args.no_peers,
                         out=sys.stdout)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="refpool",
        description="Ground-truth equivariant pooling: list operators, check engines.")
    from ._version import __version__
    parser.add_argument("--version", action="version", version=f"refpool {__version__}")
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("ops", help="list the operators and their engines")
    p.set_defaults(func=cmd_ops)
    p = sub.add_parser("selfcheck",
                       help="run every operator through every available engine and "
                            "compare with the reference (and torch when installed)")
    p.add_argument("--engines", nargs="+", default=None, choices=("cpu", "cuda"),
                   help="engines to check (default: every available one)")
    p.add_argument("--no-peers", action="store_true",
                   help="do not compare with torch even when it is installed")
    p.set_defaults(func=cmd_selfcheck)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        args = parser.parse_args(["selfcheck"] + list(argv or []))
    start = time.perf_counter()
    code = args.func(args)
    if args.command in (None, "selfcheck"):
        print(f"done in {time.perf_counter() - start:.1f} s")
    return code
