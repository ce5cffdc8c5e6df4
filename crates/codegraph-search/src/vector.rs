//! The vector index: HNSW (hnsw_rs, cosine distance) over embedding vectors,
//! each with an opaque `u64` key chosen by the caller.
//!
//! Persisted: the graph and data are dumped with hnsw_rs's own format next to
//! a key file, a scan copy ([`VectorAccess::Scan`], `vector/scan.rs`) and a
//! manifest (format version, dimension, count, a caller tag
//! such as the model id and a generation, and the length and blake3 hash of
//! every file). `open` loads the dump when the manifest matches what the
//! caller expects and every file is exactly what was written, else the
//! caller rebuilds. hnsw_rs's loader ends the process on a short or
//! garbled dump, so nothing reaches it unchecked.

mod scan;

use crate::{Result, SearchError};
use hnsw_rs::api::AnnT;
use hnsw_rs::hnswio::HnswIo;
use hnsw_rs::prelude::{DistCosine, Hnsw};
use scan::Scan;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Bump when the on-disk layout changes.
/// 2: each point has a version (the caller's content stamp) and a removed
/// flag beside its key.
/// 3: the manifest records the length and blake3 hash of every file.
pub const VECTOR_FORMAT_VERSION: u32 = 3;
const BASENAME: &str = "hnsw";
const MANIFEST: &str = "manifest";
const KEYS: &str = "keys";
/// The scan copy. Dumps written before it existed lack it: a scanning
/// reader builds its copy from the stored vectors, and the next save
/// writes it.
const SCAN: &str = "scan";
/// Up to this many points, a search's candidate list holds them all.
const SEARCH_ALL_UP_TO: usize = 2048;
/// Inserts of at most this many points run on the calling thread.
const SERIAL_INSERT_MAX: usize = 256;

/// How a vector index is searched once opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VectorAccess {
    /// Through the HNSW graph: opening reads the graph back into memory
    /// (hundreds of milliseconds for tens of thousands of points), then a
    /// query costs well under a millisecond. For readers that live long.
    #[default]
    Graph,
    /// An exact scan of the quantised copy: opening reads a quarter of the
    /// vectors' size and builds nothing, and a query scans every point (a
    /// few milliseconds per ten thousand). For a process that answers a
    /// query or two and exits.
    Scan,
}

/// What answers the searches of an index.
#[derive(Clone)]
enum Backend {
    Graph(Arc<Hnsw<'static, f32, DistCosine>>),
    Scan(Arc<Scan>),
}

/// HNSW parameters.
#[derive(Debug, Clone, Copy)]
pub struct HnswParams {
    pub max_connections: usize,
    pub ef_construction: usize,
    pub ef_search: usize,
}

impl Default for HnswParams {
    fn default() -> Self {
        HnswParams {
            max_connections: 16,
            ef_construction: 100,
            ef_search: 64,
        }
    }
}

/// An HNSW index and the key of each point. Points can be added and
/// removed after the build (HNSW cannot delete: a removed point stays in
/// the graph, flagged, and is filtered out of results); callers rebuild
/// when removed points pile up ([`VectorIndex::removed`]).
///
/// A clone is cheap: clones share the HNSW graph and copy only the keys
/// and flags. Points added to one clone go into the shared graph but stay
/// invisible to the others, and points removed from one stay live in the
/// others, so a reader's clone keeps answering as of its own state while a
/// writer patches its own.
#[derive(Clone)]
pub struct VectorIndex {
    backend: Backend,
    keys: Vec<u64>,
    /// The caller's content stamp of each point (0 when unused).
    versions: Vec<u64>,
    /// Removed points, by position.
    dead: Vec<bool>,
    removed: usize,
    /// Points added or removed since the index was built, opened or saved.
    unsaved: usize,
    dim: usize,
    /// The caller's tag and generation this index was built for.
    pub tag: String,
    params: HnswParams,
}

impl std::fmt::Debug for VectorIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VectorIndex")
            .field("points", &self.keys.len())
            .field("access", &self.access())
            .field("removed", &self.removed)
            .field("dim", &self.dim)
            .field("tag", &self.tag)
            .finish()
    }
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> SearchError + '_ {
    move |source| SearchError::Io {
        path: path.to_owned(),
        source,
    }
}

impl VectorIndex {
    /// Builds an index over `points` (key, vector) in parallel.
    pub fn build(
        points: &[(u64, Vec<f32>)],
        dim: usize,
        tag: &str,
        params: HnswParams,
    ) -> VectorIndex {
        let versions = vec![0; points.len()];
        VectorIndex::build_versioned(points, &versions, dim, tag, params)
    }

