//! The MCP handler: read-only tools over the live index, and the
//! repository map and README as resources.

use crate::answer::{self, Answer, budget, check_offset, cursor, text_arg};
use crate::args::*;
use crate::live::{Completeness, Live, Source};
use codegraph::{DefKind, DocKind, Provenance, Reader, Related};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::{
    CallToolResult, Implementation, ListResourcesResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler, tool, tool_handler, tool_router};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Longest name or path argument, bytes.
pub const MAX_NAME_BYTES: usize = 1024;
/// Longest search query, bytes (the library cuts longer ones).
pub const MAX_QUERY_BYTES: usize = codegraph::MAX_QUERY_BYTES;
/// Longest `locate` text, bytes.
pub const MAX_TASK_BYTES: usize = 64 * 1024;
/// Largest unsaved buffer, bytes.
pub const MAX_BUFFER_BYTES: usize = 1 << 20;
/// Most lines `read_code` returns in one call.
pub const MAX_READ_LINES: u32 = 400;
/// How long one call may work.
pub const CALL_DEADLINE: Duration = Duration::from_secs(10);

const MAP_URI: &str = "codegraph://repository/map";
const README_URI: &str = "codegraph://repository/readme";

const INSTRUCTIONS: &str = "codegraph answers questions about one repository from a live index \
(definitions, call and import graph, hybrid search). Paths are relative to the repository root. \
Start with repo_map (or the codegraph://repository/map resource) for the layout, locate for a task \
or issue text, search_code for words or code, find_symbol for a name; then file_outline / \
symbol_outline, read_code, callers / callees / references, imports / importers and impact. \
Every answer is within a token budget (budget_tokens) and says when it was cut and how to get \
the rest (cursor). No tool writes anything.";

/// The MCP server of one repository.
#[derive(Clone)]
pub struct CodegraphMcp {
    live: Arc<dyn Source>,
    tool_router: ToolRouter<CodegraphMcp>,
}

impl std::fmt::Debug for CodegraphMcp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodegraphMcp")
            .field("root", &self.live.root())
            .finish()
    }
}

/// A library error as a message that says what to do.
fn lib_err(e: codegraph::Error) -> String {
    use codegraph::Error as E;
    match e {
        E::SymbolNotFound(name) => format!(
            "no definition matches `{name}`; try find_symbol with the bare name, or search_code with words from it"
        ),
        E::Ambiguous { name, candidates } => format!(
            "`{name}` names several definitions; call again with one of these qualified names:\n  {}",
            candidates.join("\n  ")
        ),
        E::NotIndexed(path) => format!(
            "{path}: not a file in the index; pass a path relative to the repository root as search_code or repo_map show it"
        ),
        E::OutsideRoot(path) => format!(
            "{path}: outside the repository; pass a path relative to the repository root (`..` and symbolic links may not leave it)"
        ),
        e @ E::InvalidRequest(_) => e.to_string(),
        e => format!("{e}"),
    }
}

fn provenance_name(p: Provenance) -> &'static str {
    p.as_str()
}

fn parse_def_kind(kind: Option<&str>) -> Result<Option<DefKind>, String> {
    kind.map(|k| {
        k.parse::<DefKind>().map_err(|_| {
            format!(
                "kind `{k}` is not a definition kind; use one of: {}",
                DefKind::NAMES.join(", ")
            )
        })
    })
    .transpose()
}

fn depth_arg(depth: Option<u32>, default: u32) -> Result<usize, String> {
    match depth {
        None => Ok(default as usize),
        Some(d) if (1..=5).contains(&d) => Ok(d as usize),
        Some(d) => Err(format!(
            "depth is {d}; pass 1 to 5 (default {default}), or leave it out"
        )),
    }
}

fn limit_arg(name: &str, v: Option<u32>, default: u32, max: u32) -> Result<usize, String> {
    match v {
        None => Ok(default as usize),
        Some(n) if (1..=max).contains(&n) => Ok(n as usize),
        Some(n) => Err(format!(
            "{name} is {n}; pass 1 to {max} (default {default}), or leave it out"
        )),
    }
}

/// One caller or callee as text.
fn related_text(r: &Related, site: &str) -> String {
    let kind = r.kind.map_or("file", DefKind::as_str);
    let mut t = format!(
        "{}:{} {} {} [{}, depth {}{}]",
        r.path,
        r.line,
        kind,
        r.symbol,
        provenance_name(r.provenance),
        r.depth,
        if r.call_line > 0 {
            format!(", {site} line {}", r.call_line)
        } else {
            String::new()
        }
    );
    if !r.signature.is_empty() && r.signature != r.symbol {
        t.push_str(&format!("\n    {}", first_line(&r.signature)));
    }
    t
}

