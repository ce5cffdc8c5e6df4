//! The gRPC requests of the bench: building them, sending one of the mix,
//! the repository status.

use super::mix::{Cursor, Mix};
use anyhow::{Context, Result};
use codegraph_server::pb;
use pb::context_service_client::ContextServiceClient;
use pb::graph_service_client::GraphServiceClient;
use pb::index_service_client::IndexServiceClient;
use pb::search_service_client::SearchServiceClient;
use std::time::Duration;
use tonic::transport::Channel;

/// A request with a deadline (sent as `grpc-timeout`).
pub fn with_deadline<T>(message: T, deadline: Duration) -> tonic::Request<T> {
    let mut r = tonic::Request::new(message);
    r.set_timeout(deadline);
    r
}

pub fn zero_based_utf16() -> Option<pb::PositionEncoding> {
    Some(pb::PositionEncoding {
        base: pb::PositionBase::ZeroBased as i32,
        column_unit: pb::ColumnUnit::Utf16 as i32,
    })
}

pub fn callers_request(repo: &str, name: &str) -> pb::ListCallersRequest {
    pb::ListCallersRequest {
        repository: repo.to_owned(),
        symbol: Some(pb::SymbolRef {
            selector: Some(pb::symbol_ref::Selector::Name(name.to_owned())),
        }),
        depth: 1,
        position_encoding: zero_based_utf16(),
        ..Default::default()
    }
}

pub fn search_request(repo: &str, query: &str, mode: i32, k: u32) -> pb::SearchRequest {
    pb::SearchRequest {
        repository: repo.to_owned(),
        query: query.to_owned(),
        k,
        mode,
        ..Default::default()
    }
}

/// One request of the mix, kept to describe and replay failures.
#[derive(Debug, Clone)]
pub enum Req {
    Search(String),
    Context(Cursor),
    Callers(String),
}

impl Req {
    pub fn kind(&self) -> usize {
        match self {
            Req::Search(_) => 0,
            Req::Context(_) => 1,
            Req::Callers(_) => 2,
        }
    }
}

impl std::fmt::Display for Req {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Req::Search(q) => write!(f, "Search {q:?}"),
            Req::Context(c) => write!(f, "GetCompletionContext {}:{}:{}", c.path, c.line, c.column),
            Req::Callers(n) => write!(f, "ListCallers {n}"),
        }
    }
}

/// The three clients of one load client, on clones of one channel.
#[derive(Clone)]
pub struct Clients {
    search: SearchServiceClient<Channel>,
    context: ContextServiceClient<Channel>,
    graph: GraphServiceClient<Channel>,
}

impl Clients {
    pub fn new(channel: Channel) -> Clients {
        Clients {
            search: SearchServiceClient::new(channel.clone()),
            context: ContextServiceClient::new(channel.clone()),
            graph: GraphServiceClient::new(channel),
        }
    }

    /// Sends one request; the server-side time (`took_us`) when the
    /// response has one.
    pub async fn send(
        &mut self,
        mix: &Mix,
        req: &Req,
        deadline: Duration,
    ) -> Result<Option<u64>, tonic::Status> {
        match req {
            Req::Search(q) => self
                .search
                .search(with_deadline(
                    search_request(&mix.repo, q, mix.mode, 10),
                    deadline,
                ))
                .await
                .map(|r| Some(r.into_inner().took_us)),
            Req::Context(c) => self
                .context
                .get_completion_context(with_deadline(
                    pb::GetCompletionContextRequest {
                        repository: mix.repo.clone(),
                        path: c.path.clone(),
                        cursor: Some(pb::Position {
                            line: c.line,
                            column: c.column,
                        }),
                        position_encoding: zero_based_utf16(),
                        ..Default::default()
                    },
                    deadline,
                ))
                .await
                .map(|r| Some(r.into_inner().took_us)),
            Req::Callers(name) => self
                .graph
                .list_callers(with_deadline(callers_request(&mix.repo, name), deadline))
                .await
                .map(|_| None),
        }
    }
}

pub async fn status(channel: &Channel, repo: &str) -> Result<pb::GetStatusResponse> {
    Ok(IndexServiceClient::new(channel.clone())
        .get_status(with_deadline(
            pb::GetStatusRequest {
                repository: repo.to_owned(),
                max_skipped_files: 0,
            },
            Duration::from_secs(30),
        ))
        .await
        .context("GetStatus")?
        .into_inner())
}

pub fn watcher_updates(s: &pb::GetStatusResponse) -> u64 {
    s.watcher.as_ref().map_or(0, |w| w.updates)
}