    /// [`VectorIndex::build`] with a content stamp per point, so that a
    /// later [`VectorIndex::live`] tells which points are out of date.
    pub fn build_versioned(
        points: &[(u64, Vec<f32>)],
        versions: &[u64],
        dim: usize,
        tag: &str,
        params: HnswParams,
    ) -> VectorIndex {
        let n = points.len().max(1);
        // hnsw_rs dumps only indexes built with its maximum layer count.
        let layers = 16;
        let hnsw = Hnsw::<f32, DistCosine>::new(
            params.max_connections,
            n,
            layers,
            params.ef_construction,
            DistCosine {},
        );
        let data: Vec<(&[f32], usize)> = points
            .iter()
            .enumerate()
            .map(|(i, (_, v))| (v.as_slice(), i))
            .collect();
        if !data.is_empty() {
            hnsw.parallel_insert_slice(&data);
        }
        let backend = Backend::Graph(Arc::new(hnsw));
        VectorIndex::over(backend, points, versions, dim, tag, params)
    }

    /// An index of `points`, all live, answered by `backend`.
    fn over(
        backend: Backend,
        points: &[(u64, Vec<f32>)],
        versions: &[u64],
        dim: usize,
        tag: &str,
        params: HnswParams,
    ) -> VectorIndex {
        VectorIndex {
            backend,
            keys: points.iter().map(|(k, _)| *k).collect(),
            versions: versions.to_vec(),
            dead: vec![false; points.len()],
            removed: 0,
            unsaved: 0,
            dim,
            tag: tag.to_owned(),
            params,
        }
    }

    /// [`VectorIndex::build_versioned`] for `access`: a scanned index
    /// builds no graph (it cannot be saved).
    pub fn build_for(
        access: VectorAccess,
        points: &[(u64, Vec<f32>)],
        versions: &[u64],
        dim: usize,
        tag: &str,
        params: HnswParams,
    ) -> VectorIndex {
        match access {
            VectorAccess::Graph => VectorIndex::build_versioned(points, versions, dim, tag, params),
            VectorAccess::Scan => {
                let mut scan = Scan::new(dim);
                for (_, v) in points {
                    scan.push(v);
                }
                let backend = Backend::Scan(Arc::new(scan));
                VectorIndex::over(backend, points, versions, dim, tag, params)
            }
        }
    }

    /// How this index answers.
    pub fn access(&self) -> VectorAccess {
        match self.backend {
            Backend::Graph(_) => VectorAccess::Graph,
            Backend::Scan(_) => VectorAccess::Scan,
        }
    }

    /// Points of the shared graph or scan (clones' additions included).
    fn taken(&self) -> usize {
        match &self.backend {
            Backend::Graph(hnsw) => hnsw.get_nb_point(),
            Backend::Scan(scan) => scan.len(),
        }
    }

