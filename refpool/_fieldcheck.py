"""Compatibility checks between operators and field types (the ``field_type=`` keyword)."""

from __future__ import annotations


def check_field_channels(field_type, channels, op):
    """The channel count must equal ``field_type.size``."""
    if field_type.size != channels:
        raise ValueError(
            f"{op}: x has {channels} channels but field_type has size {field_type.size}")


def check_pointwise_field_type(field_type, channels, op):
    """Validate ``field_type=`` of an operator that acts on each channel alone.

    A channel-wise nonlinear operator (max pooling) commutes with the fiber action
    rho(g) exactly when every rho(g) permutes channels, so every representation of
    the field type must be a permutation representation (trivial, regular,
    quotient, and direct sums of them).
    """
    if field_type is None:
        return
    if not hasattr(field_type, "representations") or not hasattr(field_type, "size"):
        raise TypeError(f"{op}: field_type must be a refpool.FieldType, got "
                        f"{type(field_type).__name__}")
    check_field_channels(field_type, channels, op)
    for rep in field_type.representations:
        if not rep.is_permutation:
            raise ValueError(
                f"{op}: field_type contains representation {getattr(rep, 'name', rep)!r}, "
                "which is not a permutation representation; a channel-wise max commutes "
                "only with channel permutations (use norm_max_pool for such fields)")
