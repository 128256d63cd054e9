"""The audit's IAI probes (2020-03-03: protocols.md section 3, docs/iai.md, the SDK's models)."""

from __future__ import annotations

import base64
import json
import warnings
from collections.abc import Callable
from typing import Any

import httpx
from tencentcloud.iai.v20200303 import models as iai_models

from tests.emulators.audit import (
    BIDEN_1,
    BLANK,
    COLLINS,
    OBAMA_1,
    OBAMA_2,
    TINY,
    Probe,
    Probes,
    expect,
    new_id,
)
from tests.emulators.conftest import Target
from tests.iai.conftest import call as sdk_call
from tests.iai.conftest import jpeg, sdk_client, side_by_side

IAI_OVER_BODY = 10 * 1024 * 1024 + 1
IAI_IMAGES = {
    "CreatePerson": ("Image", "Url"),
    "CreateFace": ("Images", "Urls"),
    "SearchFaces": ("Image", "Url"),
    "SearchPersons": ("Image", "Url"),
    "SearchFacesReturnsByGroup": ("Image", "Url"),
    "SearchPersonsReturnsByGroup": ("Image", "Url"),
    "VerifyFace": ("Image", "Url"),
    "VerifyPerson": ("Image", "Url"),
    "DetectFace": ("Image", "Url"),
    "AnalyzeFace": ("Image", "Url"),
    "AnalyzeDenseLandmarks": ("Image", "Url"),
    "DetectFaceAttributes": ("Image", "Url"),
    "DetectLiveFaceAccurate": ("Image", "Url"),
    "CompareFace": ("ImageA", "UrlA"),
    "CompareMaskFace": ("ImageA", "UrlA"),
    "DetectFaceSimilarity": ("ImageA", "UrlA"),
}
IAI_SEARCHES = {
    "SearchFaces": 100,
    "SearchPersons": 100,
    "SearchFacesReturnsByGroup": 60,
    "SearchPersonsReturnsByGroup": 60,
}  # documented GroupIds limits


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class Iai:
    """The IAI emulator as the audit drives it: raw signed calls, the official SDK, two persons
    in ``a-staff`` (with a custom field), a finished upgrade job."""

    def __init__(self, target: Target, image_url: Callable[[str], str]) -> None:
        self.target = target
        self.url = image_url
        self.sdk = sdk_client(target.url, cafile=target.cafile)  # over HTTPS when the target is
        self.ok("CreateGroup", GroupId="a-staff", GroupName="a-staff", GroupExDescriptions=["badge"])
        self.ok("CreateGroup", GroupId="a-spare", GroupName="a-spare")  # fresh persons, kept out of a-staff
        self.ok("CreatePerson", GroupId="a-staff", PersonId="a-obama", PersonName="O", Image=b64(OBAMA_1))
        self.ok("CreatePerson", GroupId="a-staff", PersonId="a-biden", PersonName="B", Image=b64(BIDEN_1))
        self.job = self.upgrade_job()

    def send(self, action: str, **params: object) -> httpx.Response:
        return self.target.send(action, params)

    def ok(self, action: str, **params: object) -> dict[str, Any]:
        answer = dict(self.send(action, **params).json()["Response"])
        expect("Error" not in answer, f"{action}: {answer.get('Error')}")
        return answer

    def code(self, action: str, expected: str, **params: object) -> None:
        answer = self.send(action, **params).json()["Response"]
        got = answer.get("Error", {}).get("Code")
        expect(got == expected, f"{got}, expected {expected}")

    def group(self, version: str = "3.0") -> str:
        group_id = new_id("g")
        self.ok("CreateGroup", GroupId=group_id, GroupName=group_id, FaceModelVersion=version)
        return group_id

    def person(self) -> str:
        person_id = new_id("p")
        self.ok("CreatePerson", GroupId="a-spare", PersonId=person_id, PersonName="P", Image=b64(OBAMA_1))
        return person_id

    def upgrade_job(self) -> str:
        return str(self.ok("UpgradeGroupFaceModelVersion", GroupId=self.group("2.0"))["JobId"])

    def happy(self, action: str) -> dict[str, object]:
        """A valid request of ``action`` (fresh groups and persons where it changes or deletes)."""
        pair = {"ImageA": b64(OBAMA_1), "ImageB": b64(OBAMA_2)}
        search = {"GroupIds": ["a-staff"], "Image": b64(OBAMA_2)}
        verify = {"PersonId": "a-obama", "Image": b64(OBAMA_2)}
        makers: dict[str, Callable[[], dict[str, object]]] = {
            "CreateGroup": lambda: {"GroupId": new_id("g"), "GroupName": new_id("n")},
            "GetGroupList": dict,
            "GetGroupInfo": lambda: {"GroupId": "a-staff"},
            "ModifyGroup": lambda: {"GroupId": "a-staff", "Tag": "t"},
            "DeleteGroup": lambda: {"GroupId": self.group()},
            "CreatePerson": lambda: {
                "GroupId": "a-staff",
                "PersonId": new_id("p"),
                "PersonName": "N",
                "Image": b64(COLLINS),
            },
            "CopyPerson": lambda: {"PersonId": "a-biden", "GroupIds": [self.group()]},
            "CreateFace": lambda: {"PersonId": self.person(), "Images": [b64(OBAMA_2)]},
            "DeleteFace": lambda: self._second_face(),
            "DeletePerson": lambda: {"PersonId": self.person()},
            "DeletePersonFromGroup": lambda: {"GroupId": "a-spare", "PersonId": self.person()},
            "GetPersonList": lambda: {"GroupId": "a-staff"},
            "GetPersonListNum": lambda: {"GroupId": "a-staff"},
            "GetPersonBaseInfo": lambda: {"PersonId": "a-obama"},
            "GetPersonGroupInfo": lambda: {"PersonId": "a-obama"},
            "ModifyPersonBaseInfo": lambda: {"PersonId": "a-obama", "PersonName": "Barack"},
            "ModifyPersonGroupInfo": lambda: {
                "GroupId": "a-staff",
                "PersonId": "a-obama",
                "PersonExDescriptionInfos": [{"PersonExDescriptionIndex": 0, "PersonExDescription": "7"}],
            },
            **{name: lambda: dict(search) for name in IAI_SEARCHES},
            "VerifyFace": lambda: dict(verify),
            "VerifyPerson": lambda: dict(verify),
            **{
                name: lambda: dict(pair)
                for name in ("CompareFace", "CompareMaskFace", "DetectFaceSimilarity")
            },
            "DetectFace": lambda: {"Image": b64(OBAMA_1)},
            "AnalyzeFace": lambda: {"Image": b64(OBAMA_1)},
            "AnalyzeDenseLandmarks": lambda: {"Image": b64(OBAMA_1)},
            "DetectFaceAttributes": lambda: {"Image": b64(OBAMA_1)},
            "DetectLiveFaceAccurate": lambda: {"Image": b64(OBAMA_1)},
            "UpgradeGroupFaceModelVersion": lambda: {"GroupId": self.group("2.0")},
            "GetUpgradeGroupFaceModelVersionResult": lambda: {"JobId": self.job},
            "GetUpgradeGroupFaceModelVersionJobList": dict,
            "RevertGroupFaceModelVersion": lambda: {"JobId": self.upgrade_job()},
        }
        return makers[action]()

    def _second_face(self) -> dict[str, object]:
        person = self.person()
        face = self.ok("CreateFace", PersonId=person, Images=[b64(OBAMA_2)])["SucFaceIds"][0]
        return {"PersonId": person, "FaceIds": [face]}


