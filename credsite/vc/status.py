"""Bitstring Status List: bits, their GZIP + base64url encoding, entries, the list credential.

https://www.w3.org/TR/vc-bitstring-status-list/ — a credential points at one bit of a published,
signed list (``BitstringStatusListEntry``); flipping the bit revokes or suspends it without
revealing which credential changed. Lists have at least 131,072 entries (16 KiB) so one index
says little about who was checked (§ "Bitstring Encoding", herd privacy). Bit 0 is the most
significant bit of byte 0. GZIP runs with ``mtime=0`` so the same bits always encode to the same
string and unchanged lists do not churn the published site.
"""

from __future__ import annotations

import gzip
import io
import zlib
from datetime import datetime
from typing import Any

from .encoding import multibase_base64url, multibase_decode

MIN_ENTRIES = 131_072
STATUS_PURPOSES = ("revocation", "suspension", "refresh", "message")
VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
# Decompression cap: far above any list we publish, low enough to stop a gzip bomb.
MAX_DECODED_BYTES = 16 * 1024 * 1024


class StatusListError(ValueError):
    """An encoded list that cannot be used for status checks."""


class Bitstring:
    """A fixed-size bit array, MSB-first: index 0 is the most significant bit of byte 0."""

    __slots__ = ("_bits", "size")

    def __init__(self, size: int = MIN_ENTRIES, data: bytes | None = None) -> None:
        if size <= 0 or size % 8:
            raise ValueError("a bitstring size must be a positive multiple of 8")
        if data is not None and len(data) != size // 8:
            raise ValueError(f"{len(data)} bytes do not hold {size} bits")
        self.size = size
        self._bits = bytearray(data) if data is not None else bytearray(size // 8)

    def _check(self, index: int) -> None:
        if not isinstance(index, int) or isinstance(index, bool):
            raise TypeError("a status list index is an int")
        if not 0 <= index < self.size:
            raise IndexError(f"index {index} outside a {self.size}-bit list")

    def get(self, index: int) -> bool:
        """The bit at ``index``."""
        self._check(index)
        return bool(self._bits[index // 8] & (0x80 >> (index % 8)))

    def set(self, index: int, value: bool = True) -> None:
        """Set (or with ``value=False`` clear) the bit at ``index``."""
        self._check(index)
        mask = 0x80 >> (index % 8)
        if value:
            self._bits[index // 8] |= mask
        else:
            self._bits[index // 8] &= ~mask & 0xFF

    def to_bytes(self) -> bytes:
        """The raw (uncompressed) bits."""
        return bytes(self._bits)

    def encode(self) -> str:
        """``encodedList``: ``"u"`` + base64url(gzip(bits)), deterministic (mtime 0)."""
        buffer = io.BytesIO()
        with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9, mtime=0) as gz:
            gz.write(self._bits)
        return multibase_base64url(buffer.getvalue())

    @classmethod
    def decode(cls, encoded: object) -> Bitstring:
        """Parse an ``encodedList``. Any size that is a whole number of bytes is accepted here;
        verification must also check ``size >= MIN_ENTRIES`` (see :func:`decode_for_verification`).
        """
        if not isinstance(encoded, str) or not encoded.startswith("u"):
            raise StatusListError("encodedList must be multibase base64url (prefix 'u')")
        try:
            compressed = multibase_decode(encoded)
        except ValueError as exc:
            raise StatusListError(f"encodedList is not base64url: {exc}") from exc
        try:
            decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            data = decompressor.decompress(compressed, MAX_DECODED_BYTES)
            if decompressor.unconsumed_tail:
                raise StatusListError("encodedList decompresses to more than 16 MiB")
            if not decompressor.eof:
                raise StatusListError("encodedList is a truncated GZIP stream")
            if decompressor.unused_data:
                raise StatusListError("encodedList has data after the GZIP stream")
        except zlib.error as exc:
            raise StatusListError(f"encodedList is not GZIP data: {exc}") from exc
        if not data:
            raise StatusListError("encodedList is empty")
        return cls(len(data) * 8, data)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Bitstring):
            return NotImplemented
        return self.size == other.size and self._bits == other._bits

    def __hash__(self) -> int:
        return hash((self.size, bytes(self._bits)))

    def __repr__(self) -> str:
        return f"Bitstring(size={self.size}, set={sum(bin(b).count('1') for b in self._bits)})"


def decode_for_verification(encoded: object) -> Bitstring:
    """Decode and enforce the spec minimum (STATUS_LIST_LENGTH_ERROR below 131,072 entries)."""
    bits = Bitstring.decode(encoded)
    if bits.size < MIN_ENTRIES:
        raise StatusListError(
            f"status list has {bits.size} entries; at least {MIN_ENTRIES} are required"
        )
    return bits


def status_entry(list_url: str, index: int, purpose: str) -> dict[str, Any]:
    """A ``BitstringStatusListEntry`` for bit ``index`` of the list at ``list_url``.

    ``statusListIndex`` is a base-10 string (spec); ``id`` is ``list_url#index`` because the OB 3.0
    schema requires an ``id`` and the spec forbids it to equal the list URL.
    """
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ValueError("a status list index is a non-negative int")
    if purpose not in STATUS_PURPOSES:
        raise ValueError(f"unknown statusPurpose {purpose!r}")
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def _timestamp(value: str | datetime) -> str:
    if isinstance(value, datetime):
        offset = value.utcoffset()
        if value.tzinfo is None or offset is None:
            raise ValueError("valid_from must be timezone-aware")
        if offset.total_seconds() == 0:
            return value.replace(microsecond=0, tzinfo=None).isoformat() + "Z"
        return value.replace(microsecond=0).isoformat()
    return value


def status_list_credential(
    list_url: str,
    issuer: str,
    purpose: str,
    bitstring: Bitstring,
    valid_from: str | datetime,
    ttl_ms: int = 600_000,
) -> dict[str, Any]:
    """The unsigned ``BitstringStatusListCredential`` published at ``list_url``.

    ``ttl`` (milliseconds, in ``credentialSubject`` where the v2 context defines it) defaults to
    600,000 to match the ``Cache-Control: max-age=600`` GitHub Pages serves.
    """
    if purpose not in STATUS_PURPOSES:
        raise ValueError(f"unknown statusPurpose {purpose!r}")
    if bitstring.size < MIN_ENTRIES:
        raise ValueError(f"a published status list needs at least {MIN_ENTRIES} entries")
    return {
        "@context": [VC_V2_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": _timestamp(valid_from),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": bitstring.encode(),
            "ttl": ttl_ms,
        },
    }
