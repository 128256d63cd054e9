"""Settings of the web console (``[ui]``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from edge.config.base import Section


class UiSettings(Section):
    enabled: bool = Field(
        True, description="Serve the console on the /healthz port once an admin password is set"
    )
    user: str = Field("admin", pattern=r"^[A-Za-z0-9_.@-]{1,64}$", description="The admin's login name")
    password_file: Path | None = Field(
        None,
        description="The admin password's argon2 hash (write it with 'edge ui password'); "
        "empty = <service.state_dir>/ui-password",
    )
    session_max_age_s: int = Field(8 * 3600, ge=60, description="A session ends this long after login")
    login_attempts: int = Field(5, ge=1, description="Failed logins allowed per client per window")
    login_window_s: float = Field(300.0, gt=0, description="The failed-login window")
    live_fps: float = Field(
        5.0, gt=0, le=30, description="Most frames per second encoded for the live view (off the loop)"
    )
    live_jpeg_quality: int = Field(70, ge=20, le=95)
