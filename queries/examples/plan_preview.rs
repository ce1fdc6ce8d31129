//! Prints, for every question of a JSON-lines set, what the question pipeline makes of it
//! without a model and without data: the kind, the plan line of the best-ranked candidates
//! (`--planner rules`) and the SQL as the guard re-renders it. One JSON object per line:
//! `{"id", "kind", "plan", "sql", "answer"}`.
//!
//! `cargo run --release -p queries --example plan_preview -- ../shared/eval/dev.jsonl`
//!
//! A quick look at linking, cues and the plan compiler while iterating; `ioc eval` is what
//! scores answers on real data.

use std::io::BufRead;

use chrono::NaiveDate;
use queries::nl::ask::{ask, Route, RulesFiller, RunError, Runner};
use queries::sql::{guard, Limits, ResultTable};
use queries::Scope;
use serde_json::{json, Value};

/// Guards the SQL and returns no rows.
struct GuardOnly;

impl Runner for GuardOnly {
    fn run(&self, sql: &str, max_rows: usize) -> Result<(String, ResultTable), RunError> {
        let limits = Limits {
            max_rows,
            ..Limits::default()
        };
        let g = guard(sql, &limits)?;
        Ok((
            g.sql,
            ResultTable {
                columns: Vec::new(),
                rows: Vec::new(),
            },
        ))
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: plan_preview <set.jsonl>")?;
    let file = std::io::BufReader::new(std::fs::File::open(path)?);
    for line in file.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let item: Value = serde_json::from_str(&line)?;
        let text = |k: &str| item.get(k).and_then(Value::as_str).unwrap_or("");
        let scope = Scope::parse_role(text("role"))?;
        let as_of = NaiveDate::parse_from_str(text("as_of"), "%Y-%m-%d")?;
        let a = ask(
            text("question"),
            None,
            &scope,
            as_of,
            Route::PlanThenSql,
            &mut RulesFiller,
            &GuardOnly,
            &mut |_| {},
        );
        let out = json!({
            "id": text("id"),
            "kind": a.kind,
            "plan": a.plan,
            "sql": a.sql,
            "answer": a.answer,
        });
        println!("{out}");
    }
    Ok(())
}
