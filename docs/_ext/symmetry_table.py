"""Sphinx extension: the operator x exact-symmetry table, generated from the registry.

At every build it evaluates :func:`refpool.exact_symmetries` on a fixed list of
representative calls and writes ``_generated/symmetry_table.rst``, so the table
in the docs can never drift from the code.
"""

import os

EXAMPLES = [
    ("max_pool", (1, 1, 8, 8), dict(kernel_size=2)),
    ("max_pool", (1, 1, 7, 8), dict(kernel_size=2)),
    ("max_pool", (1, 1, 7, 7), dict(kernel_size=3, stride=2, padding=1)),
    ("max_pool", (1, 1, 8, 8), dict(kernel_size=3, stride=2, padding=1)),
    ("max_pool", (1, 1, 8, 8), dict(kernel_size=(2, 3), stride=2)),
    ("max_pool", (1, 1, 8, 8), dict(kernel_size=2, ceil_mode=True)),
    ("max_pool", (1, 1, 7, 7), dict(kernel_size=2, ceil_mode=True)),
    ("max_pool", (1, 1, 6, 6, 6), dict(kernel_size=2)),
    ("max_pool", (1, 1, 6, 6, 7), dict(kernel_size=2)),
    ("avg_pool", (1, 1, 7, 7), dict(kernel_size=3, stride=2, padding=1)),
    ("avg_pool", (1, 1, 8, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("avg_pool", (1, 1, 8, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                    count_include_pad=False)),
    ("adaptive_avg_pool", (1, 1, 7, 9), dict(output_size=3)),
    ("adaptive_max_pool", (1, 1, 7, 9), dict(output_size=(3, 4))),
    ("antialiased_avg_pool", (1, 1, 9, 9), dict(sigma=0.6, stride=2)),
    ("antialiased_avg_pool", (1, 1, 8, 8), dict(sigma=0.6, stride=2)),
    ("antialiased_max_pool", (1, 1, 8, 8), dict(kernel_size=2)),
    ("antialiased_max_pool", (1, 1, 9, 9), dict(kernel_size=3, stride=2, padding=1)),
    ("blur_pool", (1, 1, 9, 9), dict(filt_size=3, stride=2)),
    ("blur_pool", (1, 1, 9, 9), dict(filt_size=4, stride=2)),
    ("blur_pool", (1, 1, 8, 8), dict(filt_size=3, stride=2)),
    ("interpolate", (1, 1, 8, 8), dict(scale_factor=2, mode="nearest")),
    ("interpolate", (1, 1, 8, 8), dict(scale_factor=1.5, mode="nearest")),
    ("interpolate", (1, 1, 8, 8), dict(scale_factor=2, mode="nearest-exact")),
    ("interpolate", (1, 1, 8, 8), dict(scale_factor=2, mode="bilinear", align_corners=False)),
    ("interpolate", (1, 1, 8, 8), dict(scale_factor=1.5, mode="bilinear",
                                       align_corners=False)),
    ("interpolate", (1, 1, 7, 8), dict(size=(11, 13), mode="bilinear", align_corners=True)),
    ("interpolate", (1, 1, 8, 8), dict(scale_factor=2, mode="bicubic")),
    ("group_pool", (1, 4, 7, 8), dict()),
    ("norm_max_pool", (1, 4, 8, 8), dict(kernel_size=2)),
]


def _describe(elements, total):
    if len(elements) == total:
        return f"all {total}"
    if len(elements) <= 8:
        return f"{len(elements)}/{total}: " + ", ".join(f"``{g}``" for g in elements)
    return f"{len(elements)}/{total}"


def _kwargs(kw):
    return ", ".join(f"{k}={v!r}" for k, v in kw.items()) or "—"


def generate(app):
    from refpool.equivariance import exact_symmetries, grid_group
    from refpool.registry import OPERATORS
    lines = [".. list-table::", "   :header-rows: 1", "   :widths: 18 14 30 38", "",
             "   * - operator", "     - input shape", "     - arguments",
             "     - exact symmetries"]
    for name, shape, kw in EXAMPLES:
        if name not in OPERATORS:
            continue
        kw = dict(kw)
        if name in ("group_pool", "norm_max_pool"):
            from refpool import groups, FieldType
            c4 = groups.cyclic(4)
            kw["field_type"] = FieldType(c4, [c4.regular_representation])
        held = exact_symmetries(name, shape, **kw)
        total = len(grid_group(len(shape) - 2).elements)
        shown = {k: v for k, v in kw.items() if k != "field_type"}
        if "field_type" in kw:
            shown["field_type"] = "C4 regular"
        lines += [f"   * - ``{name}``", f"     - {shape[2:]}", f"     - {_kwargs(shown)}",
                  f"     - {_describe(held, total)}"]
    lines += ["", "Conditions, per operator:", ""]
    for op in OPERATORS.values():
        lines.append(f"``{op.name}``\n   {op.condition}\n")
    out_dir = os.path.join(app.srcdir, "_generated")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "symmetry_table.rst"), "w") as f:
        f.write("\n".join(lines) + "\n")


def setup(app):
    app.connect("builder-inited", generate)
    return {"parallel_read_safe": True}
