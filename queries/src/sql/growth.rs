//! How long a query can make a string, per row: an upper bound found on the checked AST.
//!
//! Polars materialises a string expression for every row it evaluates it on. An expression
//! that multiplies the length of its input — `REPLACE` with a replacement longer than its
//! pattern, `CONCAT` of a value with itself — multiplies the memory of that column, and nested
//! (directly, or through CTEs and derived tables) it multiplies again: ten `REPLACE(x, 'a',
//! 'aaaa')` make a 4-byte value 4 MiB long. The budget ([`super::Limits::max_string_growth`])
//! refuses such a query before it runs.
//!
//! The bound of every expression is `factor × L + constant` bytes ([`StringGrowth`]), where
//! `L` is the longest text stored in the data. The rules, each an upper bound:
//! - a text column of a table: `1 × L`; a number, date or boolean: at most 24 bytes as text;
//! - a string literal: its length; a column of a CTE or derived table: the bound of the
//!   expression that made it (a `*` of one: the largest of its columns);
//! - `CONCAT(a, b, …)`, `a || b`, `a + b` (Polars concatenates strings with `+`): the sum;
//! - `REPLACE(x, p, r)` with a replacement of constant length `R` (a literal, a number, …):
//!   `x × ⌈R / |p|⌉` for a non-empty literal pattern `p`, and `x × (1 + R) + R` when the pattern
//!   may be empty (an empty literal, or a column: Polars inserts `r` between every character);
//!   a replacement whose length depends on the data grows with the square of `L`: unbounded;
//! - `LOWER UPPER SUBSTR LEFT RIGHT TRIM LTRIM RTRIM MIN MAX NULLIF`: their first argument
//!   (case mapping can lengthen a few characters once; it does not compound);
//! - `COALESCE IFNULL CASE`: the largest branch; `CAST(x AS TEXT)`: `x` or a number's text;
//! - anything else (aggregates, arithmetic, comparisons, …): a number or a boolean.
//!
//! The query's growth is the largest bound of any expression it evaluates, anywhere (`WHERE`,
//! `ON`, `ORDER BY`, subqueries included). Names resolve as in the guard's scoped pass; what
//! that pass already refused (unknown names) never gets here, and a name that cannot be placed
//! takes the largest bound of the relations in scope.

use sqlparser::ast::{
    BinaryOperator, DataType, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments,
    GroupByExpr, JoinConstraint, JoinOperator, OrderByKind, Query, Select, SelectItem,
    SelectItemQualifiedWildcardKind, SetExpr, TableFactor, TableWithJoins, UnaryOperator, Value,
    WindowType,
};

use super::guard::{folded, single_ident};
use crate::schema::{ColType, Table};

/// An upper bound on the byte length of a string expression: `factor × L + constant`, where `L`
/// is the longest text value stored in the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StringGrowth {
    /// How many times the longest stored text the value can be.
    pub factor: u64,
    /// Bytes added on top (literals, numbers rendered as text).
    pub constant: u64,
}

impl StringGrowth {
    /// A text column as stored.
    const COLUMN: StringGrowth = StringGrowth {
        factor: 1,
        constant: 0,
    };
    /// A number, date or boolean (rendered as text if it ever is).
    const SCALAR: StringGrowth = StringGrowth {
        factor: 0,
        constant: 24,
    };
    /// Grows with the square of the stored text: no linear bound.
    const UNBOUNDED: StringGrowth = StringGrowth {
        factor: u64::MAX,
        constant: u64::MAX,
    };

    fn constant(bytes: usize) -> StringGrowth {
        StringGrowth {
            factor: 0,
            constant: u64::try_from(bytes).unwrap_or(u64::MAX),
        }
    }

    fn max(self, other: StringGrowth) -> StringGrowth {
        StringGrowth {
            factor: self.factor.max(other.factor),
            constant: self.constant.max(other.constant),
        }
    }

