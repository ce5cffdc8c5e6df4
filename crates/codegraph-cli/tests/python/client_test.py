#!/usr/bin/env python3
"""End-to-end client test of the codegraph gRPC server, from Python.

Generates the Python stubs of `proto/codegraph/v1` at run time with
grpcio-tools, then talks to a running `codegraph serve` the way a real
client does: reflection, health, and every service of codegraph.v1 over a
copy of `fixtures/python`.

Needs grpcio, grpcio-tools, grpcio-reflection, grpcio-health-checking and
protobuf importable (the Rust test `serve_python.rs` installs pinned
versions and sets PYTHONPATH). Exit code 0 on success; on failure, a
message naming the call, what was expected and what came back, and exit
code 1.

    client_test.py --addr unix:/run/user/1000/codegraph/serve.sock \
        --repo /tmp/x/python --proto-dir proto --out /tmp/x/stubs
    client_test.py --addr 127.0.0.1:43567 --repo /tmp/x/python \
        --proto-dir proto --out /tmp/x/stubs --token SECRET
    client_test.py --addr ... --proto-dir ... --out ... --token SECRET \
        --expect-unauthenticated
"""

import argparse
import collections
import glob
import importlib
import os
import subprocess
import sys
import time

try:
    import grpc
except ImportError as e:  # pragma: no cover - environment problem
    sys.exit(
        f"[client_test] FAILED: cannot import grpc ({e}); install grpcio, grpcio-tools, "
        "grpcio-reflection, grpcio-health-checking and protobuf, or set PYTHONPATH"
    )

# Deadline of every unary call (the server's own default is 60 s).
CALL_TIMEOUT_S = 30.0
# Deadline of the WatchProgress stream (the first indexing run of the
# fixture takes well under a second; this only bounds a hung server).
WATCH_TIMEOUT_S = 120.0

EXPECTED_SERVICES = (
    "codegraph.v1.IndexService",
    "codegraph.v1.SearchService",
    "codegraph.v1.ContextService",
    "codegraph.v1.GraphService",
    "grpc.health.v1.Health",
)


class Failure(Exception):
    """A check failed; the message says which and why."""


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def step(msg):
    print(f"[client_test] {msg}", flush=True)


# ---------------------------------------------------------------------------
# Stubs
# ---------------------------------------------------------------------------


def generate_stubs(proto_dir, out):
    """Runs grpc_tools.protoc over codegraph/v1/*.proto into `out` and
    returns the imported modules by short name (index_pb2, index_pb2_grpc,
    ...)."""
    proto_dir = os.path.abspath(proto_dir)
    out = os.path.abspath(out)
    os.makedirs(out, exist_ok=True)
    protos = sorted(
        os.path.relpath(p, proto_dir)
        for p in glob.glob(os.path.join(proto_dir, "codegraph", "v1", "*.proto"))
    )
    check(protos, f"no .proto files under {proto_dir}/codegraph/v1")
    cmd = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        f"-I{proto_dir}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        *protos,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    check(
        proc.returncode == 0,
        f"protoc failed (exit {proc.returncode}): {' '.join(cmd)}\n"
        f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}",
    )
    for pkg in ("codegraph", os.path.join("codegraph", "v1")):
        init = os.path.join(out, pkg, "__init__.py")
        if not os.path.exists(init):
            with open(init, "w"):
                pass
    if out not in sys.path:
        sys.path.insert(0, out)
    importlib.invalidate_caches()
    mods = {}
    for proto in protos:
        base = os.path.splitext(os.path.basename(proto))[0]
        for suffix in ("_pb2", "_pb2_grpc"):
            name = base + suffix
            mods[name] = importlib.import_module(f"codegraph.v1.{name}")
    step(f"generated and imported stubs of {', '.join(protos)} into {out}")
    return mods


# ---------------------------------------------------------------------------
# Metadata: `authorization: Bearer <token>` on every call
# ---------------------------------------------------------------------------


class _CallDetails(
    collections.namedtuple(
        "_CallDetails",
        ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression"),
    ),
    grpc.ClientCallDetails,
):
    pass


def _auth_interceptor(token):
    header = ("authorization", f"Bearer {token}")

    def details(d):
        md = list(d.metadata or [])
        md.append(header)
        return _CallDetails(
            d.method,
            d.timeout,
            md,
            d.credentials,
            getattr(d, "wait_for_ready", None),
            getattr(d, "compression", None),
        )

    class Auth(
        grpc.UnaryUnaryClientInterceptor,
        grpc.UnaryStreamClientInterceptor,
        grpc.StreamUnaryClientInterceptor,
        grpc.StreamStreamClientInterceptor,
    ):
        def intercept_unary_unary(self, cont, d, req):
            return cont(details(d), req)

        def intercept_unary_stream(self, cont, d, req):
            return cont(details(d), req)

        def intercept_stream_unary(self, cont, d, reqs):
            return cont(details(d), reqs)

        def intercept_stream_stream(self, cont, d, reqs):
            return cont(details(d), reqs)

    return Auth()