def iai_probes(iai: Iai) -> list[Probe]:
    p = Probes("iai")
    for action in iai.target.endpoints:

        def served(action: str = action) -> None:
            response = iai.send(action, **iai.happy(action))
            answer = response.json()["Response"]
            expect(
                response.status_code == 200
                and response.headers["content-type"] == "application/json"
                and "Error" not in answer
                and answer.get("RequestId"),
                f"{response.status_code} {response.headers.get('content-type')} {answer}",
            )

        p.add(action, "server", "a signed POST / answers HTTP 200, application/json, the envelope", served)
        p.add(
            action,
            "client",
            "the official SDK makes the call through its typed models",
            lambda action=action: sdk_call(iai.sdk, action, **iai.happy(action)) and None,
        )
        p.add(
            action,
            "fields",
            "every answer field is one of the SDK's response model",
            lambda action=action: _iai_fields(iai, action),
        )
        p.add(
            action,
            "errors",
            "a wrong signature is AuthFailure.SignatureFailure",
            lambda action=action: _iai_bad_signature(iai, action),
        )
        p.add(
            action,
            "limits",
            "a body over 10 MB is RequestSizeLimitExceeded",
            lambda action=action: iai.code(action, "RequestSizeLimitExceeded", Pad="x" * IAI_OVER_BODY),
        )
        params = iai.happy(action)
        if params:
            nothing = (
                "InvalidParameterValue.ImageEmpty"
                if set(params) <= {"Image", "ImageA", "ImageB"}
                else "MissingParameter"
            )  # Image or Url: each optional, one needed
            first_key = min(params)
            p.add(
                action,
                "errors",
                f"no parameters at all is {nothing}",
                lambda action=action, nothing=nothing: iai.code(action, nothing),
            )
            p.add(
                action,
                "params",
                "a parameter of the wrong JSON type is InvalidParameter",
                lambda action=action, key=first_key: iai.code(
                    action, "InvalidParameter", **{**iai.happy(action), key: {"x": [1]}}
                ),
            )
        for key, code in (
            ("GroupId", "InvalidParameterValue.GroupIdNotExist"),
            ("PersonId", "InvalidParameterValue.PersonIdNotExist"),
        ):
            if key in params and action not in ("CreateGroup", "CreatePerson"):
                p.add(
                    action,
                    "errors",
                    f"an unknown {key} is {code}",
                    lambda action=action, key=key, code=code: iai.code(
                        action, code, **{**iai.happy(action), key: new_id("u")}
                    ),
                )
        if action in IAI_IMAGES:
            _iai_image_probes(p, iai, action, *IAI_IMAGES[action])
        if action in IAI_SEARCHES:
            limit = IAI_SEARCHES[action]
            p.add(
                action,
                "limits",
                f"more than {limit} GroupIds is GroupIdsExceed",
                lambda action=action, limit=limit: iai.code(
                    action,
                    "InvalidParameterValue.GroupIdsExceed",
                    **{**iai.happy(action), "GroupIds": [f"g{i}" for i in range(limit + 1)]},
                ),
            )
    listed = {
        "GetGroupList": "GroupInfos",
        "GetPersonList": "PersonInfos",
        "GetUpgradeGroupFaceModelVersionJobList": "JobInfos",
    }
    for action, items in listed.items():
        p.add(
            action,
            "limits",
            "Limit over 1000 is refused",
            lambda action=action: _refused(iai, action, Limit=1001),
        )
        p.add(
            action,
            "params",
            "Offset and Limit page the list",
            lambda action=action, items=items: _pages(iai, action, items),
        )
    p.add(
        "CreatePerson",
        "errors",
        "an existing PersonId is PersonIdAlreadyExist",
        lambda: iai.code(
            "CreatePerson",
            "InvalidParameterValue.PersonIdAlreadyExist",
            **{**iai.happy("CreatePerson"), "PersonId": "a-obama"},
        ),
    )
    for action in ("CreateGroup", "ModifyGroup"):
        p.add(
            action,
            "limits",
            "a Tag over 40 characters is GroupTagTooLong",
            lambda action=action: iai.code(
                action, "InvalidParameterValue.GroupTagTooLong", **{**iai.happy(action), "Tag": "t" * 41}
            ),
        )
    p.add(
        "CreateGroup",
        "errors",
        "an existing GroupId is GroupIdAlreadyExist",
        lambda: iai.code(
            "CreateGroup",
            "InvalidParameterValue.GroupIdAlreadyExist",
            GroupId="a-staff",
            GroupName=new_id("n"),
        ),
    )
    p.add(
        "CreatePerson",
        "params",
        "UniquePersonControl answers SimilarPersonId, creates nobody",
        lambda: _unique_person(iai),
    )
    p.add(
        "CreateFace",
        "params",
        "an undecodable image fails alone (RetCode -1102)",
        lambda: expect(
            iai.ok("CreateFace", PersonId=iai.person(), Images=[b64(OBAMA_2), b64(b"junk")])["RetCode"]
            == [0, -1102],
            "not per image",
        ),
    )
    p.add(
        "VerifyFace",
        "params",
        "IsMatch is the fixed cut at 60",
        lambda: expect(iai.ok("VerifyFace", **iai.happy("VerifyFace"))["IsMatch"], "no match"),
    )
    p.add(
        "DetectFace",
        "params",
        "NeedFaceAttributes=1 answers the pose, NeedQualityDetection=1 a score",
        lambda: _iai_detect_details(iai),
    )
    p.add(
        "DetectFace",
        "limits",
        "MinFaceSize down to 20 is accepted",
        lambda: iai.ok("DetectFace", Image=b64(OBAMA_1), MinFaceSize=20) and None,
    )
    p.add(
        "AnalyzeFace",
        "fields",
        "FaceShape holds the documented 90 points: profile 21, eyes and brows 8 each, mouth 22, nose 13, "
        "pupils 1 each",
        lambda: _face_shape_counts(iai),
    )
    for action in ("AnalyzeFace", "AnalyzeDenseLandmarks"):
        p.add(
            action,
            "params",
            "Mode 1 answers the largest face only, Mode 0 every face",
            lambda action=action: _analysis_mode(iai, action),
        )
        p.add(
            action,
            "limits",
            "Mode outside 0-1 is refused",
            lambda action=action: _refused(iai, action, Mode=2),
        )
    for action in ("AnalyzeDenseLandmarks", "DetectFaceAttributes", "DetectLiveFaceAccurate"):
        p.add(
            action,
            "errors",
            "FaceModelVersion 2.0 is FaceModelVersionIllegal (3.0 only)",
            lambda action=action: iai.code(
                action,
                "InvalidParameterValue.FaceModelVersionIllegal",
                **iai.happy(action),
                FaceModelVersion="2.0",
            ),
        )
    p.add(
        "DetectFaceAttributes",
        "params",
        "FaceAttributesType Headpose answers the pose, attributes not measured are 0 as if not asked for",
        lambda: _face_attributes(iai),
    )
    p.add(
        "DetectFaceAttributes",
        "limits",
        "MaxFaceNum over 120 is refused",
        lambda: _refused(iai, "DetectFaceAttributes", MaxFaceNum=121),
    )
    p.add(
        "DetectLiveFaceAccurate",
        "fields",
        "Score is a number in [0, 100]",
        lambda: _live_score_in_range(iai),
    )
    p.add(
        "SearchPersons",
        "errors",
        "groups of model 2.0 are FaceModelVersionIllegal",
        lambda: iai.code(
            "SearchPersons",
            "InvalidParameterValue.FaceModelVersionIllegal",
            GroupIds=[iai.group("2.0")],
            Image=b64(OBAMA_2),
        ),
    )
    p.add(
        "SearchFaces",
        "errors",
        "groups without faces are NoFaceInGroups",
        lambda: iai.code(
            "SearchFaces", "InvalidParameterValue.NoFaceInGroups", GroupIds=[iai.group()], Image=b64(OBAMA_2)
        ),
    )
    p.add(
        "GetGroupInfo",
        "fields",
        "GroupExDescriptions are kept and answered",
        lambda: expect(
            iai.ok("GetGroupInfo", GroupId="a-staff")["GroupExDescriptions"] == ["badge"], "dropped"
        ),
    )
    return p.items


