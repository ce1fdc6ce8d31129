//! The generation engine: one loaded model, a prefilled prompt prefix, greedy decoding.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::Tensor;

use crate::gguf::GgufFile;
use crate::qwen2::{argmax, Qwen2};
use crate::tokenizer::Tokenizer;
use crate::{Error, Result};

/// Allowed sets up to this size are scored from their own rows of the output matrix
/// ([`Qwen2::logits_for`]) instead of computing all logits.
const PARTIAL_LOGITS_MAX: usize = 2048;

/// Longest batch of prompt tokens run through the network at once (bounds the attention
/// scratch memory; longer prompts are prefilled in chunks).
const PREFILL_CHUNK: usize = 128;

/// How to load the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineOptions {
    /// CPU threads for candle's kernels. `None` keeps candle's default (physical cores, or
    /// `CANDLE_NUM_THREADS`). candle reads the count once per process, at the first kernel
    /// call, so only the first engine loaded in a process can set it.
    ///
    /// Default `Some(1)`: candle's pool spin-waits at every op, so on a 2-core machine that is
    /// also serving requests or building, 2 threads collapse (measured 4 tok/s instead of 35);
    /// on an idle machine 2 threads are ~1.5× faster (docs/benchmarks/model.md).
    pub threads: Option<usize>,
    /// KV-cache capacity in tokens (prefix + question + answer).
    pub context: usize,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            threads: Some(1),
            context: 4096,
        }
    }
}

/// The tokens the sampler may choose from at one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedSet {
    /// No constraint.
    All,
    /// Only these ids (an EOS id among them lets generation end).
    Only(Vec<u32>),
}

/// Constrained-decoding hook: given the ids generated so far, the ids allowed next.
pub type AllowedFn = Box<dyn FnMut(&[u32]) -> AllowedSet + Send>;

/// One generation request; the prompt is the engine's prefix followed by `prompt_suffix`.
pub struct GenRequest {
    /// Text after the prefix (ChatML markers allowed), e.g. [`crate::ChatTemplate::user_turn`].
    pub prompt_suffix: String,
    /// Token budget for the answer.
    pub max_tokens: usize,
    /// Generation stops before the first occurrence of any of these strings.
    pub stop: Vec<String>,
    /// Constrained decoding: called before each step; the sampler masks every other token.
    pub allowed: Option<AllowedFn>,
}

impl GenRequest {
    /// A request without stop strings or constraint.
    pub fn new(prompt_suffix: impl Into<String>, max_tokens: usize) -> Self {
        Self {
            prompt_suffix: prompt_suffix.into(),
            max_tokens,
            stop: Vec::new(),
            allowed: None,
        }
    }
}

impl std::fmt::Debug for GenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GenRequest")
            .field("prompt_suffix", &self.prompt_suffix)
            .field("max_tokens", &self.max_tokens)
            .field("stop", &self.stop)
            .field("constrained", &self.allowed.is_some())
            .finish()
    }
}

/// Why generation ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum FinishReason {
    /// An end-of-sequence token was chosen.
    Eos,
    /// A stop string appeared (it is not part of the text).
    Stop(String),
    /// The token budget was used up.
    Length,
    /// The caller stopped listening.
    Cancelled,
}

/// The result of one generation.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Generation {
    /// Generated text, without the stop string or EOS.
    pub text: String,
    /// Generated ids (EOS not included).
    pub tokens: Vec<u32>,
    /// Why it ended.
    pub finish: FinishReason,
    /// Prompt tokens (prefix + suffix).
    pub prompt_tokens: usize,
    /// Prompt tokens served from the prefix KV cache.
    pub cached_tokens: usize,
    /// Seconds spent on the prompt tokens that were not cached.
    pub prefill_s: f64,
    /// Seconds spent generating.
    pub gen_s: f64,
}

impl Generation {
    /// Prompt tokens per second (uncached tokens only).
    pub fn prefill_tok_s(&self) -> f64 {
        rate(self.prompt_tokens - self.cached_tokens, self.prefill_s)
    }

    /// Generated tokens per second (the first token comes from the prefill).
    pub fn gen_tok_s(&self) -> f64 {
        rate(self.tokens.len().saturating_sub(1), self.gen_s)
    }
}

pub(crate) fn rate(n: usize, s: f64) -> f64 {
    if s > 0.0 {
        n as f64 / s
    } else {
        0.0
    }
}

struct Prefix {
    ids: Vec<u32>,
    /// Hidden state after the last prefix token (for an empty suffix).
    hidden: Option<Tensor>,
    /// Whether the KV cache positions `0..ids.len()` hold this prefix.
    cached: bool,
}

