//! The four services. Each call validates its request against the limits,
//! resolves the repository and every path inside it, then runs the library
//! call on the blocking pool against the repository's current reader, under
//! the client's deadline.

use crate::convert::{self, Encoding, invalid};
use crate::limits::{self as lim, ranged};
use crate::pb;
use crate::registry::{Registry, Repo, RepoConfig, now_secs, repo_id};
use codegraph::Codegraph;
use std::path::{Component, Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

/// The shared state of the services.
#[derive(Debug, Clone)]
pub struct Services {
    pub registry: Arc<Registry>,
}

/// The client's deadline (`grpc-timeout`), if it sent one.
fn deadline<T>(request: &Request<T>) -> Option<Duration> {
    let v = request.metadata().get("grpc-timeout")?.to_str().ok()?;
    let (n, unit) = v.split_at(v.len().checked_sub(1)?);
    let n: u64 = n.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// Runs `f` on the blocking pool; past the deadline the caller gets
/// DEADLINE_EXCEEDED at once and work still queued never starts. Search and
/// context also pass the deadline to the library, which stops at its next
/// stage; graph calls (a few milliseconds once the graph is loaded, and a
/// load serves every later call) run to their end, with nobody waiting.
async fn blocking<T: Send + 'static>(
    deadline: Option<Duration>,
    f: impl FnOnce() -> Result<T, Status> + Send + 'static,
) -> Result<T, Status> {
    if deadline.is_some_and(|d| d.is_zero()) {
        return Err(Status::deadline_exceeded(
            "the deadline passed before work began",
        ));
    }
    // Work still queued when the deadline passes is not started.
    let expires = deadline.map(|d| std::time::Instant::now() + d);
    let task = tokio::task::spawn_blocking(move || {
        if expires.is_some_and(|e| std::time::Instant::now() >= e) {
            return Err(Status::deadline_exceeded(
                "the deadline passed while the request waited",
            ));
        }
        f()
    });
    let joined = match deadline {
        Some(d) => tokio::time::timeout(d, task)
            .await
            .map_err(|_| Status::deadline_exceeded("the deadline passed"))?,
        None => task.await,
    };
    joined.map_err(|e| Status::internal(format!("the request failed: {e}")))?
}

/// Logs (debug) a library call that took over 20 ms, with its stages.
fn slow(kind: &str, started: std::time::Instant, stages: &std::collections::BTreeMap<String, f64>) {
    let ms = started.elapsed().as_secs_f64() * 1e3;
    if ms > 20.0 {
        tracing::debug!(kind, ms, ?stages, "slow request");
    }
}

/// `path` (relative to the root, or absolute) as a root-relative path,
/// after resolving `..` and symlinks; refused unless it lies inside the
/// repository. Nothing outside is read: only path metadata is resolved.
pub fn inside(root: &Path, path: &str) -> Result<String, Status> {
    if path.is_empty() {
        return Err(invalid("path is empty"));
    }
    if path.len() > lim::MAX_PATH_BYTES || path.contains('\0') {
        return Err(invalid("path is too long or contains NUL"));
    }
    let p = Path::new(path);
    let joined = if p.is_absolute() {
        p.to_owned()
    } else {
        root.join(p)
    };
    // The deepest existing ancestor, canonical (symlinks resolved), plus
    // the rest normalised lexically.
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    let mut base = joined.clone();
    let canonical = loop {
        match base.canonicalize() {
            Ok(c) => break c,
            Err(_) => {
                let Some(name) = base.file_name() else {
                    return Err(Status::permission_denied(format!(
                        "{path}: outside the repository"
                    )));
                };
                rest.push(name.to_owned());
                if !base.pop() {
                    return Err(Status::permission_denied(format!(
                        "{path}: outside the repository"
                    )));
                }
            }
        }
    };
    let mut full = canonical;
    for part in rest.iter().rev() {
        match Path::new(part).components().next() {
            Some(Component::ParentDir) => {
                full.pop();
            }
            Some(Component::CurDir) | None => {}
            Some(_) => full.push(part),
        }
    }
    match full.strip_prefix(root) {
        Ok(rel) if !rel.as_os_str().is_empty() => Ok(rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")),
        _ => Err(Status::permission_denied(format!(
            "{path}: outside the repository {}",
            root.display()
        ))),
    }
}

fn paths(root: &Path, list: &[String], max: usize, what: &str) -> Result<Vec<String>, Status> {
    if list.len() > max {
        return Err(invalid(format!("at most {max} {what}; got {}", list.len())));
    }
    list.iter().map(|p| inside(root, p)).collect()
}

fn ready(repo: &Repo) -> Result<Arc<Codegraph>, Status> {
    if !repo.state.borrow().indexed {
        return Err(Status::failed_precondition(format!(
            "{}: the first index is not complete yet (follow IndexService.WatchProgress)",
            repo.config.root.display()
        )));
    }
    Ok(repo.reader())
}

type Stream_<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl pb::index_service_server::IndexService for Services {
    async fn register_repository(
        &self,
        request: Request<pb::RegisterRepositoryRequest>,
    ) -> Result<Response<pb::RegisterRepositoryResponse>, Status> {
        let r = request.into_inner();
        if r.path.is_empty() || r.path.len() > lim::MAX_PATH_BYTES {
            return Err(invalid("path must be 1..4096 bytes"));
        }
        let o = r.options.unwrap_or_default();
        let root = PathBuf::from(&r.path)
            .canonicalize()
            .map_err(|e| Status::not_found(format!("{}: {e}", r.path)))?;
        if !root.is_dir() {
            return Err(invalid(format!("{}: not a directory", r.path)));
        }
        let root_text = root.to_string_lossy();
        if root_text.contains(['\t', '\n', '\r']) {
            return Err(invalid(
                "repository paths with tabs or newlines are not supported",
            ));
        }
        if !o.index_dir.is_empty() {
            return Err(Status::permission_denied(
                "index_dir: the server keeps indexes in its own cache directory",
            ));
        }
        if !o.exclude_globs.is_empty() {
            return Err(invalid(
                "exclude_globs is not supported yet: use exclude_dir_names or a .codegraphignore file",
            ));
        }
        if o.follow_symlinks {
            return Err(invalid("follow_symlinks is not supported over the API"));
        }
        if o.exclude_dir_names.len() > lim::MAX_EXCLUDES
            || o.exclude_dir_names
                .iter()
                .any(|n| n.is_empty() || n.contains(['/', ',', '\t', '\n']))
        {
            return Err(invalid(
                "exclude_dir_names: at most 256 plain directory names",
            ));
        }
        if o.max_file_size_bytes > lim::MAX_FILE_SIZE {
            return Err(invalid("max_file_size_bytes: at most 64 MiB"));
        }
        let config = RepoConfig {
            id: repo_id(&root),
            index_dir: codegraph::index_dir_in(&self.registry.cache_dir, &root),
            root,
            embed: o.embed.unwrap_or(true),
            watch: o.watch.unwrap_or(true),
            quiet_ms: ranged(
                "watch_quiet_ms",
                o.watch_quiet_ms,
                lim::DEFAULT_QUIET_MS,
                lim::MAX_QUIET_MS,
            )?,
            max_wait_ms: ranged(
                "watch_max_wait_ms",
                o.watch_max_wait_ms,
                lim::DEFAULT_MAX_WAIT_MS,
                lim::MAX_MAX_WAIT_MS,
            )?,
            exclude_dir_names: o.exclude_dir_names,
            max_file_size: o.max_file_size_bytes,
            registered_at: now_secs(),
        };
        let registry = self.registry.clone();
        let (repo, run_id) = blocking(None, move || registry.register(config)).await?;
        Ok(Response::new(pb::RegisterRepositoryResponse {
            repository: Some(repo.to_proto()),
            run_id,
        }))
    }

    async fn unregister_repository(
        &self,
        request: Request<pb::UnregisterRepositoryRequest>,
    ) -> Result<Response<pb::UnregisterRepositoryResponse>, Status> {
        let r = request.into_inner();
        let repo = self.registry.get(&r.repository)?;
        let registry = self.registry.clone();
        let proto = repo.to_proto();
        let deleted = blocking(None, move || registry.unregister(&repo, r.delete_index)).await?;
        Ok(Response::new(pb::UnregisterRepositoryResponse {
            repository: Some(proto),
            index_deleted: deleted,
        }))
    }

    async fn list_repositories(
        &self,
        request: Request<pb::ListRepositoriesRequest>,
    ) -> Result<Response<pb::ListRepositoriesResponse>, Status> {
        let r = request.into_inner();
        let size = match r.page_size {
            0 => lim::DEFAULT_PAGE_SIZE,
            n if (1..=lim::MAX_PAGE_SIZE).contains(&n) => n,
            n => return Err(invalid(format!("page_size must be 0..1000; got {n}"))),
        } as usize;
        let all = self.registry.list();
        let start = if r.page_token.is_empty() {
            0
        } else {
            all.iter()
                .position(|x| x.config.id.as_str() > r.page_token.as_str())
                .unwrap_or(all.len())
        };
        let page: Vec<_> = all.iter().skip(start).take(size).collect();
        let next = if start + page.len() < all.len() {
            page.last().map(|r| r.config.id.clone()).unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Response::new(pb::ListRepositoriesResponse {
            repositories: page.iter().map(|r| r.to_proto()).collect(),
            next_page_token: next,
        }))
    }

    async fn get_status(
        &self,
        request: Request<pb::GetStatusRequest>,
    ) -> Result<Response<pb::GetStatusResponse>, Status> {
        let d = deadline(&request);
        let r = request.into_inner();
        let repo = self.registry.get(&r.repository)?;
        let reader = repo.reader();
        let max_skipped = r.max_skipped_files as usize;
        let status = blocking(d, move || {
            let s = reader.status().map_err(convert::status)?;
            let edges = reader
                .store()
                .edge_counts()
                .map_err(|e| convert::status(e.into()))?;
            let resolution = reader.resolution_stats().map_err(convert::status)?;
            let skipped = if max_skipped > 0 {
                reader
                    .store()
                    .skipped()
                    .map_err(|e| convert::status(e.into()))?
            } else {
                Vec::new()
            };
            Ok((s, skipped, edges, resolution))
        })
        .await?;
        let (s, skipped, edges, resolution) = status;
        let state = repo.state.borrow().clone();
        let stats = &s.stats;
        let e = &s.embeddings;
        Ok(Response::new(pb::GetStatusResponse {
            repository: Some(repo.to_proto()),
            progress: Some(state.progress.clone()),
            last_run: state.last_run.clone(),
            last_index_duration_ms: s.last_index_ms.unwrap_or(0),
            files: Some(pb::FileStatus {
                indexed: stats.files,
                indexed_by_language: stats.files_by_language.clone().into_iter().collect(),
                skipped: stats.skipped.values().sum(),
                skipped_by_reason: stats.skipped.clone().into_iter().collect(),
                failed_to_parse: stats.files_with_diagnostics,
                with_diagnostics: stats.files_with_diagnostics,
                diagnostics: stats.diagnostics,
                skipped_files: skipped
                    .into_iter()
                    .take(max_skipped)
                    .map(|k| pb::SkippedFile {
                        path: k.path,
                        reason: k.reason,
                        detail: k.detail,
                    })
                    .collect(),
            }),
            content: Some(pb::ContentStatus {
                definitions: stats.definitions.values().sum(),
                definitions_by_kind: stats.definitions.clone().into_iter().collect(),
                chunks: stats.chunks,
                imports: stats.imports,
                calls: stats.calls,
                inheritance: stats.inheritance,
                vocabulary_tokens: stats.tokens,
            }),
            graph: Some(pb::GraphStatus {
                current: s.graph_current,
                edges: edges.iter().map(|(_, n)| n).sum(),
                edges_by_kind: edges.into_iter().collect(),
                calls: resolution.calls,
                calls_resolved: resolution.calls_resolved,
                calls_inferred: resolution.calls_inferred,
                calls_unresolved: resolution.calls_unresolved,
                imports: resolution.imports,
                imports_to_files: resolution.imports_to_files,
                imports_external: resolution.imports_external,
                inheritance: resolution.inheritance,
                inheritance_resolved: resolution.inheritance_resolved,
                inheritance_inferred: resolution.inheritance_inferred,
            }),
            lexical_index: Some(pb::LexicalIndexStatus {
                pending_files: s.search_pending,
            }),
            embeddings: Some(pb::EmbeddingStatus {
                model: e.model.clone(),
                installed: e.installed,
                enabled: repo.config.embed,
                done: e.done,
                pending: e.pending,
                coverage: e.coverage,
            }),
            vector_index: Some(pb::VectorIndexStatus {
                points: e.done,
                coverage: e.coverage,
                current: e.pending == 0,
            }),
            watcher: Some(pb::WatcherStatus {
                state: state.watcher,
                last_update_time: state.last_update_at.map(convert::timestamp),
                last_update_latency_ms: state.last_latency_ms,
                updates: state.updates,
                error_message: state.watcher_error.clone(),
            }),
            git: Some(pb::GitStatus {
                remote_url: s.repository.remote_url.clone().unwrap_or_default(),
                branch: s.repository.branch.clone().unwrap_or_default(),
                indexed_head_commit: s.indexed_head.clone().unwrap_or_default(),
                current_head_commit: s.current_head.clone().unwrap_or_default(),
                readme_summary: s.repository.readme.clone().unwrap_or_default(),
            }),
            format_version: s.format_version,
            size_on_disk_bytes: s.size_on_disk,
            server_resident_memory_bytes: codegraph::resident_memory().unwrap_or(0),
        }))
    }

    type WatchProgressStream = Stream_<pb::WatchProgressResponse>;

    async fn watch_progress(
        &self,
        request: Request<pb::WatchProgressRequest>,
    ) -> Result<Response<Self::WatchProgressStream>, Status> {
        let r = request.into_inner();
        let repo = self.registry.get(&r.repository)?;
        let mut rx = repo.state.subscribe();
        let id = repo.config.id.clone();
        let until_ready = r.until_ready;
        drop(repo);
        let stream = async_stream(move |tx| async move {
            let mut last_summary: Option<u64> = None;
            loop {
                let event = {
                    let s = rx.borrow_and_update();
                    let summary = s
                        .last_run
                        .clone()
                        .filter(|_| s.finished)
                        .filter(|x| last_summary != Some(x.run_id) || !until_ready);
                    if let Some(x) = &summary {
                        last_summary = Some(x.run_id);
                    }
                    pb::WatchProgressResponse {
                        repository_id: id.clone(),
                        progress: Some(s.progress.clone()),
                        event_time: Some(convert::timestamp(now_secs())),
                        run_finished: s.finished,
                        summary,
                    }
                };
                let done = until_ready
                    && event.run_finished
                    && event.progress.as_ref().is_some_and(|p| {
                        p.phase == pb::IndexPhase::Ready as i32
                            || p.phase == pb::IndexPhase::Failed as i32
                    });
                if tx.send(Ok(event)).await.is_err() || done {
                    return;
                }
                if rx.changed().await.is_err() {
                    return; // unregistered
                }
            }
        });
        Ok(Response::new(Box::pin(stream)))
    }

    async fn reindex(
        &self,
        request: Request<pb::ReindexRequest>,
    ) -> Result<Response<pb::ReindexResponse>, Status> {
        let r = request.into_inner();
        let repo = self.registry.get(&r.repository)?;
        let full = match pb::ReindexMode::try_from(r.mode) {
            Ok(pb::ReindexMode::Unspecified | pb::ReindexMode::Incremental) => false,
            Ok(pb::ReindexMode::Full) => true,
            Err(_) => return Err(invalid(format!("unknown reindex mode {}", r.mode))),
        };
        let mut rx = repo.state.subscribe();
        let before = rx.borrow_and_update().progress.run_id;
        repo.reindex(full)?;
        if !r.wait {
            return Ok(Response::new(pb::ReindexResponse {
                run_id: before + 1,
                summary: None,
            }));
        }
        loop {
            {
                let s = rx.borrow_and_update();
                if s.finished && s.progress.run_id > before {
                    return Ok(Response::new(pb::ReindexResponse {
                        run_id: s.progress.run_id,
                        summary: s.last_run.clone(),
                    }));
                }
            }
            rx.changed()
                .await
                .map_err(|_| Status::aborted("the repository was unregistered"))?;
        }
    }
}

/// A stream fed by a task through a bounded channel.
fn async_stream<T, F, Fut>(f: F) -> impl Stream<Item = Result<T, Status>> + Send + 'static
where
    T: Send + 'static,
    F: FnOnce(tokio::sync::mpsc::Sender<Result<T, Status>>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(f(tx));
    tokio_stream::wrappers::ReceiverStream::new(rx)
}

#[tonic::async_trait]
impl pb::search_service_server::SearchService for Services {
    async fn search(
        &self,
        request: Request<pb::SearchRequest>,
    ) -> Result<Response<pb::SearchResponse>, Status> {
        let d = deadline(&request);
        let r = request.into_inner();
        let repo = self.registry.get(&r.repository)?;
        let enc = Encoding::from_proto(r.position_encoding.as_ref())?;
        let query = r.query.trim();
        if query.is_empty() {
            return Err(invalid("query is empty"));
        }
        if query.len() > lim::MAX_QUERY_BYTES {
            return Err(invalid(format!(
                "query is {} bytes; at most {}",
                query.len(),
                lim::MAX_QUERY_BYTES
            )));
        }
        let k = ranged("k", r.k, lim::DEFAULT_K, lim::MAX_K)?;
        let mode = convert::search_mode(r.mode)?;
        for (name, v) in [("language", &r.language), ("kind", &r.kind)] {
            if v.len() > lim::MAX_FILTER_BYTES {
                return Err(invalid(format!("{name} is over 64 bytes")));
            }
        }
        if r.path_globs.len() > lim::MAX_GLOBS
            || r.path_globs.iter().any(|g| g.len() > lim::MAX_GLOB_BYTES)
        {
            return Err(invalid("at most 32 path globs of at most 1 KiB each"));
        }
        let path_glob = match r.path_globs.as_slice() {
            [] => None,
            [one] => Some(one.clone()),
            many if many.iter().any(|g| g.contains(['{', '}'])) => {
                return Err(invalid(
                    "several path globs cannot contain braces; send one glob with {a,b}",
                ));
            }
            many => Some(format!("{{{}}}", many.join(","))),
        };
        let focus = paths(
            &repo.config.root,
            &r.focus_files,
            lim::MAX_FOCUS_FILES,
            "focus files",
        )?;
        let pagerank_weight = match r.pagerank_weight {
            None => codegraph::DEFAULT_PAGERANK_WEIGHT,
            Some(w) if (0.0..=lim::MAX_PAGERANK_WEIGHT).contains(&w) => w,
            Some(w) => return Err(invalid(format!("pagerank_weight must be 0..10; got {w}"))),
        };
        let rrf_k = match r.rrf_k {
            0.0 => lim::DEFAULT_RRF_K,
            v if v > 0.0 && v <= lim::MAX_RRF_K => v,
            v => return Err(invalid(format!("rrf_k must be in (0, 1000000]; got {v}"))),
        };
        let group_by_file = match pb::SearchGrouping::try_from(r.group_by) {
            Ok(pb::SearchGrouping::File) => true,
            Ok(_) => false,
            Err(_) => return Err(invalid(format!("unknown grouping {}", r.group_by))),
        };
        let truncated = query.len() > codegraph::MAX_QUERY_BYTES;
        let options = codegraph::SearchOptions {
            query: query.to_owned(),
            k: k as usize,
            mode,
            language: (!r.language.is_empty()).then_some(r.language),
            kind: (!r.kind.is_empty()).then_some(r.kind),
            path_glob,
            group_by_file,
            focus,
            rrf_k,
            pagerank_weight,
            // Work stops at the library's next stage once the deadline passes.
            deadline: d.map(|d| std::time::Instant::now() + d),
        };
        let reader = ready(&repo)?;
        let answer = blocking(d, move || {
            let t = std::time::Instant::now();
            let answer = reader.search(&options).map_err(convert::status)?;
            slow("search", t, &answer.stages);
            Ok(answer)
        })
        .await?;
        Ok(Response::new(convert::search_response(
            answer, truncated, enc,
        )))
    }
}

#[tonic::async_trait]
impl pb::context_service_server::ContextService for Services {
    async fn get_completion_context(
        &self,
        request: Request<pb::GetCompletionContextRequest>,
    ) -> Result<Response<pb::GetCompletionContextResponse>, Status> {
        let d = deadline(&request);
        let r = request.into_inner();
        let repo = self.registry.get(&r.repository)?;
        let enc = Encoding::from_proto(r.position_encoding.as_ref())?;
        let path = inside(&repo.config.root, &r.path)?;
        let cursor = r.cursor.unwrap_or_default();
        let (line, column) = enc.cursor(&cursor)?;
        if r.buffer
            .as_ref()
            .is_some_and(|b| b.len() > lim::MAX_BUFFER_BYTES)
        {
            return Err(invalid("buffer is over 8 MiB"));
        }
        let recent = paths(
            &repo.config.root,
            &r.recent_files,
            lim::MAX_RECENT_FILES,
            "recent files",
        )?;
        let request = codegraph::ContextRequest {
            path,
            line,
            column,
            encoding: enc.unit,
            buffer: r.buffer,
            budget_tokens: ranged(
                "budget_tokens",
                r.budget_tokens,
                lim::DEFAULT_BUDGET_TOKENS,
                lim::MAX_BUDGET_TOKENS,
            )? as usize,
            k: ranged("k", r.k, lim::DEFAULT_CONTEXT_K, lim::MAX_CONTEXT_K)? as usize,
            max_files: ranged(
                "max_files",
                r.max_files,
                lim::DEFAULT_MAX_FILES,
                lim::MAX_MAX_FILES,
            )? as usize,
            max_candidates: ranged(
                "max_candidates",
                r.max_candidates,
                lim::DEFAULT_MAX_CANDIDATES,
                lim::MAX_MAX_CANDIDATES,
            )? as usize,
            window_lines: ranged(
                "window_lines",
                r.window_lines,
                lim::DEFAULT_WINDOW_LINES,
                lim::MAX_WINDOW_LINES,
            )? as usize,
            suffix_lines: if r.suffix_lines > lim::MAX_SUFFIX_LINES {
                return Err(invalid("suffix_lines: at most 1000"));
            } else {
                r.suffix_lines as usize
            },
            continuation: r.continuation,
            similarity: convert::similarity(r.similarity)?,
            recent_files: recent,
            deadline: d.map(|d| std::time::Instant::now() + d),
        };
        let continuation = request.continuation;
        let reader = ready(&repo)?;
        let answer = blocking(d, move || {
            let t = std::time::Instant::now();
            let answer = reader.context(&request).map_err(convert::status)?;
            slow("context", t, &answer.stats.stages);
            Ok(answer)
        })
        .await?;
        Ok(Response::new(convert::context_response(
            answer,
            continuation,
            enc,
        )))
    }
}

/// A symbol selector as a name the library resolves.
fn symbol_name(reader: &Codegraph, s: Option<pb::SymbolRef>) -> Result<String, Status> {
    match s.and_then(|s| s.selector) {
        Some(pb::symbol_ref::Selector::Name(n)) => {
            if n.is_empty() || n.len() > lim::MAX_SYMBOL_BYTES {
                return Err(invalid("symbol name must be 1..1024 bytes"));
            }
            Ok(n)
        }
        Some(pb::symbol_ref::Selector::Id(id)) => {
            let graph = reader.graph().map_err(convert::status)?;
            let n = graph
                .def_node(id)
                .ok_or_else(|| Status::not_found(format!("no definition with id {id}")))?;
            match graph.node(n) {
                codegraph::Node::Symbol(s) => Ok(s.qualified_name.clone()),
                _ => Err(Status::not_found(format!("no definition with id {id}"))),
            }
        }
        None => Err(invalid("symbol is required (a name or an id)")),
    }
}

fn target_symbol(reader: &Codegraph, name: &str, enc: Encoding) -> Result<pb::Symbol, Status> {
    let n = reader.resolve_symbol(name).map_err(convert::status)?;
    match reader.graph().map_err(convert::status)?.node(n) {
        codegraph::Node::Symbol(s) => Ok(convert::graph_symbol(s, enc)),
        _ => Err(Status::not_found(format!("{name}: not a definition"))),
    }
}

/// Callers or callees, with each entry's definition id where it is unique.
fn calls(
    reader: &Codegraph,
    symbol: Option<pb::SymbolRef>,
    depth: u32,
    resolved_only: bool,
    limit: u32,
    enc: Encoding,
    callers: bool,
) -> Result<(pb::Symbol, Vec<pb::CallGraphEntry>, bool), Status> {
    let name = symbol_name(reader, symbol)?;
    let depth = ranged("depth", depth, lim::DEFAULT_DEPTH, lim::MAX_DEPTH)? as usize;
    let limit = ranged("limit", limit, lim::DEFAULT_CALL_LIMIT, lim::MAX_CALL_LIMIT)? as usize;
    let target = target_symbol(reader, &name, enc)?;
    let related = if callers {
        reader.callers(&name, depth, resolved_only)
    } else {
        reader.callees(&name, depth, resolved_only)
    }
    .map_err(convert::status)?;
    let truncated = related.len() > limit;
    let graph = reader.graph().map_err(convert::status)?;
    let entries = related
        .into_iter()
        .take(limit)
        .map(|r| {
            let ids: Vec<i64> = graph
                .find_symbols(&r.symbol)
                .into_iter()
                .filter_map(|n| match graph.node(n) {
                    codegraph::Node::Symbol(s) if s.path == r.path && s.line == r.line => {
                        Some(s.id)
                    }
                    _ => None,
                })
                .collect();
            let id = (ids.len() == 1).then(|| ids[0]);
            convert::call_entry(r, id, enc)
        })
        .collect();
    Ok((target, entries, truncated))
}

/// What the paired graph RPCs (callers / callees, imports / importers)
/// share: they differ only in their message types.
impl Services {
    #[allow(clippy::too_many_arguments)]
    async fn call_graph(
        &self,
        d: Option<Duration>,
        repository: &str,
        symbol: Option<pb::SymbolRef>,
        depth: u32,
        resolved_only: bool,
        limit: u32,
        position_encoding: Option<pb::PositionEncoding>,
        callers: bool,
    ) -> Result<(pb::Symbol, Vec<pb::CallGraphEntry>, bool, Encoding), Status> {
        let repo = self.registry.get(repository)?;
        let enc = Encoding::from_proto(position_encoding.as_ref())?;
        let reader = ready(&repo)?;
        let (target, entries, truncated) = blocking(d, move || {
            calls(&reader, symbol, depth, resolved_only, limit, enc, callers)
        })
        .await?;
        Ok((target, entries, truncated, enc))
    }

    async fn import_links(
        &self,
        d: Option<Duration>,
        repository: &str,
        path: &str,
        position_encoding: Option<pb::PositionEncoding>,
        importers: bool,
    ) -> Result<(Vec<pb::ImportLink>, Encoding), Status> {
        let repo = self.registry.get(repository)?;
        let enc = Encoding::from_proto(position_encoding.as_ref())?;
        let path = repo.config.root.join(inside(&repo.config.root, path)?);
        let reader = ready(&repo)?;
        let links = blocking(d, move || {
            let path = path.to_string_lossy();
            if importers {
                reader.importers(&path)
            } else {
                reader.imports(&path)
            }
            .map_err(convert::status)
        })
        .await?;
        Ok((
            links
                .into_iter()
                .map(|(t, line)| convert::import_link(t, line, enc))
                .collect(),
            enc,
        ))
    }
}

#[tonic::async_trait]
impl pb::graph_service_server::GraphService for Services {
    async fn lookup_symbol(
        &self,
        request: Request<pb::LookupSymbolRequest>,
    ) -> Result<Response<pb::LookupSymbolResponse>, Status> {
        let d = deadline(&request);
        let r = request.into_inner();
        let repo = self.registry.get(&r.repository)?;
        let enc = Encoding::from_proto(r.position_encoding.as_ref())?;
        if r.name.is_empty() || r.name.len() > lim::MAX_SYMBOL_BYTES {
            return Err(invalid("name must be 1..1024 bytes"));
        }
        let limit = ranged(
            "limit",
            r.limit,
            lim::DEFAULT_LOOKUP_LIMIT,
            lim::MAX_LOOKUP_LIMIT,
        )? as usize;
        let reader = ready(&repo)?;
        let (symbols, truncated) = blocking(d, move || {
            let graph = reader.graph().map_err(convert::status)?;
            let found = graph.find_symbols(&r.name);
            let truncated = found.len() > limit;
            let symbols = found
                .into_iter()
                .take(limit)
                .filter_map(|n| match graph.node(n) {
                    codegraph::Node::Symbol(s) => Some(convert::graph_symbol(s, enc)),
                    _ => None,
                })
                .collect();
            Ok((symbols, truncated))
        })
        .await?;
        Ok(Response::new(pb::LookupSymbolResponse {
            symbols,
            truncated,
            position_encoding: Some(enc.to_proto()),
        }))
    }

    async fn list_file_symbols(
        &self,
        request: Request<pb::ListFileSymbolsRequest>,
    ) -> Result<Response<pb::ListFileSymbolsResponse>, Status> {
        let d = deadline(&request);
        let r = request.into_inner();
        let repo = self.registry.get(&r.repository)?;
        let enc = Encoding::from_proto(r.position_encoding.as_ref())?;
        let path = inside(&repo.config.root, &r.path)?;
        let limit = ranged(
            "limit",
            r.limit,
            lim::DEFAULT_FILE_SYMBOLS_LIMIT,
            lim::MAX_FILE_SYMBOLS_LIMIT,
        )? as usize;
        let reader = ready(&repo)?;
        let defs = blocking(d, move || {
            reader.symbols_in_file(&path).map_err(convert::status)
        })
        .await?;
        let truncated = defs.len() > limit;
        Ok(Response::new(pb::ListFileSymbolsResponse {
            symbols: defs
                .into_iter()
                .take(limit)
                .map(|x| convert::definition(x, enc))
                .collect(),
            truncated,
            position_encoding: Some(enc.to_proto()),
        }))
    }

    async fn list_callers(
        &self,
        request: Request<pb::ListCallersRequest>,
    ) -> Result<Response<pb::ListCallersResponse>, Status> {
        let d = deadline(&request);
        let r = request.into_inner();
        let (target, callers, truncated, enc) = self
            .call_graph(
                d,
                &r.repository,
                r.symbol,
                r.depth,
                r.resolved_only,
                r.limit,
                r.position_encoding,
                true,
            )
            .await?;
        Ok(Response::new(pb::ListCallersResponse {
            target: Some(target),
            callers,
            truncated,
            position_encoding: Some(enc.to_proto()),
        }))
    }

    async fn list_callees(
        &self,
        request: Request<pb::ListCalleesRequest>,
    ) -> Result<Response<pb::ListCalleesResponse>, Status> {
        let d = deadline(&request);
        let r = request.into_inner();
        let (target, callees, truncated, enc) = self
            .call_graph(
                d,
                &r.repository,
                r.symbol,
                r.depth,
                r.resolved_only,
                r.limit,
                r.position_encoding,
                false,
            )
            .await?;
        Ok(Response::new(pb::ListCalleesResponse {
            target: Some(target),
            callees,
            truncated,
            position_encoding: Some(enc.to_proto()),
        }))
    }

    async fn list_imports(
        &self,
        request: Request<pb::ListImportsRequest>,
    ) -> Result<Response<pb::ListImportsResponse>, Status> {
        let d = deadline(&request);
        let r = request.into_inner();
        let (imports, enc) = self
            .import_links(d, &r.repository, &r.path, r.position_encoding, false)
            .await?;
        Ok(Response::new(pb::ListImportsResponse {
            imports,
            position_encoding: Some(enc.to_proto()),
        }))
    }

    async fn list_importers(
        &self,
        request: Request<pb::ListImportersRequest>,
    ) -> Result<Response<pb::ListImportersResponse>, Status> {
        let d = deadline(&request);
        let r = request.into_inner();
        let (importers, enc) = self
            .import_links(d, &r.repository, &r.path, r.position_encoding, true)
            .await?;
        Ok(Response::new(pb::ListImportersResponse {
            importers,
            position_encoding: Some(enc.to_proto()),
        }))
    }

    async fn get_neighbors(
        &self,
        request: Request<pb::GetNeighborsRequest>,
    ) -> Result<Response<pb::GetNeighborsResponse>, Status> {
        let d = deadline(&request);
        let r = request.into_inner();
        let repo = self.registry.get(&r.repository)?;
        let enc = Encoding::from_proto(r.position_encoding.as_ref())?;
        let hops = ranged("hops", r.hops, lim::DEFAULT_HOPS, lim::MAX_HOPS)? as usize;
        let limit = ranged(
            "limit",
            r.limit,
            lim::DEFAULT_NEIGHBOR_LIMIT,
            lim::MAX_NEIGHBOR_LIMIT,
        )? as usize;
        let root = repo.config.root.clone();
        let reader = ready(&repo)?;
        let sub = blocking(d, move || {
            let target = match r.target {
                Some(pb::get_neighbors_request::Target::Path(p)) => {
                    root.join(inside(&root, &p)?).to_string_lossy().into_owned()
                }
                Some(pb::get_neighbors_request::Target::Symbol(s)) => {
                    symbol_name(&reader, Some(s))?
                }
                None => return Err(invalid("target is required (a path or a symbol)")),
            };
            reader
                .neighbors(&target, hops, limit)
                .map_err(convert::status)
        })
        .await?;
        Ok(Response::new(convert::subgraph(sub, limit, enc)))
    }

    async fn get_repository_map(
        &self,
        request: Request<pb::GetRepositoryMapRequest>,
    ) -> Result<Response<pb::GetRepositoryMapResponse>, Status> {
        let d = deadline(&request);
        let r = request.into_inner();
        let repo = self.registry.get(&r.repository)?;
        let enc = Encoding::from_proto(r.position_encoding.as_ref())?;
        let budget = ranged(
            "budget_tokens",
            r.budget_tokens,
            lim::DEFAULT_MAP_BUDGET,
            lim::MAX_BUDGET_TOKENS,
        )? as usize;
        let focus = paths(
            &repo.config.root,
            &r.focus_files,
            lim::MAX_FOCUS_FILES,
            "focus files",
        )?;
        let reader = ready(&repo)?;
        let map = blocking(d, move || {
            reader
                .map(&codegraph::MapOptions {
                    budget_tokens: budget,
                    focus,
                    ..codegraph::MapOptions::default()
                })
                .map_err(convert::status)
        })
        .await?;
        Ok(Response::new(convert::repo_map(map, enc)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn work_past_its_deadline_is_refused_or_abandoned() {
        let code = |r: Result<(), Status>| r.map_err(|e| e.code());
        // No time left: refused before any work.
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = ran.clone();
        let r = blocking(Some(Duration::ZERO), move || {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        })
        .await;
        assert_eq!(code(r), Err(tonic::Code::DeadlineExceeded));
        assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
        // Work longer than the deadline: the caller hears at the deadline.
        let t = std::time::Instant::now();
        let r = blocking(Some(Duration::from_millis(50)), || {
            std::thread::sleep(Duration::from_millis(2000));
            Ok(())
        })
        .await;
        assert_eq!(code(r), Err(tonic::Code::DeadlineExceeded));
        assert!(
            t.elapsed() < Duration::from_millis(1500),
            "{:?}",
            t.elapsed()
        );
        // The library's own deadline error keeps its code.
        let r = blocking(Some(Duration::from_secs(30)), || {
            Err(convert::status(codegraph::Error::DeadlineExceeded("fetch")))
        })
        .await;
        assert_eq!(code(r), Err(tonic::Code::DeadlineExceeded));
        // Time to spare: answered.
        let r = blocking(Some(Duration::from_secs(30)), || Ok(())).await;
        assert_eq!(code(r), Ok(()));
    }

    #[test]
    fn paths_must_stay_inside_the_repository() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join("src/a.py"), "x = 1\n").unwrap();
        assert_eq!(inside(&root, "src/a.py").unwrap(), "src/a.py");
        assert_eq!(inside(&root, "./src/../src/a.py").unwrap(), "src/a.py");
        // Not yet on disk (an unsaved buffer): normalised lexically.
        assert_eq!(inside(&root, "src/new/b.py").unwrap(), "src/new/b.py");
        for bad in [
            "../etc/passwd",
            "/etc/passwd",
            "src/../../x",
            "src/new/../../../x",
            "",
        ] {
            let e = inside(&root, bad).unwrap_err();
            assert!(
                matches!(
                    e.code(),
                    tonic::Code::PermissionDenied | tonic::Code::InvalidArgument
                ),
                "{bad}: {e:?}"
            );
        }
        // A symlink out of the repository is followed, then refused.
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("link")).unwrap();
        assert_eq!(
            inside(&root, "link/secret").unwrap_err().code(),
            tonic::Code::PermissionDenied
        );
    }

    #[test]
    fn grpc_timeouts_parse() {
        let mut r = Request::new(());
        r.metadata_mut()
            .insert("grpc-timeout", "250m".parse().unwrap());
        assert_eq!(deadline(&r), Some(Duration::from_millis(250)));
        r.metadata_mut()
            .insert("grpc-timeout", "3S".parse().unwrap());
        assert_eq!(deadline(&r), Some(Duration::from_secs(3)));
        r.metadata_mut()
            .insert("grpc-timeout", "x".parse().unwrap());
        assert_eq!(deadline(&r), None);
    }
}
