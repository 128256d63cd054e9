"""How an embedding is stored: float16 bytes, optionally sealed with AES-GCM.

float16 halves the store; the rounding moves a cosine score by about 1e-4, far below any
threshold's resolution. In memory the search uses float32 (see :mod:`edge.gallery.search`).
With a key, each blob is ``nonce (12) || ciphertext+tag`` bound to its person id (associated
data), so a blob copied onto another person does not decrypt. A key check value (a known
plaintext sealed with the key) lets a wrong key be refused at open instead of failing later.
``cryptography`` is imported only for a key: a gallery in the clear does not load it (8 MB).
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

import numpy as np

from edge.errors import ConfigError, ModelError, SealBroken

KEY_BYTES = 32
_NONCE_BYTES = 12
_CHECK_PLAINTEXT = b"edge-gallery-key-check-v1"
_KEY_SETTING = "gallery.encryption_key_file"


def read_key(path: Path) -> bytes:
    """The 32-byte key in ``path``: raw bytes, or base64 text of them."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError([f"{_KEY_SETTING}: cannot read {path}: {exc.strerror}"]) from exc
    if len(data) == KEY_BYTES:
        return data
    try:
        decoded = base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if len(decoded) != KEY_BYTES:
        raise ConfigError(
            [f"{_KEY_SETTING}: {path} must hold a 32-byte key, raw or base64 "
             "(make one with: head -c 32 /dev/urandom | base64)"]
        )
    return decoded


class EmbeddingCodec:
    """Turns embeddings into stored blobs and back; ``key=None`` stores them in the clear."""

    def __init__(self, key: bytes | None) -> None:
        self._aead = None
        if key is not None:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            self._aead = AESGCM(key)

    @property
    def encrypted(self) -> bool:
        return self._aead is not None

    def encode(self, embedding: np.ndarray, person_id: str) -> bytes:
        return self.seal(np.asarray(embedding, dtype="<f2").tobytes(), person_id)

    def decode(self, blob: bytes, person_id: str) -> np.ndarray:
        """The stored embedding as float32, L2-normalized again after the float16 rounding."""
        vector = np.frombuffer(self.unseal(blob, person_id), dtype="<f2").astype(np.float32)
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm > 0 else vector

    def decode_many(self, blobs: list[bytes], person_ids: list[str]) -> np.ndarray:
        """Many stored embeddings as one (N, D) float32 matrix of unit rows (the snapshot's load)."""
        raw = [self.unseal(b, p) for b, p in zip(blobs, person_ids)] if self._aead else blobs
        if not raw:
            return np.zeros((0, 0), np.float32)
        if len({len(r) for r in raw}) != 1:
            raise ModelError("the gallery holds embeddings of different sizes (several descriptor "
                             "models): enroll again with one model")
        matrix = np.frombuffer(b"".join(raw), dtype="<f2").reshape(len(raw), -1).astype(np.float32)
        norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix))[:, None]
        matrix /= np.where(norms > 0, norms, 1.0)
        return matrix

    def seal(self, data: bytes, context: str) -> bytes:
        """``data`` sealed and bound to ``context`` (a person id, or a purpose)."""
        if self._aead is None:
            return data
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, data, context.encode())

    def unseal(self, blob: bytes, context: str) -> bytes:
        """``blob``'s data; :class:`SealBroken` when it fails authentication for ``context``."""
        if self._aead is None:
            return blob
        from cryptography.exceptions import InvalidTag

        try:
            return self._aead.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], context.encode())
        except InvalidTag as exc:
            raise SealBroken(f"a sealed blob fails authentication for {context!r}") from exc

    def key_check_value(self) -> bytes:
        return self.seal(_CHECK_PLAINTEXT, "key-check")

    def accepts(self, check_value: bytes) -> bool:
        """Whether this codec's key is the one that sealed ``check_value``."""
        try:
            return self.unseal(check_value, "key-check") == _CHECK_PLAINTEXT
        except SealBroken:
            return False