def open_channel(addr, token):
    # A plain channel, no options, `unix:PATH` targets too: grpcio then
    # sends the percent-encoded socket path as `:authority`, which the
    # server must accept (h2 alone rejects it: RST_STREAM PROTOCOL_ERROR).
    channel = grpc.insecure_channel(addr)
    try:
        grpc.channel_ready_future(channel).result(timeout=CALL_TIMEOUT_S)
    except grpc.FutureTimeoutError:
        raise Failure(f"could not connect to {addr} within {CALL_TIMEOUT_S} s")
    if token:
        channel = grpc.intercept_channel(channel, _auth_interceptor(token))
    return channel


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def expect_error(what, codes, fn, *args, **kwargs):
    """Calls fn and requires it to fail with one of `codes`."""
    if not isinstance(codes, (tuple, list)):
        codes = (codes,)
    names = " or ".join(c.name for c in codes)
    try:
        resp = fn(*args, timeout=CALL_TIMEOUT_S, **kwargs)
    except grpc.RpcError as e:
        check(
            e.code() in codes,
            f"{what}: expected status {names}, got {e.code().name}: {e.details()!r}",
        )
        step(f"{what}: {e.code().name} as expected ({e.details()!r})")
        return e
    raise Failure(f"{what}: expected status {names}, got OK with response:\n{resp}")


def call(what, fn, *args, **kwargs):
    """Calls fn and requires it to succeed."""
    kwargs.setdefault("timeout", CALL_TIMEOUT_S)
    try:
        return fn(*args, **kwargs)
    except grpc.RpcError as e:
        raise Failure(f"{what}: expected OK, got {e.code().name}: {e.details()!r}")


# ---------------------------------------------------------------------------
# Reflection and health
# ---------------------------------------------------------------------------


def reflect(channel, requests):
    """Sends `requests` over ServerReflectionInfo, v1 first (what tonic
    serves), then v1alpha; returns the list of responses. The two versions
    have the same messages, so the v1alpha classes of grpcio-reflection
    encode both."""
    from grpc_reflection.v1alpha import reflection_pb2

    errors = []
    for method in (
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
    ):
        rpc = channel.stream_stream(
            method,
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
        )
        try:
            return method, list(rpc(iter(requests), timeout=CALL_TIMEOUT_S))
        except grpc.RpcError as e:
            errors.append(f"{method}: {e.code().name}: {e.details()!r}")
            if e.code() != grpc.StatusCode.UNIMPLEMENTED:
                break
    raise Failure("server reflection failed:\n  " + "\n  ".join(errors))


def check_reflection(channel):
    from grpc_reflection.v1alpha import reflection_pb2

    Req = reflection_pb2.ServerReflectionRequest
    method, resps = reflect(
        channel,
        [
            Req(list_services=""),
            Req(file_containing_symbol="codegraph.v1.SearchService"),
        ],
    )
    check(len(resps) == 2, f"reflection ({method}): expected 2 responses, got {len(resps)}: {resps}")
    listed, files = resps
    check(
        listed.HasField("list_services_response"),
        f"reflection list_services: expected list_services_response, got {listed}",
    )
    services = sorted(s.name for s in listed.list_services_response.service)
    missing = [s for s in EXPECTED_SERVICES if s not in services]
    check(not missing, f"reflection list_services: missing {missing}; listed {services}")
    check(
        files.HasField("file_descriptor_response")
        and len(files.file_descriptor_response.file_descriptor_proto) > 0,
        "reflection file_containing_symbol codegraph.v1.SearchService: expected "
        f"file_descriptor_response, got {files}",
    )
    from google.protobuf import descriptor_pb2

    names = []
    for raw in files.file_descriptor_response.file_descriptor_proto:
        fd = descriptor_pb2.FileDescriptorProto.FromString(raw)
        names.append(fd.name)
    check(
        "codegraph/v1/search.proto" in names,
        f"reflection file_containing_symbol codegraph.v1.SearchService: "
        f"expected codegraph/v1/search.proto among {names}",
    )
    step(f"reflection ({method}) lists {services}; search.proto descriptor served")


