//! `ioc ask` and `ioc eval`: the question pipeline from the command line, on the frames of a
//! store, and its execution accuracy on a question set scored like `shared/eval/score.py`.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clap::Args;
use queries::frames::Frames;
use queries::nl::ask::{Answer, Progress};
use queries::nl::score;
use queries::sql::Cancel;
use queries::Scope;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{Row, TypeInfo, ValueRef};

use crate::ask::{Assistant, Model};
use crate::config::Config;
use crate::store::Store;

/// Options of `ioc ask`.
#[derive(Debug, Args)]
pub struct AskArgs {
    /// The date "today" means (default: the data's as-of date).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<NaiveDate>,
    /// `central` or `province:<ma_tinh>`.
    #[arg(long, default_value = "central")]
    pub role: String,
    /// Print one JSON object (the eval format) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Store the task a command drafts (one per unit) and print its id (`task_ids` in JSON).
    /// Without it nothing is stored.
    #[arg(long)]
    pub confirm: bool,
    /// GGUF weights (default: IOC_MODEL_PATH or the cached default model).
    #[arg(long, value_name = "PATH")]
    pub model: Option<PathBuf>,
    /// The question.
    pub question: String,
}

/// Options of `ioc eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// A question set (JSON lines with id, question, as_of, role, kind, gold_sql/expected_task).
    pub set: PathBuf,
    /// Also write every prediction (one `ioc ask --json` object with its id per line) here.
    #[arg(long, value_name = "FILE")]
    pub pred: Option<PathBuf>,
    /// GGUF weights (default: IOC_MODEL_PATH or the cached default model).
    #[arg(long, value_name = "PATH")]
    pub model: Option<PathBuf>,
    /// Print every item, not only failures.
    #[arg(long)]
    pub verbose: bool,
    /// `model` (the product: the model fills the plan, free SQL when the plan cannot express
    /// the question), `rules` (best-ranked cue candidates, no model: the baseline) or `sql`
    /// (the model writes free SQL for every query: the fallback path alone).
    #[arg(long, default_value = "model", value_parser = ["model", "rules", "sql"])]
    pub planner: String,
}

/// Failures of `ask`/`eval`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error(transparent)]
    Projection(#[from] crate::projection::Error),
    #[error("{0}")]
    Role(String),
    #[error("the data has no as-of date; pass --as-of")]
    NoAsOf,
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("line {line} of {path}: {source}")]
    Item {
        path: String,
        line: usize,
        source: serde_json::Error,
    },
    #[error("eval needs a SQLite store (the gold SQL is SQLite SQL)")]
    NotSqlite,
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("a blocking task failed")]
    Join,
    #[error(transparent)]
    Task(#[from] crate::tasks::TaskError),
}

/// The model if its file is there; a warning otherwise (questions then answer "not loaded").
fn load_model(explicit: Option<PathBuf>, cfg: &Config) -> Option<Model> {
    let path = explicit.or_else(|| cfg.model_path.clone())?;
    if !path.is_file() {
        tracing::warn!(path = %path.display(), "no model file: questions will answer 'model not loaded'");
        return None;
    }
    match Model::load(&path) {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::warn!(error = %e, "model not loaded");
            None
        }
    }
}

async fn frames_of(cfg: &Config) -> Result<(Store, Frames, Option<NaiveDate>), Error> {
    let store = Store::connect(&cfg.database_url).await?;
    let (frames, as_of) = crate::projection::load_frames(&store).await?;
    Ok((store, frames, as_of))
}

