"""Run ``user-editor check`` over the hostile corpus and print a Markdown table.

    .venv/bin/python benchmarks/hostile_corpus.py

Each file of tests/helpers/hostile.py is generated in a temporary folder and checked by
the command line as a separate process: its outcome, wall time and peak memory.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers.hostile import build_corpus, corpus, run_check  # noqa: E402

OUTCOMES = {0: "opened, valid", 1: "opened, problems flagged", 2: "refused"}


def main() -> int:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        files = build_corpus(Path(folder))
        for entry in corpus():
            run = run_check(files[entry.name])
            said = (run.stderr.strip() or _first_problem(run.stdout)).replace("|", "\\|")
            outcome = OUTCOMES.get(run.exit_code, f"exit {run.exit_code}")
            rows.append(
                f"| {entry.name} | {outcome} | {run.seconds:.2f} | {run.peak_mb:,.0f} | {said} |"
            )
            print(f"{entry.name}: {outcome}", file=sys.stderr)
    print("| File | Outcome | Seconds | Peak MB | Sentence |")
    print("|---|---|---:|---:|---|")
    print("\n".join(rows))
    return 0


def _first_problem(stdout: str) -> str:
    lines = stdout.strip().splitlines()
    return lines[1] if len(lines) > 1 else (lines[0] if lines else "")


if __name__ == "__main__":
    sys.exit(main())
