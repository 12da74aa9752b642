"""How often a download's layout is recognised: the figures for the closing note.

For every platform profile, a fixed, seeded series of generated variants of its
download (renamed headers in four languages, case and spacing, reordered, extra and
missing columns, rows above the header, a guidance row): the share recognised as the
right platform, and the share with every column mapped right (and the header and
guidance rows found). A second series swaps two letters in every long header, for the
near misses. Run: .venv/bin/python benchmarks/recognition_figures.py [COUNT]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from desktop_app.models.recognition import recognise  # noqa: E402
from tests.helpers.layout_variants import PLATFORM_PROFILES, Variant, sweep  # noqa: E402


def right(variant: Variant) -> tuple[bool, bool, float]:
    started = time.perf_counter()
    found = recognise(variant.rows)
    elapsed = time.perf_counter() - started
    platform = found is not None and found.profile.name == variant.profile
    mapping = (
        platform
        and found is not None
        and dict(found.mapping.columns) == variant.expected
        and found.mapping.key == variant.key
        and (found.header_row, found.guidance_rows) == (variant.header_row, variant.guidance_rows)
    )
    return platform, mapping, elapsed


def table(count: int, typos: float, title: str) -> None:
    print(f"\n{title}\n")
    print("| Profile | Variants | Right platform | Right mapping | Median time |")
    print("|---|---:|---:|---:|---:|")
    totals = [0, 0, 0]
    times: list[float] = []
    for name in PLATFORM_PROFILES:
        results = [right(v) for v in sweep(name, count, typos=typos)]
        platform = sum(r[0] for r in results)
        mapping = sum(r[1] for r in results)
        median = statistics.median(r[2] for r in results)
        times += [r[2] for r in results]
        totals[0] += len(results)
        totals[1] += platform
        totals[2] += mapping
        print(
            f"| {name} | {len(results)} | {platform / len(results):.1%} | "
            f"{mapping / len(results):.1%} | {median * 1000:.2f} ms |"
        )
    n = totals[0]
    print(
        f"| **overall** | {n} | {totals[1] / n:.1%} | {totals[2] / n:.1%} | "
        f"{statistics.median(times) * 1000:.2f} ms |"
    )


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    recognise([["Email", "Name"]])  # profiles read and vocabularies built once
    table(count, 0.08, "Generated variants (as in tests/models/test_recognition.py)")
    table(count, 1.0, "The same with two letters swapped in every header of 9+ letters")


if __name__ == "__main__":
    main()
