"""The group and person management of 2020-03-03 through the official SDK (issue #20, items 16
and 17): custom description fields, modifying, counting, deleting; UniquePersonControl."""

from __future__ import annotations

from tencentcloud.iai.v20200303.iai_client import IaiClient

from tests.iai.conftest import b64, call, error_code, photo

OBAMA_1, OBAMA_2, BIDEN_1 = (b64(photo(n)) for n in ("Barack_Obama/1", "Barack_Obama/2", "Joe_Biden/1"))


def test_custom_fields_of_groups_and_persons(client: IaiClient) -> None:
    call(client, "CreateGroup", GroupId="fields", GroupName="fields", GroupExDescriptions=["badge", "floor"])
    call(client, "CreatePerson", GroupId="fields", PersonId="ann", PersonName="Ann", Image=OBAMA_1,
         PersonExDescriptionInfos=[{"PersonExDescriptionIndex": 1, "PersonExDescription": "3rd"}])
    info = call(client, "GetGroupInfo", GroupId="fields")
    assert (info.GroupName, info.GroupExDescriptions) == ("fields", ["badge", "floor"])
    listed = call(client, "GetPersonList", GroupId="fields")
    assert listed.PersonInfos[0].PersonExDescriptions == ["", "3rd"]
    call(client, "ModifyPersonGroupInfo", GroupId="fields", PersonId="ann",
         PersonExDescriptionInfos=[{"PersonExDescriptionIndex": 0, "PersonExDescription": "A-17"}])
    groups = call(client, "GetPersonGroupInfo", PersonId="ann")
    assert (groups.GroupNum, groups.PersonGroupInfos[0].PersonExDescriptions) == (1, ["A-17", "3rd"])
    call(client, "ModifyGroup", GroupId="fields", GroupName="renamed", Tag="t",
         GroupExDescriptionInfos=[{"GroupExDescriptionIndex": 1, "GroupExDescription": "desk"}])
    info = call(client, "GetGroupInfo", GroupId="fields")
    assert (info.GroupName, info.Tag, info.GroupExDescriptions) == ("renamed", "t", ["badge", "desk"])
    assert error_code(client, "CreateGroup", GroupId="many", GroupName="many",
                      GroupExDescriptions=[str(i) for i in range(6)]) == \
        "InvalidParameterValue.GroupExDescriptionsExceed"


def test_persons_are_modified_counted_and_removed(client: IaiClient) -> None:
    call(client, "CreateGroup", GroupId="m1", GroupName="m1")
    call(client, "CreateGroup", GroupId="m2", GroupName="m2")
    call(client, "CreatePerson", GroupId="m1", PersonId="bob", PersonName="Bob", Image=BIDEN_1)
    call(client, "CopyPerson", PersonId="bob", GroupIds=["m2"])
    call(client, "ModifyPersonBaseInfo", PersonId="bob", PersonName="Robert", Gender=1)
    base = call(client, "GetPersonBaseInfo", PersonId="bob")
    assert (base.PersonName, base.Gender) == ("Robert", 1)
    counted = call(client, "GetPersonListNum", GroupId="m1")
    assert (counted.PersonNum, counted.FaceNum) == (1, 1)
    call(client, "DeletePersonFromGroup", GroupId="m1", PersonId="bob")
    assert call(client, "GetPersonListNum", GroupId="m1").PersonNum == 0
    assert call(client, "GetPersonBaseInfo", PersonId="bob").PersonName == "Robert"  # still in m2
    call(client, "DeleteGroup", GroupId="m2")  # bob was only there: gone with it
    assert error_code(client, "GetPersonBaseInfo", PersonId="bob") == "InvalidParameterValue.PersonIdNotExist"
    assert error_code(client, "GetGroupInfo", GroupId="m2") == "InvalidParameterValue.GroupIdNotExist"


def test_unique_person_control_finds_the_same_person(client: IaiClient) -> None:
    call(client, "CreateGroup", GroupId="unique", GroupName="unique")
    call(client, "CreatePerson", GroupId="unique", PersonId="o1", PersonName="O", Image=OBAMA_1)
    again = call(client, "CreatePerson", GroupId="unique", PersonId="o2", PersonName="O", Image=OBAMA_2,
                 UniquePersonControl=1)
    assert (again.SimilarPersonId, again.FaceId) == ("o1", "")
    assert error_code(client, "GetPersonBaseInfo", PersonId="o2") == "InvalidParameterValue.PersonIdNotExist"
    other = call(client, "CreatePerson", GroupId="unique", PersonId="b1", PersonName="B", Image=BIDEN_1,
                 UniquePersonControl=4)
    assert other.SimilarPersonId == "" and other.FaceId


def test_documented_limits_are_kept(client: IaiClient) -> None:
    """Issue #20, item 18: the limits the emulator used to be looser about."""
    call(client, "CreateGroup", GroupId="old", GroupName="old", FaceModelVersion="2.0")
    call(client, "CreatePerson", GroupId="old", PersonId="old-o", PersonName="O", Image=OBAMA_1)
    assert error_code(client, "SearchPersons", GroupIds=["old"], Image=OBAMA_2) == \
        "InvalidParameterValue.FaceModelVersionIllegal"
    assert error_code(client, "VerifyPerson", PersonId="old-o", Image=OBAMA_2) == \
        "InvalidParameterValue.FaceModelVersionIllegal"
    many = [f"g{i}" for i in range(61)]
    assert error_code(client, "SearchFacesReturnsByGroup", GroupIds=many, Image=OBAMA_2) == \
        "InvalidParameterValue.GroupIdsExceed"
    added = call(client, "CreateFace", PersonId="old-o", Images=[OBAMA_2, b64(b"not an image")],
                 FaceMatchThreshold=0)
    assert (added.SucFaceNum, added.RetCode) == (1, [0, -1102])
    detected = call(client, "DetectFace", Image=OBAMA_1, MinFaceSize=20, NeedFaceAttributes=1,
                    NeedQualityDetection=1)
    face = detected.FaceInfos[0]
    assert isinstance(face.FaceAttributesInfo.Yaw, int) and 0 <= face.FaceQualityInfo.Score <= 100