FACE_SHAPE_COUNTS = {"FaceProfile": 21, "LeftEye": 8, "RightEye": 8, "LeftEyeBrow": 8, "RightEyeBrow": 8,
                     "Mouth": 22, "Nose": 13, "LeftPupil": 1, "RightPupil": 1}  # the SDK's FaceShape


def _face_shape_counts(iai: Iai) -> None:
    (shape,) = iai.ok("AnalyzeFace", **iai.happy("AnalyzeFace"))["FaceShapeSet"]
    counts = {name: len(points) for name, points in shape.items()}
    expect(counts == FACE_SHAPE_COUNTS, counts)
    points = [q for ps in shape.values() for q in ps]
    expect(all(isinstance(q["X"], int) and isinstance(q["Y"], int) for q in points), shape)


def _refused(iai: Iai, action: str, **out_of_range: object) -> None:
    """A valid request of ``action`` with ``out_of_range`` parameters answers an error."""
    expect("Error" in iai.send(action, **iai.happy(action), **out_of_range).json()["Response"], "accepted")


def _live_score_in_range(iai: Iai) -> None:
    score = iai.ok("DetectLiveFaceAccurate", **iai.happy("DetectLiveFaceAccurate"))["Score"]
    expect(isinstance(score, int | float) and 0 <= score <= 100, score)


