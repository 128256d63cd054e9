"""The asynchronous flow: 202 with a task, /info/task pending -> processing -> done, 24 h lifetime."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from edge.identify.sensetime.client import SenseTimeClient
from edge.identify.sensetime.errors import InvalidTask, TaskPending
from tests.sensetime.conftest import API_ID, API_SECRET, Emulator

CREDENTIALS = {"api_id": API_ID, "api_secret": API_SECRET}


@pytest.fixture(scope="module")
def emulator(start_emulator: Callable[..., Any]) -> Iterator[Emulator]:
    """Training takes 2 s here, so the steps below are told apart by the test's clock alone."""
    with start_emulator(train_delay_s=2.0) as running:
        yield running


@pytest.fixture(scope="module")
def untrained_group(client: SenseTimeClient, faces: dict[str, str]) -> str:
    person = client.person_create("Barack Obama", [faces["Barack_Obama/1"]])
    return client.group_create("door", [person])


def task_status(emulator: Emulator, task_id: str) -> httpx.Response:
    return httpx.get(f"{emulator.url}/info/task", params={**CREDENTIALS, "task_id": task_id})


def test_identification_on_an_untrained_group_is_a_task_until_trained(
    emulator: Emulator, faces: dict[str, str], untrained_group: str
) -> None:
    fields = {**CREDENTIALS, "face_id": faces["Barack_Obama/2"], "group_id": untrained_group}
    accepted = httpx.post(f"{emulator.url}/face/identification", data=fields)
    assert accepted.status_code == 202
    body = accepted.json()
    assert body["status"] == "OK" and body["task_status"] == "pending"
    task_id = body["task_id"]

    assert task_status(emulator, task_id).json()["task_status"] == "pending"
    emulator.clock.advance(1.2)  # past half of the 2 s training delay
    assert task_status(emulator, task_id).json()["task_status"] == "processing"
    emulator.clock.advance(1.0)
    done = task_status(emulator, task_id).json()
    assert done["task_status"] == "done"
    assert done["result"]["status"] == "OK"
    assert done["result"]["candidates"][0]["confidence"] > 0.6
    assert task_status(emulator, task_id).json() == done  # the result stays for the task's life

    emulator.clock.advance(24 * 3600)
    expired = task_status(emulator, task_id)
    assert expired.status_code == 400 and expired.json()["status"] == "INVALID_TASK"
    emulator.clock.offset = 0.0


def test_training_finishes_a_pending_task_at_once(
    emulator: Emulator, client: SenseTimeClient, faces: dict[str, str]
) -> None:
    person = client.person_create("Eileen Collins", [faces["Eileen_Collins/1"]])
    group = client.group_create("lab", [person])
    accepted = httpx.post(f"{emulator.url}/face/identification",
                          data={**CREDENTIALS, "face_id": faces["Eileen_Collins/1"], "group_id": group})
    client.train(group_ids=[group])
    done = task_status(emulator, accepted.json()["task_id"]).json()
    assert done["task_status"] == "done" and done["result"]["candidates"][0]["person_id"] == person


def test_a_task_whose_target_vanished_fails_with_the_reason(
    emulator: Emulator, client: SenseTimeClient, faces: dict[str, str]
) -> None:
    person = client.person_create("Joe Biden", [faces["Joe_Biden/1"]])
    group = client.group_create("garage", [person])
    accepted = httpx.post(f"{emulator.url}/face/identification",
                          data={**CREDENTIALS, "face_id": faces["Joe_Biden/2"], "group_id": group})
    client.group_delete(group)
    failed = task_status(emulator, accepted.json()["task_id"]).json()
    assert failed["task_status"] == "failed" and failed["result"]["status"] == "INVALID_GROUP"


def test_the_client_polls_within_its_deadline_then_reports_the_task(
    emulator: Emulator, faces: dict[str, str], untrained_group: str
) -> None:
    with emulator.client() as client:
        client.group_add_person(untrained_group, [client.person_create("x", [faces["Joe_Biden/2"]])])
        with pytest.raises(TaskPending) as pending:
            client.identify(faces["Barack_Obama/3"], untrained_group, timeout_s=0.1)
        emulator.clock.advance(2.0)
        result = client.wait_task(pending.value.task_id, timeout_s=5.0)
    assert result["candidates"][0]["name"] == "Barack Obama"


def test_unknown_task_is_invalid_task(client: SenseTimeClient) -> None:
    with pytest.raises(InvalidTask) as error:
        client.info_task("0" * 32)
    assert error.value.http_status == 400 and "not found" in error.value.reason
