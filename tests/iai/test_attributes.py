"""DetectFaceAttributes through the official SDK: the head pose when asked for, every attribute
the appliance does not measure answered as the SDK documents attributes not asked for (zeros)."""

from __future__ import annotations

from tencentcloud.iai.v20200303.iai_client import IaiClient

from edge.emulators.iai.attributes import not_measured
from tests.iai.conftest import b64, call, error_code, jpeg, photo, side_by_side


def test_headpose_is_detect_faces_pose_and_the_rest_is_as_not_asked_for(client: IaiClient) -> None:
    image = b64(photo("Joe_Biden/2"))
    asked = call(client, "DetectFaceAttributes", Image=image,
                 FaceAttributesType="age,Gender,HEADPOSE,Emotion,Mask,Smile")
    (info,) = asked.FaceDetailInfos
    pose = call(client, "DetectFace", Image=image, NeedFaceAttributes=1).FaceInfos[0].FaceAttributesInfo
    attributes = info.FaceDetailAttributesInfo
    assert (attributes.HeadPose.Pitch, attributes.HeadPose.Yaw, attributes.HeadPose.Roll) == (
        max(-30, min(30, pose.Pitch)), max(-30, min(30, pose.Yaw)), pose.Roll)
    answered = attributes._serialize()
    del answered["HeadPose"]
    expected = not_measured()
    del expected["HeadPose"]
    assert answered == expected  # age, gender, emotion, mask, smile: not invented
    assert (attributes.Gender.Probability, attributes.Age) == (0.0, 0)

    plain = call(client, "DetectFaceAttributes", Image=image).FaceDetailInfos[0].FaceDetailAttributesInfo
    assert plain._serialize() == not_measured()  # nothing asked for: all zeros, as documented


def test_max_face_num_and_the_documented_checks(client: IaiClient) -> None:
    frame = b64(jpeg(side_by_side("Joe_Biden/2", "Barack_Obama/4")))
    assert len(call(client, "DetectFaceAttributes", Image=frame).FaceDetailInfos) == 1  # default 1
    assert len(call(client, "DetectFaceAttributes", Image=frame, MaxFaceNum=5).FaceDetailInfos) == 2
    obama = b64(photo("Barack_Obama/1"))
    assert error_code(client, "DetectFaceAttributes", Image=obama, FaceAttributesType="Age,Wings") == (
        "InvalidParameterValue"
    )
    assert error_code(client, "DetectFaceAttributes", Image=obama, FaceModelVersion="2.0") == (
        "InvalidParameterValue.FaceModelVersionIllegal"
    )
