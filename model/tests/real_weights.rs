//! Tests against the real Qwen2.5-Coder-0.5B-Instruct weights.
//!
//! The GGUF is looked up at `$IOC_MODEL_PATH`, else
//! `${IOC_CACHE_DIR:-$HOME/.cache/thads-ioc}/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf`.
//! Missing weights fail the tests (no silent skip): run `scripts/fetch-model.sh 0.5b`.

// clippy.toml allows unwrap/expect inside #[test] fns only; the helpers below are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, OnceLock};

use model::gguf::GgufFile;
use model::{AllowedSet, Engine, EngineOptions, Error, Event, GenRequest, Tokenizer, Worker};

fn model_path() -> PathBuf {
    let path = match std::env::var_os("IOC_MODEL_PATH") {
        Some(p) => PathBuf::from(p),
        None => {
            let cache = std::env::var_os("IOC_CACHE_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/thads-ioc")
                });
            cache.join("models").join(model::ModelPath::DEFAULT_FILE)
        }
    };
    assert!(
        path.is_file(),
        "model weights not found at {}: run `scripts/fetch-model.sh 0.5b` (or set IOC_MODEL_PATH)",
        path.display()
    );
    path
}

/// One engine shared by the tests of this binary (loading takes seconds).
fn engine() -> MutexGuard<'static, Engine> {
    static ENGINE: OnceLock<Mutex<Engine>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let opts = EngineOptions {
                context: 1024,
                ..EngineOptions::default()
            };
            Mutex::new(Engine::load(&model_path(), opts).expect("load engine"))
        })
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

const SYSTEM: &str = "You translate questions into SQLite. Table cases(case_id, province_code, status, opened_on). Answer with one SQL query only.";

