"""Run every benchmark in one go and print their JSON figures as one document.

Usage (root, for the namespace benchmarks): python bench/run_all.py
Each benchmark prints one JSON object on its last line of output; a benchmark that is
missing is reported as such, one that fails is reported with its exit code.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ["live_snapshot.py", "kernel_apply.py", "render.py", "scale.py", "tui.py"]


def run(script: str) -> dict[str, object]:
    path = HERE / script
    if not path.exists():
        return {"benchmark": script, "missing": True}
    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True)
    lines = [line for line in result.stdout.splitlines() if line.strip().startswith("{")]
    figures: dict[str, object] = json.loads(lines[-1]) if lines else {}
    figures.setdefault("benchmark", script)
    figures["exit_code"] = result.returncode
    if result.returncode and result.stderr:
        figures["stderr"] = result.stderr[-2000:]
    return figures


def main() -> int:
    reports = [run(script) for script in BENCHMARKS]
    print(json.dumps(reports, indent=2))
    return 1 if any(r.get("exit_code") for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