    fn plus(self, other: StringGrowth) -> StringGrowth {
        StringGrowth {
            factor: self.factor.saturating_add(other.factor),
            constant: self.constant.saturating_add(other.constant),
        }
    }

    fn times(self, k: u64) -> StringGrowth {
        StringGrowth {
            factor: self.factor.saturating_mul(k),
            constant: self.constant.saturating_mul(k),
        }
    }
}

/// The largest [`StringGrowth`] of any expression `query` evaluates.
pub(crate) fn of_query(query: &Query) -> StringGrowth {
    let mut w = Walker {
        ctes: Vec::new(),
        peak: StringGrowth::default(),
    };
    w.query(query, None);
    w.peak
}

/// Output columns of a relation with their bounds.
type Cols = Vec<(String, StringGrowth)>;

/// A relation in a `FROM`: a table (bounds from the schema) or a CTE / derived table.
struct Rel {
    name: String,
    table: Option<Table>,
    cols: Cols,
}

impl Rel {
    fn column(&self, name: &str) -> Option<StringGrowth> {
        match self.table {
            Some(t) => t.column(name).map(|c| match c.ty {
                ColType::Text => StringGrowth::COLUMN,
                _ => StringGrowth::SCALAR,
            }),
            None => self.cols.iter().find(|c| c.0 == name).map(|c| c.1),
        }
    }

    fn widest(&self) -> StringGrowth {
        match self.table {
            Some(_) => StringGrowth::COLUMN,
            None => self
                .cols
                .iter()
                .fold(StringGrowth::default(), |a, c| a.max(c.1)),
        }
    }

    fn outputs(&self) -> Cols {
        match self.table {
            Some(t) => t
                .column_names()
                .map(|n| (n.to_owned(), self.column(n).unwrap_or_default()))
                .collect(),
            None => self.cols.clone(),
        }
    }
}

/// What a `SELECT` sees: its relations, its output aliases, the enclosing query's frame.
struct Frame<'p> {
    rels: Vec<Rel>,
    aliases: Cols,
    parent: Option<&'p Frame<'p>>,
}

impl Frame<'_> {
    fn widest(&self) -> StringGrowth {
        let here = self
            .rels
            .iter()
            .fold(StringGrowth::default(), |a, r| a.max(r.widest()));
        let aliases = self
            .aliases
            .iter()
            .fold(StringGrowth::default(), |a, c| a.max(c.1));
        let outer = self.parent.map(Frame::widest).unwrap_or_default();
        here.max(aliases).max(outer)
    }

    fn lookup(&self, qualifier: Option<&str>, name: &str) -> StringGrowth {
        let mut frame = Some(self);
        while let Some(f) = frame {
            let found = match qualifier {
                Some(q) => f
                    .rels
                    .iter()
                    .find(|r| r.name == q)
                    .map(|r| r.column(name).unwrap_or_else(|| r.widest())),
                None => f
                    .rels
                    .iter()
                    .filter_map(|r| r.column(name))
                    .reduce(StringGrowth::max)
                    .or_else(|| f.aliases.iter().find(|c| c.0 == name).map(|c| c.1)),
            };
            if let Some(g) = found {
                return g;
            }
            frame = f.parent;
        }
        self.widest().max(StringGrowth::COLUMN)
    }
}

struct Walker {
    /// CTEs visible at this point, innermost last.
    ctes: Vec<(String, Cols)>,
    peak: StringGrowth,
}

impl Walker {
    fn query(&mut self, q: &Query, parent: Option<&Frame<'_>>) -> Cols {
        let saved = self.ctes.len();
        if let Some(with) = &q.with {
            for cte in &with.cte_tables {
                let cols = self.query(&cte.query, None);
                self.ctes.push((folded(&cte.alias.name), cols));
            }
        }
        let order_by: Vec<&Expr> = match q.order_by.as_ref().map(|o| &o.kind) {
            Some(OrderByKind::Expressions(list)) => list.iter().map(|o| &o.expr).collect(),
            _ => Vec::new(),
        };
        let cols = self.set_expr(&q.body, parent, &order_by);
        self.ctes.truncate(saved);
        cols
    }