#[test]
fn tokenizer_matches_reference_fixture() {
    let gguf = GgufFile::open(&model_path()).unwrap();
    let tok = Tokenizer::from_gguf(&gguf).unwrap();
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/tokenizer_vi.json")).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.iter().any(|c| c["kind"] == "nfd"));
    for case in cases {
        let text = case["text"].as_str().unwrap();
        let want: Vec<u32> = case["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();
        let got = tok.encode(text).unwrap();
        assert_eq!(got, want, "ids differ for {:?} ({})", text, case["kind"]);
        if case["kind"] != "nfd" {
            assert_eq!(tok.decode(&got), text, "round trip");
        }
    }
    // Stop tokens come from the vocabulary, and include ChatML's end of turn.
    let im_end = tok.token_id("<|im_end|>").unwrap();
    assert!(tok.eos_ids().contains(&im_end));
    assert!(tok.chat().default_system.is_some());
}

#[test]
fn greedy_completion_is_deterministic() {
    let mut e = engine();
    e.set_prefix("").unwrap();
    let prompt = e
        .tokenizer()
        .chat()
        .prompt(Some(SYSTEM), "How many cases are there in province 49?");
    let mut streamed = String::new();
    let a = e
        .generate(GenRequest::new(prompt.clone(), 40), |t| {
            streamed.push_str(t)
        })
        .unwrap();
    let b = e.generate(GenRequest::new(prompt, 40), |_| {}).unwrap();
    assert_eq!(a.tokens, b.tokens);
    assert_eq!(a.text, streamed, "streamed pieces add up to the text");
    let upper = a.text.to_uppercase();
    assert!(
        upper.contains("SELECT") && upper.contains("COUNT") && upper.contains("CASES"),
        "unexpected completion: {}",
        a.text
    );
    assert!(!a.tokens.is_empty());
}

#[test]
fn prefix_cache_reuse_matches_cold_run() {
    let mut e = engine();
    let chat = e.tokenizer().chat().clone();
    let n = e.set_prefix(&chat.system(SYSTEM)).unwrap();
    assert!(n > 10);
    let q1 = chat.user_turn("List the ids of cases with status 'done'.");
    let q2 = chat.user_turn("Count cases opened in 2025.");
    let warm1 = e.generate(GenRequest::new(q1.clone(), 24), |_| {}).unwrap();
    assert_eq!(warm1.cached_tokens, n);
    let _other = e.generate(GenRequest::new(q2, 24), |_| {}).unwrap();
    let warm2 = e.generate(GenRequest::new(q1.clone(), 24), |_| {}).unwrap();
    e.clear_cache();
    let cold = e.generate(GenRequest::new(q1.clone(), 24), |_| {}).unwrap();
    assert_eq!(cold.cached_tokens, 0);
    // The cold run left the prefix in the cache again.
    let again = e.generate(GenRequest::new(q1, 24), |_| {}).unwrap();
    assert_eq!(again.cached_tokens, n);
    assert_eq!(again.tokens, cold.tokens);
    assert_eq!(cold.prompt_tokens, warm1.prompt_tokens);
    assert_eq!(
        warm1.tokens, cold.tokens,
        "{:?} vs {:?}",
        warm1.text, cold.text
    );
    assert_eq!(warm2.tokens, cold.tokens);
    e.set_prefix("").unwrap();
}

#[test]
fn constrained_sampler_never_emits_masked_token() {
    let mut e = engine();
    e.set_prefix("").unwrap();
    let tok = e.tokenizer().clone();
    // Only single digits, then (after three) only the end of turn.
    let digits: Vec<u32> = (0..10)
        .map(|d| tok.encode(&d.to_string()).unwrap())
        .inspect(|ids| assert_eq!(ids.len(), 1))
        .map(|ids| ids[0])
        .collect();
    let eos = tok.token_id("<|im_end|>").unwrap();
    let allowed_digits = digits.clone();
    let mut req = GenRequest::new(
        tok.chat()
            .prompt(Some(SYSTEM), "Write the word SELECT in capital letters."),
        10,
    );
    req.allowed = Some(Box::new(move |so_far: &[u32]| {
        if so_far.len() < 3 {
            AllowedSet::Only(allowed_digits.clone())
        } else {
            AllowedSet::Only(vec![eos])
        }
    }));
    let g = e.generate(req, |_| {}).unwrap();
    let allowed: HashSet<u32> = digits.into_iter().collect();
    assert_eq!(g.tokens.len(), 3, "{:?}", g.text);
    assert!(
        g.tokens.iter().all(|t| allowed.contains(t)),
        "{:?}",
        g.tokens
    );
    assert!(g.text.chars().all(|c| c.is_ascii_digit()), "{:?}", g.text);
    assert_eq!(g.finish, model::FinishReason::Eos);

    // An empty allowed set is an error, not a silent pick.
    let mut req = GenRequest::new(tok.chat().prompt(None, "Hi"), 4);
    req.allowed = Some(Box::new(|_: &[u32]| AllowedSet::Only(Vec::new())));
    assert!(matches!(
        e.generate(req, |_| {}),
        Err(Error::NothingAllowed(0))
    ));
}

#[test]
fn stop_strings_end_generation() {
    let mut e = engine();
    e.set_prefix("").unwrap();
    let prompt = e
        .tokenizer()
        .chat()
        .prompt(Some(SYSTEM), "How many cases are there in province 49?");
    let full = e
        .generate(GenRequest::new(prompt.clone(), 40), |_| {})
        .unwrap();
    // Stop at the first space of the known completion.
    let mut req = GenRequest::new(prompt, 40);
    req.stop = vec![" ".into()];
    let mut streamed = String::new();
    let g = e.generate(req, |t| streamed.push_str(t)).unwrap();
    assert_eq!(g.finish, model::FinishReason::Stop(" ".into()));
    assert_eq!(streamed, g.text);
    assert!(
        full.text.starts_with(&g.text),
        "{:?} vs {:?}",
        g.text,
        full.text
    );
    assert!(!g.text.contains(' '));
}

fn copy_prefix(bytes: u64) -> tempfile::NamedTempFile {
    let mut src = std::fs::File::open(model_path()).unwrap();
    let mut buf = vec![0u8; bytes as usize];
    src.read_exact(&mut buf).unwrap();
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(&buf).unwrap();
    f
}

#[test]
fn truncated_or_corrupted_gguf_is_a_clear_error() {
    let truncated = copy_prefix(64 << 20);
    let err = Engine::load(truncated.path(), EngineOptions::default()).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::InvalidGguf { .. }), "{msg}");
    assert!(msg.contains("truncated"), "{msg}");

    // Corrupt the header: the tensor count becomes absurd.
    let corrupted = copy_prefix(8 << 20);
    let mut bytes = std::fs::read(corrupted.path()).unwrap();
    bytes[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
    std::fs::write(corrupted.path(), &bytes).unwrap();
    let err = Engine::load(corrupted.path(), EngineOptions::default()).unwrap_err();
    assert!(matches!(err, Error::InvalidGguf { .. }), "{err}");
    assert!(err.to_string().contains("corrupted"), "{err}");

    // Garbage in the middle of the metadata (a string length blown up).
    let mut bytes = std::fs::read(corrupted.path()).unwrap();
    bytes[8..16].copy_from_slice(&291u64.to_le_bytes());
    bytes[24..32].copy_from_slice(&(u64::MAX / 2).to_le_bytes());
    std::fs::write(corrupted.path(), &bytes).unwrap();
    let err = Engine::load(corrupted.path(), EngineOptions::default()).unwrap_err();
    assert!(matches!(err, Error::InvalidGguf { .. }), "{err}");
}

