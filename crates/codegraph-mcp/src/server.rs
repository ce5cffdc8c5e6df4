//! The MCP handler: read-only tools over the live index, and the
//! repository map and README as resources.

use crate::answer;
use crate::args::*;
use crate::live::{Completeness, Live, Source};
use crate::tools::{self, lib_err};
use codegraph::Reader;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::{
    CallToolResult, Implementation, ListResourcesResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler, tool, tool_handler, tool_router};
use std::sync::Arc;
use std::time::Duration;

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
        self.run(move |reader, index| tools::search::search_code(reader, index, a))
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
        self.run(move |reader, index| tools::code::find_symbol(reader, index, a))
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
        self.run(move |reader, index| tools::code::file_outline(reader, index, a))
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
        self.run(move |reader, index| tools::code::symbol_outline(reader, index, a))
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
        self.run(move |reader, index| tools::code::read_code(reader, index, a))
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
        self.run(move |reader, index| tools::graph::graph_walk(reader, index, a, callers))
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
        self.run(move |reader, index| tools::graph::references(reader, index, a))
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
        self.run(move |reader, index| tools::graph::file_edges(reader, index, a, importers))
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
        self.run(move |reader, index| tools::graph::impact(reader, index, a))
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
        self.run(move |reader, index| tools::overview::repo_map(reader, index, a))
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
        self.run(move |reader, index| tools::search::completion_context(reader, index, a))
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
        self.run(move |reader, index| tools::search::locate(reader, index, a))
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
        self.run(move |reader, index| tools::overview::index_status(reader, index, _a))
            .await
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for CodegraphMcp {
    fn get_info(&self) -> ServerConfig {
        server_info()
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

/// What the server says of itself at `initialize`.
pub(crate) fn server_info() -> ServerConfig {
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
