//! The tokenizer, built in memory from the GGUF's own `tokenizer.ggml.*` metadata.
//!
//! Equivalent to Qwen2's `tokenizer.json`: NFC normaliser, the Qwen2 split regex followed by
//! byte-level mapping, byte-level BPE over the GGUF vocabulary and merges, control tokens
//! (token type 3) as special added tokens and user-defined ones (type 4) as plain added tokens.
//! Decoding for streaming uses a per-token byte table, so a multi-byte character split across
//! tokens is only emitted once complete.

use std::collections::HashMap;

use candle_core::quantized::gguf_file::Value;
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::BPE;
use tokenizers::normalizers::unicode::NFC;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::{AddedToken, PreTokenizerWrapper, SplitDelimiterBehavior};

use crate::gguf::GgufFile;
use crate::{Error, Result};

/// The pre-tokenizer split regex of `tokenizer.ggml.pre = "qwen2"` (from Qwen2's
/// `tokenizer.json`); needs look-ahead, hence `fancy-regex`.
pub const QWEN2_SPLIT_REGEX: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// GGUF token types (llama.cpp `llama_token_type`).
const TOKEN_TYPE_CONTROL: i32 = 3;
const TOKEN_TYPE_USER_DEFINED: i32 = 4;
const TOKEN_TYPE_UNUSED: i32 = 5;

/// Byte-level BPE tokenizer with the model's chat layout and stop tokens.
#[derive(Clone)]
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
    /// Bytes each token id stands for (special tokens: their literal text).
    token_bytes: Vec<Vec<u8>>,
    vocab: HashMap<String, u32>,
    eos_ids: Vec<u32>,
    chat: ChatTemplate,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("vocab", &self.token_bytes.len())
            .field("eos_ids", &self.eos_ids)
            .finish()
    }
}

