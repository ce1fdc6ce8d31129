//! Grammars for constrained decoding: the model may only write what a grammar accepts.
//!
//! [`Slots`] is the grammar of a small structured answer: a fixed sequence of slots, each a
//! literal prefix followed by one value from a list, where the list may depend on the values
//! chosen before (e.g. the case sets allowed for the chosen metric). [`slots_constraint`] turns
//! it into the engine's [`AllowedFn`]: at each step only the tokens that keep the text a valid
//! prefix are allowed, and end-of-sequence only once every slot is filled.
//!
//! [`PrefixGrammar`] is the grammar of a longer free text read left to right by a small state
//! machine (e.g. one SQL `SELECT` over known names); [`prefix_constraint`] keeps the state of
//! the text generated so far and only tries each candidate token from it, so a step costs the
//! candidates, not the length of the text.

use crate::engine::{AllowedFn, AllowedSet};
use crate::Tokenizer;

/// A sequence of slots.
pub trait Slots: Send {
    /// The next slot after `filled` values: its literal prefix (e.g. `"; tap="`) and the values
    /// allowed there; `None` when the answer is complete.
    fn next(&self, filled: &[String]) -> Option<(String, Vec<String>)>;
}

/// How a text relates to the grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parse {
    /// Not a prefix of any accepted text.
    Invalid,
    /// A proper prefix of some accepted text.
    Partial,
    /// A complete accepted text, with the values of its slots.
    Complete(Vec<String>),
}

/// Parses `text` against `grammar`.
pub fn parse(grammar: &dyn Slots, text: &str) -> Parse {
    parse_from(grammar, text, &mut Vec::new())
}

fn parse_from(grammar: &dyn Slots, rest: &str, filled: &mut Vec<String>) -> Parse {
    let Some((prefix, values)) = grammar.next(filled) else {
        return if rest.is_empty() {
            Parse::Complete(filled.clone())
        } else {
            Parse::Invalid
        };
    };
    if rest.len() <= prefix.len() {
        return if prefix.starts_with(rest) {
            Parse::Partial
        } else {
            Parse::Invalid
        };
    }
    let Some(after) = rest.strip_prefix(prefix.as_str()) else {
        return Parse::Invalid;
    };
    let mut best = Parse::Invalid;
    for v in &values {
        if after.len() < v.len() {
            if v.starts_with(after) {
                best = Parse::Partial;
            }
        } else if let Some(tail) = after.strip_prefix(v.as_str()) {
            filled.push(v.clone());
            let r = parse_from(grammar, tail, filled);
            filled.pop();
            match r {
                Parse::Complete(_) => return r,
                Parse::Partial => best = Parse::Partial,
                Parse::Invalid => {}
            }
        }
    }
    best
}

/// The vocabulary entries a grammar's text can be made of, indexed by first character; build
/// once per alphabet (a scan of the whole vocabulary) and share.
#[derive(Debug, Clone)]
pub struct SlotVocab {
    by_first: std::collections::HashMap<char, Vec<(u32, String)>>,
    text_of: std::collections::HashMap<u32, String>,
    eos: Vec<u32>,
    alphabet: String,
}

impl SlotVocab {
    /// The tokens of `tokenizer` made only of characters in `alphabet`.
    pub fn new(tokenizer: &Tokenizer, alphabet: &str) -> Self {
        let mut by_first: std::collections::HashMap<char, Vec<(u32, String)>> = Default::default();
        let mut text_of = std::collections::HashMap::new();
        for id in 0..tokenizer.vocab_size() {
            let Ok(id) = u32::try_from(id) else { continue };
            let Ok(s) = std::str::from_utf8(tokenizer.token_bytes(id)) else {
                continue;
            };
            let Some(first) = s.chars().next() else {
                continue;
            };
            if s.chars().all(|c| alphabet.contains(c)) {
                by_first.entry(first).or_default().push((id, s.to_owned()));
                text_of.insert(id, s.to_owned());
            }
        }
        SlotVocab {
            by_first,
            text_of,
            eos: tokenizer.eos_ids().to_vec(),
            alphabet: alphabet.to_owned(),
        }
    }
}