#[test]
fn worker_streams_and_answers_busy_when_full() {
    let opts = EngineOptions {
        context: 512,
        ..EngineOptions::default()
    };
    let engine = Engine::load(&model_path(), opts).unwrap();
    let chat = engine.tokenizer().chat().clone();
    let (handle, join) = Worker::spawn(engine, 1).unwrap();
    let prompt = chat.prompt(Some(SYSTEM), "How many cases are there in province 49?");
    let first = handle
        .try_submit(GenRequest::new(prompt.clone(), 32))
        .unwrap();
    // Wait for the first token: the worker is now busy with `first`.
    let mut text = String::new();
    match first.recv().unwrap() {
        Event::Token(t) => text.push_str(&t),
        Event::Done(r) => panic!("finished early: {r:?}"),
    }
    let queued = handle
        .try_submit(GenRequest::new(prompt.clone(), 2))
        .unwrap();
    let busy = handle.try_submit(GenRequest::new(prompt, 2));
    assert!(matches!(busy, Err(Error::Busy)), "{busy:?}");
    let gen = model::worker::collect(&first, |t| text.push_str(t)).unwrap();
    assert_eq!(text, gen.text);
    let _ = model::worker::collect(&queued, |_| {}).unwrap();

    // Dropping the receiver cancels the job at its next token; the worker moves on.
    let long = handle
        .try_submit(GenRequest::new(
            chat.prompt(None, "Write a long story."),
            400,
        ))
        .unwrap();
    assert!(matches!(long.recv().unwrap(), Event::Token(_)));
    drop(long);
    let next = handle
        .try_submit(GenRequest::new(chat.prompt(None, "Say hi."), 4))
        .unwrap();
    model::worker::collect(&next, |_| {}).unwrap();
    drop(handle);
    join.join().unwrap();
}

#[test]
fn partial_logits_match_full_logits() {
    // Constrained decoding scores small allowed sets from their own output rows.
    let mut gguf = GgufFile::open(&model_path()).unwrap();
    let tok = Tokenizer::from_gguf(&gguf).unwrap();
    let mut m = model::qwen2::Qwen2::load(&mut gguf, 256).unwrap();
    let ids = tok
        .encode(&tok.chat().prompt(Some(SYSTEM), "How many cases are there?"))
        .unwrap();
    let h = m.forward_hidden(&ids).unwrap();
    let full: Vec<f32> = m.logits(&h).unwrap().to_vec1().unwrap();
    let mut order: Vec<u32> = (0..full.len() as u32).collect();
    order.sort_by(|a, b| full[*b as usize].total_cmp(&full[*a as usize]));
    let mut probe: Vec<u32> = order[..10].to_vec();
    probe.extend([0, 15, 220, 1000, 50_000, 151_000]);
    let part = m.logits_for(&h, &probe).unwrap();
    for (&id, &p) in probe.iter().zip(&part) {
        let f = full[id as usize];
        assert!(
            (p - f).abs() <= 0.15 + 0.01 * f.abs(),
            "token {id}: partial {p} vs full {f}"
        );
    }
    let best = part
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| probe[i]);
    assert_eq!(best, Some(order[0]));
}

/// A language of two sentences, read left to right.
struct TwoQueries;

impl model::constrain::PrefixGrammar for TwoQueries {
    type State = String;
    fn start(&self) -> String {
        String::new()
    }
    fn advance(&self, state: &String, piece: &str) -> Option<String> {
        let text = format!("{state}{piece}");
        Self::ACCEPTED
            .iter()
            .any(|a| a.starts_with(&text))
            .then_some(text)
    }
    fn is_complete(&self, state: &String) -> bool {
        Self::ACCEPTED.contains(&state.as_str())
    }
}

impl TwoQueries {
    const ACCEPTED: [&'static str; 2] = [
        "SELECT COUNT(*) FROM cases WHERE status = 'open'",
        "SELECT province_code FROM cases",
    ];
}

#[test]
fn prefix_grammar_constraint_yields_an_accepted_text() {
    let mut e = engine();
    e.set_prefix("").unwrap();
    let tok = e.tokenizer().clone();
    let vocab = std::sync::Arc::new(model::constrain::SlotVocab::new(
        &tok,
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_ ()*='",
    ));
    let mut req = GenRequest::new(
        tok.chat()
            .prompt(Some(SYSTEM), "Write the word hello three times."),
        40,
    );
    req.allowed = Some(model::constrain::prefix_constraint(vocab, TwoQueries));
    let g = e.generate(req, |_| {}).unwrap();
    assert!(
        TwoQueries::ACCEPTED.contains(&g.text.as_str()),
        "{:?}",
        g.text
    );
    assert_eq!(g.finish, model::FinishReason::Eos);
}
