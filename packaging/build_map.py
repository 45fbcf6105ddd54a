"""Build resources/map/countries-110m.json: country outlines for the world map, from Natural Earth via world-atlas.

Why a script: the map must be rebuilt the same way by anyone. Input: npm `world-atlas` (pinned below; Natural
Earth 1:110m, public domain) as TopoJSON; output: plain polygons per ISO 3166-1 alpha-2 code (numeric ids mapped
with `pycountry`, needed only here), coordinates rounded to 0.01°. Usage:

    pip install pycountry && python3 packaging/build_map.py
"""

from __future__ import annotations

import json
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

WORLD_ATLAS = "world-atlas@2.0.2"
# Natural Earth names features that have no ISO numeric code of their own.
BY_NAME = {"Kosovo": "XK", "N. Cyprus": "CY", "Somaliland": "SO"}


def main() -> None:
    import pycountry

    out = Path(__file__).resolve().parents[1] / "resources" / "map" / "countries-110m.json"
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(["npm", "pack", WORLD_ATLAS, "--silent"], cwd=tmp, check=True, capture_output=True,
                                text=True)  # fmt: skip
        with tarfile.open(Path(tmp) / result.stdout.strip().splitlines()[-1]) as archive:
            archive.extractall(tmp, filter="data")
        topo = json.loads((Path(tmp) / "package" / "countries-110m.json").read_text(encoding="utf-8"))
    arcs = _decode_arcs(topo)
    countries: dict[str, list[list[list[float]]]] = {}
    for geometry in topo["objects"]["countries"]["geometries"]:
        name = geometry.get("properties", {}).get("name", "")
        code = BY_NAME.get(name)
        if code is None and geometry.get("id"):
            found = pycountry.countries.get(numeric=str(geometry["id"]).zfill(3))
            code = found.alpha_2 if found else None
        if code is None:
            print(f"no code for {name!r}; left out")
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        for polygon in polygons:
            for ring in polygon:  # outer ring and holes alike: drawn with the odd-even fill rule
                countries.setdefault(code, []).append(_ring(ring, arcs))
    data = {
        "source": f"npm:{WORLD_ATLAS} countries-110m (Natural Earth 1:110m admin-0 countries)",
        "licence": "public domain (Natural Earth); world-atlas ISC",
        "projection": "none: longitude, latitude in degrees",
        "countries": dict(sorted(countries.items())),
    }
    out.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(countries)} countries, {out.stat().st_size:,} bytes")


def _decode_arcs(topo: dict[str, Any]) -> list[list[list[float]]]:
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    decoded = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:  # quantized and delta-encoded
            x, y = x + dx, y + dy
            points.append([round(x * sx + tx, 2), round(y * sy + ty, 2)])
        decoded.append(points)
    return decoded


def _ring(indexes: list[int], arcs: list[list[list[float]]]) -> list[list[float]]:
    ring: list[list[float]] = []
    for index in indexes:
        points = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        ring.extend(points[1:] if ring else points)  # consecutive arcs share their joining point
    return ring


if __name__ == "__main__":
    main()
