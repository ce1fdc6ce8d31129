//! Model benchmark outside the server: `cargo run -p model --release --example bench --
//! --model PATH [--threads N]` prints the same JSON as `ioc bench model --json`.
//! `--print-prompt` prints the exact benchmark prompt (for the llama.cpp comparison).

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut model: Option<PathBuf> = None;
    let mut threads: Option<usize> = None;
    let mut print_prompt = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--model" => model = args.next().map(PathBuf::from),
            "--threads" => threads = args.next().map(|t| t.parse()).transpose()?,
            "--print-prompt" => print_prompt = true,
            "--json" => {}
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let path = model::ModelPath::locate(model.as_deref())?;
    if print_prompt {
        let engine = model::Engine::load(&path, model::EngineOptions::default())?;
        print!("{}", model::bench::prompt_text(&engine));
        return Ok(());
    }
    let report = model::bench::run(&path, threads)?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}
