//! SearchService: the hybrid query.

use super::*;
use crate::convert::{self, Encoding, invalid};
use crate::limits::{self as lim, ranged};
use crate::pb;
use tonic::{Request, Response, Status};

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
            kind: if r.kind.is_empty() {
                None
            } else {
                Some(r.kind.parse().map_err(|e| invalid(format!("kind: {e}")))?)
            },
            path_glob,
            group_by_file,
            focus,
            rrf_k,
            pagerank_weight,
            // Work stops at the library's next stage once the deadline passes.
            deadline: d.map(|d| std::time::Instant::now() + d),
        };
        let reader = ready(&repo)?;
        let answer = blocking(Work::Search, d, move || {
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
