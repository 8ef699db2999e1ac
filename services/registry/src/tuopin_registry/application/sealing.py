"""Envelope encryption of the people vault: every person's clear resident ID number is
sealed (AES-256-GCM) under a data key of their own, and that data key is kept wrapped
(AES-256-GCM again) under the registry's master key, ``TUOPIN_REGISTRY_PEOPLE_KEY``.

A key per person is what makes erasure possible in an immutable system: dropping one
wrapped data key (crypto-shredding) leaves that person's ciphertext unreadable for ever,
while everyone else's stays readable under the same master key. The person's id is the
associated data of both seals, so a sealed number or a wrapped key moved onto another
person's row does not open.

The same data key seals the person's other personal details — name, sex, birth date,
health, masked number — into the events that name them (``PersonKey.seal``): once the key
is dropped, those copies, on the topic and in every read model, are as unreadable as the
number. The details are bound to the person and to their purpose, so neither a number
nor another person's details open in their place.
"""

import base64
import binascii
import json
import os
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic_core import to_json

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # the GCM standard nonce; random, never reused under one key


class SealBroken(Exception):
    """A sealed number did not open: wrong master key, or a tampered or swapped row."""


@dataclass(frozen=True)
class Sealed:
    """One person's vault columns, as stored."""

    id_number_sealed: bytes  # ciphertext and GCM tag
    id_number_nonce: bytes
    data_key_wrapped: bytes  # the person's data key, sealed under the master key
    data_key_nonce: bytes


class PeopleKey:
    """The master key. It seals nothing but data keys; it never leaves this object (no
    repr, no logging)."""

    def __init__(self, master: bytes) -> None:
        if len(master) != KEY_BYTES:
            raise ValueError(f"the people key is {KEY_BYTES} bytes (AES-256), not {len(master)}")
        self._master = AESGCM(master)

    @classmethod
    def from_base64(cls, text: str) -> "PeopleKey":
        """One object per key, made once: every read that opens members' details asks."""
        return _people_key(text)

    def __repr__(self) -> str:
        return "PeopleKey(<secret>)"

    def seal(self, person_id: str, id_number: str) -> Sealed:
        return self.enrol(person_id, id_number)[0]

    def enrol(self, person_id: str, id_number: str) -> "tuple[Sealed, PersonKey]":
        """A new person's vault row, and their data key to seal their details with."""
        # The data key and both nonces from one call (what ``AESGCM.generate_key`` reads,
        # without its checks): an import enrols millions.
        fresh = os.urandom(KEY_BYTES + 2 * NONCE_BYTES)
        data_key, number_nonce, key_nonce = (
            fresh[:KEY_BYTES],
            fresh[KEY_BYTES : KEY_BYTES + NONCE_BYTES],
            fresh[KEY_BYTES + NONCE_BYTES :],
        )
        person = PersonKey(person_id, data_key)
        bound = person_id.encode()
        sealed = Sealed(
            id_number_sealed=person.cipher.encrypt(number_nonce, id_number.encode(), bound),
            id_number_nonce=number_nonce,
            data_key_wrapped=self._master.encrypt(key_nonce, data_key, bound),
            data_key_nonce=key_nonce,
        )
        return sealed, person

    def unwrap(self, person_id: str, wrapped: bytes, nonce: bytes) -> "PersonKey":
        """The person's data key, from their vault row's wrapped key."""
        try:
            return PersonKey(person_id, self._master.decrypt(nonce, wrapped, person_id.encode()))
        except InvalidTag:
            raise SealBroken(f"the vault row of person {person_id} does not open") from None

    def open(self, person_id: str, sealed: Sealed) -> str:
        bound = person_id.encode()
        data_key = self.unwrap(person_id, sealed.data_key_wrapped, sealed.data_key_nonce)
        try:
            number = AESGCM(data_key.secret).decrypt(
                sealed.id_number_nonce, sealed.id_number_sealed, bound
            )
        except InvalidTag:
            raise SealBroken(f"the vault row of person {person_id} does not open") from None
        return number.decode()


class PersonKey:
    """One person's data key, opened: seals and opens their personal details, as base64
    text fit for an event (nonce and ciphertext with its tag)."""

    def __init__(self, person_id: str, secret: bytes) -> None:
        self.person_id, self.secret = person_id, secret
        self.cipher = AESGCM(secret)  # built once: a filing seals the number and the details
        # Bound to the person and the purpose: never opens as someone else's, nor as a number.
        self._bound = f"{person_id}/details".encode()

    def __repr__(self) -> str:
        return f"PersonKey({self.person_id}, <secret>)"

    def seal_number(self, id_number: str) -> tuple[bytes, bytes]:
        """A corrected ID number sealed under the same key (sealed copies of the details
        the person's history holds still open): (ciphertext, nonce) for the vault row."""
        nonce = os.urandom(NONCE_BYTES)
        return AESGCM(self.secret).encrypt(
            nonce, id_number.encode(), self.person_id.encode()
        ), nonce

    def seal(self, details: dict[str, Any]) -> str:
        nonce = os.urandom(NONCE_BYTES)
        # Compact JSON in UTF-8, dates as ISO text, written by pydantic-core: codes given
        # as their text, which it writes several times faster than an enum member.
        clear = to_json({k: v.value if isinstance(v, Enum) else v for k, v in details.items()})
        box = self.cipher.encrypt(nonce, clear, self._bound)
        return base64.b64encode(nonce + box).decode()

    def open(self, sealed: str) -> dict[str, Any]:
        try:
            raw = base64.b64decode(sealed, validate=True)
            clear = AESGCM(self.secret).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], self._bound)
        except (InvalidTag, binascii.Error, ValueError):
            raise SealBroken(f"sealed details of person {self.person_id} do not open") from None
        details: dict[str, Any] = json.loads(clear)
        return details


def decode(text: str) -> bytes:
    """A base64 key as configuration holds it (the error never repeats the value)."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the people key is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise ValueError(f"the people key decodes to {len(key)} bytes, not {KEY_BYTES}")
    return key


@lru_cache(maxsize=4)
def _people_key(text: str) -> PeopleKey:
    return PeopleKey(decode(text))
