//! The completion-context corpus: every chunk's token ids and every
//! file's relatedness features in memory, loaded once per reader and
//! patched after updates.

use crate::Result;
use codegraph_core::{ChunkId, DefId, DefKind, FileId, dir_of};
use codegraph_search::similar::idf_weights;
use codegraph_store::ReadPool;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::time::Instant;

/// Every chunk's token ids and every file's relatedness features, in memory.
#[derive(Debug)]
pub(crate) struct Corpus {
    pub(super) files: Vec<CorpusFile>,
    pub(super) by_path: HashMap<String, usize>,
    pub(super) by_id: HashMap<FileId, usize>,
    pub(super) paths: Vec<String>,
    /// Name → definitions of that name (the symbol table).
    pub(super) symbols: HashMap<String, Vec<Symbol>>,
    pub(super) chunks: Vec<CorpusChunk>,
    /// All chunks' token ids, back to back.
    pub(super) tokens: Vec<u32>,
    pub(super) vocab: HashMap<String, u32>,
    pub(super) idf: Vec<f32>,
}

#[derive(Debug)]
pub(super) struct CorpusFile {
    pub(super) dir: String,
    /// Sub-tokens of the file name without extension, sorted.
    pub(super) name_tokens: Vec<String>,
    /// Hashes of imported modules, sorted and unique.
    pub(super) imports: Vec<u64>,
    /// Files this one imports or is imported by.
    pub(super) linked: Vec<usize>,
    pub(super) mtime_ns: i64,
    pub(super) chunks: Range<usize>,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Symbol {
    pub(super) id: DefId,
    pub(super) file: usize,
    pub(super) kind: DefKind,
}

impl Symbol {
    pub(super) fn is_type(&self) -> bool {
        self.kind.is_type_like()
    }
    pub(super) fn is_method(&self) -> bool {
        self.kind == DefKind::Method
    }
}

#[derive(Debug)]
pub(super) struct CorpusChunk {
    pub(super) id: ChunkId,
    pub(super) start_line: u32,
    pub(super) end_line: u32,
    pub(super) tokens: Range<usize>,
}

/// Chunks and their token ids, back to back, as a corpus is built.
#[derive(Default)]
struct ChunkList {
    chunks: Vec<CorpusChunk>,
    tokens: Vec<u32>,
}

impl ChunkList {
    /// Appends a chunk; returns the number of chunks.
    fn add(&mut self, id: ChunkId, start_line: u32, end_line: u32, ids: &[u32]) -> usize {
        let start = self.tokens.len();
        self.tokens.extend_from_slice(ids);
        self.chunks.push(CorpusChunk {
            id,
            start_line,
            end_line,
            tokens: start..self.tokens.len(),
        });
        self.chunks.len()
    }
}

fn hash_str(s: &str) -> u64 {
    let h = blake3::hash(s.as_bytes());
    u64::from_le_bytes(h.as_bytes()[..8].try_into().expect("8 bytes"))
}

pub(super) fn name_tokens(path: &str) -> Vec<String> {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = file.split('.').next().unwrap_or(file);
    let mut t: Vec<String> = codegraph_core::tokenize(stem).collect();
    t.sort();
    t.dedup();
    t
}

impl Corpus {
    pub(crate) fn load(pool: &ReadPool) -> Result<Corpus> {
        Corpus::build(pool, None)
    }

    /// The corpus after an update that changed the files `changed` (ids,
    /// deleted ones included): the chunks of the other files are copied
    /// from `self`, only the changed files' chunks are read.
    pub(crate) fn patched(&self, pool: &ReadPool, changed: &HashSet<FileId>) -> Result<Corpus> {
        Corpus::build(pool, Some((self, changed)))
    }

