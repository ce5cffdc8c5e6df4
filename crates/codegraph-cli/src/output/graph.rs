//! The graph's answers: `symbol`, `callers`, `callees`, `imports`,
//! `importers`, `neighbors` and `map` with `--json`.

use codegraph::{DefinitionRow, Node, Related, RepoMap, Subgraph};
use serde::Serialize;

/// `symbol --json`: one per definition found.
#[derive(Debug, Serialize)]
pub struct DefinitionJson {
    id: i64,
    path: String,
    name: String,
    qualified_name: String,
    kind: &'static str,
    signature: String,
    doc: Option<String>,
    start_line: u32,
    end_line: u32,
    /// The enclosing definition's qualified name.
    parent: Option<String>,
}

impl From<DefinitionRow> for DefinitionJson {
    fn from(d: DefinitionRow) -> Self {
        DefinitionJson {
            id: d.id.0,
            path: d.path,
            name: d.name,
            qualified_name: d.qualified_name,
            kind: d.kind.as_str(),
            signature: d.signature,
            doc: d.doc,
            start_line: d.start_line,
            end_line: d.end_line,
            parent: d.parent,
        }
    }
}

/// `callers --json`, `callees --json`: one per caller or callee.
#[derive(Debug, Serialize)]
pub struct RelatedJson {
    /// `null` for a file (top-level code).
    id: Option<i64>,
    symbol: String,
    path: String,
    line: u32,
    /// A definition kind, or `file` for top-level code.
    kind: &'static str,
    provenance: &'static str,
    depth: usize,
    call_line: u32,
    signature: String,
}

impl From<Related> for RelatedJson {
    fn from(r: Related) -> Self {
        RelatedJson {
            id: r.id.map(|id| id.0),
            symbol: r.symbol,
            path: r.path,
            line: r.line,
            kind: r.kind.map_or("file", |k| k.as_str()),
            provenance: r.provenance.as_str(),
            depth: r.depth,
            call_line: r.call_line,
            signature: r.signature,
        }
    }
}

/// `imports --json`, `importers --json`: a file or external module and the
/// line of the import. Keys sorted, as earlier versions printed them.
#[derive(Debug, Serialize)]
pub struct FileLineJson {
    line: u32,
    path: String,
}

impl From<(String, u32)> for FileLineJson {
    fn from((path, line): (String, u32)) -> Self {
        FileLineJson { line, path }
    }
}

/// `neighbors --json`.
#[derive(Debug, Serialize)]
pub struct SubgraphJson {
    nodes: Vec<SubgraphNodeJson>,
    edges: Vec<SubgraphEdgeJson>,
}

#[derive(Debug, Serialize)]
struct SubgraphNodeJson {
    key: String,
    hops: usize,
    #[serde(flatten)]
    node: NodeJson,
}

/// A node: `type` says which, the other fields depend on it.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum NodeJson {
    Repository,
    Directory {
        path: String,
    },
    File {
        id: i64,
        path: String,
        language: String,
    },
    Symbol {
        id: i64,
        name: String,
        qualified_name: String,
        kind: &'static str,
        path: String,
        line: u32,
        end_line: u32,
        signature: String,
    },
    Chunk {
        id: i64,
        path: String,
        kind: &'static str,
        start_line: u32,
        end_line: u32,
    },
    External {
        name: String,
    },
}

impl From<Node> for NodeJson {
    fn from(node: Node) -> Self {
        match node {
            Node::Repository => NodeJson::Repository,
            Node::Directory { path } => NodeJson::Directory { path },
            Node::File { id, path, language } => NodeJson::File {
                id: id.0,
                path,
                language,
            },
            Node::Symbol(s) => NodeJson::Symbol {
                id: s.id.0,
                name: s.name,
                qualified_name: s.qualified_name,
                kind: s.kind.as_str(),
                path: s.path,
                line: s.line,
                end_line: s.end_line,
                signature: s.signature,
            },
            Node::Chunk {
                id,
                path,
                kind,
                start_line,
                end_line,
            } => NodeJson::Chunk {
                id: id.0,
                path,
                kind: kind.as_str(),
                start_line,
                end_line,
            },
            Node::External { name } => NodeJson::External { name },
        }
    }
}

#[derive(Debug, Serialize)]
struct SubgraphEdgeJson {
    from: String,
    to: String,
    kind: &'static str,
    provenance: &'static str,
}

impl From<Subgraph> for SubgraphJson {
    fn from(sub: Subgraph) -> Self {
        SubgraphJson {
            nodes: sub
                .nodes
                .into_iter()
                .map(|n| SubgraphNodeJson {
                    key: n.key,
                    hops: n.hops,
                    node: NodeJson::from(n.node),
                })
                .collect(),
            edges: sub
                .edges
                .into_iter()
                .map(|e| SubgraphEdgeJson {
                    from: e.from,
                    to: e.to,
                    kind: e.kind.as_str(),
                    provenance: e.provenance.as_str(),
                })
                .collect(),
        }
    }
}

/// `map --json`.
#[derive(Debug, Serialize)]
pub struct RepoMapJson {
    files: Vec<MapEntryJson>,
    tokens: usize,
    budget_tokens: usize,
    /// Files with definitions of which none fit the budget.
    omitted_files: usize,
    /// Ranked definitions left out for lack of budget.
    omitted_definitions: usize,
    /// The map as `map` prints it without `--json`.
    text: String,
}

#[derive(Debug, Serialize)]
struct MapEntryJson {
    path: String,
    rank: f64,
    /// The definitions shown, in source order.
    definitions: Vec<MapDefinitionJson>,
}

#[derive(Debug, Serialize)]
struct MapDefinitionJson {
    line: u32,
    end_line: u32,
    kind: &'static str,
    name: String,
    qualified_name: String,
    signature: String,
    depth: usize,
    rank: f64,
    /// Shown only as the enclosing type of a chosen member.
    context: bool,
}

impl From<RepoMap> for RepoMapJson {
    fn from(map: RepoMap) -> Self {
        RepoMapJson {
            files: map
                .files
                .into_iter()
                .map(|f| MapEntryJson {
                    path: f.path,
                    rank: f.rank,
                    definitions: f
                        .definitions
                        .into_iter()
                        .map(|d| MapDefinitionJson {
                            line: d.line,
                            end_line: d.end_line,
                            kind: d.kind.as_str(),
                            name: d.name,
                            qualified_name: d.qualified_name,
                            signature: d.signature,
                            depth: d.depth,
                            rank: d.rank,
                            context: d.context,
                        })
                        .collect(),
                })
                .collect(),
            tokens: map.tokens,
            budget_tokens: map.budget_tokens,
            omitted_files: map.omitted_files,
            omitted_definitions: map.omitted_definitions,
            text: map.text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::list;

    #[test]
    fn imports_print_line_then_path() {
        let json = serde_json::to_string(&list::<_, FileLineJson>([("a.py".to_owned(), 3)]));
        assert_eq!(json.unwrap(), r#"[{"line":3,"path":"a.py"}]"#);
    }
}