    /// Live points.
    pub fn len(&self) -> usize {
        self.keys.len() - self.removed
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Points removed since the build (still in the graph).
    pub fn removed(&self) -> usize {
        self.removed
    }

    /// Key → version of every live point.
    pub fn live(&self) -> std::collections::HashMap<u64, u64> {
        self.keys
            .iter()
            .zip(&self.versions)
            .zip(&self.dead)
            .filter(|(_, dead)| !**dead)
            .map(|((&k, &v), _)| (k, v))
            .collect()
    }

    /// Points added or removed since the index was built, opened or last
    /// saved: what a [`VectorIndex::save`] would write that is not on disk.
    pub fn unsaved(&self) -> usize {
        self.unsaved
    }

    /// Removes every live point with one of these keys.
    pub fn remove(&mut self, keys: &std::collections::HashSet<u64>) {
        for (i, k) in self.keys.iter().enumerate() {
            if !self.dead[i] && keys.contains(k) {
                self.dead[i] = true;
                self.removed += 1;
                self.unsaved += 1;
            }
        }
    }

    /// Adds points (key, version, vector); vectors of another dimension are
    /// ignored.
    pub fn insert(&mut self, points: &[(u64, u64, Vec<f32>)]) {
        // New points take positions past every point of the shared graph
        // (clones of this index may have added some this one does not
        // see); the positions between are dead here.
        let taken = self.taken();
        while self.keys.len() < taken {
            self.keys.push(u64::MAX);
            self.versions.push(0);
            self.dead.push(true);
            self.removed += 1;
        }
        let start = self.keys.len();
        let data: Vec<(&[f32], usize)> = points
            .iter()
            .filter(|(_, _, v)| v.len() == self.dim)
            .enumerate()
            .map(|(i, (_, _, v))| (v.as_slice(), start + i))
            .collect();
        for (k, version, v) in points {
            if v.len() == self.dim {
                self.keys.push(*k);
                self.versions.push(*version);
                self.dead.push(false);
                self.unsaved += 1;
            }
        }
        match &mut self.backend {
            // A few points go in on the calling thread (at its priority,
            // not on the shared pool); many in parallel.
            Backend::Graph(hnsw) if data.len() <= SERIAL_INSERT_MAX => {
                for &point in &data {
                    hnsw.insert_slice(point);
                }
            }
            Backend::Graph(hnsw) => hnsw.parallel_insert_slice(&data),
            // Copied once if shared: a scanning reader is one process's.
            Backend::Scan(scan) => {
                let scan = Arc::make_mut(scan);
                for (v, _) in &data {
                    scan.push(v);
                }
            }
        }
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The `k` nearest keys to `query`, with cosine similarity, best first.
    pub fn search(&self, query: &[f32], k: usize) -> Vec<(u64, f32)> {
        if self.keys.is_empty() || query.len() != self.dim || k == 0 {
            return Vec::new();
        }
        let hnsw = match &self.backend {
            Backend::Graph(hnsw) => hnsw,
            Backend::Scan(scan) => {
                let live = |at: usize| at < self.dead.len() && !self.dead[at];
                return scan
                    .nearest(query, k, live)
                    .into_iter()
                    .map(|(at, score)| (self.keys[at], score))
                    .collect();
            }
        };
        // Removed points still take places in the raw answer: ask for more.
        let want = k + self.removed.min(k * 4);
        // A small graph is searched through: a handful of badly linked
        // points must not hide the nearest one, and it costs little.
        let points = hnsw.get_nb_point();
        let ef = if points <= SEARCH_ALL_UP_TO {
            points.max(want)
        } else {
            self.params.ef_search.max(want)
        };
        let mut out: Vec<(u64, f32)> = hnsw
            .search(query, want, ef)
            .into_iter()
            .filter(|n| !self.dead.get(n.d_id).copied().unwrap_or(true))
            .filter_map(|n| self.keys.get(n.d_id).map(|&key| (key, 1.0 - n.distance)))
            .collect();
        out.truncate(k);
        out
    }

    /// Writes the index into `dir` (replacing what is there). Points that
    /// other clones added to the shared graph are written too, flagged as
    /// removed. An index opened or built for scanning has no graph to
    /// write: [`SearchError::Index`].
    pub fn save(&mut self, dir: &Path) -> Result<()> {
        let Backend::Graph(hnsw) = &self.backend else {
            return Err(SearchError::Index {
                path: dir.to_owned(),
                message: "a vector index opened for scanning has no graph to save".into(),
            });
        };
        // Written whole into a sibling directory, then swapped in by rename:
        // a process that has the old index loaded keeps answering from it,
        // and a crash leaves either the old index or none.
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "vectors".into());
        let parent = dir.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(io_err(parent))?;
        // Leftovers of interrupted saves.
        if let Ok(entries) = std::fs::read_dir(parent) {
            for e in entries.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if n.starts_with(&format!("{name}.tmp-")) || n.starts_with(&format!("{name}.old-"))
                {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let tmp = parent.join(format!("{name}.tmp-{}", std::process::id()));
        std::fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;
        if !self.keys.is_empty() {
            hnsw.file_dump(&tmp, BASENAME)
                .map_err(|e| SearchError::Index {
                    path: tmp.clone(),
                    message: e.to_string(),
                })?;
            let mut scan = Scan::zeroed(self.dim, hnsw.get_nb_point());
            for point in hnsw.get_point_indexation() {
                scan.set(point.get_origin_id(), point.get_v());
            }
            std::fs::write(tmp.join(SCAN), scan.encode()).map_err(io_err(&tmp))?;
        }
        // Per point: key, version (LE u64 each) and a removed flag; points
        // of the shared graph this clone does not see are written removed.
        let count = self.keys.len().max(hnsw.get_nb_point());
        let mut keys: Vec<u8> = Vec::with_capacity(count * 17);
        for ((k, v), dead) in self.keys.iter().zip(&self.versions).zip(&self.dead) {
            keys.extend(k.to_le_bytes());
            keys.extend(v.to_le_bytes());
            keys.push(u8::from(*dead));
        }
        for _ in self.keys.len()..count {
            keys.extend(u64::MAX.to_le_bytes());
            keys.extend(0u64.to_le_bytes());
            keys.push(1);
        }
        std::fs::write(tmp.join(KEYS), keys).map_err(io_err(&tmp))?;
        let mut manifest = format!(
            "{VECTOR_FORMAT_VERSION}\n{}\n{}\n{}\n",
            self.dim, count, self.tag
        );
        for name in dump_files(!self.keys.is_empty()) {
            let (len, hash) = file_digest(&tmp.join(&name)).map_err(io_err(&tmp))?;
            manifest.push_str(&format!("file {name} {len} {hash}\n"));
        }
        std::fs::write(tmp.join(MANIFEST), manifest).map_err(io_err(&tmp))?;
        let old = parent.join(format!("{name}.old-{}", std::process::id()));
        if dir.exists() {
            std::fs::rename(dir, &old).map_err(io_err(dir))?;
        }
        std::fs::rename(&tmp, dir).map_err(io_err(dir))?;
        let _ = std::fs::remove_dir_all(&old);
        self.unsaved = 0;
        Ok(())
    }

    /// Loads the index saved in `dir` if it was built for `tag`; `None` when
    /// there is none, it is of another version or tag, or it is damaged.
    pub fn open(dir: &Path, tag: &str, params: HnswParams) -> Option<VectorIndex> {
        VectorIndex::open_checked(dir, tag, params).ok().flatten()
    }

    /// [`VectorIndex::open`] telling damage apart: `Err(why)` when the
    /// saved index is for `tag` but a file is missing, short or altered
    /// (the caller rebuilds it from the vectors it has); `Ok(None)` when
    /// there is none, or it is of another version or tag.
    pub fn open_checked(
        dir: &Path,
        tag: &str,
        params: HnswParams,
    ) -> std::result::Result<Option<VectorIndex>, String> {
        VectorIndex::open_for(VectorAccess::Graph, dir, tag, params)
    }

    /// [`VectorIndex::open_checked`] for `access`: only the files that
    /// access reads are checked and read.
    pub fn open_for(
        access: VectorAccess,
        dir: &Path,
        tag: &str,
        params: HnswParams,
    ) -> std::result::Result<Option<VectorIndex>, String> {
        let Ok(manifest) = std::fs::read_to_string(dir.join(MANIFEST)) else {
            return match dir.exists() {
                true => Err("the manifest is missing or unreadable".into()),
                false => Ok(None),
            };
        };
        let mut lines = manifest.lines();
        let mut number = |what: &str| -> std::result::Result<usize, String> {
            lines
                .next()
                .and_then(|l| l.parse().ok())
                .ok_or_else(|| format!("the manifest's {what} is missing or garbled"))
        };
        let version = number("version")?;
        let dim = number("dimension")?;
        let count = number("count")?;
        let saved_tag = lines.next().unwrap_or("");
        if version != VECTOR_FORMAT_VERSION as usize || saved_tag != tag {
            return Ok(None);
        }
        let needed = needed_files(access, count > 0);
        verify_files(dir, lines, &needed)?;
        Ok(VectorIndex::load(access, dir, tag, params, dim, count))
    }

    /// Whether the index saved in `dir` has points and its scan copy is
    /// missing (a dump from before scan copies) or damaged: what a writer
    /// fixes by saving again (readers through the graph never read it).
    pub fn scan_needs_writing(dir: &Path) -> bool {
        let Ok(manifest) = std::fs::read_to_string(dir.join(MANIFEST)) else {
            return false;
        };
        let graph = format!("file {BASENAME}.hnsw.graph ");
        manifest.lines().any(|l| l.starts_with(&graph))
            && verify_files(dir, manifest.lines(), &[SCAN.to_owned()]).is_err()
    }

    /// Whether the index saved in `dir` has points but no scan copy (a
    /// dump written before scan copies existed): scanning readers then
    /// build their copy from the stored vectors, until a save writes it.
    pub fn lacks_scan(dir: &Path) -> bool {
        std::fs::read_to_string(dir.join(MANIFEST)).is_ok_and(|m| {
            let named = |name: &str| m.lines().any(|l| l.starts_with(&format!("file {name} ")));
            named(&format!("{BASENAME}.hnsw.graph")) && !named(SCAN)
        })
    }

    /// Loads a dump whose files were checked.
    fn load(
        access: VectorAccess,
        dir: &Path,
        tag: &str,
        params: HnswParams,
        dim: usize,
        count: usize,
    ) -> Option<VectorIndex> {
        let raw = std::fs::read(dir.join(KEYS)).ok()?;
        if raw.len() != count * 17 {
            return None;
        }
        let (mut keys, mut versions, mut dead) = (
            Vec::with_capacity(count),
            Vec::with_capacity(count),
            Vec::with_capacity(count),
        );
        for rec in raw.chunks_exact(17) {
            keys.push(u64::from_le_bytes(rec[..8].try_into().expect("8 bytes")));
            versions.push(u64::from_le_bytes(rec[8..16].try_into().expect("8 bytes")));
            dead.push(rec[16] != 0);
        }
        if count == 0 {
            return Some(VectorIndex::build_for(access, &[], &[], dim, tag, params));
        }
        let removed = dead.iter().filter(|d| **d).count();
        let backend = match access {
            VectorAccess::Scan => {
                let bytes = std::fs::read(dir.join(SCAN)).ok()?;
                Backend::Scan(Arc::new(Scan::decode(&bytes, dim, count)?))
            }
            VectorAccess::Graph => Backend::Graph(Arc::new(load_graph(dir, count)?)),
        };
        Some(VectorIndex {
            backend,
            keys,
            versions,
            dead,
            removed,
            unsaved: 0,
            dim,
            tag: tag.to_owned(),
            params,
        })
    }

    /// Where the index of one model lives under an index directory.
    pub fn dir_for(index_dir: &Path, model_id: &str) -> PathBuf {
        let safe: String = model_id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        index_dir.join("vectors").join(safe)
    }
}

/// The HNSW graph dumped in `dir`, when it holds `count` points.
fn load_graph(dir: &Path, count: usize) -> Option<Hnsw<'static, f32, DistCosine>> {
    // hnsw_rs ties a loaded index to its loader's lifetime, so the loader
    // is leaked (a few hundred bytes per open). Vectors are read into the
    // index rather than memory-mapped: a mapping would belong to the leaked
    // loader and outlive the index, and a long-lived server opens each new
    // generation of the index after updates.
    let loader: &'static mut HnswIo = Box::leak(Box::new(HnswIo::new(dir, BASENAME)));
    loader.set_options(hnsw_rs::hnswio::ReloadOptions::default().set_mmap(false));
    let hnsw: Hnsw<'static, f32, DistCosine> = loader.load_hnsw().ok()?;
    (hnsw.get_nb_point() == count).then_some(hnsw)
}

/// The files a saved index consists of (the hnsw dump and the scan copy
/// only when it has points).
fn dump_files(with_points: bool) -> Vec<String> {
    let mut out = vec![KEYS.to_owned()];
    if with_points {
        out.push(format!("{BASENAME}.hnsw.graph"));
        out.push(format!("{BASENAME}.hnsw.data"));
        out.push(SCAN.to_owned());
    }
    out
}

/// The files opening with `access` reads.
fn needed_files(access: VectorAccess, with_points: bool) -> Vec<String> {
    let mut out = vec![KEYS.to_owned()];
    if with_points {
        match access {
            VectorAccess::Graph => {
                out.push(format!("{BASENAME}.hnsw.graph"));
                out.push(format!("{BASENAME}.hnsw.data"));
            }
            VectorAccess::Scan => out.push(SCAN.to_owned()),
        }
    }
    out
}

/// Length and blake3 hash (hex) of a file.
fn file_digest(path: &Path) -> std::io::Result<(u64, String)> {
    let mut hasher = blake3::Hasher::new();
    let len = std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
    Ok((len, hasher.finalize().to_hex().to_string()))
}

/// Checks every file the manifest's `file` lines name, and that the files
/// of the dump are all named. Why not, when a check fails.
fn verify_files<'m>(
    dir: &Path,
    lines: impl Iterator<Item = &'m str>,
    needed: &[String],
) -> Result<(), String> {
    let mut named = Vec::new();
    for line in lines {
        let mut parts = line.split(' ');
        let (Some("file"), Some(name), Some(len), Some(hash)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        // What this opening does not read is not its concern.
        if !needed.iter().any(|n| n == name) {
            continue;
        }
        let path = dir.join(name);
        // Length first: a truncated file is found without reading it.
        let actual = std::fs::metadata(&path)
            .map_err(|e| format!("{name}: {e}"))?
            .len();
        if len.parse::<u64>().ok() != Some(actual) {
            return Err(format!("{name}: {actual} bytes, {len} expected"));
        }
        let (_, digest) = file_digest(&path).map_err(|e| format!("{name}: {e}"))?;
        if digest != hash {
            return Err(format!("{name}: checksum mismatch"));
        }
        named.push(name.to_owned());
    }
    for name in needed {
        if !named.contains(name) {
            return Err(format!("{name}: not in the manifest"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: Vec<f32>) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.into_iter().map(|x| x / n).collect()
    }

    /// Deterministic pseudo-random unit vectors.
    fn points(n: usize, dim: usize) -> Vec<(u64, Vec<f32>)> {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        (0..n)
            .map(|i| {
                let v: Vec<f32> = (0..dim)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        (state % 2000) as f32 / 1000.0 - 1.0
                    })
                    .collect();
                (1000 + i as u64, unit(v))
            })
            .collect()
    }

    #[test]
    fn a_small_index_answers_as_brute_force_does() {
        // A sparsely linked graph and a narrow search: alone, they miss
        // some of the nearest points.
        let sparse = HnswParams {
            max_connections: 8,
            ef_construction: 16,
            ef_search: 1,
        };
        let pts = points(600, 24);
        let idx = VectorIndex::build(&pts, 24, "t", sparse);
        let queries = points(700, 24);
        for (_, q) in &queries[600..] {
            let mut exact: Vec<(u64, f32)> = pts
                .iter()
                .map(|(k, v)| (*k, v.iter().zip(q).map(|(x, y)| x * y).sum::<f32>()))
                .collect();
            exact.sort_by(|a, b| b.1.total_cmp(&a.1));
            let want: Vec<u64> = exact[..5].iter().map(|e| e.0).collect();
            let got: Vec<u64> = idx.search(q, 5).iter().map(|e| e.0).collect();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn finds_the_nearest_points_and_survives_save_and_load() {
        let pts = points(2000, 32);
        let mut idx = VectorIndex::build(&pts, 32, "model-a@1", HnswParams::default());
        // Each point's nearest neighbour is itself.
        let mut hits = 0;
        for (key, v) in pts.iter().step_by(50) {
            let found = idx.search(v, 1);
            if found.first().map(|f| f.0) == Some(*key) {
                hits += 1;
            }
            assert!(found[0].1 > 0.99 || found[0].0 != *key);
        }
        assert!(hits >= 38, "recall@1 {hits}/40");
        // Brute force agrees on the top result for a fresh query.
        let q = unit((0..32).map(|i| (i as f32).sin()).collect());
        let best = pts
            .iter()
            .max_by(|a, b| {
                let da: f32 = a.1.iter().zip(&q).map(|(x, y)| x * y).sum();
                let db: f32 = b.1.iter().zip(&q).map(|(x, y)| x * y).sum();
                da.total_cmp(&db)
            })
            .unwrap();
        assert!(idx.search(&q, 10).iter().any(|(k, _)| *k == best.0));

        let dir = tempfile::tempdir().unwrap();
        idx.save(dir.path()).unwrap();
        assert!(
            VectorIndex::open(dir.path(), "model-b@1", HnswParams::default()).is_none(),
            "another tag"
        );
        let loaded = VectorIndex::open(dir.path(), "model-a@1", HnswParams::default()).unwrap();
        assert_eq!(loaded.len(), 2000);
        assert_eq!(loaded.search(&pts[7].1, 1)[0].0, pts[7].0);
        // Wrong dimension or empty index: no answers, no panic.
        assert!(loaded.search(&[1.0, 0.0], 5).is_empty());
        assert!(
            VectorIndex::build(&[], 32, "t", HnswParams::default())
                .search(&q, 3)
                .is_empty()
        );
    }

    #[test]
    fn a_scanning_open_answers_as_exact_search_does_and_checks_only_its_files() {
        let pts = points(3000, 32);
        let mut idx = VectorIndex::build(&pts, 32, "m@1", HnswParams::default());
        let gone: std::collections::HashSet<u64> = [pts[5].0, pts[9].0].into();
        idx.remove(&gone);
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("vectors");
        idx.save(&dir).unwrap();
        assert!(!VectorIndex::lacks_scan(&dir));
        assert!(!VectorIndex::scan_needs_writing(&dir));
        let mut scan =
            VectorIndex::open_for(VectorAccess::Scan, &dir, "m@1", HnswParams::default())
                .unwrap()
                .unwrap();
        assert_eq!(scan.access(), VectorAccess::Scan);
        assert_eq!(scan.len(), 2998);
        let exact = |q: &[f32], alive: &dyn Fn(u64) -> bool| -> Vec<u64> {
            let mut all: Vec<(u64, f32)> = pts
                .iter()
                .filter(|(k, _)| alive(*k))
                .map(|(k, v)| (*k, v.iter().zip(q).map(|(x, y)| x * y).sum::<f32>()))
                .collect();
            all.sort_by(|a, b| b.1.total_cmp(&a.1));
            all.iter().take(3).map(|e| e.0).collect()
        };
        for (_, q) in points(3010, 32).iter().skip(3000) {
            let got: Vec<u64> = scan.search(q, 3).iter().map(|e| e.0).collect();
            assert_eq!(got, exact(q, &|k| !gone.contains(&k)));
        }
        // Removed points stay out; a point inserted into the scan is found.
        assert!(
            scan.search(&pts[5].1, 3)
                .iter()
                .all(|(k, _)| *k != pts[5].0)
        );
        let extra = unit((0..32).map(|i| (i as f32 * 0.7).cos()).collect());
        scan.insert(&[(77, 1, extra.clone())]);
        assert_eq!(scan.search(&extra, 1)[0].0, 77);
        // A scanning index has no graph to save.
        assert!(scan.save(&parent.path().join("other")).is_err());

        // A damaged scan copy is refused for scanning; the graph, which does
        // not read it, still opens.
        let bytes = std::fs::read(dir.join(SCAN)).unwrap();
        let mut garbled = bytes.clone();
        garbled[100] ^= 0x55;
        std::fs::write(dir.join(SCAN), &garbled).unwrap();
        let why = VectorIndex::open_for(VectorAccess::Scan, &dir, "m@1", HnswParams::default())
            .unwrap_err();
        assert!(why.contains("scan"), "{why}");
        assert!(VectorIndex::open(&dir, "m@1", HnswParams::default()).is_some());
        assert!(VectorIndex::scan_needs_writing(&dir));
        // A dump written before scan copies: scanning says so, the graph
        // opens.
        std::fs::write(dir.join(SCAN), &bytes).unwrap();
        let manifest = std::fs::read_to_string(dir.join(MANIFEST)).unwrap();
        let older: String = manifest
            .lines()
            .filter(|l| !l.starts_with("file scan "))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(dir.join(MANIFEST), older).unwrap();
        assert!(VectorIndex::lacks_scan(&dir));
        assert!(VectorIndex::scan_needs_writing(&dir));
        assert!(
            VectorIndex::open_for(VectorAccess::Scan, &dir, "m@1", HnswParams::default()).is_err()
        );
        assert_eq!(
            VectorIndex::open(&dir, "m@1", HnswParams::default())
                .unwrap()
                .len(),
            2998
        );
    }

    #[test]
    fn an_open_index_keeps_answering_while_a_new_one_is_saved_over_it() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("vectors");
        let first = points(500, 16);
        VectorIndex::build(&first, 16, "m", HnswParams::default())
            .save(&dir)
            .unwrap();
        let reader = VectorIndex::open(&dir, "m", HnswParams::default()).unwrap();
        // A leftover of an interrupted save is cleaned by the next one.
        std::fs::create_dir_all(parent.path().join("vectors.tmp-1")).unwrap();
        let second: Vec<(u64, Vec<f32>)> = points(300, 16)
            .into_iter()
            .map(|(k, v)| (k + 10_000, v))
            .collect();
        VectorIndex::build(&second, 16, "m", HnswParams::default())
            .save(&dir)
            .unwrap();
        // The reader still sees the index it opened (its mapped files live on).
        assert_eq!(reader.search(&first[3].1, 1)[0].0, first[3].0);
        let fresh = VectorIndex::open(&dir, "m", HnswParams::default()).unwrap();
        assert_eq!(fresh.len(), 300);
        assert_eq!(fresh.search(&second[3].1, 1)[0].0, second[3].0);
        let names: Vec<String> = std::fs::read_dir(parent.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["vectors"]);
    }

    #[test]
    fn points_added_and_removed_after_the_build_survive_save_and_open() {
        let pts = points(400, 16);
        let versions: Vec<u64> = (0..400).collect();
        let mut idx = VectorIndex::build_versioned(&pts, &versions, 16, "m", HnswParams::default());
        // Replace point 3 with a new vector (new version), remove point 5.
        let moved = unit((0..16).map(|i| ((i * 7) as f32).cos()).collect());
        idx.remove(&[pts[3].0, pts[5].0].into_iter().collect());
        idx.insert(&[(pts[3].0, 1000, moved.clone())]);
        assert_eq!(idx.len(), 399);
        assert_eq!(idx.removed(), 2);
        let check = |idx: &VectorIndex| {
            assert_eq!(idx.search(&moved, 1)[0].0, pts[3].0);
            // The removed point is never an answer, even to its own vector.
            assert!(
                idx.search(&pts[5].1, 10)
                    .iter()
                    .all(|(k, _)| *k != pts[5].0)
            );
            let live = idx.live();
            assert_eq!(live.get(&pts[3].0), Some(&1000));
            assert_eq!(live.get(&pts[7].0), Some(&7));
            assert!(!live.contains_key(&pts[5].0));
        };
        check(&idx);
        let dir = tempfile::tempdir().unwrap();
        idx.save(&dir.path().join("v")).unwrap();
        let mut loaded =
            VectorIndex::open(&dir.path().join("v"), "m", HnswParams::default()).unwrap();
        check(&loaded);
        // A loaded index takes insertions too, and saves again.
        let extra = unit((0..16).map(|i| ((i * 3) as f32).sin() + 0.5).collect());
        loaded.insert(&[(9_999, 1, extra.clone())]);
        assert_eq!(loaded.search(&extra, 1)[0].0, 9_999);
        loaded.save(&dir.path().join("v")).unwrap();
        let again = VectorIndex::open(&dir.path().join("v"), "m", HnswParams::default()).unwrap();
        assert_eq!(again.len(), 400);
        assert_eq!(again.search(&extra, 1)[0].0, 9_999);
    }

    #[test]
    fn clones_share_the_graph_but_each_answers_as_of_its_own_state() {
        let pts = points(600, 16);
        let mut writer = VectorIndex::build(&pts[..500], 16, "m", HnswParams::default());
        let reader = writer.clone();
        let gone: std::collections::HashSet<u64> = [pts[3].0].into();
        writer.remove(&gone);
        let added: Vec<(u64, u64, Vec<f32>)> =
            pts[500..].iter().map(|(k, v)| (*k, 1, v.clone())).collect();
        writer.insert(&added);
        assert_eq!(writer.unsaved(), 101);
        // The writer sees its change.
        assert_eq!(writer.len(), 599);
        assert_eq!(writer.search(&pts[550].1, 1)[0].0, pts[550].0);
        assert_ne!(writer.search(&pts[3].1, 1)[0].0, pts[3].0);
        // The reader, sharing the graph, answers as before: the removed
        // point is there, the added ones are not.
        assert_eq!(reader.len(), 500);
        assert_eq!(reader.search(&pts[3].1, 1)[0].0, pts[3].0);
        assert!(
            reader
                .search(&pts[550].1, 20)
                .iter()
                .all(|(k, _)| *k < pts[500].0)
        );
        // A clone that lags the shared graph (the reader) inserts past
        // every point in it: nothing of the writer's is overwritten.
        let mut lagging = reader.clone();
        lagging.insert(&[(77_777, 1, pts[3].1.clone())]);
        assert_eq!(lagging.len(), 501);
        assert_eq!(lagging.search(&pts[3].1, 2).len(), 2);
        assert_eq!(writer.search(&pts[550].1, 1)[0].0, pts[550].0);
        assert!(
            writer
                .search(&pts[3].1, 5)
                .iter()
                .all(|(k, _)| *k != 77_777)
        );
        // Saved and opened again: the writer's state, and nothing unsaved.
        let dir = tempfile::tempdir().unwrap();
        writer.save(&dir.path().join("v")).unwrap();
        assert_eq!(writer.unsaved(), 0);
        let again = VectorIndex::open(&dir.path().join("v"), "m", HnswParams::default()).unwrap();
        assert_eq!(again.len(), writer.len());
        assert_eq!(again.unsaved(), 0);
        assert_eq!(again.live(), writer.live());
        assert_eq!(again.search(&pts[550].1, 1)[0].0, pts[550].0);
    }

    /// Regression: hnsw_rs's loader ends the process on a short or garbled
    /// dump; every damaged file must be refused before it gets there.
    #[test]
    fn a_truncated_or_garbled_dump_is_refused_not_loaded() {
        let pts = points(300, 16);
        for name in dump_files(true) {
            for damage in ["truncate", "garble", "delete"] {
                let dir = tempfile::tempdir().unwrap();
                VectorIndex::build(&pts, 16, "m", HnswParams::default())
                    .save(dir.path())
                    .unwrap();
                assert!(VectorIndex::open(dir.path(), "m", HnswParams::default()).is_some());
                let path = dir.path().join(&name);
                let mut bytes = std::fs::read(&path).unwrap();
                match damage {
                    "truncate" => {
                        bytes.truncate(bytes.len() / 2);
                        std::fs::write(&path, &bytes).unwrap();
                    }
                    "garble" => {
                        let mid = bytes.len() / 2;
                        let end = (mid + 64).min(bytes.len());
                        for b in &mut bytes[mid..end] {
                            *b ^= 0x5a;
                        }
                        std::fs::write(&path, &bytes).unwrap();
                    }
                    _ => std::fs::remove_file(&path).unwrap(),
                }
                // Refused by the opening that reads the file.
                let access = if name == SCAN {
                    VectorAccess::Scan
                } else {
                    VectorAccess::Graph
                };
                assert!(
                    VectorIndex::open_for(access, dir.path(), "m", HnswParams::default()).is_err(),
                    "{damage} {name} was accepted"
                );
            }
        }
    }
}
