//! The guard's scoped pass over a query that passed the whole-tree checks: name resolution
//! (CTEs, tables, aliases, columns with their types), the correlated-subquery shapes Polars can
//! run, the top-level `LIMIT`, and — in [`Mode::Polars`] — the rewrites for SQLite parity
//! described in the [module docs](super).
//!
//! Recursion here follows the AST, whose expression depth the tree check has already bounded
//! by [`super::MAX_EXPR_DEPTH`] and whose query nesting the parser bounds.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, DataType, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentList,
    FunctionArguments, Ident, JoinConstraint, JoinOperator, LimitClause, ObjectName, Offset,
    OrderBy, OrderByKind, Query, Select, SelectItem, SelectItemQualifiedWildcardKind, SetExpr,
    TableFactor, TableWithJoins, Value, ValueWithSpan, WindowType,
};

use super::guard::{folded, single_ident, FORBIDDEN_TABLES};
use super::{GuardError, GuardErrorKind as K, Limits};
use crate::schema::{ColType, Table};

/// Which SQL the pass produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Checks, identifier folding and `LIMIT` only: the SQLite-dialect text users see.
    Portable,
    /// The same plus the rewrites that make Polars compute what SQLite computes.
    Polars,
}

/// The static type of an expression, as far as the pass can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    Int,
    Float,
    Text,
    Date,
    Bool,
    Null,
    Unknown,
}

impl Ty {
    fn of(c: ColType) -> Ty {
        match c {
            ColType::Int | ColType::BigInt => Ty::Int,
            ColType::Text => Ty::Text,
            ColType::Date => Ty::Date,
            ColType::Rate => Ty::Float,
        }
    }

    fn numeric(a: Ty, b: Ty) -> Ty {
        match (a, b) {
            (Ty::Int, Ty::Int) => Ty::Int,
            (Ty::Float, Ty::Int | Ty::Float) | (Ty::Int, Ty::Float) => Ty::Float,
            (Ty::Null, t) | (t, Ty::Null) => t,
            _ => Ty::Unknown,
        }
    }
}

type Cols = Vec<(String, Ty)>;

struct Rel {
    name: String,
    cols: Cols,
}

/// What a `SELECT` sees: its relations, its output aliases, and the enclosing query's frame.
struct Frame<'p> {
    rels: Vec<Rel>,
    aliases: Cols,
    parent: Option<&'p Frame<'p>>,
    /// `true` for an `[NOT] EXISTS`/`IN` subquery Polars can decorrelate: outer columns may
    /// then appear in `inner = outer` equalities of its `WHERE`.
    correlatable: bool,
}

impl<'p> Frame<'p> {
    fn new(parent: Option<&'p Frame<'p>>, correlatable: bool) -> Self {
        Self {
            rels: Vec::new(),
            aliases: Vec::new(),
            parent,
            correlatable,
        }
    }

    fn all_column_names(&self) -> BTreeSet<&str> {
        self.rels
            .iter()
            .flat_map(|r| r.cols.iter().map(|c| c.0.as_str()))
            .collect()
    }
}

/// Where an expression sits: top-level `AND` terms of a `WHERE` may hold decorrelatable
/// subqueries.
#[derive(Debug, Clone, Copy)]
struct Cx {
    where_top: bool,
}

const PLAIN: Cx = Cx { where_top: false };

enum SubKind {
    Exists,
    In,
    Scalar,
}

/// Runs the pass on `query`, returning the canonical tables it reads.
pub(crate) fn check(
    query: &mut Query,
    limits: &Limits,
    mode: Mode,
) -> Result<BTreeSet<Table>, GuardError> {
    let mut w = Walker {
        mode,
        tables: BTreeSet::new(),
        ctes: Vec::new(),
    };
    w.query(query, None, false)?;
    apply_limit(query, limits.max_rows)?;
    Ok(w.tables)
}

fn err<T>(kind: K, detail: impl Into<String>) -> Result<T, GuardError> {
    Err(GuardError::new(kind, detail))
}

/// Folds an identifier in place (unquoted → lowercase; backticks and brackets → double quotes)
/// and returns its name.
fn fold(id: &mut Ident) -> String {
    let name = folded(id);
    match id.quote_style {
        None => id.value.clone_from(&name),
        Some('"') => {}
        Some(_) => id.quote_style = Some('"'),
    }
    name
}

