//! Parity of the question pipeline's SQL executor with SQLite: every dev-set gold query
//! (`tests/data/dev.jsonl`, a copy of `shared/eval/dev.jsonl`, kind `query`) that the guard accepts is run by
//! `queries::sql::execute` on the Polars frames of a seeded store, in the item's role's scope,
//! and by SQLite on the same store; the rows must agree as `eval/README.md` compares them
//! (numbers rounded to 2 decimals, strings case-folded, order only when the SQL has ORDER BY).
//! Gold queries the guard refuses are printed with the reason — they are the SQL shapes the
//! compiler must not emit. Run with `-- --nocapture` to see the table.
//!
//! SQLite only: the gold SQL is SQLite's dialect (the frames loaded from PostgreSQL are the same
//! rows, which `store.rs` and `live.rs` already check).

use crate::helpers::{seeded_store, TestDb};
use queries::sql::{execute, guard, Limits, ResultTable};
use queries::Scope;
use serde_json::Value;
use server::store::Store;
use sqlx::{Column, Row};

/// Seed scale: ~35,000 cases, enough for every gold query to return rows.
const SCALE: f64 = 0.02;

/// The dev question set, a copy of `shared/eval/dev.jsonl` kept with the tests.
fn dev_set() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/dev.jsonl");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The rows SQLite returns, as JSON values (integers, reals, text, null).
async fn sqlite_rows(store: &Store, sql: &str) -> Result<ResultTable, String> {
    let Store::Sqlite(pool) = store else {
        return Err("not SQLite".into());
    };
    let rows = sqlx::query(sql)
        .fetch_all(pool)
        .await
        .map_err(|e| e.to_string())?;
    let mut out = ResultTable::default();
    if let Some(first) = rows.first() {
        out.columns = first
            .columns()
            .iter()
            .map(|c| c.name().to_owned())
            .collect();
    }
    for row in &rows {
        let mut values = Vec::new();
        for i in 0..row.len() {
            let v = if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
                v.map_or(Value::Null, Value::from)
            } else if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
                v.map_or(Value::Null, Value::from)
            } else if let Ok(v) = row.try_get::<Option<String>, _>(i) {
                v.map_or(Value::Null, Value::from)
            } else {
                return Err(format!("column {i}: undecodable value"));
            };
            values.push(v);
        }
        out.rows.push(values);
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Null,
    Num(f64),
    Text(String),
}

