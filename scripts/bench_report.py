#!/usr/bin/env python3
"""Helpers for scripts/bench.sh (stdlib only).

  bench_report.py token < register-response.json
      print the access token found anywhere in the JSON (access_token/accessToken)

  bench_report.py table TITLE DIR
      DIR holds one sub-directory per route, each with a `route` file (the label,
      e.g. "GET /health") and wrk outputs run-*.txt. Prints a markdown table with
      the median req/s, p50 and p99 over the runs, and each route's req/s as a
      ratio of the /health route's (the first route, the baseline).
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


def main(argv: list[str]) -> int:
    if len(argv) >= 1 and argv[0] == "token":
        token = find_token(json.load(sys.stdin))
        if not token:
            sys.stderr.write("bench_report.py: no access_token in the response\n")
            return 1
        print(token)
        return 0
    if len(argv) == 3 and argv[0] == "table":
        print(table(argv[1], Path(argv[2])))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