pub(crate) fn is_iso_date(s: &str) -> bool {
    s.len() == 10
        && s.as_bytes()[4] == b'-'
        && s.as_bytes()[7] == b'-'
        && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

fn number(n: usize) -> Expr {
    Expr::Value(Value::Number(n.to_string(), false).into())
}

fn literal_usize(e: &Expr, what: &str) -> Result<Option<usize>, GuardError> {
    match e {
        Expr::Value(ValueWithSpan {
            value: Value::Null, ..
        }) => Ok(None),
        Expr::Value(ValueWithSpan {
            value: Value::Number(n, _),
            ..
        }) => n
            .parse::<usize>()
            .map(Some)
            .or_else(|_| err(K::ForbiddenExpression, format!("{what} {n}"))),
        other => err(
            K::ForbiddenExpression,
            format!("{what} {other} (chỉ được là một số)"),
        ),
    }
}

/// Checks `LIMIT`/`OFFSET` of any query: numbers only.
fn check_limit_clause(q: &Query) -> Result<(), GuardError> {
    match &q.limit_clause {
        None => Ok(()),
        Some(LimitClause::LimitOffset {
            limit,
            offset,
            limit_by,
        }) => {
            if !limit_by.is_empty() {
                return err(K::ForbiddenClause, "LIMIT … BY");
            }
            if let Some(l) = limit {
                literal_usize(l, "LIMIT")?;
            }
            if let Some(o) = offset {
                literal_usize(&o.value, "OFFSET")?;
            }
            Ok(())
        }
        Some(LimitClause::OffsetCommaLimit { offset, limit }) => {
            literal_usize(offset, "OFFSET")?;
            literal_usize(limit, "LIMIT")?;
            Ok(())
        }
    }
}

/// Adds or caps the top-level `LIMIT`.
fn apply_limit(q: &mut Query, max_rows: usize) -> Result<(), GuardError> {
    let (limit, offset) = match q.limit_clause.take() {
        None => (None, None),
        Some(LimitClause::LimitOffset { limit, offset, .. }) => (limit, offset),
        Some(LimitClause::OffsetCommaLimit { offset, limit }) => (
            Some(limit),
            Some(Offset {
                value: offset,
                rows: sqlparser::ast::OffsetRows::None,
            }),
        ),
    };
    let asked = match &limit {
        Some(l) => literal_usize(l, "LIMIT")?,
        None => None,
    };
    let n = asked.map_or(max_rows, |a| a.min(max_rows));
    q.limit_clause = Some(LimitClause::LimitOffset {
        limit: Some(number(n)),
        offset,
        limit_by: Vec::new(),
    });
    Ok(())
}

struct Walker {
    mode: Mode,
    tables: BTreeSet<Table>,
    /// CTEs visible at this point, innermost last.
    ctes: Vec<(String, Cols)>,
}

impl Walker {
    fn polars(&self) -> bool {
        self.mode == Mode::Polars
    }

    fn query(
        &mut self,
        q: &mut Query,
        parent: Option<&Frame<'_>>,
        correlatable: bool,
    ) -> Result<Cols, GuardError> {
        check_limit_clause(q)?;
        let saved = self.ctes.len();
        if let Some(with) = &mut q.with {
            for cte in &mut with.cte_tables {
                let name = fold(&mut cte.alias.name);
                if Table::from_name(&name).is_some() || FORBIDDEN_TABLES.contains(&name.as_str()) {
                    return err(K::ForbiddenClause, format!("CTE {name} trùng tên một bảng"));
                }
                if self.ctes[saved..].iter().any(|(n, _)| *n == name) {
                    return err(K::ForbiddenClause, format!("CTE {name} định nghĩa hai lần"));
                }
                if !cte.alias.columns.is_empty() {
                    return err(K::Unsupported, format!("danh sách cột của CTE {name}"));
                }
                if cte.from.is_some() || cte.materialized.is_some() {
                    return err(
                        K::ForbiddenClause,
                        format!("CTE {name} … MATERIALIZED/FROM"),
                    );
                }
                // A CTE cannot see the enclosing query's columns (no lateral CTEs in Polars).
                let cols = self.query(&mut cte.query, None, false)?;
                self.ctes.push((name, cols));
            }
        }
        let cols = self.set_expr(&mut q.body, parent, correlatable, q.order_by.as_mut())?;
        self.ctes.truncate(saved);
        Ok(cols)
    }

    fn set_expr(
        &mut self,
        body: &mut SetExpr,
        parent: Option<&Frame<'_>>,
        correlatable: bool,
        order_by: Option<&mut OrderBy>,
    ) -> Result<Cols, GuardError> {
        match body {
            SetExpr::Select(s) => self.select(s, parent, correlatable, order_by),
            SetExpr::Query(q) => {
                let cols = self.query(q, parent, false)?;
                self.order_by_outputs(order_by, &cols, parent)?;
                Ok(cols)
            }
            SetExpr::SetOperation { left, right, .. } => {
                let cols = self.set_expr(left, parent, false, None)?;
                let right_cols = self.set_expr(right, parent, false, None)?;
                if cols.len() != right_cols.len() {
                    return err(
                        K::Syntax,
                        format!(
                            "hai vế UNION/EXCEPT/INTERSECT có số cột khác nhau ({} và {})",
                            cols.len(),
                            right_cols.len()
                        ),
                    );
                }
                self.order_by_outputs(order_by, &cols, parent)?;
                Ok(cols)
            }
            SetExpr::Values(_) => err(K::ForbiddenClause, "VALUES"),
            SetExpr::Insert(_) => err(K::NotAQuery, "INSERT"),
            SetExpr::Update(_) => err(K::NotAQuery, "UPDATE"),
            SetExpr::Delete(_) => err(K::NotAQuery, "DELETE"),
            SetExpr::Merge(_) => err(K::NotAQuery, "MERGE"),
            SetExpr::Table(_) => err(K::ForbiddenClause, "TABLE"),
        }
    }

    /// `ORDER BY` of a set operation: output columns and ordinals only.
    fn order_by_outputs(
        &mut self,
        order_by: Option<&mut OrderBy>,
        cols: &Cols,
        parent: Option<&Frame<'_>>,
    ) -> Result<(), GuardError> {
        let Some(ob) = order_by else { return Ok(()) };
        let mut frame = Frame::new(parent, false);
        frame.rels.push(Rel {
            name: String::new(),
            cols: cols.clone(),
        });
        self.order_by(ob, &frame, cols.len())
    }

    fn order_by(
        &mut self,
        ob: &mut OrderBy,
        frame: &Frame<'_>,
        n_outputs: usize,
    ) -> Result<(), GuardError> {
        if ob.interpolate.is_some() {
            return err(K::ForbiddenClause, "INTERPOLATE");
        }
        let OrderByKind::Expressions(list) = &mut ob.kind else {
            return err(K::ForbiddenClause, "ORDER BY ALL");
        };
        for item in list {
            if item.with_fill.is_some() {
                return err(K::ForbiddenClause, "WITH FILL");
            }
            if let Expr::Value(ValueWithSpan {
                value: Value::Number(n, _),
                ..
            }) = &item.expr
            {
                let ok = n.parse::<usize>().is_ok_and(|i| i >= 1 && i <= n_outputs);
                if !ok {
                    return err(K::Syntax, format!("ORDER BY {n}: không có cột thứ {n}"));
                }
            } else {
                self.expr(&mut item.expr, frame, PLAIN)?;
            }
            if self.polars() && item.options.nulls_first.is_none() {
                // SQLite: NULL is the smallest value.
                item.options.nulls_first = Some(item.options.asc != Some(false));
            }
        }
        Ok(())
    }

    fn select(
        &mut self,
        s: &mut Select,
        parent: Option<&Frame<'_>>,
        correlatable: bool,
        order_by: Option<&mut OrderBy>,
    ) -> Result<Cols, GuardError> {
        let mut frame = Frame::new(parent, correlatable);
        let mut moved = Vec::new();
        for twj in &mut s.from {
            self.table_with_joins(twj, &mut frame, &mut moved)?;
        }
        if !moved.is_empty() {
            // Inner-join conditions on one side only, moved here for Polars (see
            // `split_join_condition`); the WHERE pass below resolves them again.
            if let Some(w) = s.selection.take() {
                moved.insert(0, Expr::Nested(Box::new(w)));
            }
            s.selection = and_all(moved);
        }
        // Projection (before aliases exist).
        let mut out: Cols = Vec::new();
        for item in &mut s.projection {
            match item {
                SelectItem::UnnamedExpr(e) => {
                    let ty = self.expr(e, &frame, PLAIN)?;
                    match e {
                        Expr::Identifier(id) => out.push((id.value.clone(), ty)),
                        Expr::CompoundIdentifier(ids) => {
                            if let Some(last) = ids.last() {
                                out.push((last.value.clone(), ty));
                            }
                        }
                        _ => {}
                    }
                }
                SelectItem::ExprWithAlias { expr, alias } => {
                    let ty = self.expr(expr, &frame, PLAIN)?;
                    out.push((fold(alias), ty));
                }
                SelectItem::ExprWithAliases { .. } => {
                    return err(K::ForbiddenExpression, "biểu thức AS (a, b)");
                }
                SelectItem::Wildcard(_) => {
                    if frame.rels.is_empty() {
                        return err(K::Syntax, "SELECT * không có FROM");
                    }
                    for r in &frame.rels {
                        out.extend(r.cols.iter().cloned());
                    }
                }
                SelectItem::QualifiedWildcard(kind, _) => {
                    let SelectItemQualifiedWildcardKind::ObjectName(name) = kind else {
                        return err(K::ForbiddenExpression, "(biểu thức).*");
                    };
                    let q = qualifier(name)?;
                    let Some(rel) = frame.rels.iter().find(|r| r.name == q) else {
                        return err(K::UnknownTable, q);
                    };
                    out.extend(rel.cols.iter().cloned());
                }
            }
        }
        frame.aliases.clone_from(&out);

        if let Some(sqlparser::ast::Distinct::On(exprs)) = &mut s.distinct {
            for e in exprs {
                self.expr(e, &frame, PLAIN)?;
            }
        }
        if let Some(w) = &mut s.selection {
            self.where_clause(w, &frame)?;
        }
        if let sqlparser::ast::GroupByExpr::Expressions(exprs, _) = &mut s.group_by {
            for e in exprs {
                self.expr(e, &frame, PLAIN)?;
            }
        }
        if let Some(h) = &mut s.having {
            self.expr(h, &frame, PLAIN)?;
        }
        if let Some(ob) = order_by {
            self.order_by(ob, &frame, s.projection.len())?;
            if self.polars() {
                unqualify_group_keys(ob, s);
            }
        }
        Ok(out)
    }

    /// A `WHERE`: in a decorrelatable subquery, `inner.col = outer.col` terms are the join keys
    /// Polars builds; every other term must be about inner columns only.
    fn where_clause(&mut self, w: &mut Expr, frame: &Frame<'_>) -> Result<(), GuardError> {
        if !frame.correlatable {
            self.expr(w, frame, Cx { where_top: true })?;
            return Ok(());
        }
        let mut terms = Vec::new();
        conjuncts_mut(w, &mut terms);
        let mut keys = 0usize;
        let mut local_names: Vec<String> = Vec::new();
        for term in terms {
            if let Some(is_key) = self.correlation_key(term, frame)? {
                if is_key {
                    keys += 1;
                    continue;
                }
            }
            self.expr(term, frame, PLAIN)?;
            if contains_subquery(term) {
                local_names.push("(truy vấn con)".to_owned());
            }
            local_names.extend(column_names(term));
        }
        if keys > 0 {
            let outer = frame
                .parent
                .map(Frame::all_column_names)
                .unwrap_or_default();
            if let Some(clash) = local_names
                .iter()
                .find(|n| outer.contains(n.as_str()) || n.starts_with('('))
            {
                return err(
                    K::Unsupported,
                    format!(
                        "truy vấn con tương quan có điều kiện trên cột {clash} (trùng tên với \
                         cột của truy vấn ngoài, hoặc chứa truy vấn con)"
                    ),
                );
            }
        }
        Ok(())
    }

    /// `Some(true)` when `term` is `a = b` with one side an inner column and the other a column
    /// of the directly enclosing query (folding both); `Some(false)` for an equality of two
    /// inner columns; `None` for anything else.
    fn correlation_key(
        &mut self,
        term: &mut Expr,
        frame: &Frame<'_>,
    ) -> Result<Option<bool>, GuardError> {
        let Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } = term
        else {
            return Ok(None);
        };
        let (Some(l), Some(r)) = (column_ref(left), column_ref(right)) else {
            return Ok(None);
        };
        let (_, ll) = self.column(&l, frame, true)?;
        let (_, rl) = self.column(&r, frame, true)?;
        match (ll, rl) {
            (0, 1) | (1, 0) => {
                // Polars places an unqualified name by schema membership: it must be in one side
                // only.
                let outer = frame
                    .parent
                    .map(Frame::all_column_names)
                    .unwrap_or_default();
                let inner = frame.all_column_names();
                for c in [&l, &r] {
                    if c.0.is_none() && outer.contains(c.1.as_str()) && inner.contains(c.1.as_str())
                    {
                        return err(K::AmbiguousColumn, c.1.clone());
                    }
                }
                fold_column_ref(left);
                fold_column_ref(right);
                Ok(Some(true))
            }
            (0, 0) => Ok(Some(false)),
            _ => err(
                K::Unsupported,
                "truy vấn con tương quan lồng nhiều cấp".to_owned(),
            ),
        }
    }

    fn table_with_joins(
        &mut self,
        twj: &mut TableWithJoins,
        frame: &mut Frame<'_>,
        moved: &mut Vec<Expr>,
    ) -> Result<(), GuardError> {
        self.factor(&mut twj.relation, frame, moved)?;
        for j in &mut twj.joins {
            if j.global {
                return err(K::ForbiddenClause, "GLOBAL JOIN");
            }
            let right_start = frame.rels.len();
            self.factor(&mut j.relation, frame, moved)?;
            let constraint = match &mut j.join_operator {
                JoinOperator::Join(c)
                | JoinOperator::Inner(c)
                | JoinOperator::Left(c)
                | JoinOperator::LeftOuter(c)
                | JoinOperator::Right(c)
                | JoinOperator::RightOuter(c)
                | JoinOperator::FullOuter(c)
                | JoinOperator::CrossJoin(c) => c,
                other => {
                    let text = format!("{other:?}");
                    let kind: String = text.chars().take_while(|c| c.is_alphanumeric()).collect();
                    return err(K::Unsupported, format!("phép nối {kind}"));
                }
            };
            match constraint {
                JoinConstraint::On(e) => {
                    self.expr(e, frame, PLAIN)?;
                }
                JoinConstraint::Using(names) => {
                    for n in names {
                        let Some(id) = n.0.first().and_then(|p| p.as_ident()) else {
                            return err(K::UnknownColumn, n.to_string());
                        };
                        let c = folded(id);
                        if !frame.rels.iter().any(|r| r.cols.iter().any(|x| x.0 == c)) {
                            return err(K::UnknownColumn, c);
                        }
                    }
                }
                JoinConstraint::Natural | JoinConstraint::None => {}
            }
            if self.polars() {
                split_join_condition(j, frame, right_start, moved)?;
            }
        }
        Ok(())
    }

    fn factor(
        &mut self,
        tf: &mut TableFactor,
        frame: &mut Frame<'_>,
        moved: &mut Vec<Expr>,
    ) -> Result<(), GuardError> {
        let (name, cols) = match tf {
            TableFactor::Table { name, alias, .. } => {
                if name.0.len() != 1 {
                    return err(K::UnknownTable, name.to_string());
                }
                let shown = name.to_string();
                let Some(id) = name.0.first_mut().and_then(|p| match p {
                    sqlparser::ast::ObjectNamePart::Identifier(id) => Some(id),
                    sqlparser::ast::ObjectNamePart::Function(_) => None,
                }) else {
                    return err(K::UnknownTable, shown);
                };
                let table_name = fold(id);
                let cols =
                    if let Some((_, c)) = self.ctes.iter().rev().find(|(n, _)| *n == table_name) {
                        c.clone()
                    } else if let Some(t) = Table::from_name(&table_name) {
                        self.tables.insert(t);
                        t.columns()
                            .iter()
                            .map(|c| (c.name.to_owned(), Ty::of(c.ty)))
                            .collect()
                    } else {
                        return err(K::UnknownTable, table_name);
                    };
                let rel_name = match alias {
                    Some(a) => {
                        if !a.columns.is_empty() {
                            return err(K::Unsupported, "bí danh bảng kèm danh sách cột");
                        }
                        fold(&mut a.name)
                    }
                    None => table_name,
                };
                (rel_name, cols)
            }
            TableFactor::Derived {
                subquery, alias, ..
            } => {
                let cols = self.query(subquery, None, false)?;
                let name = match alias {
                    Some(a) => {
                        if !a.columns.is_empty() {
                            return err(K::Unsupported, "bí danh bảng kèm danh sách cột");
                        }
                        fold(&mut a.name)
                    }
                    None => String::new(),
                };
                (name, cols)
            }
            TableFactor::NestedJoin {
                table_with_joins,
                alias,
            } => {
                if alias.is_some() {
                    return err(K::Unsupported, "bí danh cho phép nối lồng");
                }
                return self.table_with_joins(table_with_joins, frame, moved);
            }
            _ => return err(K::TableFunction, "nguồn dữ liệu không phải bảng"),
        };
        if !name.is_empty() && frame.rels.iter().any(|r| r.name == name) {
            return err(
                K::Unsupported,
                format!("tên bảng hoặc bí danh {name} dùng hai lần trong cùng FROM"),
            );
        }
        frame.rels.push(Rel { name, cols });
        Ok(())
    }

    /// Resolves a column reference: its type and how many query levels out it was found.
    fn column(
        &self,
        c: &(Option<String>, String),
        frame: &Frame<'_>,
        allow_outer: bool,
    ) -> Result<(Ty, usize), GuardError> {
        let (qual, name) = c;
        let shown = match qual {
            Some(q) => format!("{q}.{name}"),
            None => name.clone(),
        };
        let mut level = 0usize;
        let mut f = Some(frame);
        while let Some(fr) = f {
            let found = match qual {
                Some(q) => match fr.rels.iter().find(|r| r.name == *q) {
                    Some(rel) => match rel.cols.iter().find(|x| x.0 == *name) {
                        Some(col) => Some(col.1),
                        None => return err(K::UnknownColumn, shown),
                    },
                    None => None,
                },
                None => {
                    let hits: Vec<Ty> = fr
                        .rels
                        .iter()
                        .filter_map(|r| r.cols.iter().find(|x| x.0 == *name).map(|x| x.1))
                        .collect();
                    match hits.as_slice() {
                        [t] => Some(*t),
                        [] if level == 0 => fr.aliases.iter().find(|x| x.0 == *name).map(|x| x.1),
                        [] => None,
                        _ => return err(K::AmbiguousColumn, shown),
                    }
                }
            };
            if let Some(ty) = found {
                if level > 0 && !(allow_outer && level == 1 && frame.correlatable) {
                    return err(
                        K::Unsupported,
                        format!("truy vấn con tương quan (tham chiếu {shown} của truy vấn ngoài)"),
                    );
                }
                return Ok((ty, level));
            }
            level += 1;
            f = fr.parent;
        }
        match qual {
            Some(q) if !frame_has_rel(frame, q) => err(K::UnknownTable, q.clone()),
            _ => err(K::UnknownColumn, shown),
        }
    }

    fn subquery(
        &mut self,
        q: &mut Query,
        frame: &Frame<'_>,
        cx: Cx,
        kind: SubKind,
    ) -> Result<Cols, GuardError> {
        let correlatable = cx.where_top && !matches!(kind, SubKind::Scalar) && decorrelatable(q);
        let cols = self.query(q, Some(frame), correlatable)?;
        match kind {
            SubKind::In | SubKind::Scalar if cols.len() > 1 => err(
                K::Syntax,
                "truy vấn con trong IN (…) hoặc làm giá trị phải trả về đúng một cột",
            ),
            _ => Ok(cols),
        }
    }

    fn expr(&mut self, e: &mut Expr, f: &Frame<'_>, cx: Cx) -> Result<Ty, GuardError> {
        let ty = match e {
            Expr::Identifier(id) => {
                let name = fold(id);
                self.column(&(None, name), f, false)?.0
            }
            Expr::CompoundIdentifier(ids) => {
                let names: Vec<String> = ids.iter_mut().map(fold).collect();
                match names.as_slice() {
                    [q, c] => self.column(&(Some(q.clone()), c.clone()), f, false)?.0,
                    _ => return err(K::UnknownColumn, names.join(".")),
                }
            }
            Expr::Value(v) => match &v.value {
                Value::Number(n, _) => {
                    if n.contains(['.', 'e', 'E']) {
                        Ty::Float
                    } else {
                        Ty::Int
                    }
                }
                Value::SingleQuotedString(_) => Ty::Text,
                Value::Boolean(_) => Ty::Bool,
                _ => Ty::Null,
            },
            Expr::TypedString(ts) => {
                if self.polars() {
                    if let Value::SingleQuotedString(v) = &ts.value.value {
                        let v = v.clone();
                        *e = date_literal(&v);
                    }
                }
                Ty::Date
            }
            Expr::Nested(inner) => self.expr(inner, f, cx)?,
            Expr::BinaryOp { left, op, right } => {
                let sub = if matches!(op, BinaryOperator::And) {
                    cx
                } else {
                    PLAIN
                };
                let lt = self.expr(left, f, sub)?;
                let rt = self.expr(right, f, sub)?;
                match op {
                    BinaryOperator::And | BinaryOperator::Or => Ty::Bool,
                    BinaryOperator::Eq
                    | BinaryOperator::NotEq
                    | BinaryOperator::Lt
                    | BinaryOperator::LtEq
                    | BinaryOperator::Gt
                    | BinaryOperator::GtEq => {
                        if self.polars() {
                            coerce_pair(left, right, lt, rt);
                        }
                        Ty::Bool
                    }
                    BinaryOperator::StringConcat => Ty::Text,
                    BinaryOperator::Divide => {
                        let t = Ty::numeric(lt, rt);
                        if self.polars() && lt == Ty::Int && rt == Ty::Int {
                            let l = take(left);
                            let r = take(right);
                            *e = call("DIV", vec![l, r]);
                        }
                        t
                    }
                    _ => Ty::numeric(lt, rt),
                }
            }
            Expr::UnaryOp { op, expr } => {
                let t = self.expr(expr, f, PLAIN)?;
                match op {
                    sqlparser::ast::UnaryOperator::Not => Ty::Bool,
                    _ => t,
                }
            }
            Expr::IsFalse(x)
            | Expr::IsNotFalse(x)
            | Expr::IsTrue(x)
            | Expr::IsNotTrue(x)
            | Expr::IsNull(x)
            | Expr::IsNotNull(x) => {
                self.expr(x, f, PLAIN)?;
                Ty::Bool
            }
            Expr::IsDistinctFrom(a, b) | Expr::IsNotDistinctFrom(a, b) => {
                self.expr(a, f, PLAIN)?;
                self.expr(b, f, PLAIN)?;
                Ty::Bool
            }
            Expr::InList { expr, list, .. } => {
                let t = self.expr(expr, f, PLAIN)?;
                let mut tys = Vec::with_capacity(list.len());
                for item in list.iter_mut() {
                    tys.push(self.expr(item, f, PLAIN)?);
                }
                if self.polars() {
                    coerce_many(expr, t, list.iter_mut().collect(), true);
                }
                Ty::Bool
            }
            Expr::InSubquery { expr, subquery, .. } => {
                self.expr(expr, f, PLAIN)?;
                self.subquery(subquery, f, cx, SubKind::In)?;
                Ty::Bool
            }
            Expr::Exists { subquery, .. } => {
                self.subquery(subquery, f, cx, SubKind::Exists)?;
                Ty::Bool
            }
            Expr::Subquery(q) => {
                let cols = self.subquery(q, f, PLAIN, SubKind::Scalar)?;
                cols.first().map_or(Ty::Unknown, |c| c.1)
            }
            Expr::Between {
                expr, low, high, ..
            } => {
                let t = self.expr(expr, f, PLAIN)?;
                self.expr(low, f, PLAIN)?;
                self.expr(high, f, PLAIN)?;
                if self.polars() {
                    coerce_many(expr, t, vec![&mut **low, &mut **high], false);
                }
                Ty::Bool
            }
            Expr::Like {
                negated,
                expr,
                pattern,
                ..
            } => {
                self.expr(expr, f, PLAIN)?;
                self.expr(pattern, f, PLAIN)?;
                if self.polars() {
                    // SQLite's LIKE ignores (ASCII) case.
                    *e = Expr::ILike {
                        negated: *negated,
                        any: false,
                        expr: Box::new(take(expr)),
                        pattern: Box::new(take(pattern)),
                        escape_char: None,
                    };
                }
                Ty::Bool
            }
            Expr::ILike { expr, pattern, .. } => {
                self.expr(expr, f, PLAIN)?;
                self.expr(pattern, f, PLAIN)?;
                Ty::Bool
            }
            Expr::Cast {
                expr, data_type, ..
            } => {
                self.expr(expr, f, PLAIN)?;
                cast_ty(data_type)
            }
            Expr::Extract { expr, .. } => {
                self.expr(expr, f, PLAIN)?;
                Ty::Int
            }
            Expr::Ceil { expr, .. } | Expr::Floor { expr, .. } => self.expr(expr, f, PLAIN)?,
            Expr::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                self.expr(expr, f, PLAIN)?;
                if let Some(x) = substring_from {
                    self.expr(x, f, PLAIN)?;
                }
                if let Some(x) = substring_for {
                    self.expr(x, f, PLAIN)?;
                }
                Ty::Text
            }
            Expr::Trim {
                expr, trim_what, ..
            } => {
                self.expr(expr, f, PLAIN)?;
                if let Some(x) = trim_what {
                    self.expr(x, f, PLAIN)?;
                }
                Ty::Text
            }
            Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => {
                let op_ty = match operand {
                    Some(o) => Some(self.expr(o, f, PLAIN)?),
                    None => None,
                };
                let mut ty = Ty::Null;
                for w in conditions.iter_mut() {
                    let ct = self.expr(&mut w.condition, f, PLAIN)?;
                    if let (Some(ot), Some(o)) = (op_ty, operand.as_deref_mut()) {
                        if self.polars() {
                            coerce_pair(o, &mut w.condition, ot, ct);
                        }
                    }
                    let rt = self.expr(&mut w.result, f, PLAIN)?;
                    ty = merge_ty(ty, rt);
                }
                if let Some(x) = else_result {
                    let rt = self.expr(x, f, PLAIN)?;
                    ty = merge_ty(ty, rt);
                }
                ty
            }
            Expr::Function(func) => self.function(func, f)?,
            other => {
                return err(
                    K::ForbiddenExpression,
                    other.to_string().chars().take(60).collect::<String>(),
                )
            }
        };
        Ok(ty)
    }

    fn function(&mut self, func: &mut Function, f: &Frame<'_>) -> Result<Ty, GuardError> {
        let name = match func.name.0.as_mut_slice() {
            [sqlparser::ast::ObjectNamePart::Identifier(id)] => {
                // Shown upper-case; Polars and SQLite ignore the case of function names.
                id.value = id.value.to_uppercase();
                id.quote_style = None;
                id.value.to_lowercase()
            }
            _ => return err(K::ForbiddenFunction, func.name.to_string()),
        };
        let mut tys = Vec::new();
        if let FunctionArguments::List(list) = &mut func.args {
            for a in &mut list.args {
                match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => {
                        tys.push(self.expr(x, f, PLAIN)?);
                    }
                    FunctionArg::Unnamed(FunctionArgExpr::Wildcard) => tys.push(Ty::Unknown),
                    _ => return err(K::ForbiddenExpression, format!("đối số của {name}")),
                }
            }
        }
        if let Some(WindowType::WindowSpec(spec)) = &mut func.over {
            for x in &mut spec.partition_by {
                self.expr(x, f, PLAIN)?;
            }
            for o in &mut spec.order_by {
                self.expr(&mut o.expr, f, PLAIN)?;
            }
        }
        let first = tys.first().copied().unwrap_or(Ty::Unknown);
        Ok(match name.as_str() {
            "count" | "row_number" | "rank" | "dense_rank" | "length" | "date_part" => Ty::Int,
            "avg" | "total" | "round" => Ty::Float,
            "sum" | "min" | "max" | "abs" | "ceil" | "ceiling" | "floor" | "sign" | "nullif" => {
                first
            }
            "coalesce" | "ifnull" => tys.iter().copied().fold(Ty::Null, merge_ty),
            "mod" => Ty::numeric(first, tys.get(1).copied().unwrap_or(Ty::Unknown)),
            "lower" | "upper" | "substr" | "replace" | "ltrim" | "rtrim" | "concat" | "left"
            | "right" => Ty::Text,
            _ => Ty::Unknown,
        })
    }
}