    fn set_expr(&mut self, body: &SetExpr, parent: Option<&Frame<'_>>, order_by: &[&Expr]) -> Cols {
        match body {
            SetExpr::Select(s) => self.select(s, parent, order_by),
            SetExpr::Query(q) => self.query(q, parent),
            SetExpr::SetOperation { left, right, .. } => {
                let mut cols = self.set_expr(left, parent, &[]);
                let right = self.set_expr(right, parent, &[]);
                for (c, r) in cols.iter_mut().zip(right) {
                    c.1 = c.1.max(r.1);
                }
                cols
            }
            _ => Vec::new(),
        }
    }

    fn select(&mut self, s: &Select, parent: Option<&Frame<'_>>, order_by: &[&Expr]) -> Cols {
        let mut frame = Frame {
            rels: Vec::new(),
            aliases: Vec::new(),
            parent,
        };
        for twj in &s.from {
            self.table_with_joins(twj, &mut frame);
        }
        let mut out: Cols = Vec::new();
        for item in &s.projection {
            match item {
                SelectItem::UnnamedExpr(e) => {
                    let g = self.expr(e, &frame);
                    let name = match e {
                        Expr::Identifier(id) => folded(id),
                        Expr::CompoundIdentifier(ids) => ids.last().map(folded).unwrap_or_default(),
                        _ => String::new(),
                    };
                    out.push((name, g));
                }
                SelectItem::ExprWithAlias { expr, alias } => {
                    let g = self.expr(expr, &frame);
                    out.push((folded(alias), g));
                }
                SelectItem::ExprWithAliases { expr, .. } => {
                    let g = self.expr(expr, &frame);
                    out.push((String::new(), g));
                }
                SelectItem::Wildcard(_) => {
                    for r in &frame.rels {
                        out.extend(r.outputs());
                    }
                }
                SelectItem::QualifiedWildcard(kind, _) => {
                    let rel = match kind {
                        SelectItemQualifiedWildcardKind::ObjectName(name) => {
                            single_ident(name).map(folded)
                        }
                        SelectItemQualifiedWildcardKind::Expr(_) => None,
                    }
                    .and_then(|q| frame.rels.iter().find(|r| r.name == q));
                    match rel {
                        Some(r) => out.extend(r.outputs()),
                        None => out.push((String::new(), frame.widest())),
                    }
                }
            }
        }
        frame.aliases.clone_from(&out);
        if let Some(sqlparser::ast::Distinct::On(exprs)) = &s.distinct {
            for e in exprs {
                self.expr(e, &frame);
            }
        }
        if let Some(w) = &s.selection {
            self.expr(w, &frame);
        }
        if let GroupByExpr::Expressions(exprs, _) = &s.group_by {
            for e in exprs {
                self.expr(e, &frame);
            }
        }
        if let Some(h) = &s.having {
            self.expr(h, &frame);
        }
        for e in order_by {
            self.expr(e, &frame);
        }
        out
    }

    fn table_with_joins(&mut self, twj: &TableWithJoins, frame: &mut Frame<'_>) {
        self.factor(&twj.relation, frame);
        for j in &twj.joins {
            self.factor(&j.relation, frame);
            let constraint = match &j.join_operator {
                JoinOperator::Join(c)
                | JoinOperator::Inner(c)
                | JoinOperator::Left(c)
                | JoinOperator::LeftOuter(c)
                | JoinOperator::Right(c)
                | JoinOperator::RightOuter(c)
                | JoinOperator::FullOuter(c)
                | JoinOperator::CrossJoin(c) => Some(c),
                _ => None,
            };
            if let Some(JoinConstraint::On(e)) = constraint {
                self.expr(e, frame);
            }
        }
    }

