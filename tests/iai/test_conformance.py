"""Every emulated IAI action against the official SDK's models of 2020-03-03: each answer field
must be one the response model has (the SDK itself warns only inside nested objects, which this
test turns into errors); the fields a client reads are checked for their types."""

from __future__ import annotations

import json
import warnings
from typing import Any

import httpx
from tencentcloud.iai.v20200303 import models

from edge.emulators.iai.app import ACTIONS
from tests.iai.conftest import b64, photo, signed_headers

OBAMA_1, OBAMA_2 = b64(photo("Barack_Obama/1")), b64(photo("Barack_Obama/2"))


def test_every_action_answers_only_fields_of_the_sdk_model(server_url: str) -> None:
    answers: dict[str, Any] = {}
    unknown: list[str] = []

    def run(action: str, **params: Any) -> Any:
        body = json.dumps(params).encode()
        raw = httpx.post(server_url, content=body, headers=signed_headers("127.0.0.1", body, action)).json()
        model = getattr(models, f"{action}Response")()
        fields = {name[1:] for name in vars(model)}
        unknown.extend(f"{action}.{key}" for key in raw["Response"] if key not in fields)
        assert "Error" not in raw["Response"], raw
        model._deserialize(raw["Response"])
        answers[action] = model
        return model

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*fileds are useless.*")
        run("CreateGroup", GroupId="conf", GroupName="conf", GroupExDescriptions=["badge"])
        run("GetGroupList")
        run("GetGroupInfo", GroupId="conf")
        run("ModifyGroup", GroupId="conf", Tag="t")
        run("CreatePerson", GroupId="conf", PersonId="c1", PersonName="C", Image=OBAMA_1,
            PersonExDescriptionInfos=[{"PersonExDescriptionIndex": 0, "PersonExDescription": "7"}])
        face = run("CreateFace", PersonId="c1", Images=[OBAMA_2], FaceMatchThreshold=0).SucFaceIds[0]
        run("GetPersonList", GroupId="conf")
        run("GetPersonListNum", GroupId="conf")
        run("GetPersonBaseInfo", PersonId="c1")
        run("GetPersonGroupInfo", PersonId="c1")
        run("ModifyPersonBaseInfo", PersonId="c1", Gender=2)
        run("ModifyPersonGroupInfo", GroupId="conf", PersonId="c1",
            PersonExDescriptionInfos=[{"PersonExDescriptionIndex": 0, "PersonExDescription": "8"}])
        run("CreateGroup", GroupId="conf2", GroupName="conf2")
        run("CopyPerson", PersonId="c1", GroupIds=["conf2"])
        for action in ("SearchFaces", "SearchPersons", "SearchFacesReturnsByGroup",
                       "SearchPersonsReturnsByGroup"):
            run(action, GroupIds=["conf"], Image=OBAMA_2, NeedPersonInfo=1)
        run("VerifyFace", PersonId="c1", Image=OBAMA_2)
        run("VerifyPerson", PersonId="c1", Image=OBAMA_2)
        run("CompareFace", ImageA=OBAMA_1, ImageB=OBAMA_2)
        run("CompareMaskFace", ImageA=OBAMA_1, ImageB=OBAMA_2)
        run("DetectFaceSimilarity", ImageA=OBAMA_1, ImageB=OBAMA_2)
        run("CreateGroup", GroupId="old", GroupName="old", FaceModelVersion="2.0")
        job = run("UpgradeGroupFaceModelVersion", GroupId="old").JobId
        run("GetUpgradeGroupFaceModelVersionResult", JobId=job)
        run("GetUpgradeGroupFaceModelVersionJobList")
        run("RevertGroupFaceModelVersion", JobId=job)
        run("DetectFace", Image=OBAMA_1, NeedFaceAttributes=1, NeedQualityDetection=1)
        run("AnalyzeFace", Image=OBAMA_1)
        run("AnalyzeDenseLandmarks", Image=OBAMA_1)
        run("DetectFaceAttributes", Image=OBAMA_1, FaceAttributesType="Headpose")
        run("DetectLiveFaceAccurate", Image=OBAMA_1)
        run("DeleteFace", PersonId="c1", FaceIds=[face])
        run("DeletePersonFromGroup", GroupId="conf2", PersonId="c1")
        run("DeleteGroup", GroupId="conf2")
        run("DeletePerson", PersonId="c1")
    assert set(answers) == set(ACTIONS)
    assert not unknown, unknown
    assert isinstance(answers["GetPersonListNum"].PersonNum, int)
    assert isinstance(answers["GetUpgradeGroupFaceModelVersionJobList"].JobInfos[0].StartTime, int)
    assert answers["GetGroupInfo"].GroupExDescriptions == ["badge"]
    assert answers["GetPersonGroupInfo"].PersonGroupInfos[0].PersonExDescriptions == ["7"]
    person = answers["SearchPersons"].Results[0].Candidates[0]
    assert isinstance(person.Score, float) and person.PersonGroupInfos[0].PersonExDescriptions == ["8"]