/// `ioc ask`.
///
/// # Errors
/// [`Error`] when the store, the role or the model path is unusable.
pub async fn ask(cfg: &Config, args: AskArgs) -> Result<(), Error> {
    let scope = Scope::parse_role(&args.role).map_err(Error::Role)?;
    let (store, frames, data_as_of) = frames_of(cfg).await?;
    let as_of = args.as_of.or(data_as_of).ok_or(Error::NoAsOf)?;
    let budget = cfg.sql_budget;
    let cfg = cfg.clone();
    let json = args.json;
    let scope2 = scope.clone();
    let (answer, frames) = tokio::task::spawn_blocking(move || {
        let assistant = Assistant::new(load_model(args.model, &cfg)).with_budget(cfg.sql_budget);
        let cancel = Cancel::new();
        let answer = assistant.ask(
            &args.question,
            None,
            &scope2,
            as_of,
            &frames,
            &cancel,
            &mut |p| {
                if !json {
                    if let Progress::Generating(t) = p {
                        eprint!("{t}");
                    }
                }
            },
        );
        (answer, frames)
    })
    .await
    .map_err(|_| Error::Join)?;
    let stored = match answer.task.as_ref().filter(|_| args.confirm) {
        Some(task) => {
            // The task tables may be newer than the database.
            store.migrate().await?;
            let form = crate::tasks::draft_of(task).form;
            let prepared =
                crate::tasks::prepare(&form, &scope, &frames, as_of, &budget, &Cancel::new());
            let actor = crate::tasks::Actor::cli(scope.clone());
            let result =
                crate::tasks::confirm_prepared(&store, as_of, &actor, &form, prepared).await;
            store.close().await;
            Some(result?.0)
        }
        None => {
            store.close().await;
            None
        }
    };
    if json {
        let mut out = serde_json::to_value(&answer)?;
        if let (Some(created), Some(obj)) = (&stored, out.as_object_mut()) {
            obj.insert("task_ids".into(), serde_json::json!(created.ids));
        }
        println!("{}", serde_json::to_string(&out)?);
    } else {
        eprintln!();
        print_text(&answer);
        if let Some(created) = &stored {
            for (id, n) in created.ids.iter().zip(&created.linked) {
                println!("Đã giao nhiệm vụ số {id} ({n} hồ sơ liên quan).");
            }
        }
    }
    Ok(())
}

fn print_text(a: &Answer) {
    println!("{}", a.answer);
    if let Some(sql) = &a.sql {
        println!("\nSQL: {sql}");
    }
    if !a.columns.is_empty() {
        println!("\n{}", a.columns.join(" | "));
        for row in a.rows.iter().take(30) {
            let cells: Vec<String> = row
                .iter()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            println!("{}", cells.join(" | "));
        }
    }
    println!("\n({} ms)", a.ms);
}

/// One item of a question set.
#[derive(Debug, Deserialize)]
struct Item {
    id: String,
    question: String,
    as_of: NaiveDate,
    role: String,
    kind: String,
    gold_sql: Option<String>,
    expected_task: Option<Value>,
}

/// A prediction line.
#[derive(Serialize)]
struct Pred<'a> {
    id: &'a str,
    #[serde(flatten)]
    answer: &'a Answer,
}

fn read_items(path: &Path) -> Result<Vec<Item>, Error> {
    let file = std::fs::File::open(path).map_err(|source| Error::Read {
        path: path.display().to_string(),
        source,
    })?;
    let mut items = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| Error::Read {
            path: path.display().to_string(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        items.push(serde_json::from_str(&line).map_err(|source| Error::Item {
            path: path.display().to_string(),
            line: i + 1,
            source,
        })?);
    }
    Ok(items)
}

/// Rows of `sql` on SQLite as JSON values (INTEGER → int, REAL → float, TEXT → string).
async fn sqlite_rows(pool: &sqlx::SqlitePool, sql: &str) -> Result<Vec<Vec<Value>>, sqlx::Error> {
    let rows = sqlx::query(sql).fetch_all(pool).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut cells = Vec::with_capacity(row.columns().len());
        for i in 0..row.columns().len() {
            let raw = row.try_get_raw(i)?;
            let kind = if raw.is_null() {
                "NULL".to_owned()
            } else {
                raw.type_info().name().to_owned()
            };
            cells.push(match kind.as_str() {
                "NULL" => Value::Null,
                "INTEGER" => Value::from(row.try_get::<i64, _>(i)?),
                "REAL" => Value::from(row.try_get::<f64, _>(i)?),
                _ => Value::from(row.try_get::<String, _>(i)?),
            });
        }
        out.push(cells);
    }
    Ok(out)
}

/// Per category: (passed, failed).
type Tally = std::collections::BTreeMap<String, (usize, usize)>;

