"""Envelope encryption: data keys seal, master keys wrap, and nothing opens that should not."""

from __future__ import annotations

import base64
import os
from uuid import uuid4

import pytest

from coulisse.platform.crypto import (
    DataKey,
    DecryptionFailed,
    KeyringError,
    MasterKeyring,
    Sealed,
    WrappedKey,
)

OWNER = str(uuid4())


def keyring_text(*names: str) -> tuple[str, dict[str, bytes]]:
    secrets = {name: os.urandom(32) for name in names}
    text = ",".join(
        f"{name}:{base64.b64encode(secret).decode()}" for name, secret in secrets.items()
    )
    return text, secrets


def test_a_data_key_opens_what_it_sealed() -> None:
    key = DataKey.generate()
    sealed = key.seal(b'{"email":"jeanne@example.fr"}', b"customer-1")
    assert b"jeanne" not in sealed.ciphertext
    assert key.open(sealed, b"customer-1") == b'{"email":"jeanne@example.fr"}'


def test_sealing_twice_gives_two_ciphertexts() -> None:
    key = DataKey.generate()
    first, second = key.seal(b"same", b"a"), key.seal(b"same", b"a")
    assert first.nonce != second.nonce and first.ciphertext != second.ciphertext


def test_another_key_does_not_open_it() -> None:
    sealed = DataKey.generate().seal(b"secret", b"customer-1")
    with pytest.raises(DecryptionFailed):
        DataKey.generate().open(sealed, b"customer-1")


def test_a_changed_byte_or_other_associated_data_is_detected() -> None:
    key = DataKey.generate()
    sealed = key.seal(b"Jeanne Dupont", b"customer-1")
    flipped = bytes([sealed.ciphertext[0] ^ 1]) + sealed.ciphertext[1:]
    with pytest.raises(DecryptionFailed):
        key.open(Sealed(sealed.nonce, flipped), b"customer-1")
    with pytest.raises(DecryptionFailed):
        key.open(Sealed(sealed.nonce, sealed.ciphertext[:-1]), b"customer-1")
    with pytest.raises(DecryptionFailed):
        key.open(sealed, b"customer-2")  # moved to another customer's event
    with pytest.raises(DecryptionFailed):
        key.open(Sealed(os.urandom(12), sealed.ciphertext), b"customer-1")


def test_a_key_never_shows_its_secret_in_a_repr() -> None:
    key = DataKey.generate()
    assert key.secret.hex() not in repr(key) and str(key.secret) not in repr(key)
    text, secrets = keyring_text("m1")
    assert base64.b64encode(secrets["m1"]).decode() not in repr(MasterKeyring.parse(text))


def test_the_master_key_wraps_and_unwraps_a_data_key() -> None:
    text, _ = keyring_text("2026-12")
    keyring = MasterKeyring.parse(text)
    key = DataKey.generate()
    wrapped = keyring.wrap(key, owner=OWNER)
    assert wrapped.master_key_id == "2026-12"
    assert key.secret not in wrapped.wrapped
    assert keyring.unwrap(wrapped, owner=OWNER) == key
    with pytest.raises(DecryptionFailed):
        keyring.unwrap(wrapped, owner=str(uuid4()))  # another customer's row
    with pytest.raises(DecryptionFailed):
        keyring.unwrap(WrappedKey(uuid4(), wrapped.master_key_id, wrapped.wrapped), owner=OWNER)
    other = MasterKeyring({"2026-12": os.urandom(32)})
    with pytest.raises(DecryptionFailed):
        other.unwrap(wrapped, owner=OWNER)


def test_rotation_rewraps_with_the_new_master_key_and_drops_the_old_one() -> None:
    old_text, _ = keyring_text("old")
    new_text, _ = keyring_text("new")
    before = MasterKeyring.parse(old_text)
    key = DataKey.generate()
    wrapped = before.wrap(key, owner=OWNER)
    sealed = key.seal(b"Jeanne Dupont", OWNER.encode())

    during = MasterKeyring.parse(f"{new_text},{old_text}")
    assert during.current_id == "new"
    assert during.unwrap(wrapped, owner=OWNER) == key  # the old wrapping still opens
    rewrapped = during.rewrap(wrapped, owner=OWNER)
    assert rewrapped.master_key_id == "new" and rewrapped.key_id == key.key_id

    after = MasterKeyring.parse(new_text)
    unwrapped = after.unwrap(rewrapped, owner=OWNER)
    # The data key is the same: what it sealed before the rotation still opens.
    assert unwrapped.open(sealed, OWNER.encode()) == b"Jeanne Dupont"
    with pytest.raises(KeyringError, match="not configured"):
        after.unwrap(wrapped, owner=OWNER)


@pytest.mark.parametrize(
    "text",
    ["", "nokey", "m1:notbase64!", f"m1:{base64.b64encode(b'short').decode()}", "m1:AA==,m1:AA=="],
)
def test_unusable_master_keys_are_refused(text: str) -> None:
    with pytest.raises(KeyringError):
        MasterKeyring.parse(text)


def test_a_data_key_is_32_bytes() -> None:
    with pytest.raises(ValueError):
        DataKey(uuid4(), b"short")
