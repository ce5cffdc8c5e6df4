"""Drive `codegraph serve --mcp` (Streamable HTTP) with the official Python SDK.

usage: python mcp_http_test.py URL REPO [--token TOKEN] [--uds SOCKET]

URL is the server's /mcp endpoint (http://127.0.0.1:PORT/mcp, or
http://localhost/mcp with --uds). With --token: requests without the token,
or with a wrong one, are refused (HTTP 401, WWW-Authenticate: Bearer) and the
SDK's client fails; with it, two agents at once (legacy and newest protocol)
name the repository in the URL (?repo=PATH, registered on first use), list the
tools and get right answers from the one index the server holds; a request
without ?repo then reaches the only registered repository. Exit status 0 when
every check passed.
"""

import argparse
import asyncio
import os
import sys
import time
import urllib.parse

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

failures = []
STATUSES = []  # every HTTP status the SDK's client saw


def check(cond, what):
    print(("  ok   " if cond else "  FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def text(r):
    return "\n".join(c.text for c in r.content if getattr(c, "type", "") == "text")


async def record(response):
    STATUSES.append(response.status_code)


def http_client(token, uds):
    headers = {"Authorization": f"Bearer {token}"} if token else None
    if uds:
        client = httpx2.AsyncClient(headers=headers, transport=httpx2.AsyncHTTPTransport(uds=uds),
                                    timeout=httpx2.Timeout(30, read=300))
    else:
        client = create_mcp_http_client(headers=headers)
    client.event_hooks["response"].append(record)
    return client


async def wait_indexed(c, label):
    deadline = time.time() + 120
    while time.time() < deadline:
        r = await c.call_tool("index_status", {})
        detail = r.structured_content["index"]["detail"]
        if detail["state"] == "ready" and detail["indexed_now"]:
            return r
        await asyncio.sleep(0.2)
    check(False, f"[{label}] index ready within 120 s")
    return r


async def agent(url, token, uds, mode, repo):
    label = f"agent {mode}"
    async with http_client(token, uds) as hc:
        async with Client(streamable_http_client(url, http_client=hc), mode=mode,
                          read_timeout_seconds=60) as c:
            print(f"== {label}: protocolVersion={c.protocol_version}", flush=True)
            tools = sorted(t.name for t in (await c.list_tools()).tools)
            check(len(tools) == 15 and "locate" in tools and "find_symbol" in tools,
                  f"[{label}] tools/list -> {len(tools)} tools")
            status = await wait_indexed(c, label)
            root = status.structured_content["status"]["repository"]["root"]
            check(os.path.realpath(root) == os.path.realpath(repo), f"[{label}] serves {root}")
            r = await c.call_tool("find_symbol", {"name": "normalise"})
            items = r.structured_content["items"]
            check(not r.is_error and len(items) == 1 and items[0]["path"] == "shop/util.py",
                  f"[{label}] find_symbol normalise -> {[(i['path'], i['start_line']) for i in items]}")
            r = await c.call_tool("callers", {"symbol": "normalise"})
            check(any(i["symbol"] == "shop.service.UserService.add_user" for i in r.structured_content["items"]),
                  f"[{label}] callers of normalise include UserService.add_user")
            r = await c.call_tool("read_code", {"path": "../../../etc/passwd"})
            check(r.is_error and "outside the repository" in text(r), f"[{label}] a path outside is refused")
            r = await c.call_tool("find_symbol", {"name": 42})
            check(r.is_error and "name" in text(r), f"[{label}] a wrong type is a tool error: {text(r)[:120]!r}")
            return c.protocol_version


async def refused(url, token, uds, label):
    STATUSES.clear()
    try:
        async with http_client(token, uds) as hc:
            async with Client(streamable_http_client(url, http_client=hc), mode="legacy",
                              read_timeout_seconds=10) as c:
                await c.list_tools()
        check(False, f"{label}: should be refused")
    except BaseException as e:  # the SDK reports 401 as MCPError(-32603) in an ExceptionGroup
        inner = e
        while isinstance(inner, BaseExceptionGroup):
            inner = inner.exceptions[0]
        check(STATUSES and set(STATUSES) == {401}, f"{label}: HTTP {STATUSES}, the SDK raised {type(inner).__name__}")


async def raw(url, token, uds):
    transport = httpx2.AsyncHTTPTransport(uds=uds) if uds else None
    async with httpx2.AsyncClient(transport=transport) as hc:
        init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}}
        hdr = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
        if token:
            r = await hc.post(url, json=init, headers=hdr)
            check(r.status_code == 401 and r.headers.get("www-authenticate") == "Bearer",
                  f"raw POST without the token -> {r.status_code}")
            hdr["Authorization"] = f"Bearer {token}"
        r = await hc.post(url, json=init, headers=hdr)
        check(r.status_code == 200 and r.json()["result"]["serverInfo"]["name"] == "codegraph",
              f"raw initialize -> {r.status_code} {r.text[:120]!r}")
        r = await hc.post(url, json=init, headers={**hdr, "Host": "evil.example"})
        check(r.status_code == 403, f"a foreign Host header (DNS rebinding) -> {r.status_code}")
        # A refusal leaves the body unread: the server says it closes the
        # connection, so a client never reuses one that is going away.
        check(r.headers.get("connection") == "close",
              f"a refusal closes its connection: Connection {r.headers.get('connection')!r}")
        base = url.split("?")[0]
        r = await hc.post(base.replace("/mcp", "/.well-known/oauth-protected-resource"), headers=hdr)
        check(r.status_code == 404, f"another path -> {r.status_code}")
        r = await hc.post(base + "?repo=" + urllib.parse.quote("/"), json=init, headers=hdr)
        check(r.status_code == 403, f"?repo=/ (outside the allowed roots) -> {r.status_code} {r.text[:100]!r}")


async def main(a):
    url = a.url + "?repo=" + urllib.parse.quote(a.repo, safe="")
    if a.token:
        await refused(url, None, a.uds, "no token")
        await refused(url, "wrong-token-wrong-token", a.uds, "a wrong token")
    versions = await asyncio.gather(agent(url, a.token, a.uds, "legacy", a.repo),
                                    agent(url, a.token, a.uds, "auto", a.repo))
    # Both handshakes negotiate a version (the SDK's "legacy" mode ends on
    # the newest one it and the server share).
    check(all(v.startswith("20") for v in versions), f"both agents negotiated: {versions}")
    # Registered now: the only repository, reached without ?repo.
    async with http_client(a.token, a.uds) as hc:
        async with Client(streamable_http_client(a.url, http_client=hc), mode="legacy",
                          read_timeout_seconds=60) as c:
            r = await c.call_tool("find_symbol", {"name": "UserService.add_user"})
            check(not r.is_error and "shop/service.py:17" in text(r), "without ?repo: the only repository")
    await raw(a.url, a.token, a.uds)
    print(f"{len(failures)} failed", flush=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("repo")
    p.add_argument("--token")
    p.add_argument("--uds")
    asyncio.run(main(p.parse_args()))