impl Tokenizer {
    /// Builds the tokenizer from the metadata of `gguf`.
    ///
    /// # Errors
    /// [`Error::InvalidGguf`] if tokenizer metadata is missing or not a Qwen2 byte-level BPE;
    /// [`Error::Tokenizer`] if the tokenizers crate rejects it.
    pub fn from_gguf(gguf: &GgufFile) -> Result<Self> {
        let model = gguf.meta_str("tokenizer.ggml.model")?;
        if model != "gpt2" {
            return Err(gguf.invalid(format!(
                "tokenizer.ggml.model is {model:?}, only byte-level BPE (gpt2) is supported"
            )));
        }
        let pre = gguf.meta_str("tokenizer.ggml.pre")?;
        if pre != "qwen2" {
            return Err(gguf.invalid(format!(
                "tokenizer.ggml.pre is {pre:?}, only the qwen2 split is supported"
            )));
        }
        let tokens = strings(gguf, "tokenizer.ggml.tokens")?;
        let types: Vec<i32> = gguf
            .meta_array("tokenizer.ggml.token_type")?
            .iter()
            .map(|v| v.to_i32())
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| gguf.invalid(format!("tokenizer.ggml.token_type: {e}")))?;
        if types.len() != tokens.len() {
            return Err(gguf.invalid(format!(
                "{} tokens but {} token types",
                tokens.len(),
                types.len()
            )));
        }
        let merges = strings(gguf, "tokenizer.ggml.merges")?
            .into_iter()
            .map(|m| match m.split_once(' ') {
                Some((a, b)) => Ok((a.to_string(), b.to_string())),
                None => Err(gguf.invalid(format!("merge without a space: {m:?}"))),
            })
            .collect::<Result<Vec<_>>>()?;
        let template = gguf.meta_str("tokenizer.chat_template").ok();
        let chat = ChatTemplate::from_template(template)?;
        let eos_meta = gguf.meta_usize("tokenizer.ggml.eos_token_id").ok();
        Self::build(tokens, &types, merges, eos_meta, chat)
    }

    fn build(
        tokens: Vec<String>,
        types: &[i32],
        merges: Vec<(String, String)>,
        eos_meta: Option<usize>,
        chat: ChatTemplate,
    ) -> Result<Self> {
        let tok_err = |e: tokenizers::Error| Error::Tokenizer(e.to_string());
        let byte_of = byte_level_decode_table();
        let mut vocab: HashMap<String, u32> = HashMap::with_capacity(tokens.len());
        let mut token_bytes = Vec::with_capacity(tokens.len());
        let mut added = Vec::new();
        for (id, (tok, &ty)) in tokens.iter().zip(types).enumerate() {
            let id =
                u32::try_from(id).map_err(|_| Error::Tokenizer("vocabulary too large".into()))?;
            match ty {
                TOKEN_TYPE_CONTROL => {
                    added.push(AddedToken::from(tok.clone(), true));
                    token_bytes.push(tok.as_bytes().to_vec());
                }
                TOKEN_TYPE_USER_DEFINED => {
                    added.push(AddedToken::from(tok.clone(), false));
                    token_bytes.push(tok.as_bytes().to_vec());
                }
                TOKEN_TYPE_UNUSED => {
                    // Padding rows of the embedding ([PAD151665] …): never produced by text.
                    token_bytes.push(Vec::new());
                    continue;
                }
                _ => {
                    let bytes = tok
                        .chars()
                        .map(|c| byte_of.get(&c).copied())
                        .collect::<Option<Vec<u8>>>()
                        .ok_or_else(|| {
                            Error::Tokenizer(format!("token {id} {tok:?} is not byte-level"))
                        })?;
                    token_bytes.push(bytes);
                }
            }
            vocab.insert(tok.clone(), id);
        }
        // Added tokens must be in the model vocabulary too, or `add_tokens` gives them new ids.
        let bpe_vocab: ahash::AHashMap<String, u32> =
            vocab.iter().map(|(k, &v)| (k.clone(), v)).collect();
        let bpe = BPE::builder()
            .vocab_and_merges(bpe_vocab, merges)
            .build()
            .map_err(tok_err)?;
        let split = Split::new(
            SplitPattern::Regex(QWEN2_SPLIT_REGEX.to_string()),
            SplitDelimiterBehavior::Isolated,
            false,
        )
        .map_err(tok_err)?;
        let pre = Sequence::new(vec![
            PreTokenizerWrapper::Split(split),
            PreTokenizerWrapper::ByteLevel(ByteLevel::new(false, false, false)),
        ]);
        let mut inner = tokenizers::Tokenizer::new(bpe);
        inner
            .with_normalizer(Some(NFC))
            .map_err(tok_err)?
            .with_pre_tokenizer(Some(pre))
            .with_decoder(Some(ByteLevelDecoder::new(false, false, false)));
        inner.add_tokens(added).map_err(tok_err)?;

        // Stop tokens: the GGUF's EOS id plus ChatML's end-of-turn and end-of-text, each looked
        // up in this vocabulary (never a literal id).
        let mut eos_ids = Vec::new();
        if let Some(id) = eos_meta.and_then(|i| u32::try_from(i).ok()) {
            if (id as usize) < token_bytes.len() {
                eos_ids.push(id);
            }
        }
        for name in [chat.end_of_turn.as_str(), "<|endoftext|>"] {
            if let Some(&id) = vocab.get(name) {
                if !eos_ids.contains(&id) {
                    eos_ids.push(id);
                }
            }
        }
        if eos_ids.is_empty() {
            return Err(Error::Tokenizer(
                "no end-of-sequence token in the vocabulary".into(),
            ));
        }
        Ok(Self {
            inner,
            token_bytes,
            vocab,
            eos_ids,
            chat,
        })
    }

    /// Token ids of `text`; ChatML markers such as `<|im_start|>` become their single ids.
    ///
    /// # Errors
    /// [`Error::Tokenizer`] if encoding fails.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let enc = self
            .inner
            .encode_fast(text, false)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        Ok(enc.get_ids().to_vec())
    }

    /// Text of `ids` (lossy for incomplete UTF-8 sequences).
    pub fn decode(&self, ids: &[u32]) -> String {
        String::from_utf8_lossy(&self.decode_bytes(ids)).into_owned()
    }

    /// Raw bytes of `ids`.
    pub fn decode_bytes(&self, ids: &[u32]) -> Vec<u8> {
        let mut out = Vec::new();
        for &id in ids {
            if let Some(b) = self.token_bytes.get(id as usize) {
                out.extend_from_slice(b);
            }
        }
        out
    }

    /// Bytes that token `id` stands for (empty for unknown or unused ids).
    pub fn token_bytes(&self, id: u32) -> &[u8] {
        self.token_bytes
            .get(id as usize)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The id of a token given its vocabulary string (byte-level form, e.g. `Ġfrom`).
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.vocab.get(token).copied()
    }

    /// Number of token ids (rows of the embedding table).
    pub fn vocab_size(&self) -> usize {
        self.token_bytes.len()
    }

    /// Ids that end generation (EOS from the GGUF, ChatML end of turn, end of text).
    pub fn eos_ids(&self) -> &[u32] {
        &self.eos_ids
    }

    /// The chat layout found in the GGUF chat template.
    pub fn chat(&self) -> &ChatTemplate {
        &self.chat
    }

    /// The underlying `tokenizers` tokenizer.
    pub fn inner(&self) -> &tokenizers::Tokenizer {
        &self.inner
    }
}

