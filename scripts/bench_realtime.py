#!/usr/bin/env python3
"""Issue 12's realtime benchmark, driven against two running `hwc3d serve` instances on one PostgreSQL.

    bench_realtime.py sockets --a URL --b URL --pids PID_A,PID_B --sockets 2000
        registers N users, opens one /ws/notifications socket per user (alternating instances, bearer token), then
        a writer follows every user through alternating instances: each follow writes a notification that must
        reach its user's socket, whichever instance holds it. Prints JSON: delivery latency from the follow's HTTP
        response to the socket's notification.created (p50, p99, max), events missed, and resident memory per open
        socket (VmRSS of both servers before and after the sockets opened).
    bench_realtime.py seed-posts --a URL --psql-url URL --posts 100000
        makes a community with one member and inserts N posts straight into PostgreSQL (hot ranks as the server
        computes them), for wrk on the posts list and the feed. Prints JSON: slug and the member's token.
"""

import argparse
import asyncio
import json
import math
import subprocess
import sys
import time
import uuid

import aiohttp
import websockets


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


async def register(session, base, name, semaphore):
    async with semaphore:
        body = {"email": f"{name}@bench.test", "username": name, "password": "Correct-Horse-42!", "display_name": name}
        async with session.post(f"{base}/api/v1/auth/register", json=body) as response:
            data = await response.json()
            if response.status != 201:
                raise SystemExit(f"register {name}: {response.status} {data}")
            return data["access_token"]


async def sockets(args):
    bases = [args.a, args.b]
    pids = [int(p) for p in args.pids.split(",")]
    run = uuid.uuid4().hex[:6]
    semaphore = asyncio.Semaphore(16)
    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(connector=connector) as session:
        names = [f"u{run}{i}" for i in range(args.sockets)]
        tokens = await asyncio.gather(*(register(session, bases[i % 2], n, semaphore) for i, n in enumerate(names)))
        writer = await register(session, args.a, f"w{run}", semaphore)

        before = [rss_kib(p) for p in pids]
        received = {}
        opened = []

        async def listen(index):
            base = bases[index % 2].replace("http://", "ws://")
            socket = await websockets.connect(
                f"{base}/ws/notifications", additional_headers={"Authorization": f"Bearer {tokens[index]}"},
                max_size=2**20, open_timeout=60)
            opened.append(socket)
            try:
                async for message in socket:
                    event = json.loads(message)
                    if event.get("type") == "notification.created":
                        received.setdefault(index, time.monotonic())
            except websockets.ConnectionClosed:
                pass

        listeners = [asyncio.create_task(listen(i)) for i in range(args.sockets)]
        while len(opened) < args.sockets:
            await asyncio.sleep(0.1)
        await asyncio.sleep(2)
        after = [rss_kib(p) for p in pids]

        answered = {}
        follow_semaphore = asyncio.Semaphore(args.concurrency)

        async def follow(index):
            async with follow_semaphore:
                url = f"{bases[(index + 1) % 2]}/api/v1/users/{names[index]}/follow"
                async with session.post(url, headers={"Authorization": f"Bearer {writer}"}) as response:
                    await response.read()
                    answered[index] = time.monotonic()
                    if response.status != 200:
                        raise SystemExit(f"follow: {response.status}")

        started = time.monotonic()
        await asyncio.gather(*(follow(i) for i in range(args.sockets)))
        writes_seconds = time.monotonic() - started
        deadline = time.monotonic() + 10
        while len(received) < args.sockets and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        latencies = [max(0.0, received[i] - answered[i]) * 1000 for i in received if i in answered]
        for socket in opened:
            await socket.close()
        for task in listeners:
            task.cancel()
        print(json.dumps({
            "sockets": args.sockets,
            "writes": len(answered),
            "writes_per_s": round(len(answered) / writes_seconds, 1),
            "delivered": len(received),
            "missed": args.sockets - len(received),
            "latency_ms_p50": round(percentile(latencies, 50) or 0, 1),
            "latency_ms_p99": round(percentile(latencies, 99) or 0, 1),
            "latency_ms_max": round(max(latencies or [0]), 1),
            "rss_kib_before": before,
            "rss_kib_after": after,
            "kib_per_socket": round((sum(after) - sum(before)) / args.sockets, 1),
        }))


async def seed_posts(args):
    async with aiohttp.ClientSession() as session:
        run = uuid.uuid4().hex[:6]
        semaphore = asyncio.Semaphore(1)
        token = await register(session, args.a, f"m{run}", semaphore)
        headers = {"Authorization": f"Bearer {token}"}
        async with session.get(f"{args.a}/api/v1/users/me", headers=headers) as response:
            me = await response.json()
    # The owner needs a verified address to create the community: set it straight in the database.
    slug = f"bench-{run}"
    community = str(uuid.uuid4())
    sql = f"""
        UPDATE users SET email_verified_at = now() WHERE id = '{me['id']}';
        INSERT INTO communities (id, slug, name, description, visibility, owner_id, member_count, post_count, created_at, updated_at)
        VALUES ('{community}', '{slug}', 'Bench', 'Benchmark community', 'public', '{me['id']}', 1, {args.posts}, now(), now());
        INSERT INTO community_members (id, community_id, user_id, role, status, requested_at, joined_at)
        VALUES (gen_random_uuid(), '{community}', '{me['id']}', 'owner', 'active', now(), now());
        INSERT INTO community_posts (id, community_id, author_id, title, body, body_html, like_count, love_count, fire_count,
            wow_count, laugh_count, reaction_count, comment_count, share_count, hot_rank, created_at)
        SELECT gen_random_uuid(), '{community}', '{me['id']}', 'Post ' || g, 'Body of post ' || g, '<p>Body of post ' || g || '</p>',
               g % 7, 0, 0, 0, 0, g % 7, g % 5, 0,
               log(greatest(1, g % 7 + 2 * (g % 5))) + extract(epoch from now() - (g || ' minutes')::interval) / 45000,
               now() - (g || ' minutes')::interval
        FROM generate_series(1, {args.posts}) g;
        ANALYZE community_posts;
    """
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", args.psql_url], input=sql, text=True, check=True,
                   stdout=subprocess.DEVNULL)
    print(json.dumps({"slug": slug, "token": token}))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sockets")
    s.add_argument("--a", required=True)
    s.add_argument("--b", required=True)
    s.add_argument("--pids", required=True)
    s.add_argument("--sockets", type=int, default=2000)
    s.add_argument("--concurrency", type=int, default=16)
    p = sub.add_parser("seed-posts")
    p.add_argument("--a", required=True)
    p.add_argument("--psql-url", required=True)
    p.add_argument("--posts", type=int, default=100000)
    args = parser.parse_args()
    asyncio.run(sockets(args) if args.command == "sockets" else seed_posts(args))


if __name__ == "__main__":
    main()