/// A loaded model with its tokenizer and prompt-prefix cache. Not `Sync`: one thread drives it
/// (see [`crate::Worker`]).
pub struct Engine {
    model: Qwen2,
    tokenizer: Tokenizer,
    prefix: Prefix,
    path: PathBuf,
    load_s: f64,
    threads: usize,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("path", &self.path)
            .field("model", &self.model)
            .field("prefix_tokens", &self.prefix.ids.len())
            .finish()
    }
}

impl Engine {
    /// Loads the GGUF at `path` (weights, tokenizer, chat layout).
    ///
    /// # Errors
    /// [`Error::NotFound`], [`Error::InvalidGguf`] (corrupted or truncated file),
    /// [`Error::Tokenizer`], or a candle error while loading tensors.
    #[tracing::instrument(skip_all, fields(path = %path.display()), err)]
    pub fn load(path: &Path, opts: EngineOptions) -> Result<Self> {
        let start = Instant::now();
        if let Some(n) = opts.threads {
            // candle sizes its thread pools from these on first use (process-wide).
            std::env::set_var("CANDLE_NUM_THREADS", n.to_string());
            std::env::set_var("RAYON_NUM_THREADS", n.to_string());
        }
        let mut gguf = GgufFile::open(path)?;
        let tokenizer = Tokenizer::from_gguf(&gguf)?;
        let mut model = Qwen2::load(&mut gguf, opts.context)?;
        // Warm-up: candle repacks weights for its SIMD kernels on first use; do it now (batch
        // and single-token paths) rather than in the first question.
        let warm = tokenizer.encode("SELECT 1")?;
        model.forward(&warm)?;
        model.forward(&warm[..1])?;
        model.truncate(0);
        let load_s = start.elapsed().as_secs_f64();
        let threads = opts.threads.unwrap_or_else(candle_threads);
        tracing::info!(load_s, threads, "model loaded");
        Ok(Self {
            model,
            tokenizer,
            prefix: Prefix {
                ids: Vec::new(),
                hidden: None,
                cached: true,
            },
            path: path.to_path_buf(),
            load_s,
            threads,
        })
    }

    /// The tokenizer built from the GGUF.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// The file the weights came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Seconds [`Engine::load`] took.
    pub fn load_s(&self) -> f64 {
        self.load_s
    }

    /// Threads candle's kernels use.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// KV-cache capacity in tokens.
    pub fn context(&self) -> usize {
        self.model.capacity()
    }

    /// Token count of the current prefix.
    pub fn prefix_tokens(&self) -> usize {
        self.prefix.ids.len()
    }

    /// Sets the fixed prompt prefix shared by every request, prefills it now and keeps its KV
    /// cache; each later [`Engine::generate`] only pays for its own tokens. Returns the number
    /// of prefix tokens.
    ///
    /// # Errors
    /// [`Error::ContextOverflow`] if the prefix does not fit; tokenizer or candle errors.
    #[tracing::instrument(skip_all, err)]
    pub fn set_prefix(&mut self, prefix: &str) -> Result<usize> {
        let ids = self.tokenizer.encode(prefix)?;
        if ids.len() >= self.model.capacity() {
            return Err(Error::ContextOverflow {
                tokens: ids.len(),
                max_new: 0,
                context: self.model.capacity(),
            });
        }
        self.prefix = Prefix {
            ids,
            hidden: None,
            cached: false,
        };
        self.prefill_prefix()?;
        Ok(self.prefix.ids.len())
    }

    /// Drops the prefix KV cache (the prefix text stays); the next request prefills prefix and
    /// suffix together, as a cold run would, and leaves the prefix cached again.
    pub fn clear_cache(&mut self) {
        self.model.truncate(0);
        self.prefix.cached = self.prefix.ids.is_empty();
        self.prefix.hidden = None;
    }

    fn prefill_prefix(&mut self) -> Result<()> {
        let start = Instant::now();
        self.model.truncate(0);
        let ids = self.prefix.ids.clone();
        let hidden = self.prefill(&ids)?;
        self.prefix.hidden = hidden;
        self.prefix.cached = true;
        let s = start.elapsed().as_secs_f64();
        tracing::info!(
            tokens = ids.len(),
            prefill_tok_s = rate(ids.len(), s),
            "prefix prefilled"
        );
        Ok(())
    }

    /// Runs `ids` in chunks; the hidden state of the last one (None when `ids` is empty).
    fn prefill(&mut self, ids: &[u32]) -> Result<Option<Tensor>> {
        let mut hidden = None;
        for chunk in ids.chunks(PREFILL_CHUNK) {
            hidden = Some(self.model.forward_hidden(chunk)?);
        }
        Ok(hidden)
    }

