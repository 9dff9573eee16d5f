"""Adapters over refpool's own engines: ``cpu``, ``cuda`` and ``reference``.

``refpool conformance --against cpu`` checks the CPU engine against the
reference with exactly the machinery a third-party backend would use.
"""

from __future__ import annotations


class EngineAdapter:
    """Every public operator of refpool, run with ``engine=<engine>``."""

    def __init__(self, engine):
        self.engine = engine
        self.NAME = f"refpool[{engine}]"

    def __getattr__(self, name):
        import refpool
        from ..operators import OPERATORS
        if name not in OPERATORS:
            raise AttributeError(name)
        fn = getattr(refpool, name)

        def call(x, *args, **kwargs):
            result = fn(x, *args, **kwargs, engine=self.engine)
            return result

        return call


cpu = EngineAdapter("cpu")
cuda = EngineAdapter("cuda")
reference = EngineAdapter("reference")
