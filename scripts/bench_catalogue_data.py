#!/usr/bin/env python3
"""Fills an HWC3D database with a generated catalogue for scripts/bench-catalogue.sh (stdlib only).

  bench_catalogue_data.py sqlite PATH [--models N] [--seed S]
  bench_catalogue_data.py postgres URL --psql PATH [--models N] [--seed S]

The schema must exist already (start the server, or run `hwc3d reindex-search`, once first); the search index
is not built here: run `hwc3d reindex-search` afterwards, so the application's own code writes it.

What it makes, deterministic for a seed: 2,000 creators; N models (default 100,000) whose titles are
"<adjective> <material> <noun>" with the noun deciding the category (so `q=chair&category=furniture` is a
realistic query), 2-6 tags each, 1-3 files with formats and analysis states, 1-4 images, counters with a long
tail, a week of activity for a fifth of them, and the mix of statuses and visibilities a live catalogue has
(about 90% listed). Prints the figures it wrote, a sample slug and id for the detail and related routes and the
sample model's creator for the profile route.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import sqlite3
import subprocess
import sys
import time
import uuid

NOUNS = {
    "humans": ["warrior", "knight", "soldier", "wizard", "pilot", "farmer", "dancer", "athlete"],
    "creatures": ["dragon", "wolf", "goblin", "griffin", "spider", "horse", "owl", "shark"],
    "robots": ["robot", "mech", "drone", "android", "cyborg", "droid"],
    "cars": ["car", "truck", "van", "jeep", "taxi", "bus", "tractor", "motorbike"],
    "aircraft": ["plane", "jet", "helicopter", "glider", "airship", "spaceship"],
    "ships": ["boat", "ship", "yacht", "submarine", "canoe", "ferry"],
    "buildings": ["house", "castle", "tower", "cabin", "barn", "temple", "skyscraper", "lighthouse"],
    "interiors": ["kitchen", "bedroom", "office", "bathroom", "library", "studio"],
    "seating": ["chair", "armchair", "stool", "sofa", "bench", "throne"],
    "tables": ["table", "desk", "counter", "nightstand"],
    "lighting": ["lamp", "lantern", "chandelier", "sconce", "candle"],
    "plants": ["tree", "bush", "fern", "cactus", "flower", "palm"],
    "rocks": ["rock", "boulder", "cliff", "terrain", "cave"],
    "weapons": ["sword", "axe", "bow", "rifle", "pistol", "shield", "spear"],
    "tools": ["hammer", "wrench", "saw", "drill", "shovel", "toolbox"],
    "food": ["burger", "pizza", "apple", "cake", "bread", "donut"],
    "electronics": ["phone", "laptop", "camera", "radio", "headphones", "console", "monitor"],
    "art": ["sculpture", "vase", "statue", "mask", "ornament", "totem"],
}
ADJECTIVES = (
    "old modern rusty shiny ancient futuristic cozy tiny giant broken clean dirty stylized realistic low-poly "
    "cartoon medieval victorian industrial elegant simple detailed weathered painted golden dark bright sci-fi "
    "fantasy vintage retro rugged sleek royal wild frozen burning haunted"
).split()
MATERIALS = "wood wooden oak pine metal steel iron brass stone marble glass plastic leather fabric concrete ceramic".split()
EXTRA_TAGS = (
    "game-ready pbr rigged animated lowpoly highpoly uv-unwrapped textured 4k 2k vr ar printable "
    "photogrammetry scan stylized realistic hand-painted modular kitbash prop hero asset environment "
    "character vehicle architecture interior exterior nature food weapon tool gadget sci-fi fantasy "
    "medieval modern cartoon anime voxel pixel retro military post-apocalyptic cyberpunk steampunk"
).split()
LICENSES = [("cc0", 25), ("cc-by", 20), ("cc-by-sa", 5), ("cc-by-nc", 10), ("standard", 35), ("editorial", 5)]
STATUSES = [("published", 92), ("draft", 3), ("pending_review", 2), ("rejected", 1), ("archived", 1), ("taken_down", 1)]
VISIBILITIES = [("public", 95), ("unlisted", 3), ("private", 2)]
FORMATS = [("glb", 60), ("fbx", 40), ("obj", 40), ("gltf", 20), ("blend", 25)]
SENTENCES = [
    "A {adj} {noun} made of {mat}, ready for games and renders.",
    "Clean topology and {mat} materials; pairs well with a {other}.",
    "Modelled in Blender with care for the {adj} look.",
    "Includes PBR textures and a {other} for scale.",
    "Perfect for {adj} scenes, dioramas and visualisation.",
    "Optimised for real-time engines such as Unity and Unreal.",
]
FIRST_NAMES = "alex sam jo kim lee max ana eva ivan omar lena yuki raj noor tom mia leo zoe finn ines".split()
LAST_NAMES = "smith garcia chen kowalski nguyen muller rossi silva kim haddad novak berg costa ito".split()


def weighted(rng: random.Random, choices):
    total = sum(w for _, w in choices)
    pick = rng.uniform(0, total)
    for value, weight in choices:
        pick -= weight
        if pick <= 0:
            return value
    return choices[-1][0]


def uuid7(rng: random.Random, millis: int) -> uuid.UUID:
    raw = bytearray(millis.to_bytes(6, "big") + rng.getrandbits(80).to_bytes(10, "big"))
    raw[6] = (raw[6] & 0x0F) | 0x70
    raw[8] = (raw[8] & 0x3F) | 0x80
    return uuid.UUID(bytes=bytes(raw))


class Catalogue:
    """Rows per table, as Python values; each database writer renders them its way."""

    def __init__(self, models: int, seed: int, categories: dict[str, str]):
        rng = random.Random(seed)
        now = time.time()
        self.users, self.models, self.tags, self.model_tags = [], [], [], []
        self.files, self.images, self.daily = [], [], []
        for i in range(2000):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            username = f"{first}_{last}{i}"
            created = now - rng.uniform(400, 900) * 86400
            self.users.append({
                "id": uuid7(rng, int(created * 1000)), "email": f"{username}@bench.example", "username": username,
                "username_key": username, "display_name": f"{first.title()} {last.title()}", "created_at": created,
            })
        tag_names = sorted(set(EXTRA_TAGS + MATERIALS + [n for ns in NOUNS.values() for n in ns]))
        tag_ids = {}
        for name in tag_names:
            tag_ids[name] = uuid7(rng, int(now * 1000))
            self.tags.append({"id": tag_ids[name], "name": name})
        leaves = list(NOUNS)
        # A long tail of creators: a few have thousands of models, most a handful.
        owner_weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(self.users))]
        owners = rng.choices(self.users, weights=owner_weights, k=models)
        days = int(now // 86400)
        for i in range(models):
            leaf = rng.choice(leaves)
            noun = rng.choice(NOUNS[leaf])
            adj, mat = rng.choice(ADJECTIVES), rng.choice(MATERIALS)
            other = rng.choice(rng.choice(list(NOUNS.values())))
            title = f"{adj.replace('-', ' ')} {mat} {noun}".title()
            if rng.random() < 0.2:
                title += rng.choice([" Pack", " Set", " Kit", " V2", " Collection"])
            description = " ".join(rng.choice(SENTENCES).format(adj=adj, noun=noun, mat=mat, other=other)
                                   for _ in range(rng.randint(2, 4)))
            owner = owners[i]
            created = now - rng.uniform(1, 700) * 86400
            status = weighted(rng, STATUSES)
            visibility = weighted(rng, VISIBILITIES)
            model_id = uuid7(rng, int(created * 1000))
            tags = {noun, mat} if rng.random() < 0.7 else {noun}
            tags |= set(rng.sample(EXTRA_TAGS, rng.randint(1, 4)))
            formats = set()
            while not formats:
                formats = {fmt for fmt, weight in FORMATS if rng.random() < weight / 100}
            failed = {fmt for fmt in formats if rng.random() < 0.04}
            views = int(rng.lognormvariate(4, 1.6))
            downloads = int(views * rng.uniform(0.02, 0.2))
            likes = int(views * rng.uniform(0.01, 0.08))
            triangles = int(min(2_000_000, rng.lognormvariate(9, 1.5)))
            price = 0 if rng.random() < 0.5 else rng.choice([199, 499, 999, 1499, 1999, 2999, 4999, 9999])
            self.models.append({
                "id": model_id, "owner_id": owner["id"], "slug": f"{title.lower().replace(' ', '-')}-{i}",
                "title": title, "description": description, "category_id": categories[leaf],
                "license": weighted(rng, LICENSES), "price_cents": price, "status": status, "visibility": visibility,
                "featured": rng.random() < 0.02, "tags_text": " ".join(sorted(tags)),
                "formats": ",".join(sorted(formats - failed)), "vertex_count": triangles // 2 + 3,
                "triangle_count": triangles, "animated": rng.random() < 0.15, "rigged": rng.random() < 0.2,
                "view_count": views, "download_count": downloads, "like_count": likes,
                "comment_count": int(likes * rng.uniform(0, 0.3)),
                "published_at": created + 3600 if status in ("published", "archived", "taken_down") else None,
                "created_at": created, "deleted_at": now if rng.random() < 0.01 else None,
            })
            for name in sorted(tags):
                self.model_tags.append({"id": uuid7(rng, int(created * 1000)), "model_id": model_id, "tag_id": tag_ids[name]})
            for fmt in sorted(formats):
                self.files.append({
                    "id": uuid7(rng, int(created * 1000)), "model_id": model_id, "owner_id": owner["id"],
                    "original_filename": f"{noun}.{fmt}", "storage_key": f"models/files/{model_id}-{fmt}",
                    "format": fmt, "packaging": "file", "size_bytes": rng.randint(50_000, 90_000_000),
                    "sha256": "%064x" % rng.getrandbits(256),
                    "analysis_status": "failed" if fmt in failed else "ready", "created_at": created,
                })
            for position in range(rng.randint(1, 4)):
                self.images.append({
                    "id": uuid7(rng, int(created * 1000)), "model_id": model_id, "owner_id": owner["id"],
                    "position": position, "width": 1280, "height": 960, "size_bytes": rng.randint(40_000, 400_000),
                    "created_at": created,
                })
            if rng.random() < 0.2:
                for back in rng.sample(range(10), rng.randint(1, 7)):
                    day = days - back
                    self.daily.append({
                        "model_id": model_id, "day": time.strftime("%Y-%m-%d", time.gmtime(day * 86400)),
                        "views": rng.randint(0, 200), "downloads": rng.randint(0, 20), "likes": rng.randint(0, 10),
                    })


USER_COLUMNS = ["id", "email", "username", "username_key", "display_name", "social_links", "skills", "is_creator",
                "status", "followers_count", "following_count", "models_count", "created_at", "updated_at"]
MODEL_COLUMNS = ["id", "owner_id", "slug", "title", "description", "category_id", "license", "price_cents", "currency",
                 "status", "visibility", "featured", "tags_text", "formats", "vertex_count", "triangle_count",
                 "animated", "rigged", "view_count", "download_count", "like_count", "comment_count", "sales_count",
                 "published_at", "created_at", "updated_at", "deleted_at"]
FILE_COLUMNS = ["id", "model_id", "owner_id", "original_filename", "storage_key", "format", "packaging", "size_bytes",
                "sha256", "analysis_status", "created_at"]
IMAGE_COLUMNS = ["id", "model_id", "owner_id", "position", "width", "height", "size_bytes", "created_at"]


def user_row(user):
    return dict(user, social_links="{}", skills=[], is_creator=True, status="active", followers_count=0,
                following_count=0, models_count=0, updated_at=user["created_at"])


def model_row(model):
    return dict(model, currency="USD", sales_count=0, updated_at=model["created_at"])


def load_sqlite(path: str, models: int, seed: int):
    db = sqlite3.connect(path)
    categories = {slug: value for slug, value in db.execute("SELECT slug, id FROM categories")}
    cat = Catalogue(models, seed, categories)

    # Fluent's SQLite driver stores UUIDs as upper-case text, dates as seconds since 1970, booleans as 0/1.
    def value(v):
        if isinstance(v, uuid.UUID):
            return str(v).upper()
        if isinstance(v, bool):
            return int(v)
        if isinstance(v, list):
            return json.dumps(v)
        return v

    def insert(table, columns, rows):
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
        db.executemany(sql, ([value(row.get(c)) for c in columns] for row in rows))

    with db:
        insert("users", USER_COLUMNS, map(user_row, cat.users))
        insert("tags", ["id", "name"], cat.tags)
        insert("models", MODEL_COLUMNS, map(model_row, cat.models))
        insert("model_tags", ["id", "model_id", "tag_id"], cat.model_tags)
        insert("model_files", FILE_COLUMNS, cat.files)
        insert("model_images", IMAGE_COLUMNS, cat.images)
        insert("model_daily_stats", ["model_id", "day", "views", "downloads", "likes", "sales"],
               (dict(d, sales=0) for d in cat.daily))
    db.execute("ANALYZE")
    db.close()
    return cat


def load_postgres(url: str, psql: str, models: int, seed: int):
    def run(sql: str, stdin: str | None = None) -> str:
        result = subprocess.run([psql, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url, "-c", sql] if stdin is None
                                else [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", url],
                                input=stdin, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"psql failed: {result.stderr.strip()[:2000]}")
        return result.stdout

    categories = dict(line.split("|") for line in run("SELECT slug, id FROM categories").split())
    cat = Catalogue(models, seed, {k: uuid.UUID(v) for k, v in categories.items()})

    def value(v):
        if v is None:
            return None
        if isinstance(v, bool):
            return "t" if v else "f"
        if isinstance(v, list):
            return "{" + ",".join(v) + "}"
        if isinstance(v, float):
            return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(v)) + ("%.6f" % (v % 1))[1:] + "+00"
        return str(v)

    script = io.StringIO()
    script.write("BEGIN;\n")

    def copy(table, columns, rows):
        script.write(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N');\n")
        writer = csv.writer(script, lineterminator="\n")
        for row in rows:
            writer.writerow(["\\N" if (x := value(row.get(c))) is None else x for c in columns])
        script.write("\\.\n")

    copy("users", USER_COLUMNS, map(user_row, cat.users))
    copy("tags", ["id", "name"], cat.tags)
    copy("models", MODEL_COLUMNS, map(model_row, cat.models))
    copy("model_tags", ["id", "model_id", "tag_id"], cat.model_tags)
    copy("model_files", FILE_COLUMNS, cat.files)
    copy("model_images", IMAGE_COLUMNS, cat.images)
    copy("model_daily_stats", ["model_id", "day", "views", "downloads", "likes", "sales"], (dict(d, sales=0) for d in cat.daily))
    script.write("COMMIT;\nANALYZE;\n")
    run("", stdin=script.getvalue())
    return cat


def samples(cat: Catalogue) -> dict:
    """What the benchmarks ask for: the most viewed listed model (detail and related routes) and its creator."""
    listed = [m for m in cat.models if m["status"] == "published" and m["visibility"] == "public" and m["deleted_at"] is None]
    sample = max(listed, key=lambda m: m["view_count"])
    creator = next(u for u in cat.users if u["id"] == sample["owner_id"])
    return {"sample_slug": sample["slug"], "sample_id": str(sample["id"]), "sample_creator": creator["username"]}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["sqlite", "postgres"])
    parser.add_argument("target", help="SQLite file path or PostgreSQL URL")
    parser.add_argument("--psql", help="psql binary (postgres)")
    parser.add_argument("--models", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    started = time.time()
    if args.kind == "sqlite":
        cat = load_sqlite(args.target, args.models, args.seed)
    else:
        if not args.psql:
            parser.error("--psql is required for postgres")
        cat = load_postgres(args.target, args.psql, args.models, args.seed)
    listed = [m for m in cat.models if m["status"] == "published" and m["visibility"] == "public" and m["deleted_at"] is None]
    sample = samples(cat)
    seconds = round(time.time() - started, 1)
    print(json.dumps({
        "users": len(cat.users), "models": len(cat.models), "listed": len(listed), "model_tags": len(cat.model_tags),
        "files": len(cat.files), "images": len(cat.images), "daily_stats": len(cat.daily), "seconds": seconds,
        **sample,
        "summary": f"{len(cat.models):,} models ({len(listed):,} listed) by {len(cat.users):,} creators, "
                   f"{len(cat.model_tags):,} tag links, {len(cat.files):,} files, {len(cat.images):,} images, "
                   f"{len(cat.daily):,} daily-stats rows; generated and loaded in {seconds} s",
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
