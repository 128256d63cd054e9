"""Face model version upgrades of a group (UpgradeGroupFaceModelVersion,
GetUpgradeGroupFaceModelVersionResult, GetUpgradeGroupFaceModelVersionJobList,
RevertGroupFaceModelVersion), as the SDK's 2020-03-03 models describe them.

The emulator's faces carry one descriptor whatever the group's version, so an upgrade needs no
re-extraction: it finishes at once (``Status`` 1, ``Progress`` 100, ``EndTimestamp`` 0 "done"),
and no face fails it (``FailedFacesUrl`` empty). Only what the version changes follows it: the
score tables, and which actions accept the group (person features need 3.0).
"""

from __future__ import annotations

from typing import Any

from edge.emulators.iai import params as p
from edge.emulators.iai.api_error import ApiError
from edge.emulators.iai.service import Service, existing_group
from edge.emulators.iai.store import UpgradeJob

Params = dict[str, Any]
UPGRADED, REVERTED = 1, 2  # the documented Status values (0 running and 3 failed never occur here)
NEWEST = p.MODEL_VERSIONS[-1]
MAX_JOBS_LISTED = 1000


def upgrade_group_face_model_version(svc: Service, params: Params) -> Params:
    """``FaceModelVersion`` defaults to the newest; a group never goes back a version this way."""
    group = existing_group(svc, p.group_id(params))
    target = p.text(params, "FaceModelVersion", required=False) or NEWEST
    if target not in p.MODEL_VERSIONS:
        raise ApiError("InvalidParameterValue.FaceModelVersionIllegal", f"FaceModelVersion {target!r}.")
    if p.MODEL_VERSIONS.index(target) <= p.MODEL_VERSIONS.index(group.version):
        raise ApiError("FailedOperation.GroupCannotUpgrade",
                       f"Group {group.group_id} is on {group.version}: it can only move to a newer version.")
    return {"JobId": svc.store.upgrade_group(group.group_id, target, UPGRADED).job_id}


def _job(svc: Service, params: Params) -> UpgradeJob:
    job = svc.store.upgrade_job(p.text(params, "JobId", max_len=64))
    if job is None:
        raise ApiError("FailedOperation.UpgradeJobIdNotExist", "The upgrade job does not exist.")
    return job


def _job_info(job: UpgradeJob) -> Params:
    return {"JobId": job.job_id, "GroupId": job.group_id, "FromFaceModelVersion": job.from_version,
            "ToFaceModelVersion": job.to_version, "StartTime": job.start_ms, "Status": job.status}


def get_upgrade_group_face_model_version_result(svc: Service, params: Params) -> Params:
    info = _job_info(_job(svc, params))
    del info["JobId"]
    return {**info, "EndTimestamp": 0, "Progress": 100.0, "FailedFacesUrl": ""}


def get_upgrade_group_face_model_version_job_list(svc: Service, params: Params) -> Params:
    offset = p.integer(params, "Offset", 0, 0, 2**31 - 1)
    limit = p.integer(params, "Limit", 10, 1, MAX_JOBS_LISTED)
    jobs, total = svc.store.upgrade_jobs(offset, limit)
    return {"JobInfos": [_job_info(job) for job in jobs], "JobNum": total}


def revert_group_face_model_version(svc: Service, params: Params) -> Params:
    """Only a finished upgrade of a group still on its target version can be rolled back."""
    job = _job(svc, params)
    group = svc.store.group(job.group_id)
    if job.status != UPGRADED or group is None or group.version != job.to_version:
        raise ApiError("FailedOperation.JobCannnotRollback", "This upgrade job cannot be rolled back.")
    svc.store.revert_upgrade(job, REVERTED)
    return {}
