"""Revocation through a W3C Bitstring Status List (v1.0).

Bit i of the list is set when the credential with statusListIndex i is revoked.
The list is GZIP-compressed and multibase base64url encoded ("u" prefix), with
index 0 the most significant bit of the first byte.
"""

import base64
import gzip
from collections.abc import Iterable

#: The smallest list the specification allows (16 KiB), for herd privacy.
LIST_BITS = 131_072


class StatusListError(ValueError):
    """An encoded list is malformed."""


def encode(revoked: Iterable[int], size: int = LIST_BITS) -> str:
    """Return the encodedList with the given indexes set."""
    bits = bytearray(size // 8)
    for index in revoked:
        if not 0 <= index < size:
            raise StatusListError(f"index {index} is outside the list")
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def is_set(encoded_list: str, index: int) -> bool:
    """Return whether the bit at index is set in an encodedList."""
    if not isinstance(encoded_list, str) or not encoded_list.startswith("u"):
        raise StatusListError("the list is not multibase base64url")
    body = encoded_list[1:]
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        bits = gzip.decompress(packed)
    except (ValueError, OSError, EOFError) as error:
        raise StatusListError(f"the list cannot be decoded: {error}") from None
    if not 0 <= index < len(bits) * 8:
        raise StatusListError(f"index {index} is outside the list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))
