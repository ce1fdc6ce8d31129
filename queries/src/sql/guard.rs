//! The guard's entry point: size limit, parsing, the one-statement rule, and the whole-tree
//! checks (a sqlparser [`Visitor`] over every node, so no corner of the AST is skipped):
//! relations, table factors, clauses, expression forms, functions, nesting depth. The scoped
//! pass (names, columns, correlation, `LIMIT`, rewrites) is [`super::resolve`].

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, CastKind, CeilFloorKind, DataType, Expr, Function, FunctionArg,
    FunctionArgExpr, FunctionArguments, GroupByExpr, Ident, ObjectName, ObjectNamePart, Query,
    Select, SelectItem, Statement, TableFactor, UnaryOperator, Value, Visit, Visitor, WindowType,
};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::{Parser, ParserError};

use super::growth;
use super::resolve::{self, Mode};
use super::{GuardError, GuardErrorKind as K, Guarded, Limits};
use crate::schema::Table;

/// Expression trees deeper than this are refused (`1+1+…+1` parses without recursion, so the
/// parser's own limit does not bound it).
pub const MAX_EXPR_DEPTH: usize = 64;

/// The parser's recursion limit (subqueries, parentheses): sqlparser's default.
const PARSER_RECURSION_LIMIT: usize = 50;

/// Tables that exist in the store or the database engine but are not part of the analytical
/// schema: refused by name, with their own message.
pub const FORBIDDEN_TABLES: &[&str] = &[
    "users",
    "sessions",
    "audit_log",
    "app_meta",
    "ingested_events",
    "_sqlx_migrations",
    "sqlite_master",
    "sqlite_schema",
    "sqlite_temp_master",
    "sqlite_temp_schema",
    "sqlite_sequence",
    "information_schema",
    "pg_catalog",
    "pg_tables",
    "pg_user",
    "pg_shadow",
];

/// Functions a query may call (lowercase). Aggregates may take `DISTINCT`; the last three are
/// window functions and need `OVER (…)`.
pub const ALLOWED_FUNCTIONS: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "total",
    "round",
    "abs",
    "ceil",
    "ceiling",
    "floor",
    "sign",
    "mod",
    "coalesce",
    "ifnull",
    "nullif",
    "lower",
    "upper",
    "length",
    "substr",
    "replace",
    "ltrim",
    "rtrim",
    "concat",
    "left",
    "right",
    "date_part",
    "row_number",
    "rank",
    "dense_rank",
];

const AGGREGATES: &[&str] = &["count", "sum", "avg", "min", "max", "total"];
const WINDOW_ONLY: &[&str] = &["row_number", "rank", "dense_rank"];

/// Checks `sql` and returns it re-rendered from the checked AST, with a `LIMIT`.
///
/// Parses with sqlparser (the version and dialect polars-sql uses), never by matching strings;
/// the rules are in the [module docs](super).
///
/// # Errors
/// A [`GuardError`] naming the first rule the SQL breaks; nothing is executed.
pub fn guard(sql: &str, limits: &Limits) -> Result<Guarded, GuardError> {
    if sql.len() > limits.max_sql_bytes {
        return Err(GuardError::new(
            K::TooLarge,
            format!("{} byte, tối đa {} byte", sql.len(), limits.max_sql_bytes),
        ));
    }
    let mut statements = parse(sql)?;
    let statement = match statements.len() {
        0 => return Err(GuardError::new(K::Empty, "")),
        1 => statements.remove(0),
        n => {
            // Name the extra statement when it is not a query: that is what matters.
            let extra = statements
                .iter()
                .find(|s| !matches!(s, Statement::Query(_)))
                .map(|s| format!(" (có lệnh {})", statement_keyword(s)))
                .unwrap_or_default();
            return Err(GuardError::new(
                K::MultipleStatements,
                format!("{n} câu lệnh{extra}"),
            ));
        }
    };
    let Statement::Query(mut query) = statement else {
        return Err(GuardError::new(K::NotAQuery, statement_keyword(&statement)));
    };
    check_tree(&query)?;

    let tables = resolve::check(&mut query, limits, Mode::Portable)?;
    let string_growth = growth::of_query(&query);
    let mut exec = query.clone();
    resolve::check(&mut exec, limits, Mode::Polars)?;
    let sql = query.to_string();
    let exec_sql = exec.to_string();
    // The rendered text must parse back to itself: what runs is what was checked.
    round_trip(&sql)?;
    round_trip(&exec_sql)?;
    let tables: Vec<Table> = tables.into_iter().collect();
    Ok(Guarded {
        sql,
        tables: tables.clone(),
        exec_sql,
        checked_tables: tables,
        string_growth,
    })
}

