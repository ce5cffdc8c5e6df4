//! A query session that is ready at once: the model loaded with ONNX
//! Runtime's graph optimisations off, run directly (tokenizer, session,
//! pooling) rather than through fastembed, which always optimises.
//!
//! On all-MiniLM-L6-v2 (int8), 2 cores: building an optimised session takes
//! about 230 ms and a one-line query then runs in about 3 ms; this session
//! is built in about 50 ms and runs a query in about 17 ms. A process that
//! embeds one query and exits (the command line) saves the difference; a
//! long-lived reader keeps the optimised session. The vectors are the same
//! up to float rounding (the optimisations fuse operators, they do not
//! change the arithmetic): a test holds them to a cosine of 0.9999.

use fastembed::TokenizerFiles;
use ort::environment::Environment;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::Tensor;
use tokenizers::{AddedToken, PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use crate::config::Pooling;

/// The model's tokenizer as fastembed configures it: padding to the longest
/// text of a batch with the model's pad token, truncation to `max_length`
/// (at most the tokenizer's `model_max_length`), and the special tokens
/// declared as special.
pub(crate) fn load_tokenizer(
    files: &TokenizerFiles,
    max_length: usize,
) -> Result<Tokenizer, String> {
    let json = |bytes: &[u8], name: &str| -> Result<serde_json::Value, String> {
        serde_json::from_slice(bytes).map_err(|e| format!("{name}: {e}"))
    };
    let config = json(&files.config_file, "config.json")?;
    let special = json(&files.special_tokens_map_file, "special_tokens_map.json")?;
    let tokenizer_config = json(&files.tokenizer_config_file, "tokenizer_config.json")?;
    let mut tokenizer =
        Tokenizer::from_bytes(&files.tokenizer_file).map_err(|e| format!("tokenizer.json: {e}"))?;
    let model_max = tokenizer_config["model_max_length"]
        .as_f64()
        .ok_or("tokenizer_config.json has no numeric model_max_length")?;
    let max_length = max_length.min(model_max as usize);
    let pad = &tokenizer_config["pad_token"];
    let pad_token = pad
        .as_str()
        .or_else(|| pad["content"].as_str())
        .ok_or("tokenizer_config.json has no pad_token")?
        .to_owned();
    let pad_id = config["pad_token_id"]
        .as_u64()
        .map(|id| id as u32)
        .or_else(|| tokenizer.token_to_id(&pad_token))
        .unwrap_or(0);
    tokenizer
        .with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            pad_token,
            pad_id,
            ..Default::default()
        }))
        .with_truncation(Some(TruncationParams {
            max_length,
            ..Default::default()
        }))
        .map_err(|e| e.to_string())?;
    if let serde_json::Value::Object(tokens) = special {
        let added: Vec<AddedToken> = tokens
            .values()
            .filter_map(|v| match v {
                serde_json::Value::String(content) => Some(AddedToken {
                    content: content.clone(),
                    special: true,
                    ..Default::default()
                }),
                serde_json::Value::Object(_) => Some(AddedToken {
                    content: v["content"].as_str()?.to_owned(),
                    special: true,
                    single_word: v["single_word"].as_bool()?,
                    lstrip: v["lstrip"].as_bool()?,
                    rstrip: v["rstrip"].as_bool()?,
                    normalized: v["normalized"].as_bool()?,
                }),
                _ => None,
            })
            .collect();
        tokenizer
            .add_special_tokens(added)
            .map_err(|e| e.to_string())?;
    }
    Ok(tokenizer)
}

/// A session with graph optimisations off, and what running it takes.
pub(crate) struct QuickSession {
    session: Session,
    /// Set by [`QuickSession::with_tokenizer`] (built beside the session).
    tokenizer: Option<Tokenizer>,
    token_type_ids: bool,
    pooling: Pooling,
}

impl QuickSession {
    pub(crate) fn build(
        environment: &Environment,
        onnx: &[u8],
        pooling: Pooling,
        threads: usize,
    ) -> Result<QuickSession, String> {
        let session = Session::builder(environment)
            .map_err(|e| e.to_string())?
            .with_optimization_level(GraphOptimizationLevel::Disable)
            .map_err(|e| e.to_string())?
            .with_intra_threads(threads)
            .map_err(|e| e.to_string())?
            .commit_from_memory(onnx)
            .map_err(|e| e.to_string())?;
        let token_type_ids = session
            .inputs()
            .iter()
            .any(|input| input.name() == "token_type_ids");
        Ok(QuickSession {
            session,
            tokenizer: None,
            token_type_ids,
            pooling,
        })
    }

    pub(crate) fn with_tokenizer(mut self, tokenizer: Tokenizer) -> QuickSession {
        self.tokenizer = Some(tokenizer);
        self
    }

