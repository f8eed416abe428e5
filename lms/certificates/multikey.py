"""Ed25519 keys as Multikey strings: multibase base58btc of a multicodec prefix."""

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: index for index, char in enumerate(ALPHABET)}
#: The multicodec prefix of an Ed25519 public key (0xed, as an unsigned varint).
ED25519_PUB = b"\xed\x01"


class MultibaseError(ValueError):
    """A string is not valid multibase base58btc."""


def b58encode(data: bytes) -> str:
    """Encode bytes in base58btc (Bitcoin alphabet)."""
    number = int.from_bytes(data, "big")
    encoded = ""
    while number:
        number, remainder = divmod(number, 58)
        encoded = ALPHABET[remainder] + encoded
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + encoded


def b58decode(text: str) -> bytes:
    """Decode base58btc text; MultibaseError on a character outside the alphabet."""
    number = 0
    for char in text:
        if char not in _INDEX:
            raise MultibaseError(f"invalid base58btc character {char!r}")
        number = number * 58 + _INDEX[char]
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def multibase_encode(data: bytes) -> str:
    """Encode bytes as multibase base58btc: "z" then base58btc."""
    return "z" + b58encode(data)


def multibase_decode(text: str) -> bytes:
    """Decode multibase base58btc; MultibaseError for any other base."""
    if not isinstance(text, str) or not text.startswith("z"):
        raise MultibaseError("expected multibase base58btc (a 'z' prefix)")
    return b58decode(text[1:])


def public_key_multibase(key: Ed25519PublicKey) -> str:
    """Return the Multikey form of an Ed25519 public key ("z6Mk…")."""
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return multibase_encode(ED25519_PUB + raw)


def public_key_from_multibase(text: str) -> Ed25519PublicKey:
    """Read an Ed25519 public key from its Multikey form."""
    data = multibase_decode(text)
    if not data.startswith(ED25519_PUB) or len(data) != 34:
        raise MultibaseError("not an Ed25519 Multikey public key")
    return Ed25519PublicKey.from_public_bytes(data[2:])