    /// Generates greedily after prefix + `req.prompt_suffix`, calling `on_token` with each
    /// piece of text as soon as it is known not to be part of a stop string.
    ///
    /// # Errors
    /// [`Error::ContextOverflow`] when prompt plus budget exceed the context,
    /// [`Error::NothingAllowed`] when the constraint allows no token, tokenizer/candle errors.
    pub fn generate(
        &mut self,
        req: GenRequest,
        mut on_token: impl FnMut(&str),
    ) -> Result<Generation> {
        self.generate_until(req, |t| {
            on_token(t);
            ControlFlow::Continue(())
        })
    }

    /// Like [`Engine::generate`], but `on_token` can stop generation by returning
    /// `ControlFlow::Break` (finish reason [`FinishReason::Cancelled`]).
    ///
    /// # Errors
    /// As [`Engine::generate`].
    #[tracing::instrument(skip_all, fields(max_tokens = req.max_tokens), err)]
    pub fn generate_until(
        &mut self,
        mut req: GenRequest,
        mut on_token: impl FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Generation> {
        let suffix = self.tokenizer.encode(&req.prompt_suffix)?;
        let prefix_len = self.prefix.ids.len();
        let prompt_tokens = prefix_len + suffix.len();
        if prompt_tokens == 0 {
            return Err(Error::Tokenizer("empty prompt".into()));
        }
        if prompt_tokens + req.max_tokens > self.model.capacity() {
            return Err(Error::ContextOverflow {
                tokens: prompt_tokens,
                max_new: req.max_tokens,
                context: self.model.capacity(),
            });
        }
        let start = Instant::now();
        // An empty suffix needs the prefix's own last hidden state, kept only by set_prefix.
        let reuse = self.prefix.cached && (!suffix.is_empty() || self.prefix.hidden.is_some());
        let (cached_tokens, hidden) = if reuse {
            self.model.truncate(prefix_len);
            let hidden = if suffix.is_empty() {
                self.prefix.hidden.clone()
            } else {
                self.prefill(&suffix)?
            };
            (prefix_len, hidden)
        } else {
            self.model.truncate(0);
            let all: Vec<u32> = self.prefix.ids.iter().chain(&suffix).copied().collect();
            let hidden = self.prefill(&all)?;
            // Positions 0..prefix_len now hold the prefix again: later requests reuse them.
            self.prefix.cached = true;
            (0, hidden)
        };
        let mut hidden = match hidden {
            Some(l) => l,
            None => return Err(Error::Tokenizer("empty prompt".into())),
        };
        let prefill_s = start.elapsed().as_secs_f64();

        let start = Instant::now();
        let eos = self.tokenizer.eos_ids().to_vec();
        let mut out = TextStream::new(&req.stop);
        let mut tokens: Vec<u32> = Vec::new();
        let finish = loop {
            if tokens.len() >= req.max_tokens {
                break FinishReason::Length;
            }
            let allowed = match req.allowed.as_mut() {
                Some(f) => f(&tokens),
                None => AllowedSet::All,
            };
            let next = match &allowed {
                AllowedSet::All => argmax(&self.model.logits(&hidden)?.to_vec1()?, None),
                AllowedSet::Only(ids) if ids.len() <= PARTIAL_LOGITS_MAX => {
                    let mut ids = ids.clone();
                    ids.sort_unstable();
                    ids.dedup();
                    ids.retain(|&i| (i as usize) < self.tokenizer.vocab_size());
                    let values = self.model.logits_for(&hidden, &ids)?;
                    argmax(&values, None).and_then(|i| ids.get(i as usize).copied())
                }
                AllowedSet::Only(ids) => argmax(&self.model.logits(&hidden)?.to_vec1()?, Some(ids)),
            }
            .ok_or(Error::NothingAllowed(tokens.len()))?;
            if eos.contains(&next) {
                break FinishReason::Eos;
            }
            tokens.push(next);
            match out.push(self.tokenizer.token_bytes(next)) {
                Step::Emit(piece) => {
                    if !piece.is_empty() && on_token(&piece).is_break() {
                        break FinishReason::Cancelled;
                    }
                }
                Step::Stop(piece, stop) => {
                    if !piece.is_empty() {
                        let _ = on_token(&piece);
                    }
                    break FinishReason::Stop(stop);
                }
            }
            if tokens.len() < req.max_tokens {
                hidden = self.model.forward_hidden(&[next])?;
            }
        };
        if matches!(finish, FinishReason::Eos | FinishReason::Length) {
            let rest = out.finish();
            if !rest.is_empty() {
                let _ = on_token(&rest);
            }
        }
        let gen = Generation {
            text: out.text(),
            tokens,
            finish,
            prompt_tokens,
            cached_tokens,
            prefill_s,
            gen_s: start.elapsed().as_secs_f64(),
        };
        tracing::info!(
            prompt_tokens,
            cached_tokens,
            prefill_tok_s = gen.prefill_tok_s(),
            gen_tokens = gen.tokens.len(),
            gen_tok_s = gen.gen_tok_s(),
            finish = ?gen.finish,
            "generated"
        );
        Ok(gen)
    }
}

/// Thread count candle uses when none is set (mirrors `candle_core::utils`).
fn candle_threads() -> usize {
    ["CANDLE_NUM_THREADS", "RAYON_NUM_THREADS"]
        .iter()
        .find_map(|k| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.parse::<usize>().ok())
                .filter(|&n| n > 0)
        })
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

