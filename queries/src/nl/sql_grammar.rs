//! The grammar of the free SQL the model may write when the plan cannot express a question:
//! one `SELECT` (or `WITH … SELECT`) made only of allow-listed keywords and functions, the
//! canonical tables and columns offered to it, the aliases it declares, numbers, string
//! literals from a given list (linked values and codes), operators and punctuation.
//!
//! [`SqlGrammar`] reads text left to right, a character at a time, into a small [`SqlState`]
//! (the word being typed, the previous token, the parenthesis depth, the declared aliases), so
//! that the decoder only checks each candidate token from the state of the text so far. There
//! is no `;`, no comment (`--`, `/*`), no quoted identifier, no `::` cast and no keyword outside
//! the list (no DDL/DML, `ATTACH`, `PRAGMA`, `UNION`): such text is not a prefix of anything the
//! grammar accepts. It is lexical and shallow on purpose: whether the query means anything is
//! for the guard (`crate::sql::guard`) and the executor, whose error messages drive the repair.

use std::sync::Arc;

use crate::schema::{ColType, Table};
use crate::sql::{ALLOWED_FUNCTIONS, FORBIDDEN_TABLES};

/// SQL keywords the model may write (upper case; matched ignoring ASCII case).
pub const KEYWORDS: &[&str] = &[
    "AND",
    "AS",
    "ASC",
    "BETWEEN",
    "BY",
    "CASE",
    "CAST",
    "CROSS",
    "DATE",
    "DESC",
    "DISTINCT",
    "ELSE",
    "END",
    "EXISTS",
    "FIRST",
    "FROM",
    "GROUP",
    "HAVING",
    "IN",
    "INNER",
    "INTEGER",
    "IS",
    "JOIN",
    "LAST",
    "LEFT",
    "LIKE",
    "LIMIT",
    "NOT",
    "NULL",
    "NULLS",
    "ON",
    "OR",
    "ORDER",
    "OVER",
    "PARTITION",
    "REAL",
    "SELECT",
    "TEXT",
    "THEN",
    "WHEN",
    "WHERE",
    "WITH",
];

/// Keywords after which a query cannot end (an operand or a clause must follow).
const OPEN_KEYWORDS: &[&str] = &[
    "AND",
    "AS",
    "BETWEEN",
    "BY",
    "CASE",
    "CAST",
    "CROSS",
    "DATE",
    "DISTINCT",
    "ELSE",
    "EXISTS",
    "EXTRACT",
    "FROM",
    "GROUP",
    "HAVING",
    "IN",
    "INNER",
    "IS",
    "JOIN",
    "LEFT",
    "LIKE",
    "LIMIT",
    "NOT",
    "NULLS",
    "ON",
    "OR",
    "ORDER",
    "OVER",
    "PARTITION",
    "SELECT",
    "THEN",
    "WHEN",
    "WHERE",
    "WITH",
];

/// Every character the SQL can contain (for the decoder's candidate tokens): no `;`, `"`,
/// backquote, brackets, `:`, `#`, `?`, `@`, `$`, backslash or line break.
pub const ALPHABET: &str =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ .,()*=<>!+-/%|'";

/// The vocabulary of one question's SQL.
#[derive(Debug, Clone)]
pub struct SqlGrammar {
    /// Canonical table names offered (sorted).
    tables: Vec<String>,
    /// Column names of those tables (sorted).
    columns: Vec<String>,
    /// Contents of the string literals allowed (sorted): after an expression that is not a
    /// known column.
    strings: Vec<String>,
    /// The string literals allowed after each column of `columns` (sorted): the dates for a
    /// date column, the column's own codes and values otherwise.
    by_column: Vec<Vec<String>>,
}

/// The string literals a query may contain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Literals {
    /// (column name, value): codes and linked values of a column (`trang_thai` → `xong`).
    pub codes: Vec<(&'static str, String)>,
    /// ISO dates, for the date columns.
    pub dates: Vec<String>,
}

