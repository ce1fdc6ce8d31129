//! The append-only audit log: who did what, from where, with what outcome.
//!
//! One entry point, [`record`], used by the auth layer (logins — also failed ones —, logouts,
//! password changes, refused requests), the command line (admin actions), the question
//! pipeline (each question with its SQL, verdict and row count), CSV exports and task actions.
//! Nothing in the code updates or deletes a row of `audit_log` (a `seed --force` of the demo
//! database wipes every table, this one too). [`list`] pages through it for the `/nhat-ky`
//! page, newest first.

use crate::store::{Arg, Result, Store};
use chrono::{NaiveDate, Utc};
use serde::Serialize;

/// The actions this crate writes; callers elsewhere may add their own short snake_case names.
pub mod action {
    pub const LOGIN: &str = "login";
    pub const LOGOUT: &str = "logout";
    pub const PASSWORD_CHANGE: &str = "password_change";
    pub const KIOSK_OPEN: &str = "kiosk_open";
    pub const ACCESS_DENIED: &str = "access_denied";
    pub const USER_ADD: &str = "user_add";
    pub const USER_RESET_PASSWORD: &str = "user_reset_password";
    pub const KIOSK_TOKEN_CREATE: &str = "kiosk_token_create";
    pub const KIOSK_TOKEN_REVOKE: &str = "kiosk_token_revoke";
    pub const QUESTION: &str = "question";
    pub const EXPORT: &str = "export";
    pub const TASK: &str = "task";
    /// Every action named above, for the filter of the audit page.
    pub const ALL: [&str; 12] = [
        LOGIN,
        LOGOUT,
        PASSWORD_CHANGE,
        KIOSK_OPEN,
        ACCESS_DENIED,
        USER_ADD,
        USER_RESET_PASSWORD,
        KIOSK_TOKEN_CREATE,
        KIOSK_TOKEN_REVOKE,
        QUESTION,
        EXPORT,
        TASK,
    ];
}

/// Outcomes: `ok`, `failed` (wrong password, invalid input), `locked` (throttled), `denied`
/// (no permission), `refused` (the question pipeline would not answer).
pub mod outcome {
    pub const OK: &str = "ok";
    pub const FAILED: &str = "failed";
    pub const LOCKED: &str = "locked";
    pub const DENIED: &str = "denied";
    pub const REFUSED: &str = "refused";
    pub const ALL: [&str; 5] = [OK, FAILED, LOCKED, DENIED, REFUSED];
}

/// One thing to write down.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// The signed-in user, when there is one.
    pub user_id: Option<i64>,
    /// The login of the user, the login typed in a failed attempt, or `cli`.
    pub actor: String,
    /// The client address (IP), empty for the command line.
    pub address: String,
    /// What was done: one of [`action`] or a caller's own short name.
    pub action: String,
    /// Details as JSON (the question and its SQL, the export's filters, …). Never a password.
    pub detail: serde_json::Value,
    /// One of [`outcome`].
    pub outcome: String,
}

impl AuditEntry {
    /// An entry for `action` with `outcome`, by nobody yet, with no details.
    pub fn new(action: &str, outcome: &str) -> AuditEntry {
        AuditEntry {
            user_id: None,
            actor: String::new(),
            address: String::new(),
            action: action.to_owned(),
            detail: serde_json::Value::Null,
            outcome: outcome.to_owned(),
        }
    }

    /// Done by `user`.
    pub fn by(mut self, user: &queries::access::User) -> AuditEntry {
        self.user_id = Some(user.id);
        self.actor.clone_from(&user.login);
        self
    }

    /// Done by someone named `actor` (no user id: the command line, a failed login).
    pub fn actor(mut self, actor: &str) -> AuditEntry {
        self.actor = actor.chars().take(100).collect();
        self
    }

    /// From client address `address`.
    pub fn from(mut self, address: &str) -> AuditEntry {
        self.address = address.chars().take(64).collect();
        self
    }

    /// With `detail`; every text in it is clipped to [`MAX_DETAIL_CHARS`] and every list to
    /// [`MAX_DETAIL_ITEMS`], so no request can make the append-only log grow by more than a
    /// bounded amount.
    pub fn detail(mut self, mut detail: serde_json::Value) -> AuditEntry {
        clip(&mut detail);
        self.detail = detail;
        self
    }
}

/// The longest text kept in an entry's detail (the longest edited SQL fits).
pub const MAX_DETAIL_CHARS: usize = 8 * 1024;
/// The most items kept of a list in an entry's detail.
pub const MAX_DETAIL_ITEMS: usize = 100;

/// Clips the texts and lists of `v` in place (see [`AuditEntry::detail`]).
fn clip(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) => {
            if let Some((cut, _)) = s.char_indices().nth(MAX_DETAIL_CHARS) {
                s.truncate(cut);
                s.push('…');
            }
        }
        Value::Array(items) => {
            items.truncate(MAX_DETAIL_ITEMS);
            items.iter_mut().for_each(clip);
        }
        Value::Object(fields) => fields.values_mut().for_each(clip),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Appends `entry` to the log.