enum Step {
    Emit(String),
    Stop(String, String),
}

/// Incremental UTF-8 decoding with stop strings held back until they can be ruled out.
struct TextStream {
    stops: Vec<String>,
    text: String,
    pending: Vec<u8>,
    emitted: usize,
    stopped_at: Option<usize>,
}

impl TextStream {
    fn new(stops: &[String]) -> Self {
        Self {
            stops: stops.iter().filter(|s| !s.is_empty()).cloned().collect(),
            text: String::new(),
            pending: Vec::new(),
            emitted: 0,
            stopped_at: None,
        }
    }

    fn push(&mut self, bytes: &[u8]) -> Step {
        self.pending.extend_from_slice(bytes);
        loop {
            match std::str::from_utf8(&self.pending) {
                Ok(s) => {
                    self.text.push_str(s);
                    self.pending.clear();
                    break;
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    self.text
                        .push_str(&String::from_utf8_lossy(&self.pending[..valid]));
                    match e.error_len() {
                        Some(bad) => {
                            self.text.push('\u{FFFD}');
                            self.pending.drain(..valid + bad);
                        }
                        None => {
                            self.pending.drain(..valid);
                            break;
                        }
                    }
                }
            }
        }
        // Earliest stop string in the text.
        let from = self.emitted;
        let hit = self
            .stops
            .iter()
            .filter_map(|s| self.text[from..].find(s.as_str()).map(|p| (from + p, s)))
            .min_by_key(|(p, _)| *p);
        if let Some((p, s)) = hit {
            let piece = self.text[self.emitted..p].to_string();
            self.emitted = p;
            self.stopped_at = Some(p);
            return Step::Stop(piece, s.clone());
        }
        // Hold back a tail that could still grow into a stop string.
        let mut safe = self.text.len();
        for s in &self.stops {
            for k in (1..s.len()).rev() {
                if self.text.len() >= k
                    && s.is_char_boundary(k)
                    && self.text.is_char_boundary(self.text.len() - k)
                    && self.text.ends_with(&s[..k])
                {
                    safe = safe.min(self.text.len() - k);
                    break;
                }
            }
        }
        let safe = safe.max(self.emitted);
        let piece = self.text[self.emitted..safe].to_string();
        self.emitted = safe;
        Step::Emit(piece)
    }

    /// Everything not yet emitted (incomplete UTF-8 is replaced).
    fn finish(&mut self) -> String {
        if !self.pending.is_empty() {
            self.text.push_str(&String::from_utf8_lossy(&self.pending));
            self.pending.clear();
        }
        let piece = self.text[self.emitted..].to_string();
        self.emitted = self.text.len();
        piece
    }

    fn text(&self) -> String {
        match self.stopped_at {
            Some(p) => self.text[..p].to_string(),
            None => self.text.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(stops: &[&str], pieces: &[&[u8]]) -> (Vec<String>, String, bool) {
        let stops: Vec<String> = stops.iter().map(|s| s.to_string()).collect();
        let mut t = TextStream::new(&stops);
        let mut out = Vec::new();
        for p in pieces {
            match t.push(p) {
                Step::Emit(s) => out.push(s),
                Step::Stop(s, _) => {
                    out.push(s);
                    return (out, t.text(), true);
                }
            }
        }
        out.push(t.finish());
        (out, t.text(), false)
    }

    #[test]
    fn split_utf8_is_emitted_once_complete() {
        let d = "đ".as_bytes();
        let (out, text, _) = run(&[], &[b"a", &d[..1], &d[1..], b"b"]);
        assert_eq!(out, vec!["a", "", "đ", "b", ""]);
        assert_eq!(text, "ađb");
    }

    #[test]
    fn stop_string_is_cut_and_held_back() {
        let (out, text, stopped) = run(&["```"], &[b"SELECT 1", b"\n``", b"`\nmore"]);
        assert!(stopped);
        assert_eq!(text, "SELECT 1\n");
        assert_eq!(out.concat(), "SELECT 1\n");
        assert_eq!(out[1], "\n", "the two backticks were held back");
    }

    #[test]
    fn false_alarm_prefix_is_released() {
        let (out, text, stopped) = run(&["</s>"], &[b"a<", b"b"]);
        assert!(!stopped);
        assert_eq!(out, vec!["a", "<b", ""]);
        assert_eq!(text, "a<b");
    }
}
