"""Scores of the last `scripts/mutation` run, per module, from mutmut's own results."""

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

# A timeout or a crash means the tests noticed the change.
CAUGHT = {"killed", "timeout", "segfault"}
EQUIVALENT_FILE = Path(__file__).with_name("mutation-equivalent.txt")


def equivalent_mutants() -> dict[str, str]:
    """mutant name -> why it cannot change what anyone sees."""
    judged = {}
    for line in EQUIVALENT_FILE.read_text().splitlines():
        name, _, why = line.partition("#")
        if name.strip():
            judged[name.strip()] = why.strip()
    return judged


def main(modules: list[str]) -> int:
    results = subprocess.run(
        [".venv/bin/mutmut", "results", "--all", "true"], capture_output=True, text=True, check=True
    ).stdout
    statuses = dict(
        (name.strip(), status.strip())
        for name, _, status in (line.rpartition(":") for line in results.splitlines())
        if name.strip()
    )
    judged = equivalent_mutants()
    target = float(os.environ.get("MUTATION_TARGET", 90))
    failed = False
    for module in modules:
        prefix = module.removesuffix(".py").replace("/", ".") + "."
        mine = {name: status for name, status in statuses.items() if name.startswith(prefix)}
        counts = Counter("caught" if status in CAUGHT else status for status in mine.values())
        equivalent = [name for name, status in mine.items() if status not in CAUGHT and name in judged]
        survivors = sorted(name for name, status in mine.items() if status not in CAUGHT and name not in judged)
        scored = len(mine) - len(equivalent)
        score = 100.0 * counts["caught"] / scored if scored else 100.0
        print(
            f"{module}: {score:.1f}% caught ({counts['caught']} of {scored}; "
            f"{len(equivalent)} judged equivalent; {dict(counts)})"
        )
        for name in survivors:
            print(f"    survived: {name}   (mutmut show {name})")
        failed |= score < target
    stale = sorted(name for name in judged if name not in statuses)
    if stale:
        print("Listed as equivalent but no longer generated (remove them):", *stale, sep="\n    ")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
