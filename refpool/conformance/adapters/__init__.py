"""Peer adapters: refpool's operator names over other implementations.

An adapter is a module (or any object) exposing functions named like refpool's
operators, with the same positional and keyword arguments (minus ``engine`` and
``out``), taking and returning NumPy arrays.  It raises ``NotImplementedError``
for what its peer lacks.  refpool's builtin adapters subclass
:class:`refpool.conformance.adapters._base.Adapter`, which answers every
registered operator the peer lacks (``LACKS``).  It may define ``known_divergence(op, kwargs, shape)`` (optionally also
accepting ``dtype=``) returning
a short reason when a case hits a documented difference (SPEC §8), and ``NAME``.
"""
