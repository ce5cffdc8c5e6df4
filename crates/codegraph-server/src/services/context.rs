//! ContextService: completion context at a cursor.

use super::*;
use crate::convert::{self, Encoding, invalid};
use crate::limits::{self as lim, ranged};
use crate::pb;
use tonic::{Request, Response, Status};

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
        let answer = blocking(Work::Context, d, move || {
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