///
/// # Errors
/// [`crate::store::Error::Sql`] when the insert fails.
pub async fn record(store: &Store, entry: &AuditEntry) -> Result<()> {
    const SQL: &str =
        "INSERT INTO audit_log (id, at, user_id, action, detail, outcome, actor, address) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    let now = Utc::now();
    let mut suffix = [0u8; 4];
    // A clock tie between two entries is told apart by the random suffix; without randomness
    // the sub-microsecond nanos still differ in practice.
    if getrandom::getrandom(&mut suffix).is_err() {
        suffix = now.timestamp_subsec_nanos().to_be_bytes();
    }
    let id = format!(
        "{:016}-{}",
        now.timestamp_micros().max(0),
        hex::encode(suffix)
    );
    let at = timestamp(now);
    let detail = if entry.detail.is_null() {
        String::new()
    } else {
        entry.detail.to_string()
    };
    store
        .exec(
            SQL,
            &[
                id.into(),
                at.into(),
                entry.user_id.into(),
                (&entry.action).into(),
                detail.into(),
                (&entry.outcome).into(),
                (&entry.actor).into(),
                (&entry.address).into(),
            ],
        )
        .await?;
    Ok(())
}

/// Records `entry`, logging instead of failing: for paths where the action itself must go on
/// (a refused request is refused whether or not its audit row could be written).
pub async fn record_or_log(store: &Store, entry: &AuditEntry) {
    if let Err(e) = record(store, entry).await {
        tracing::error!(error = %e, action = %entry.action, "audit record failed");
    }
}

/// The stored timestamp format: RFC 3339 UTC with microseconds, fixed width so text order is
/// time order.
pub fn timestamp(t: chrono::DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Which entries to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub action: Option<String>,
    pub actor: Option<String>,
    pub outcome: Option<String>,
    /// First day included (UTC).
    pub from: Option<NaiveDate>,
    /// Last day included (UTC).
    pub to: Option<NaiveDate>,
    /// 0-based page.
    pub page: u32,
    pub page_size: u32,
}

/// One stored entry.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Row {
    pub id: String,
    pub at: String,
    pub user_id: Option<i64>,
    pub actor: String,
    pub address: String,
    pub action: String,
    pub detail: String,
    pub outcome: String,
}

/// One page of entries, newest first, and how many match in all.
///
/// # Errors
/// [`crate::store::Error::Sql`] when the query fails.
pub async fn list(store: &Store, f: &Filter) -> Result<(Vec<Row>, i64)> {
    const WHERE: &str = "WHERE ($1 IS NULL OR action = $1) AND ($2 IS NULL OR actor = $2) \
                         AND ($3 IS NULL OR outcome = $3) AND ($4 IS NULL OR at >= $4) \
                         AND ($5 IS NULL OR at < $5)";
    let rows_sql = format!(
        "SELECT id, at, CAST(user_id AS BIGINT) AS user_id, actor, address, action, detail, outcome \
         FROM audit_log {WHERE} ORDER BY id DESC LIMIT $6 OFFSET $7"
    );
    let count_sql = format!("SELECT COUNT(*) FROM audit_log {WHERE}");
    let from = f.from.map(|d| d.format("%Y-%m-%d").to_string());
    let to =
        f.to.and_then(|d| d.succ_opt())
            .map(|d| d.format("%Y-%m-%d").to_string());
    let size = i64::from(f.page_size.clamp(1, 500));
    let offset = i64::from(f.page) * size;
    let filters: [Arg; 5] = [
        (&f.action).into(),
        (&f.actor).into(),
        (&f.outcome).into(),
        from.into(),
        to.into(),
    ];
    let page = [Arg::Int(size), Arg::Int(offset)];
    let rows: Vec<Row> = store
        .all(&rows_sql, &[&filters[..], &page].concat())
        .await?;
    let (total,): (i64,) = store.one(&count_sql, &filters).await?;
    Ok((rows, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_are_clipped() {
        let long = "é".repeat(MAX_DETAIL_CHARS * 8);
        let entry = AuditEntry::new(action::ACCESS_DENIED, outcome::DENIED).detail(
            serde_json::json!({"path": long, "rows": vec![1; MAX_DETAIL_ITEMS * 3], "n": 7}),
        );
        let path = entry.detail["path"].as_str().unwrap();
        assert_eq!(path.chars().count(), MAX_DETAIL_CHARS + 1);
        assert!(path.ends_with('…'));
        assert_eq!(
            entry.detail["rows"].as_array().unwrap().len(),
            MAX_DETAIL_ITEMS
        );
        assert_eq!(entry.detail["n"], 7);
        let short = AuditEntry::new(action::LOGIN, outcome::OK).detail(serde_json::json!("ok"));
        assert_eq!(short.detail, "ok");
    }
}
