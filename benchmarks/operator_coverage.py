"""Who runs each endpoint, measured on real AI SDK packages that did not shape the tables.

The evaluation set is benchmarks/operator_coverage.toml: packages from npm and PyPI that are not catalog apps and
were not mined for resources/knowledge/ (MINED.md; a package listed there is refused). Each package is fetched
once at its pinned version into a cache folder (`npm pack`, `pip download --no-deps`, never committed) and
assessed as a new user would, offline (no DNS), under `us-countries-of-concern`:

    databorder assess PACKAGE --offline --pack us-countries-of-concern --json OUT

Figures (goals from docs/knowledge-base.md):
- the share of the data endpoints written in the packages' code (the TOML's `data_endpoints`) that the scan
  found with the right service-operator country (goal >= 95 %); an endpoint the scan missed counts as wrong;
- packages of CN-operated vendors, their international arms included, judged prohibit (goal: all);
- packages of US/EU/UK/CA-operated vendors judged prohibit (goal: none);
- `assess api.some-unknown-vendor.example --offline` (a name no table knows) judged review, not allow;
- documentation hosts (role docs or web: a vendor's docs., console., www. pages) among each package's top 20
  assessed endpoints (static-scan issue: at most 2), listed for a person to judge.

    python3 benchmarks/operator_coverage.py [--cache DIR] [--only NAME] [--show-wrong]

Exit status 1 when a goal is missed, so the figures cannot quietly drift.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TRUTH = HERE / "operator_coverage.toml"
MINED = ROOT / "resources" / "knowledge" / "MINED.md"
PACK = "us-countries-of-concern"
FREE = {"US", "CA", "GB", "FR", "DE", "NL", "IE", "SE", "FI", "DK", "IT", "ES", "BE", "AT", "PL", "LU"}
CONCERN = {"CN", "HK", "MO", "RU", "IR", "KP", "CU", "VE"}
DATABORDER = [sys.executable, "-c", "import sys; from databorder.cli import main; sys.exit(main())"]


@dataclass
class Result:
    """One package's outcome."""

    name: str
    version: str
    country: str
    verdict: str
    right: int = 0
    total: int = 0
    wrong: list[str] = field(default_factory=list)
    note: str = ""
    documentation: list[str] = field(default_factory=list)  # pages for people among the top 20 assessed


def mined_packages() -> set[tuple[str, str]]:
    """(registry, lower-case name) of every package MINED.md lists."""
    mined = set()
    for line in MINED.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0] in {"PyPI", "npm"}:
            mined.add((cells[0].lower(), cells[1].lower()))
    return mined


def load_set() -> list[dict[str, Any]]:
    """The evaluation set, refusing any package that was mined to build the tables."""
    packages: list[dict[str, Any]] = tomllib.loads(TRUTH.read_text(encoding="utf-8"))["package"]
    mined = mined_packages()
    clash = [p["name"] for p in packages if (p["registry"], p["name"].lower()) in mined]
    if clash:
        raise SystemExit(f"{TRUTH.name}: mined packages cannot evaluate the tables: {', '.join(clash)}")
    return packages


def fetch(cache: Path, package: dict[str, Any]) -> Path:
    """The package file at its pinned version, downloaded once into the cache."""
    folder: Path = cache / package["registry"] / f"{package['name'].replace('/', '+')}@{package['version']}"
    found = [p for p in folder.glob("*") if p.is_file()] if folder.is_dir() else []
    if found:
        return found[0]
    folder.mkdir(parents=True, exist_ok=True)
    if package["registry"] == "npm":
        command = ["npm", "pack", "--silent", f"{package['name']}@{package['version']}"]
    else:
        spec = f"{package['name']}=={package['version']}"
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", spec]
        command += ["-d", "."]
    subprocess.run(command, cwd=folder, check=True, capture_output=True, timeout=300)
    found = [p for p in folder.glob("*") if p.is_file()]
    if not found:
        raise SystemExit(f"could not fetch {package['name']}@{package['version']}")
    return found[0]


def assess(target: str, out: Path, *extra: str) -> tuple[int, dict[str, Any] | None, str]:
    """Run the CLI as a user would; its exit status, the JSON it wrote and what it said on stderr."""
    command = [*DATABORDER, "assess", target, "--offline", "--no-history", "--pack", PACK, "--json", str(out), *extra]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    data = json.loads(out.read_text(encoding="utf-8")) if out.exists() else None
    return done.returncode, data, done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""


