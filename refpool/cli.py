"""Command line: ``refpool ops``, ``refpool selfcheck`` (``python -m refpool ...``)."""

from __future__ import annotations

import argparse
import os
import sys
import time


def _engines_available():
    from ._dispatch import cuda_available
    return {"reference": True, "cpu": True, "cuda": cuda_available()}


def cmd_ops(args):
    import textwrap

    from .registry import ENGINES, OPERATORS
    available = _engines_available()
    engines = ", ".join(e if available[e] else f"{e} (unavailable)" for e in ENGINES)
    print(f"engines: {engines}\n")
    for op in OPERATORS.values():
        print(f"{op.name}  [{op.comparison} comparison; field_type: {op.field_type}]")
        for line in textwrap.wrap("exact grid symmetries: " + op.condition, 88):
            print("    " + line)
    print("\nrefpool.exact_symmetries(op, shape, **kwargs) lists the exact elements of one call.")
    return 0


def _use_simulator_without_gpu():
    """Let the CUDA engine run on Numba's simulator on machines without a GPU.

    Must happen before numba is imported, so it looks for the NVIDIA device nodes
    instead of asking numba.  An explicit NUMBA_ENABLE_CUDASIM always wins.
    """
    if "NUMBA_ENABLE_CUDASIM" in os.environ or "numba" in sys.modules:
        return
    if not any(os.path.exists(f"/dev/nvidia{i}") for i in range(16)):
        os.environ["NUMBA_ENABLE_CUDASIM"] = "1"


def cmd_selfcheck(args):
    from .conformance.selfcheck import run_selfcheck
    return run_selfcheck(engines=args.engines, use_peers=not args.no_peers,
                         out=sys.stdout, progress=not args.quiet)


CONFORMANCE_EXIT_CODES = """\
exit status:
  0  every case passed (known divergences and unsupported cases allowed)
  1  at least one case failed
  2  the run could not be completed: bad arguments, an unknown operator in --ops,
     an adapter that cannot be loaded, an unreadable or damaged golden directory
     (manifest, archive, checksum, a case that cannot be read: reported per case,
     the other cases still run), no case to run, or an internal error.
     2 wins over 1."""


def _could_not_run(command, exc, *, traceback=False):
    """Report why ``command`` could not run, on stderr; exit status 2."""
    if traceback:
        import traceback as tb
        tb.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    print(f"refpool {command}: error: {exc}", file=sys.stderr)
    return 2


def cmd_conformance(args):
    from .conformance import runner
    try:
        runner.check_ops(args.ops)
        try:
            adapter = runner.load_adapter(args.against)
        except (ImportError, AttributeError) as exc:
            raise runner.ConformanceError(
                f"cannot load the adapter {args.against!r}: {type(exc).__name__}: {exc}") from exc
        if args.golden:
            return _conformance_golden(args, adapter)
        report = runner.run(adapter, ops=args.ops,
                            progress=None if args.quiet else runner.progress_bar())
    except runner.ConformanceError as exc:
        return _could_not_run("conformance", exc)
    except Exception as exc:  # noqa: BLE001 - an internal error: traceback, then status 2
        return _could_not_run("conformance", exc, traceback=True)
    return _finish_report(args, runner, report)


def _finish_report(args, runner, report):
    print(report.format())
    if args.json:
        runner.write_json(report, args.json)
        print(f"report written to {args.json}")
    return report.exit_code


def _conformance_golden(args, adapter):
    from .conformance import runner
    from .conformance.golden import iter_golden
    outcomes = []
    start = time.perf_counter()
    # Raises GoldenError for an unusable manifest or --ops without cases in it; problems
    # of single cases come back as items with an error, and the run goes on.
    for item in iter_golden(args.golden, ops=args.ops):
        if item.error is not None:
            outcomes.append(runner.Outcome(item.case, runner.ERROR, float("inf"),
                                           str(item.error)))
            continue
        outcomes.append(runner.run_case(adapter, item.case, expected=item.expected,
                                        x=item.input))
    report = runner.Report(adapter, outcomes, time.perf_counter() - start)
    return _finish_report(args, runner, report)


def cmd_golden(args):
    from .conformance import runner
    from .conformance.catalog import catalog
    from .conformance.golden import write_golden
    try:
        cases = catalog(runner.check_ops(args.ops))
        manifest = write_golden(args.directory, cases,
                                progress=None if args.quiet else runner.progress_bar())
    except (runner.ConformanceError, OSError) as exc:
        return _could_not_run("golden", exc)
    print(f"wrote {len(manifest['cases'])} cases to {args.directory}")
    return 0


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
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_selfcheck)
    p = sub.add_parser("conformance",
                       help="run the conformance catalogue against an adapter",
                       description="Run the conformance catalogue (or stored golden vectors) "
                                   "against an adapter and report per operator.",
                       epilog=CONFORMANCE_EXIT_CODES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--against", default="cpu",
                   help="cpu, cuda, reference, torch, e2cnn, antialiased_cnns, jax, or a "
                        "module[:object] path to your own adapter (default: cpu)")
    p.add_argument("--ops", nargs="+", default=None, help="only these operators")
    p.add_argument("--golden", default=None, metavar="DIR",
                   help="compare with the golden vectors stored in DIR (written by refpool "
                        "golden) instead of the reference engine: the stored inputs are fed "
                        "to the adapter, checksums are verified, and only the archives of "
                        "the selected --ops are opened")
    p.add_argument("--json", default=None, help="write a JSON report here")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_conformance)
    p = sub.add_parser("golden", help="write the reference outputs of the catalogue",
                       epilog="exit status: 0 written; 2 an unknown operator in --ops or a "
                              "directory that cannot be written.")
    p.add_argument("directory")
    p.add_argument("--ops", nargs="+", default=None, help="only these operators")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_golden)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        args = parser.parse_args(["selfcheck"] + list(argv or []))
    if args.command in (None, "selfcheck", "conformance", "ops"):
        _use_simulator_without_gpu()
    start = time.perf_counter()
    code = args.func(args)
    if args.command in (None, "selfcheck"):
        print(f"done in {time.perf_counter() - start:.1f} s")
    return code