/// The previous complete token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prev {
    Start,
    Keyword(&'static str),
    Table,
    /// A column, an alias or `*`.
    Name,
    /// A short name not declared yet: `.` must follow.
    Qualifier,
    /// A function name: `(` must follow.
    Func,
    Number,
    Str,
    Open,
    Close,
    Comma,
    Dot,
    /// An operator; `!` and `|` wait for their second character.
    Op(char),
}

/// Where a number is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Num {
    Int,
    Dot,
    Frac,
}

/// What is being read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Lexing {
    Between,
    Word(String),
    Number(Num),
    /// A string literal: its content so far and the column it compares with.
    Str(String, Option<usize>),
}

/// The state of a prefix of SQL text (see [`SqlGrammar::advance`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlState {
    lexing: Lexing,
    prev: Prev,
    /// The last character was a space.
    space: bool,
    depth: u32,
    /// Names the query declared (`AS x`, `FROM t x`, `WITH r AS`).
    aliases: Arc<Vec<String>>,
    /// Short names used as qualifiers (`v.` in `SELECT v.ma_tinh … FROM viec_thi_hanh v`)
    /// before being declared: the query is complete only once each is declared.
    pending: Arc<Vec<String>>,
    /// In a `WITH` query, the main `SELECT` has not come yet.
    main_pending: bool,
    /// The column last named (index in the grammar's columns), until a clause or a function
    /// starts: a string literal then compares with it.
    column: Option<usize>,
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort_unstable();
    v.dedup();
    v
}

/// Whether some entry of the sorted `list` starts with `prefix`.
fn has_prefix(list: &[String], prefix: &str) -> bool {
    let at = list.partition_point(|s| s.as_str() < prefix);
    list.get(at).is_some_and(|s| s.starts_with(prefix))
}

fn contains(list: &[String], word: &str) -> bool {
    list.binary_search_by(|s| s.as_str().cmp(word)).is_ok()
}