def judge(package: dict[str, Any], data: dict[str, Any] | None, error: str) -> Result:
    """Compare one assessment with the package's truth."""
    result = Result(package["name"], package["version"], package["operator_country"], "error")
    if data is None:
        result.note = error
        result.total = len(package["data_endpoints"])
        result.wrong = [f"{host}: no assessment" for host in package["data_endpoints"]]
        return result
    result.verdict = data["verdict"]
    by_host = {e["host"]: e for e in data["endpoints"] if e.get("host")}
    top = sorted(data["endpoints"], key=lambda e: -e["relevance"])[:20]
    result.documentation = [e["host"] for e in top if {"docs", "web"} & set(e.get("roles") or ())]
    for host, country in package["data_endpoints"].items():
        result.total += 1
        endpoint = by_host.get(host)
        service = (endpoint or {}).get("service") or {}
        if endpoint is None:
            result.wrong.append(f"{host}: not found by the scan")
        elif service.get("country") != country:
            found = service.get("country") or "unknown"
            result.wrong.append(f"{host}: operator country {found}, truth {country} ({service.get('basis')})")
        else:
            result.right += 1
    if not package["data_endpoints"]:
        result.note = package.get("not_in_code", "")
    return result


def unknown_vendor(workdir: Path) -> str:
    """The verdict on a name no table knows."""
    _, data, error = assess("api.some-unknown-vendor.example", workdir / "unknown.json")
    return data["verdict"] if data else f"error: {error}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "databorder-bench" / "operators")
    parser.add_argument("--only", help="one package by name")
    parser.add_argument("--show-wrong", action="store_true", help="list every endpoint judged wrong")
    args = parser.parse_args()
    packages = [p for p in load_set() if args.only in (None, p["name"])]
    results: list[Result] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for number, package in enumerate(packages):
            path = fetch(args.cache, package)
            _, data, error = assess(str(path), workdir / f"{number}.json")
            results.append(judge(package, data, error))
        unknown = unknown_vendor(workdir)
    wall = time.perf_counter() - started

    width = max(len(f"{r.name} {r.version}") for r in results)
    print(f"{'package':<{width}}  country  endpoints right  verdict")
    for r in results:
        shown = f"{r.right}/{r.total}" if r.total else "-"
        note = f"  ({r.note})" if r.note else ""
        print(f"{r.name + ' ' + r.version:<{width}}  {r.country:<7}  {shown:>15}  {r.verdict}{note}")
        if args.show_wrong:
            for line in r.wrong:
                print(f"    wrong: {line}")
    right = sum(r.right for r in results)
    total = sum(r.total for r in results)
    cn = [r for r in results if r.country in CONCERN]
    free = [r for r in results if r.country in FREE]
    cn_prohibited = [r for r in cn if r.verdict == "prohibit"]
    free_prohibited = [r for r in free if r.verdict == "prohibit"]
    share = right / total if total else 0.0
    print()
    print(f"packages: {len(results)} ({len(cn)} CN-operated, {len(free)} US/EU/UK/CA-operated); {wall:.1f} s")
    print(f"data endpoints with the right operator country: {right}/{total} = {share:.1%} (goal >= 95 %)")
    print(f"CN-operated packages prohibited: {len(cn_prohibited)}/{len(cn)} (goal: all)")
    for r in cn:
        if r.verdict != "prohibit":
            print(f"    not prohibited: {r.name} {r.version} -> {r.verdict}  {r.note}")
    print(f"US/EU/UK/CA-operated packages prohibited: {len(free_prohibited)}/{len(free)} (goal: none)")
    for r in free_prohibited:
        print(f"    prohibited: {r.name} {r.version}")
    verdicts = " ".join(f"{v}={sum(r.verdict == v for r in free)}" for v in ("allow", "review", "prohibit"))
    print(f"    their verdicts: {verdicts}")
    print(f"unknown vendor (api.some-unknown-vendor.example --offline): {unknown} (goal: review)")
    crowded = [r for r in results if len(r.documentation) > 2]
    print(f"packages with more than 2 documentation hosts in their top 20: {len(crowded)}/{len(results)} (goal: 0)")
    for r in results:
        if r.documentation:
            print(f"    {r.name}: {', '.join(r.documentation)}")
    missed = share < 0.95 or len(cn_prohibited) < len(cn) or free_prohibited or unknown != "review"
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
