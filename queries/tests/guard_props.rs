//! Property tests of the SQL guard: it never panics, whatever the input; what it accepts is a
//! single query over canonical tables (or its own CTEs) with a `LIMIT`, and guarding it again
//! changes nothing; its verdict does not depend on letter case or whitespace; it refuses every
//! statement that is not a query, and every stacked statement.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::ops::ControlFlow;

use proptest::prelude::*;
use queries::schema::Table;
use queries::sql::{guard, GuardErrorKind, Limits, FORBIDDEN_TABLES};
use sqlparser::ast::{visit_relations, Statement};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;

/// Benign seeds: shapes the pipeline emits.
const SEEDS: &[&str] = &[
    "SELECT COUNT(*) AS so_viec FROM viec_thi_hanh WHERE trang_thai = 'chua_co_dieu_kien'",
    "SELECT t.ten, COUNT(*) AS so_viec FROM viec_thi_hanh v JOIN tinh t ON t.ma_tinh = v.ma_tinh WHERE v.trang_thai = 'chua_co_dieu_kien' GROUP BY t.ma_tinh, t.ten ORDER BY so_viec DESC, t.ma_tinh LIMIT 5",
    "SELECT ROUND(SUM(so_tien) / 1000000000.0, 2) AS ty_dong FROM bien_lai WHERE trang_thai = 'hop_le' AND ngay_thu = '2026-11-20'",
    "WITH bl AS (SELECT viec_id, MAX(ngay_thu) AS ngay_cuoi FROM bien_lai WHERE trang_thai = 'hop_le' GROUP BY viec_id) SELECT COUNT(*) AS so_viec FROM viec_thi_hanh v JOIN bl ON bl.viec_id = v.id WHERE v.trang_thai = 'dang_thi_hanh' AND bl.ngay_cuoi < '2026-11-10'",
    "SELECT COUNT(*) AS so_viec FROM viec_thi_hanh v WHERE v.trang_thai NOT IN ('xong','dinh_chi','uy_thac') AND EXISTS (SELECT 1 FROM duong_su d WHERE d.viec_id = v.id AND d.vai_tro = 'duoc_thi_hanh')",
    "SELECT ma_tinh FROM tinh UNION SELECT ma_tinh FROM don_vi WHERE cap = 'tinh'",
    "SELECT l.thang, COUNT(*) FROM don_thu d JOIN lich l ON l.ngay = d.ngay_nhan WHERE d.ngay_nhan BETWEEN '2026-01-01' AND '2026-06-30' GROUP BY l.thang ORDER BY l.thang",
    "SELECT ten, CASE WHEN dan_so > 1000000 THEN 'lon' ELSE 'nho' END AS quy_mo FROM tinh WHERE ten LIKE 'H%' LIMIT 3",
];

/// Fragments mutations splice in: keywords, punctuation, forbidden names, tricks.
const FRAGMENTS: &[&str] = &[
    ";",
    "; DROP TABLE tinh",
    "--",
    "/*",
    "*/",
    "'",
    "\"",
    "(",
    ")",
    ",",
    ".",
    "*",
    " users ",
    " sessions ",
    " audit_log ",
    " read_csv('/etc/passwd') ",
    " FROM ",
    " SELECT ",
    " WHERE ",
    " UNION ALL SELECT * FROM users ",
    " INTO x ",
    " DELETE ",
    " INSERT INTO tinh VALUES (1) ",
    " PRAGMA x ",
    " ATTACH 'x' AS y ",
    " 1=1 ",
    " OR ",
    " AND ",
    " NOT ",
    " EXISTS (SELECT 1) ",
    " LIMIT 1000000 ",
    " OFFSET ",
    " $1 ",
    " ? ",
    " :x ",
    " @@v ",
    " \\ ",
    " WITH RECURSIVE r AS (SELECT 1) ",
    " FOR UPDATE ",
    " LATERAL ",
    " JOIN ",
    " ON ",
    " vi\u{0435}c_thi_hanh ",
    " \u{200b} ",
    " ngay_thu_ly ",
    " load_extension('x') ",
    " CAST(",
    " AS INT) ",
    " ARRAY[1] ",
    " -> ",
    " || ",
    " COPY ",
    " SET ",
    " EXPLAIN ",
    " GROUP BY ",
    " HAVING ",
    " ORDER BY ",
    " (SELECT ",
    "'2026-11-20'",
    " 1e999 ",
    " 99999999999999999999999 ",
    " NULL ",
    " TRUE ",
    " x'41' ",
    " $$a$$ ",
    " E'\\x27' ",
    " `users` ",
    " [users] ",
];

