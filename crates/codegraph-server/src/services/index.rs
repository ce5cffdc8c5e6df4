//! IndexService: registration, status, progress and reindexing.

use super::*;
use crate::convert::{self, invalid};
use crate::limits::{self as lim, ranged};
use crate::pb;
use crate::registry::{RepoConfig, now_secs, repo_id};
use tonic::{Request, Response, Status};

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
        let root = self.registry.admit(&r.path)?;
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
        if o.exclude_globs.len() > lim::MAX_EXCLUDE_GLOBS
            || o.exclude_globs
                .iter()
                .any(|g| g.is_empty() || g.len() > lim::MAX_EXCLUDE_GLOB_BYTES || g.contains('\n'))
        {
            return Err(invalid(
                "exclude_globs: at most 256 patterns of 1..1024 bytes, one line each",
            ));
        }
        codegraph::IndexOptions {
            exclude_globs: o.exclude_globs.clone(),
            ..codegraph::IndexOptions::default()
        }
        .check_exclude_globs(&root)
        .map_err(|e| invalid(e.to_string()))?;
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
            exclude_globs: o.exclude_globs,
            follow_symlinks: o.follow_symlinks,
            max_file_size: o.max_file_size_bytes,
            registered_at: now_secs(),
        };
        let registry = self.registry.clone();
        let (repo, run_id) = blocking(Work::Admin, None, move || registry.register(config)).await?;
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
        let deleted = blocking(Work::Admin, None, move || {
            registry.unregister(&repo, r.delete_index)
        })
        .await?;
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
        // Tokens are the last repository id of the previous page.
        if !r.page_token.is_empty()
            && (r.page_token.len() != 16 || !r.page_token.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(invalid(
                "page_token: not a token this server issued (pass next_page_token back unchanged)",
            ));
        }
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
        if r.max_skipped_files > lim::MAX_SKIPPED_FILES {
            return Err(invalid(format!(
                "max_skipped_files: at most {}; got {}",
                lim::MAX_SKIPPED_FILES,
                r.max_skipped_files
            )));
        }
        let max_skipped = r.max_skipped_files as usize;
        let status = blocking(Work::Admin, d, move || {
            let s = reader.status().map_err(convert::status)?;
            let edges = reader.edge_counts().map_err(convert::status)?;
            let resolution = reader.resolution_stats().map_err(convert::status)?;
            let skipped = if max_skipped > 0 {
                reader.skipped().map_err(convert::status)?
            } else {
                Vec::new()
            };
            Ok((s, skipped, edges, resolution))
        })
        .await?;
        let (s, skipped, edges, resolution) = status;
        let state = repo.state.borrow().clone();
        Ok(Response::new(convert::status_response(
            repo.to_proto(),
            &state,
            &repo.config,
            convert::IndexHealth {
                status: s,
                skipped: skipped.into_iter().take(max_skipped).collect(),
                edges,
                resolution,
            },
        )))
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

#[cfg(test)]
mod tests {
    use super::*;
    use pb::graph_service_server::GraphService;
    use pb::index_service_server::IndexService;

    fn services() -> (Services, tempfile::TempDir) {
        let cache = tempfile::tempdir().unwrap();
        // Repositories are temporary directories: the allowed root is the
        // system's temporary directory.
        let allowed = crate::registry::AllowedRoots::new(&[std::env::temp_dir()]).unwrap();
        let registry = Registry::open(None, cache.path().to_owned(), allowed).unwrap();
        (Services { registry }, cache)
    }

    /// Regression: a junk page_token and an absurd max_skipped_files were OK.
    #[tokio::test]
    async fn junk_page_tokens_and_absurd_limits_are_invalid_arguments() {
        let (s, _cache) = services();
        let listed = |token: &str| {
            s.list_repositories(Request::new(pb::ListRepositoriesRequest {
                page_size: 10,
                page_token: token.into(),
            }))
        };
        for junk in ["junk", "../../etc", "zzzzzzzzzzzzzzzz", &"a".repeat(4096)] {
            let e = listed(junk).await.unwrap_err();
            assert_eq!(e.code(), tonic::Code::InvalidArgument, "{junk}: {e}");
        }
        assert!(
            listed("")
                .await
                .unwrap()
                .into_inner()
                .repositories
                .is_empty()
        );
        assert!(listed("00000000000000ff").await.is_ok());
    }

    /// Regression: ListFileSymbols on a file that is not indexed answered
    /// OK with nothing; it is NOT_FOUND (the caller may have the path wrong).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn status_limits_and_unindexed_files_get_precise_codes() {
        let (s, _cache) = services();
        let repo = tempfile::tempdir().unwrap();
        std::fs::write(repo.path().join("a.py"), "def f():\n    return 1\n").unwrap();
        std::fs::write(repo.path().join("notes.bin"), [0u8, 159, 146, 150]).unwrap();
        let registered = s
            .register_repository(Request::new(pb::RegisterRepositoryRequest {
                path: repo.path().to_string_lossy().into_owned(),
                options: Some(pb::RepositoryOptions {
                    watch: Some(false),
                    embed: Some(false),
                    ..Default::default()
                }),
            }))
            .await
            .unwrap()
            .into_inner();
        let id = registered.repository.unwrap().id;
        // Wait for the first run.
        let registry = s.registry.clone();
        for _ in 0..600 {
            if registry.get(&id).unwrap().state.borrow().indexed {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let status = |max: u32| {
            s.get_status(Request::new(pb::GetStatusRequest {
                repository: id.clone(),
                max_skipped_files: max,
            }))
        };
        let e = status(lim::MAX_SKIPPED_FILES + 1).await.unwrap_err();
        assert_eq!(e.code(), tonic::Code::InvalidArgument, "{e}");
        assert!(status(lim::MAX_SKIPPED_FILES).await.is_ok());
        let symbols = |path: &str| {
            s.list_file_symbols(Request::new(pb::ListFileSymbolsRequest {
                repository: id.clone(),
                path: path.into(),
                ..Default::default()
            }))
        };
        let found = symbols("a.py").await.unwrap().into_inner();
        assert_eq!(found.symbols.len(), 1);
        for missing in ["b.py", "notes.bin"] {
            let e = symbols(missing).await.unwrap_err();
            assert_eq!(e.code(), tonic::Code::NotFound, "{missing}: {e}");
        }
        s.registry.shutdown();
    }
}