def _face_attributes(iai: Iai) -> None:
    params = {**iai.happy("DetectFaceAttributes"), "FaceAttributesType": "Age,HeadPose"}
    info = iai.ok("DetectFaceAttributes", **params)["FaceDetailInfos"][0]["FaceDetailAttributesInfo"]
    expect(info["Age"] == 0 and info["Gender"] == {"Type": 0, "Probability": 0.0}, info)
    yaw = info["HeadPose"]["Yaw"]
    expect(isinstance(yaw, int) and -30 <= yaw <= 30, info["HeadPose"])


def _analysis_mode(iai: Iai, action: str) -> None:
    field = "FaceShapeSet" if action == "AnalyzeFace" else "DenseFaceShapeSet"
    two = b64(jpeg(side_by_side("Barack_Obama/4", "Joe_Biden/1")))
    every, largest = (len(iai.ok(action, Image=two, Mode=mode)[field]) for mode in (0, 1))
    expect((every, largest) == (2, 1), (every, largest))


def _pages(iai: Iai, action: str, items: str) -> None:
    whole = iai.ok(action, **iai.happy(action), Limit=1000)[items]
    second = iai.ok(action, **iai.happy(action), Offset=1, Limit=1)[items]
    expect(len(whole) >= 2 and second == whole[1:2], f"{len(whole)} items; page {second}")