    fn build(pool: &ReadPool, previous: Option<(&Corpus, &HashSet<FileId>)>) -> Result<Corpus> {
        // One snapshot: files, chunks, links and symbols of one state.
        let store = pool.snapshot()?;
        let t = Instant::now();
        let rows = store.context_files()?;
        let mut files: Vec<CorpusFile> = Vec::with_capacity(rows.len());
        let mut by_id: HashMap<FileId, usize> = HashMap::new();
        let mut by_path = HashMap::new();
        let mut paths = Vec::new();
        for f in &rows {
            by_id.insert(f.id, files.len());
            by_path.insert(f.path.clone(), files.len());
            paths.push(f.path.clone());
            files.push(CorpusFile {
                dir: dir_of(&f.path).to_owned(),
                name_tokens: name_tokens(&f.path),
                imports: Vec::new(),
                linked: Vec::new(),
                mtime_ns: f.mtime_ns,
                chunks: 0..0,
            });
        }
        for (file_id, module) in store.import_modules()? {
            if let Some(&i) = by_id.get(&file_id) {
                files[i].imports.push(hash_str(&module));
            }
        }
        for (a, b) in store.file_import_links()? {
            if let (Some(&a), Some(&b)) = (by_id.get(&a), by_id.get(&b))
                && a != b
            {
                files[a].linked.push(b);
                files[b].linked.push(a);
            }
        }
        for f in &mut files {
            f.imports.sort_unstable();
            f.imports.dedup();
            f.linked.sort_unstable();
            f.linked.dedup();
        }
        let read_ms = t.elapsed().as_millis() as u64;
        let mut out = ChunkList::default();
        let mut reread = 0usize;
        match previous {
            None => {
                for c in store.context_chunks()? {
                    let Some(&fi) = by_id.get(&c.file_id) else {
                        continue;
                    };
                    let f = &mut files[fi];
                    if f.chunks.is_empty() {
                        f.chunks = out.chunks.len()..out.chunks.len();
                    }
                    f.chunks.end = out.add(c.id, c.start_line, c.end_line, &c.tokens);
                }
            }
            Some((old, changed)) => {
                for (fi, row) in rows.iter().enumerate() {
                    let start = out.chunks.len();
                    match old.by_id.get(&row.id) {
                        Some(&oi) if !changed.contains(&row.id) => {
                            for oc in &old.chunks[old.files[oi].chunks.clone()] {
                                let ids = &old.tokens[oc.tokens.clone()];
                                out.add(oc.id, oc.start_line, oc.end_line, ids);
                            }
                        }
                        _ => {
                            reread += 1;
                            for c in store.context_chunks_of(row.id)? {
                                out.add(c.id, c.start_line, c.end_line, &c.tokens);
                            }
                        }
                    }
                    files[fi].chunks = start..out.chunks.len();
                }
            }
        }
        let chunks_ms = t.elapsed().as_millis() as u64;
        let ChunkList { chunks, tokens } = out;
        let mut symbols: HashMap<String, Vec<Symbol>> = HashMap::new();
        for (id, file_id, name, kind) in store.context_definitions()? {
            if let Some(&file) = by_id.get(&file_id) {
                symbols
                    .entry(name)
                    .or_default()
                    .push(Symbol { id, file, kind });
            }
        }
        let vocab = store.vocabulary()?;
        let size = vocab.values().copied().max().map_or(0, |m| m as usize + 1);
        let idf = idf_weights(chunks.iter().map(|c| &tokens[c.tokens.clone()]), size);
        tracing::debug!(
            patched = previous.is_some(),
            files_read = reread,
            read_ms,
            chunks_ms,
            total_ms = t.elapsed().as_millis() as u64,
            "corpus built"
        );
        Ok(Corpus {
            files,
            by_path,
            by_id,
            paths,
            symbols,
            chunks,
            tokens,
            vocab,
            idf,
        })
    }

    pub(super) fn chunk_tokens(&self, c: usize) -> &[u32] {
        &self.tokens[self.chunks[c].tokens.clone()]
    }

    /// Sorted, unique ids of `text`'s sub-tokens, and how many sub-tokens
    /// the vocabulary does not know.
    pub(super) fn query_tokens(&self, text: &str) -> (Vec<u32>, usize) {
        let mut ids = Vec::new();
        let mut unknown = HashSet::new();
        for t in codegraph_core::tokenize(text) {
            match self.vocab.get(&t) {
                Some(&id) => ids.push(id),
                None => {
                    unknown.insert(t);
                }
            }
        }
        ids.sort_unstable();
        ids.dedup();
        (ids, unknown.len())
    }
}