fn parse(sql: &str) -> Result<Vec<Statement>, GuardError> {
    Parser::new(&GenericDialect)
        .with_recursion_limit(PARSER_RECURSION_LIMIT)
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_statements())
        .map_err(|e| match e {
            ParserError::RecursionLimitExceeded => GuardError::new(
                K::TooDeep,
                format!("tối đa {PARSER_RECURSION_LIMIT} cấp truy vấn con hoặc ngoặc"),
            ),
            other => GuardError::new(K::Syntax, shorten(&other.to_string(), 200)),
        })
}

fn round_trip(sql: &str) -> Result<(), GuardError> {
    let again = parse(sql)?;
    let same = matches!(again.as_slice(), [Statement::Query(q)] if q.to_string() == sql);
    if same {
        Ok(())
    } else {
        Err(GuardError::new(
            K::Syntax,
            "câu lệnh không hiển thị lại được đúng như đã kiểm tra",
        ))
    }
}

/// The leading keyword(s) of a statement, for messages (`DROP TABLE`, `INSERT INTO`, `PRAGMA`).
fn statement_keyword(s: &Statement) -> String {
    let text = s.to_string();
    let words: Vec<&str> = text
        .split_whitespace()
        .take(2)
        .take_while(|w| w.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .collect();
    if words.is_empty() {
        "không phải SELECT".to_owned()
    } else {
        words.join(" ")
    }
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// An identifier's name as SQL resolves it: unquoted names are case-insensitive.
pub(crate) fn folded(id: &Ident) -> String {
    if id.quote_style.is_none() {
        id.value.to_lowercase()
    } else {
        id.value.clone()
    }
}

/// The single identifier of a one-part name.
pub(crate) fn single_ident(name: &ObjectName) -> Option<&Ident> {
    match name.0.as_slice() {
        [ObjectNamePart::Identifier(id)] => Some(id),
        _ => None,
    }
}

fn object_name_text(name: &ObjectName) -> String {
    shorten(&name.to_string(), 80)
}

/// Every CTE name defined anywhere in the query (the scoped pass checks where each is visible).
fn cte_names(query: &Query) -> BTreeSet<String> {
    struct Ctes(BTreeSet<String>);
    impl Visitor for Ctes {
        type Break = ();
        fn pre_visit_query(&mut self, q: &Query) -> ControlFlow<()> {
            if let Some(with) = &q.with {
                for cte in &with.cte_tables {
                    self.0.insert(folded(&cte.alias.name));
                }
            }
            ControlFlow::Continue(())
        }
    }
    let mut v = Ctes(BTreeSet::new());
    let _ = query.visit(&mut v);
    v.0
}

fn check_tree(query: &Query) -> Result<(), GuardError> {
    let mut v = TreeCheck {
        ctes: cte_names(query),
        depth: 0,
    };
    match query.visit(&mut v) {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(e) => Err(*e),
    }
}

/// The whole-tree checks. `Break` is boxed: the visitor recurses, keep its frames small.
struct TreeCheck {
    ctes: BTreeSet<String>,
    depth: usize,
}

type Flow = ControlFlow<Box<GuardError>>;

fn refuse(kind: K, detail: impl Into<String>) -> Flow {
    ControlFlow::Break(Box::new(GuardError::new(kind, detail)))
}

impl Visitor for TreeCheck {
    type Break = Box<GuardError>;

    fn pre_visit_query(&mut self, q: &Query) -> Flow {
        if q.with.as_ref().is_some_and(|w| w.recursive) {
            return refuse(K::ForbiddenClause, "WITH RECURSIVE");
        }
        if q.fetch.is_some() {
            return refuse(K::ForbiddenClause, "FETCH");
        }
        if !q.locks.is_empty() {
            return refuse(K::ForbiddenClause, "FOR UPDATE/SHARE");
        }
        if q.for_clause.is_some() {
            return refuse(K::ForbiddenClause, "FOR XML/JSON");
        }
        if q.settings.is_some() {
            return refuse(K::ForbiddenClause, "SETTINGS");
        }
        if q.format_clause.is_some() {
            return refuse(K::ForbiddenClause, "FORMAT");
        }
        if !q.pipe_operators.is_empty() {
            return refuse(K::ForbiddenClause, "|>");
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, s: &Select) -> Flow {
        let clause = if s.into.is_some() {
            Some("SELECT … INTO")
        } else if s.top.is_some() {
            Some("TOP")
        } else if !s.lateral_views.is_empty() {
            Some("LATERAL VIEW")
        } else if s.prewhere.is_some() {
            Some("PREWHERE")
        } else if !s.connect_by.is_empty() {
            Some("CONNECT BY")
        } else if !s.cluster_by.is_empty() || !s.distribute_by.is_empty() || !s.sort_by.is_empty() {
            Some("CLUSTER/DISTRIBUTE/SORT BY")
        } else if s.qualify.is_some() {
            Some("QUALIFY")
        } else if s.value_table_mode.is_some() {
            Some("AS STRUCT/VALUE")
        } else if !s.named_window.is_empty() {
            Some("WINDOW")
        } else if !s.optimizer_hints.is_empty() {
            Some("gợi ý tối ưu (hint)")
        } else if s.select_modifiers.is_some() {
            Some("bổ ngữ SELECT")
        } else if s.exclude.is_some() {
            Some("EXCLUDE")
        } else {
            match &s.group_by {
                GroupByExpr::All(_) => Some("GROUP BY ALL"),
                GroupByExpr::Expressions(_, modifiers) if !modifiers.is_empty() => {
                    Some("GROUP BY … WITH ROLLUP/CUBE")
                }
                GroupByExpr::Expressions(..) => None,
            }
        };
        if let Some(c) = clause {
            return refuse(K::ForbiddenClause, c);
        }
        for item in &s.projection {
            let options = match item {
                SelectItem::Wildcard(o) | SelectItem::QualifiedWildcard(_, o) => o,
                SelectItem::UnnamedExpr(_)
                | SelectItem::ExprWithAlias { .. }
                | SelectItem::ExprWithAliases { .. } => continue,
            };
            if options.opt_ilike.is_some()
                || options.opt_exclude.is_some()
                || options.opt_except.is_some()
                || options.opt_replace.is_some()
                || options.opt_rename.is_some()
                || options.opt_alias.is_some()
            {
                return refuse(K::ForbiddenClause, "* EXCLUDE/EXCEPT/REPLACE/RENAME");
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, tf: &TableFactor) -> Flow {
        match tf {
            TableFactor::Table {
                name,
                args,
                with_hints,
                version,
                with_ordinality,
                partitions,
                json_path,
                sample,
                index_hints,
                alias: _,
            } => {
                if args.is_some() {
                    return refuse(K::TableFunction, object_name_text(name));
                }
                if !with_hints.is_empty()
                    || version.is_some()
                    || *with_ordinality
                    || !partitions.is_empty()
                    || json_path.is_some()
                    || sample.is_some()
                    || !index_hints.is_empty()
                {
                    return refuse(K::ForbiddenClause, "gợi ý/phiên bản/mẫu của bảng");
                }
                ControlFlow::Continue(())
            }
            TableFactor::Derived {
                lateral, sample, ..
            } => {
                if *lateral {
                    refuse(K::ForbiddenClause, "LATERAL")
                } else if sample.is_some() {
                    refuse(K::ForbiddenClause, "TABLESAMPLE")
                } else {
                    ControlFlow::Continue(())
                }
            }
            TableFactor::NestedJoin { .. } => ControlFlow::Continue(()),
            other => {
                let text = other.to_string();
                let head: String = text
                    .chars()
                    .take_while(|c| *c != '(' && !c.is_whitespace())
                    .collect();
                refuse(K::TableFunction, shorten(&head, 60))
            }
        }
    }

    fn pre_visit_relation(&mut self, name: &ObjectName) -> Flow {
        let parts: Vec<String> = name
            .0
            .iter()
            .map(|p| match p {
                ObjectNamePart::Identifier(id) => folded(id),
                ObjectNamePart::Function(f) => f.name.value.to_lowercase(),
            })
            .collect();
        if parts.iter().any(|p| FORBIDDEN_TABLES.contains(&p.as_str())) {
            return refuse(K::ForbiddenTable, object_name_text(name));
        }
        let Some(id) = single_ident(name) else {
            return refuse(K::UnknownTable, object_name_text(name));
        };
        let n = folded(id);
        if Table::from_name(&n).is_some() || self.ctes.contains(&n) {
            ControlFlow::Continue(())
        } else {
            refuse(K::UnknownTable, shorten(&id.to_string(), 80))
        }
    }

    fn pre_visit_expr(&mut self, e: &Expr) -> Flow {
        self.depth += 1;
        if self.depth > MAX_EXPR_DEPTH {
            return refuse(K::TooDeep, format!("tối đa {MAX_EXPR_DEPTH} cấp biểu thức"));
        }
        check_expr(e)
    }

    fn post_visit_expr(&mut self, _e: &Expr) -> Flow {
        self.depth = self.depth.saturating_sub(1);
        ControlFlow::Continue(())
    }
}

fn check_expr(e: &Expr) -> Flow {
    let ok = ControlFlow::Continue(());
    match e {
        Expr::Identifier(_)
        | Expr::CompoundIdentifier(_)
        | Expr::IsFalse(_)
        | Expr::IsNotFalse(_)
        | Expr::IsTrue(_)
        | Expr::IsNotTrue(_)
        | Expr::IsNull(_)
        | Expr::IsNotNull(_)
        | Expr::IsDistinctFrom(..)
        | Expr::IsNotDistinctFrom(..)
        | Expr::InList { .. }
        | Expr::InSubquery { .. }
        | Expr::Between { .. }
        | Expr::Nested(_)
        | Expr::Case { .. }
        | Expr::Exists { .. }
        | Expr::Subquery(_)
        | Expr::Extract { .. }
        | Expr::Substring { .. } => ok,
        Expr::Trim {
            trim_characters, ..
        } => {
            if trim_characters.is_some() {
                refuse(K::ForbiddenExpression, "TRIM(…, ký tự)")
            } else {
                ok
            }
        }
        Expr::Ceil { field, .. } | Expr::Floor { field, .. } => match field {
            CeilFloorKind::DateTimeField(sqlparser::ast::DateTimeField::NoDateTime) => ok,
            _ => refuse(K::ForbiddenExpression, "CEIL/FLOOR … TO"),
        },
        Expr::BinaryOp { op, .. } => match op {
            BinaryOperator::Plus
            | BinaryOperator::Minus
            | BinaryOperator::Multiply
            | BinaryOperator::Divide
            | BinaryOperator::Modulo
            | BinaryOperator::StringConcat
            | BinaryOperator::Gt
            | BinaryOperator::Lt
            | BinaryOperator::GtEq
            | BinaryOperator::LtEq
            | BinaryOperator::Eq
            | BinaryOperator::NotEq
            | BinaryOperator::And
            | BinaryOperator::Or => ok,
            other => refuse(K::ForbiddenExpression, format!("toán tử {other}")),
        },
        Expr::UnaryOp { op, .. } => match op {
            UnaryOperator::Not | UnaryOperator::Minus | UnaryOperator::Plus => ok,
            other => refuse(K::ForbiddenExpression, format!("toán tử {other}")),
        },
        Expr::Like {
            any, escape_char, ..
        }
        | Expr::ILike {
            any, escape_char, ..
        } => {
            if *any || escape_char.is_some() {
                refuse(K::ForbiddenExpression, "LIKE ANY/ESCAPE")
            } else {
                ok
            }
        }
        Expr::Cast {
            kind,
            data_type,
            array,
            format,
            ..
        } => {
            if !matches!(kind, CastKind::Cast | CastKind::DoubleColon) {
                refuse(K::ForbiddenExpression, "TRY_CAST/SAFE_CAST")
            } else if *array || format.is_some() || !allowed_cast_type(data_type) {
                refuse(K::ForbiddenExpression, format!("CAST AS {data_type}"))
            } else {
                ok
            }
        }
        Expr::TypedString(ts) => {
            let iso = match &ts.value.value {
                Value::SingleQuotedString(s) => resolve::is_iso_date(s),
                _ => false,
            };
            if matches!(ts.data_type, DataType::Date) && iso && !ts.uses_odbc_syntax {
                ok
            } else {
                refuse(K::ForbiddenExpression, shorten(&ts.to_string(), 60))
            }
        }
        Expr::Value(v) => match &v.value {
            Value::Number(..) | Value::SingleQuotedString(_) | Value::Boolean(_) | Value::Null => {
                ok
            }
            Value::Placeholder(p) => refuse(K::ForbiddenExpression, format!("tham số {p}")),
            other => refuse(
                K::ForbiddenExpression,
                format!("hằng {}", shorten(&other.to_string(), 40)),
            ),
        },
        Expr::Function(f) => check_function(f),
        other => {
            let text = other.to_string();
            refuse(K::ForbiddenExpression, shorten(&text, 60))
        }
    }
}

fn allowed_cast_type(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Int(_)
            | DataType::Integer(_)
            | DataType::BigInt(_)
            | DataType::SmallInt(_)
            | DataType::Int64
            | DataType::Real
            | DataType::Float(_)
            | DataType::Float64
            | DataType::Double(_)
            | DataType::DoublePrecision
            | DataType::Text
            | DataType::Varchar(_)
            | DataType::String(_)
            | DataType::Date
            | DataType::Numeric(_)
            | DataType::Decimal(_)
            | DataType::Boolean
            | DataType::Bool
    )
}

fn check_function(f: &Function) -> Flow {
    let Some(id) = single_ident(&f.name) else {
        return refuse(K::ForbiddenFunction, object_name_text(&f.name));
    };
    let name = id.value.to_lowercase();
    if !ALLOWED_FUNCTIONS.contains(&name.as_str()) {
        return refuse(K::ForbiddenFunction, shorten(&id.value, 60));
    }
    if f.uses_odbc_syntax
        || !matches!(f.parameters, FunctionArguments::None)
        || f.filter.is_some()
        || f.null_treatment.is_some()
        || !f.within_group.is_empty()
    {
        return refuse(
            K::ForbiddenClause,
            format!("{name}(…) FILTER/WITHIN GROUP/IGNORE NULLS"),
        );
    }
    match &f.over {
        None if WINDOW_ONLY.contains(&name.as_str()) => {
            return refuse(K::ForbiddenExpression, format!("{name}() thiếu OVER (…)"));
        }
        None => {}
        Some(WindowType::NamedWindow(_)) => {
            return refuse(K::ForbiddenClause, "OVER tên_cửa_sổ");
        }
        Some(WindowType::WindowSpec(spec))
            if spec.window_name.is_some() || spec.window_frame.is_some() =>
        {
            return refuse(K::ForbiddenClause, "khung cửa sổ (ROWS/RANGE)");
        }
        Some(WindowType::WindowSpec(_)) => {}
    }
    match &f.args {
        FunctionArguments::None => refuse(K::ForbiddenFunction, name),
        FunctionArguments::Subquery(_) => {
            refuse(K::ForbiddenExpression, format!("{name}(SELECT …)"))
        }
        FunctionArguments::List(list) => {
            if !list.clauses.is_empty() {
                return refuse(K::ForbiddenClause, format!("{name}(… ORDER BY/SEPARATOR)"));
            }
            if list.duplicate_treatment.is_some() && !AGGREGATES.contains(&name.as_str()) {
                return refuse(K::ForbiddenExpression, format!("{name}(DISTINCT …)"));
            }
            for arg in &list.args {
                match arg {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(_)) => {}
                    FunctionArg::Unnamed(FunctionArgExpr::Wildcard) if name == "count" => {}
                    _ => {
                        return refuse(
                            K::ForbiddenExpression,
                            format!("đối số {} của {name}", shorten(&arg.to_string(), 40)),
                        )
                    }
                }
            }
            ControlFlow::Continue(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(sql: &str) -> Guarded {
        guard(sql, &Limits::default()).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    fn kind(sql: &str) -> K {
        match guard(sql, &Limits::default()) {
            Ok(g) => panic!("accepted {sql} as {}", g.sql),
            Err(e) => e.kind,
        }
    }

    #[test]
    fn renders_folded_sql_with_a_limit() {
        let g = ok("select COUNT(*) from VIEC_THI_HANH where Trang_Thai = 'xong'");
        assert_eq!(
            g.sql,
            "SELECT COUNT(*) FROM viec_thi_hanh WHERE trang_thai = 'xong' LIMIT 1000"
        );
        assert_eq!(g.tables, vec![Table::ViecThiHanh]);
        let g = ok("SELECT ten FROM tinh LIMIT 5");
        assert!(g.sql.ends_with("LIMIT 5"));
        let g = ok("SELECT ten FROM tinh LIMIT 5000 OFFSET 2");
        assert!(g.sql.ends_with("LIMIT 1000 OFFSET 2"), "{}", g.sql);
        let g = ok("SELECT ten FROM tinh LIMIT 3, 4");
        assert!(g.sql.ends_with("LIMIT 4 OFFSET 3"), "{}", g.sql);
        // Quoted canonical names resolve as they are.
        let g = ok("SELECT \"ten\" FROM \"tinh\"");
        assert_eq!(g.tables, vec![Table::Tinh]);
    }

    #[test]
    fn polars_rewrite_types_date_literals_and_integer_division() {
        let g = ok(
            "SELECT COUNT(*) / 2 AS n FROM bien_lai WHERE ngay_thu BETWEEN '2026-11-01' AND '2026-11-20'",
        );
        assert!(
            g.sql.contains("BETWEEN '2026-11-01' AND '2026-11-20'"),
            "{}",
            g.sql
        );
        let p = g.polars_sql();
        assert!(
            p.contains("BETWEEN DATE('2026-11-01', '%Y-%m-%d') AND DATE('2026-11-20', '%Y-%m-%d')"),
            "{p}"
        );
        assert!(p.contains("DIV(COUNT(*), 2)"), "{p}");
        // Through a CTE output and a join alias too.
        let g = ok("WITH b AS (SELECT viec_id, MAX(ngay_thu) AS d FROM bien_lai GROUP BY viec_id) \
                    SELECT COUNT(*) FROM viec_thi_hanh v JOIN b ON b.viec_id = v.id WHERE b.d < '2026-11-10'");
        assert!(
            g.polars_sql()
                .contains("b.d < DATE('2026-11-10', '%Y-%m-%d')"),
            "{}",
            g.polars_sql()
        );
        let g = ok("SELECT 1 FROM lich l WHERE '2026-01-01' <= l.ngay");
        assert!(
            g.polars_sql()
                .contains("DATE('2026-01-01', '%Y-%m-%d') <= l.ngay"),
            "{}",
            g.polars_sql()
        );
    }

    #[test]
    fn refuses_by_rule() {
        assert_eq!(kind(""), K::Empty);
        assert_eq!(kind("  -- nothing\n"), K::Empty);
        assert_eq!(kind("DROP TABLE tinh"), K::NotAQuery);
        assert_eq!(
            kind("SELECT 1 FROM tinh; SELECT 2 FROM tinh"),
            K::MultipleStatements
        );
        assert_eq!(kind("SELECT * FROM users"), K::ForbiddenTable);
        assert_eq!(kind("SELECT * FROM nguoi_dung"), K::UnknownTable);
        assert_eq!(
            kind("SELECT * FROM read_csv('/etc/passwd')"),
            K::TableFunction
        );
        assert_eq!(kind("SELECT mat_khau FROM tinh"), K::UnknownColumn);
        assert_eq!(
            kind("SELECT load_extension('x') FROM tinh"),
            K::ForbiddenFunction
        );
        assert_eq!(
            kind("SELECT ten FROM tinh WHERE ma_tinh = $1"),
            K::ForbiddenExpression
        );
        assert_eq!(kind("SELECT * INTO x FROM tinh"), K::ForbiddenClause);
        assert_eq!(
            kind("SELECT ten FROM tinh t JOIN don_vi d ON d.ma_tinh = t.ma_tinh"),
            K::AmbiguousColumn
        );
        // A CTE is visible only in its own query.
        assert_eq!(
            kind("SELECT * FROM (WITH a AS (SELECT ten FROM tinh) SELECT ten FROM a) x JOIN a ON 1 = 1"),
            K::UnknownTable
        );
    }

    #[test]
    fn correlated_subqueries_only_in_shapes_polars_runs() {
        ok(
            "SELECT COUNT(*) FROM viec_thi_hanh v WHERE v.ma_tinh = '01' AND EXISTS \
            (SELECT 1 FROM duong_su d WHERE d.viec_id = v.id AND d.vai_tro = 'duoc_thi_hanh')",
        );
        // Non-equality correlation.
        assert_eq!(
            kind(
                "SELECT COUNT(*) FROM bien_phap_cuong_che k WHERE NOT EXISTS (SELECT 1 FROM \
                  quyet_dinh t WHERE t.viec_id = k.viec_id AND t.ngay_ky >= k.ngay_thuc_hien)"
            ),
            K::Unsupported
        );
        // Under OR.
        assert_eq!(
            kind(
                "SELECT COUNT(*) FROM viec_thi_hanh v WHERE v.id = 1 OR EXISTS \
                  (SELECT 1 FROM duong_su d WHERE d.viec_id = v.id)"
            ),
            K::Unsupported
        );
        // Correlated scalar subquery.
        assert_eq!(
            kind("SELECT (SELECT COUNT(*) FROM duong_su d WHERE d.viec_id = v.id) FROM viec_thi_hanh v"),
            K::Unsupported
        );
        // Inner filter on a column name the outer relation also has.
        assert_eq!(
            kind(
                "SELECT COUNT(*) FROM bien_phap_cuong_che k WHERE NOT EXISTS (SELECT 1 FROM \
                  bien_phap_cuong_che t WHERE t.viec_id = k.viec_id AND t.loai = 'tham_dinh_gia')"
            ),
            K::Unsupported
        );
        // Uncorrelated subqueries are fine anywhere.
        ok("SELECT COUNT(*) FROM viec_thi_hanh WHERE id = 1 OR id IN (SELECT viec_id FROM duong_su)");
    }

    #[test]
    fn messages_are_vietnamese_and_name_the_culprit() {
        let e = guard("SELECT * FROM audit_log", &Limits::default()).expect_err("refused");
        assert_eq!(
            e.to_string(),
            "Bảng audit_log là bảng vận hành của hệ thống, không được truy vấn."
        );
        let e = guard("DELETE FROM tinh", &Limits::default()).expect_err("refused");
        assert!(e.to_string().contains("DELETE"), "{e}");
        let e = guard("SELECT random() FROM tinh", &Limits::default()).expect_err("refused");
        assert!(e.to_string().contains("random"), "{e}");
    }
}