/// Polars joins on `ON` terms that compare the two sides; a term about one side only (e.g.
/// `JOIN don_vi d ON d.ma_tinh = t.ma_tinh AND d.cap = 'khu_vuc'`) it cannot place. For an
/// inner join such terms move to the `WHERE` (same rows); for a left join a term about the
/// right table only becomes a filter of that table (`LEFT JOIN (SELECT * FROM don_vi AS d WHERE
/// d.cap = 'khu_vuc') d ON …`). Other one-sided terms are left to Polars.
fn split_join_condition(
    j: &mut sqlparser::ast::Join,
    frame: &Frame<'_>,
    right_start: usize,
    moved: &mut Vec<Expr>,
) -> Result<(), GuardError> {
    #[derive(PartialEq)]
    enum Kind {
        Inner,
        Left,
        Other,
    }
    let (kind, e) = match &mut j.join_operator {
        JoinOperator::Join(JoinConstraint::On(e)) | JoinOperator::Inner(JoinConstraint::On(e)) => {
            (Kind::Inner, e)
        }
        JoinOperator::Left(JoinConstraint::On(e))
        | JoinOperator::LeftOuter(JoinConstraint::On(e)) => (Kind::Left, e),
        JoinOperator::Right(JoinConstraint::On(e))
        | JoinOperator::RightOuter(JoinConstraint::On(e))
        | JoinOperator::FullOuter(JoinConstraint::On(e)) => (Kind::Other, e),
        _ => return Ok(()),
    };
    if kind == Kind::Other {
        return Ok(());
    }
    let mut terms = Vec::new();
    split_and(take(e), &mut terms);
    let (mut keep, mut to_where, mut to_right) = (Vec::new(), Vec::new(), Vec::new());
    for term in terms {
        match (&kind, sides(&term, frame, right_start)) {
            (_, None | Some((true, true))) => keep.push(term),
            (Kind::Inner, Some(_)) => to_where.push(term),
            (Kind::Left, Some((false, _))) => to_right.push(term),
            _ => keep.push(term),
        }
    }
    if !to_right.is_empty() {
        let wrapped = match &j.relation {
            TableFactor::Table { name, alias: a, .. } => {
                let alias = a.as_ref().map_or_else(
                    || name.0.first().and_then(|p| p.as_ident()).cloned(),
                    |a| Some(a.name.clone()),
                );
                alias.and_then(|alias| filtered_table(name, &alias, &to_right))
            }
            _ => None,
        };
        match wrapped {
            Some(tf) => j.relation = tf,
            None => keep.append(&mut to_right),
        }
    }
    if keep.is_empty() {
        // Every term moved: what is left is a cross join.
        j.join_operator = JoinOperator::CrossJoin(JoinConstraint::None);
    } else if let Some(on) = and_all(keep) {
        *e = on;
    }
    moved.append(&mut to_where);
    Ok(())
}

