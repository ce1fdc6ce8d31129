//! The analyst console's answer as it crosses the wire (`/api/ask` events, server functions).

use serde::{Deserialize, Serialize};

/// One value of a result table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Num(f64),
    Text(String),
}

impl Cell {
    /// The value the Vietnamese way: 1.234.567, 84,25, "—" for nothing.
    pub fn display(&self) -> String {
        match self {
            Cell::Null => "—".into(),
            Cell::Bool(true) => "có".into(),
            Cell::Bool(false) => "không".into(),
            Cell::Int(i) => crate::text::format_int(*i),
            Cell::Num(x) if x.fract() == 0.0 && x.abs() < 9.0e15 =>
            {
                #[allow(clippy::cast_possible_truncation)]
                crate::text::format_int(*x as i64)
            }
            Cell::Num(x) => crate::text::format_decimal(*x, 2),
            Cell::Text(s) => s.clone(),
        }
    }

    /// Whether the value is a number (right-aligned in tables).
    pub fn is_number(&self) -> bool {
        matches!(self, Cell::Int(_) | Cell::Num(_))
    }

    /// The value as a CSV field: numbers unformatted (so spreadsheets read them).
    pub fn raw(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Bool(b) => b.to_string(),
            Cell::Int(i) => i.to_string(),
            Cell::Num(x) => x.to_string(),
            Cell::Text(s) => s.clone(),
        }
    }
}

/// The answer to one question (or to SQL the analyst edited), ready to show.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AskReply {
    /// `query`, `task` or `refuse`.
    pub kind: String,
    /// The question asked (empty for edited SQL).
    pub question: String,
    /// The SQL as executed (after the guard), when something ran.
    pub sql: Option<String>,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// The Vietnamese sentence built from the rows, or why nothing was answered.
    pub answer: String,
    /// Machine reason of a refusal (`injection`, `not_in_schema`, `not_loaded`, …).
    pub reason: Option<String>,
    /// Questions to try instead, for a refusal.
    pub suggestions: Vec<String>,
    /// The plan line the model wrote.
    pub plan: Option<String>,
    /// `number`, `bar`, `line` or `table`.
    pub chart: Option<String>,
    /// The chart drawn on the server (SVG), for bars and lines.
    pub chart_svg: Option<String>,
    /// The task draft, pretty-printed, for a command.
    pub task: Option<String>,
    /// The same draft as the confirmation form edits it.
    #[serde(default)]
    pub draft: Option<super::tasks::Draft>,
    /// The data's as-of date (ISO).
    pub as_of: Option<String>,
    /// Time to answer, in milliseconds.
    pub ms: u64,
}

impl AskReply {
    /// Whether the answer is a refusal ("không trả lời được").
    pub fn refused(&self) -> bool {
        self.kind == "refuse"
    }
}

/// Body of `POST /api/ask`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AskRequest {
    pub question: String,
    /// The previous question of the conversation, for follow-ups.
    #[serde(default)]
    pub previous: Option<String>,
    /// Narrow to this province (within the session's scope), e.g. from the provincial view.
    #[serde(default)]
    pub tinh: Option<String>,
}

/// Body of `POST /api/ask/sql`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SqlRequest {
    pub sql: String,
    /// The question the SQL answered, for the audit log and the page.
    #[serde(default)]
    pub question: Option<String>,
    /// Narrow to this province (within the session's scope).
    #[serde(default)]
    pub tinh: Option<String>,
}

/// A progress event of `/api/ask` (`event: stage`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    /// `understanding`, `generating` or `running`.
    pub stage: String,
    /// The Vietnamese label.
    pub label: String,
    /// The SQL being run, for `running`.
    pub sql: Option<String>,
}
