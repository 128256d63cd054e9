"""An error the local server answers inside the envelope (HTTP 200, like the real service)."""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")
