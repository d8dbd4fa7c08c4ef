#!/usr/bin/env python3
"""Data for scripts/bench-checkout.sh (stdlib only): seeds a marketplace, then checks it after the load.

  bench_checkout_data.py seed sqlite PATH --out BUYERS.json [--models N] [--buyers B] [--seed S]
  bench_checkout_data.py seed postgres URL --psql PATH --out BUYERS.json [--models N] [--buyers B] [--seed S]
  bench_checkout_data.py check sqlite PATH [--expect-transactions N --expect-items M]
  bench_checkout_data.py check postgres URL --psql PATH [--expect-transactions N --expect-items M]

The schema must exist already (run `hwc3d reindex-search` or start the server once first).

seed: writes the catalogue of scripts/bench_catalogue_data.py (N models, default 60,000, by 2,000 creators with
a long tail: a few sellers own thousands of models), then B buyers (default 32) and one reader (bench_reader, for
the signed-in read routes of scripts/bench.sh: it owns, likes and buys nothing) with verified emails and one known
password (a bcrypt hash of cost 4, made with the C library's crypt(3), or the `bcrypt` package where Python has no
`crypt` module). The models a buyer can buy (paid, published, public, not deleted) are shuffled and dealt out
between the buyers, so no two buyers ever have the same model in their carts. BUYERS.json lists each buyer's
email, password and models, and the reader's; stdout gets a one-line JSON summary with the sample model, its
creator and the reader's sign-in (as bench_catalogue_data.py's).

check: the invariants after a checkout benchmark, straight from SQL: every ledger entry group sums to 0, the whole
ledger sums to 0, buyer payments equal the amounts of succeeded transactions, and purchases = items of succeeded
transactions = models' sales counts (= --expect-items, the items the load generator saw completed; succeeded
transactions = --expect-transactions). Prints a JSON report and exits 1 when something does not hold.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_catalogue_data as catalogue  # noqa: E402

PASSWORD = "Bench-Checkout-2024!"
BUYER_COLUMNS = catalogue.USER_COLUMNS + ["password_hash", "email_verified_at"]


def bcrypt_hash(password: str) -> str:
    """A `$2b$04$` hash Vapor's Bcrypt verifies; cost 4 keeps the buyers' sign-ins out of the way."""
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt  # removed in Python 3.13

        # METHOD_BLOWFISH with 2**4 rounds: "$2b$04$" and a 22-character salt.
        hashed = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))
        if hashed and hashed.startswith("$2b$04$") and len(hashed) == 60:
            return hashed
    except ImportError:
        pass
    try:
        import bcrypt  # type: ignore

        return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4, prefix=b"2b")).decode()
    except ImportError:
        sys.exit("bench_checkout_data.py: no bcrypt available: this Python has no `crypt` module; "
                 "run `python3 -m pip install bcrypt`")


READER = "bench_reader"


def make_buyers(count: int, now: float) -> list[dict]:
    """The buyers, then one more account like them, READER, that signs in for the read routes of scripts/bench.sh and
    owns, likes and buys nothing."""
    hashed = bcrypt_hash(PASSWORD)
    rng = random.Random(7)
    buyers = []
    for i, username in enumerate([f"bench_buyer{i:03d}" for i in range(count)] + [READER]):
        buyers.append(dict(catalogue.user_row({
            "id": catalogue.uuid7(rng, int(now * 1000)), "email": f"{username}@bench.example", "username": username,
            "username_key": username, "display_name": "Bench Reader" if username == READER else f"Bench Buyer {i}",
            "created_at": now,
        }), is_creator=False, password_hash=hashed, email_verified_at=now))
    return buyers


def purchasable(cat) -> list:
    """What checkout accepts from a stranger: paid, published, public and not deleted (CartService.refusal)."""
    return [m for m in cat.models
            if m["price_cents"] > 0 and m["status"] == "published" and m["visibility"] == "public" and m["deleted_at"] is None]


# ---------------------------------------------------------------------------------------------------- databases

class SQLite:
    def __init__(self, path: str):
        self.path = path

    def load_catalogue(self, models: int, seed: int):
        return catalogue.load_sqlite(self.path, models, seed)

    def insert_users(self, rows: list[dict]):
        db = sqlite3.connect(self.path)

        # As in bench_catalogue_data.py: upper-case UUID text, seconds since 1970, 0/1, JSON arrays.
        def value(v):
            if isinstance(v, uuid.UUID):
                return str(v).upper()
            if isinstance(v, bool):
                return int(v)
            if isinstance(v, list):
                return json.dumps(v)
            return v

        with db:
            db.executemany(
                f"INSERT INTO users ({', '.join(BUYER_COLUMNS)}) VALUES ({', '.join('?' for _ in BUYER_COLUMNS)})",
                ([value(row.get(c)) for c in BUYER_COLUMNS] for row in rows))
        db.close()

    def scalar(self, sql: str):
        db = sqlite3.connect(self.path)
        try:
            return db.execute(sql).fetchone()[0]
        finally:
            db.close()


class Postgres:
    def __init__(self, url: str, psql: str):
        self.url, self.psql = url, psql

    def run(self, sql: str | None = None, stdin: str | None = None) -> str:
        command = [self.psql, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", self.url] + (["-c", sql] if sql else [])
        result = subprocess.run(command, input=stdin, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"psql failed: {result.stderr.strip()[:2000]}")
        return result.stdout

    def load_catalogue(self, models: int, seed: int):
        return catalogue.load_postgres(self.url, self.psql, models, seed)

    def insert_users(self, rows: list[dict]):
        def value(v):
            if v is None:
                return "\\N"
            if isinstance(v, bool):
                return "t" if v else "f"
            if isinstance(v, list):
                return "{" + ",".join(v) + "}"
            if isinstance(v, float):
                return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(v)) + ("%.6f" % (v % 1))[1:] + "+00"
            return str(v)

        script = io.StringIO()
        script.write(f"COPY users ({', '.join(BUYER_COLUMNS)}) FROM STDIN WITH (FORMAT csv, NULL '\\N');\n")
        writer = csv.writer(script, lineterminator="\n")
        for row in rows:
            writer.writerow([value(row.get(c)) for c in BUYER_COLUMNS])
        script.write("\\.\nANALYZE users;\n")
        self.run(stdin=script.getvalue())

    def scalar(self, sql: str):
        out = self.run(sql).strip()
        return None if out == "" else int(out) if out.lstrip("-").isdigit() else out


def database(args):
    if args.kind == "sqlite":
        return SQLite(args.target)
    if not args.psql:
        sys.exit("bench_checkout_data.py: --psql is required for postgres")
    return Postgres(args.target, args.psql)


# --------------------------------------------------------------------------------------------------------- seed

def seed(args) -> int:
    started = time.time()
    db = database(args)
    cat = db.load_catalogue(args.models, args.seed)
    users = make_buyers(args.buyers, time.time())
    db.insert_users(users)
    buyers, reader = users[:-1], users[-1]

    pool = purchasable(cat)
    random.Random(args.seed).shuffle(pool)
    hands = [pool[i::args.buyers] for i in range(args.buyers)]
    Path(args.out).write_text(json.dumps({
        "password": PASSWORD,
        "buyers": [{"email": b["email"], "password": PASSWORD, "models": [str(m["id"]) for m in hand]}
                   for b, hand in zip(buyers, hands)],
        "reader": {"email": reader["email"], "username": reader["username"], "password": PASSWORD},
    }))
    prices = sorted(m["price_cents"] for m in pool)
    sellers = {m["owner_id"] for m in pool}
    per_seller = {}
    for m in pool:
        per_seller[m["owner_id"]] = per_seller.get(m["owner_id"], 0) + 1
    top = max(per_seller.values()) if per_seller else 0
    seconds = round(time.time() - started, 1)
    print(json.dumps({
        "models": len(cat.models), "purchasable": len(pool), "buyers": args.buyers,
        "per_buyer": min(len(h) for h in hands) if hands else 0, "sellers": len(sellers), "seconds": seconds,
        **catalogue.samples(cat), "reader_email": reader["email"], "reader_password": PASSWORD,
        "summary": f"{len(cat.models):,} models by {len(cat.users):,} creators, {len(pool):,} of them for sale "
                   f"(price {prices[0] / 100:.2f}–{prices[-1] / 100:.2f} USD, {len(sellers):,} sellers, the busiest "
                   f"selling {top:,}), dealt out to {args.buyers} verified buyers (≥ {min(len(h) for h in hands):,} each); "
                   f"generated and loaded in {seconds} s",
    }))
    return 0


# -------------------------------------------------------------------------------------------------------- check

CHECKS = {
    "ledger_entries": "SELECT COUNT(*) FROM ledger_entries",
    "ledger_groups": "SELECT COUNT(DISTINCT group_id) FROM ledger_entries",
    "unbalanced_groups": "SELECT COUNT(*) FROM (SELECT group_id FROM ledger_entries GROUP BY group_id "
                         "HAVING SUM(amount_cents) <> 0) AS g",
    "ledger_total_cents": "SELECT COALESCE(SUM(amount_cents), 0) FROM ledger_entries",
    "buyer_payments_cents": "SELECT COALESCE(-SUM(amount_cents), 0) FROM ledger_entries WHERE kind = 'buyer_payment'",
    "succeeded_amount_cents": "SELECT COALESCE(SUM(amount_cents), 0) FROM transactions WHERE status = 'succeeded'",
    "succeeded_transactions": "SELECT COUNT(*) FROM transactions WHERE status = 'succeeded'",
    "other_transactions": "SELECT COUNT(*) FROM transactions WHERE status <> 'succeeded'",
    "succeeded_items": "SELECT COUNT(*) FROM transaction_items i JOIN transactions t ON t.id = i.transaction_id "
                       "WHERE t.status = 'succeeded'",
    "purchases": "SELECT COUNT(*) FROM purchases",
    "duplicate_purchases": "SELECT COUNT(*) FROM (SELECT buyer_id, model_id FROM purchases WHERE status = 'active' "
                           "GROUP BY buyer_id, model_id HAVING COUNT(*) > 1) AS d",
    "models_sales_count": "SELECT COALESCE(SUM(sales_count), 0) FROM models",
    "cart_items_left": "SELECT COUNT(*) FROM cart_items",
}


def check(args) -> int:
    db = database(args)
    seen = {name: int(db.scalar(sql) or 0) for name, sql in CHECKS.items()}
    problems = []
    if seen["unbalanced_groups"]:
        problems.append(f"{seen['unbalanced_groups']} ledger entry groups do not sum to 0")
    if seen["ledger_total_cents"]:
        problems.append(f"the ledger sums to {seen['ledger_total_cents']}, not 0")
    if seen["buyer_payments_cents"] != seen["succeeded_amount_cents"]:
        problems.append(f"buyer payments in the ledger ({seen['buyer_payments_cents']}) differ from the succeeded "
                        f"transactions' amounts ({seen['succeeded_amount_cents']})")
    if not seen["purchases"] == seen["succeeded_items"] == seen["models_sales_count"]:
        problems.append(f"purchases {seen['purchases']}, items of succeeded transactions {seen['succeeded_items']} "
                        f"and models' sales counts {seen['models_sales_count']} differ")
    if seen["duplicate_purchases"]:
        problems.append(f"{seen['duplicate_purchases']} buyer/model pairs have two active purchases")
    if args.expect_items is not None and seen["purchases"] != args.expect_items:
        problems.append(f"{seen['purchases']} purchases in the database, the load generator completed {args.expect_items}")
    if args.expect_transactions is not None and seen["succeeded_transactions"] != args.expect_transactions:
        problems.append(f"{seen['succeeded_transactions']} succeeded transactions in the database, the load generator "
                        f"completed {args.expect_transactions}")
    ok = not problems
    seen.update(ok=ok, problems=problems, summary=(
        f"{'holds' if ok else 'DOES NOT HOLD'}: {seen['ledger_entries']:,} ledger entries in {seen['ledger_groups']:,} "
        f"groups, {seen['unbalanced_groups']} unbalanced, total {seen['ledger_total_cents']}; buyer payments "
        f"{seen['buyer_payments_cents'] / 100:,.2f} = succeeded amounts {seen['succeeded_amount_cents'] / 100:,.2f} USD; "
        f"{seen['purchases']:,} purchases = {seen['succeeded_items']:,} items of {seen['succeeded_transactions']:,} "
        f"succeeded transactions = {seen['models_sales_count']:,} sales counted on models"
        + (f" {'=' if seen['purchases'] == args.expect_items else '≠'} {args.expect_items:,} items in "
           f"{args.expect_transactions:,} purchases the load generator completed"
           if args.expect_items is not None and args.expect_transactions is not None else "")
        + (f"; {seen['other_transactions']} transactions not succeeded" if seen["other_transactions"] else "")
        + ("" if ok else "; " + "; ".join(problems))))
    print(json.dumps(seen))
    return 0 if ok else 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["seed", "check"])
    parser.add_argument("kind", choices=["sqlite", "postgres"])
    parser.add_argument("target", help="SQLite file path or PostgreSQL URL")
    parser.add_argument("--psql", help="psql binary (postgres)")
    parser.add_argument("--out", help="seed: where the buyers' JSON goes")
    parser.add_argument("--models", type=int, default=60_000)
    parser.add_argument("--buyers", type=int, default=32)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--expect-transactions", type=int)
    parser.add_argument("--expect-items", type=int)
    args = parser.parse_args(argv)
    if args.action == "seed":
        if not args.out:
            parser.error("seed needs --out")
        if args.buyers < 1:
            parser.error("--buyers must be at least 1")
        return seed(args)
    return check(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
