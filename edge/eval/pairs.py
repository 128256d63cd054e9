"""LFW-format pair lists: ``pairs.txt`` (View 2) and ``pairsDevTrain.txt`` / ``pairsDevTest.txt`` (View 1).

The first line is either ``N`` (one set: N same-person then N different-person pairs) or
``S N`` (S sets, each N same then N different). Same-person lines are ``name n1 n2``, different
ones ``name1 n1 name2 n2``; image n of a person is ``DIR/name/name_NNNN.jpg``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from edge.errors import BadInput


@dataclass(frozen=True)
class Pair:
    a: Path
    b: Path
    same: bool


def lfw_image(images: Path, name: str, number: int) -> Path:
    return images / name / f"{name}_{number:04d}.jpg"


def _number(text: str, where: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise BadInput(f"{where}: {text!r} is not an image number (1, 2, ...)")
    return int(text)


def parse_pairs(text: str, images: Path, source: str = "pairs") -> list[Pair]:
    """The pairs of an LFW pair list, in file order; a malformed list is :class:`BadInput`."""
    lines = [line.split() for line in text.splitlines() if line.strip()]
    if not lines:
        raise BadInput(f"{source}: empty pair list")
    header = lines[0]
    if not 1 <= len(header) <= 2 or not all(f.isdigit() for f in header):
        raise BadInput(f"{source}:1: the first line must be 'N' or 'SETS N', got {' '.join(header)!r}")
    sets, per_set = (1, int(header[0])) if len(header) == 1 else (int(header[0]), int(header[1]))
    if len(lines) - 1 != 2 * sets * per_set:
        raise BadInput(f"{source}: the header promises {2 * sets * per_set} pairs ({sets} set(s) of "
                       f"{per_set} same + {per_set} different) but {len(lines) - 1} follow")
    pairs = []
    for index, fields in enumerate(lines[1:]):
        where = f"{source}:{index + 2}"
        same_expected = index % (2 * per_set) < per_set
        if same_expected and len(fields) == 3:
            name = fields[0]
            pairs.append(Pair(lfw_image(images, name, _number(fields[1], where)),
                              lfw_image(images, name, _number(fields[2], where)), True))
        elif not same_expected and len(fields) == 4:
            pairs.append(Pair(lfw_image(images, fields[0], _number(fields[1], where)),
                              lfw_image(images, fields[2], _number(fields[3], where)), False))
        else:
            kind = "'name n1 n2' (same person)" if same_expected else "'name1 n1 name2 n2' (different people)"
            raise BadInput(f"{where}: expected {kind}, got {' '.join(fields)!r}")
    return pairs


def read_pairs(pairs_file: Path, images: Path) -> list[Pair]:
    try:
        text = pairs_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{pairs_file}: cannot read the pair list: {exc}") from exc
    pairs = parse_pairs(text, images, str(pairs_file))
    missing = sorted({str(p) for pair in pairs for p in (pair.a, pair.b) if not p.is_file()})
    if missing:
        raise BadInput(f"{len(missing)} image(s) of the pair list are not under {images}, e.g. {missing[0]}")
    return pairs