/// `SELECT * FROM name AS alias WHERE terms` as a derived table named `alias`.
fn filtered_table(name: &ObjectName, alias: &Ident, terms: &[Expr]) -> Option<TableFactor> {
    let cond: Vec<String> = terms.iter().map(ToString::to_string).collect();
    let sql = format!(
        "SELECT * FROM {name} AS {alias} WHERE {}",
        cond.join(" AND ")
    );
    let mut statements =
        sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::GenericDialect, &sql).ok()?;
    let Some(sqlparser::ast::Statement::Query(q)) = statements.pop() else {
        return None;
    };
    Some(TableFactor::Derived {
        lateral: false,
        subquery: q,
        alias: Some(sqlparser::ast::TableAlias {
            explicit: true,
            name: alias.clone(),
            columns: Vec::new(),
            at: None,
        }),
        sample: None,
    })
}

/// Which sides of a join a term's columns come from: (left, right); `None` when a column is
/// not a plain column of this `FROM` (outer reference, alias) or the term holds a subquery.
fn sides(term: &Expr, frame: &Frame<'_>, right_start: usize) -> Option<(bool, bool)> {
    if contains_subquery(term) {
        return None;
    }
    let mut refs = Vec::new();
    let _ = sqlparser::ast::visit_expressions(term, |x| {
        if let Some(c) = column_ref(x) {
            refs.push(c);
        }
        ControlFlow::<()>::Continue(())
    });
    let (mut left, mut right) = (false, false);
    for (q, name) in refs {
        let idx = match q {
            Some(q) => frame.rels.iter().position(|r| r.name == q)?,
            None => {
                let hits: Vec<usize> = frame
                    .rels
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.cols.iter().any(|c| c.0 == name))
                    .map(|(i, _)| i)
                    .collect();
                match hits.as_slice() {
                    [i] => *i,
                    _ => return None,
                }
            }
        };
        if idx >= right_start {
            right = true;
        } else {
            left = true;
        }
    }
    Some((left, right))
}

