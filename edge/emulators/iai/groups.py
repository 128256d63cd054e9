"""The group and person management actions of 2020-03-03 beyond creating (issue #20, item 16):
GetGroupInfo, ModifyGroup, DeleteGroup, GetPersonListNum, GetPersonGroupInfo,
ModifyPersonBaseInfo, ModifyPersonGroupInfo, DeletePersonFromGroup; and the custom description
fields (``GroupExDescriptions`` on a group, ``PersonExDescriptionInfos`` per person and group).
"""

from __future__ import annotations

from typing import Any

from edge.emulators.iai import params as p
from edge.emulators.iai.api_error import ApiError
from edge.emulators.iai.service import Service, existing_group
from edge.emulators.iai.store import Group

Params = dict[str, Any]

MAX_EX_DESCRIPTIONS = 5  # custom fields per group
EX_DESCRIPTION_NAME_CHARS = 30
EX_DESCRIPTION_VALUE_CHARS = 60


def group_ex_descriptions(params: Params) -> list[str]:
    """``GroupExDescriptions`` of CreateGroup: at most 5 distinct names of 1-30 characters."""
    names = params.get("GroupExDescriptions") or []
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise ApiError("InvalidParameter", "GroupExDescriptions must be a list of non-empty strings.")
    if len(names) > MAX_EX_DESCRIPTIONS:
        raise ApiError("InvalidParameterValue.GroupExDescriptionsExceed", "At most 5 custom fields.")
    if any(len(n) > EX_DESCRIPTION_NAME_CHARS for n in names):
        raise ApiError("InvalidParameterValue.GroupExDescriptionsTooLong", "A field name is over 30 chars.")
    if len(set(names)) != len(names):
        raise ApiError("InvalidParameterValue.GroupExDescriptionsNameIllegal", "Field names repeat.")
    return names


def _indexed(params: Params, key: str, index_key: str, value_key: str, max_chars: int,
             too_long: str) -> dict[int, str]:
    infos = params.get(key) or []
    if not isinstance(infos, list) or not all(isinstance(i, dict) for i in infos):
        raise ApiError("InvalidParameter", f"{key} must be a list of objects.")
    values: dict[int, str] = {}
    for info in infos:
        index, value = info.get(index_key), info.get(value_key, "")
        if isinstance(index, bool) or not isinstance(index, int) or not isinstance(value, str):
            raise ApiError("InvalidParameter", f"{key}: {index_key} is an integer, {value_key} a string.")
        if not 0 <= index < MAX_EX_DESCRIPTIONS:
            raise ApiError("InvalidParameterValue.ExDescriptionIndexIllegal", f"{index_key} {index}.")
        if len(value) > max_chars:
            raise ApiError(too_long, f"{value_key} is over {max_chars} characters.")
        values[index] = value
    return values


def person_ex_descriptions(params: Params, group: Group) -> dict[int, str]:
    """``PersonExDescriptionInfos``: values of the group's fields by index."""
    values = _indexed(params, "PersonExDescriptionInfos", "PersonExDescriptionIndex",
                      "PersonExDescription", EX_DESCRIPTION_VALUE_CHARS,
                      "InvalidParameterValue.PersonExDescriptionsTooLong")
    if any(index >= len(group.ex_descriptions) for index in values):
        raise ApiError("InvalidParameterValue.PersonExDescriptionInfosExceed",
                       f"Group {group.group_id} has {len(group.ex_descriptions)} custom fields.")
    return values


def group_info(group: Group) -> Params:
    return {"GroupName": group.name, "GroupId": group.group_id,
            "GroupExDescriptions": list(group.ex_descriptions), "Tag": group.tag,
            "FaceModelVersion": group.version, "CreationTimestamp": group.created_ms}


def get_group_info(svc: Service, params: Params) -> Params:
    return group_info(existing_group(svc, p.group_id(params)))


def modify_group(svc: Service, params: Params) -> Params:
    group = existing_group(svc, p.group_id(params))
    name = p.text(params, "GroupName", required=False, max_len=p.NAME_MAX_LEN)
    if name and name != group.name and svc.store.group_named(name):
        raise ApiError("InvalidParameterValue.GroupNameAlreadyExist", f"Group name {name!r} is taken.")
    tag = p.group_tag(params)
    fields = _indexed(params, "GroupExDescriptionInfos", "GroupExDescriptionIndex", "GroupExDescription",
                      EX_DESCRIPTION_NAME_CHARS, "InvalidParameterValue.GroupExDescriptionsTooLong")
    svc.store.modify_group(group.group_id, name or None, tag, fields)
    return {}


def delete_group(svc: Service, params: Params) -> Params:
    svc.store.delete_group(existing_group(svc, p.group_id(params)).group_id)
    return {}


def get_person_list_num(svc: Service, params: Params) -> Params:
    persons, faces = svc.store.counts_in_group(existing_group(svc, p.group_id(params)).group_id)
    return {"PersonNum": persons, "FaceNum": faces}


def get_person_group_info(svc: Service, params: Params) -> Params:
    person = svc.person(p.person_id(params))
    offset = p.integer(params, "Offset", 0, 0, 10**9, "InvalidParameterValue.OffsetExceed")
    limit = p.integer(params, "Limit", 10, 1, 100, "InvalidParameterValue.LimitExceed")
    groups = [existing_group(svc, g) for g in person.group_ids[offset: offset + limit]]
    return {
        "PersonGroupInfos": [
            {"GroupId": g.group_id, "PersonExDescriptions": svc.person_ex_values(g, person.person_id)}
            for g in groups
        ],
        "GroupNum": len(person.group_ids),
        "FaceModelVersion": svc.version_of(person),
    }


def modify_person_base_info(svc: Service, params: Params) -> Params:
    person = svc.person(p.person_id(params))
    name = p.text(params, "PersonName", required=False, max_len=p.NAME_MAX_LEN)
    gender = p.integer(params, "Gender", -1, 0, 2, "InvalidParameterValue.PersonGenderIllegal") \
        if params.get("Gender") is not None else None
    svc.store.modify_person(person.person_id, name or None, gender)
    return {}


def modify_person_group_info(svc: Service, params: Params) -> Params:
    group = existing_group(svc, p.group_id(params))
    person = svc.person(p.person_id(params))
    if group.group_id not in person.group_ids:
        raise _not_in_group(person.person_id)
    svc.store.set_person_fields(group.group_id, person.person_id, person_ex_descriptions(params, group))
    return {}


def delete_person_from_group(svc: Service, params: Params) -> Params:
    group = existing_group(svc, p.group_id(params))
    person = svc.person(p.person_id(params))
    if not svc.store.remove_member(group.group_id, person.person_id):
        raise _not_in_group(person.person_id)
    return {}


def _not_in_group(person_id: str) -> ApiError:
    return ApiError("InvalidParameterValue.PersonIdNotExist", f"Person {person_id} is not in the group.")
