//! `model install`, `model status`: the local embedding model.

use crate::term::outln;
use crate::{ModelCommand, Outcome};
use anyhow::{Context, Result};
use codegraph::embedding;

/// Installs the model, or reports whether it loads.
pub fn model(command: ModelCommand) -> Result<Outcome> {
    match command {
        ModelCommand::Install { data_dir } => {
            let dir = data_dir.unwrap_or_else(embedding::default_data_dir);
            eprintln!("installing the embedding model into {}", dir.display());
            let paths = embedding::install(&dir).context("model install failed")?;
            outln!("model        {}", paths.model_dir.display());
            outln!("onnxruntime  {}", paths.ort_library.display());
        }
        ModelCommand::Status => {
            let config = embedding::ModelConfig::from_data_dir(&embedding::default_data_dir());
            match embedding::Embedder::load(&config) {
                Ok(e) => outln!("installed    {} ({} dimensions)", e.model_id(), e.dim()),
                Err(e) => anyhow::bail!("{e}"),
            }
        }
    }
    Ok(Outcome::Done)
}