fn split_and(e: Expr, out: &mut Vec<Expr>) {
    match e {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => {
            split_and(*left, out);
            split_and(*right, out);
        }
        other => out.push(other),
    }
}

/// `a AND b AND …` (each term is an `AND` operand already: atomic or parenthesised).
fn and_all(terms: Vec<Expr>) -> Option<Expr> {
    terms.into_iter().reduce(|a, b| Expr::BinaryOp {
        left: Box::new(a),
        op: BinaryOperator::And,
        right: Box::new(b),
    })
}

/// Polars renames a joined column that both sides have (`t.ma_tinh` → `ma_tinh:t`) and, after
/// `GROUP BY t.ma_tinh`, calls the key `ma_tinh`; an `ORDER BY t.ma_tinh` of a key that is not
/// selected then finds nothing. Such an `ORDER BY` term names the key unqualified.
fn unqualify_group_keys(ob: &mut OrderBy, s: &Select) {
    let sqlparser::ast::GroupByExpr::Expressions(keys, _) = &s.group_by else {
        return;
    };
    let OrderByKind::Expressions(list) = &mut ob.kind else {
        return;
    };
    for item in list {
        let Expr::CompoundIdentifier(ids) = &item.expr else {
            continue;
        };
        let [_, c] = ids.as_slice() else { continue };
        let is_key = keys.contains(&item.expr);
        let selected = s.projection.iter().any(|p| match p {
            SelectItem::UnnamedExpr(x) => *x == item.expr,
            SelectItem::ExprWithAlias { alias, .. } => alias.value == c.value,
            _ => false,
        });
        if is_key && !selected {
            item.expr = Expr::Identifier(c.clone());
        }
    }
}