#[derive(Debug, Clone)]
enum Mutation {
    Insert(usize, usize),
    Delete(usize, usize),
    Duplicate(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0..FRAGMENTS.len()).prop_map(|(p, f)| Mutation::Insert(p, f)),
        (any::<usize>(), 1usize..20).prop_map(|(p, n)| Mutation::Delete(p, n)),
        (any::<usize>(), 1usize..40).prop_map(|(p, n)| Mutation::Duplicate(p, n)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn boundary(s: &str, p: usize) -> usize {
    let mut p = p % (s.len() + 1);
    while !s.is_char_boundary(p) {
        p -= 1;
    }
    p
}

fn apply(mut s: String, m: &Mutation) -> String {
    match *m {
        Mutation::Insert(p, f) => {
            let p = boundary(&s, p);
            s.insert_str(p, FRAGMENTS[f]);
        }
        Mutation::Delete(p, n) => {
            let a = boundary(&s, p);
            let b = boundary(&s, a + n);
            s.replace_range(a..b.max(a), "");
        }
        Mutation::Duplicate(p, n) => {
            let a = boundary(&s, p);
            let b = boundary(&s, a + n).max(a);
            let piece = s[a..b].to_owned();
            s.insert_str(b, &piece);
        }
        Mutation::Truncate(p) => {
            let p = boundary(&s, p);
            s.truncate(p);
        }
    }
    s
}

/// What an accepted query must be, checked independently of the guard's own code: one
/// `Query` statement whose relations are canonical tables or names its `WITH` clauses define,
/// never an operational table, and whose re-guarding is a fixpoint.
fn assert_accepted_is_safe(sql: &str, limits: &Limits) {
    let statements = Parser::parse_sql(&GenericDialect, sql).expect("rendered SQL parses");
    assert_eq!(statements.len(), 1, "{sql}");
    let Statement::Query(q) = &statements[0] else {
        panic!("not a query: {sql}")
    };
    let mut ctes = Vec::new();
    collect_ctes(q, &mut ctes);
    let _ = visit_relations(&statements[0], |name| {
        let n = name.to_string().trim_matches('"').to_owned();
        assert!(
            Table::from_name(&n).is_some() || ctes.contains(&n),
            "relation {n} in {sql}"
        );
        assert!(!FORBIDDEN_TABLES.contains(&n.as_str()), "{sql}");
        ControlFlow::<()>::Continue(())
    });
    assert!(sql.contains(" LIMIT "), "{sql}");
    let again = guard(sql, limits).expect("accepted SQL is accepted again");
    assert_eq!(again.sql, sql);
}

fn collect_ctes(q: &sqlparser::ast::Query, out: &mut Vec<String>) {
    struct V<'a>(&'a mut Vec<String>);
    impl sqlparser::ast::Visitor for V<'_> {
        type Break = ();
        fn pre_visit_query(&mut self, q: &sqlparser::ast::Query) -> ControlFlow<()> {
            if let Some(w) = &q.with {
                for c in &w.cte_tables {
                    self.0.push(c.alias.name.value.clone());
                }
            }
            ControlFlow::Continue(())
        }
    }
    let _ = sqlparser::ast::Visit::visit(q, &mut V(out));
}

/// Flips ASCII letter case and varies whitespace outside quotes.
fn recase(s: &str, bits: &[bool]) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    for (i, c) in s.chars().enumerate() {
        let flip = bits.get(i % bits.len().max(1)).copied().unwrap_or(false);
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None => {
                if c == '\'' || c == '"' {
                    quote = Some(c);
                    out.push(c);
                } else if c == ' ' && flip {
                    out.push_str(" \n\t ");
                } else if flip && c.is_ascii_alphabetic() {
                    out.push(if c.is_ascii_lowercase() {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    });
                } else {
                    out.push(c);
                }
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_any_string(s in "\\PC{0,300}") {
        let _ = guard(&s, &Limits::default());
    }

    #[test]
    fn never_panics_on_sqlish_noise(parts in prop::collection::vec(0..FRAGMENTS.len(), 0..40)) {
        let s: String = parts.iter().map(|&i| FRAGMENTS[i]).collect();
        let limits = Limits::default();
        if let Ok(g) = guard(&s, &limits) {
            assert_accepted_is_safe(&g.sql, &limits);
        }
    }

    #[test]
    fn mutated_sql_is_refused_or_safe(seed in 0..SEEDS.len(), muts in prop::collection::vec(mutation(), 1..6)) {
        let s = muts.iter().fold(SEEDS[seed].to_owned(), apply);
        let limits = Limits::default();
        if let Ok(g) = guard(&s, &limits) {
            assert_accepted_is_safe(&g.sql, &limits);
        }
    }

    #[test]
    fn verdict_ignores_case_and_whitespace(seed in 0..SEEDS.len(), bits in prop::collection::vec(any::<bool>(), 1..64)) {
        let limits = Limits::default();
        let base = guard(SEEDS[seed], &limits).expect("seed accepted");
        let varied = guard(&recase(SEEDS[seed], &bits), &limits).expect("variant accepted");
        prop_assert_eq!(base.sql, varied.sql);
    }

    #[test]
    fn refuses_every_non_query(t in prop::sample::select(Table::ALL.to_vec()), verb in 0usize..8, tail in "[a-z_ =',0-9]{0,20}") {
        let name = t.name();
        let stmt = match verb {
            0 => format!("DROP TABLE {name}"),
            1 => format!("DELETE FROM {name} WHERE {tail}"),
            2 => format!("INSERT INTO {name} VALUES ({tail})"),
            3 => format!("UPDATE {name} SET {tail}"),
            4 => format!("CREATE TABLE x_{name} AS SELECT * FROM {name}"),
            5 => format!("TRUNCATE TABLE {name}"),
            6 => format!("ALTER TABLE {name} ADD COLUMN x INT"),
            _ => format!("SELECT * FROM {name}; DELETE FROM {name}"),
        };
        let e = guard(&stmt, &Limits::default()).expect_err("non-query accepted");
        prop_assert!(matches!(
            e.kind,
            GuardErrorKind::NotAQuery | GuardErrorKind::Syntax | GuardErrorKind::MultipleStatements
        ), "{}: {:?}", stmt, e.kind);
    }
}
