#!/usr/bin/env python3
"""Helpers and the report of the benchmarks (scripts/bench.sh, bench-catalogue.sh; stdlib only).

  bench_report.py token < register-response.json
      print the access token found anywhere in the JSON (access_token/accessToken)

  bench_report.py table TITLE DIR
      DIR holds one sub-directory per route, each with a `route` file (the label,
      e.g. "GET /health") and wrk outputs run-*.txt. Prints a markdown table with
      the median req/s, p50 and p99 over the runs, and each route's req/s as a
      ratio of the /health route's (the first route, the baseline).

  bench_report.py report DIR
      The whole report of scripts/bench.sh, to stdout: DIR/header.md, then for each database directory
      DIR/<postgres|sqlite>/ (title, notes.md, routes/NN/{route,connections,run-*.txt}, checkout/{section.md,
      load.json, ledger.json}) a table of the routes (connections, median req/s, ratio to /health at the same
      connection count, p50, p99) and the checkout figures; last, the targets of issue 11 with the measured
      values and pass/fail.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
from pathlib import Path

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def find_token(obj):
    # The response shape is the API's business (flat, or nested under "tokens"/"data");
    # the benchmark only needs the token, so look everywhere.
    if isinstance(obj, dict):
        for key in ("access_token", "accessToken"):
            if isinstance(obj.get(key), str) and obj[key]:
                return obj[key]
        children = obj.values()
    elif isinstance(obj, list):
        children = obj
    else:
        return None
    for child in children:
        token = find_token(child)
        if token:
            return token
    return None


def to_ms(value: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value.strip())
    if not m:
        raise ValueError(f"unparseable latency {value!r}")
    return float(m.group(1)) * _UNITS_MS[m.group(2)]


def parse_wrk(text: str) -> dict:
    """Requests/sec, p50/p99 (ms) and error counts from `wrk --latency` output."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    p50 = re.search(r"^\s+50(?:\.000)?%\s+(\S+)", text, re.M)
    p99 = re.search(r"^\s+99(?:\.000)?%\s+(\S+)", text, re.M)
    if not (rps and p50 and p99):
        raise ValueError("not a `wrk --latency` output:\n" + text)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    sock = re.search(r"Socket errors:\s+connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    return {
        "rps": float(rps.group(1)),
        "p50": to_ms(p50.group(1)),
        "p99": to_ms(p99.group(1)),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(int(g) for g in sock.groups()) if sock else 0,
    }


def fmt_ms(ms: float) -> str:
    return f"{ms * 1000:.0f} µs" if ms < 1 else f"{ms:.2f} ms"