def check_health(channel):
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    stub = health_pb2_grpc.HealthStub(channel)
    resp = call("Health.Check(service='')", stub.Check, health_pb2.HealthCheckRequest(service=""))
    check(
        resp.status == health_pb2.HealthCheckResponse.SERVING,
        "Health.Check(service=''): expected SERVING, got "
        f"{health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)}",
    )
    step("health: SERVING")


# ---------------------------------------------------------------------------
# The services
# ---------------------------------------------------------------------------


def run_full(channel, m, repo):
    common = m["common_pb2"]
    index = m["index_pb2"]
    search = m["search_pb2"]
    context = m["context_pb2"]
    graph = m["graph_pb2"]
    index_svc = m["index_pb2_grpc"].IndexServiceStub(channel)
    search_svc = m["search_pb2_grpc"].SearchServiceStub(channel)
    context_svc = m["context_pb2_grpc"].ContextServiceStub(channel)
    graph_svc = m["graph_pb2_grpc"].GraphServiceStub(channel)
    zero_based = common.PositionEncoding(
        base=common.POSITION_BASE_ZERO_BASED, column_unit=common.COLUMN_UNIT_UTF16
    )

    check_reflection(channel)
    check_health(channel)

    # --- IndexService ------------------------------------------------------
    repo = os.path.abspath(repo)
    reg_req = index.RegisterRepositoryRequest(
        path=repo, options=index.RepositoryOptions(watch=True, embed=False)
    )
    reg = call("RegisterRepository", index_svc.RegisterRepository, reg_req)
    rid = reg.repository.id
    check(rid, f"RegisterRepository: expected a non-empty repository.id, got {reg}")
    check(
        not rid.startswith("/"),
        f"RegisterRepository: repository.id must not start with '/', got {rid!r}",
    )
    step(f"RegisterRepository: id {rid!r}, root {reg.repository.root!r}, run {reg.run_id}")
    expect_error(
        "RegisterRepository (same path again)",
        grpc.StatusCode.ALREADY_EXISTS,
        index_svc.RegisterRepository,
        reg_req,
    )

    listed = call(
        "ListRepositories", index_svc.ListRepositories, index.ListRepositoriesRequest()
    )
    ids = [r.id for r in listed.repositories]
    check(rid in ids, f"ListRepositories: expected {rid!r} among {ids}")

    msgs = []
    try:
        for msg in index_svc.WatchProgress(
            index.WatchProgressRequest(repository=rid, until_ready=True),
            timeout=WATCH_TIMEOUT_S,
        ):
            msgs.append(msg)
            step(
                "WatchProgress: run {} phase {} files {}/{}{}".format(
                    msg.progress.run_id,
                    index.IndexPhase.Name(msg.progress.phase),
                    msg.progress.files_done,
                    msg.progress.files_total,
                    " (run finished)" if msg.run_finished else "",
                )
            )
            if msg.progress.phase == index.INDEX_PHASE_READY and msg.run_finished:
                break
    except grpc.RpcError as e:
        raise Failure(
            f"WatchProgress(until_ready): stream failed after {len(msgs)} messages: "
            f"{e.code().name}: {e.details()!r}"
        )
    check(msgs, "WatchProgress(until_ready): expected at least one message, got none")
    for msg in msgs:
        check(
            msg.repository_id == rid,
            f"WatchProgress: expected repository_id {rid!r}, got {msg.repository_id!r}",
        )
    finished = [msg for msg in msgs if msg.run_finished]
    if finished:
        last = finished[-1]
        check(
            last.HasField("summary"),
            f"WatchProgress: a run_finished message must carry its summary, got {last}",
        )
        check(
            last.summary.succeeded,
            f"WatchProgress: expected summary.succeeded, got {last.summary}",
        )
        check(
            last.progress.phase == index.INDEX_PHASE_READY,
            "WatchProgress: a succeeded run must end in INDEX_PHASE_READY, got "
            f"{index.IndexPhase.Name(last.progress.phase)}",
        )
    else:
        # The first run finished before the stream opened: the only message
        # is the snapshot of an idle repository (phase READY, run_finished
        # false). The run's outcome is then GetStatus.last_run.
        last = msgs[-1]
        check(
            last.progress.phase == index.INDEX_PHASE_READY,
            "WatchProgress(until_ready): the stream ended without a run_finished "
            "message, so its snapshot must be phase READY; got "
            f"{index.IndexPhase.Name(last.progress.phase)}",
        )
        step("WatchProgress: the run had finished before the stream opened (snapshot only)")

    status = call(
        "GetStatus", index_svc.GetStatus, index.GetStatusRequest(repository=rid)
    )
    check(status.files.indexed > 0, f"GetStatus: expected files.indexed > 0, got {status.files}")
    check(
        status.content.definitions > 0,
        f"GetStatus: expected content.definitions > 0, got {status.content}",
    )
    check(status.format_version > 0, f"GetStatus: expected format_version > 0, got {status.format_version}")
    check(status.repository.indexed, f"GetStatus: expected repository.indexed, got {status.repository}")
    if not finished:
        check(
            status.HasField("last_run") and status.last_run.succeeded,
            f"GetStatus: expected last_run.succeeded, got {status.last_run}",
        )
    step(
        f"GetStatus: {status.files.indexed} files, {status.content.definitions} definitions, "
        f"format {status.format_version}"
    )

    # --- SearchService -----------------------------------------------------
    resp = call(
        "Search('add user')",
        search_svc.Search,
        search.SearchRequest(
            repository=rid, query="add user", k=5, mode=search.SEARCH_MODE_LEXICAL
        ),
    )
    paths = [h.path for h in resp.hits]
    check(resp.hits, f"Search('add user'): expected at least one hit, got {resp}")
    check(len(resp.hits) <= 5, f"Search('add user', k=5): got {len(resp.hits)} hits")
    check(
        "shop/service.py" in paths,
        f"Search('add user'): expected a hit in shop/service.py, got {paths}",
    )
    check(resp.stages, f"Search('add user'): expected non-empty stages, got {resp}")
    check(
        resp.mode == search.SEARCH_MODE_LEXICAL,
        f"Search('add user'): expected mode LEXICAL, got {search.SearchMode.Name(resp.mode)}",
    )
    step(f"Search('add user'): {[(h.path, h.symbol) for h in resp.hits]}")
    expect_error(
        "Search(query='')",
        grpc.StatusCode.INVALID_ARGUMENT,
        search_svc.Search,
        search.SearchRequest(repository=rid, query="", mode=search.SEARCH_MODE_LEXICAL),
    )
    expect_error(
        "Search(k=100000000)",
        grpc.StatusCode.INVALID_ARGUMENT,
        search_svc.Search,
        search.SearchRequest(
            repository=rid, query="add user", k=100000000, mode=search.SEARCH_MODE_LEXICAL
        ),
    )
    expect_error(
        "Search(repository='nope')",
        grpc.StatusCode.NOT_FOUND,
        search_svc.Search,
        search.SearchRequest(repository="nope", query="add user", mode=search.SEARCH_MODE_LEXICAL),
    )

    # --- ContextService ----------------------------------------------------
    def ctx_req(path, line, column=0):
        return context.GetCompletionContextRequest(
            repository=rid,
            path=path,
            cursor=common.Position(line=line, column=column),
            position_encoding=zero_based,
        )

    # 0-based line 20 of shop/service.py is `log.info("added %s", ...)`
    # inside UserService.add_user.
    resp = call(
        "GetCompletionContext(shop/service.py:20:0)",
        context_svc.GetCompletionContext,
        ctx_req("shop/service.py", 20),
    )
    check(
        resp.path == "shop/service.py",
        f"GetCompletionContext: expected path 'shop/service.py', got {resp.path!r}",
    )
    check(
        len(resp.structures) + len(resp.snippets) > 0,
        f"GetCompletionContext: expected structures or snippets, got {resp}",
    )
    step(
        f"GetCompletionContext: {len(resp.structures)} structures "
        f"({[s.symbol for s in resp.structures]}), {len(resp.snippets)} snippets, "
        f"{resp.tokens_used} tokens"
    )
    expect_error(
        "GetCompletionContext(path='../../etc/passwd')",
        grpc.StatusCode.PERMISSION_DENIED,
        context_svc.GetCompletionContext,
        ctx_req("../../etc/passwd", 0),
    )
    expect_error(
        "GetCompletionContext(cursor line 100000)",
        (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.OUT_OF_RANGE),
        context_svc.GetCompletionContext,
        ctx_req("shop/service.py", 100000),
    )

    # --- GraphService ------------------------------------------------------
    # fixtures/python/shop/service.py: `def demo()` (line 31, 1-based) calls
    # `svc.add_user(1, "  Ann ")` on line 34 (1-based), so line 33 0-based.
    resp = call(
        "ListCallers(UserService.add_user)",
        graph_svc.ListCallers,
        graph.ListCallersRequest(
            repository=rid,
            symbol=graph.SymbolRef(name="UserService.add_user"),
            depth=1,
            position_encoding=zero_based,
        ),
    )
    check(
        resp.target.qualified_name.endswith("UserService.add_user"),
        f"ListCallers: expected target ...UserService.add_user, got {resp.target}",
    )
    callers = [(c.qualified_name, c.path, c.call_line) for c in resp.callers]
    demo = [c for c in resp.callers if c.qualified_name == "shop.service.demo"]
    check(
        demo,
        f"ListCallers(UserService.add_user): expected caller shop.service.demo, got {callers}",
    )
    check(
        demo[0].path == "shop/service.py" and demo[0].depth == 1,
        f"ListCallers: expected shop.service.demo in shop/service.py at depth 1, got {demo[0]}",
    )
    check(
        demo[0].call_line == 33,
        f"ListCallers: expected the call of demo on 0-based line 33, got {demo[0].call_line}",
    )
    step(f"ListCallers(UserService.add_user): {callers}")

    resp = call(
        "LookupSymbol(UserService)",
        graph_svc.LookupSymbol,
        graph.LookupSymbolRequest(repository=rid, name="UserService"),
    )
    check(resp.symbols, f"LookupSymbol(UserService): expected at least one symbol, got {resp}")
    found = [(s.qualified_name, s.kind, s.path) for s in resp.symbols]
    check(
        ("shop.service.UserService", "class", "shop/service.py") in found,
        f"LookupSymbol(UserService): expected class shop.service.UserService, got {found}",
    )
    step(f"LookupSymbol(UserService): {found}")

    # --- Unregister --------------------------------------------------------
    resp = call(
        "UnregisterRepository",
        index_svc.UnregisterRepository,
        index.UnregisterRepositoryRequest(repository=rid),
    )
    check(
        resp.repository.id == rid,
        f"UnregisterRepository: expected repository.id {rid!r}, got {resp.repository.id!r}",
    )
    step("UnregisterRepository: ok")
    expect_error(
        "Search after UnregisterRepository",
        grpc.StatusCode.NOT_FOUND,
        search_svc.Search,
        search.SearchRequest(repository=rid, query="add user", mode=search.SEARCH_MODE_LEXICAL),
    )


