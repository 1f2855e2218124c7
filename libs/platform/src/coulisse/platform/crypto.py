"""Envelope encryption of personal data, so that erasing a customer is deleting one key.

- Each customer has a **data key** (AES-256-GCM, 32 random bytes). The customer service seals
  the customer's personal fields with it before they leave in an event; every copy of that
  ciphertext (the topic, a replay, a dead letter, a consumer's suspense) is readable only while
  the key exists.
- The customer service stores each data key **wrapped** (sealed) by a **master key** from its
  settings, never in clear. Erasure deletes the wrapped key: every ciphertext made with it
  becomes unreadable at once (crypto-shredding).
- Master keys are named. The first of the keyring wraps; the others only unwrap, so the master
  key is rotated by putting a new one first and rewrapping the stored keys (the ciphertexts in
  the events do not change: only the data keys' wrapping does).

AES-GCM authenticates as well as encrypts: a wrong key, a changed byte or other associated data
(the customer the ciphertext belongs to) makes opening fail with `DecryptionFailed`.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from uuid import UUID, uuid4

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ALGORITHM = "AES-256-GCM"
KEY_BYTES = 32
NONCE_BYTES = 12


class DecryptionFailed(Exception):
    """The ciphertext cannot be opened: wrong key, tampered bytes or other associated data."""


class KeyringError(ValueError):
    """The master keys of the settings cannot be used."""


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise DecryptionFailed("not base64") from exc


@dataclass(frozen=True)
class Sealed:
    """A ciphertext (the GCM tag included) and the nonce it was made with."""

    nonce: bytes
    ciphertext: bytes


def _seal(secret: bytes, plaintext: bytes, associated_data: bytes) -> Sealed:
    # A random 96-bit nonce per message: a key seals few messages (one customer's changes), far
    # below the 2^32 messages where random nonces start to risk a repeat.
    nonce = os.urandom(NONCE_BYTES)
    return Sealed(nonce, AESGCM(secret).encrypt(nonce, plaintext, associated_data))


def _open(secret: bytes, sealed: Sealed, associated_data: bytes) -> bytes:
    if len(sealed.nonce) != NONCE_BYTES:
        raise DecryptionFailed(f"the nonce must be {NONCE_BYTES} bytes")
    try:
        return AESGCM(secret).decrypt(sealed.nonce, sealed.ciphertext, associated_data)
    except InvalidTag as exc:
        raise DecryptionFailed("wrong key, tampered ciphertext or other associated data") from exc


@dataclass(frozen=True)
class DataKey:
    """One customer's key. Its secret never appears in a repr, a log line or an event."""

    key_id: UUID
    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.secret) != KEY_BYTES:
            raise ValueError(f"a data key is {KEY_BYTES} bytes")

    @classmethod
    def generate(cls) -> DataKey:
        return cls(uuid4(), AESGCM.generate_key(bit_length=KEY_BYTES * 8))

    def seal(self, plaintext: bytes, associated_data: bytes) -> Sealed:
        return _seal(self.secret, plaintext, associated_data)

    def open(self, sealed: Sealed, associated_data: bytes) -> bytes:
        return _open(self.secret, sealed, associated_data)


@dataclass(frozen=True)
class WrappedKey:
    """A data key sealed by a master key, as the customer service stores it."""

    key_id: UUID
    master_key_id: str
    wrapped: bytes
    """The nonce followed by the ciphertext of the key's secret."""


def _wrapping_context(owner: str, key_id: UUID) -> bytes:
    # A wrapped key moved to another customer's row, or given another id, does not unwrap.
    return f"coulisse:data-key:{owner}:{key_id}".encode()


class MasterKeyring:
    """The named master keys; the first one wraps, every one unwraps."""

    def __init__(self, keys: Mapping[str, bytes]) -> None:
        if not keys:
            raise KeyringError("at least one master key is needed")
        for name, secret in keys.items():
            if not name or ":" in name or "," in name:
                raise KeyringError("a master key id must be non-empty, without ':' or ','")
            if len(secret) != KEY_BYTES:
                raise KeyringError(f"master key {name!r} must be {KEY_BYTES} bytes")
        self._keys = dict(keys)
        self.current_id = next(iter(self._keys))

    def __repr__(self) -> str:
        return f"MasterKeyring(ids={list(self._keys)})"

    @property
    def ids(self) -> list[str]:
        return list(self._keys)

    @classmethod
    def parse(cls, text: str) -> MasterKeyring:
        """`id:base64,id:base64`, the current (wrapping) key first."""
        keys: dict[str, bytes] = {}
        for item in (part.strip() for part in text.split(",")):
            if not item:
                continue
            name, separator, encoded = item.partition(":")
            if not separator:
                raise KeyringError("each master key is written `id:base64-of-32-bytes`")
            try:
                secret = base64.b64decode(encoded.strip().encode("ascii"), validate=True)
            except (binascii.Error, UnicodeEncodeError) as exc:
                raise KeyringError(f"master key {name.strip()!r} is not base64") from exc
            if name.strip() in keys:
                raise KeyringError(f"master key {name.strip()!r} is listed twice")
            keys[name.strip()] = secret
        return cls(keys)

    def wrap(self, key: DataKey, *, owner: str) -> WrappedKey:
        sealed = _seal(
            self._keys[self.current_id], key.secret, _wrapping_context(owner, key.key_id)
        )
        return WrappedKey(key.key_id, self.current_id, sealed.nonce + sealed.ciphertext)

    def unwrap(self, wrapped: WrappedKey, *, owner: str) -> DataKey:
        secret = self._keys.get(wrapped.master_key_id)
        if secret is None:
            raise KeyringError(
                f"the data key {wrapped.key_id} is wrapped by master key "
                f"{wrapped.master_key_id!r}, which is not configured"
            )
        sealed = Sealed(wrapped.wrapped[:NONCE_BYTES], wrapped.wrapped[NONCE_BYTES:])
        return DataKey(
            wrapped.key_id, _open(secret, sealed, _wrapping_context(owner, wrapped.key_id))
        )

    def rewrap(self, wrapped: WrappedKey, *, owner: str) -> WrappedKey:
        """The same data key, wrapped by the current master key."""
        return self.wrap(self.unwrap(wrapped, owner=owner), owner=owner)
