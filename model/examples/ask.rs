//! Ask the model one question and stream the answer:
//! `cargo run -p model --release --example ask -- --model PATH [--system TEXT] QUESTION…`

use std::io::Write;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut model: Option<PathBuf> = None;
    let mut system: Option<String> = None;
    let mut question = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--model" => model = args.next().map(PathBuf::from),
            "--system" => system = args.next(),
            _ => question.push(a),
        }
    }
    let path = model::ModelPath::locate(model.as_deref())?;
    let mut engine = model::Engine::load(&path, model::EngineOptions::default())?;
    let chat = engine.tokenizer().chat().clone();
    if let Some(s) = &system {
        engine.set_prefix(&chat.system(s))?;
    }
    let q = question.join(" ");
    let suffix = if system.is_some() {
        chat.user_turn(&q)
    } else {
        chat.prompt(None, &q)
    };
    let mut out = std::io::stdout();
    let g = engine.generate(model::GenRequest::new(suffix, 256), |t| {
        let _ = write!(out, "{t}");
        let _ = out.flush();
    })?;
    eprintln!(
        "\n[{} prompt tokens ({} cached), {:.1} prefill tok/s, {} tokens at {:.1} tok/s, {:?}]",
        g.prompt_tokens,
        g.cached_tokens,
        g.prefill_tok_s(),
        g.tokens.len(),
        g.gen_tok_s(),
        g.finish
    );
    Ok(())
}
