//! Asking a running `codegraph serve` instead of opening the index. A
//! server that holds the repository answers from what it keeps warm (the
//! graph, the lexical index, the model and the vectors) where a cold
//! process would load them first.
//!
//! The server is looked for at its default socket
//! ([`codegraph_server::default_socket`]), the repository among those it
//! lists by its root and its index directory (so the server reads the very
//! index this process would). Answers come back as the library's types,
//! and the commands print them with the code that prints local answers.
//!
//! Anything short of a whole answer — no socket, a refusal, an error, a
//! list the server's limits cut, a value the API cannot carry — is said at
//! debug level (`CODEGRAPH_LOG=codegraph::remote=debug`) and the command
//! answers from the index itself, as if no server ran.

use codegraph::core::DefId;
use codegraph::{
    ColumnEncoding, ContextReason, ContextRequest, ContextResponse, ContextStats, MapDefinition,
    MapEntry, MapOptions, Provenance, RankScore, Ranks, ReasonKind, Related, RepoMap, SearchMode,
    SearchOptions, SearchResponse, SearchResult, Similarity, Snippet, Structure,
};
use codegraph_server::pb;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tonic::transport::{Channel, Endpoint};

/// How long connecting to the socket may take (a live server accepts at
/// once; a stale socket refuses at once).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// How long one answer may take before the command answers by itself.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Callers and callees the server lists at most (its own maximum).
const CALL_LIMIT: u32 = 10_000;
/// The largest `k` the server takes.
const MAX_K: usize = 1_000;
/// The largest `suffix_lines` the server takes.
const MAX_SUFFIX_LINES: usize = 1_000;

/// Why a server did not answer: said at debug level, never to the user.
type Why = String;

/// A server holding the repository, connected.
#[derive(Debug)]
pub struct Remote {
    rt: tokio::runtime::Runtime,
    channel: Channel,
    /// The repository's id on the server.
    repository: String,
    socket: PathBuf,
    root: PathBuf,
}

impl Remote {
    /// The server holding the repository at `root` with its index in
    /// `index_dir` (default: the default index directory of `root`), if
    /// one answers on the default socket.
    pub fn find(root: &Path, index_dir: Option<&Path>) -> Option<Remote> {
        match Remote::connect(root, index_dir) {
            Ok(remote) => Some(remote),
            Err(why) => {
                tracing::debug!("no server: {why}; answering from the index");
                None
            }
        }
    }

