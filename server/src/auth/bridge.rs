//! The audit log seen through the app's [`AuditSource`] trait: the `/nhat-ky` page and
//! app-side audit records (exports, questions, tasks).

use crate::audit::{self, action, outcome, AuditEntry};
use crate::store::Store;
use app::auth::ssr::AuditSource;
use app::auth::{AuditItem, AuditPage, AuditQuery};
use app::error::AppError;
use app::ssr::BoxFuture;
use chrono::NaiveDate;
use queries::access::User;

/// [`AuditSource`] over the store.
pub struct StoreAudit {
    pub store: Store,
}

fn date(v: Option<&str>) -> Result<Option<NaiveDate>, AppError> {
    v.map(|s| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| AppError::Invalid(format!("Ngày không hợp lệ: {s} (dùng ngày/tháng/năm)")))
    })
    .transpose()
}

impl AuditSource for StoreAudit {
    fn audit_page(&self, q: AuditQuery) -> BoxFuture<'_, Result<AuditPage, AppError>> {
        Box::pin(async move {
            let filter = audit::Filter {
                action: q.action.clone(),
                actor: q.actor.as_deref().map(super::accounts::normalize_login),
                outcome: q.outcome.clone(),
                from: date(q.from.as_deref())?,
                to: date(q.to.as_deref())?,
                page: q.page.max(1) - 1,
                page_size: AuditQuery::PAGE_SIZE,
            };
            let (rows, total) = audit::list(&self.store, &filter).await.map_err(|e| {
                tracing::error!(error = %e, "audit page");
                AppError::Unavailable
            })?;
            Ok(AuditPage {
                items: rows
                    .into_iter()
                    .map(|r| AuditItem {
                        id: r.id,
                        at: r.at,
                        actor: r.actor,
                        address: r.address,
                        action: r.action,
                        outcome: r.outcome,
                        detail: r.detail,
                    })
                    .collect(),
                total,
                page: q.page.max(1),
                page_size: AuditQuery::PAGE_SIZE,
                actions: action::ALL.iter().map(|s| (*s).to_owned()).collect(),
                outcomes: outcome::ALL.iter().map(|s| (*s).to_owned()).collect(),
            })
        })
    }

    fn record(
        &self,
        user: &User,
        action: &str,
        outcome: &str,
        detail: String,
    ) -> BoxFuture<'_, ()> {
        let detail = if detail.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail))
        };
        let entry = AuditEntry::new(action, outcome).by(user).detail(detail);
        Box::pin(async move { audit::record_or_log(&self.store, &entry).await })
    }
}
