"""Drive `codegraph mcp` over stdio with the official Python SDK (`mcp` on PyPI).

usage: python mcp_client_test.py BINARY REPO [--mode legacy|auto]

Against a copy of fixtures/python: initialize, list tools, call every tool with
good and bad arguments, check the answers against the source (definitions at
the right lines, callers that exist), that budgets hold, that hostile requests
(unknown tool, wrong types, 10 MB arguments, paths outside the repository, bad
cursors) get errors and that the server keeps serving. Exit status 0 when every
check passed.
"""

import argparse
import asyncio
import json
import os
import sys
import time

from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError

TOOLS = sorted([
    "search_code", "find_symbol", "file_outline", "symbol_outline", "read_code",
    "callers", "callees", "references", "imports", "importers", "impact",
    "repo_map", "completion_context", "locate", "index_status",
])

failures = []


def check(cond, what):
    print(("  ok   " if cond else "  FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def text(r):
    return "\n".join(c.text for c in r.content if getattr(c, "type", "") == "text")


def tokens(s):
    # The estimate codegraph documents: per line, ceil(bytes / 4) + 1.
    return sum((len(l.encode()) + 3) // 4 + 1 for l in s.split("\n") if True) if s else 0


def source_line(repo, path, line):
    with open(os.path.join(repo, path), encoding="utf-8") as f:
        return f.read().split("\n")[line - 1]


async def call(c, name, args):
    return await c.call_tool(name, args)


async def expect_tool_error(c, name, args, needle, what):
    r = await call(c, name, args)
    msg = text(r)
    check(r.is_error and needle.lower() in msg.lower(), f"{what} -> tool error mentioning {needle!r}: {msg[:160]!r}")


async def wait_indexed(c):
    deadline = time.time() + 120
    while time.time() < deadline:
        r = await call(c, "index_status", {})
        detail = r.structured_content["index"]["detail"]
        if detail["state"] == "ready" and detail["indexed_now"]:
            return r
        await asyncio.sleep(0.2)
    check(False, "index ready within 120 s")
    return r


async def run(binary, repo, mode, scan_first):
    env = dict(os.environ)
    params = StdioServerParameters(command=binary, args=["mcp", repo, "--no-embed"], env=env)
    async with Client(params, mode=mode, read_timeout_seconds=60) as c:
        print(f"== mode={mode} protocolVersion={c.protocol_version}", flush=True)

        if scan_first:
            # A never-indexed repository answers at once (a scan of the files,
            # saying the index is being built) or from the finished index.
            r = await call(c, "search_code", {"query": "normalise"})
            check(not r.is_error and "shop/util.py" in text(r), f"search before the index is built: {text(r)[:200]!r}")
            check("index:" in text(r), "the answer says how complete the index is")

        st = await wait_indexed(c)
        check(not st.is_error and "files" in text(st), f"index_status: {text(st)[:200]!r}")
        check(st.structured_content["status"]["stats"]["files"] >= 10, "index_status counts the files")

        # --- tools/list -------------------------------------------------
        tools = (await c.list_tools()).tools
        names = sorted(t.name for t in tools)
        check(names == TOOLS, f"tools/list -> {names}")
        for t in tools:
            ann = t.annotations
            check(ann is not None and ann.read_only_hint is True and ann.destructive_hint is False,
                  f"{t.name}: annotated read-only")
            check(len(t.description or "") > 40, f"{t.name}: has a description")
            check(t.input_schema.get("type") == "object" and t.input_schema.get("additionalProperties") is False,
                  f"{t.name}: object schema refusing unknown fields")

        # --- find_symbol --------------------------------------------------
        r = await call(c, "find_symbol", {"name": "normalise"})
        items = r.structured_content["items"]
        check(len(items) == 1 and items[0]["path"] == "shop/util.py", f"find_symbol normalise -> {items}")
        if items:
            line = source_line(repo, items[0]["path"], items[0]["start_line"])
            check("def normalise" in line, f"find_symbol points at the definition: {line!r}")
        r = await call(c, "find_symbol", {"name": "UserService.add_user"})
        items = r.structured_content["items"]
        check(len(items) == 1 and items[0]["qualified_name"] == "shop.service.UserService.add_user",
              f"find_symbol Class.method -> {[i.get('qualified_name') for i in items]}")
        check("normalised name" in text(r), "find_symbol shows the doc")
        check("shop/service.py:17" in text(r), f"find_symbol text has path:line: {text(r)[:120]!r}")
        r = await call(c, "find_symbol", {"name": "no_such_definition_anywhere"})
        check(not r.is_error and "no definition" in text(r), "find_symbol of an unknown name says so")
        await expect_tool_error(c, "find_symbol", {"name": "x", "kind": "gizmo"}, "function", "find_symbol bad kind")
        await expect_tool_error(c, "find_symbol", {"name": ""}, "empty", "find_symbol empty name")

        # --- search_code ----------------------------------------------------
        r = await call(c, "search_code", {"query": "normalise user name", "limit": 5})
        check(not r.is_error and any(i["path"] == "shop/util.py" for i in r.structured_content["items"]),
              f"search_code finds shop/util.py: {text(r)[:300]!r}")
        cost = r.structured_content["cost"]
        check(cost["tokens"] > 0 and isinstance(cost["stages_ms"], dict) and cost["stages_ms"],
              f"search_code reports its cost: {cost}")
        r = await call(c, "search_code", {"query": "user", "path_glob": "web/**"})
        check(not r.is_error and all(i["path"].startswith("web/") for i in r.structured_content["items"]),
              "search_code path_glob filter")
        r = await call(c, "search_code", {"query": "user", "group_by_file": True, "limit": 20})
        paths = [i["path"] for i in r.structured_content["items"]]
        check(not r.is_error and len(paths) == len(set(paths)), f"group_by_file: one result per file {paths}")
        r = await call(c, "search_code", {"query": "user", "kind": "class"})
        check(not r.is_error and all(i["kind"] == "class" for i in r.structured_content["items"]),
              "search_code kind filter")
        # Budget and cursor: a small budget cuts, the cursor gives the rest.
        r1 = await call(c, "search_code", {"query": "user name repo", "limit": 20, "budget_tokens": 200})
        t1 = text(r1)
        check(tokens(t1) <= 200, f"search_code within a budget of 200: {tokens(t1)} tokens")
        nxt = r1.structured_content["next_cursor"]
        check(nxt is not None and "cursor=" in t1, f"a cut answer gives a cursor: {nxt}")
        if nxt:
            r2 = await call(c, "search_code", {"query": "user name repo", "limit": 20, "budget_tokens": 200, "cursor": nxt})
            first = r1.structured_content["items"]
            second = r2.structured_content["items"]
            check(not r2.is_error and second and second[0] != first[0],
                  "the cursor gives the next results")
        r3 = await call(c, "search_code", {"query": "user name repo", "limit": 20, "budget_tokens": 200})
        check(r3.structured_content["items"] == r1.structured_content["items"], "search_code order is deterministic")
        await expect_tool_error(c, "search_code", {"query": "user", "cursor": "garbage"}, "next_cursor", "bad cursor")
        await expect_tool_error(c, "search_code", {"query": "user", "cursor": "@5000"}, "past the end", "cursor past the end")
        await expect_tool_error(c, "search_code", {"query": "user", "limit": 0}, "1 to 50", "limit 0")
        await expect_tool_error(c, "search_code", {"query": "user", "budget_tokens": 5}, "128", "budget too small")
        await expect_tool_error(c, "search_code", {"query": 42}, "query: expected a string, got an integer", "query of the wrong type names it")
        await expect_tool_error(c, "search_code", {"query": "user", "bogus": 1}, "bogus", "unknown argument")
        await expect_tool_error(c, "search_code", {"query": "user", "kind": "gizmo"}, "kind", "unknown kind")
        await expect_tool_error(c, "search_code", {}, "query", "missing query")

        # --- outlines ------------------------------------------------------
        r = await call(c, "file_outline", {"path": "shop/service.py"})
        t = text(r)
        check(not r.is_error and "class UserService" in t and "def add_user" in t, f"file_outline: {t[:300]!r}")
        lines = [i["line"] for i in r.structured_content["items"]]
        check(lines == sorted(lines), "file_outline in source order")
        await expect_tool_error(c, "file_outline", {"path": "../../etc/passwd"}, "outside the repository", "file_outline outside")
        await expect_tool_error(c, "file_outline", {"path": "nope/missing.py"}, "not a file in the index", "file_outline missing")
        r = await call(c, "symbol_outline", {"symbol": "UserService"})
        t = text(r)
        check(not r.is_error and "add_user" in t and "promote" in t, f"symbol_outline: {t[:300]!r}")
        await expect_tool_error(c, "symbol_outline", {"symbol": "NoSuchClass"}, "no definition", "symbol_outline unknown")

        # --- read_code -------------------------------------------------------
        r = await call(c, "read_code", {"symbol": "normalise"})
        check(not r.is_error and "def normalise" in text(r), f"read_code symbol: {text(r)[:200]!r}")
        r = await call(c, "read_code", {"path": "shop/service.py", "start_line": 11, "end_line": 12})
        t = text(r)
        check(not r.is_error and "class UserService" in t and "shop/service.py:11-12" in t, f"read_code range: {t[:200]!r}")
        r = await call(c, "read_code", {"path": "shop/service.py", "budget_tokens": 128})
        t = text(r)
        check(not r.is_error and tokens(t) <= 128 and "start_line=" in t, f"read_code cut at the budget says how to go on: {tokens(t)} tokens")
        await expect_tool_error(c, "read_code", {"path": "../outside.txt"}, "outside the repository", "read_code ..")
        await expect_tool_error(c, "read_code", {"path": "/etc/passwd"}, "outside the repository", "read_code absolute")
        await expect_tool_error(c, "read_code", {"path": "link_out/passwd"}, "outside the repository", "read_code through a symlink")
        await expect_tool_error(c, "read_code", {"path": "shop/service.py", "start_line": 9000}, "past the end", "read_code past the end")
        await expect_tool_error(c, "read_code", {"path": "shop/service.py", "start_line": 5, "end_line": 2}, "before", "read_code reversed")
        await expect_tool_error(c, "read_code", {}, "symbol", "read_code with nothing")
        await expect_tool_error(c, "read_code", {"symbol": "normalise", "path": "shop/util.py"}, "not both", "read_code with both")

        # --- graph --------------------------------------------------------
        r = await call(c, "callers", {"symbol": "normalise"})
        items = r.structured_content["items"]
        check(any(i["symbol"] == "shop.service.UserService.add_user" for i in items), f"callers of normalise: {items}")
        for i in items:
            if i["site_line"]:
                src = source_line(repo, i["path"], i["site_line"])
                check("norm(" in src, f"the caller calls at the line given: {src.strip()!r}")
        r = await call(c, "callees", {"symbol": "UserService.add_user"})
        names = {i["symbol"] for i in r.structured_content["items"]}
        check({"shop.util.normalise", "shop.models.User"} <= names, f"callees of add_user: {sorted(names)}")
        r = await call(c, "callers", {"symbol": "Repository.get", "depth": 3, "provenance": "resolved"})
        check(not r.is_error and all(i["provenance"] == "resolved" for i in r.structured_content["items"]),
              "callers with provenance=resolved")
        await expect_tool_error(c, "callers", {"symbol": "normalise", "depth": 9}, "1 to 5", "depth 9")
        await expect_tool_error(c, "callers", {"symbol": "normalise", "provenance": "maybe"}, "resolved", "bad provenance")
        await expect_tool_error(c, "callers", {"symbol": "normalise", "depth": "two"}, "depth: expected an integer", "depth of the wrong type names it")
        r = await call(c, "references", {"symbol": "shop.models.User"})
        edges = {(i["edge"], i["symbol"]) for i in r.structured_content["items"]}
        check(("inherits", "shop.models.Admin") in edges, f"references to User include Admin inheriting: {sorted(edges)}")
        r = await call(c, "imports", {"path": "shop/service.py"})
        paths = [i["path"] for i in r.structured_content["items"]]
        check({"shop/models.py", "shop/repository.py", "shop/util.py"} <= set(paths), f"imports: {paths}")
        r = await call(c, "importers", {"path": "shop/models.py"})
        paths = [i["path"] for i in r.structured_content["items"]]
        check({"shop/service.py", "shop/repository.py"} <= set(paths), f"importers: {paths}")
        await expect_tool_error(c, "importers", {"path": "../x.py"}, "outside the repository", "importers outside")

        r = await call(c, "impact", {"target": "normalise"})
        t = text(r)
        syms = [i["symbol"] for i in r.structured_content["items"]]
        check("shop.service.UserService.add_user" in syms, f"impact of normalise: {syms}")
        r = await call(c, "impact", {"target": "shop/models.py", "budget_tokens": 300})
        files = r.structured_content["files"]
        check("shop/service.py" in files and tokens(text(r)) <= 300, f"impact of a file: {files}")
        scores = [i["score"] for i in r.structured_content["items"]]
        check(scores == sorted(scores, reverse=True), "impact ranked best first")

        # --- map, context, locate --------------------------------------------
        r = await call(c, "repo_map", {"budget_tokens": 300})
        t = text(r)
        check(not r.is_error and tokens(t) <= 300 and "shop/" in t, f"repo_map within 300 tokens: {tokens(t)}")
        r = await call(c, "repo_map", {"budget_tokens": 400, "focus_symbols": ["url_for"], "focus_files": ["web/views.py"]})
        check(not r.is_error and "web/" in text(r).split("\n")[0] + text(r)[:400], f"repo_map focused on web: {text(r)[:200]!r}")
        await expect_tool_error(c, "repo_map", {"focus_files": ["../../etc"]}, "outside", "repo_map focus outside")

        buffer = open(os.path.join(repo, "shop/service.py"), encoding="utf-8").read()
        r = await call(c, "completion_context", {"path": "shop/service.py", "line": 19, "column": 30, "text": buffer})
        t = text(r)
        check(not r.is_error and tokens(t) <= 2048 and "context at shop/service.py:19:30" in t, f"completion_context: {t[:300]!r}")
        await expect_tool_error(c, "completion_context", {"path": "shop/service.py", "line": 0, "column": 1}, "1-based", "context line 0")

        task = ("Users added through UserService.add_user keep surrounding spaces in their names.\n"
                "Traceback (most recent call last):\n"
                '  File "shop/service.py", line 19, in add_user\n'
                '  File "shop/util.py", line 2, in normalise\n'
                "The name should be normalised before it is saved to the repository.")
        r = await call(c, "locate", {"text": task * 20, "limit": 5})
        items = r.structured_content["items"]
        top = [i["path"] for i in items[:3]]
        check("shop/util.py" in top and "shop/service.py" in top, f"locate puts the right files first: {top}")
        check(items and items[0]["reasons"], "locate says why")
        check("add_user" in r.structured_content["stack_frames"], f"locate read the frames: {r.structured_content['stack_frames']}")
        await expect_tool_error(c, "locate", {"text": "   "}, "empty", "locate empty text")

        # --- resources ------------------------------------------------------
        res = (await c.list_resources()).resources
        uris = sorted(str(x.uri) for x in res)
        check(uris == ["codegraph://repository/map", "codegraph://repository/readme"], f"resources: {uris}")
        rr = await c.read_resource("codegraph://repository/readme")
        check("A tiny shop" in rr.contents[0].text, "README resource")
        rr = await c.read_resource("codegraph://repository/map")
        check("shop/" in rr.contents[0].text, "map resource")
        try:
            await c.read_resource("codegraph://nope")
            check(False, "unknown resource should fail")
        except MCPError as e:
            check(True, f"unknown resource -> JSON-RPC error {e.error.code}")

        # --- hostile -----------------------------------------------------------
        try:
            await c.call_tool("no_such_tool", {})
            check(False, "unknown tool should fail")
        except MCPError as e:
            check(True, f"unknown tool -> JSON-RPC error {e.error.code}")
        big = "x" * (10 * 1024 * 1024)
        await expect_tool_error(c, "search_code", {"query": big}, "limit", "10 MB query")
        await expect_tool_error(c, "locate", {"text": big}, "limit", "10 MB task")
        await expect_tool_error(c, "completion_context", {"path": "shop/service.py", "line": 1, "column": 1, "text": big}, "limit", "10 MB buffer")
        r = await call(c, "find_symbol", {"name": "normalise"})
        check(not r.is_error and r.structured_content["items"], "still serving after hostile calls")

        # Every answer says how complete the index is and what it cost.
        for name, args in [("find_symbol", {"name": "demo"}), ("imports", {"path": "shop/__init__.py"}),
                           ("index_status", {})]:
            r = await call(c, name, args)
            sc = r.structured_content
            check("index" in sc and "cost" in sc and "ms" in sc["cost"] and "tokens" in sc["cost"],
                  f"{name} reports cost and index")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("binary")
    p.add_argument("repo")
    p.add_argument("--mode", default="legacy")
    p.add_argument("--scan-first", action="store_true")
    a = p.parse_args()
    asyncio.run(run(a.binary, a.repo, a.mode, a.scan_first))
    print(f"{len(failures)} failed", flush=True)
    for f in failures:
        print("FAILED:", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