    fn connect(root: &Path, index_dir: Option<&Path>) -> Result<Remote, Why> {
        let socket = codegraph_server::default_socket();
        if !socket.exists() {
            return Err(format!("nothing at {}", socket.display()));
        }
        let root = root
            .canonicalize()
            .map_err(|e| format!("{}: {e}", root.display()))?;
        let index_dir = match index_dir {
            Some(dir) => dir
                .canonicalize()
                .map_err(|e| format!("{}: {e}", dir.display()))?,
            None => codegraph::default_index_dir(&root).map_err(|e| e.to_string())?,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("a runtime: {e}"))?;
        let endpoint = Endpoint::from_shared(format!("unix:{}", socket.display()))
            .map_err(|e| format!("{}: {e}", socket.display()))?
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT);
        let channel = rt
            .block_on(endpoint.connect())
            .map_err(|e| format!("{}: {e}", socket.display()))?;
        let mut index = pb::index_service_client::IndexServiceClient::new(channel.clone());
        let mut page_token = String::new();
        loop {
            let page = rt
                .block_on(index.list_repositories(pb::ListRepositoriesRequest {
                    page_size: 1000,
                    page_token: page_token.clone(),
                }))
                .map_err(|e| format!("listing repositories: {}", e.message()))?
                .into_inner();
            let held = page
                .repositories
                .into_iter()
                .find(|r| same_path(&r.root, &root) && same_path(&r.index_dir, &index_dir));
            if let Some(repo) = held {
                if !repo.indexed {
                    return Err("its first index of the repository is not complete".into());
                }
                return Ok(Remote {
                    rt,
                    channel,
                    repository: repo.id,
                    socket,
                    root,
                });
            }
            if page.next_page_token.is_empty() {
                return Err(format!(
                    "the server at {} does not hold {} with the index {}",
                    socket.display(),
                    root.display(),
                    index_dir.display()
                ));
            }
            page_token = page.next_page_token;
        }
    }

    /// The repository's root (canonical).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The server's socket.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The repository's id on the server.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The answer of `ask`, or `None` (said at debug level).
    fn answer<T>(&self, what: &str, ask: impl FnOnce(&Remote) -> Result<T, Why>) -> Option<T> {
        match ask(self) {
            Ok(answer) => {
                tracing::debug!(
                    "{what}: answered by the server at {} (repository {})",
                    self.socket.display(),
                    self.repository
                );
                Some(answer)
            }
            Err(why) => {
                tracing::debug!(
                    "{what}: the server did not answer ({why}); answering from the index"
                );
                None
            }
        }
    }

    /// [`codegraph::Reader::search`] by the server.
    pub fn search(&self, options: &SearchOptions) -> Option<SearchResponse> {
        self.answer("query", |r| r.try_search(options))
    }

    fn try_search(&self, o: &SearchOptions) -> Result<SearchResponse, Why> {
        if o.k == 0 || o.k > MAX_K {
            return Err(format!("k {} is outside the API's 1..={MAX_K}", o.k));
        }
        let request = pb::SearchRequest {
            repository: self.repository.clone(),
            query: o.query.clone(),
            k: o.k as u32,
            mode: match o.mode {
                SearchMode::Hybrid => pb::SearchMode::Hybrid,
                SearchMode::Lexical => pb::SearchMode::Lexical,
                SearchMode::Vector => pb::SearchMode::Vector,
            } as i32,
            language: o.language.clone().unwrap_or_default(),
            kind: o.kind.map(|k| k.to_string()).unwrap_or_default(),
            focus_files: o.focus.clone(),
            pagerank_weight: Some(o.pagerank_weight),
            rrf_k: o.rrf_k,
            group_by: if o.group_by_file {
                pb::SearchGrouping::File
            } else {
                pb::SearchGrouping::Chunk
            } as i32,
            path_globs: o.path_glob.clone().into_iter().collect(),
            position_encoding: Some(one_based(ColumnEncoding::Utf8)),
        };
        let mut client = pb::search_service_client::SearchServiceClient::new(self.channel.clone());
        let r = self
            .rt
            .block_on(client.search(request))
            .map_err(status)?
            .into_inner();
        search_response(r)
    }

    /// [`codegraph::Reader::callers`] (or `callees`) by the server.
    pub fn calls(
        &self,
        symbol: &str,
        depth: usize,
        resolved_only: bool,
        callers: bool,
    ) -> Option<Vec<Related>> {
        let what = if callers { "callers" } else { "callees" };
        self.answer(what, |r| r.try_calls(symbol, depth, resolved_only, callers))
    }

    fn try_calls(
        &self,
        symbol: &str,
        depth: usize,
        resolved_only: bool,
        callers: bool,
    ) -> Result<Vec<Related>, Why> {
        // 0 means the server's default; it refuses more than 10.
        if depth == 0 || depth > 10 {
            return Err(format!("depth {depth} is outside the API's 1..=10"));
        }
        let selector = Some(pb::SymbolRef {
            selector: Some(pb::symbol_ref::Selector::Name(symbol.to_owned())),
        });
        let mut client = pb::graph_service_client::GraphServiceClient::new(self.channel.clone());
        let (entries, truncated) = if callers {
            let r = self
                .rt
                .block_on(client.list_callers(pb::ListCallersRequest {
                    repository: self.repository.clone(),
                    symbol: selector,
                    depth: depth as u32,
                    resolved_only,
                    limit: CALL_LIMIT,
                    position_encoding: Some(one_based(ColumnEncoding::Utf8)),
                }))
                .map_err(status)?
                .into_inner();
            (r.callers, r.truncated)
        } else {
            let r = self
                .rt
                .block_on(client.list_callees(pb::ListCalleesRequest {
                    repository: self.repository.clone(),
                    symbol: selector,
                    depth: depth as u32,
                    resolved_only,
                    limit: CALL_LIMIT,
                    position_encoding: Some(one_based(ColumnEncoding::Utf8)),
                }))
                .map_err(status)?
                .into_inner();
            (r.callees, r.truncated)
        };
        if truncated {
            return Err(format!("the list was cut at {CALL_LIMIT}"));
        }
        entries.into_iter().map(related).collect()
    }

    /// [`codegraph::Reader::context`] by the server.
    pub fn context(&self, request: &ContextRequest) -> Option<ContextResponse> {
        self.answer("context", |r| r.try_context(request))
    }

    fn try_context(&self, q: &ContextRequest) -> Result<ContextResponse, Why> {
        // 0 means the server's default for these.
        let nonzero = |name: &str, v: usize| match u32::try_from(v) {
            Ok(v) if v > 0 => Ok(v),
            _ => Err(format!("{name} {v} is outside what the API takes")),
        };
        if q.suffix_lines > MAX_SUFFIX_LINES {
            return Err(format!("suffix_lines {} is over 1000", q.suffix_lines));
        }
        let request = pb::GetCompletionContextRequest {
            repository: self.repository.clone(),
            path: q.path.clone(),
            cursor: Some(pb::Position {
                line: q.line + 1,
                column: q.column + 1,
            }),
            position_encoding: Some(one_based(q.encoding)),
            buffer: q.buffer.clone(),
            budget_tokens: nonzero("budget_tokens", q.budget_tokens)?,
            k: nonzero("k", q.k)?,
            max_files: nonzero("max_files", q.max_files)?,
            max_candidates: nonzero("max_candidates", q.max_candidates)?,
            window_lines: nonzero("window_lines", q.window_lines)?,
            suffix_lines: q.suffix_lines as u32,
            continuation: q.continuation,
            similarity: match q.similarity {
                Similarity::Jaccard => pb::SimilarityKind::Jaccard,
                Similarity::WeightedJaccard => pb::SimilarityKind::WeightedJaccard,
            } as i32,
            recent_files: q.recent_files.clone(),
        };
        let mut client =
            pb::context_service_client::ContextServiceClient::new(self.channel.clone());
        let r = self
            .rt
            .block_on(client.get_completion_context(request))
            .map_err(status)?
            .into_inner();
        context_response(r)
    }

    /// [`codegraph::Reader::map`] by the server.
    pub fn map(&self, options: &MapOptions) -> Option<RepoMap> {
        self.answer("map", |r| r.try_map(options))
    }

    fn try_map(&self, o: &MapOptions) -> Result<RepoMap, Why> {
        let defaults = MapOptions::default();
        if o.damping != defaults.damping || o.iterations != defaults.iterations {
            return Err("the API takes the default damping and iterations only".into());
        }
        let budget = match u32::try_from(o.budget_tokens) {
            Ok(b) if b > 0 => b,
            _ => {
                return Err(format!(
                    "budget {} is outside the API's range",
                    o.budget_tokens
                ));
            }
        };
        let mut client = pb::graph_service_client::GraphServiceClient::new(self.channel.clone());
        let r = self
            .rt
            .block_on(client.get_repository_map(pb::GetRepositoryMapRequest {
                repository: self.repository.clone(),
                budget_tokens: budget,
                focus_files: o.focus.clone(),
                position_encoding: Some(one_based(ColumnEncoding::Utf8)),
                focus_symbols: o.focus_symbols.clone(),
            }))
            .map_err(status)?
            .into_inner();
        repo_map(r)
    }
}

