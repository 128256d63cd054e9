"""Changes in the audit log: who did what, kept with the decisions, pseudonymized by forget."""

from __future__ import annotations

from pathlib import Path

from edge.service.records import AuditLog


def test_actions_are_recorded_newest_first_and_forgotten_with_the_person(tmp_path: Path) -> None:
    now = [1_000_000.0]
    with AuditLog(tmp_path / "audit.sqlite", clock=lambda: now[0]) as audit:
        audit.record_action("admin", "person.enroll", "ann", "2 face(s)")
        now[0] += 1
        audit.record_action("admin", "door.test", "front")
        actions = audit.actions()
        assert [(a.user, a.action, a.target) for a in actions] == [
            ("admin", "door.test", "front"), ("admin", "person.enroll", "ann")]
        audit.forget("ann")
        assert audit.actions()[1].target == audit.pseudonym("ann")
        now[0] += 91 * 86400  # past the default retention
        audit.prune()
        assert audit.actions() == []