/// The decoding constraint for `grammar`: at each step, the tokens that keep the text a prefix
/// of an accepted text (first the characters that may come next, then only the tokens starting
/// with one of them), and end-of-sequence once the text is complete.
pub fn slots_constraint(vocab: std::sync::Arc<SlotVocab>, grammar: Box<dyn Slots>) -> AllowedFn {
    Box::new(move |generated: &[u32]| {
        let text: String = generated
            .iter()
            .filter_map(|id| vocab.text_of.get(id).map(String::as_str))
            .collect();
        let complete = matches!(parse(grammar.as_ref(), &text), Parse::Complete(_));
        let mut probe = text.clone();
        AllowedSet::Only(allowed_tokens(&vocab, complete, |piece| {
            probe.truncate(text.len());
            probe.push_str(piece);
            !matches!(parse(grammar.as_ref(), &probe), Parse::Invalid)
        }))
    })
}

/// The tokens of `vocab` whose text `continues` the text so far (checked first for the token's
/// first character alone, which rules out most of the vocabulary at once), and end-of-sequence
/// when the text so far is `complete`.
fn allowed_tokens(
    vocab: &SlotVocab,
    complete: bool,
    mut continues: impl FnMut(&str) -> bool,
) -> Vec<u32> {
    let mut allowed: Vec<u32> = Vec::new();
    if complete {
        allowed.extend(&vocab.eos);
    }
    let mut one = [0u8; 4];
    for c in vocab.alphabet.chars() {
        if !continues(c.encode_utf8(&mut one)) {
            continue;
        }
        for (id, s) in vocab
            .by_first
            .get(&c)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            if continues(s) {
                allowed.push(*id);
            }
        }
    }
    allowed
}

/// A grammar read left to right: a state after each accepted prefix.
pub trait PrefixGrammar: Send {
    /// What the grammar remembers about the text read so far.
    type State: Clone + Send;
    /// The state before any text.
    fn start(&self) -> Self::State;
    /// The state after `piece` follows a text in `state`; `None` when no accepted text starts
    /// with that text followed by `piece`.
    fn advance(&self, state: &Self::State, piece: &str) -> Option<Self::State>;
    /// Whether the text read so far is a complete accepted text.
    fn is_complete(&self, state: &Self::State) -> bool;
}

/// The decoding constraint for a [`PrefixGrammar`]: at each step, the tokens of `vocab` that
/// keep the text a prefix of an accepted text (first the characters that may come next, then
/// only the tokens starting with one of them), and end-of-sequence once the text is complete.
/// The state of the generated text is kept between steps (only new tokens are read).
pub fn prefix_constraint<G: PrefixGrammar + 'static>(
    vocab: std::sync::Arc<SlotVocab>,
    grammar: G,
) -> AllowedFn {
    let mut state = Some(grammar.start());
    let mut read = 0usize;
    Box::new(move |generated: &[u32]| {
        for id in generated.get(read..).unwrap_or_default() {
            let piece = vocab.text_of.get(id).map_or("", String::as_str);
            state = state.as_ref().and_then(|s| grammar.advance(s, piece));
        }
        read = generated.len();
        let Some(state) = state.as_ref() else {
            return AllowedSet::Only(Vec::new());
        };
        AllowedSet::Only(allowed_tokens(
            &vocab,
            grammar.is_complete(state),
            |piece| grammar.advance(state, piece).is_some(),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Two;
    impl Slots for Two {
        fn next(&self, filled: &[String]) -> Option<(String, Vec<String>)> {
            match filled.len() {
                0 => Some(("a=".into(), vec!["x".into(), "xy".into()])),
                1 if filled[0] == "x" => Some((" b=".into(), vec!["1".into(), "10".into()])),
                1 => Some((" b=".into(), vec!["2".into()])),
                _ => None,
            }
        }
    }

    #[test]
    fn parses_prefixes_and_dependent_slots() {
        assert_eq!(parse(&Two, ""), Parse::Partial);
        assert_eq!(parse(&Two, "a"), Parse::Partial);
        assert_eq!(parse(&Two, "a=x"), Parse::Partial);
        assert_eq!(
            parse(&Two, "a=x b=1"),
            Parse::Complete(vec!["x".into(), "1".into()])
        );
        assert_eq!(
            parse(&Two, "a=x b=10"),
            Parse::Complete(vec!["x".into(), "10".into()])
        );
        assert_eq!(
            parse(&Two, "a=xy b=2"),
            Parse::Complete(vec!["xy".into(), "2".into()])
        );
        assert_eq!(parse(&Two, "a=xy b=1"), Parse::Invalid);
        assert_eq!(parse(&Two, "a=z"), Parse::Invalid);
        assert_eq!(parse(&Two, "a=x b=1 "), Parse::Invalid);
    }
}
