//! Times the question pipeline's SQL path on every dev-set gold query: the guard
//! (`queries::sql::guard`), the budget's estimate (`queries::sql::estimate`: Polars' optimised
//! plan and the walk over it), the scoped Polars executor (`queries::sql::execute`, which
//! includes the estimate) on the frames of a seeded store, and SQLite running the same gold SQL
//! on that store, for comparison.
//!
//! `cargo run --release -p tests --example sql_bench -- sqlite:PATH [runs]` after
//! `ioc --database-url sqlite:PATH seed --scale 1.0`. Prints one line per query and the
//! p50/p95 over the queries of each median; docs/BENCHMARKS.md records the numbers.

use std::path::Path;
use std::time::Instant;

use queries::sql::{estimate, execute, guard, Limits};
use queries::Scope;
use serde_json::Value;
use server::store::Store;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v.get(i).copied().unwrap_or(f64::NAN)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), String> {
    let url = std::env::args()
        .nth(1)
        .ok_or("usage: sql_bench <database-url> [runs]")?;
    let runs: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
        .max(1);
    let store = Store::connect(&url).await.map_err(|e| e.to_string())?;
    let Store::Sqlite(pool) = &store else {
        return Err("sql_bench compares with SQLite: give a sqlite: URL".into());
    };
    let started = Instant::now();
    let (frames, _) = server::projection::load_frames(&store)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "frames loaded in {:.1} s ({} cases)",
        started.elapsed().as_secs_f64(),
        frames.height(queries::schema::Table::ViecThiHanh)
    );
    let dev = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/dev.jsonl"))
        .map_err(|e| format!("dev.jsonl: {e}"))?;
    let limits = Limits::default();
    let (mut guards, mut estimates, mut polars, mut sqlite) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    println!("id       guard µs  estimate ms  polars ms  sqlite ms  rows  rows combined (est.)");
    for line in dev.lines().filter(|l| !l.trim().is_empty()) {
        let item: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
        if item["kind"] != "query" {
            continue;
        }
        let id = item["id"].as_str().unwrap_or("?");
        let sql = item["gold_sql"].as_str().unwrap_or("");
        let scope = Scope::parse_role(item["role"].as_str().unwrap_or("central"))?;
        let t = Instant::now();
        let n = 200;
        let mut g = None;
        for _ in 0..n {
            g = Some(guard(sql, &limits));
        }
        let guard_us = t.elapsed().as_secs_f64() * 1e6 / f64::from(n);
        let Some(Ok(g)) = g else {
            println!("{id}  refused by the guard");
            continue;
        };
        let mut e = Vec::new();
        let mut combined = 0.0;
        for _ in 0..runs {
            let t = Instant::now();
            let est = estimate(&frames, &scope, &g, &limits).map_err(|e| format!("{id}: {e}"))?;
            e.push(t.elapsed().as_secs_f64() * 1e3);
            combined = est.combined_rows;
        }
        let mut p = Vec::new();
        let mut rows = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let r = execute(&frames, &scope, &g, &limits).map_err(|e| format!("{id}: {e}"))?;
            p.push(t.elapsed().as_secs_f64() * 1e3);
            rows = r.rows.len();
        }
        let mut s = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            sqlx::query(sql)
                .fetch_all(pool)
                .await
                .map_err(|e| format!("{id} on SQLite: {e}"))?;
            s.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let (em, pm, sm) = (median(e), median(p), median(s));
        println!("{id}  {guard_us:8.1}  {em:11.1}  {pm:9.1}  {sm:9.1}  {rows}  {combined:.0}");
        guards.push(guard_us);
        estimates.push(em);
        polars.push(pm);
        sqlite.push(sm);
    }
    println!(
        "guard µs p50 {:.1} p95 {:.1} | estimate ms p50 {:.1} p95 {:.1} max {:.1} | polars ms p50 {:.1} p95 {:.1} max {:.1} | sqlite ms p50 {:.1} p95 {:.1} max {:.1}",
        percentile(guards.clone(), 0.5),
        percentile(guards, 0.95),
        percentile(estimates.clone(), 0.5),
        percentile(estimates.clone(), 0.95),
        percentile(estimates, 1.0),
        percentile(polars.clone(), 0.5),
        percentile(polars.clone(), 0.95),
        percentile(polars, 1.0),
        percentile(sqlite.clone(), 0.5),
        percentile(sqlite.clone(), 0.95),
        percentile(sqlite, 1.0),
    );
    Ok(())
}
