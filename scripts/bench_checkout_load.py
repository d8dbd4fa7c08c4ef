#!/usr/bin/env python3
"""Load generator of scripts/bench-checkout.sh: concurrent buyers buying through the HTTP API (asyncio + aiohttp).

  bench_checkout_load.py --base URL --buyers BUYERS.json [--runs 3] [--duration 10] [--warmup 3]
                         [--json OUT.json] [--markdown OUT.md] [--title TITLE]

BUYERS.json comes from `bench_checkout_data.py seed`: each buyer's email, password and the models only that buyer
may buy, so carts never overlap. Every buyer signs in (POST /api/v1/auth/login) and then loops until the run's time
is up: take the next 1-3 of its models, POST /api/v1/cart/items for each (200), POST /api/v1/checkout
{"provider": "sandbox"} with a fresh Idempotency-Key (201), POST /api/v1/checkout/{id}/capture (200, status
succeeded). One completed capture is one purchase; its items are the transaction's items. A purchase that has started
when the time is up is finished, and the run's rate is completed purchases ÷ the time until the last one finished
(a closed loop: each buyer has one request in flight at most).

After a warm-up (counted in the totals, not in the rates), --runs runs of --duration seconds each; per run:
purchases/s, items/s, p50/p99 of the whole purchase (cart adds + checkout + capture) and of each request, errors by
step and status. Any other status than the expected one is an error: counted, the first body of each kind printed, and that
purchase given up (whatever it left in the cart goes into the buyer's next checkout). Medians over the runs go to
--markdown, everything to --json, including the totals the database must agree with afterwards. Exits 1 when no
purchase completed at all.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

try:
    import aiohttp
except ImportError:
    sys.exit("bench_checkout_load.py needs aiohttp: run `bash scripts/ensure-deps.sh bench`")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_report import fmt_ms  # noqa: E402

STEPS = {
    "purchase": "purchase: cart adds + checkout + capture",
    "cart_add": "`POST /api/v1/cart/items`",
    "checkout": "`POST /api/v1/checkout` (sandbox)",
    "capture": "`POST /api/v1/checkout/{id}/capture`",
}
MAX_SAMPLES = 8


class Buyer:
    def __init__(self, index: int, spec: dict, seed: int):
        self.index = index
        self.email = spec["email"]
        self.password = spec["password"]
        self.models = list(spec["models"])
        self.cursor = 0
        self.token = ""
        self.rng = random.Random(seed * 1000 + index)

    def take(self) -> list[str]:
        count = self.rng.randint(1, 3)
        picked = self.models[self.cursor:self.cursor + count]
        self.cursor += len(picked)
        return picked

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}


class Phase:
    """What one run (or the warm-up) measured."""

    def __init__(self, name: str):
        self.name = name
        self.purchases = 0
        self.items = 0
        self.latency = {step: [] for step in STEPS}
        self.errors = Counter()
        self.elapsed = 0.0
        self.exhausted = 0

    def summary(self) -> dict:
        def pct(values, q):
            if not values:
                return None
            if len(values) == 1:
                return values[0]
            return statistics.quantiles(values, n=100, method="inclusive")[q - 1]

        return {
            "name": self.name, "seconds": round(self.elapsed, 3), "purchases": self.purchases, "items": self.items,
            "purchases_per_s": self.purchases / self.elapsed if self.elapsed else 0.0,
            "items_per_s": self.items / self.elapsed if self.elapsed else 0.0,
            "latency_ms": {step: {"n": len(v), "p50": pct(v, 50), "p99": pct(v, 99), "max": max(v) if v else None}
                           for step, v in self.latency.items()},
            "errors": dict(self.errors), "error_count": sum(self.errors.values()), "buyers_out_of_models": self.exhausted,
        }


class Load:
    def __init__(self, base: str, buyers: list[Buyer], session: aiohttp.ClientSession):
        self.base = base.rstrip("/")
        self.buyers = buyers
        self.session = session
        self.samples: list[str] = []
        self.sampled: set[str] = set()
        self.total_purchases = 0
        self.total_items = 0

    async def call(self, phase: Phase, step: str, path: str, expect: int, buyer: Buyer | None, body: dict,
                   headers: dict | None = None):
        """POST; answers (ok, parsed body, seconds). A wrong status or a transport error is counted on `phase`."""
        started = time.perf_counter()
        all_headers = dict(buyer.headers if buyer else {}, **(headers or {}))
        try:
            async with self.session.post(self.base + path, json=body, headers=all_headers) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            phase.errors[f"{step} {type(error).__name__}"] += 1
            self.sample(f"{step} {type(error).__name__}", f"{step}: {type(error).__name__}: {error}")
            return False, None, time.perf_counter() - started
        seconds = time.perf_counter() - started
        if status != expect:
            phase.errors[f"{step} {status}"] += 1
            self.sample(f"{step} {status}", f"{step} answered {status} (expected {expect}): {text[:500]}")
            return False, None, seconds
        try:
            return True, json.loads(text) if text else None, seconds
        except ValueError:
            phase.errors[f"{step} not-json"] += 1
            self.sample(f"{step} not-json", f"{step} answered {status} with a body that is not JSON: {text[:300]}")
            return False, None, seconds

    def sample(self, key: str, text: str):
        """Keeps the first body of each kind of error (step and status), up to MAX_SAMPLES kinds."""
        if key not in self.sampled and len(self.samples) < MAX_SAMPLES:
            self.sampled.add(key)
            self.samples.append(text)
            print(f"    error: {text}", file=sys.stderr)

    async def login(self, phase: Phase):
        async def one(buyer: Buyer):
            ok, body, _ = await self.call(phase, "login", "/api/v1/auth/login", 200, None,
                                          {"email": buyer.email, "password": buyer.password})
            if not ok or not isinstance(body, dict) or not body.get("access_token"):
                raise SystemExit(f"bench_checkout_load.py: {buyer.email} could not sign in (the error is above)")
            buyer.token = body["access_token"]

        await asyncio.gather(*(one(b) for b in self.buyers))

    async def purchase(self, buyer: Buyer, phase: Phase) -> bool:
        """One purchase; False when the buyer has no models left."""
        models = buyer.take()
        if not models:
            return False
        started = time.perf_counter()
        added = 0
        for model_id in models:
            ok, _, seconds = await self.call(phase, "cart_add", "/api/v1/cart/items", 200, buyer, {"model_id": model_id})
            if ok:
                added += 1
                phase.latency["cart_add"].append(seconds * 1000)
        if not added:
            return True
        ok, body, seconds = await self.call(phase, "checkout", "/api/v1/checkout", 201, buyer, {"provider": "sandbox"},
                                            {"Idempotency-Key": str(uuid.uuid4())})
        if not ok:
            return True
        phase.latency["checkout"].append(seconds * 1000)
        try:
            transaction_id = body["transaction"]["id"]
        except (TypeError, KeyError):
            phase.errors["checkout no-transaction"] += 1
            self.sample("checkout no-transaction", f"checkout answered 201 without a transaction id: {json.dumps(body)[:300]}")
            return True
        ok, body, seconds = await self.call(phase, "capture", f"/api/v1/checkout/{transaction_id}/capture", 200, buyer, {})
        if not ok:
            return True
        phase.latency["capture"].append(seconds * 1000)
        if not isinstance(body, dict) or body.get("status") != "succeeded":
            phase.errors["capture not-succeeded"] += 1
            self.sample("capture not-succeeded", f"capture answered 200 but not succeeded: {json.dumps(body)[:300]}")
            return True
        items = len(body.get("items") or [])
        phase.purchases += 1
        phase.items += items
        self.total_purchases += 1
        self.total_items += items
        phase.latency["purchase"].append((time.perf_counter() - started) * 1000)
        return True

    async def phase(self, name: str, seconds: float) -> Phase:
        phase = Phase(name)
        await self.login(phase)
        started = time.perf_counter()
        deadline = started + seconds

        async def loop(buyer: Buyer):
            while time.perf_counter() < deadline:
                if not await self.purchase(buyer, phase):
                    phase.exhausted += 1
                    return

        await asyncio.gather(*(loop(b) for b in self.buyers))
        phase.elapsed = time.perf_counter() - started
        return phase


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def medians(runs: list[dict]) -> dict:
    return {
        "purchases_per_s": median([r["purchases_per_s"] for r in runs]),
        "items_per_s": median([r["items_per_s"] for r in runs]),
        "latency_ms": {step: {q: median([r["latency_ms"][step][q] for r in runs]) for q in ("p50", "p99")}
                       for step in STEPS},
    }


def markdown(title: str, result: dict) -> str:
    runs, med = result["runs"], result["median"]
    ms = lambda v: "–" if v is None else fmt_ms(v)  # noqa: E731
    errors = Counter()
    for r in runs:
        errors.update(r["errors"])
    error_text = ", ".join(f"{k}: {v}" for k, v in sorted(errors.items())) or "none"
    lines = [
        f"### {title}",
        "",
        f"| completed purchases/s (median of {len(runs)}) | items/s | purchase p50 | purchase p99 "
        f"| runs (purchases/s) | purchases (items) in the runs | errors |",
        "| ---: | ---: | ---: | ---: | --- | ---: | ---: |",
        f"| {med['purchases_per_s']:,.1f} | {med['items_per_s']:,.1f} | {ms(med['latency_ms']['purchase']['p50'])} "
        f"| {ms(med['latency_ms']['purchase']['p99'])} | {' / '.join(format(r['purchases_per_s'], ',.1f') for r in runs)} "
        f"| {sum(r['purchases'] for r in runs):,} ({sum(r['items'] for r in runs):,}) | {sum(errors.values())} |",
        "",
        "| step | p50 (median) | p99 (median) | runs (p99) | requests in the runs |",
        "| --- | ---: | ---: | --- | ---: |",
    ]
    for step, label in STEPS.items():
        lines.append(
            f"| {label} | {ms(med['latency_ms'][step]['p50'])} | {ms(med['latency_ms'][step]['p99'])} "
            f"| {' / '.join(ms(r['latency_ms'][step]['p99']) for r in runs)} "
            f"| {sum(r['latency_ms'][step]['n'] for r in runs):,} |")
    lines += ["", f"Errors by step and status: {error_text}."]
    exhausted = max((r["buyers_out_of_models"] for r in runs), default=0)
    if exhausted:
        lines.append(f"**{exhausted} buyers ran out of models before a run ended**: raise BENCH_MODELS.")
    if result["error_samples"]:
        lines += ["", "First error body of each kind:", ""] + [f"- `{s[:300]}`" for s in result["error_samples"]]
    lines.append("")
    return "\n".join(lines)


async def main_async(args) -> int:
    spec = json.loads(Path(args.buyers).read_text())
    buyers = [Buyer(i, b, args.seed) for i, b in enumerate(spec["buyers"])]
    connector = aiohttp.TCPConnector(limit=len(buyers) + 8, ttl_dns_cache=None)
    timeout = aiohttp.ClientTimeout(total=args.timeout)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        load = Load(args.base, buyers, session)
        warmup = None
        if args.warmup > 0:
            warmup = (await load.phase("warm-up", args.warmup)).summary()
            report("warm-up", warmup)
        runs = []
        for n in range(1, args.runs + 1):
            run = (await load.phase(f"run {n}", args.duration)).summary()
            report(f"run {n}", run)
            runs.append(run)
    result = {
        "buyers": len(buyers), "duration_s": args.duration, "warmup_s": args.warmup,
        "warmup": warmup, "runs": runs, "median": medians(runs),
        "totals": {"purchases": load.total_purchases, "items": load.total_items},
        "error_samples": load.samples,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    if args.markdown:
        Path(args.markdown).write_text(markdown(args.title, result))
    med = result["median"]
    print(f"median: {med['purchases_per_s']:.1f} purchases/s, {med['items_per_s']:.1f} items/s, "
          f"purchase p99 {med['latency_ms']['purchase']['p99'] or 0:.1f} ms; totals {load.total_purchases} purchases, "
          f"{load.total_items} items", file=sys.stderr)
    return 0 if load.total_purchases else 1


def report(name: str, run: dict):
    lat = run["latency_ms"]
    p = lambda step, q: f"{lat[step][q]:.1f}" if lat[step][q] is not None else "-"  # noqa: E731
    print(f"    {name}: {run['purchases']} purchases ({run['items']} items) in {run['seconds']:.1f} s = "
          f"{run['purchases_per_s']:.1f}/s; p50/p99 ms purchase {p('purchase', 'p50')}/{p('purchase', 'p99')}, "
          f"checkout {p('checkout', 'p50')}/{p('checkout', 'p99')}, capture {p('capture', 'p50')}/{p('capture', 'p99')}; "
          f"errors {run['error_count']}" + (f"; {run['buyers_out_of_models']} buyers out of models"
                                             if run["buyers_out_of_models"] else ""), file=sys.stderr)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="the server, e.g. http://127.0.0.1:8080")
    parser.add_argument("--buyers", required=True, help="BUYERS.json from bench_checkout_data.py seed")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up (0: none)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a request may take")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", help="write every figure here")
    parser.add_argument("--markdown", help="write the results table here")
    parser.add_argument("--title", default="Checkout")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.duration <= 0:
        parser.error("--runs must be at least 1 and --duration positive")
    host = args.base.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
    if not (host.startswith("127.") or host in ("localhost", "::1")):
        parser.error("the load goes to loopback only (127.0.0.0/8, localhost, ::1)")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