/// A search answer of the API (1-based lines) as the library's.
fn search_response(r: pb::SearchResponse) -> Result<SearchResponse, Why> {
    let rank = |r: Option<pb::RankScore>| {
        r.map(|r| RankScore {
            rank: r.rank as usize,
            score: r.score,
        })
    };
    let results = r
        .hits
        .into_iter()
        .map(|h| -> Result<SearchResult, Why> {
            let (start_line, end_line) = lines(h.lines.as_ref());
            Ok(SearchResult {
                path: h.path,
                start_line,
                end_line,
                symbol: (!h.symbol.is_empty()).then_some(h.symbol),
                kind: kind(&h.kind)?,
                language: h.language,
                score: h.score,
                ranks: Ranks {
                    lexical: rank(h.lexical),
                    vector: rank(h.vector),
                    other: BTreeMap::new(),
                },
                snippet: h
                    .snippet
                    .iter()
                    .map(|l| match l.line {
                        0 => l.text.clone(),
                        n => format!("{n}: {}", l.text),
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
                matches: (h.file_matches > 0).then_some(h.file_matches as usize),
            })
        })
        .collect::<Result<Vec<_>, Why>>()?;
    Ok(SearchResponse {
        query: r.query,
        mode: match pb::SearchMode::try_from(r.mode) {
            Ok(pb::SearchMode::Lexical) => SearchMode::Lexical,
            Ok(pb::SearchMode::Vector) => SearchMode::Vector,
            _ => SearchMode::Hybrid,
        },
        took_ms: r.took_us as f64 / 1000.0,
        stages: stages(&r.stages),
        vector_coverage: r.vector_coverage,
        notice: (!r.notice.is_empty()).then_some(r.notice),
        understood: Default::default(),
        results,
    })
}

/// A caller or callee of the API (1-based lines) as the library's.
fn related(e: pb::CallGraphEntry) -> Result<Related, Why> {
    Ok(Related {
        id: e.symbol_id.map(DefId),
        symbol: e.qualified_name,
        path: e.path,
        line: e.definition_line.unwrap_or(0),
        kind: match e.kind.as_str() {
            "file" => None,
            k => Some(kind(k)?),
        },
        provenance: match pb::Provenance::try_from(e.provenance) {
            Ok(pb::Provenance::Resolved) => Provenance::Resolved,
            Ok(pb::Provenance::Inferred) => Provenance::Inferred,
            _ => return Err(format!("provenance {}", e.provenance)),
        },
        depth: e.depth as usize,
        call_line: e.call_line,
        signature: e.signature,
    })
}

/// A context answer of the API (1-based lines) as the library's.
fn context_response(r: pb::GetCompletionContextResponse) -> Result<ContextResponse, Why> {
    let structures = r
        .structures
        .into_iter()
        .map(|s| -> Result<Structure, Why> {
            let (start_line, end_line) = lines(s.lines.as_ref());
            Ok(Structure {
                path: s.path,
                start_line,
                end_line,
                symbol: s.symbol,
                kind: kind(&s.kind)?,
                reason: ContextReason::new(reason_kind(s.reason)?, s.reason_name),
                text: s.text,
            })
        })
        .collect::<Result<Vec<_>, Why>>()?;
    let snippets = r
        .snippets
        .into_iter()
        .map(|s| {
            let (start_line, end_line) = lines(s.lines.as_ref());
            Snippet {
                path: s.path,
                start_line,
                end_line,
                score: s.score,
                text: s.text,
            }
        })
        .collect();
    Ok(ContextResponse {
        path: r.path,
        structures,
        snippets,
        stats: ContextStats {
            files_considered: r.files_considered as usize,
            files_kept: r.files_kept as usize,
            candidates_scanned: r.candidates_scanned as usize,
            identifiers: r.identifiers as usize,
            tokens_used: r.tokens_used as usize,
            stages: stages(&r.stages),
        },
        took_ms: r.took_us as f64 / 1000.0,
    })
}

/// A map of the API (1-based lines) as the library's.
fn repo_map(r: pb::GetRepositoryMapResponse) -> Result<RepoMap, Why> {
    let files = r
        .files
        .into_iter()
        .map(|f| -> Result<MapEntry, Why> {
            let definitions = f
                .definitions
                .into_iter()
                .map(|d| -> Result<MapDefinition, Why> {
                    Ok(MapDefinition {
                        line: d.line,
                        end_line: d.end_line,
                        kind: kind(&d.kind)?,
                        name: d.name,
                        qualified_name: d.qualified_name,
                        signature: d.signature,
                        depth: d.depth as usize,
                        rank: d.rank,
                        context: d.context,
                    })
                })
                .collect::<Result<Vec<_>, Why>>()?;
            Ok(MapEntry {
                path: f.path,
                rank: f.rank,
                definitions,
            })
        })
        .collect::<Result<Vec<_>, Why>>()?;
    Ok(RepoMap {
        files,
        tokens: r.tokens as usize,
        budget_tokens: r.budget_tokens as usize,
        omitted_files: r.omitted_files as usize,
        omitted_definitions: r.omitted_definitions as usize,
        text: r.text,
    })
}

/// Whether the path a server reports is `path` (both resolved).
fn same_path(reported: &str, path: &Path) -> bool {
    let reported = Path::new(reported);
    reported == path || reported.canonicalize().is_ok_and(|p| p == path)
}

/// Lines as the library numbers them (1-based), in `unit` columns.
fn one_based(unit: ColumnEncoding) -> pb::PositionEncoding {
    pb::PositionEncoding {
        base: pb::PositionBase::OneBased as i32,
        column_unit: match unit {
            ColumnEncoding::Utf16 => pb::ColumnUnit::Utf16,
            ColumnEncoding::Utf8 => pb::ColumnUnit::Utf8,
            ColumnEncoding::Utf32 => pb::ColumnUnit::Utf32,
        } as i32,
    }
}

/// A line range of a 1-based answer.
fn lines(range: Option<&pb::LineRange>) -> (u32, u32) {
    range.map_or((0, 0), |r| (r.start_line, r.end_line))
}

/// Stage timings as the library names them (`lexical_ms`, milliseconds).
fn stages(stages: &[pb::StageTiming]) -> BTreeMap<String, f64> {
    stages
        .iter()
        .map(|s| (format!("{}_ms", s.stage), s.duration_us as f64 / 1000.0))
        .collect()
}

/// A kind from its one string form.
fn kind<T: std::str::FromStr>(text: &str) -> Result<T, Why>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e: T::Err| e.to_string())
}

