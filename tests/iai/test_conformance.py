"""Every emulated IAI action through the official SDK's typed models: the SDK warns about any
answer field its model of 2020-03-03 does not have, so a misnamed field fails here; the fields a
client reads are checked for their JSON types."""

from __future__ import annotations

import warnings
from typing import Any

from tencentcloud.iai.v20200303.iai_client import IaiClient

from edge.emulators.iai.app import ACTIONS
from tests.iai.conftest import b64, call, photo

OBAMA_1, OBAMA_2 = b64(photo("Barack_Obama/1")), b64(photo("Barack_Obama/2"))


def test_every_action_answers_only_fields_of_the_sdk_model(client: IaiClient) -> None:
    answers: dict[str, Any] = {}

    def run(action: str, **params: Any) -> Any:
        answers[action] = call(client, action, **params)
        return answers[action]

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
        run("DetectFace", Image=OBAMA_1, NeedFaceAttributes=1, NeedQualityDetection=1)
        run("DeleteFace", PersonId="c1", FaceIds=[face])
        run("DeletePersonFromGroup", GroupId="conf2", PersonId="c1")
        run("DeleteGroup", GroupId="conf2")
        run("DeletePerson", PersonId="c1")
    assert set(answers) == set(ACTIONS)
    assert isinstance(answers["GetPersonListNum"].PersonNum, int)
    assert answers["GetGroupInfo"].GroupExDescriptions == ["badge"]
    assert answers["GetPersonGroupInfo"].PersonGroupInfos[0].PersonExDescriptions == ["7"]
    person = answers["SearchPersons"].Results[0].Candidates[0]
    assert isinstance(person.Score, float) and person.PersonGroupInfos[0].PersonExDescriptions == ["8"]