fn strings(gguf: &GgufFile, key: &str) -> Result<Vec<String>> {
    gguf.meta_array(key)?
        .iter()
        .map(|v| match v {
            Value::String(s) => Ok(s.clone()),
            other => Err(gguf.invalid(format!("{key}: expected strings, found {other:?}"))),
        })
        .collect()
}

/// GPT-2's byte-to-unicode table, inverted: the printable character standing for each byte.
fn byte_level_decode_table() -> HashMap<char, u8> {
    let mut table = HashMap::with_capacity(256);
    let mut n = 0u32;
    for b in 0..=255u8 {
        let printable = matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
        let c = if printable {
            char::from(b)
        } else {
            let c = char::from_u32(256 + n).unwrap_or('\u{FFFD}');
            n += 1;
            c
        };
        table.insert(c, b);
    }
    table
}

/// The ChatML layout (`<|im_start|>role\n…<|im_end|>\n`) read from the GGUF chat template.
///
/// The template is Jinja; rather than run Jinja we check it is ChatML and take its default
/// system message, which covers what this product needs (one system prompt, one user turn).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatTemplate {
    /// Opens a turn (`<|im_start|>`).
    pub start_of_turn: String,
    /// Closes a turn (`<|im_end|>`); also a stop token.
    pub end_of_turn: String,
    /// The template's default system message, if it has one.
    pub default_system: Option<String>,
}

impl ChatTemplate {
    /// Reads the layout from the template source (`tokenizer.chat_template`).
    ///
    /// # Errors
    /// [`Error::Tokenizer`] when a template is present but is not ChatML.
    pub fn from_template(template: Option<&str>) -> Result<Self> {
        let start = "<|im_start|>";
        let end = "<|im_end|>";
        let default_system = match template {
            None => None,
            Some(t) => {
                if !(t.contains(start) && t.contains(end)) {
                    return Err(Error::Tokenizer(
                        "the GGUF chat template is not ChatML (no <|im_start|>/<|im_end|>)".into(),
                    ));
                }
                // e.g. {{- '<|im_start|>system\nYou are Qwen, …<|im_end|>\n' }}
                let marker = format!("{start}system\\n");
                t.match_indices(&marker).find_map(|(i, _)| {
                    let rest = &t[i + marker.len()..];
                    let stop = rest.find(end)?;
                    let msg = &rest[..stop];
                    (!msg.contains('\'') && !msg.contains('{')).then(|| msg.to_string())
                })
            }
        };
        Ok(Self {
            start_of_turn: start.to_string(),
            end_of_turn: end.to_string(),
            default_system,
        })
    }

    /// One complete turn: `<|im_start|>{role}\n{content}<|im_end|>\n`.
    pub fn turn(&self, role: &str, content: &str) -> String {
        format!(
            "{}{role}\n{content}{}\n",
            self.start_of_turn, self.end_of_turn
        )
    }

    /// The system turn.
    pub fn system(&self, content: &str) -> String {
        self.turn("system", content)
    }

    /// The user turn followed by the opening of the assistant's turn (generation prompt).
    pub fn user_turn(&self, content: &str) -> String {
        format!(
            "{}{}assistant\n",
            self.turn("user", content),
            self.start_of_turn
        )
    }

    /// A full prompt: system (or the template's default), user, assistant opening.
    pub fn prompt(&self, system: Option<&str>, user: &str) -> String {
        let sys = system
            .map(str::to_string)
            .or_else(|| self.default_system.clone());
        let mut out = String::new();
        if let Some(s) = sys {
            out.push_str(&self.system(&s));
        }
        out.push_str(&self.user_turn(user));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_table_is_a_bijection() {
        let t = byte_level_decode_table();
        assert_eq!(t.len(), 256);
        assert_eq!(t[&'Ġ'], b' ');
        assert_eq!(t[&'Ċ'], b'\n');
        assert_eq!(t[&'a'], b'a');
    }

    #[test]
    fn chat_template_takes_default_system() {
        let t = r"{{- '<|im_start|>system\nYou are Qwen.<|im_end|>\n' }}{{- '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}";
        let c = ChatTemplate::from_template(Some(t)).unwrap();
        assert_eq!(c.default_system.as_deref(), Some("You are Qwen."));
        assert_eq!(
            c.prompt(None, "hi"),
            "<|im_start|>system\nYou are Qwen.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
        );
        assert!(ChatTemplate::from_template(Some("{{ bos }}[INST]")).is_err());
    }
}
