"""Issue #19 item 6: at DEBUG the Tencent SDK wrote base64 camera frames into the log."""

from __future__ import annotations

import logging

import pytest
from tencentcloud.iai.v20200303.iai_client import IaiClient

from edge.log import setup_logging
from tests.iai.conftest import b64, call, photo


def test_debug_logging_never_writes_the_photos_sent_to_the_cloud(
        client: IaiClient, capfd: pytest.CaptureFixture[str]) -> None:
    image = b64(photo("Barack_Obama/1"))
    setup_logging("DEBUG", json_lines=True)
    try:
        call(client, "DetectFace", Image=image)
        logging.getLogger("edge.test").debug("a stray body: %s", image)  # any other path
    finally:
        setup_logging("INFO", json_lines=True)
    written = capfd.readouterr().err
    assert "base64 characters>" in written
    assert image[1000:1100] not in written
