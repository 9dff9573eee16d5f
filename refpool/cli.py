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
  0  every case passed (known divergences and unsupported cases allowed) and at
     least one case was compared
  1  at least one case failed, or no case was compared (the adapter supports none
     of the selected cases; allowed with --allow-unsupported)
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


def _check_report_path(option, path):
    """A one-line ConformanceError unless a report can be written to ``path``."""
    from .conformance.runner import ConformanceError
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ConformanceError(f"{option} {path}: is a directory; give a file name")
    if not os.path.isdir(folder):
        raise ConformanceError(f"{option} {path}: the folder {folder} does not exist; "
                               "create it or choose another file")
    if not os.access(folder, os.W_OK):
        raise ConformanceError(f"{option} {path}: cannot write in {folder}; choose a "
                               "writable location")


def _check_golden_dir(path):
    """A one-line ConformanceError unless ``path`` is a folder with a golden manifest."""
    from .conformance.golden import MANIFEST
    from .conformance.runner import ConformanceError
    fix = f"write one with: refpool golden {path}"
    if not os.path.exists(path):
        raise ConformanceError(f"--golden {path}: no such folder; {fix}")
    if not os.path.isdir(path):
        raise ConformanceError(f"--golden {path}: not a folder (a golden folder holds "
                               f"{MANIFEST} and one .npz per operator); {fix}")
    if not os.path.exists(os.path.join(path, MANIFEST)):
        raise ConformanceError(f"--golden {path}: no {MANIFEST} in it, so not a golden "
                               f"folder; {fix}")


def cmd_conformance(args):
    from .conformance import runner
    try:
        runner.check_ops(args.ops)
        for option, path in (("--json", args.json), ("--junit", args.junit)):
            if path:
                _check_report_path(option, path)
        if args.golden:
            _check_golden_dir(args.golden)
        adapter = runner.open_adapter(args.against)
        if args.golden:
            report = _conformance_golden(args, adapter)
        else:
            report = runner.run(adapter, ops=args.ops,
                                progress=None if args.quiet else runner.progress_bar(),
                                allow_unsupported=args.allow_unsupported)
    except runner.ConformanceError as exc:
        return _could_not_run("conformance", exc)
    except Exception as exc:  # noqa: BLE001 - an internal error: traceback, then status 2
        return _could_not_run("conformance", exc, traceback=True)
    return _finish_report(args, runner, report)


def _finish_report(args, runner, report):
    print(report.format())
    for option, path, write in (("--json", args.json, runner.write_json),
                                ("--junit", args.junit, runner.write_junit)):
        if not path:
            continue
        try:
            write(report, path)
        except OSError as exc:
            return _could_not_run("conformance", f"{option} {path}: cannot write the report "
                                                 f"({exc.strerror or exc})")
        print(f"{'JSON' if option == '--json' else 'JUnit XML'} report written to {path}")
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
    return runner.Report(adapter, outcomes, time.perf_counter() - start,
                         against=f"the golden vectors in {os.path.abspath(args.golden)}",
                         allow_unsupported=args.allow_unsupported)


def _cannot_write(directory, exc):
    where = f" ({exc.filename})" if getattr(exc, "filename", None) not in (None, directory) \
        else ""
    return (f"cannot write the golden vectors to {directory}{where}: "
            f"{exc.strerror or exc}; choose a folder you can create and write to")


def _check_writable_dir(directory):
    """Create ``directory`` and try a file in it before the reference outputs are computed,
    so that a path that cannot be written fails at once (OSError)."""
    os.makedirs(directory, exist_ok=True)
    probe = os.path.join(directory, ".refpool-write-test")
    with open(probe, "w"):
        pass
    os.remove(probe)


def cmd_golden(args):
    from .conformance import runner
    from .conformance.catalog import catalog
    from .conformance.golden import write_golden
    try:
        cases = catalog(runner.check_ops(args.ops))
        _check_writable_dir(args.directory)
        manifest = write_golden(args.directory, cases,
                                progress=None if args.quiet else runner.progress_bar())
    except runner.ConformanceError as exc:
        return _could_not_run("golden", exc)
    except OSError as exc:
        return _could_not_run("golden", _cannot_write(args.directory, exc))
    print(f"wrote {len(manifest['cases'])} cases to {args.directory}")
    return 0


ADVISE_EPILOG = """\
the description: operator calls separated by ';' with literal arguments, and skip
connections skip(call, ..., mode='concat') or merges merge([calls], [calls], mode='add'):
  refpool advise "max_pool(kernel_size=3, stride=2); max_pool(kernel_size=3, stride=2)"
  refpool advise "skip(max_pool(2), interpolate(scale_factor=2, mode='bilinear'))" --sizes 8-64

exit status: 0 at least one size is exact; 1 the pipeline runs but no size is exact;
2 a description, size range or option that cannot be used."""


def _parse_sizes(text):
    """``"16-64"`` (inclusive), ``"30,31,32"`` or a mix: the sizes, in order."""
    sizes = []
    for part in text.split(","):
        part = part.strip()
        low, sep, high = part.partition("-")
        try:
            if sep:
                low, high = int(low), int(high)
                if low > high:
                    raise ValueError
                sizes.extend(range(low, high + 1))
            else:
                sizes.append(int(part))
        except ValueError:
            raise ValueError(f"--sizes {text!r}: write an inclusive range LOW-HIGH of positive "
                             f"ints, a list 30,31,32, or both (8-16,32)") from None
    if not sizes or min(sizes) < 1:
        raise ValueError(f"--sizes {text!r}: sizes must be positive ints")
    return sizes


