"""The official SDK runs every action against the local server over loopback HTTP.

The tests of this module share one server and build its state step by step (in file order).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from tencentcloud.iai.v20200303.iai_client import IaiClient

from tests.iai.conftest import b64, call, error_code, jpeg, photo, side_by_side

OBAMA, BIDEN, COLLINS = "Barack_Obama", "Joe_Biden", "Eileen_Collins"


def blank(width: int, height: int, ext: str = ".jpg") -> str:
    ok, data = cv2.imencode(ext, np.full((height, width, 3), 127, np.uint8))
    assert ok
    return b64(data.tobytes())


def test_groups_are_created_listed_and_unique(client: IaiClient) -> None:
    assert call(client, "CreateGroup", GroupId="staff", GroupName="Staff").FaceModelVersion == "3.0"
    call(client, "CreateGroup", GroupId="visitors", GroupName="Visitors", FaceModelVersion="3.0")
    call(client, "CreateGroup", GroupId="legacy", GroupName="Legacy", FaceModelVersion="2.0")
    call(client, "CreateGroup", GroupId="empty", GroupName="Empty")
    assert error_code(client, "CreateGroup", GroupId="staff", GroupName="Other") == (
        "InvalidParameterValue.GroupIdAlreadyExist"
    )
    assert error_code(client, "CreateGroup", GroupId="bad id!", GroupName="X") == (
        "InvalidParameterValue.GroupIdIllegal"
    )
    assert error_code(client, "CreateGroup", GroupId="g4", GroupName="G", FaceModelVersion="9.0") == (
        "InvalidParameterValue.FaceModelVersionIllegal"
    )
    listed = call(client, "GetGroupList", Limit=1000)
    assert listed.GroupNum == 4
    assert {(g.GroupId, g.FaceModelVersion) for g in listed.GroupInfos} == {
        ("staff", "3.0"), ("visitors", "3.0"), ("legacy", "2.0"), ("empty", "3.0")
    }


def test_persons_are_created_with_their_first_face(client: IaiClient) -> None:
    created = call(client, "CreatePerson", GroupId="staff", PersonId="obama", PersonName="Barack Obama",
                   Image=b64(photo(f"{OBAMA}/1")))
    assert created.FaceId and created.FaceModelVersion == "3.0"
    assert 150 < created.FaceRect.Width < 250  # the face in the 640x800 portrait
    call(client, "CreatePerson", GroupId="staff", PersonId="biden", PersonName="Joe Biden",
         Image=b64(photo(f"{BIDEN}/1")), Gender=1)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"GroupId": "staff", "PersonId": "obama", "Image": b64(photo(f"{OBAMA}/2"))},
         "InvalidParameterValue.PersonIdAlreadyExist"),
        ({"GroupId": "nowhere", "PersonId": "p1", "Image": b64(photo(f"{OBAMA}/2"))},
         "InvalidParameterValue.GroupIdNotExist"),
        ({"GroupId": "staff", "PersonId": "p1", "Image": blank(200, 200)},
         "InvalidParameterValue.NoFaceInPhoto"),
        ({"GroupId": "staff", "PersonId": "p1"}, "InvalidParameterValue.ImageEmpty"),
        ({"GroupId": "staff", "PersonId": "p1", "Image": "A" * (5 * 1024 * 1024 + 4)},
         "FailedOperation.ImageSizeExceed"),
        ({"GroupId": "staff", "PersonId": "p1", "Image": blank(50, 50)},
         "FailedOperation.ImageResolutionTooSmall"),
        ({"GroupId": "staff", "PersonId": "p1", "Image": blank(4001, 64, ".png")},
         "FailedOperation.ImageResolutionExceed"),
        ({"GroupId": "staff", "PersonId": "p1", "Image": b64(b"GIF89a" + bytes(100))},
         "FailedOperation.ImageDecodeFailed"),
        ({"GroupId": "staff", "PersonId": "p1", "Image": "not base64!"}, "FailedOperation.ImageDecodeFailed"),
        ({"GroupId": "staff", "PersonId": "p1", "Url": "http://127.0.0.1:9/a.jpg"},
         "FailedOperation.ImageDownloadError"),
    ],
    ids=["person-exists", "no-group", "no-face", "no-image", "too-large", "too-small", "too-long",
         "gif", "garbage", "url"],
)
def test_create_person_errors(client: IaiClient, params: dict[str, object], code: str) -> None:
    assert error_code(client, "CreatePerson", PersonName="P", **params) == code


def test_persons_join_more_groups_of_the_same_model_version(client: IaiClient) -> None:
    copied = call(client, "CopyPerson", PersonId="biden", GroupIds=["visitors"])
    assert copied.SucGroupNum == 1
    assert error_code(client, "CopyPerson", PersonId="biden", GroupIds=["legacy"]) == (
        "FailedOperation.AcrossVersionsError"
    )


def test_faces_are_added_only_when_they_match_the_person(client: IaiClient) -> None:
    added = call(client, "CreateFace", PersonId="obama", Images=[b64(photo(f"{OBAMA}/3"))])
    assert (added.SucFaceNum, added.RetCode, added.SucIndexes) == (1, [0], [0])
    refused = call(client, "CreateFace", PersonId="obama", Images=[b64(photo(f"{BIDEN}/2")), blank(100, 100)])
    assert (refused.SucFaceNum, refused.RetCode) == (0, [-1604, -1101])
    assert error_code(client, "CreateFace", PersonId="nobody", Images=[b64(photo(f"{OBAMA}/3"))]) == (
        "InvalidParameterValue.PersonIdNotExist"
    )


def test_person_lists_page_and_count(client: IaiClient) -> None:
    first = call(client, "GetPersonList", GroupId="staff", Offset=0, Limit=1)
    second = call(client, "GetPersonList", GroupId="staff", Offset=1, Limit=1)
    assert (first.PersonNum, first.FaceNum) == (2, 3)
    assert [p.PersonId for p in first.PersonInfos + second.PersonInfos] == ["obama", "biden"]
    assert len(first.PersonInfos[0].FaceIds) == 2
    info = call(client, "GetPersonBaseInfo", PersonId="biden")
    assert (info.PersonName, info.Gender, len(info.FaceIds)) == ("Joe Biden", 1, 1)


@pytest.mark.parametrize("action", ["SearchFaces", "SearchPersons"])
def test_search_names_the_person_best_first(client: IaiClient, action: str) -> None:
    found = call(client, action, GroupIds=["staff"], Image=b64(photo(f"{OBAMA}/2")), NeedPersonInfo=1)
    best = found.Results[0].Candidates[0]
    assert (best.PersonId, best.PersonName, found.FaceModelVersion) == ("obama", "Barack Obama", "3.0")
    scores = [c.Score for c in found.Results[0].Candidates]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]
    gallery = (found.FaceNum, 3) if action == "SearchFaces" else (found.PersonNum, 2)
    assert gallery[0] == gallery[1]


@pytest.mark.parametrize("action", ["SearchFacesReturnsByGroup", "SearchPersonsReturnsByGroup"])
def test_search_by_group_answers_each_face_per_group(client: IaiClient, action: str) -> None:
    frame = b64(jpeg(side_by_side(f"{BIDEN}/2", f"{OBAMA}/4")))
    found = call(client, action, GroupIds=["staff", "visitors"], Image=frame, MaxFaceNum=2,
                 MaxPersonNumPerGroup=1)
    assert len(found.ResultsReturnsByGroup) == 2
    best = {}
    for result in found.ResultsReturnsByGroup:
        by_group = {g.GroupId: g.Candidates for g in result.GroupCandidates}
        assert by_group["visitors"][0].PersonId == "biden"  # the only person there
        best[result.FaceRect.X < 400] = by_group["staff"][0].PersonId
    assert best == {True: "biden", False: "obama"}  # Biden on the left, Obama on the right


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"GroupIds": ["empty"]}, "InvalidParameterValue.NoFaceInGroups"),
        ({"GroupIds": ["nowhere"]}, "InvalidParameterValue.GroupIdNotExist"),
        ({"GroupIds": ["staff", "legacy"]}, "FailedOperation.AcrossVersionsError"),
        ({"GroupIds": ["staff"], "MaxFaceNum": 11}, "InvalidParameterValue"),
        ({"GroupIds": [f"g{i}" for i in range(101)]}, "InvalidParameterValue.GroupIdsExceed"),
    ],
    ids=["empty-groups", "no-group", "mixed-versions", "too-many-faces", "too-many-groups"],
)
def test_search_errors(client: IaiClient, params: dict[str, object], code: str) -> None:
    assert error_code(client, "SearchFaces", Image=b64(photo(f"{OBAMA}/2")), **params) == code


@pytest.mark.parametrize("action", ["VerifyFace", "VerifyPerson"])
def test_verify_matches_the_person_and_not_a_stranger(client: IaiClient, action: str) -> None:
    same = call(client, action, PersonId="obama", Image=b64(photo(f"{OBAMA}/4")))
    other = call(client, action, PersonId="obama", Image=b64(photo(f"{COLLINS}/1")))
    assert same.IsMatch and not other.IsMatch
    assert same.Score >= 60 > other.Score


def test_compare_face_scores_the_largest_faces(client: IaiClient) -> None:
    same = call(client, "CompareFace", ImageA=b64(photo(f"{BIDEN}/1")), ImageB=b64(photo(f"{BIDEN}/2")))
    other = call(client, "CompareFace", ImageA=b64(photo(f"{BIDEN}/1")), ImageB=b64(photo(f"{COLLINS}/1")))
    assert same.Score > 60 > other.Score
    legacy = call(client, "CompareFace", ImageA=b64(photo(f"{BIDEN}/1")), ImageB=b64(photo(f"{BIDEN}/2")),
                  FaceModelVersion="2.0")
    assert legacy.FaceModelVersion == "2.0" and legacy.Score >= same.Score  # 2.0's scale sits higher


def test_compare_mask_face_is_documented_for_model_3_only(client: IaiClient) -> None:
    pair = {"ImageA": b64(photo(f"{BIDEN}/1")), "ImageB": b64(photo(f"{BIDEN}/2"))}
    masked = call(client, "CompareMaskFace", **pair)
    assert masked.FaceModelVersion == "3.0" and masked.Score == call(client, "CompareFace", **pair).Score
    assert error_code(client, "CompareMaskFace", FaceModelVersion="2.0", **pair) == (
        "InvalidParameterValue.FaceModelVersionIllegal"
    )


def test_detect_face_similarity_judges_at_its_documented_fixed_cut_of_70(client: IaiClient) -> None:
    biden = b64(photo(f"{BIDEN}/1"))
    same = call(client, "DetectFaceSimilarity", ImageA=biden, ImageB=b64(photo(f"{BIDEN}/2")))
    other = call(client, "DetectFaceSimilarity", ImageA=biden, ImageB=b64(photo(f"{COLLINS}/1")))
    assert same.Score >= 70 > other.Score


def test_a_group_is_upgraded_to_model_3_listed_and_reverted(client: IaiClient) -> None:
    call(client, "CreateGroup", GroupId="old", GroupName="Old", FaceModelVersion="2.0")
    call(client, "CreatePerson", GroupId="old", PersonId="joe", PersonName="Joe",
         Image=b64(photo(f"{BIDEN}/1")))
    probe = {"GroupIds": ["old"], "Image": b64(photo(f"{BIDEN}/2"))}
    assert error_code(client, "SearchPersons", **probe) == "InvalidParameterValue.FaceModelVersionIllegal"
    job = call(client, "UpgradeGroupFaceModelVersion", GroupId="old").JobId
    result = call(client, "GetUpgradeGroupFaceModelVersionResult", JobId=job)
    assert (result.GroupId, result.FromFaceModelVersion, result.ToFaceModelVersion, result.Status,
            result.Progress, result.EndTimestamp) == ("old", "2.0", "3.0", 1, 100.0, 0)
    assert call(client, "GetGroupInfo", GroupId="old").FaceModelVersion == "3.0"
    assert call(client, "SearchPersons", **probe).Results[0].Candidates[0].PersonId == "joe"
    assert error_code(client, "UpgradeGroupFaceModelVersion", GroupId="old") == (
        "FailedOperation.GroupCannotUpgrade"
    )
    listed = call(client, "GetUpgradeGroupFaceModelVersionJobList", Limit=1000)
    assert job in [info.JobId for info in listed.JobInfos] and listed.JobNum >= 1
    call(client, "RevertGroupFaceModelVersion", JobId=job)
    assert call(client, "GetGroupInfo", GroupId="old").FaceModelVersion == "2.0"
    assert call(client, "GetUpgradeGroupFaceModelVersionResult", JobId=job).Status == 2
    assert error_code(client, "RevertGroupFaceModelVersion", JobId=job) == (
        "FailedOperation.JobCannnotRollback"
    )
    assert error_code(client, "GetUpgradeGroupFaceModelVersionResult", JobId="nope") == (
        "FailedOperation.UpgradeJobIdNotExist"
    )
    call(client, "DeleteGroup", GroupId="old")


def test_detect_face_finds_every_face(client: IaiClient) -> None:
    frame = side_by_side(f"{BIDEN}/2", f"{OBAMA}/4")
    found = call(client, "DetectFace", Image=b64(jpeg(frame)), MaxFaceNum=5)
    assert (found.ImageWidth, found.ImageHeight) == (frame.shape[1], frame.shape[0])
    assert len(found.FaceInfos) == 2
    assert found.FaceInfos[0].Width >= found.FaceInfos[1].Width  # largest first


def test_faces_and_persons_are_deleted(client: IaiClient) -> None:
    face_ids = call(client, "GetPersonBaseInfo", PersonId="obama").FaceIds
    deleted = call(client, "DeleteFace", PersonId="obama", FaceIds=[face_ids[1], "123"])
    assert (deleted.SucDeletedNum, deleted.SucFaceIds) == (1, [face_ids[1]])
    assert error_code(client, "DeleteFace", PersonId="obama", FaceIds=[face_ids[0]]) == (
        "InvalidParameterValue.DeleteFaceNumExceed"
    )
    call(client, "DeletePerson", PersonId="biden")
    assert error_code(client, "DeletePerson", PersonId="biden") == "InvalidParameterValue.PersonIdNotExist"
    assert [p.PersonId for p in call(client, "GetPersonList", GroupId="staff").PersonInfos] == ["obama"]
    assert call(client, "GetPersonList", GroupId="visitors").PersonNum == 0


@pytest.mark.parametrize(
    ("action", "params", "code"),
    [
        ("SearchFaces", {"GroupIds": "staff"}, "InvalidParameter"),
        ("CreateGroup", {"GroupId": "x"}, "MissingParameter"),
        ("GetPersonList", {"GroupId": "staff", "Limit": "ten"}, "InvalidParameter"),
        ("GetPersonList", {"GroupId": "staff", "Limit": 1001}, "InvalidParameterValue.LimitExceed"),
    ],
)
def test_wrong_parameters_get_parameter_errors(
    client: IaiClient, action: str, params: dict[str, object], code: str
) -> None:
    assert error_code(client, action, **params) == code