def _unique_person(iai: Iai) -> None:
    group = iai.group()
    iai.ok("CopyPerson", PersonId="a-obama", GroupIds=[group])
    person = new_id("p")
    answer = iai.ok(
        "CreatePerson",
        GroupId=group,
        PersonId=person,
        PersonName="again",
        Image=b64(OBAMA_2),
        UniquePersonControl=4,
    )
    expect(answer["SimilarPersonId"] == "a-obama" and answer["FaceId"] == "", answer)
    iai.code("GetPersonBaseInfo", "InvalidParameterValue.PersonIdNotExist", PersonId=person)


def _iai_fields(iai: Iai, action: str) -> None:
    answer = iai.ok(action, **iai.happy(action))
    model = getattr(iai_models, f"{action}Response")()
    known = {name[1:] for name in vars(model)}
    expect(set(answer) <= known, sorted(set(answer) - known))
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*fileds are useless.*")
        model._deserialize(answer)


def _iai_bad_signature(iai: Iai, action: str) -> None:
    body = json.dumps(iai.happy(action)).encode()
    headers, _ = iai.target.sign(action, body)
    headers = {
        **headers,
        "content-type": "application/json",
        "authorization": headers["authorization"][:-8] + "00000000",
    }
    answer = iai.target.http.post(iai.target.url, content=body, headers=headers).json()["Response"]
    expect(answer.get("Error", {}).get("Code") == "AuthFailure.SignatureFailure", answer)


def _iai_image_probes(p: Probes, iai: Iai, action: str, image_key: str, url_key: str) -> None:
    many = image_key == "Images"

    def with_image(image: bytes | None, url: str | None = None) -> dict[str, object]:
        params = {k: v for k, v in iai.happy(action).items() if k != image_key}
        if image is not None:
            params[image_key] = [b64(image)] if many else b64(image)
        if url is not None:
            params[url_key] = [url] if many else url
        return params

    def answered(params: dict[str, object]) -> None:
        answer = iai.ok(action, **params)
        expect(not many or answer["RetCode"] == [0], answer)

    p.add(action, "params", f"{url_key} is fetched", lambda: answered(with_image(None, iai.url("obama.jpg"))))
    p.add(
        action,
        "params",
        f"given {image_key} and {url_key}, only {url_key} is used",
        lambda: answered(with_image(BLANK, iai.url("obama.jpg"))),
    )
    if not many:
        p.add(
            action,
            "errors",
            "an image without a face is NoFaceInPhoto",
            lambda: iai.code(action, "InvalidParameterValue.NoFaceInPhoto", **with_image(BLANK)),
        )
        p.add(
            action,
            "errors",
            "an undecodable image is ImageDecodeFailed",
            lambda: iai.code(action, "FailedOperation.ImageDecodeFailed", **with_image(b"not an image")),
        )
        p.add(
            action,
            "limits",
            "a short side under 64 px is ImageResolutionTooSmall",
            lambda: iai.code(action, "FailedOperation.ImageResolutionTooSmall", **with_image(TINY)),
        )
        p.add(
            action,
            "limits",
            "base64 over 5 MB is ImageSizeExceed",
            lambda: iai.code(
                action, "FailedOperation.ImageSizeExceed", **with_image(OBAMA_1 + bytes(4_000_000))
            ),
        )
        p.add(
            action,
            "errors",
            f"a {url_key} that cannot be downloaded is ImageDownloadError",
            lambda: iai.code(
                action, "FailedOperation.ImageDownloadError", **with_image(None, iai.url("missing.jpg"))
            ),
        )


def _iai_detect_details(iai: Iai) -> None:
    info = iai.ok("DetectFace", Image=b64(OBAMA_1), NeedFaceAttributes=1, NeedQualityDetection=1)[
        "FaceInfos"
    ][0]
    expect(
        isinstance(info["FaceAttributesInfo"]["Yaw"], int)
        and isinstance(info["FaceQualityInfo"]["Score"], int),
        info,
    )
