"""Conformance: operator registry, case catalogue, peer adapters and runner.

refpool's reference engine is the oracle.  A *case* is data (operator, keyword
arguments, input shape, dtype, seed) with a per-dtype tolerance; inputs are
regenerated from the seed.  An *adapter* exposes refpool's operator names over
another implementation (a peer library, or refpool's own fast engines).
"""

from ..registry import OPERATORS, Operator

__all__ = ["OPERATORS", "Operator"]