def run_unauthenticated(addr, m, token):
    """Without the bearer token (or with a wrong one) ListRepositories fails
    with UNAUTHENTICATED; with it, it succeeds."""
    index = m["index_pb2"]
    req = index.ListRepositoriesRequest()

    bare = open_channel(addr, None)
    stub = m["index_pb2_grpc"].IndexServiceStub(bare)
    expect_error("ListRepositories without a token", grpc.StatusCode.UNAUTHENTICATED, stub.ListRepositories, req)
    expect_error(
        "ListRepositories with a wrong token",
        grpc.StatusCode.UNAUTHENTICATED,
        stub.ListRepositories,
        req,
        metadata=[("authorization", f"Bearer {token}-wrong")],
    )
    expect_error(
        "ListRepositories with a malformed authorization header",
        grpc.StatusCode.UNAUTHENTICATED,
        stub.ListRepositories,
        req,
        metadata=[("authorization", token)],
    )
    bare.close()

    authed = open_channel(addr, token)
    stub = m["index_pb2_grpc"].IndexServiceStub(authed)
    resp = call("ListRepositories with the token", stub.ListRepositories, req)
    step(f"ListRepositories with the token: ok ({len(resp.repositories)} repositories)")
    authed.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--addr", required=True, help="HOST:PORT of the server, or unix:PATH of its socket"
    )
    ap.add_argument("--repo", help="a copy of fixtures/python (absolute path)")
    ap.add_argument("--proto-dir", required=True, help="the repository's proto/ directory")
    ap.add_argument("--out", required=True, help="where to generate the stubs")
    ap.add_argument("--token", help="bearer token sent on every call")
    ap.add_argument(
        "--expect-unauthenticated",
        action="store_true",
        help="only check that calls without the token fail with UNAUTHENTICATED "
        "and that calls with --token succeed",
    )
    args = ap.parse_args()
    if args.expect_unauthenticated and not args.token:
        ap.error("--expect-unauthenticated needs --token")
    if not args.expect_unauthenticated and not args.repo:
        ap.error("--repo is required")

    started = time.monotonic()
    try:
        step(f"python {sys.version.split()[0]}, grpcio {grpc.__version__}")
        mods = generate_stubs(args.proto_dir, args.out)
        if args.expect_unauthenticated:
            run_unauthenticated(args.addr, mods, args.token)
        else:
            channel = open_channel(args.addr, args.token)
            try:
                run_full(channel, mods, args.repo)
            finally:
                channel.close()
    except Failure as e:
        print(f"[client_test] FAILED: {e}", file=sys.stderr, flush=True)
        return 1
    step(f"all checks passed in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
