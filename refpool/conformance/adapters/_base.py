"""The base class of refpool's builtin adapters.

A builtin adapter answers every registered operator
(:data:`refpool.registry.OPERATORS`): it either implements it, as a method with
the operator's name and arguments, or lists it in ``LACKS``, and :class:`Adapter`
then supplies a function raising ``NotImplementedError`` with the reason.  The
registry parity test (``tests/test_registry.py``) checks that every operator is
one or the other, so registering an operator asks each adapter for a decision.

A builtin adapter module exposes its adapter through the module itself
(``__getattr__ = adapter.module_getattr``), so ``--against
refpool.conformance.adapters.torch`` and ``adapters.torch.max_pool`` keep
working; third-party adapters may stay plain modules.
"""

from __future__ import annotations


class Adapter:
    """refpool's operator names over a peer.

    Attributes
    ----------
    NAME : str
        Shown in reports.
    PEER : str
        The peer in the words of ``NotImplementedError`` messages.
    LACKS : dict
        The operators the peer has no counterpart of, each with where to look
        instead (another adapter) or None.
    """

    NAME = "adapter"
    PEER = "this peer"
    LACKS = {}

    def __getattr__(self, name):
        # only reached for names the subclass does not define
        if name not in self.LACKS:
            raise AttributeError(name)
        hint = self.LACKS[name]

        def unsupported(x, *args, **kwargs):
            raise NotImplementedError(f"{self.PEER} has no counterpart of {name}"
                                      + (f"; {hint}" if hint else ""))

        unsupported.__name__ = name
        return unsupported

    def known_divergence(self, op, kwargs, shape, dtype=None):
        """A documented difference between the peer and refpool hit by this case
        (the reason string), or None."""
        return None

    def module_getattr(self, name):
        """A module-level ``__getattr__`` exposing this adapter's operators."""
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self, name)


def general_padding(padding):
    """Whether ``padding`` uses refpool's forms beyond PyTorch's (``(before, after)``
    pairs or a name such as ``"same"``)."""
    return isinstance(padding, str) or (isinstance(padding, (tuple, list)) and any(
        isinstance(p, (tuple, list)) for p in padding))


def require_equal_padding(padding, peer):
    """Refuse (NotImplementedError: unsupported) a padding ``peer`` cannot express: it
    pads both sides of every axis equally."""
    if general_padding(padding):
        raise NotImplementedError(f"{peer} pads both sides equally (no (before, after) "
                                  "pairs, no 'same'/'valid')")