/// `ioc eval`: answers every item, scores it, prints failures, accuracy per category and
/// latency percentiles; always exits 0 when it could run.
///
/// # Errors
/// [`Error`] when the set, the store or the model cannot be used.
pub async fn eval(cfg: &Config, args: EvalArgs) -> Result<(), Error> {
    let items = read_items(&args.set)?;
    let (store, frames, _) = frames_of(cfg).await?;
    let Store::Sqlite(pool) = &store else {
        return Err(Error::NotSqlite);
    };
    let pool = pool.clone();
    let cfg2 = cfg.clone();
    let model_path = args.model.clone();
    let planner = args.planner.clone();
    let (assistant, frames) = tokio::task::spawn_blocking(move || {
        let assistant = match planner.as_str() {
            "rules" => Assistant::rules_only(),
            "sql" => Assistant::sql_only(load_model(model_path, &cfg2)),
            _ => Assistant::new(load_model(model_path, &cfg2)),
        }
        .with_budget(cfg2.sql_budget);
        (assistant, frames)
    })
    .await
    .map_err(|_| Error::Join)?;
    println!(
        "planner: {}{}",
        match args.planner.as_str() {
            "rules" => "rules (best-ranked cue candidates, no model)",
            "sql" => "sql (the model writes free SQL for every query)",
            _ => "model (plan, free SQL when the plan cannot express the question)",
        },
        if args.planner == "rules" || assistant.has_model() {
            ""
        } else {
            " — model NOT LOADED"
        }
    );
    let frames = std::sync::Arc::new(frames);
    let mut pred_out = match &args.pred {
        Some(p) => Some(std::io::BufWriter::new(std::fs::File::create(p)?)),
        None => None,
    };
    let mut tally: Tally = Tally::new();
    // Per answering path (`plan`, `sql`, or `-` when nothing ran): (passed, failed).
    let mut by_path: Tally = Tally::new();
    let mut latencies: Vec<u64> = Vec::new();
    let (mut passed, mut failed) = (0usize, 0usize);
    for item in &items {
        let scope = Scope::parse_role(&item.role).map_err(Error::Role)?;
        let (a, f) = (assistant.clone(), std::sync::Arc::clone(&frames));
        let (question, as_of) = (item.question.clone(), item.as_of);
        let answer = tokio::task::spawn_blocking(move || {
            a.ask(
                &question,
                None,
                &scope,
                as_of,
                &f,
                &Cancel::new(),
                &mut |_| {},
            )
        })
        .await
        .map_err(|_| Error::Join)?;
        latencies.push(answer.ms);
        if let Some(w) = pred_out.as_mut() {
            serde_json::to_writer(
                &mut *w,
                &Pred {
                    id: &item.id,
                    answer: &answer,
                },
            )?;
            w.write_all(b"\n")?;
        }
        let (ok, why) = judge(&pool, item, &answer).await;
        let category = match item.kind.as_str() {
            "query" if score::without_diacritics(&item.question) => {
                "query:no_diacritics".to_owned()
            }
            k => k.to_owned(),
        };
        let entry = tally.entry(category.clone()).or_default();
        let path = answer.path.as_deref().unwrap_or("-");
        let path_entry = by_path.entry(path.to_owned()).or_default();
        if ok {
            path_entry.0 += 1;
        } else {
            path_entry.1 += 1;
        }
        if ok {
            entry.0 += 1;
            passed += 1;
            if args.verbose {
                println!(
                    "ok   {} [{category}] {path} {} ms  {}",
                    item.id,
                    answer.ms,
                    answer
                        .plan
                        .as_deref()
                        .or(answer.sql.as_deref())
                        .unwrap_or("")
                );
            }
        } else {
            entry.1 += 1;
            failed += 1;
            let line = format!(
                "FAIL {} [{category}] {path} {why} | plan: {}",
                item.id,
                answer.plan.as_deref().unwrap_or("-")
            );
            println!("{}", line.chars().take(500).collect::<String>());
        }
    }
    if let Some(mut w) = pred_out {
        w.flush()?;
    }
    for (c, (ok, bad)) in &tally {
        println!(
            "{c}: {ok}/{} = {:.1}%",
            ok + bad,
            100.0 * *ok as f64 / (ok + bad).max(1) as f64
        );
    }
    for (path, (ok, bad)) in &by_path {
        println!("answered by {path}: {ok} passed, {bad} failed");
    }
    latencies.sort_unstable();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies.get(i).copied().unwrap_or(0)
    };
    println!(
        "latency: p50 {} ms, p95 {} ms, max {} ms",
        pct(0.5),
        pct(0.95),
        latencies.last().copied().unwrap_or(0)
    );
    println!(
        "accuracy: {:.1}%",
        100.0 * passed as f64 / (passed + failed).max(1) as f64
    );
    println!("{passed} passed, {failed} failed");
    store.close().await;
    Ok(())
}

