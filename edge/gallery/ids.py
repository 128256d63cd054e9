"""Person and group ids, and display names: what the gallery accepts and how new ids are made.

An id is the person's identity everywhere (gallery, audit log, events, Home Assistant, the
clouds), so it is opaque and never derived from a name: ``edge people`` makes a new one with
:func:`new_person_id` unless the operator gives one. A given id must be 1-64 characters of
ASCII letters, digits, ``_``, ``@`` and ``-``: the characters every mirror accepts (Tencent IAI
``PersonId``/``GroupId``: letters, digits and ``-%@#&_``, at most 64; YouTu: at most 128
characters; SenseTime makes its own ids and gets ours as ``user_data``). Galleries made before
this rule may hold ids with ``.``; they stay as they are (each embedding is sealed with its id)
and keep working, but no new one is accepted.

A name is any Unicode text a person is called by: NFC-normalized (so ``é`` typed or pasted
decomposed is the same name), trimmed, 1-60 characters (IAI's ``PersonName`` limit, the
strictest mirror), without control characters (terminal escape sequences, newlines).
"""

from __future__ import annotations

import re
import secrets
import unicodedata

from edge.errors import BadInput

ID_PATTERN = re.compile(r"[A-Za-z0-9_@-]{1,64}")
NAME_MAX_CHARS = 60  # Tencent IAI PersonName: [1, 60] characters
_GENERATED_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
_GENERATED_CHARS = 16  # 80 random bits: no clash in any gallery (and the store checks anyway)
# Unicode categories a name must not hold: controls (C0/C1: ESC, newline, DEL...), surrogates,
# and the line/paragraph separators that break a log or terminal line like a newline does.
_FORBIDDEN_CATEGORIES = {"Cc", "Cs", "Zl", "Zp"}


def new_person_id() -> str:
    """A fresh opaque id: ``p`` + 16 base32 characters (lower-case letters and digits only)."""
    return "p" + "".join(secrets.choice(_GENERATED_ALPHABET) for _ in range(_GENERATED_CHARS))


def check_id(value: str, what: str) -> str:
    """``value`` if it is a valid id, else BadInput naming it (``what`` = "person id", "group")."""
    if not ID_PATTERN.fullmatch(value):
        raise BadInput(f"{what} {value!r}: use 1-64 ASCII letters, digits, _ @ or - "
                       f"(the characters every cloud accepts){_control_note(value)}")
    return value


def check_name(value: str) -> str:
    """The name NFC-normalized and trimmed, or BadInput naming the input and what is wrong."""
    for position, char in enumerate(value):
        if unicodedata.category(char) in _FORBIDDEN_CATEGORIES:
            raise BadInput(f"name {value!r}: control character U+{ord(char):04X} at position "
                           f"{position} is not allowed")
    name = unicodedata.normalize("NFC", value).strip()
    if not name or len(name) > NAME_MAX_CHARS:
        raise BadInput(f"name {value!r}: a name must have 1-{NAME_MAX_CHARS} characters "
                       f"(it has {len(name)})")
    return name


def _control_note(value: str) -> str:
    controls = [c for c in value if unicodedata.category(c) in _FORBIDDEN_CATEGORIES]
    return f"; it holds control character U+{ord(controls[0]):04X}" if controls else ""
