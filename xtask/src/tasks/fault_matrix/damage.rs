//! The damages of the matrix and the files they are done to.

use anyhow::{Context, Result};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// One way to damage one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Damage {
    /// Cut to half its length.
    Half,
    /// Cut to nothing.
    Zero,
    /// 4 KB of random bytes in the middle (the whole file when smaller).
    Garble,
    /// Removed.
    Delete,
}

impl Damage {
    pub const ALL: [Damage; 4] = [Damage::Half, Damage::Zero, Damage::Garble, Damage::Delete];

    pub fn name(self) -> &'static str {
        match self {
            Damage::Half => "truncate/2",
            Damage::Zero => "truncate/0",
            Damage::Garble => "garble 4K",
            Damage::Delete => "delete",
        }
    }

    /// Does the damage to `path`; `seed` picks the random bytes.
    pub fn apply(self, path: &Path, seed: u64) -> Result<()> {
        let len = std::fs::metadata(path)
            .with_context(|| format!("{}", path.display()))?
            .len();
        let open = || {
            std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .with_context(|| format!("opening {}", path.display()))
        };
        match self {
            Damage::Half => open()?.set_len(len / 2)?,
            Damage::Zero => open()?.set_len(0)?,
            Damage::Garble => {
                let n = len.min(4096);
                let offset = (len / 2).saturating_sub(n / 2);
                let mut f = open()?;
                f.seek(SeekFrom::Start(offset))?;
                f.write_all(&random_bytes(n as usize, seed))?;
                f.sync_all()?;
            }
            Damage::Delete => std::fs::remove_file(path)?,
        }
        Ok(())
    }
}

/// `n` bytes of xorshift64* noise (never all alike, unlike a fill).
fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(n);
    out
}

/// The part of the index a file belongs to, from its path in the index
/// directory.
pub fn part_of(rel: &Path) -> &'static str {
    let text = rel.to_string_lossy();
    if text.starts_with("bm25/") {
        "bm25"
    } else if text.starts_with("vectors") {
        "vectors"
    } else if text.starts_with("index.sqlite") {
        "sqlite"
    } else {
        "other"
    }
}

/// Every file under `dir`, relative to it, sorted.
pub fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).with_context(|| format!("{}", d.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir)?.to_owned());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A seed per case, stable across runs.
pub fn seed(rel: &Path, damage: Damage) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in rel.to_string_lossy().bytes().chain(damage.name().bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_damage_changes_the_file_as_named() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        let original: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        for d in Damage::ALL {
            std::fs::write(&f, &original).unwrap();
            d.apply(&f, 7).unwrap();
            match d {
                Damage::Half => assert_eq!(std::fs::read(&f).unwrap().len(), 5_000),
                Damage::Zero => assert!(std::fs::read(&f).unwrap().is_empty()),
                Damage::Garble => {
                    let now = std::fs::read(&f).unwrap();
                    assert_eq!(now.len(), original.len());
                    let changed = now.iter().zip(&original).filter(|(a, b)| a != b).count();
                    assert!(changed > 4_000, "{changed} bytes changed");
                    assert_eq!(now[..2_900], original[..2_900]);
                    assert_eq!(now[7_100..], original[7_100..]);
                }
                Damage::Delete => assert!(!f.exists()),
            }
        }
    }
}
