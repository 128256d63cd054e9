"""The README tells the truth: its 'Try it' block runs, and every command it lists exists."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_try_it_block_runs(tmp_path: Path) -> None:
    block = README.split("## Try it", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    lines = [line for line in block.strip().splitlines() if line.strip()]
    assert len(lines) >= 5
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDGE_")}
    env.update(EDGE_SERVICE__STATE_DIR=str(tmp_path), EDGE_SERVICE__HEALTH_PORT="0",
               EDGE_MQTT__ENABLED="false")
    outputs = {}
    for line in lines:
        argv = shlex.split(line)
        assert argv[0] == ".venv/bin/edge"
        result = subprocess.run([sys.executable, "-m", "edge", *argv[1:]], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=240)
        assert result.returncode == 0, f"{line}\n{result.stderr}"
        outputs[argv[1]] = result.stdout
    assert "GRANTED" in outputs["run"] and "Carphone driver" in outputs["run"]
    assert "obama" in outputs["people"]


def test_every_listed_command_exists() -> None:
    table = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    commands = set()
    for cell in re.findall(r"^\| `(edge[^|]*)", table, re.M):
        for part in re.findall(r"`?(edge [a-z]+(?: [a-z / -]+)?)`?", cell):
            words = part.split()
            sub = words[1]
            commands.add((sub,))
            for rest in " ".join(words[2:]).split("/"):
                rest = rest.strip().split(" ")[0]
                if rest and not rest.startswith("-"):
                    commands.add((sub, rest))
    assert ("run",) in commands and ("people", "sync") in commands
    for command in sorted(commands):
        result = subprocess.run([sys.executable, "-m", "edge", *command, "--help"], cwd=ROOT,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"edge {' '.join(command)}: {result.stderr}"