fn cell(v: &Value) -> Cell {
    match v {
        Value::Null => Cell::Null,
        Value::Number(n) => Cell::Num(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => Cell::Text(s.to_lowercase()),
        other => Cell::Text(other.to_string()),
    }
}

fn same_cell(a: &Cell, b: &Cell) -> bool {
    match (a, b) {
        (Cell::Num(x), Cell::Num(y)) => ((x * 100.0).round() - (y * 100.0).round()).abs() <= 1.0,
        _ => a == b,
    }
}

fn sort_key(row: &[Cell]) -> String {
    row.iter()
        .map(|c| match c {
            Cell::Null => "~null".to_owned(),
            Cell::Num(x) => format!("{x:020.2}"),
            Cell::Text(s) => s.clone(),
        })
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

/// `None` when both results hold the same rows; else what differs.
fn compare(gold: &ResultTable, got: &ResultTable, ordered: bool) -> Option<String> {
    if gold.rows.len() != got.rows.len() {
        return Some(format!(
            "{} rows on SQLite, {} on Polars",
            gold.rows.len(),
            got.rows.len()
        ));
    }
    let width = gold.rows.first().map_or(0, Vec::len);
    if got.rows.first().map_or(0, Vec::len) != width {
        return Some(format!("{:?} vs {:?}", gold.columns, got.columns));
    }
    let table = |t: &ResultTable| -> Vec<Vec<Cell>> {
        let mut rows: Vec<Vec<Cell>> = t
            .rows
            .iter()
            .map(|r| r.iter().map(cell).collect())
            .collect();
        if !ordered {
            rows.sort_by_key(|r| sort_key(r));
        }
        rows
    };
    let (a, b) = (table(gold), table(got));
    for (i, (ra, rb)) in a.iter().zip(&b).enumerate() {
        if !ra.iter().zip(rb).all(|(x, y)| same_cell(x, y)) {
            return Some(format!("row {i}: SQLite {ra:?}, Polars {rb:?}"));
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_gold_queries_give_the_same_rows_on_polars_and_sqlite() {
    let dev = dev_set();
    let db = TestDb::sqlite();
    let store = seeded_store(&db, SCALE).await;
    let (frames, _) = server::projection::load_frames(&store)
        .await
        .expect("frames");
    let frames = std::sync::Arc::new(frames);
    let limits = Limits::default();
    let (mut agree, mut refused, mut mismatched, mut nonempty) = (0, Vec::new(), Vec::new(), 0);
    for line in dev.lines().filter(|l| !l.trim().is_empty()) {
        let item: Value = serde_json::from_str(line).expect("dev line");
        if item["kind"] != "query" {
            continue;
        }
        let id = item["id"].as_str().expect("id").to_owned();
        let sql = item["gold_sql"].as_str().expect("gold_sql").to_owned();
        let scope = Scope::parse_role(item["role"].as_str().expect("role")).expect("role");
        let guarded = match guard(&sql, &limits) {
            Ok(g) => g,
            Err(e) => {
                println!("{id}: NOT SUPPORTED ({:?}): {e}", e.kind);
                refused.push(id);
                continue;
            }
        };
        let gold = sqlite_rows(&store, &sql)
            .await
            .expect("gold SQL runs on SQLite");
        let f = frames.clone();
        let g = guarded.clone();
        let got = tokio::task::spawn_blocking(move || execute(&f, &scope, &g, &limits))
            .await
            .expect("join");
        match got {
            Err(e) => {
                println!(
                    "{id}: POLARS ERROR: {}\n    {}",
                    e.detail(),
                    guarded.polars_sql()
                );
                mismatched.push(id);
            }
            Ok(got) => match compare(&gold, &got, sql.contains("ORDER BY")) {
                None => {
                    agree += 1;
                    if !gold.rows.is_empty() {
                        nonempty += 1;
                    }
                    println!("{id}: same {} rows", gold.rows.len());
                }
                Some(diff) => {
                    println!("{id}: DIFFERENT: {diff}\n    {}", guarded.polars_sql());
                    mismatched.push(id);
                }
            },
        }
    }
    println!(
        "sql_parity: {agree} agree ({nonempty} with rows), {} refused by the guard {refused:?}, \
         {} differ {mismatched:?}",
        refused.len(),
        mismatched.len()
    );
    assert!(mismatched.is_empty(), "differ on Polars: {mismatched:?}");
    // Only the correlated NOT EXISTS with a non-equality correlation is out of reach.
    assert_eq!(refused, vec!["dev-037".to_owned()]);
    assert!(agree >= 49, "{agree} agree");
}

/// One compiled plan run by the guard and Polars and by SQLite: `None` when the rows agree.
async fn agree_on_both(
    store: &Store,
    frames: &std::sync::Arc<queries::frames::Frames>,
    sql: &str,
) -> Result<usize, String> {
    let limits = Limits::default();
    let guarded = guard(sql, &limits).map_err(|e| format!("guard: {e}"))?;
    let gold = sqlite_rows(store, sql)
        .await
        .map_err(|e| format!("SQLite: {e}"))?;
    let (f, g) = (frames.clone(), guarded.clone());
    let got = tokio::task::spawn_blocking(move || execute(&f, &Scope::National, &g, &limits))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("Polars: {e}"))?;
    match compare(&gold, &got, sql.contains("ORDER BY")) {
        None => Ok(gold.rows.len()),
        Some(diff) => Err(diff),
    }
}

/// The semantic catalog as a property: every value of `queries::nl::catalog::VOCAB`, said and
/// negated, on every base table its join paths reach, as a count, as a record list, grouped
/// by a dimension, as the part of a share, and in two periods side by side — and every
/// numeric threshold and every rule with a threshold of its own — compiles, passes the guard,
/// and gives the same rows on Polars as on SQLite.
#[tokio::test(flavor = "multi_thread")]
async fn every_catalog_condition_compiles_and_agrees_on_polars_and_sqlite() {
    use queries::nl::catalog::{Condition, MEASURES, VOCAB};
    use queries::nl::link::{Duration, DurationUnit, Linked, PartMarker};
    use queries::nl::normalize::Text;
    use queries::nl::plan::{compile, metric, Context, Plan};
    use queries::nl::time::compared_periods;

    let db = TestDb::sqlite();
    let store = seeded_store(&db, SCALE).await;
    let (frames, _) = server::projection::load_frames(&store)
        .await
        .expect("frames");
    let frames = std::sync::Arc::new(frames);
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
    // One count, one list and one categorical dimension per base.
    let bases: &[(&str, &str, &str)] = &[
        ("so_viec", "ds_viec", "loai_an"),
        ("so_don", "ds_don", "kenh"),
        ("so_bien_lai", "ds_bien_lai", "kenh_gui"),
        ("so_quyet_dinh", "ds_quyet_dinh", "loai_quyet_dinh"),
        ("so_bien_phap", "ds_bien_phap", "loai_bien_phap"),
        ("so_can_bo", "so_can_bo", "phong_kv"),
        ("so_nhiem_vu", "ds_nhiem_vu", "loai_hanh_dong"),
    ];
    let plan = |m: &'static str, by: &'static str, limit: Option<u32>| Plan {
        metric: m,
        set: "tat_ca",
        by,
        order: "khong",
        limit,
        also: None,
        by2: "khong",
    };
    let mut cases: Vec<(String, Plan, Linked)> = Vec::new();
    for v in VOCAB {
        for negated in [false, true] {
            let c = Condition {
                targets: v
                    .targets
                    .iter()
                    .map(|(t, p)| (*t, (*p).to_owned()))
                    .collect(),
                label: v.label.to_owned(),
                soft: false,
                negated,
                at: 5,
            };
            for (count, list, dim) in bases {
                let base = metric(count).expect("metric").base;
                if c.render(base).is_none() {
                    continue;
                }
                let linked = Linked {
                    conditions: vec![c.clone()],
                    ..Linked::default()
                };
                let name = format!("{} (negated: {negated}) on {count}", v.label);
                cases.push((name.clone(), plan(count, "khong", None), linked.clone()));
                cases.push((
                    format!("{name}, listed"),
                    plan(list, "khong", Some(20)),
                    linked.clone(),
                ));
                cases.push((
                    format!("{name}, by {dim}"),
                    plan(count, dim, None),
                    linked.clone(),
                ));
                if negated {
                    continue;
                }
                let share = Linked {
                    part: Some(PartMarker {
                        at: 1,
                        before: false,
                        share: true,
                        explicit: true,
                        until: 1,
                    }),
                    ..linked.clone()
                };
                cases.push((format!("{name}, share"), plan(count, "khong", None), share));
                let (first, second) =
                    compared_periods(&Text::new("tháng này so với cùng kỳ năm trước"), as_of)
                        .expect("periods");
                let two = Linked {
                    period: Some(first),
                    second_period: Some(second),
                    ..linked.clone()
                };
                cases.push((
                    format!("{name}, two periods"),
                    plan(count, "khong", None),
                    two,
                ));
            }
        }
    }
    for m in MEASURES {
        for (count, _, _) in bases {
            let base = metric(count).expect("metric").base;
            let c = queries::nl::catalog::threshold(m, ">", 1_000, m.label.into(), 5);
            if c.render(base).is_some() {
                let linked = Linked {
                    conditions: vec![c],
                    ..Linked::default()
                };
                cases.push((
                    format!("{} > 1000 on {count}", m.label),
                    plan(count, "khong", None),
                    linked,
                ));
            }
        }
    }
    // Rules with a threshold of their own take the question's instead.
    for (set, unit) in [
        ("qh02", DurationUnit::WorkingDays),
        ("qh04", DurationUnit::Months),
        ("qh05", DurationUnit::Days),
        ("qh06", DurationUnit::Days),
        ("qh07", DurationUnit::Days),
        ("qh08", DurationUnit::Days),
        ("qh09", DurationUnit::WorkingDays),
        ("qh10", DurationUnit::Days),
        ("qh11", DurationUnit::Months),
    ] {
        let linked = Linked {
            durations: vec![Duration {
                op: ">",
                n: 3,
                unit,
                at: 5,
                step: None,
            }],
            ..Linked::default()
        };
        let p = Plan {
            set,
            ..plan("so_viec", "tinh", None)
        };
        cases.push((format!("{set} over 3 units"), p, linked));
    }
    // The share of every case set ("tỷ lệ đơn giải quyết trễ hạn", "tỷ lệ việc hoãn quá 90
    // ngày").
    for set in queries::nl::plan::SETS.iter().filter(|s| s.key != "tat_ca") {
        let Some((count, _, _)) = bases
            .iter()
            .find(|(c, _, _)| metric(c).is_some_and(|m| m.base == set.base))
        else {
            continue;
        };
        let linked = Linked {
            part: Some(PartMarker {
                at: 1,
                before: false,
                share: true,
                explicit: false,
                until: 1,
            }),
            set_spans: vec![(set.key, 2, 1)],
            ..Linked::default()
        };
        let p = Plan {
            set: set.key,
            ..plan(count, "khong", None)
        };
        cases.push((format!("share of {} on {count}", set.key), p, linked));
    }
    let mut failed = Vec::new();
    let mut with_rows = 0;
    for (name, p, linked) in &cases {
        let cx = Context {
            linked,
            scope: &Scope::National,
            as_of,
        };
        let compiled = match compile(p, &cx) {
            Ok(c) => c,
            Err(e) => {
                failed.push(format!("{name}: compile: {e}"));
                continue;
            }
        };
        match agree_on_both(&store, &frames, &compiled.sql).await {
            Ok(rows) => with_rows += usize::from(rows > 0),
            Err(e) => failed.push(format!("{name}: {e}\n    {}", compiled.sql)),
        }
    }
    println!(
        "catalog parity: {} plans, {with_rows} with rows, {} failed",
        cases.len(),
        failed.len()
    );
    assert!(
        failed.is_empty(),
        "{} of {} failed:\n{}",
        failed.len(),
        cases.len(),
        failed.join("\n")
    );
    assert!(cases.len() > 300, "{} plans", cases.len());
}
