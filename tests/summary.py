"""Print one closing line for `make test` from the pytest JUnit files: 'total: N passed, N failed, N skipped'."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def main(paths: list[str]) -> int:
    passed = failed = skipped = 0
    for name in paths:
        path = Path(name)
        if not path.exists():
            print(f"{path.stem}: no results (the step did not run its tests)")
            failed += 1
            continue
        root = ET.parse(path).getroot()
        suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
        s_tests = sum(int(s.get("tests", 0)) for s in suites)
        s_failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
        s_skipped = sum(int(s.get("skipped", 0)) for s in suites)
        s_passed = s_tests - s_failed - s_skipped
        print(f"{path.stem}: {s_passed} passed, {s_failed} failed, {s_skipped} skipped")
        passed, failed, skipped = passed + s_passed, failed + s_failed, skipped + s_skipped
    print(f"total: {passed} passed, {failed} failed, {skipped} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
