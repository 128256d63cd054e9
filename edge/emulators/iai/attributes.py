"""DetectFaceAttributes: of the 16 attributes only ``Headpose`` is measured here.

The SDK's models document that every attribute is returned whether asked for or not, and that one
not asked for (or beyond the 5 largest faces) is 0 and "has no reference meaning". The appliance
estimates no age, beauty, emotion, eyes, eyebrows, gender, hair, hat, mask, mouth, moustache,
nose, shape, skin or smile, so those are answered exactly like attributes nobody asked for (zeros,
every ``AttributeItem`` ``Type`` 0 with ``Probability`` 0), never invented. ``HeadPose`` is the
pose DetectFace answers (``matching.face_attributes``), clipped to the documented ranges.
"""

from __future__ import annotations

from typing import Any

from edge.emulators.iai import params as p
from edge.emulators.iai.api_error import ApiError
from edge.emulators.iai.matching import face_attributes
from edge.emulators.iai.service import Service, rect
from edge.vision.types import Face

Params = dict[str, Any]
ATTRIBUTE_TYPES = ("none", "age", "beauty", "emotion", "eye", "eyebrow", "gender", "hair", "hat", "headpose",
                   "mask", "mouth", "moustache", "nose", "shape", "skin", "smile")  # documented, any case
MEASURED = {"headpose"}
MAX_ATTRIBUTE_FACES = 5  # attributes of the 5 largest faces only (documented)
POSE_RANGES = {"Pitch": 30, "Yaw": 30, "Roll": 180}  # HeadPose: [-30, 30], [-30, 30], [-180, 180]


def _item() -> Params:
    return {"Type": 0, "Probability": 0.0}


def not_measured() -> Params:
    """``FaceDetailAttributesInfo`` as the SDK documents it for attributes not asked for."""
    return {
        "Age": 0, "Beauty": 0, "Emotion": _item(),
        "Eye": {"Glass": _item(), "EyeOpen": _item(), "EyelidType": _item(), "EyeSize": _item()},
        "Eyebrow": {"EyebrowDensity": _item(), "EyebrowCurve": _item(), "EyebrowLength": _item()},
        "Gender": _item(), "Hair": {"Length": _item(), "Bang": _item(), "Color": _item()},
        "Hat": {"Style": _item(), "Color": _item()}, "HeadPose": {"Pitch": 0, "Yaw": 0, "Roll": 0},
        "Mask": _item(), "Mouth": {"MouthOpen": _item()}, "Moustache": _item(), "Nose": _item(),
        "Shape": _item(), "Skin": _item(), "Smile": 0,
    }


def requested(params: Params) -> set[str]:
    """The lower-case names in ``FaceAttributesType`` (comma-separated, any case; "None" = none)."""
    listed = p.text(params, "FaceAttributesType", required=False).split(",")
    names = {name.strip().lower() for name in listed if name.strip()}
    unknown = names - set(ATTRIBUTE_TYPES)
    if unknown:
        raise ApiError("InvalidParameterValue", f"FaceAttributesType: unknown {sorted(unknown)}.")
    return names


def _attributes(face: Face, wanted: set[str]) -> Params:
    info = not_measured()
    if "headpose" in wanted:
        pose = face_attributes(face)
        info["HeadPose"] = {k: max(-limit, min(limit, pose[k])) for k, limit in POSE_RANGES.items()}
    return info


def detect_face_attributes(svc: Service, params: Params) -> Params:
    max_faces = p.integer(params, "MaxFaceNum", 1, 1, 120)
    p.integer(params, "NeedRotateDetection", 0, 0, 1)  # accepted; not emulated (docs/iai.md)
    version = p.model_version(params)
    p.require_v3(version, "Face attributes")
    wanted = requested(params) & MEASURED
    image = svc.image(params)
    faces = svc.faces(image, max_faces=max_faces)
    infos = [{"FaceRect": rect(face.detection.box),
              "FaceDetailAttributesInfo": _attributes(face, wanted if rank < MAX_ATTRIBUTE_FACES else set())}
             for rank, face in enumerate(faces)]
    height, width = image.shape[:2]
    return {"ImageWidth": width, "ImageHeight": height, "FaceDetailInfos": infos, "FaceModelVersion": version}