def table(title: str, directory: Path) -> str:
    routes = []
    for sub in sorted(p for p in directory.iterdir() if p.is_dir()):
        runs = [parse_wrk(f.read_text()) for f in sorted(sub.glob("run-*.txt"))]
        if not runs:
            continue
        routes.append(
            {
                "label": (sub / "route").read_text().strip(),
                "rps": statistics.median(r["rps"] for r in runs),
                "p50": statistics.median(r["p50"] for r in runs),
                "p99": statistics.median(r["p99"] for r in runs),
                "all_rps": [r["rps"] for r in runs],
                "errors": sum(r["non2xx"] + r["socket_errors"] for r in runs),
            }
        )
    if not routes:
        raise SystemExit(f"no wrk results under {directory}")
    baseline = routes[0]["rps"]
    lines = [
        f"### {title}",
        "",
        f"| route | req/s (median of {len(routes[0]['all_rps'])}) | p50 | p99 | vs /health | runs (req/s) | errors |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for r in routes:
        ratio = r["rps"] / baseline if baseline else float("nan")
        runs = " / ".join(f"{x:,.0f}" for x in r["all_rps"])
        lines.append(
            f"| `{r['label']}` | {r['rps']:,.0f} | {fmt_ms(r['p50'])} | {fmt_ms(r['p99'])} "
            f"| {ratio:.2f} | {runs} | {r['errors']} |"
        )
    lines.append("")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------- full report

HEALTH = "GET /health"
USER = "GET /api/v1/users/{username}"
ME = "GET /api/v1/users/me (signed in)"
DETAIL = "GET /api/v1/models/{slug}"
DETAIL_AUTH = "GET /api/v1/models/{slug} (signed in)"
SEARCH_PREFIX = "GET /api/v1/models?"

# Issue 11's targets: (label, route labels, connections, kind, {db: threshold}). kind "ratio": req/s ÷ /health's
# at the same connection count must reach the threshold; "p99": p99 in ms must stay below it.
READ_TARGETS = [
    ("`/users/{username}`, 64 connections", [USER], 64, "ratio", {"sqlite": 0.6, "postgres": 0.5}),
    ("`/users/me`, 64 connections", [ME], 64, "ratio", {"sqlite": 0.6, "postgres": 0.5}),
    ("`GET /models/{slug}` anonymous, 64 connections", [DETAIL], 64, "ratio", {"sqlite": 0.5, "postgres": 0.4}),
    ("`GET /models/{slug}` signed in, 64 connections", [DETAIL_AUTH], 64, "ratio", {"sqlite": 0.5, "postgres": 0.4}),
    ("`/users/{username}`, 16 connections", [USER], 16, "p99", {"sqlite": 10, "postgres": 10}),
    ("`/users/me`, 16 connections", [ME], 16, "p99", {"sqlite": 10, "postgres": 10}),
    ("`GET /models/{slug}` anonymous, 16 connections", [DETAIL], 16, "p99", {"sqlite": 10, "postgres": 10}),
    ("`GET /models/{slug}` signed in, 16 connections", [DETAIL_AUTH], 16, "p99", {"sqlite": 10, "postgres": 10}),
    ("search, two filters and facets, cache off, 16 connections", None, 16, "p99", {"sqlite": 50, "postgres": 50}),
]
DB_ORDER = ["sqlite", "postgres"]
DB_NAMES = {"postgres": "PostgreSQL", "sqlite": "SQLite"}


def route_results(directory: Path) -> list[dict]:
    rows = []
    for sub in sorted(p for p in directory.iterdir() if p.is_dir()):
        runs = [parse_wrk(f.read_text()) for f in sorted(sub.glob("run-*.txt"))]
        if not runs:
            continue
        conn_file = sub / "connections"
        rows.append({
            "label": (sub / "route").read_text().strip(),
            "connections": int(conn_file.read_text()) if conn_file.exists() else 0,
            "rps": statistics.median(r["rps"] for r in runs),
            "p50": statistics.median(r["p50"] for r in runs),
            "p99": statistics.median(r["p99"] for r in runs),
            "all_rps": [r["rps"] for r in runs],
            "errors": sum(r["non2xx"] + r["socket_errors"] for r in runs),
        })
    baselines = {r["connections"]: r["rps"] for r in rows if r["label"] == HEALTH}
    for r in rows:
        base = baselines.get(r["connections"])
        r["ratio"] = r["rps"] / base if base else None
    return rows


def routes_table(rows: list[dict]) -> list[str]:
    runs = max((len(r["all_rps"]) for r in rows), default=0)
    lines = [
        f"| route | connections | req/s (median of {runs}) | vs /health | p50 | p99 | runs (req/s) | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for r in rows:
        ratio = "–" if r["ratio"] is None else f"{r['ratio']:.2f}"
        lines.append(
            f"| `{r['label']}` | {r['connections']} | {r['rps']:,.0f} | {ratio} | {fmt_ms(r['p50'])} "
            f"| {fmt_ms(r['p99'])} | {' / '.join(f'{x:,.0f}' for x in r['all_rps'])} | {r['errors']} |")
    return lines


def read_target_rows(db: str, rows: list[dict]) -> list[list[str]]:
    out = []
    for label, routes, connections, kind, thresholds in READ_TARGETS:
        threshold = thresholds[db]
        found = [r for r in rows if r["connections"] == connections
                 and (r["label"] in routes if routes else r["label"].startswith(SEARCH_PREFIX))]
        target = f"≥ {threshold:.1f} of /health" if kind == "ratio" else f"p99 < {threshold} ms"
        if not found:
            out.append([label, DB_NAMES[db], target, "not measured", "**FAIL**"])
            continue
        r = found[0]
        if kind == "ratio":
            ok = r["ratio"] is not None and r["ratio"] >= threshold and not r["errors"]
            measured = f"{r['ratio']:.2f} ({r['rps']:,.0f} req/s)" if r["ratio"] is not None else "no /health baseline"
        else:
            ok = r["p99"] < threshold and not r["errors"]
            measured = f"p99 {fmt_ms(r['p99'])}"
        if r["errors"]:
            measured += f", {r['errors']} errors"
        out.append([label, DB_NAMES[db], target, measured, "pass" if ok else "**FAIL**"])
    return out


def checkout_target_rows(db: str, directory: Path) -> list[list[str]]:
    label = "checkout, 32 buyers" if not (directory / "load.json").exists() else \
        f"checkout, {json.loads((directory / 'load.json').read_text())['buyers']} buyers"
    if not (directory / "load.json").exists() or not (directory / "ledger.json").exists():
        return [[label, DB_NAMES[db], "–", "not measured", "**FAIL**"]]
    load = json.loads((directory / "load.json").read_text())
    ledger = json.loads((directory / "ledger.json").read_text())
    med = load["median"]
    rate = med["purchases_per_s"] or 0.0
    p99 = med["latency_ms"]["purchase"]["p99"]
    # The warm-up counts too: "0 errors" means none at all.
    errors = sum(r["error_count"] for r in load["runs"]) + ((load.get("warmup") or {}).get("error_count") or 0)
    p99_text = "–" if p99 is None else fmt_ms(p99)
    ledger_text = "holds" if ledger["ok"] else "DOES NOT HOLD"
    if db != "postgres":
        measured = f"{rate:,.1f} purchases/s, p99 {p99_text}, {errors} errors, ledger {ledger_text}"
        return [[label, DB_NAMES[db], "report", measured, "reported" if ledger["ok"] else "**FAIL** (ledger)"]]
    return [
        [label, DB_NAMES[db], "≥ 200 purchases/s", f"{rate:,.1f} purchases/s", "pass" if rate >= 200 else "**FAIL**"],
        [label, DB_NAMES[db], "purchase p99 < 300 ms", f"p99 {p99_text}",
         "pass" if p99 is not None and p99 < 300 else "**FAIL**"],
        [label, DB_NAMES[db], "0 errors", f"{errors} errors (warm-up included)", "pass" if errors == 0 else "**FAIL**"],
        [label, DB_NAMES[db], "ledger holds", ledger_text, "pass" if ledger["ok"] else "**FAIL**"],
    ]


def full_report(directory: Path) -> str:
    parts = [(directory / "header.md").read_text().rstrip(), ""]
    targets = []
    for db in DB_ORDER:
        sub = directory / db
        if not sub.is_dir():
            continue
        title = (sub / "title").read_text().strip()
        parts += [f"### {title}", ""]
        if (sub / "notes.md").exists():
            parts += [(sub / "notes.md").read_text().rstrip(), ""]
        rows = route_results(sub / "routes") if (sub / "routes").is_dir() else []
        if rows:
            parts += routes_table(rows) + [""]
        if (sub / "checkout" / "section.md").exists():
            parts += ["#" + (sub / "checkout" / "section.md").read_text().rstrip(), ""]
        targets += read_target_rows(db, rows) + checkout_target_rows(db, sub / "checkout")
    failed = sum(1 for t in targets if "FAIL" in t[4])
    parts += [
        "### Targets (issue 11)",
        "",
        f"{len(targets) - failed} of {len(targets)} met." if targets else "Nothing measured.",
        "",
        "| measure | database | target | measured (median) | result |",
        "| --- | --- | --- | --- | --- |",
    ]
    parts += ["| " + " | ".join(t) + " |" for t in targets]
    return "\n".join(parts) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) >= 1 and argv[0] == "token":
        token = find_token(json.load(sys.stdin))
        if not token:
            sys.stderr.write("bench_report.py: no access_token in the response\n")
            return 1
        print(token)
        return 0
    if len(argv) == 2 and argv[0] == "report":
        sys.stdout.write(full_report(Path(argv[1])))
        return 0
    if len(argv) == 3 and argv[0] == "table":
        print(table(argv[1], Path(argv[2])))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