    fn factor(&mut self, tf: &TableFactor, frame: &mut Frame<'_>) {
        let rel = match tf {
            TableFactor::Table { name, alias, .. } => {
                let table_name = single_ident(name).map(folded).unwrap_or_default();
                let rel_name = alias
                    .as_ref()
                    .map_or_else(|| table_name.clone(), |a| folded(&a.name));
                match self.ctes.iter().rev().find(|(n, _)| *n == table_name) {
                    Some((_, cols)) => Rel {
                        name: rel_name,
                        table: None,
                        cols: cols.clone(),
                    },
                    None => Rel {
                        name: rel_name,
                        table: Table::from_name(&table_name),
                        cols: vec![(String::new(), StringGrowth::COLUMN)],
                    },
                }
            }
            TableFactor::Derived {
                subquery, alias, ..
            } => Rel {
                name: alias.as_ref().map(|a| folded(&a.name)).unwrap_or_default(),
                table: None,
                cols: self.query(subquery, None),
            },
            TableFactor::NestedJoin {
                table_with_joins, ..
            } => return self.table_with_joins(table_with_joins, frame),
            _ => return,
        };
        frame.rels.push(rel);
    }

    /// The bound of `e`, recorded in the query's peak.
    fn expr(&mut self, e: &Expr, f: &Frame<'_>) -> StringGrowth {
        let g = self.bound(e, f);
        self.peak = self.peak.max(g);
        g
    }

