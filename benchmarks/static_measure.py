"""The static scan measured on real AI SDK packages that did not tune it: base URLs found, documentation ranked out.

The measure set is benchmarks/static_measure.toml: packages from npm and PyPI at pinned versions, neither in the
tuning set (benchmarks/operator_coverage.toml) nor mined for the knowledge base (resources/knowledge/MINED.md);
a package of either list is refused.  Each is fetched once into a cache folder (`npm pack`,
`pip download --no-deps`, never committed) and assessed as a new user would, offline:

    databorder assess PACKAGE --offline --no-history --json OUT   (the user's history is left alone)

Figures per package, and the goals of the static-scan issue:
- the API base URLs written in its code (the TOML's `base_urls`, read by hand) among the assessed endpoints
  (goal: every one);
- documentation hosts among its top 20 assessed endpoints — role docs or web (a vendor's docs., console., www.
  pages), or a documentation, code-hosting or badge host by the scan's own rule (goal: at most 2), listed.

    python3 benchmarks/static_measure.py [--cache DIR] [--only NAME]

Exit status 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SET = HERE / "static_measure.toml"
sys.path.insert(0, str(HERE))
from operator_coverage import DATABORDER, TRUTH, fetch, mined_packages  # noqa: E402

TOP = 20
MOST_DOCUMENTATION = 2


def load_set() -> list[dict[str, Any]]:
    """The measure set, refusing any package that tuned the scan or built the tables."""
    packages: list[dict[str, Any]] = tomllib.loads(SET.read_text(encoding="utf-8"))["package"]
    tuning = {(p["registry"], p["name"].lower()) for p in tomllib.loads(TRUTH.read_text(encoding="utf-8"))["package"]}
    used = mined_packages() | tuning
    clash = [p["name"] for p in packages if (p["registry"], p["name"].lower()) in used]
    if clash:
        raise SystemExit(f"{SET.name}: packages that tuned the scan or built the tables cannot measure it: {clash}")
    return packages


def assess(target: Path, out: Path) -> dict[str, Any]:
    done = subprocess.run([*DATABORDER, "assess", str(target), "--offline", "--no-history", "--json", str(out)],
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    if not out.exists() and "nothing to assess" in done.stderr:
        return {"endpoints": []}  # every name it holds ranks under the threshold
    if not out.exists():
        raise SystemExit(f"{target.name}: no assessment ({done.stderr.strip()[-300:]})")
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


def documentation(endpoint: dict[str, Any]) -> bool:
    """A page for people: the web or docs role, or a documentation host by the scan's rule."""
    from databorder.collect.static.ranking import documentation_host

    host = endpoint.get("host") or ""
    return bool({"docs", "web"} & set(endpoint.get("roles") or ())) or (bool(host) and documentation_host(host))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "databorder-bench" / "measure")
    parser.add_argument("--only", help="one package by name")
    args = parser.parse_args()
    packages = [p for p in load_set() if args.only in (None, p["name"])]
    missed = crowded = found_total = urls_total = 0
    print(f"{'package':<38}{'version':<10}{'base URLs':>10}  {'docs in top 20':>14}  what")
    with tempfile.TemporaryDirectory() as tmp:
        for number, package in enumerate(packages):
            data = assess(fetch(args.cache, package), Path(tmp) / f"{number}.json")
            endpoints = data["endpoints"]
            hosts = {e["host"] for e in endpoints if e.get("host")}
            wanted = package["base_urls"]
            lost = [h for h in wanted if h not in hosts]
            top = sorted(endpoints, key=lambda e: -e["relevance"])[:TOP]
            docs = [e.get("host") or e.get("ip") for e in top if documentation(e)]
            found_total += len(wanted) - len(lost)
            urls_total += len(wanted)
            missed += bool(lost)
            crowded += len(docs) > MOST_DOCUMENTATION
            said = [f"missing {', '.join(lost)}"] if lost else []
            said += [f"docs: {', '.join(map(str, docs))}"] if docs else []
            print(f"{package['name']:<38}{package['version']:<10}{len(wanted) - len(lost):>6}/{len(wanted):<3}"
                  f"  {len(docs):>14}  {'; '.join(said)}")  # fmt: skip
    print(f"\nbase URLs found: {found_total}/{urls_total} in {len(packages)} packages; packages missing one: {missed} "
          f"(goal: 0)")  # fmt: skip
    print(f"packages with more than {MOST_DOCUMENTATION} documentation hosts in their top {TOP}: {crowded} (goal: 0)")
    return 1 if missed or crowded else 0


if __name__ == "__main__":
    sys.exit(main())