fn frame_has_rel(frame: &Frame<'_>, q: &str) -> bool {
    let mut f = Some(frame);
    while let Some(fr) = f {
        if fr.rels.iter().any(|r| r.name == q) {
            return true;
        }
        f = fr.parent;
    }
    false
}

fn qualifier(name: &ObjectName) -> Result<String, GuardError> {
    match single_ident(name) {
        Some(id) => Ok(folded(id)),
        None => err(K::UnknownTable, name.to_string()),
    }
}

fn merge_ty(a: Ty, b: Ty) -> Ty {
    match (a, b) {
        (Ty::Null, t) | (t, Ty::Null) => t,
        (x, y) if x == y => x,
        (Ty::Int, Ty::Float) | (Ty::Float, Ty::Int) => Ty::Float,
        _ => Ty::Unknown,
    }
}

fn cast_ty(t: &DataType) -> Ty {
    match t {
        DataType::Int(_)
        | DataType::Integer(_)
        | DataType::BigInt(_)
        | DataType::SmallInt(_)
        | DataType::Int64 => Ty::Int,
        DataType::Real
        | DataType::Float(_)
        | DataType::Float64
        | DataType::Double(_)
        | DataType::DoublePrecision
        | DataType::Numeric(_)
        | DataType::Decimal(_) => Ty::Float,
        DataType::Text | DataType::Varchar(_) | DataType::String(_) => Ty::Text,
        DataType::Date => Ty::Date,
        DataType::Boolean | DataType::Bool => Ty::Bool,
        _ => Ty::Unknown,
    }
}