    /// The width of the model's vectors as its output declares it (`None`
    /// when the declared shape leaves it open): checked at load without
    /// running the model, whose first run costs several later ones.
    pub(crate) fn declared_dim(&self) -> Option<usize> {
        let outputs = self.session.outputs();
        let output = outputs
            .iter()
            .find(|o| o.name() == "last_hidden_state")
            .or_else(|| outputs.first())?;
        let last = *output.dtype().tensor_shape()?.last()?;
        usize::try_from(last).ok().filter(|d| *d > 0)
    }

    /// One vector per text (pooled, not normalised).
    pub(crate) fn embed(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let encodings = self
            .tokenizer
            .as_ref()
            .ok_or("the quick session has no tokenizer")?
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| e.to_string())?;
        let (rows, width) = (encodings.len(), encodings[0].len());
        let column = |part: fn(&tokenizers::Encoding) -> &[u32]| -> Vec<i64> {
            encodings
                .iter()
                .flat_map(|e| part(e).iter().map(|&x| i64::from(x)))
                .collect()
        };
        let mask = column(tokenizers::Encoding::get_attention_mask);
        let tensor = |data: Vec<i64>| Tensor::from_array(([rows, width], data));
        let ids = tensor(column(tokenizers::Encoding::get_ids)).map_err(|e| e.to_string())?;
        let attention = tensor(mask.clone()).map_err(|e| e.to_string())?;
        let outputs = if self.token_type_ids {
            let types =
                tensor(column(tokenizers::Encoding::get_type_ids)).map_err(|e| e.to_string())?;
            self.session.run(ort::inputs![
                "input_ids" => ids,
                "attention_mask" => attention,
                "token_type_ids" => types,
            ])
        } else {
            self.session.run(ort::inputs![
                "input_ids" => ids,
                "attention_mask" => attention,
            ])
        }
        .map_err(|e| e.to_string())?;
        // The token vectors: `last_hidden_state` where the model names it,
        // else its first output.
        let output = match outputs.get("last_hidden_state") {
            Some(o) => o,
            None => &outputs[0],
        };
        let (shape, values) = output
            .try_extract_tensor::<f32>()
            .map_err(|e| e.to_string())?;
        pool(shape, values, &mask, rows, width, self.pooling)
    }
}

/// Sentence vectors from the model's output: already pooled (2 dimensions),
/// or token vectors (3) pooled by the mask's mean or the first token.
fn pool(
    shape: &[i64],
    values: &[f32],
    mask: &[i64],
    rows: usize,
    width: usize,
    pooling: Pooling,
) -> Result<Vec<Vec<f32>>, String> {
    match *shape {
        [b, d] if b as usize == rows && d > 0 => {
            Ok(values.chunks(d as usize).map(<[f32]>::to_vec).collect())
        }
        [b, n, d] if b as usize == rows && n as usize == width && d > 0 => {
            let d = d as usize;
            Ok((0..rows)
                .map(|r| {
                    let tokens = &values[r * width * d..(r + 1) * width * d];
                    match pooling {
                        Pooling::Cls => tokens[..d].to_vec(),
                        Pooling::Mean => {
                            let mut sum = vec![0f32; d];
                            let mut count = 0f32;
                            for (t, vector) in tokens.chunks(d).enumerate() {
                                let m = mask[r * width + t] as f32;
                                count += m;
                                for (s, v) in sum.iter_mut().zip(vector) {
                                    *s += v * m;
                                }
                            }
                            let count = count.max(1e-9);
                            sum.iter().map(|s| s / count).collect()
                        }
                    }
                })
                .collect())
        }
        _ => Err(format!("unexpected model output shape {shape:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_pooling_counts_only_unmasked_tokens() {
        // Two texts of three token slots, two dimensions; the second text's
        // last slot is padding.
        let values = [
            1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 10.0, 20.0, 30.0, 40.0, 99.0, 99.0,
        ];
        let mask = [1, 1, 1, 1, 1, 0];
        let got = pool(&[2, 3, 2], &values, &mask, 2, 3, Pooling::Mean).unwrap();
        assert_eq!(got, vec![vec![3.0, 4.0], vec![20.0, 30.0]]);
        let cls = pool(&[2, 3, 2], &values, &mask, 2, 3, Pooling::Cls).unwrap();
        assert_eq!(cls, vec![vec![1.0, 2.0], vec![10.0, 20.0]]);
        let pooled = pool(&[2, 2], &values[..4], &mask, 2, 3, Pooling::Mean).unwrap();
        assert_eq!(pooled, vec![vec![1.0, 2.0], vec![3.0, 4.0]]);
        assert!(pool(&[3, 3, 2], &values, &mask, 2, 3, Pooling::Mean).is_err());
        // A model declaring empty vectors is an error, not a panic.
        assert!(pool(&[2, 0], &[], &mask, 2, 3, Pooling::Mean).is_err());
        assert!(pool(&[2, 3, 0], &[], &mask, 2, 3, Pooling::Mean).is_err());
    }
}
