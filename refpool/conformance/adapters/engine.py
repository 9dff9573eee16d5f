"""Adapters over refpool's own engines: ``cpu``, ``cuda`` and ``reference``.

``refpool conformance --against cpu`` checks the CPU engine against the
reference with exactly the machinery a third-party backend would use.
"""

from __future__ import annotations

from ._base import Adapter


class EngineAdapter(Adapter):
    """Every registered operator of refpool, run with ``engine=<engine>``."""

    def __init__(self, engine):
        self.engine = engine
        self.NAME = f"refpool[{engine}]"

    def __getattr__(self, name):
        from ...registry import OPERATORS
        if name not in OPERATORS:
            raise AttributeError(name)
        fn = OPERATORS[name].function

        def call(x, *args, **kwargs):
            return fn(x, *args, **kwargs, engine=self.engine)

        call.__name__ = name
        return call


cpu = EngineAdapter("cpu")
cuda = EngineAdapter("cuda")
reference = EngineAdapter("reference")