fn reason_kind(reason: i32) -> Result<ReasonKind, Why> {
    Ok(match pb::StructureReason::try_from(reason) {
        Ok(pb::StructureReason::Receiver) => ReasonKind::Receiver,
        Ok(pb::StructureReason::Variable) => ReasonKind::Variable,
        Ok(pb::StructureReason::Type) => ReasonKind::Type,
        Ok(pb::StructureReason::Call) => ReasonKind::Call,
        Ok(pb::StructureReason::Imported) => ReasonKind::Imported,
        Ok(pb::StructureReason::Base) => ReasonKind::Base,
        Ok(pb::StructureReason::Enclosing) => ReasonKind::Enclosing,
        _ => return Err(format!("structure reason {reason}")),
    })
}

/// A status as a reason to answer locally.
fn status(s: tonic::Status) -> Why {
    format!("{:?}: {}", s.code(), s.message())
}

#[cfg(test)]
mod tests {
    //! Every answer the CLI takes from a server, sent through the server's
    //! own conversion (`codegraph_server::convert`) and back: what comes
    //! back is what went in, so both paths print alike.

    use super::*;
    use codegraph::DefKind;
    use codegraph_server::convert::{self, Encoding};

    /// What the CLI asks for: 1-based lines, UTF-8 columns.
    fn enc() -> Encoding {
        Encoding {
            one_based: true,
            unit: ColumnEncoding::Utf8,
        }
    }