/// A column reference's (qualifier, name), folded.
fn column_ref(e: &Expr) -> Option<(Option<String>, String)> {
    match e {
        Expr::Identifier(id) => Some((None, folded(id))),
        Expr::CompoundIdentifier(ids) => match ids.as_slice() {
            [q, c] => Some((Some(folded(q)), folded(c))),
            _ => None,
        },
        _ => None,
    }
}

fn fold_column_ref(e: &mut Expr) {
    match e {
        Expr::Identifier(id) => {
            fold(id);
        }
        Expr::CompoundIdentifier(ids) => {
            for id in ids {
                fold(id);
            }
        }
        _ => {}
    }
}

/// The top-level `AND` terms of `e` (through parentheses).
fn conjuncts_mut<'a>(e: &'a mut Expr, out: &mut Vec<&'a mut Expr>) {
    if !is_and(e) {
        out.push(e);
        return;
    }
    match e {
        Expr::BinaryOp { left, right, .. } => {
            conjuncts_mut(left, out);
            conjuncts_mut(right, out);
        }
        Expr::Nested(inner) => conjuncts_mut(inner, out),
        _ => {}
    }
}

fn is_and(e: &Expr) -> bool {
    match e {
        Expr::BinaryOp {
            op: BinaryOperator::And,
            ..
        } => true,
        Expr::Nested(inner) => is_and(inner),
        _ => false,
    }
}

