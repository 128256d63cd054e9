"""The YouTu face API's documented error codes as typed errors.

RemoteError
└── YoutuError                 any documented code (``.code``, ``.message``)
    ├── YoutuAuthError         4-14, 16, 24, 25: signature, appid, bucket, permission
    ├── YoutuRateLimited       15: too many requests
    ├── YoutuTransient         107, 108, 213: retried with backoff by the client
    ├── YoutuTooLarge          23: request body over 1.5 MB
    └── YoutuInputError        3, 21 and -1101 ... -1403: the request or image cannot be used
        ├── YoutuNoFace        -1101
        ├── YoutuNotFound      -1303 person, -1305 face, -1306 group, -1307 group list
        ├── YoutuConflict      -1302 person exists, -1312 near-duplicate face
        └── YoutuLimitReached  -1309 faces, -1310 persons, -1311 groups
"""

from __future__ import annotations

from edge.errors import RemoteError
from edge.identify.families import Family


class YoutuError(RemoteError):
    """``data``: what the error's answer carries besides code and message (compare's ``fail_flag``).
    ``family``: what kind of failure (:mod:`edge.identify.families`), by class."""

    code: int
    family = Family.BAD_REQUEST

    def __init__(self, code: int, message: str = "", data: dict[str, object] | None = None) -> None:
        super().__init__(code, message or MESSAGES.get(code, "unknown error"))
        self.data = data or {}


class YoutuAuthError(YoutuError):
    family = Family.UNAUTHORIZED


class YoutuRateLimited(YoutuError):
    family = Family.RATE_LIMITED


class YoutuTransient(YoutuError):
    family = Family.UNAVAILABLE


class YoutuTooLarge(YoutuError):
    pass


class YoutuInputError(YoutuError):
    pass


class YoutuNoFace(YoutuInputError):
    pass


class YoutuNotFound(YoutuInputError):
    family = Family.NOT_FOUND


class YoutuConflict(YoutuInputError):
    pass


class YoutuLimitReached(YoutuInputError):
    pass


# The seed tables' codes and their (translated) descriptions.
MESSAGES: dict[int, str] = {
    3: "bad request",
    4: "empty signature",
    5: "malformed signature",
    6: "the signature's appid does not match the target",
    7: "the signature's bucket does not match the target",
    8: "the signature's SecretId does not match the target",
    9: "signature expired",
    10: "appid does not exist",
    11: "SecretId does not exist",
    12: "appid and SecretId do not match",
    13: "replay: single-use signature used again",
    14: "signature check failed",
    15: "too many requests",
    16: "bucket does not exist",
    21: "invalid parameter",
    23: "request body too large",
    24: "no permission",
    25: "resources used up",
    107: "authentication service unavailable",
    108: "authentication service unavailable",
    213: "internal error",
    -1101: "face detection failed",
    -1102: "image decoding failed",
    -1103: "feature processing failed",
    -1104: "contour extraction failed",
    -1105: "gender extraction failed",
    -1106: "expression extraction failed",
    -1107: "age extraction failed",
    -1108: "pose extraction failed",
    -1109: "glasses extraction failed",
    -1200: "feature storage failed",
    -1300: "image is empty",
    -1301: "parameter is empty",
    -1302: "person already exists",
    -1303: "person does not exist",
    -1304: "parameter too long",
    -1305: "face does not exist",
    -1306: "group does not exist",
    -1307: "group list does not exist",
    -1308: "image download from url failed",
    -1309: "too many faces",
    -1310: "too many persons",
    -1311: "too many groups",
    -1312: "nearly the same face is already in the person",
    -1400: "unsupported image format",
    -1403: "image download failed",
}

# The one table of codes: the class (and so the family) of each; the emulator raises from it too.
CLASSES: dict[int, type[YoutuError]] = {
    **{code: YoutuInputError for code in (3, 21)},
    **{code: YoutuAuthError for code in (4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 24, 25)},
    15: YoutuRateLimited,
    23: YoutuTooLarge,
    **{code: YoutuTransient for code in (107, 108, 213)},
    -1101: YoutuNoFace,
    **{code: YoutuNotFound for code in (-1303, -1305, -1306, -1307)},
    **{code: YoutuConflict for code in (-1302, -1312)},
    **{code: YoutuLimitReached for code in (-1309, -1310, -1311)},
}


def error_for(code: int, message: str = "") -> YoutuError:
    """The typed error of a documented code; other negative codes are input errors."""
    kind = CLASSES.get(code) or (YoutuInputError if code < 0 else YoutuError)
    return kind(code, message)