    fn bound(&mut self, e: &Expr, f: &Frame<'_>) -> StringGrowth {
        let scalar_of = |w: &mut Walker, parts: &[&Expr]| {
            for p in parts {
                w.expr(p, f);
            }
            StringGrowth::SCALAR
        };
        match e {
            Expr::Identifier(id) => f.lookup(None, &folded(id)),
            Expr::CompoundIdentifier(ids) => match ids.as_slice() {
                [q, c] => f.lookup(Some(&folded(q)), &folded(c)),
                _ => f.widest().max(StringGrowth::COLUMN),
            },
            Expr::Value(v) => match &v.value {
                Value::SingleQuotedString(s) => StringGrowth::constant(s.len()),
                Value::Number(n, _) => StringGrowth::constant(n.len()),
                _ => StringGrowth::SCALAR,
            },
            Expr::Nested(inner) => self.expr(inner, f),
            Expr::BinaryOp { left, op, right } => {
                let l = self.expr(left, f);
                let r = self.expr(right, f);
                match op {
                    BinaryOperator::StringConcat | BinaryOperator::Plus => l.plus(r),
                    _ => StringGrowth::SCALAR,
                }
            }
            Expr::UnaryOp { op, expr } => {
                let g = self.expr(expr, f);
                match op {
                    UnaryOperator::Not => StringGrowth::SCALAR,
                    _ => g,
                }
            }
            Expr::IsFalse(x)
            | Expr::IsNotFalse(x)
            | Expr::IsTrue(x)
            | Expr::IsNotTrue(x)
            | Expr::IsNull(x)
            | Expr::IsNotNull(x)
            | Expr::Extract { expr: x, .. }
            | Expr::Ceil { expr: x, .. }
            | Expr::Floor { expr: x, .. } => scalar_of(self, &[x]),
            Expr::IsDistinctFrom(a, b) | Expr::IsNotDistinctFrom(a, b) => scalar_of(self, &[a, b]),
            Expr::Like { expr, pattern, .. } | Expr::ILike { expr, pattern, .. } => {
                scalar_of(self, &[expr, pattern])
            }
            Expr::Between {
                expr, low, high, ..
            } => scalar_of(self, &[expr, low, high]),
            Expr::InList { expr, list, .. } => {
                let mut parts: Vec<&Expr> = vec![expr];
                parts.extend(list.iter());
                scalar_of(self, &parts)
            }
            Expr::InSubquery { expr, subquery, .. } => {
                self.expr(expr, f);
                self.query(subquery, Some(f));
                StringGrowth::SCALAR
            }
            Expr::Exists { subquery, .. } => {
                self.query(subquery, Some(f));
                StringGrowth::SCALAR
            }
            Expr::Subquery(q) => self
                .query(q, Some(f))
                .iter()
                .fold(StringGrowth::default(), |a, c| a.max(c.1)),
            Expr::Cast {
                expr, data_type, ..
            } => {
                let g = self.expr(expr, f);
                match data_type {
                    DataType::Text | DataType::Varchar(_) | DataType::String(_) => {
                        g.max(StringGrowth::SCALAR)
                    }
                    _ => StringGrowth::SCALAR,
                }
            }
            Expr::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                for x in [substring_from, substring_for].into_iter().flatten() {
                    self.expr(x, f);
                }
                self.expr(expr, f)
            }
            Expr::Trim {
                expr, trim_what, ..
            } => {
                if let Some(x) = trim_what {
                    self.expr(x, f);
                }
                self.expr(expr, f)
            }
            Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => {
                if let Some(o) = operand {
                    self.expr(o, f);
                }
                let mut g = StringGrowth::default();
                for w in conditions {
                    self.expr(&w.condition, f);
                    g = g.max(self.expr(&w.result, f));
                }
                if let Some(x) = else_result {
                    g = g.max(self.expr(x, f));
                }
                g
            }
            Expr::Function(func) => self.function(func, f),
            _ => StringGrowth::SCALAR,
        }
    }

    fn function(&mut self, func: &Function, f: &Frame<'_>) -> StringGrowth {
        let name = single_ident(&func.name)
            .map(|id| id.value.to_lowercase())
            .unwrap_or_default();
        let args: Vec<&Expr> = match &func.args {
            FunctionArguments::List(list) => list
                .args
                .iter()
                .filter_map(|a| match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => Some(x),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let bounds: Vec<StringGrowth> = args.iter().map(|a| self.expr(a, f)).collect();
        if let Some(WindowType::WindowSpec(spec)) = &func.over {
            for x in &spec.partition_by {
                self.expr(x, f);
            }
            for o in &spec.order_by {
                self.expr(&o.expr, f);
            }
        }
        let first = bounds.first().copied().unwrap_or_default();
        match name.as_str() {
            "concat" => bounds
                .iter()
                .fold(StringGrowth::default(), |a, b| a.plus(*b)),
            "replace" => match (args.get(1), bounds.get(2)) {
                (Some(pattern), Some(replacement)) => replace(first, pattern, *replacement),
                _ => first,
            },
            "lower" | "upper" | "substr" | "ltrim" | "rtrim" | "left" | "right" | "min" | "max"
            | "nullif" => first,
            "coalesce" | "ifnull" => bounds
                .iter()
                .fold(StringGrowth::default(), |a, b| a.max(*b)),
            _ => StringGrowth::SCALAR,
        }
    }
}

/// `REPLACE(x, pattern, replacement)`: see the module docs.
fn replace(x: StringGrowth, pattern: &Expr, replacement: StringGrowth) -> StringGrowth {
    if replacement.factor > 0 {
        return StringGrowth::UNBOUNDED;
    }
    let r = replacement.constant;
    match string_literal(pattern) {
        Some(p) if !p.is_empty() => {
            let p = u64::try_from(p.len()).unwrap_or(u64::MAX);
            x.times(r.div_ceil(p).max(1))
        }
        _ => x.times(r.saturating_add(1)).plus(StringGrowth::constant(
            usize::try_from(r).unwrap_or(usize::MAX),
        )),
    }
}

fn string_literal(e: &Expr) -> Option<&str> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => Some(s),
            _ => None,
        },
        Expr::Nested(inner) => string_literal(inner),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::ast::Statement;
    use sqlparser::dialect::GenericDialect;
    use sqlparser::parser::Parser;

    fn growth(sql: &str) -> StringGrowth {
        let mut statements = Parser::parse_sql(&GenericDialect, sql).expect("parses");
        match statements.remove(0) {
            Statement::Query(q) => of_query(&q),
            other => panic!("not a query: {other}"),
        }
    }

    fn factor(sql: &str) -> u64 {
        growth(sql).factor
    }

    #[test]
    fn plain_columns_and_shrinking_functions_do_not_grow() {
        assert_eq!(factor("SELECT ten, ma_tinh FROM tinh"), 1);
        assert_eq!(
            factor("SELECT LOWER(TRIM(ten)), SUBSTR(ten, 1, 3), REPLACE(ten, ' ', '') FROM tinh"),
            1
        );
        // Numbers are not text: arithmetic on them does not add up text lengths.
        assert_eq!(
            factor("SELECT so_tien_phai_thi_hanh + so_tien_da_thi_hanh FROM viec_thi_hanh"),
            0
        );
    }

    #[test]
    fn concatenation_adds_and_replace_multiplies() {
        assert_eq!(factor("SELECT ten || ' - ' || ma_tinh FROM tinh"), 2);
        assert_eq!(factor("SELECT CONCAT(ten, ten, ten) FROM tinh"), 3);
        assert_eq!(factor("SELECT REPLACE(ten, 'a', 'aaaa') FROM tinh"), 4);
        assert_eq!(factor("SELECT REPLACE(ten, 'ab', 'abc') FROM tinh"), 2);
        // An empty pattern inserts the replacement between every character.
        assert_eq!(factor("SELECT REPLACE(ten, '', 'xy') FROM tinh"), 3);
        // A pattern from the data may be empty too.
        assert_eq!(factor("SELECT REPLACE(ten, ma_tinh, 'x') FROM tinh"), 2);
        // A replacement from the data grows with the square of the text.
        assert_eq!(
            growth("SELECT REPLACE(ten, 'a', ten) FROM tinh"),
            StringGrowth::UNBOUNDED
        );
    }

    #[test]
    fn nesting_compounds() {
        let mut sql = "ma_tinh".to_owned();
        for _ in 0..10 {
            sql = format!("REPLACE({sql}, '0', '0000')");
        }
        assert_eq!(factor(&format!("SELECT {sql} FROM tinh")), 4u64.pow(10));
    }

    #[test]
    fn growth_follows_ctes_derived_tables_and_subqueries() {
        let sql = "WITH a AS (SELECT REPLACE(ten, 'a', 'aaaa') AS s, ma_tinh FROM tinh), \
                   b AS (SELECT REPLACE(s, 'a', 'aaaa') AS s FROM a) \
                   SELECT x.s || x.s FROM (SELECT s FROM b) x";
        assert_eq!(factor(sql), 32);
        // A column of the CTE that does not grow keeps its own bound.
        assert_eq!(
            factor(
                "WITH a AS (SELECT REPLACE(ten, 'a', 'aaaa') AS s, ma_tinh FROM tinh) \
                 SELECT ma_tinh || ma_tinh FROM a"
            ),
            4
        );
        // Expressions that produce no output still count: a WHERE, an ORDER BY, a subquery.
        assert_eq!(
            factor(
                "SELECT COUNT(*) FROM tinh WHERE LENGTH(REPLACE(REPLACE(ten, 'a', 'aaa'), 'a', 'aaa')) > 1"
            ),
            9
        );
        assert_eq!(
            factor(
                "SELECT ma_tinh FROM tinh WHERE ma_tinh IN \
                 (SELECT REPLACE(ma_tinh, '0', '00000') FROM don_vi)"
            ),
            5
        );
    }

    #[test]
    fn literals_are_constants() {
        let g = growth("SELECT ten || 'abc' FROM tinh");
        assert_eq!(
            g,
            StringGrowth {
                factor: 1,
                constant: 3
            }
        );
        let g = growth("SELECT REPLACE(REPLACE('aaaa', 'a', 'aaaa'), 'a', 'aaaa') FROM tinh");
        assert_eq!(g.factor, 0);
        assert_eq!(g.constant, 64);
    }
}
