//! GraphService: symbols, callers and callees, imports, neighbours, the map.

use super::*;
use crate::convert::{self, Encoding, invalid};
use crate::limits::{self as lim, ranged};
use crate::pb;
use tonic::{Request, Response, Status};

/// A symbol selector as a name the library resolves.
fn symbol_name(reader: &Reader, s: Option<pb::SymbolRef>) -> Result<String, Status> {
    match s.and_then(|s| s.selector) {
        Some(pb::symbol_ref::Selector::Name(n)) => {
            if n.is_empty() || n.len() > lim::MAX_SYMBOL_BYTES {
                return Err(invalid("symbol name must be 1..1024 bytes"));
            }
            Ok(n)
        }
        Some(pb::symbol_ref::Selector::Id(id)) => reader
            .symbol_by_id(codegraph::core::DefId(id))
            .map_err(convert::status)?
            .map(|s| s.qualified_name)
            .ok_or_else(|| Status::not_found(format!("no definition with id {id}"))),
        None => Err(invalid("symbol is required (a name or an id)")),
    }
}

fn target_symbol(reader: &Reader, name: &str, enc: Encoding) -> Result<pb::Symbol, Status> {
    let s = reader.resolve_symbol(name).map_err(convert::status)?;
    Ok(convert::graph_symbol(&s, enc))
}

/// Callers or callees, with each entry's definition id where it is unique.
fn calls(
    reader: &Reader,
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
    let entries = related
        .into_iter()
        .take(limit)
        .map(|r| convert::call_entry(r, enc))
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
        let (target, entries, truncated) = blocking(Work::Graph, d, move || {
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
        let links = blocking(Work::Graph, d, move || {
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
        let (symbols, truncated) = blocking(Work::Graph, d, move || {
            let found = reader.lookup_symbols(&r.name).map_err(convert::status)?;
            let truncated = found.len() > limit;
            let symbols = found
                .iter()
                .take(limit)
                .map(|s| convert::graph_symbol(s, enc))
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
        let defs = blocking(Work::Graph, d, move || {
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
        let sub = blocking(Work::Graph, d, move || {
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
        if r.focus_symbols.len() > lim::MAX_FOCUS_FILES {
            return Err(Status::invalid_argument(format!(
                "at most {} focus symbols",
                lim::MAX_FOCUS_FILES
            )));
        }
        let focus_symbols = r.focus_symbols;
        let reader = ready(&repo)?;
        let map = blocking(Work::Graph, d, move || {
            reader
                .map(&codegraph::MapOptions {
                    budget_tokens: budget,
                    focus,
                    focus_symbols,
                    ..codegraph::MapOptions::default()
                })
                .map_err(convert::status)
        })
        .await?;
        Ok(Response::new(convert::repo_map(map, enc)))
    }
}