/// The entry of `list` equal to `word` ignoring ASCII case.
fn find_ci(list: &[&'static str], word: &str) -> Option<&'static str> {
    list.iter().find(|k| k.eq_ignore_ascii_case(word)).copied()
}

/// Whether an entry of `list` starts with `word` ignoring ASCII case.
fn prefix_ci(list: &[&str], word: &str) -> bool {
    list.iter().any(|k| {
        k.len() >= word.len() && k.as_bytes()[..word.len()].eq_ignore_ascii_case(word.as_bytes())
    })
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_fresh_name(word: &str) -> bool {
    !FORBIDDEN_TABLES.contains(&word)
        && word.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && word
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Longest alias that may qualify a column before its declaration.
const QUALIFIER_CHARS: usize = 4;

fn is_qualifier(word: &str) -> bool {
    word.len() <= QUALIFIER_CHARS && is_fresh_name(word)
}

/// Type names a `CAST(… AS …)` may name.
const TYPES: &[&str] = &["DATE", "INTEGER", "REAL", "TEXT"];

impl SqlGrammar {
    /// SQL over `tables` (all their columns), with string literals from `literals` (those
    /// made of [`ALPHABET`] characters without a quote): after a column, only that column's
    /// codes (or the dates, for a date column).
    pub fn new(tables: &[Table], literals: &Literals) -> Self {
        let usable = |s: &String| !s.contains('\'') && s.chars().all(|c| ALPHABET.contains(c));
        let columns = sorted(
            tables
                .iter()
                .flat_map(|t| t.column_names().map(str::to_owned))
                .collect(),
        );
        let dates: Vec<String> = literals
            .dates
            .iter()
            .filter(|d| usable(d))
            .cloned()
            .collect();
        let by_column = columns
            .iter()
            .map(|c| {
                let is_date = tables
                    .iter()
                    .any(|t| t.column(c).is_some_and(|col| col.ty == ColType::Date));
                if is_date {
                    sorted(dates.clone())
                } else {
                    sorted(
                        literals
                            .codes
                            .iter()
                            .filter(|(col, v)| col == c && usable(v))
                            .map(|(_, v)| v.clone())
                            .collect(),
                    )
                }
            })
            .collect();
        let mut strings = dates.clone();
        strings.extend(
            literals
                .codes
                .iter()
                .filter(|(_, v)| usable(v))
                .map(|(_, v)| v.clone()),
        );
        SqlGrammar {
            tables: sorted(tables.iter().map(|t| t.name().to_owned()).collect()),
            columns,
            strings: sorted(strings),
            by_column,
        }
    }

    /// The string literals allowed after `column`'s state (see [`SqlState`]).
    fn literals_after(&self, column: Option<usize>) -> &[String] {
        column
            .and_then(|i| self.by_column.get(i))
            .map_or(&self.strings, Vec::as_slice)
    }

    /// Every string literal allowed somewhere.
    pub fn strings(&self) -> &[String] {
        &self.strings
    }

    /// The state before any text.
    pub fn start(&self) -> SqlState {
        SqlState {
            lexing: Lexing::Between,
            prev: Prev::Start,
            space: false,
            depth: 0,
            aliases: Arc::new(Vec::new()),
            pending: Arc::new(Vec::new()),
            main_pending: false,
            column: None,
        }
    }

    /// The state after `piece` follows a text in `state`; `None` when no accepted query starts
    /// with that text.
    pub fn advance(&self, state: &SqlState, piece: &str) -> Option<SqlState> {
        let mut s = state.clone();
        for c in piece.chars() {
            self.step(&mut s, c)?;
        }
        Some(s)
    }

    /// Whether `text` is a prefix of an accepted query.
    pub fn accepts_prefix(&self, text: &str) -> bool {
        self.advance(&self.start(), text).is_some()
    }

    /// Whether `text` is a complete accepted query.
    pub fn accepts(&self, text: &str) -> bool {
        self.advance(&self.start(), text)
            .is_some_and(|s| self.is_complete(&s))
    }

    /// Whether the text read is a complete query.
    pub fn is_complete(&self, state: &SqlState) -> bool {
        let mut s = state.clone();
        if s.space || self.end_token(&mut s).is_none() {
            return false;
        }
        s.depth == 0
            && !s.main_pending
            && s.pending.iter().all(|q| s.aliases.contains(q))
            && match s.prev {
                Prev::Start
                | Prev::Open
                | Prev::Comma
                | Prev::Dot
                | Prev::Op(_)
                | Prev::Func
                | Prev::Qualifier => false,
                Prev::Keyword(k) => !OPEN_KEYWORDS.contains(&k),
                Prev::Table | Prev::Name | Prev::Number | Prev::Str | Prev::Close => true,
            }
    }

    /// Ends the word or number being read (validating it); `None` if it is not acceptable.
    fn end_token(&self, s: &mut SqlState) -> Option<()> {
        match std::mem::replace(&mut s.lexing, Lexing::Between) {
            Lexing::Between => Some(()),
            Lexing::Number(Num::Dot) | Lexing::Str(..) => None,
            Lexing::Number(_) => {
                s.prev = Prev::Number;
                Some(())
            }
            Lexing::Word(w) => {
                s.prev = self.complete_word(s, &w)?;
                match s.prev {
                    Prev::Name => {
                        s.column = self.columns.binary_search_by(|c| c.as_str().cmp(&w)).ok();
                    }
                    Prev::Keyword("IN" | "NOT" | "BETWEEN" | "AND" | "LIKE" | "IS" | "OR") => {}
                    Prev::Keyword(_) | Prev::Func => s.column = None,
                    _ => {}
                }
                Some(())
            }
        }
    }

    /// A name may be declared here: after `AS`, `WITH`, a table name, or a comma between
    /// the CTEs of a `WITH`.
    fn declares(s: &SqlState) -> bool {
        matches!(s.prev, Prev::Keyword("AS" | "WITH") | Prev::Table)
            || (s.prev == Prev::Comma && s.depth == 0 && s.main_pending)
    }

    /// A column or a declared alias.
    fn known(&self, s: &SqlState, w: &str) -> bool {
        contains(&self.columns, w) || s.aliases.iter().any(|a| a == w)
    }

    /// What a complete word is in this position (declaring it if it is a new alias).
    fn complete_word(&self, s: &mut SqlState, w: &str) -> Option<Prev> {
        match s.prev {
            Prev::Start => {
                let k = find_ci(&["SELECT", "WITH"], w)?;
                s.main_pending = k == "WITH";
                Some(Prev::Keyword(k))
            }
            Prev::Dot => self.known(s, w).then_some(Prev::Name),
            Prev::Func => None,
            Prev::Number | Prev::Str => find_ci(KEYWORDS, w)
                .filter(|k| Self::keyword_allowed(s, k))
                .map(Prev::Keyword),
            _ => {
                if let Some(k) = find_ci(KEYWORDS, w) {
                    if !Self::keyword_allowed(s, k) {
                        return None;
                    }
                    if k == "SELECT" && s.prev == Prev::Close {
                        s.main_pending = false;
                    }
                    return Some(Prev::Keyword(k));
                }
                if contains(&self.tables, w) {
                    return Some(Prev::Table);
                }
                if self.known(s, w) {
                    return Some(Prev::Name);
                }
                if Self::declares(s) && is_fresh_name(w) {
                    let mut aliases = (*s.aliases).clone();
                    aliases.push(w.to_owned());
                    s.aliases = Arc::new(aliases);
                    return Some(Prev::Name);
                }
                if find_ci(ALLOWED_FUNCTIONS, w).is_some() {
                    return Some(Prev::Func);
                }
                is_qualifier(w).then(|| {
                    let mut pending = (*s.pending).clone();
                    pending.push(w.to_owned());
                    s.pending = Arc::new(pending);
                    Prev::Qualifier
                })
            }
        }
    }

    /// Whether a word being typed can still become acceptable here.
    /// Whether keyword `k` may come here: `SELECT` opens a subquery or the main query of a
    /// `WITH`, `WITH` only starts the text, and after `AS` only a type name (`CAST(x AS REAL)`).
    fn keyword_allowed(s: &SqlState, k: &str) -> bool {
        match k {
            "SELECT" => {
                s.prev == Prev::Open || (s.prev == Prev::Close && s.depth == 0 && s.main_pending)
            }
            "WITH" => false,
            _ if s.prev == Prev::Keyword("AS") => TYPES.contains(&k),
            _ => true,
        }
    }

    /// Whether a word being typed can still become acceptable here (so that decoding never
    /// reaches a text that no character can continue).
    fn word_prefix_ok(&self, s: &SqlState, w: &str) -> bool {
        let keyword_prefix = || {
            KEYWORDS
                .iter()
                .any(|k| prefix_ci(&[k], w) && Self::keyword_allowed(s, k))
        };
        let column_prefix =
            || has_prefix(&self.columns, w) || s.aliases.iter().any(|a| a.starts_with(w));
        match s.prev {
            Prev::Start => prefix_ci(&["SELECT", "WITH"], w),
            Prev::Dot => column_prefix(),
            Prev::Func => false,
            Prev::Number | Prev::Str => keyword_prefix(),
            _ => {
                keyword_prefix()
                    || has_prefix(&self.tables, w)
                    || column_prefix()
                    || prefix_ci(ALLOWED_FUNCTIONS, w)
                    || (Self::declares(s) && is_fresh_name(w))
                    || is_qualifier(w)
            }
        }
    }

    fn step(&self, s: &mut SqlState, c: char) -> Option<()> {
        match &mut s.lexing {
            Lexing::Str(content, column) => {
                let allowed = self.literals_after(*column);
                if c == '\'' {
                    if !contains(allowed, content) {
                        return None;
                    }
                    s.lexing = Lexing::Between;
                    s.prev = Prev::Str;
                    return Some(());
                }
                content.push(c);
                return has_prefix(allowed, content).then_some(());
            }
            Lexing::Word(w) if is_word_char(c) => {
                w.push(c);
                let w = w.clone();
                return self.word_prefix_ok(s, &w).then_some(());
            }
            Lexing::Number(n) if c.is_ascii_digit() => {
                if *n == Num::Dot {
                    *n = Num::Frac;
                }
                return Some(());
            }
            Lexing::Number(n @ Num::Int) if c == '.' => {
                *n = Num::Dot;
                return Some(());
            }
            Lexing::Number(_) if is_word_char(c) || c == '.' => return None,
            _ => {}
        }
        self.end_token(s)?;
        let prev = s.prev;
        let spaced = s.space;
        if (prev == Prev::Func && c != '(') || (prev == Prev::Qualifier && c != '.') {
            return None;
        }
        // `!` and `|` only as `!=` and `||`.
        if let Prev::Op(p @ ('!' | '|')) = prev {
            let second = if p == '!' { '=' } else { '|' };
            if spaced || c != second {
                return None;
            }
            s.prev = Prev::Op('2');
            return Some(());
        }
        if c == ' ' {
            if spaced || matches!(prev, Prev::Start | Prev::Dot) {
                return None;
            }
            s.space = true;
            return Some(());
        }
        s.space = false;
        let operand_next = matches!(
            prev,
            Prev::Open | Prev::Comma | Prev::Keyword(_) | Prev::Op(_)
        );
        match c {
            '0'..='9' => (prev != Prev::Start).then(|| s.lexing = Lexing::Number(Num::Int)),
            c if is_word_char(c) => {
                let w = c.to_string();
                self.word_prefix_ok(s, &w)
                    .then(|| s.lexing = Lexing::Word(w))
            }
            '\'' => (prev != Prev::Start && !self.literals_after(s.column).is_empty())
                .then(|| s.lexing = Lexing::Str(String::new(), s.column)),
            '(' => matches!(
                prev,
                Prev::Func | Prev::Keyword(_) | Prev::Open | Prev::Comma | Prev::Op(_)
            )
            .then(|| {
                s.depth += 1;
                s.prev = Prev::Open;
            }),
            ')' => {
                (s.depth > 0 && !matches!(prev, Prev::Comma | Prev::Op(_) | Prev::Dot)).then(|| {
                    s.depth -= 1;
                    s.prev = Prev::Close;
                })
            }
            ',' => (!matches!(
                prev,
                Prev::Start | Prev::Open | Prev::Comma | Prev::Dot | Prev::Op(_)
            ))
            .then(|| s.prev = Prev::Comma),
            '.' => (!spaced && matches!(prev, Prev::Name | Prev::Table | Prev::Qualifier))
                .then(|| s.prev = Prev::Dot),
            // `*` as "every column": `COUNT(*)`, `SELECT *`, `t.*`.
            '*' if prev == Prev::Dot || (operand_next && !matches!(prev, Prev::Op(_))) => {
                s.prev = Prev::Name;
                Some(())
            }
            '=' | '<' | '>' | '!' | '+' | '-' | '/' | '*' | '%' | '|' => {
                if matches!(prev, Prev::Start | Prev::Dot) {
                    return None;
                }
                if let Prev::Op(p) = prev {
                    // Glued operators only as `<=` `>=` `<>`; so `--` and `/*` (comments)
                    // cannot be formed.
                    if !spaced {
                        if !matches!((p, c), ('<', '=' | '>') | ('>', '=')) {
                            return None;
                        }
                        s.prev = Prev::Op('2');
                        return Some(());
                    }
                }
                s.prev = Prev::Op(c);
                Some(())
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn grammar() -> SqlGrammar {
        SqlGrammar::new(
            &[Table::ViecThiHanh, Table::Tinh],
            &Literals {
                codes: vec![("trang_thai", "xong".into()), ("ma_tinh", "01".into())],
                dates: vec!["2026-01-01".into()],
            },
        )
    }

    #[test]
    fn accepts_queries_over_known_names() {
        let g = grammar();
        for q in [
            "SELECT COUNT(*) AS so_viec FROM viec_thi_hanh v WHERE v.trang_thai = 'xong'",
            "SELECT t.ten, SUM(v.so_tien_phai_thi_hanh) AS tien FROM viec_thi_hanh v JOIN tinh t ON t.ma_tinh = v.ma_tinh WHERE v.ngay_thu_ly >= '2026-01-01' GROUP BY t.ten ORDER BY tien DESC LIMIT 5",
            "WITH r AS (SELECT ma_tinh, COUNT(*) AS n FROM viec_thi_hanh GROUP BY ma_tinh) SELECT r.n FROM r WHERE r.ma_tinh = '01'",
            "select count(distinct v.loai_an) from viec_thi_hanh as v where v.ma_tinh in ('01') and v.so_tien_da_thi_hanh <> 0",
            "SELECT ROUND(100.0 * SUM(CASE WHEN trang_thai = 'xong' THEN 1 ELSE 0 END) / COUNT(*), 2) FROM viec_thi_hanh",
            "SELECT ma_tinh FROM viec_thi_hanh WHERE ngay_ket_thuc IS NOT NULL AND nam_thong_ke BETWEEN 2025 AND 2026",
        ] {
            let ok = (0..=q.len()).take_while(|i| g.accepts_prefix(&q[..*i])).last();
            assert!(g.accepts(q), "{q}: accepted up to {:?}", ok.map(|i| &q[..i]));
            for i in 0..q.len() {
                assert!(g.accepts_prefix(&q[..i]), "prefix of {q}: {}", &q[..i]);
            }
        }
    }

    #[test]
    fn rejects_what_is_not_one_select_over_known_names() {
        let g = grammar();
        for q in [
            "SELECT * FROM users",
            "SELECT * FROM read_csv('x')",
            "SELECT * FROM viec_thi_hanh; DROP TABLE tinh",
            "DELETE FROM viec_thi_hanh",
            "DROP TABLE tinh",
            "INSERT INTO tinh VALUES (1)",
            "UPDATE tinh SET ten = 'x'",
            "ATTACH DATABASE 'x' AS y",
            "PRAGMA table_info(tinh)",
            "SELECT 1 -- comment",
            "SELECT 1 /* c */",
            "SELECT * FROM tinh WHERE ten = 'Hà Nội'",
            "SELECT * FROM tinh WHERE ma_tinh = '02'",
            "SELECT * FROM tinh WHERE ma_tinh = '01' OR '1'='1'",
            "SELECT \"ten\" FROM tinh",
            "SELECT ten::text FROM tinh",
            "SELECT * FROM tinh UNION SELECT * FROM tinh",
            "SELECT * FROM don_thu",
            "SELECT ten FROM tinh\nSELECT 1",
            " SELECT 1",
            "SELECT  1",
            "SELECT 1)",
            "SELECT SELECT",
            "SELECT sleep(1) FROM tinh",
        ] {
            assert!(!g.accepts(q), "accepted: {q}");
        }
        for q in [
            "SELECT ten FROM tinh WHERE",
            "SELECT (1",
            "SELECT ten FROM tinh t.",
        ] {
            assert!(g.accepts_prefix(q) && !g.accepts(q), "{q}");
        }
    }

    #[test]
    fn string_literals_follow_the_column_they_compare_with() {
        let g = grammar();
        assert!(g.accepts(
            "SELECT 1 FROM tinh t WHERE t.ma_tinh IN ('01') AND ngay_thu_ly >= '2026-01-01'"
        ));
        assert!(g.accepts(
            "SELECT SUM(CASE WHEN trang_thai = 'xong' THEN 1 ELSE 0 END) AS n FROM viec_thi_hanh"
        ));
        assert!(!g.accepts_prefix("SELECT 1 FROM tinh WHERE ma_tinh = 'x"));
        assert!(!g.accepts_prefix("SELECT 1 FROM tinh WHERE ma_tinh = '2026"));
        assert!(!g.accepts_prefix("SELECT 1 FROM viec_thi_hanh WHERE ngay_thu_ly > '01'"));
        assert!(!g.accepts_prefix("SELECT 1 FROM tinh WHERE ten = '"));
    }

    #[test]
    fn keywords_are_offered_only_where_they_can_complete() {
        let g = grammar();
        for dead in [
            "SELECT ten FROM tinh WHERE SELECT",
            "SELECT ten FROM tinh WITH",
            "SELECT COUNT(*) AS FROM",
            "SELECT t.count",
        ] {
            // Refused before the word that cannot complete is fully typed.
            let stuck = (1..=dead.len()).find(|i| !g.accepts_prefix(&dead[..*i]));
            assert!(stuck.is_some_and(|at| at < dead.len()), "{dead}: {stuck:?}");
        }
        assert!(g.accepts("SELECT CAST(COUNT(*) AS REAL) AS n FROM tinh"));
    }

    #[test]
    fn aliases_are_declared_before_use() {
        let g = grammar();
        assert!(g.accepts("SELECT COUNT(*) AS n FROM tinh t ORDER BY n"));
        assert!(!g.accepts_prefix("SELECT n FROM"));
        // A short qualifier may come before its declaration, but must be declared by the end.
        assert!(g.accepts("SELECT t.ten FROM tinh t"));
        assert!(
            g.accepts_prefix("SELECT x.ten FROM tinh t") && !g.accepts("SELECT x.ten FROM tinh t")
        );
        assert!(!g.accepts_prefix("SELECT longname.ten"));
    }

    /// Random texts made of SQL-ish pieces: whatever the grammar accepts contains no masked
    /// token — no `;`, no comment, no keyword outside the list, no unknown name, no string
    /// literal outside the allowed list.
    fn piece() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "SELECT",
            " ",
            "FROM",
            "viec_thi_hanh",
            "tinh",
            "v",
            "t",
            ".",
            "ma_tinh",
            "ten",
            "COUNT",
            "(",
            ")",
            "*",
            ",",
            "=",
            "'01'",
            "'02'",
            "'",
            "xong",
            ";",
            "--",
            "/*",
            "DROP",
            "DELETE",
            "users",
            "read_csv",
            "WHERE",
            "AND",
            "OR",
            "1",
            "2.5",
            "AS",
            "n",
            "UNION",
            "-",
            "/",
            "<",
            ">",
            "!",
            "|",
            "ORDER",
            "BY",
            "GROUP",
            "LIMIT",
            "JOIN",
            "ON",
            "\"",
            "INTO",
            "ATTACH",
            "pragma",
            "sqlite_master",
            "\n",
            "drop",
            "PRAGMA",
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4000, .. ProptestConfig::default() })]
        #[test]
        fn accepted_text_never_holds_a_masked_token(pieces in prop::collection::vec(piece(), 1..24)) {
            let g = grammar();
            let text: String = pieces.concat();
            if g.accepts_prefix(&text) {
                for bad in [";", "--", "/*", "\"", "\n", "'02'"] {
                    prop_assert!(!text.contains(bad), "{}", text);
                }
                let words: Vec<&str> = text
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .collect();
                // Upper-case words can only be keywords; lower-case ones may be declared
                // aliases, but never a forbidden table or a function call.
                for bad in ["DROP", "DELETE", "UNION", "INTO", "ATTACH", "PRAGMA", "users", "sqlite_master"] {
                    prop_assert!(!words.contains(&bad), "{}", text);
                }
                for bad in ["read_csv(", "pragma("] {
                    prop_assert!(!text.contains(bad), "{}", text);
                }
            }
            if g.accepts(&text) {
                let state = g.advance(&g.start(), &text);
                prop_assert!(state.is_some_and(|s| s.depth == 0));
                prop_assert!(upper_starts_query(&text), "{}", text);
            }
        }

        #[test]
        fn reading_in_pieces_equals_reading_at_once(pieces in prop::collection::vec(piece(), 1..16)) {
            let g = grammar();
            let text: String = pieces.concat();
            let whole = g.advance(&g.start(), &text);
            let mut state = Some(g.start());
            for p in &pieces {
                state = state.and_then(|s| g.advance(&s, p));
            }
            prop_assert_eq!(whole, state);
        }
    }

    fn upper_starts_query(text: &str) -> bool {
        let u = text.to_ascii_uppercase();
        u.starts_with("SELECT") || u.starts_with("WITH")
    }
}