fn related_json(r: &Related) -> serde_json::Value {
    json!({
        "symbol": r.symbol, "kind": r.kind.map_or("file", DefKind::as_str), "path": r.path,
        "line": r.line, "depth": r.depth, "provenance": provenance_name(r.provenance),
        "site_line": r.call_line, "signature": r.signature,
    })
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// The item list of a paged answer, from `offset`.
fn page<T>(items: &[T], offset: usize) -> Result<&[T], String> {
    check_offset(offset, items.len())?;
    Ok(&items[offset.min(items.len())..])
}

fn filter_provenance(items: Vec<Related>, p: ProvenanceFilter) -> Vec<Related> {
    match p {
        ProvenanceFilter::Inferred => items
            .into_iter()
            .filter(|r| r.provenance == Provenance::Inferred)
            .collect(),
        _ => items,
    }
}

#[tool_router]
impl CodegraphMcp {
    /// The server of a repository this process keeps live.
    pub fn new(live: Arc<Live>) -> CodegraphMcp {
        CodegraphMcp::over(live)
    }

    /// The server of any [`Source`] (a reader someone else keeps current).
    pub fn over(source: Arc<dyn Source>) -> CodegraphMcp {
        CodegraphMcp {
            live: source,
            tool_router: Self::tool_router(),
        }
    }

    /// Runs `f` on the blocking pool with the current reader; `Err`
    /// becomes a tool error.
    async fn run<F>(&self, f: F) -> Result<CallToolResult, McpError>
    where
        F: FnOnce(&Reader, &Completeness) -> Result<CallToolResult, String> + Send + 'static,
    {
        let live = self.live.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let reader = live.reader();
            let index = live.completeness();
            f(&reader, &index)
        })
        .await
        .map_err(|e| McpError::internal_error(format!("the call failed: {e}"), None))?;
        Ok(outcome.unwrap_or_else(answer::error))
    }

    #[tool(
        name = "search_code",
        title = "Search code",
        description = "Hybrid (lexical + semantic) search over the repository's code and docs. Give words, an identifier, a sentence, a code fragment or an error message. Filters: language, path_glob, kind; group_by_file gives one result per file. Each result: path:start-end, kind, symbol, and the lines that match best.",
        annotations(
            title = "Search code",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn search_code(
        &self,
        Parameters(a): Parameters<SearchCodeArgs>,
    ) -> Result<CallToolResult, McpError> {
        self.run(move |reader, index| {
            let query = text_arg("query", &a.query, MAX_QUERY_BYTES)?.to_owned();
            let limit = limit_arg("limit", a.limit, 10, 50)?;
            let budget = budget(a.budget_tokens, 2000)?;
            let offset = cursor(a.cursor.as_deref())?;
            // Search ranks at most 1,000 results.
            check_offset(offset, 1000 - limit)?;
            let kind = a
                .kind
                .as_deref()
                .map(|k| {
                    k.parse::<DocKind>().map_err(|_| {
                        format!(
                            "kind `{k}` is unknown; use one of: {}",
                            DocKind::names().join(", ")
                        )
                    })
                })
                .transpose()?;
            if let Some(g) = &a.path_glob {
                text_arg("path_glob", g, MAX_NAME_BYTES)?;
            }
            if let Some(l) = &a.language {
                text_arg("language", l, 64)?;
            }
            let mut ans = Answer::new(budget);
            ans.set("query", json!(query));
            if !index.has_index() {
                // Never indexed: scan the files while the first build runs.
                let scan = reader
                    .scan(&query, offset + limit, Some(Instant::now() + CALL_DEADLINE))
                    .map_err(lib_err)?;
                ans.stage("scan");
                ans.set("mode", json!("scan"));
                let shown = page(&scan.hits, offset)?;
                ans.line(&format!(
                    "{} line(s) from a scan of {} files (no index yet{})",
                    scan.hits.len(),
                    scan.files_scanned,
                    if scan.partial {
                        "; scan stopped early"
                    } else {
                        ""
                    }
                ));
                for (i, h) in shown.iter().enumerate() {
                    let text = format!("{}:{}: {}", h.path, h.line, h.text);
                    if !ans.item(
                        offset + i,
                        &text,
                        serde_json::to_value(h).unwrap_or_default(),
                    ) {
                        break;
                    }
                }
                return Ok(ans.finish(index));
            }
            let mode = match a.mode.unwrap_or_default() {
                Mode::Hybrid => codegraph::SearchMode::Hybrid,
                Mode::Lexical => codegraph::SearchMode::Lexical,
                Mode::Vector => codegraph::SearchMode::Vector,
            };
            let response = reader
                .search(&codegraph::SearchOptions {
                    query,
                    k: offset + limit,
                    mode,
                    language: a.language.clone(),
                    kind,
                    path_glob: a.path_glob.clone(),
                    group_by_file: a.group_by_file.unwrap_or(false),
                    deadline: Some(Instant::now() + CALL_DEADLINE),
                    ..codegraph::SearchOptions::default()
                })
                .map_err(lib_err)?;
            ans.stages_from("search_", &response.stages);
            ans.stage("search");
            ans.set("mode", json!(response.mode));
            ans.set("vector_coverage", json!(response.vector_coverage));
            if let Some(n) = &response.notice {
                ans.line(&format!("note: {n}"));
                ans.set("notice", json!(n));
            }
            let shown = page(&response.results, offset)?;
            if response.results.is_empty() {
                ans.line("no results; try other words, fewer filters, or find_symbol for a name");
            }
            for (i, r) in shown.iter().enumerate() {
                let mut text = format!(
                    "{}:{}-{} {}{}",
                    r.path,
                    r.start_line,
                    r.end_line,
                    r.kind,
                    r.symbol
                        .as_deref()
                        .map(|s| format!(" {s}"))
                        .unwrap_or_default()
                );
                if let Some(m) = r.matches {
                    text.push_str(&format!(" ({m} matching chunks)"));
                }
                for l in r.snippet.lines().take(8) {
                    text.push_str("\n    ");
                    text.push_str(l);
                }
                if !ans.item(
                    offset + i,
                    &text,
                    serde_json::to_value(r).unwrap_or_default(),
                ) {
                    break;
                }
            }
            if response.results.len() == offset + limit {
                ans.more_from(offset + limit);
            }
            Ok(ans.finish(index))
        })
        .await
    }

    #[tool(
        name = "find_symbol",
        title = "Find a definition",
        description = "Definitions by name (\"parse\"), qualified name (\"pkg.mod.Parser.parse\") or qualified suffix (\"Parser.parse\"), each with path:line, kind, signature and the first lines of its doc.",
        annotations(
            title = "Find a definition",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn find_symbol(
        &self,
        Parameters(a): Parameters<FindSymbolArgs>,
    ) -> Result<CallToolResult, McpError> {
        self.run(move |reader, index| {
            let name = text_arg("name", &a.name, MAX_NAME_BYTES)?;
            let kind = parse_def_kind(a.kind.as_deref())?;
            let budget = budget(a.budget_tokens, 2000)?;
            let offset = cursor(a.cursor.as_deref())?;
            let mut ans = Answer::new(budget);
            let defs: Vec<_> = reader
                .find_definitions(name)
                .map_err(lib_err)?
                .into_iter()
                .filter(|d| kind.is_none_or(|k| d.kind == k))
                .collect();
            ans.stage("lookup");
            ans.total(defs.len());
            if defs.is_empty() {
                ans.line(&format!(
                    "no definition matches `{name}`; try the bare name, another spelling, or search_code"
                ));
            }
            for (i, d) in page(&defs, offset)?.iter().enumerate() {
                let mut text = format!(
                    "{}:{}-{} {} {}\n    {}",
                    d.path,
                    d.start_line,
                    d.end_line,
                    d.kind,
                    d.qualified_name,
                    first_line(&d.signature)
                );
                if let Some(doc) = &d.doc {
                    for l in doc.lines().filter(|l| !l.trim().is_empty()).take(3) {
                        text.push_str("\n    # ");
                        text.push_str(l.trim());
                    }
                }
                if !ans.item(offset + i, &text, serde_json::to_value(d).unwrap_or_default()) {
                    break;
                }
            }
            Ok(ans.finish(index))
        })
        .await
    }

    #[tool(
        name = "file_outline",
        title = "Outline a file",
        description = "A file's definitions as signatures, nested as in the source (members under their type), with line numbers: the shape of a file without reading it.",
        annotations(
            title = "Outline a file",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn file_outline(
        &self,
        Parameters(a): Parameters<FileOutlineArgs>,
    ) -> Result<CallToolResult, McpError> {
        self.run(move |reader, index| {
            let path = text_arg("path", &a.path, MAX_NAME_BYTES)?;
            let budget = budget(a.budget_tokens, 2000)?;
            let offset = cursor(a.cursor.as_deref())?;
            let rel = reader.relative_path(path).map_err(lib_err)?;
            let defs = reader.symbols_in_file(&rel).map_err(lib_err)?;
            let mut ans = Answer::new(budget);
            ans.stage("lookup");
            ans.set("path", json!(rel));
            ans.total(defs.len());
            ans.line(&format!("{rel} ({} definitions)", defs.len()));
            let depth_of = |d: &codegraph::DefinitionRow| {
                let mut depth = 0;
                let mut parent = d.parent.clone();
                while let Some(p) = parent {
                    depth += 1;
                    parent = defs
                        .iter()
                        .find(|x| x.qualified_name == p)
                        .and_then(|x| x.parent.clone());
                    if depth > 16 {
                        break;
                    }
                }
                depth
            };
            for (i, d) in page(&defs, offset)?.iter().enumerate() {
                let text = format!(
                    "{:>5}  {}{}",
                    d.start_line,
                    "  ".repeat(depth_of(d)),
                    first_line(&d.signature)
                );
                let data = json!({"line": d.start_line, "end_line": d.end_line, "kind": d.kind,
                    "qualified_name": d.qualified_name, "signature": d.signature, "parent": d.parent});
                if !ans.item(offset + i, &text, data) {
                    break;
                }
            }
            Ok(ans.finish(index))
        })
        .await
    }

    #[tool(
        name = "symbol_outline",
        title = "Outline a type",
        description = "A type's (or any definition's) signature and doc, then its members' signatures with line numbers, in the language's own syntax.",
        annotations(
            title = "Outline a type",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn symbol_outline(
        &self,
        Parameters(a): Parameters<SymbolOutlineArgs>,
    ) -> Result<CallToolResult, McpError> {
        self.run(move |reader, index| {
            let name = text_arg("symbol", &a.symbol, MAX_NAME_BYTES)?;
            let budget = budget(a.budget_tokens, 2000)?;
            let offset = cursor(a.cursor.as_deref())?;
            let symbol = reader.resolve_symbol(name).map_err(lib_err)?;
            let defs = reader.symbols_in_file(&symbol.path).map_err(lib_err)?;
            let mut ans = Answer::new(budget);
            ans.stage("lookup");
            let Some(target) = defs.iter().find(|d| d.id == symbol.id) else {
                return Err(format!("`{name}` is not in the index any more; call again"));
            };
            // Members: definitions nested (at any depth) in the target.
            let prefix_dot = format!("{}.", target.qualified_name);
            let prefix_colons = format!("{}::", target.qualified_name);
            let members: Vec<&codegraph::DefinitionRow> = defs
                .iter()
                .filter(|d| {
                    d.id != target.id
                        && d.parent.as_deref().is_some_and(|p| {
                            p == target.qualified_name
                                || p.starts_with(&prefix_dot)
                                || p.starts_with(&prefix_colons)
                        })
                })
                .collect();
            ans.set("symbol", serde_json::to_value(target).unwrap_or_default());
            ans.total(members.len());
            let mut head = format!(
                "{}:{}-{} {} {}\n{}",
                target.path,
                target.start_line,
                target.end_line,
                target.kind,
                target.qualified_name,
                target.signature
            );
            if let Some(doc) = &target.doc {
                for l in doc.lines().take(6) {
                    head.push_str("\n  # ");
                    head.push_str(l.trim());
                }
            }
            ans.line(&head);
            if members.is_empty() {
                ans.line("(no members)");
            }
            for (i, d) in page(&members, offset)?.iter().enumerate() {
                let depth = if d.parent.as_deref() == Some(target.qualified_name.as_str()) {
                    1
                } else {
                    2
                };
                let text = format!(
                    "{:>5}  {}{}",
                    d.start_line,
                    "  ".repeat(depth),
                    first_line(&d.signature)
                );
                let data = json!({"line": d.start_line, "end_line": d.end_line, "kind": d.kind,
                    "qualified_name": d.qualified_name, "signature": d.signature});
                if !ans.item(offset + i, &text, data) {
                    break;
                }
            }
            Ok(ans.finish(index))
        })
        .await
    }

    #[tool(
        name = "read_code",
        title = "Read code",
        description = "The source of a definition (symbol) or of a line range of a file (path, start_line, end_line), with line numbers; at most 400 lines and the token budget per call. Paths are confined to the repository.",
        annotations(
            title = "Read code",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn read_code(
        &self,
        Parameters(a): Parameters<ReadCodeArgs>,
    ) -> Result<CallToolResult, McpError> {
        self.run(move |reader, index| {
            let budget = budget(a.budget_tokens, 4000)?;
            let (path, start, end, symbol) = match (&a.symbol, &a.path) {
                (Some(s), None) => {
                    if a.start_line.is_some() || a.end_line.is_some() {
                        return Err("start_line and end_line go with path, not symbol; give one of them".into());
                    }
                    let s = reader
                        .resolve_symbol(text_arg("symbol", s, MAX_NAME_BYTES)?)
                        .map_err(lib_err)?;
                    (s.path.clone(), s.line, s.end_line, Some(s.qualified_name))
                }
                (None, Some(p)) => {
                    let p = text_arg("path", p, MAX_NAME_BYTES)?.to_owned();
                    let start = a.start_line.unwrap_or(1);
                    if start == 0 {
                        return Err("start_line is 1-based; pass 1 or more".into());
                    }
                    let end = a.end_line.unwrap_or(start.saturating_add(199));
                    if end < start {
                        return Err(format!("end_line {end} is before start_line {start}; pass end_line >= start_line"));
                    }
                    (p, start, end, None)
                }
                (Some(_), Some(_)) => return Err("give either symbol or path, not both".into()),
                (None, None) => return Err("give symbol (a definition) or path (a file, with optional start_line and end_line)".into()),
            };
            let lines = reader
                .source_lines(&path, start, end, MAX_READ_LINES)
                .map_err(lib_err)?;
            let mut ans = Answer::new(budget);
            ans.stage("read");
            ans.set("path", json!(lines.path));
            ans.set("symbol", json!(symbol));
            ans.set("total_lines", json!(lines.total_lines));
            ans.line(&format!(
                "{}:{}-{} ({} lines in the file){}",
                lines.path,
                lines.start_line,
                lines.end_line,
                lines.total_lines,
                symbol.as_deref().map(|s| format!(" {s}")).unwrap_or_default()
            ));
            let mut last = lines.start_line.saturating_sub(1);
            for (i, l) in lines.text.lines().enumerate() {
                let n = lines.start_line + i as u32;
                let text = format!("{n:>5}  {l}");
                if !ans.fits(&text) {
                    break;
                }
                ans.line(&text);
                last = n;
            }
            ans.set("start_line", json!(lines.start_line));
            ans.set("end_line", json!(last));
            ans.set("text", json!(lines.text.lines().take((last + 1).saturating_sub(lines.start_line) as usize).collect::<Vec<_>>().join("\n")));
            let wanted_end = end.min(lines.total_lines);
            if last < wanted_end {
                ans.cut_hint(format!(
                    "lines {}-{} left out; call read_code with path=\"{}\" start_line={} for the rest",
                    last + 1,
                    wanted_end,
                    lines.path,
                    last + 1
                ));
            }
            Ok(ans.finish(index))
        })
        .await
    }

    #[tool(
        name = "callers",
        title = "Callers",
        description = "Who calls a definition, transitively up to depth hops; each with path:line, signature, the line of the call and the edge's provenance (resolved: proved by scope, import or type; inferred: the only definition of that name).",
        annotations(
            title = "Callers",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn callers(
        &self,
        Parameters(a): Parameters<GraphArgs>,
    ) -> Result<CallToolResult, McpError> {
        self.graph_walk(a, true).await
    }

    #[tool(
        name = "callees",
        title = "Callees",
        description = "What a definition calls, transitively up to depth hops; each with path:line, signature, the line of the call and the edge's provenance.",
        annotations(
            title = "Callees",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn callees(
        &self,
        Parameters(a): Parameters<GraphArgs>,
    ) -> Result<CallToolResult, McpError> {
        self.graph_walk(a, false).await
    }

    async fn graph_walk(&self, a: GraphArgs, callers: bool) -> Result<CallToolResult, McpError> {
        self.run(move |reader, index| {
            let symbol = text_arg("symbol", &a.symbol, MAX_NAME_BYTES)?.to_owned();
            let depth = depth_arg(a.depth, 1)?;
            let budget = budget(a.budget_tokens, 2000)?;
            let offset = cursor(a.cursor.as_deref())?;
            let p = a.provenance.unwrap_or_default();
            let resolved_only = p == ProvenanceFilter::Resolved;
            let target = reader.resolve_symbol(&symbol).map_err(lib_err)?;
            let found = if callers {
                reader.callers(&symbol, depth, resolved_only)
            } else {
                reader.callees(&symbol, depth, resolved_only)
            }
            .map_err(lib_err)?;
            let found = filter_provenance(found, p);
            let mut ans = Answer::new(budget);
            ans.stage("graph");
            ans.set("symbol", json!(target.qualified_name));
            ans.total(found.len());
            ans.line(&format!(
                "{} {} {} ({}:{}), depth {depth}: {}",
                if callers { "callers of" } else { "callees of" },
                target.kind,
                target.qualified_name,
                target.path,
                target.line,
                found.len()
            ));
            for (i, r) in page(&found, offset)?.iter().enumerate() {
                let text = related_text(r, if callers { "call at" } else { "called at" });
                if !ans.item(offset + i, &text, related_json(r)) {
                    break;
                }
            }
            Ok(ans.finish(index))
        })
        .await
    }

    #[tool(
        name = "references",
        title = "References",
        description = "Every use of a definition other than imports: calls, subclasses and implementations, decorators and annotations; each with the referring definition, the line of the use, the edge kind and provenance.",
        annotations(
            title = "References",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn references(
        &self,
        Parameters(a): Parameters<ReferencesArgs>,
    ) -> Result<CallToolResult, McpError> {
        self.run(move |reader, index| {
            let symbol = text_arg("symbol", &a.symbol, MAX_NAME_BYTES)?.to_owned();
            let budget = budget(a.budget_tokens, 2000)?;
            let offset = cursor(a.cursor.as_deref())?;
            let p = match a.provenance.unwrap_or_default() {
                ProvenanceFilter::Any => None,
                ProvenanceFilter::Resolved => Some(Provenance::Resolved),
                ProvenanceFilter::Inferred => Some(Provenance::Inferred),
            };
            let target = reader.resolve_symbol(&symbol).map_err(lib_err)?;
            let refs = reader.references(&symbol, p).map_err(lib_err)?;
            let mut ans = Answer::new(budget);
            ans.stage("graph");
            ans.set("symbol", json!(target.qualified_name));
            ans.total(refs.len());
            ans.line(&format!(
                "references to {} ({}:{}): {}",
                target.qualified_name,
                target.path,
                target.line,
                refs.len()
            ));
            for (i, r) in page(&refs, offset)?.iter().enumerate() {
                let text = format!(
                    "{}:{} {} from {} [{}]",
                    r.from.path,
                    r.from.call_line,
                    r.edge,
                    r.from.symbol,
                    provenance_name(r.from.provenance)
                );
                let mut data = related_json(&r.from);
                data["edge"] = json!(r.edge);
                if !ans.item(offset + i, &text, data) {
                    break;
                }
            }
            Ok(ans.finish(index))
        })
        .await
    }

    #[tool(
        name = "imports",
        title = "Imports",
        description = "The files (and external modules, as external:NAME) a file imports, with the line of each import.",
        annotations(
            title = "Imports",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn imports(
        &self,
        Parameters(a): Parameters<FileGraphArgs>,
    ) -> Result<CallToolResult, McpError> {
        self.file_edges(a, false).await
    }

    #[tool(
        name = "importers",
        title = "Importers",
        description = "The files that import a file, with the line of each import.",
        annotations(
            title = "Importers",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn importers(
        &self,
        Parameters(a): Parameters<FileGraphArgs>,
    ) -> Result<CallToolResult, McpError> {
        self.file_edges(a, true).await
    }

    async fn file_edges(
        &self,
        a: FileGraphArgs,
        importers: bool,
    ) -> Result<CallToolResult, McpError> {
        self.run(move |reader, index| {
            let path = text_arg("path", &a.path, MAX_NAME_BYTES)?;
            let budget = budget(a.budget_tokens, 2000)?;
            let offset = cursor(a.cursor.as_deref())?;
            let rel = reader.relative_path(path).map_err(lib_err)?;
            let found = if importers {
                reader.importers(&rel)
            } else {
                reader.imports(&rel)
            }
            .map_err(lib_err)?;
            let mut ans = Answer::new(budget);
            ans.stage("graph");
            ans.set("path", json!(rel));
            ans.total(found.len());
            ans.line(&format!(
                "{} {rel}: {}",
                if importers {
                    "files importing"
                } else {
                    "imported by"
                },
                found.len()
            ));
            for (i, (p, line)) in page(&found, offset)?.iter().enumerate() {
                let text = if importers {
                    format!("{p}:{line}")
                } else {
                    format!("{p} (line {line})")
                };
                if !ans.item(offset + i, &text, json!({"path": p, "line": line})) {
                    break;
                }
            }
            Ok(ans.finish(index))
        })
        .await
    }

    #[tool(
        name = "impact",
        title = "Impact of a change",
        description = "What may break if a definition or a file changes: transitive callers, subclasses and other users, and (for a file) transitive importers, ranked nearest and surest first, with the files involved. Ask before editing a widely used definition.",
        annotations(
            title = "Impact of a change",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn impact(
        &self,
        Parameters(a): Parameters<ImpactArgs>,
    ) -> Result<CallToolResult, McpError> {
        self.run(move |reader, index| {
            let target = text_arg("target", &a.target, MAX_NAME_BYTES)?.to_owned();
            let depth = depth_arg(a.depth, 3)?;
            let budget = budget(a.budget_tokens, 2000)?;
            let offset = cursor(a.cursor.as_deref())?;
            let p = a.provenance.unwrap_or_default();
            if p == ProvenanceFilter::Inferred {
                return Err("impact takes provenance any or resolved".into());
            }
            let impact = reader
                .impact(&target, depth, p == ProvenanceFilter::Resolved)
                .map_err(lib_err)?;
            let mut ans = Answer::new(budget);
            ans.stage("graph");
            ans.set("target", json!(impact.target));
            ans.set("files", json!(impact.files));
            ans.total(impact.items.len());
            let mut files = impact
                .files
                .iter()
                .take(12)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if impact.files.len() > 12 {
                files.push_str(&format!(", … ({} files)", impact.files.len()));
            }
            ans.line(&format!(
                "impact of {} (depth {depth}): {} place(s) in {} file(s): {files}",
                impact.target,
                impact.items.len(),
                impact.files.len()
            ));
            for (i, it) in page(&impact.items, offset)?.iter().enumerate() {
                let via = serde_json::to_value(it.via)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let text = format!(
                    "{:.2} {}:{} {} {} [{via}, depth {}, {}]",
                    it.score,
                    it.path,
                    it.line,
                    it.kind.map_or("file", DefKind::as_str),
                    it.symbol,
                    it.depth,
                    provenance_name(it.provenance)
                );
                if !ans.item(
                    offset + i,
                    &text,
                    serde_json::to_value(it).unwrap_or_default(),
                ) {
                    break;
                }
            }
            Ok(ans.finish(index))
        })
        .await
    }

    #[tool(
        name = "repo_map",
        title = "Repository map",
        description = "The repository's most important files (PageRank over imports and calls) with their main definitions' signatures, within a token budget; focus_files and focus_symbols personalise the ranking toward what you are working on.",
        annotations(
            title = "Repository map",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn repo_map(
        &self,
        Parameters(a): Parameters<RepoMapArgs>,
    ) -> Result<CallToolResult, McpError> {
        self.run(move |reader, index| {
            let budget = budget(a.budget_tokens, 1024)?;
            let files = a.focus_files.unwrap_or_default();
            let symbols = a.focus_symbols.unwrap_or_default();
            if files.len() > 50 || symbols.len() > 50 {
                return Err("focus_files and focus_symbols take at most 50 entries each".into());
            }
            let mut focus = Vec::new();
            for f in &files {
                focus.push(
                    reader
                        .relative_path(text_arg("focus_files entry", f, MAX_NAME_BYTES)?)
                        .map_err(lib_err)?,
                );
            }
            let mut unknown = Vec::new();
            for s in &symbols {
                let found = reader
                    .lookup_symbols(text_arg("focus_symbols entry", s, MAX_NAME_BYTES)?)
                    .map_err(lib_err)?;
                if found.is_empty() {
                    unknown.push(s.clone());
                }
                focus.extend(found.into_iter().take(8).map(|s| s.path));
            }
            focus.sort();
            focus.dedup();
            let mut ans = Answer::new(budget);
            ans.stage("focus");
            let map = reader
                .map(&codegraph::MapOptions {
                    budget_tokens: budget.saturating_sub(answer::FOOTER_TOKENS + 40),
                    focus: focus.clone(),
                    ..codegraph::MapOptions::default()
                })
                .map_err(lib_err)?;
            ans.stage("map");
            ans.set("focus", json!(focus));
            if !unknown.is_empty() {
                ans.line(&format!("note: no definition named {}", unknown.join(", ")));
            }
            ans.set("omitted_files", json!(map.omitted_files));
            ans.line(map.text.trim_end());
            for (i, e) in map.files.iter().enumerate() {
                ans.item_data(i, serde_json::to_value(e).unwrap_or_default());
            }
            if map.omitted_files > 0 {
                ans.cut_hint(format!(
                    "{} more files left out; raise budget_tokens or focus on files or symbols",
                    map.omitted_files
                ));
            }
            Ok(ans.finish(index))
        })
        .await
    }

    #[tool(
        name = "completion_context",
        title = "Completion context",
        description = "Context for completing code at a cursor: the definitions the code before the cursor uses (outlines, signatures, docs) and similar code elsewhere, within a token budget. Pass the editor's unsaved text when it differs from the file on disk.",
        annotations(
            title = "Completion context",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn completion_context(
        &self,
        Parameters(a): Parameters<CompletionContextArgs>,
    ) -> Result<CallToolResult, McpError> {
        self.run(move |reader, index| {
            let path = text_arg("path", &a.path, MAX_NAME_BYTES)?;
            let budget = budget(a.budget_tokens, 2048)?;
            if a.line == 0 || a.column == 0 {
                return Err("line and column are 1-based; pass 1 or more".into());
            }
            if let Some(t) = &a.text
                && t.len() > MAX_BUFFER_BYTES
            {
                return Err(format!("text is {} bytes; the limit is {MAX_BUFFER_BYTES}", t.len()));
            }
            let k = match a.k {
                None => 8,
                Some(k) if k <= 32 => k as usize,
                Some(k) => return Err(format!("k is {k}; pass 0 to 32 (default 8)")),
            };
            let rel = reader.relative_path(path).map_err(lib_err)?;
            let mut ans = Answer::new(budget);
            let response = reader
                .context(&codegraph::ContextRequest {
                    path: rel.clone(),
                    line: a.line - 1,
                    column: a.column - 1,
                    buffer: a.text,
                    budget_tokens: budget.saturating_sub(answer::FOOTER_TOKENS + 20),
                    k,
                    deadline: Some(Instant::now() + CALL_DEADLINE),
                    ..codegraph::ContextRequest::default()
                })
                .map_err(lib_err)?;
            ans.stages_from("context_", &response.stats.stages);
            ans.stage("context");
            ans.set("path", json!(rel));
            ans.set("candidates_scanned", json!(response.stats.candidates_scanned));
            ans.line(&format!(
                "context at {rel}:{}:{} ({} definitions, {} snippets, {} candidates scanned)",
                a.line,
                a.column,
                response.structures.len(),
                response.snippets.len(),
                response.stats.candidates_scanned
            ));
            let mut i = 0;
            for s in &response.structures {
                let text = format!("{}:{} {} {} ({})\n{}", s.path, s.start_line, s.kind, s.symbol, s.reason, s.text.trim_end());
                if !ans.item(i, &text, json!({"type": "definition", "path": s.path, "start_line": s.start_line, "end_line": s.end_line, "symbol": s.symbol, "kind": s.kind, "reason": s.reason, "text": s.text})) {
                    break;
                }
                i += 1;
            }
            for s in &response.snippets {
                let text = format!("{}:{}-{} similar ({:.2})\n{}", s.path, s.start_line, s.end_line, s.score, s.text.trim_end());
                if !ans.item(i, &text, json!({"type": "snippet", "path": s.path, "start_line": s.start_line, "end_line": s.end_line, "score": s.score, "text": s.text})) {
                    break;
                }
                i += 1;
            }
            Ok(ans.finish(index))
        })
        .await
    }

    #[tool(
        name = "locate",
        title = "Locate a task",
        description = "Paste a task, issue, bug report or stack trace; get the files and definitions most likely to need a change, each with why (paths and identifiers named in the text, stack frames, similar code, graph neighbours). Start here for a task described in prose.",
        annotations(
            title = "Locate a task",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn locate(
        &self,
        Parameters(a): Parameters<LocateArgs>,
    ) -> Result<CallToolResult, McpError> {
        self.run(move |reader, index| {
            let text = text_arg("text", &a.text, MAX_TASK_BYTES)?.to_owned();
            let limit = limit_arg("limit", a.limit, 10, 30)?;
            let budget = budget(a.budget_tokens, 2000)?;
            let mut ans = Answer::new(budget);
            if !index.has_index() {
                let scan = reader
                    .scan(&text, limit * 4, Some(Instant::now() + CALL_DEADLINE))
                    .map_err(lib_err)?;
                ans.stage("scan");
                ans.line("no index yet: lines from a scan of the files");
                for (i, h) in scan.hits.iter().enumerate() {
                    let t = format!("{}:{}: {}", h.path, h.line, h.text);
                    if !ans.item(i, &t, serde_json::to_value(h).unwrap_or_default()) {
                        break;
                    }
                }
                return Ok(ans.finish(index));
            }
            let located = reader
                .locate(&codegraph::LocateOptions {
                    text,
                    k: limit,
                    deadline: Some(Instant::now() + CALL_DEADLINE),
                })
                .map_err(lib_err)?;
            ans.stages_from("locate_", &located.stages);
            ans.stage("locate");
            ans.set("identifiers", json!(located.identifiers));
            ans.set("paths", json!(located.paths));
            ans.set("stack_frames", json!(located.stack_frames));
            ans.set("candidates", json!(located.candidates));
            if let Some(n) = &located.notice {
                ans.line(&format!("note: {n}"));
            }
            if located.files.is_empty() {
                ans.line("nothing found; try search_code with a few distinctive words");
            }
            for (i, f) in located.files.iter().enumerate() {
                let mut t = format!(
                    "{} (score {:.2}): {}",
                    f.path,
                    f.score,
                    f.reasons.join("; ")
                );
                for d in &f.definitions {
                    t.push_str(&format!(
                        "\n  {}:{} {} {} — {}\n      {}",
                        f.path,
                        d.line,
                        d.kind,
                        d.qualified_name,
                        d.reasons.join("; "),
                        first_line(&d.signature)
                    ));
                }
                if !ans.item(i, &t, serde_json::to_value(f).unwrap_or_default()) {
                    ans.cut_hint("raise budget_tokens or lower limit to see the other files");
                    break;
                }
            }
            Ok(ans.finish(index))
        })
        .await
    }

    #[tool(
        name = "index_status",
        title = "Index status",
        description = "How complete and healthy the index is: files, definitions, edges, embeddings coverage, whether the indexer is running or failed, and any problem with its remedy.",
        annotations(
            title = "Index status",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn index_status(
        &self,
        Parameters(_a): Parameters<IndexStatusArgs>,
    ) -> Result<CallToolResult, McpError> {
        self.run(move |reader, index| {
            let status = reader.status().map_err(lib_err)?;
            let mut ans = Answer::new(4000);
            ans.stage("status");
            let s = &status.stats;
            ans.line(&format!("repository {}", status.repository.root));
            ans.line(&format!("index: {}", index.summary()));
            ans.line(&format!(
                "{} files, {} definitions, {} chunks; graph current: {}; lexical documents: {}",
                s.files,
                s.definitions.values().sum::<u64>(),
                s.chunks,
                status.graph_current,
                status
                    .lexical_documents
                    .map_or("none".into(), |d| d.to_string())
            ));
            ans.line(&format!(
                "embeddings: {} ({}installed), {:.0}% of chunks",
                status.embeddings.model,
                if status.embeddings.installed {
                    ""
                } else {
                    "not "
                },
                status.embeddings.coverage * 100.0
            ));
            if let (Some(i), Some(c)) = (&status.indexed_head, &status.current_head)
                && i != c
            {
                ans.line(&format!("indexed at commit {i}, HEAD is now {c}"));
            }
            for p in &status.problems {
                ans.line(&format!("problem: {p}"));
            }
            ans.set("status", serde_json::to_value(&status).unwrap_or_default());
            Ok(ans.finish(index))
        })
        .await
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for CodegraphMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        )
        .with_server_info(
            Implementation::new("codegraph", env!("CARGO_PKG_VERSION")).with_title("codegraph"),
        )
        .with_instructions(INSTRUCTIONS)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        let mut resources = vec![
            Resource::new(MAP_URI, "repository-map")
                .with_title("Repository map")
                .with_description(
                    "The most important files and their main definitions (2,048 tokens)",
                )
                .with_mime_type("text/plain"),
        ];
        if readme_path(self.live.root()).is_some() {
            resources.push(
                Resource::new(README_URI, "readme")
                    .with_title("README")
                    .with_description("The repository's README")
                    .with_mime_type("text/markdown"),
            );
        }
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let live = self.live.clone();
        let uri = request.uri.clone();
        let text = tokio::task::spawn_blocking(
            move || -> Result<Option<(String, &'static str)>, String> {
                let reader = live.reader();
                match uri.as_str() {
                    MAP_URI => {
                        let map = reader
                            .map(&codegraph::MapOptions {
                                budget_tokens: 2048,
                                ..codegraph::MapOptions::default()
                            })
                            .map_err(lib_err)?;
                        Ok(Some((map.text, "text/plain")))
                    }
                    README_URI => {
                        let Some(name) = readme_path(live.root()) else {
                            return Ok(None);
                        };
                        let lines = reader
                            .source_lines(&name, 1, u32::MAX, 4000)
                            .map_err(lib_err)?;
                        Ok(Some((lines.text, "text/markdown")))
                    }
                    _ => Ok(None),
                }
            },
        )
        .await
        .map_err(|e| McpError::internal_error(e.to_string(), None))?
        .map_err(|e| McpError::internal_error(e, None))?;
        match text {
            Some((text, mime)) => Ok(ReadResourceResult::new(vec![
                ResourceContents::text(text, request.uri.clone()).with_mime_type(mime),
            ])
            .into()),
            None => Err(McpError::resource_not_found(
                format!(
                    "no resource `{}`; resources/list gives {MAP_URI} and {README_URI}",
                    request.uri.chars().take(200).collect::<String>()
                ),
                None,
            )),
        }
    }
}

/// The README at the root, if any.
fn readme_path(root: &std::path::Path) -> Option<String> {
    [
        "README.md",
        "README.rst",
        "README.txt",
        "README",
        "readme.md",
    ]
    .into_iter()
    .find(|n| root.join(n).is_file())
    .map(str::to_owned)
}