/// Scores one answer by the rules of eval/README.md.
async fn judge(pool: &sqlx::SqlitePool, item: &Item, a: &Answer) -> (bool, String) {
    if a.kind != item.kind {
        return (
            false,
            format!("kind {:?} != {:?}: {}", a.kind, item.kind, a.answer),
        );
    }
    match item.kind.as_str() {
        "refuse" => (a.rows.is_empty(), "refused but returned rows".into()),
        "query" => {
            let Some(gold) = &item.gold_sql else {
                return (false, "no gold SQL".into());
            };
            match sqlite_rows(pool, gold).await {
                Ok(g) => {
                    let ok = score::rows_match(&g, &a.rows, score::has_order_by(gold));
                    let first = |r: &[Vec<Value>]| {
                        r.iter()
                            .take(3)
                            .map(|x| serde_json::to_string(x).unwrap_or_default())
                            .collect::<Vec<_>>()
                            .join(" ")
                    };
                    (
                        ok,
                        format!(
                            "rows differ: gold {} rows {} vs pred {} rows {} | sql: {}",
                            g.len(),
                            first(&g),
                            a.rows.len(),
                            first(&a.rows),
                            a.sql.as_deref().unwrap_or(&a.answer)
                        ),
                    )
                }
                Err(e) => (false, format!("gold SQL failed: {e}")),
            }
        }
        _ => {
            let exp = item.expected_task.clone().unwrap_or(Value::Null);
            let Some(t) = &a.task else {
                return (false, format!("no task: {}", a.answer));
            };
            let want: Vec<String> = match exp.get("don_vi_ma_list") {
                Some(Value::Array(v)) => v
                    .iter()
                    .map(|x| x.as_str().unwrap_or("").to_owned())
                    .collect(),
                _ => vec![exp
                    .get("don_vi_ma")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned()],
            };
            let mut got: Vec<String> = match &t.don_vi_ma {
                Value::Array(v) => v
                    .iter()
                    .map(|x| x.as_str().unwrap_or("").to_owned())
                    .collect(),
                v => vec![v.as_str().unwrap_or("").to_owned()],
            };
            let mut want = want;
            got.sort();
            want.sort();
            let mut wrong = Vec::new();
            if got != want {
                wrong.push(format!("don_vi_ma {got:?} != {want:?}"));
            }
            let han = exp
                .get("han_hoan_thanh")
                .and_then(Value::as_str)
                .unwrap_or("");
            if t.han_hoan_thanh != han {
                wrong.push(format!("han {} != {han}", t.han_hoan_thanh));
            }
            if let Some(sql) = exp.pointer("/scope/sql").and_then(Value::as_str) {
                match sqlite_rows(pool, sql).await {
                    Ok(rows) => {
                        let gold: std::collections::BTreeSet<i64> = rows
                            .iter()
                            .filter_map(|r| r.first().and_then(Value::as_i64))
                            .collect();
                        let pred: std::collections::BTreeSet<i64> =
                            t.scope_ids.iter().copied().collect();
                        if gold != pred {
                            wrong.push(format!(
                                "scope_ids {} vs gold {} ({})",
                                pred.len(),
                                gold.len(),
                                t.scope_sql.as_deref().unwrap_or("-")
                            ));
                        }
                    }
                    Err(e) => wrong.push(format!("gold scope SQL failed: {e}")),
                }
            }
            (
                wrong.is_empty(),
                format!("task fields wrong: {}", wrong.join("; ")),
            )
        }
    }
}
