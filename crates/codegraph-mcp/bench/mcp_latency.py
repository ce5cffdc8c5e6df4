"""p50/p99 per tool of `codegraph mcp` through the stdio transport.

usage: python mcp_latency.py BINARY REPO [--runs N] [--symbol NAME] [--file PATH] [--query TEXT]
                             [--task-file FILE]

Needs the official SDK (`pip install mcp==2.3.0`). Waits until the index is
ready (warm), then calls each tool N times (default 50) with the same
arguments and prints milliseconds measured at the client (round trip through
the stdio transport), p50 and p99, and the time from process start to the
first answer. Not a test: figures for the README and reviews.
"""

import argparse
import asyncio
import os
import statistics
import time

from mcp import Client, StdioServerParameters


def server_memory():
    """Peak and current resident memory (MB) of this script's `codegraph mcp` child."""
    me = str(os.getpid())
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/status") as f:
                status = dict(line.split(":", 1) for line in f if ":" in line)
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if status.get("PPid", "").strip() == me and b"mcp" in argv:
            kb = lambda k: int(status.get(k, "0 kB").split()[0]) / 1024
            return kb("VmHWM"), kb("VmRSS")
    return None


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


async def main(a):
    # The whole environment: the SDK passes only a few variables by default,
    # and CODEGRAPH_CACHE_DIR and XDG_RUNTIME_DIR (where a server is found) matter.
    params = StdioServerParameters(
        command=a.binary, args=["mcp", a.repo, "--no-embed"], env=dict(os.environ)
    )
    t0 = time.perf_counter()
    async with Client(params, mode="legacy", read_timeout_seconds=600) as c:
        await c.call_tool("index_status", {})
        first = (time.perf_counter() - t0) * 1000
        while True:
            r = await c.call_tool("index_status", {})
            d = r.structured_content["index"]["detail"]
            if d["state"] in ("ready", "following") and (d["indexed_now"] or d["indexed_before"]):
                break
            await asyncio.sleep(0.5)
        if a.task_file:
            with open(a.task_file, encoding="utf-8") as f:
                task = f.read()
        else:
            task = (a.query + " ") * max(1, 5000 // (len(a.query) + 1))
        print(f"locate text: {len(task[:5000])} characters")
        calls = [
            ("search_code", {"query": a.query}),
            ("find_symbol", {"name": a.symbol}),
            ("file_outline", {"path": a.file}),
            ("symbol_outline", {"symbol": a.symbol}),
            ("read_code", {"symbol": a.symbol}),
            ("callers", {"symbol": a.symbol}),
            ("callees", {"symbol": a.symbol}),
            ("references", {"symbol": a.symbol}),
            ("imports", {"path": a.file}),
            ("importers", {"path": a.file}),
            ("impact", {"target": a.symbol}),
            ("repo_map", {}),
            ("repo_map", {"focus_files": [a.file]}),
            ("repo_map", {"focus_symbols": [a.symbol]}),
            ("completion_context", {"path": a.file, "line": 10, "column": 1}),
            ("locate", {"text": task[:5000]}),
            ("index_status", {}),
        ]
        print(f"first answer after process start: {first:.0f} ms (includes interpreter-side spawn)")
        print(f"{'tool':20} {'p50 ms':>8} {'p99 ms':>8} {'tokens':>7}  error")
        for name, args in calls:
            label = name + ("+" + "+".join(k.split("_")[1] for k in args) if name == "repo_map" and args else "")
            await c.call_tool(name, args)  # warm this path
            times = []
            r = None
            for _ in range(a.runs):
                t = time.perf_counter()
                r = await c.call_tool(name, args)
                times.append((time.perf_counter() - t) * 1000)
            toks = (r.structured_content or {}).get("cost", {}).get("tokens", "")
            err = r.content[0].text[:60] if r.is_error else ""
            print(f"{label:20} {statistics.median(times):8.2f} {pct(times, 99):8.2f} {toks!s:>7}  {err}")
        mem = server_memory()
        if mem:
            print(f"codegraph mcp resident memory: peak {mem[0]:.0f} MB, now {mem[1]:.0f} MB")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("binary")
    p.add_argument("repo")
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--symbol", default="normalise")
    p.add_argument("--file", default="shop/service.py")
    p.add_argument("--query", default="normalise the user name")
    p.add_argument("--task-file", help="the locate text (its first 5,000 characters)")
    asyncio.run(main(p.parse_args()))