def cmd_advise(args):
    from . import pipeline as pl
    try:
        net = pl.parse_pipeline(args.description)
        sizes = _parse_sizes(args.sizes)
        exact = pl.equivariant_sizes(net, sizes, ndim=args.ndim, elements=args.elements,
                                     channels=args.channels)
        advisor = pl._Advisor(net, args.ndim, args.elements, args.channels, 1)
        nearest = None
        if args.nearest is not None:
            nearest = pl.nearest_equivariant_size(net, args.nearest, ndim=args.ndim,
                                                  elements=args.elements,
                                                  channels=args.channels)
    except (TypeError, ValueError) as exc:
        return _could_not_run("advise", exc)
    group, chosen = advisor.group, advisor.elements
    which = (f"all {group.order} elements of {group.name}" if len(chosen) == group.order
             else " ".join(map(repr, chosen)))
    shape = " x ".join(["n"] * args.ndim)
    print(" -> ".join(stage.label for stage in net.stages) or "(the identity)")
    print(f"exact for {which} at {len(exact)} of {len(sizes)} sizes {shape} "
          f"(n = {_sizes_text(sizes)}):")
    print(" ".join(map(str, exact)) if exact else "none")
    if nearest is not None:
        change = nearest.size - nearest.requested
        (pad_before, pad_after), (crop_before, crop_after) = nearest.pad[0], nearest.crop[0]
        how = ("no change" if change == 0 else
               f"pad every axis: {pad_before} before, {pad_after} after" if change > 0 else
               f"crop every axis: {crop_before} before, {crop_after} after")
        print(f"nearest exact size to {nearest.requested}: {nearest.size} ({how})")
    return 0 if exact else 1


def _sizes_text(sizes):
    if sizes == list(range(sizes[0], sizes[-1] + 1)):
        return f"{sizes[0]}..{sizes[-1]}"
    return ",".join(map(str, sizes))


def cmd_fuzz(args):
    _use_simulator_without_gpu()           # cuda on Numba's simulator without a GPU
    from .conformance import fuzz
    return fuzz.main(args)


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
                   help="cpu, cuda, reference, torch, e2cnn, antialiased_cnns, jax, "
                        "onnxruntime, or a module[:object] path to your own adapter "
                        "(default: cpu)")
    p.add_argument("--ops", nargs="+", default=None, help="only these operators")
    p.add_argument("--golden", default=None, metavar="DIR",
                   help="compare with the golden vectors stored in DIR (written by refpool "
                        "golden) instead of the reference engine: the stored inputs are fed "
                        "to the adapter, checksums are verified, and only the archives of "
                        "the selected --ops are opened")
    p.add_argument("--json", default=None, metavar="FILE", help="write a JSON report here")
    p.add_argument("--junit", default=None, metavar="FILE",
                   help="write a JUnit XML report here (one testcase per case; unsupported "
                        "cases and known divergences are skipped)")
    p.add_argument("--allow-unsupported", action="store_true",
                   help="pass a run in which no case was compared because the adapter "
                        "supports none of them (without it, such a run exits 1)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_conformance)
    p = sub.add_parser("golden", help="write the reference outputs of the catalogue",
                       epilog="exit status: 0 written; 2 an unknown operator in --ops or a "
                              "directory that cannot be written.")
    p.add_argument("directory")
    p.add_argument("--ops", nargs="+", default=None, help="only these operators")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_golden)
    p = sub.add_parser("fuzz", help="random valid and invalid calls of every operator, "
                                    "engines against the reference, crash-isolated",
                       description="Fuzz every registered operator: random valid calls "
                                   "compared with the reference engine, random invalid "
                                   "calls that must raise TypeError/ValueError naming the "
                                   "broken argument; workers are separate processes.",
                       epilog="exit status: 0 no finding (known defects allowed); 1 "
                              "findings; 2 the run could not be made.")
    from .conformance.fuzz import add_arguments as _fuzz_arguments
    _fuzz_arguments(p)
    p.set_defaults(func=cmd_fuzz)
    p = sub.add_parser("advise", help="the input sizes at which a pipeline of operators is "
                                      "exactly equivariant on the grid",
                       description="Read a pipeline of refpool operators and print the input "
                                   "sizes at which it is exactly equivariant under the grid "
                                   "symmetries, derived from the operators' rules (nothing "
                                   "is run).",
                       epilog=ADVISE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("description", help="the pipeline, e.g. \"max_pool(kernel_size=2); "
                                       "blur_pool(filt_size=3, stride=2)\"")
    p.add_argument("--sizes", default="8-64",
                   help="sizes n of n x n inputs: LOW-HIGH (inclusive), a list 30,31,32, or "
                        "both (default: 8-64)")
    p.add_argument("--ndim", type=int, default=2, choices=(1, 2, 3),
                   help="spatial axes (default 2)")
    p.add_argument("--channels", type=int, default=None,
                   help="input channels (default: what the first stage needs, else 1)")
    p.add_argument("--elements", nargs="+", default=None, metavar="ELEMENT",
                   help="only these grid symmetries, by name (D4[1,1] is the transpose; "
                        "default: all)")
    p.add_argument("--nearest", type=int, default=None, metavar="N",
                   help="also print the exact size nearest to N, with the padding or crop")
    p.set_defaults(func=cmd_advise)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        print("\nStart here: refpool selfcheck checks every engine against the reference "
              "(about a minute;\nrefpool selfcheck --engines cpu --no-peers is quicker). "
              "refpool ops lists the operators.")
        return 0
    if args.command in ("selfcheck", "conformance", "ops"):
        _use_simulator_without_gpu()
    start = time.perf_counter()
    code = args.func(args)
    if args.command == "selfcheck":
        print(f"done in {time.perf_counter() - start:.1f} s")
    return code
