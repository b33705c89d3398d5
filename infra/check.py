"""The infrastructure checks `make test` runs: every .bicep file parses, and checkov finds no
failed check and no parse error (checkov exits 0 on parse errors, so its JSON is read), and every
skipped check carries a written reason.

Run with the checkov venv's Python: `.venv-infra/bin/python infra/check.py`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pycep import BicepParser  # type: ignore[import-not-found]

INFRA = Path(__file__).parent


def syntax_errors() -> list[str]:
    errors = []
    parser = BicepParser()
    for path in sorted(INFRA.rglob("*.bicep")):
        try:
            parser.parse(text=path.read_text(encoding="utf-8"))
        except Exception as error:
            errors.append(f"{path.relative_to(INFRA)}: {type(error).__name__}: {str(error)[:200]}")
    return errors


def checkov() -> tuple[dict[str, int], list[str]]:
    command = [sys.executable, "-m", "checkov.main", "-d", str(INFRA), "--framework", "bicep", "-o", "json"]
    run = subprocess.run([*command, "--quiet"], capture_output=True, text=True, check=False)  # noqa: S603
    reports = json.loads(run.stdout or "[]")
    reports = reports if isinstance(reports, list) else [reports]
    totals = {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0}
    problems = []
    for report in reports:
        for key in totals:
            totals[key] += int(report.get("summary", {}).get(key, 0))
        results = report.get("results", {})
        for failed in results.get("failed_checks", []):
            problems.append(f"FAILED {failed['check_id']} {failed['check_name']} in {failed['file_path']}")
        for skipped in results.get("skipped_checks", []):
            reason = (skipped.get("suppress_comment") or "").strip(" :")
            if len(reason) < 20:
                problems.append(f"SKIPPED without a reason: {skipped['check_id']} in {skipped['file_path']}")
        for path in (
            results.get("parsing_errors", []) if isinstance(results.get("parsing_errors"), list) else []
        ):
            problems.append(f"PARSE ERROR {path}")
    return totals, problems


def main() -> int:
    errors = syntax_errors()
    totals, problems = checkov()
    bicep_files = len(list(INFRA.rglob("*.bicep")))
    print(f"infra: {bicep_files} Bicep files parsed, {len(errors)} syntax errors; checkov {totals}")
    for line in errors + problems:
        print(f"  {line}")
    bad = errors or problems or totals["failed"] or totals["parsing_errors"] or totals["passed"] == 0
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
