"""The benchmark command runs (a smoke test; the figures themselves are no assertions)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_benchmark_command_runs_one_benchmark_and_writes_its_table(tmp_path):
    output = tmp_path / "latest.md"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "dispatch",
         "--databases", "sqlite", "--output", str(output)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    table = output.read_text()
    assert "| SQLite | webhook dispatch, 1,000 events" in table
    assert "notification worker VmHWM (MiB)" in table
    assert "Speed: ten million additions in Python took " in table  # days compare by it
