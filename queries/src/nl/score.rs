//! Execution accuracy, scored exactly like `shared/eval/score.py` (eval/README.md): a query is
//! right when every gold column is matched by a distinct predicted column with the same values
//! row by row; strings compare after NFC and case folding, numbers after rounding to 2 decimals,
//! and a non-integer column may differ by one constant unit factor (1, 100, 10³, 10⁶, 10⁹).

use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

const FACTORS: [f64; 5] = [1.0, 100.0, 1e3, 1e6, 1e9];

/// A value as the scorer compares it.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
pub enum Cell {
    Null,
    Num(f64),
    Text(String),
}

/// Normalises one value (`norm` of score.py).
pub fn norm(v: &Value) -> Cell {
    match v {
        Value::Null => Cell::Null,
        Value::Bool(b) => Cell::Num(if *b { 1.0 } else { 0.0 }),
        Value::Number(n) => n.as_f64().map_or(Cell::Null, Cell::Num),
        Value::String(s) => text_cell(s),
        other => text_cell(&other.to_string()),
    }
}

fn text_cell(s: &str) -> Cell {
    let s: String = s.nfc().collect::<String>().trim().to_owned();
    let numeric = {
        let body = s.strip_prefix('-').unwrap_or(&s);
        let mut parts = body.splitn(2, '.');
        let int_ok = parts
            .next()
            .is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
        let frac_ok = parts
            .next()
            .is_none_or(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
        int_ok && frac_ok
    };
    match s.parse::<f64>() {
        Ok(f) if numeric => Cell::Num(f),
        _ => Cell::Text(s.to_lowercase()),
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn num_close(g: f64, t: f64, scaled: bool) -> bool {
    if scaled {
        (g - t).abs() <= 0.011_f64.max(0.005 * g.abs())
    } else {
        (round2(g) - round2(t)).abs() <= 0.011
    }
}

fn col_equal(g: &[&Cell], p: &[&Cell]) -> bool {
    if g.len() != p.len() {
        return false;
    }
    if g.iter().zip(p).all(|(a, b)| a == b) {
        return true;
    }
    let nums: Vec<f64> = g
        .iter()
        .chain(p)
        .filter_map(|c| match c {
            Cell::Num(x) => Some(*x),
            _ => None,
        })
        .collect();
    if g.iter().chain(p).any(|c| matches!(c, Cell::Text(_))) {
        return false;
    }
    let factors: &[f64] = if nums.iter().any(|x| x.fract() != 0.0) {
        &FACTORS
    } else {
        &FACTORS[..1]
    };
    for &f in factors {
        for divide in [false, true] {
            let ok = g.iter().zip(p).all(|(a, b)| match (a, b) {
                (Cell::Null, Cell::Null) => true,
                (Cell::Num(a), Cell::Num(b)) => {
                    let b = if divide { b / f } else { b * f };
                    num_close(*a, b, f != 1.0)
                }
                _ => false,
            });
            if ok {
                return true;
            }
        }
    }
    false
}

fn sort_key(r: &[&Cell]) -> Vec<(u8, String, f64)> {
    r.iter()
        .map(|c| match c {
            Cell::Null => (1, String::new(), 0.0),
            Cell::Num(x) => (0, "f".into(), *x),
            Cell::Text(s) => (0, format!("s{s}"), 0.0),
        })
        .collect()
}

fn sorted<'a>(rows: &[Vec<&'a Cell>]) -> Vec<Vec<&'a Cell>> {
    let mut r = rows.to_vec();
    r.sort_by(|a, b| {
        sort_key(a)
            .partial_cmp(&sort_key(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    r
}

/// Whether predicted rows match gold rows (`rows_match` of score.py).
pub fn rows_match(gold: &[Vec<Value>], pred: &[Vec<Value>], ordered: bool) -> bool {
    if gold.len() != pred.len() {
        return false;
    }
    if gold.is_empty() {
        return true;
    }
    let g: Vec<Vec<Cell>> = gold.iter().map(|r| r.iter().map(norm).collect()).collect();
    let p: Vec<Vec<Cell>> = pred.iter().map(|r| r.iter().map(norm).collect()).collect();
    let ng = g[0].len();
    let np = p.first().map_or(0, Vec::len);
    if np < ng {
        return false;
    }
    let gref: Vec<Vec<&Cell>> = g.iter().map(|r| r.iter().collect()).collect();
    let gg = if ordered { gref.clone() } else { sorted(&gref) };
    let mut found = false;
    permutations(np, ng, &mut |cols| {
        if np > 8 && ng > 4 {
            return true;
        }
        let proj: Vec<Vec<&Cell>> = p
            .iter()
            .map(|r| cols.iter().map(|&c| &r[c]).collect())
            .collect();
        let pp = if ordered { proj } else { sorted(&proj) };
        if (0..ng).all(|i| {
            let a: Vec<&Cell> = gg.iter().map(|r| r[i]).collect();
            let b: Vec<&Cell> = pp.iter().map(|r| r[i]).collect();
            col_equal(&a, &b)
        }) {
            found = true;
            return true;
        }
        false
    });
    found
}

/// Calls `f` with every ordered choice of `k` distinct indices below `n`, until it returns true.
fn permutations(n: usize, k: usize, f: &mut dyn FnMut(&[usize]) -> bool) {
    fn go(
        n: usize,
        k: usize,
        cur: &mut Vec<usize>,
        used: &mut Vec<bool>,
        f: &mut dyn FnMut(&[usize]) -> bool,
    ) -> bool {
        if cur.len() == k {
            return f(cur);
        }
        for i in 0..n {
            if !used[i] {
                used[i] = true;
                cur.push(i);
                let stop = go(n, k, cur, used, f);
                cur.pop();
                used[i] = false;
                if stop {
                    return true;
                }
            }
        }
        false
    }
    go(n, k, &mut Vec::new(), &mut vec![false; n], f);
}

/// Whether the gold SQL orders its rows (then order counts).
pub fn has_order_by(sql: &str) -> bool {
    let lower = sql.to_lowercase();
    lower
        .split_whitespace()
        .collect::<Vec<_>>()
        .windows(2)
        .any(|w| w == ["order", "by"])
}

/// Whether a question is written without diacritics (the eval's `query:no_diacritics`).
pub fn without_diacritics(question: &str) -> bool {
    !question.nfc().any(|c| !c.is_ascii() && c.is_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matches_like_the_reference_scorer() {
        let gold = vec![vec![json!("Hà Nội"), json!(84.25)]];
        assert!(rows_match(
            &gold,
            &[vec![json!("01"), json!("HÀ NỘI"), json!(84.25)]],
            true
        ));
        assert!(rows_match(
            &gold,
            &[vec![json!("Hà Nội"), json!(0.8425)]],
            true
        ));
        assert!(!rows_match(
            &gold,
            &[vec![json!("Hà Nội"), json!(84.5)]],
            true
        ));
        assert!(!rows_match(&gold, &[vec![json!(84.25)]], true));
        let two = vec![vec![json!("a"), json!(1)], vec![json!("b"), json!(2)]];
        let swapped = vec![vec![json!("b"), json!(2)], vec![json!("a"), json!(1)]];
        assert!(rows_match(&two, &swapped, false));
        assert!(!rows_match(&two, &swapped, true));
        // Counts get no unit factor.
        assert!(!rows_match(&[vec![json!(5)]], &[vec![json!(500)]], false));
        assert!(rows_match(
            &[vec![json!(12.34)]],
            &[vec![json!(12_340_000_000.0)]],
            false
        ));
    }

    #[test]
    fn categories() {
        assert!(has_order_by("SELECT a FROM t ORDER BY a"));
        assert!(!has_order_by("SELECT a FROM t"));
        assert!(without_diacritics("so viec o HN"));
        assert!(!without_diacritics("số việc"));
    }
}
