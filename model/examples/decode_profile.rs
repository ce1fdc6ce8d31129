//! Profiling aid: a short prompt then many decode steps (`perf record` this, not the bench).
//! `cargo run -p model --release --example decode_profile -- PATH [STEPS] [digits]`
//! (`digits`: constrained decoding to the ten digit tokens, to time the partial-logits path).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = std::path::PathBuf::from(args.next().ok_or("model path")?);
    let steps: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(200);
    let mut engine = model::Engine::load(&path, model::EngineOptions::default())?;
    let prompt = engine
        .tokenizer()
        .chat()
        .prompt(None, "Write a long SQL tutorial with many examples.");
    let mut req = model::GenRequest::new(prompt, steps);
    if args.next().as_deref() == Some("digits") {
        let tok = engine.tokenizer();
        let digits = (0..10)
            .map(|d| tok.encode(&d.to_string()).map(|ids| ids[0]))
            .collect::<Result<Vec<u32>, _>>()?;
        req.allowed = Some(Box::new(move |_: &[u32]| {
            model::AllowedSet::Only(digits.clone())
        }));
    }
    let g = engine.generate(req, |_| {})?;
    println!(
        "{} tokens, prefill {:.1} tok/s, gen {:.2} tok/s",
        g.tokens.len(),
        g.prefill_tok_s(),
        g.gen_tok_s()
    );
    Ok(())
}
