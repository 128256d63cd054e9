"""One line of ``edge doctor``'s table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["ok", "warn", "fail", "skip"]


@dataclass(frozen=True)
class CheckResult:
    check: str
    status: Status
    detail: str
    hint: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "fail"