    #[test]
    fn search_answers_round_trip() {
        let response = SearchResponse {
            query: "parse date".into(),
            mode: SearchMode::Lexical,
            took_ms: 1.5,
            stages: BTreeMap::from([
                ("lexical_ms".to_owned(), 1.25),
                ("fetch_ms".to_owned(), 0.25),
            ]),
            vector_coverage: 0.5,
            notice: Some("no vectors yet".into()),
            understood: Default::default(),
            results: vec![
                SearchResult {
                    path: "src/a.py".into(),
                    start_line: 10,
                    end_line: 14,
                    symbol: Some("a.parse_date".into()),
                    kind: "function".parse().unwrap(),
                    language: "python".into(),
                    score: 0.032_522_3,
                    ranks: Ranks {
                        lexical: Some(RankScore {
                            rank: 1,
                            score: 7.5,
                        }),
                        vector: None,
                        other: BTreeMap::new(),
                    },
                    snippet: "11: def parse_date(s):\n12:     \"\"\"a: b\"\"\"\n13: ".into(),
                    matches: None,
                },
                SearchResult {
                    path: "README.md".into(),
                    start_line: 1,
                    end_line: 3,
                    symbol: None,
                    kind: "section".parse().unwrap(),
                    language: "markdown".into(),
                    score: 0.01,
                    ranks: Ranks {
                        lexical: None,
                        vector: Some(RankScore {
                            rank: 4,
                            score: 0.61,
                        }),
                        other: BTreeMap::new(),
                    },
                    snippet: "1: # Dates\n2: \n3: Parsing dates.".into(),
                    matches: Some(2),
                },
            ],
        };
        let back = search_response(convert::search_response(response.clone(), false, enc()));
        assert_eq!(format!("{:?}", back.unwrap()), format!("{response:?}"));
    }