/// Column names (last part) an expression mentions, subqueries included.
fn column_names(e: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    let _ = sqlparser::ast::visit_expressions(e, |x| {
        match x {
            Expr::Identifier(id) => out.push(folded(id)),
            Expr::CompoundIdentifier(ids) => {
                if let Some(last) = ids.last() {
                    out.push(folded(last));
                }
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    out
}

fn contains_subquery(e: &Expr) -> bool {
    let found = sqlparser::ast::visit_expressions(e, |x| {
        if matches!(
            x,
            Expr::Subquery(_) | Expr::Exists { .. } | Expr::InSubquery { .. }
        ) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    found.is_break()
}

/// Whether Polars' `[NOT] EXISTS`/`IN` decorrelation accepts the subquery's shape (polars-sql
/// 0.55 `eligible_subquery_select`): a plain `SELECT … FROM one relation (joins allowed)
/// WHERE …`, no `WITH`, `LIMIT`, `GROUP BY`, `HAVING`, `DISTINCT ON`.
fn decorrelatable(q: &Query) -> bool {
    if q.with.is_some() || q.limit_clause.is_some() || q.fetch.is_some() {
        return false;
    }
    let SetExpr::Select(s) = q.body.as_ref() else {
        return false;
    };
    let no_group = matches!(&s.group_by,
        sqlparser::ast::GroupByExpr::Expressions(e, m) if e.is_empty() && m.is_empty());
    s.from.len() == 1
        && no_group
        && s.having.is_none()
        && !matches!(s.distinct, Some(sqlparser::ast::Distinct::On(_)))
}

fn null_expr() -> Expr {
    Expr::Value(Value::Null.into())
}

fn take(b: &mut Expr) -> Expr {
    std::mem::replace(b, null_expr())
}

fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: ObjectName::from(vec![Ident::new(name)]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|a| FunctionArg::Unnamed(FunctionArgExpr::Expr(a)))
                .collect(),
            clauses: Vec::new(),
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: Vec::new(),
    })
}

fn string_literal(e: &Expr) -> Option<&str> {
    match e {
        Expr::Value(ValueWithSpan {
            value: Value::SingleQuotedString(s),
            ..
        }) => Some(s),
        _ => None,
    }
}

/// A date for Polars: `DATE('2026-11-20', '%Y-%m-%d')` parses the string as a date (a typed
/// `DATE '…'` literal would be a deprecated string-to-date cast that prints a warning).
fn date_literal(s: &str) -> Expr {
    call(
        "DATE",
        vec![
            Expr::Value(Value::SingleQuotedString(s.to_owned()).into()),
            Expr::Value(Value::SingleQuotedString("%Y-%m-%d".to_owned()).into()),
        ],
    )
}

/// Rewrites a literal compared with an expression of type `other` the way SQLite's affinity
/// would read it; `false` when the literal cannot be (then the caller may cast the other side).
fn coerce_literal(lit: &mut Expr, other: Ty) -> bool {
    match (other, &*lit) {
        (Ty::Date, _) => match string_literal(lit) {
            Some(s) if is_iso_date(s) => {
                *lit = date_literal(s);
                true
            }
            Some(_) => false,
            None => true,
        },
        (Ty::Int | Ty::Float, _) => {
            if let Some(s) = string_literal(lit) {
                let t = s.trim();
                if t.parse::<i64>().is_ok() || t.parse::<f64>().is_ok_and(f64::is_finite) {
                    *lit = Expr::Value(Value::Number(t.to_owned(), false).into());
                }
            } else if let Expr::Value(ValueWithSpan {
                value: Value::Boolean(b),
                ..
            }) = lit
            {
                *lit = number(usize::from(*b));
            }
            true
        }
        (
            Ty::Text,
            Expr::Value(ValueWithSpan {
                value: Value::Number(n, _),
                ..
            }),
        ) => {
            *lit = Expr::Value(Value::SingleQuotedString(n.clone()).into());
            true
        }
        _ => true,
    }
}

fn cast_to_text(e: &mut Expr) {
    let inner = take(e);
    *e = Expr::Cast {
        kind: sqlparser::ast::CastKind::Cast,
        expr: Box::new(inner),
        data_type: DataType::Varchar(None),
        array: false,
        format: None,
    };
}

fn coerce_pair(a: &mut Expr, b: &mut Expr, ta: Ty, tb: Ty) {
    if ta == Ty::Date && string_literal(b).is_some() {
        if !coerce_literal(b, Ty::Date) {
            cast_to_text(a);
        }
    } else if tb == Ty::Date && string_literal(a).is_some() {
        if !coerce_literal(a, Ty::Date) {
            cast_to_text(b);
        }
    } else if is_literal(b) {
        coerce_literal(b, ta);
    } else if is_literal(a) {
        coerce_literal(a, tb);
    }
}

fn coerce_many(subject: &mut Expr, t: Ty, items: Vec<&mut Expr>, in_list: bool) {
    let non_iso = |e: &Expr| string_literal(e).is_some_and(|s| !is_iso_date(s));
    if t == Ty::Date && items.iter().any(|i| non_iso(i)) {
        // SQLite compares the text: so do we, with every literal left a string.
        cast_to_text(subject);
        return;
    }
    for item in items {
        // Polars reads ISO strings in an `IN` list against a date column itself (and takes
        // only literals there).
        if is_literal(item) && !(in_list && t == Ty::Date) {
            coerce_literal(item, t);
        }
    }
}

fn is_literal(e: &Expr) -> bool {
    matches!(e, Expr::Value(_))
}
