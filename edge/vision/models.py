"""The shipped ONNX models: manifest, sha256 check at start, onnxruntime sessions.

``models/manifest.json`` records, per model, its ``file`` (relative to the models folder) and
``sha256``. A model that is missing or whose bytes differ from the manifest is refused with a
:class:`ModelError` naming the file: the appliance must not run on a model nobody vouched for.
"""

from __future__ import annotations

import hashlib
import json
import logging
from functools import cache
from pathlib import Path

import onnxruntime as ort

from edge.errors import ModelError

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_manifest(models_dir: Path) -> dict[str, dict]:
    """The ``models`` table of the manifest: model name -> its entry."""
    path = models_dir / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelError(f"{path}: missing (the model manifest)") from exc
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: unreadable model manifest: {exc}") from exc
    models = manifest.get("models") if isinstance(manifest, dict) else None
    if not isinstance(models, dict):
        raise ModelError(f"{path}: no 'models' table")
    return models


def verified_model(models_dir: Path, name: str) -> Path:
    """Path of model ``name`` after checking its bytes against the manifest's sha256."""
    entry = load_manifest(models_dir).get(name)
    if not isinstance(entry, dict) or "file" not in entry or "sha256" not in entry:
        raise ModelError(f"{models_dir / MANIFEST}: no entry with file and sha256 for model '{name}'")
    path = models_dir / entry["file"]
    if not path.is_file():
        raise ModelError(f"{path}: missing")
    actual = _sha256(path)
    if actual != entry["sha256"]:
        raise ModelError(f"{path}: altered: sha256 {actual} != manifest {entry['sha256']}")
    return path


@cache
def _shared_arena() -> None:
    """Register, once per process, the CPU arena the sessions share for their activations.

    Without it each ``run`` took its activations from glibc's heap and gave them back: the
    detector's 5 MB block and FaceNet's 3 MB one on every frame. In the first frames, objects
    that live on (tracks, caches, first-call set-ups) were placed in the hole a freed block left,
    so the next frame's block no longer fitted there and went above it: the heap grew by one
    block per frame for about ten frames, 20-50 MB that stayed resident (``edge run``'s peak
    239-278 MB from run to run). The arena keeps its blocks and is shared: the sessions run one
    after the other, so it holds the largest activation set, not their sum. It grows in regions
    of doubling size (``arena_extend_strategy`` 0): growing by exactly what is asked kept one
    region per larger batch seen (a 1080p clip with several faces: 515 MB against 437 MB).
    """
    memory = ort.OrtMemoryInfo("Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT)
    ort.create_and_register_allocator(memory, ort.OrtArenaCfg(
        {"max_mem": 0, "arena_extend_strategy": 0, "initial_chunk_size_bytes": 1 << 20,
         "max_dead_bytes_per_chunk": -1}))


def create_session(path: Path, threads: int = 1, providers: list[str] | None = None) -> ort.InferenceSession:
    """An onnxruntime session with ``threads`` intra-op threads on the first usable providers.

    Providers that this onnxruntime build lacks (CUDA/TensorRT on a machine without them) are
    skipped with a warning; the CPU provider is always the last resort.

    Every session's activations (the tensors of one ``run``) come from one arena shared by the
    process (:func:`_shared_arena`); the weights come from the plain allocator, and no session has
    an arena of its own (those grow in power-of-two chunks and keep them: about 20 MB more of
    ``edge run``'s peak). docs/benchmarks.md, "Memory: what edge run holds".

    Quantized models run at onnxruntime's high x64 precision (``session.x64quantprecision``): on
    x86 CPUs with AVX2 but no VNNI, its default uint8 x int8 kernels add pairs of products in
    16 bits and saturate, which turned the int8 FaceNet's descriptors away from the float model's
    (cosine down to 0.975 on the parity chips, against 0.9987 with it, at no measured cost):
    the shipped calibration tables hold only for the exact arithmetic. ARM ignores the key.
    """
    wanted = providers or ["CPUExecutionProvider"]
    available = set(ort.get_available_providers())
    usable = [p for p in wanted if p in available]
    for missing in (p for p in wanted if p not in available):
        log.warning("execution provider %s not available here; skipping it", missing)
    if "CPUExecutionProvider" not in usable:
        usable.append("CPUExecutionProvider")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    options.enable_cpu_mem_arena = False
    _shared_arena()
    options.add_session_config_entry("session.use_env_allocators", "1")
    options.add_session_config_entry("session.use_device_allocator_for_initializers", "1")
    options.add_session_config_entry("session.x64quantprecision", "1")
    try:
        return ort.InferenceSession(str(path), sess_options=options, providers=usable)
    except Exception as exc:  # onnxruntime raises its own untyped errors for broken files
        raise ModelError(f"{path}: onnxruntime cannot load it: {exc}") from exc