    #[test]
    fn callers_round_trip() {
        let items = [
            Related {
                id: Some(DefId(42)),
                symbol: "shop.a.f".into(),
                path: "shop/a.py".into(),
                line: 3,
                kind: Some(DefKind::Method),
                provenance: Provenance::Resolved,
                depth: 1,
                call_line: 7,
                signature: "def f(self, x)".into(),
            },
            // Top-level code of a file.
            Related {
                id: None,
                symbol: "main.py".into(),
                path: "main.py".into(),
                line: 0,
                kind: None,
                provenance: Provenance::Inferred,
                depth: 2,
                call_line: 12,
                signature: String::new(),
            },
        ];
        for r in items {
            let back = related(convert::call_entry(r.clone(), enc())).unwrap();
            assert_eq!(format!("{back:?}"), format!("{r:?}"));
        }
    }

    #[test]
    fn context_answers_round_trip() {
        let response = ContextResponse {
            path: "shop/service.py".into(),
            structures: vec![Structure {
                path: "shop/repository.py".into(),
                start_line: 5,
                end_line: 20,
                symbol: "shop.repository.Repository".into(),
                kind: DefKind::Class,
                reason: "receiver repo".parse().unwrap(),
                text: "class Repository:\n    def save(self, user): ...".into(),
            }],
            snippets: vec![Snippet {
                path: "shop/other.py".into(),
                start_line: 30,
                end_line: 31,
                score: 0.375,
                text: "self.repo.save(x)\nreturn x".into(),
            }],
            stats: ContextStats {
                files_considered: 7,
                files_kept: 3,
                candidates_scanned: 40,
                identifiers: 2,
                tokens_used: 120,
                stages: BTreeMap::from([("relevance_ms".to_owned(), 0.5)]),
            },
            took_ms: 2.0,
        };
        let back = context_response(convert::context_response(response.clone(), false, enc()));
        assert_eq!(format!("{:?}", back.unwrap()), format!("{response:?}"));
    }

    #[test]
    fn maps_round_trip() {
        let map = RepoMap {
            files: vec![MapEntry {
                path: "shop/service.py".into(),
                rank: 0.125,
                definitions: vec![
                    MapDefinition {
                        line: 11,
                        end_line: 35,
                        kind: DefKind::Class,
                        name: "UserService".into(),
                        qualified_name: "shop.service.UserService".into(),
                        signature: "class UserService:".into(),
                        depth: 0,
                        rank: 0.0,
                        context: true,
                    },
                    MapDefinition {
                        line: 17,
                        end_line: 22,
                        kind: DefKind::Method,
                        name: "add_user".into(),
                        qualified_name: "shop.service.UserService.add_user".into(),
                        signature: "def add_user(self, user_id, name):".into(),
                        depth: 1,
                        rank: 0.125,
                        context: false,
                    },
                ],
            }],
            tokens: 30,
            budget_tokens: 1024,
            omitted_files: 1,
            omitted_definitions: 4,
            text:
                "shop/service.py:\n  class UserService:\n    def add_user(self, user_id, name):\n"
                    .into(),
        };
        let back = repo_map(convert::repo_map(map.clone(), enc())).unwrap();
        assert_eq!(format!("{back:?}"), format!("{map:?}"));
    }
}
