//! Applying a checked batch to the store: one transaction on either backend, events in order,
//! each checked against the rows it touches (the state machine of DOMAIN.md §3 and the
//! invariants of §6) before it writes.
//!
//! Ingest batches are serialised: SQLite takes the write lock up front (`BEGIN IMMEDIATE`),
//! PostgreSQL locks `ingested_events` in `EXCLUSIVE` mode (readers are not blocked). That makes
//! `COALESCE(MAX(id), 0) + 1` ids and receipt numbers safe without sequences.

use super::events::{
    parse_receipt_no, CaseRef, CaseRegistered, ComplaintReceived, ComplaintResolved,
    EnforcementDecision, EnforcementMeasure, Event, LoaiDon, Payment, Rejection, StatusChange,
    StatusTarget, VerificationResult,
};
use crate::feed::{ChangeSet, Position};
use crate::store::{Arg, Backend, Store, WriteTx};
use chrono::{Datelike, NaiveDate};
use queries::schema::{trang_thai as status, Table};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Why applying a batch stopped.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// An event contradicts the stored data; nothing is committed.
    #[error("event {}: {}: {}", .0.index, .0.field, .0.reason)]
    Rejected(Rejection),
    /// The database failed.
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
}

/// What happened to one event of a committed batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Applied now; the keys it created (`ma_viec`, `so_bien_lai`, `don_thu_id`, …).
    Applied(Value),
    /// Already ingested earlier; the keys it created then.
    Duplicate(Value),
}

/// The table PostgreSQL locks to serialise ingest batches (see the module docs).
const SERIALIZED: &str = "ingested_events";

/// The sum of every case's amount due, as a float (which cannot overflow whatever is stored)
/// saturated into `i64`.
async fn amount_total(tx: &mut WriteTx) -> Result<i64, sqlx::Error> {
    let sql = match tx.backend() {
        Backend::Sqlite => "SELECT TOTAL(so_tien_phai_thi_hanh) FROM viec_thi_hanh",
        Backend::Postgres => {
            "SELECT CAST(COALESCE(SUM(so_tien_phai_thi_hanh), 0) AS DOUBLE PRECISION) \
             FROM viec_thi_hanh"
        }
    };
    let total = tx.scalar::<f64>(sql, &[]).await?.unwrap_or(0.0);
    // `as` saturates: a total beyond i64 reads as i64::MAX, over the ceiling.
    Ok(total as i64)
}

/// A case as the checks need it.
struct Case {
    id: i64,
    ma_viec: String,
    don_vi_id: i64,
    ma_tinh: String,
    trang_thai: String,
    so_tien_phai: i64,
    so_tien_da: i64,
    ngay_thu_ly: NaiveDate,
    ngay_ra_quyet_dinh: Option<NaiveDate>,
    /// Latest of every date already recorded on the case (decisions, verification, receipts).
    latest: NaiveDate,
}

type CaseTuple = (
    i64,
    String,
    i64,
    String,
    String,
    i64,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

const CASE_SQL: &str = "SELECT CAST(v.id AS BIGINT), v.ma_viec, CAST(v.don_vi_id AS BIGINT), \
    v.ma_tinh, v.trang_thai, CAST(v.so_tien_phai_thi_hanh AS BIGINT), \
    CAST(v.so_tien_da_thi_hanh AS BIGINT), CAST(v.ngay_thu_ly AS TEXT), \
    CAST(v.ngay_ra_quyet_dinh AS TEXT), CAST(v.ngay_xac_minh AS TEXT), \
    (SELECT CAST(MAX(q.ngay_ky) AS TEXT) FROM quyet_dinh q WHERE q.viec_id = v.id), \
    (SELECT CAST(MAX(b.ngay_thu) AS TEXT) FROM bien_lai b WHERE b.viec_id = v.id) \
    FROM viec_thi_hanh v WHERE ";

/// A unit by its code.
type Unit = (i64, String, Option<String>);

/// Parses a stored date (`YYYY-MM-DD`, possibly followed by a time on SQLite).
fn stored_date(s: &str) -> Result<NaiveDate, sqlx::Error> {
    NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d")
        .map_err(|e| sqlx::Error::Decode(format!("stored date {s:?}: {e}").into()))
}

fn opt_date(s: Option<String>) -> Result<Option<NaiveDate>, sqlx::Error> {
    s.as_deref().map(stored_date).transpose()
}

/// The statistical year of a date (1 Oct – 30 Sep, named by its end year).
pub fn nam_thong_ke(d: NaiveDate) -> i32 {
    if d.month() >= 10 {
        d.year() + 1
    } else {
        d.year()
    }
}

/// Applies batches: one transaction, ids allocated as it goes, every change recorded.
struct Applier {
    tx: WriteTx,
    next_ids: HashMap<Table, i64>,
    changes: ChangeSet,
    received_at: String,
    /// The sum of every case's amount due, read once per batch when a case is registered and
    /// kept with checked arithmetic (see [`MAX_TOTAL_AMOUNT`]).
    amount_total: Option<i64>,
}

/// The most the amounts due of all cases together may reach (10^18 đồng, 10^5 times the
/// country's yearly caseload). Receipts never exceed a case's amount due, so every sum of money
/// a query or a KPI can take over the stored data — totals, collected, remaining — stays below
/// it, nine times under the `BIGINT` limit: no sum overflows, on SQLite, PostgreSQL or Polars.
pub const MAX_TOTAL_AMOUNT: i64 = 1_000_000_000_000_000_000;

/// Applies `events` (already parsed and checked) in one transaction, with their change set
/// in the change log, and commits; returns each event's outcome and the batch's log position
/// (`None` when it changed nothing, e.g. all duplicates).
///
/// # Errors
/// [`ApplyError::Rejected`] naming the first event that contradicts the data, or
/// [`ApplyError::Sql`]; in both cases the transaction is rolled back and nothing is stored.
pub async fn apply_batch(
    store: &Store,
    events: &[Event],
) -> Result<(Vec<Outcome>, Option<Position>), ApplyError> {
    let mut applier = Applier {
        tx: store.write_tx(Some(SERIALIZED)).await?,
        next_ids: HashMap::new(),
        changes: ChangeSet::default(),
        received_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        amount_total: None,
    };
    let mut outcomes = Vec::with_capacity(events.len());
    for (index, event) in events.iter().enumerate() {
        let outcome = applier
            .event(index, event)
            .await
            .map_err(|e| constraint_to_rejection(index, e))?;
        outcomes.push(outcome);
    }
    let Applier { tx, changes, .. } = applier;
    let position = tx.commit_with(&changes).await?;
    Ok((outcomes, position))
}

/// A constraint the checks missed is still the event's fault: report it as a 422.
fn constraint_to_rejection(index: usize, e: ApplyError) -> ApplyError {
    match e {
        ApplyError::Sql(sqlx::Error::Database(db))
            if matches!(
                db.kind(),
                sqlx::error::ErrorKind::CheckViolation
                    | sqlx::error::ErrorKind::UniqueViolation
                    | sqlx::error::ErrorKind::ForeignKeyViolation
                    | sqlx::error::ErrorKind::NotNullViolation
            ) =>
        {
            ApplyError::Rejected(Rejection::new(
                index,
                "",
                format!("vi phạm ràng buộc dữ liệu: {}", db.message()),
            ))
        }
        other => other,
    }
}

fn reject(index: usize, field: &str, reason: impl Into<String>) -> ApplyError {
    ApplyError::Rejected(Rejection::new(index, field, reason))
}

/// The field that named the case in the event.
fn ref_field(r: &CaseRef) -> &'static str {
    match r {
        CaseRef::Ma(_) => "ma_viec",
        CaseRef::Id(_) => "viec_id",
    }
}

impl Applier {
    async fn event(&mut self, index: usize, event: &Event) -> Result<Outcome, ApplyError> {
        let body = serde_json::to_value(event)
            .map_err(|e| sqlx::Error::Protocol(format!("serialise event: {e}")))?;
        let stored = self
            .tx
            .scalar::<String>(
                "SELECT payload FROM ingested_events WHERE event_id = $1",
                &[Arg::Text(event.id().to_string())],
            )
            .await?;
        if let Some(payload) = stored {
            let previous: Value = serde_json::from_str(&payload).unwrap_or(Value::Null);
            if previous.get("event") == Some(&body) {
                let result = previous.get("result").cloned().unwrap_or(json!({}));
                return Ok(Outcome::Duplicate(result));
            }
            return Err(reject(
                index,
                "id",
                format!(
                    "mã sự kiện {:?} đã được dùng cho một sự kiện có nội dung khác",
                    event.id()
                ),
            ));
        }
        let result = match event {
            Event::CaseRegistered(e) => self.case_registered(index, e).await?,
            Event::EnforcementDecision(e) => self.enforcement_decision(index, e).await?,
            Event::VerificationResult(e) => self.verification(index, e).await?,
            Event::StatusChange(e) => self.status_change(index, e).await?,
            Event::EnforcementMeasure(e) => self.measure(index, e).await?,
            Event::Payment(e) => self.payment(index, e).await?,
            Event::ComplaintReceived(e) => self.complaint_received(index, e).await?,
            Event::ComplaintResolved(e) => self.complaint_resolved(index, e).await?,
        };
        let payload = json!({"event": body, "result": result}).to_string();
        self.tx
            .exec(
                "INSERT INTO ingested_events (event_id, kind, received_at, payload) \
                 VALUES ($1, $2, $3, $4)",
                &[
                    Arg::Text(event.id().to_string()),
                    Arg::Text(event.kind().to_string()),
                    Arg::Text(self.received_at.clone()),
                    Arg::Text(payload),
                ],
            )
            .await?;
        Ok(Outcome::Applied(result))
    }

    /// The next free id of `table` (`COALESCE(MAX(id), 0) + 1`, then counted locally).
    async fn next_id(&mut self, table: Table) -> Result<i64, ApplyError> {
        let id = match self.next_ids.get(&table) {
            Some(id) => *id,
            None => {
                let sql = format!(
                    "SELECT CAST(COALESCE(MAX(id), 0) + 1 AS BIGINT) FROM {}",
                    table.name()
                );
                self.tx.scalar::<i64>(&sql, &[]).await?.unwrap_or(1)
            }
        };
        self.next_ids.insert(table, id + 1);
        self.changes.touch(table, id);
        Ok(id)
    }

    async fn unit(&mut self, index: usize, ma: &str) -> Result<Unit, ApplyError> {
        self.tx
            .optional::<Unit>(
                "SELECT CAST(id AS BIGINT), cap, ma_tinh FROM don_vi WHERE ma = $1",
                &[Arg::Text(ma.to_string())],
            )
            .await?
            .ok_or_else(|| reject(index, "don_vi", format!("không có đơn vị mã {ma:?}")))
    }

    async fn case(&mut self, index: usize, r: &CaseRef) -> Result<Case, ApplyError> {
        let (sql, arg) = match r {
            CaseRef::Ma(m) => (format!("{CASE_SQL}v.ma_viec = $1"), Arg::Text(m.clone())),
            CaseRef::Id(i) => (format!("{CASE_SQL}v.id = $1"), Arg::Int(*i)),
        };
        let Some(t) = self.tx.optional::<CaseTuple>(&sql, &[arg]).await? else {
            let what = match r {
                CaseRef::Ma(m) => format!("mã {m:?}"),
                CaseRef::Id(i) => format!("id {i}"),
            };
            return Err(reject(
                index,
                ref_field(r),
                format!("không có việc thi hành án {what}"),
            ));
        };
        let ngay_thu_ly = stored_date(t.7.as_deref().unwrap_or_default())?;
        let ngay_ra_quyet_dinh = opt_date(t.8)?;
        let others = [
            ngay_ra_quyet_dinh,
            opt_date(t.9)?,
            opt_date(t.10)?,
            opt_date(t.11)?,
        ];
        let latest = others
            .into_iter()
            .flatten()
            .fold(ngay_thu_ly, NaiveDate::max);
        Ok(Case {
            id: t.0,
            ma_viec: t.1,
            don_vi_id: t.2,
            ma_tinh: t.3,
            trang_thai: t.4,
            so_tien_phai: t.5,
            so_tien_da: t.6,
            ngay_thu_ly,
            ngay_ra_quyet_dinh,
            latest,
        })
    }

    /// The event's case, which must exist.
    async fn case_of(
        &mut self,
        index: usize,
        event: &Event,
    ) -> Result<(Case, CaseRef), ApplyError> {
        let r = event
            .case_ref()
            .ok_or_else(|| reject(index, "ma_viec", "thiếu mã việc (ma_viec hoặc viec_id)"))?;
        Ok((self.case(index, &r).await?, r))
    }

    /// Checks that an officer exists, is an active chấp hành viên, and serves in `ma_tinh`.
    async fn check_officer(
        &mut self,
        index: usize,
        id: i64,
        ma_tinh: &str,
    ) -> Result<(), ApplyError> {
        let row = self
            .tx
            .optional::<(i64, i64, Option<String>)>(
                "SELECT CAST(c.la_chap_hanh_vien AS BIGINT), CAST(c.dang_cong_tac AS BIGINT), d.ma_tinh \
                 FROM can_bo c JOIN don_vi d ON d.id = c.don_vi_id WHERE c.id = $1",
                &[Arg::Int(id)],
            )
            .await?;
        let field = "chap_hanh_vien_id";
        match row {
            None => Err(reject(index, field, format!("không có cán bộ id {id}"))),
            Some((0, _, _)) => Err(reject(index, field, "cán bộ không phải chấp hành viên")),
            Some((_, 0, _)) => Err(reject(index, field, "cán bộ không còn công tác")),
            Some((_, _, t)) if t.as_deref() != Some(ma_tinh) => Err(reject(
                index,
                field,
                format!("chấp hành viên không thuộc tỉnh {ma_tinh}"),
            )),
            Some(_) => Ok(()),
        }
    }

    fn not_before(
        index: usize,
        field: &str,
        date: NaiveDate,
        floor: NaiveDate,
        what: &str,
    ) -> Result<(), ApplyError> {
        if date < floor {
            return Err(reject(
                index,
                field,
                format!("ngày {date} trước {what} ({floor})"),
            ));
        }
        Ok(())
    }

    async fn insert_decision(
        &mut self,
        viec_id: i64,
        loai: &str,
        so: &str,
        ngay: NaiveDate,
        ky_so: bool,
    ) -> Result<i64, ApplyError> {
        let id = self.next_id(Table::QuyetDinh).await?;
        self.tx
            .exec(
                "INSERT INTO quyet_dinh (id, viec_id, loai, so_quyet_dinh, ngay_ky, ky_so) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    Arg::Int(id),
                    Arg::Int(viec_id),
                    Arg::Text(loai.to_string()),
                    Arg::Text(so.to_string()),
                    Arg::Date(ngay),
                    Arg::Int(i64::from(ky_so)),
                ],
            )
            .await?;
        Ok(id)
    }

    /// Sets the state of a case; `co_dieu_kien` and `ngay_ket_thuc` follow it (§3, §6).
    async fn set_state(
        &mut self,
        case: &Case,
        state: &str,
        ngay: NaiveDate,
    ) -> Result<(), ApplyError> {
        let terminal = status::TERMINAL.contains(&state);
        self.tx
            .exec(
                "UPDATE viec_thi_hanh SET trang_thai = $1, co_dieu_kien = $2, ngay_ket_thuc = $3 \
                 WHERE id = $4",
                &[
                    Arg::Text(state.to_string()),
                    Arg::Int(i64::from(state != status::CHUA_CO_DIEU_KIEN)),
                    Arg::OptDate(terminal.then_some(ngay)),
                    Arg::Int(case.id),
                ],
            )
            .await?;
        self.changes.touch(Table::ViecThiHanh, case.id);
        Ok(())
    }

    async fn case_registered(
        &mut self,
        index: usize,
        e: &CaseRegistered,
    ) -> Result<Value, ApplyError> {
        let (don_vi_id, cap, ma_tinh) = self.unit(index, &e.don_vi).await?;
        let (Some(ma_tinh), true) = (ma_tinh, cap == "tinh" || cap == "khu_vuc") else {
            return Err(reject(
                index,
                "don_vi",
                "việc được thụ lý tại THADS tỉnh hoặc phòng khu vực, không tại Cục",
            ));
        };
        if let Some(chv) = e.chap_hanh_vien_id {
            self.check_officer(index, chv, &ma_tinh).await?;
        }
        let short = e
            .don_vi
            .split_once('-')
            .map_or("TINH", |(_, kv)| kv)
            .to_string();
        let prefix = format!("{ma_tinh}-{short}-");
        let ma_viec = match &e.ma_viec {
            Some(m) => {
                let tail = m.strip_prefix(&prefix).unwrap_or_default();
                let ok = tail.len() == 11
                    && tail.as_bytes().get(4) == Some(&b'-')
                    && tail
                        .bytes()
                        .enumerate()
                        .all(|(i, b)| i == 4 || b.is_ascii_digit());
                if !ok {
                    return Err(reject(
                        index,
                        "ma_viec",
                        format!("mã việc phải có dạng {prefix}<năm>-<6 chữ số>"),
                    ));
                }
                let exists = self
                    .tx
                    .scalar::<i64>(
                        "SELECT CAST(id AS BIGINT) FROM viec_thi_hanh WHERE ma_viec = $1",
                        &[Arg::Text(m.clone())],
                    )
                    .await?;
                if exists.is_some() {
                    return Err(reject(
                        index,
                        "ma_viec",
                        format!("mã việc {m:?} đã tồn tại"),
                    ));
                }
                m.clone()
            }
            None => {
                let prefix = format!("{prefix}{}-", e.ngay_thu_ly.year());
                let max = if self.tx.backend() == Backend::Sqlite {
                    // BINARY order: the UNIQUE index answers the range ('.' follows '-'),
                    // where LIKE would scan every case.
                    let upper = format!("{}.", prefix.trim_end_matches('-'));
                    self.tx
                        .scalar::<String>(
                            "SELECT MAX(ma_viec) FROM viec_thi_hanh \
                             WHERE ma_viec >= $1 AND ma_viec < $2",
                            &[Arg::Text(prefix.clone()), Arg::Text(upper)],
                        )
                        .await?
                } else {
                    // Locale collations may ignore the '-': keep LIKE on PostgreSQL.
                    self.tx
                        .scalar::<String>(
                            "SELECT MAX(ma_viec) FROM viec_thi_hanh WHERE ma_viec LIKE $1",
                            &[Arg::Text(format!("{prefix}%"))],
                        )
                        .await?
                };
                let last: u32 = max
                    .as_deref()
                    .and_then(|m| m.strip_prefix(&prefix))
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                if last >= 999_999 {
                    return Err(reject(index, "ma_viec", "hết số thứ tự việc trong năm"));
                }
                format!("{prefix}{:06}", last + 1)
            }
        };
        let total = match self.amount_total {
            Some(t) => t,
            None => amount_total(&mut self.tx).await?,
        };
        let total = total
            .checked_add(e.so_tien_phai_thi_hanh)
            .filter(|t| *t <= MAX_TOTAL_AMOUNT)
            .ok_or_else(|| {
                reject(
                    index,
                    "so_tien_phai_thi_hanh",
                    format!(
                        "tổng số tiền phải thi hành của mọi việc sẽ vượt {MAX_TOTAL_AMOUNT} đồng; \
                         kiểm tra lại số tiền"
                    ),
                )
            })?;
        self.amount_total = Some(total);
        let id = self.next_id(Table::ViecThiHanh).await?;
        self.tx
            .exec(
                "INSERT INTO viec_thi_hanh (id, ma_viec, don_vi_id, ma_tinh, chap_hanh_vien_id, \
                 loai_an, hinh_thuc, ngay_thu_ly, ngay_ra_quyet_dinh, ngay_xac_minh, co_dieu_kien, \
                 trang_thai, so_tien_phai_thi_hanh, so_tien_da_thi_hanh, ngay_ket_thuc, nam_thong_ke) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, 1, $9, $10, 0, NULL, $11)",
                &[
                    Arg::Int(id),
                    Arg::Text(ma_viec.clone()),
                    Arg::Int(don_vi_id),
                    Arg::Text(ma_tinh),
                    Arg::OptInt(e.chap_hanh_vien_id),
                    Arg::Text(e.loai_an.code().into()),
                    Arg::Text(e.hinh_thuc.code().into()),
                    Arg::Date(e.ngay_thu_ly),
                    Arg::Text(status::CHO_RA_QUYET_DINH.into()),
                    Arg::Int(e.so_tien_phai_thi_hanh),
                    Arg::Int(i64::from(nam_thong_ke(e.ngay_thu_ly))),
                ],
            )
            .await?;
        for (vai_tro, party) in [
            ("phai_thi_hanh", &e.nguoi_phai_thi_hanh),
            ("duoc_thi_hanh", &e.nguoi_duoc_thi_hanh),
        ] {
            let ds = self.next_id(Table::DuongSu).await?;
            self.tx
                .exec(
                    "INSERT INTO duong_su (id, viec_id, vai_tro, loai, ho_ten) VALUES ($1, $2, $3, $4, $5)",
                    &[
                        Arg::Int(ds),
                        Arg::Int(id),
                        Arg::Text(vai_tro.into()),
                        Arg::Text(party.loai.code().into()),
                        Arg::Text(party.ho_ten.clone()),
                    ],
                )
                .await?;
        }
        Ok(json!({"viec_id": id, "ma_viec": ma_viec}))
    }

    async fn enforcement_decision(
        &mut self,
        index: usize,
        e: &EnforcementDecision,
    ) -> Result<Value, ApplyError> {
        let (case, r) = self
            .case_of(index, &Event::EnforcementDecision(e.clone()))
            .await?;
        if case.trang_thai != status::CHO_RA_QUYET_DINH {
            return Err(reject(
                index,
                ref_field(&r),
                format!(
                    "việc {} đang ở trạng thái {}; QĐ THA chỉ ra khi việc chờ ra quyết định",
                    case.ma_viec, case.trang_thai
                ),
            ));
        }
        Self::not_before(
            index,
            "ngay_ky",
            e.ngay_ky,
            case.latest,
            "ngày thụ lý/quyết định trước của việc",
        )?;
        if let Some(chv) = e.chap_hanh_vien_id {
            self.check_officer(index, chv, &case.ma_tinh).await?;
        }
        let qd = self
            .insert_decision(case.id, "thi_hanh_an", &e.so_quyet_dinh, e.ngay_ky, e.ky_so)
            .await?;
        self.tx
            .exec(
                "UPDATE viec_thi_hanh SET ngay_ra_quyet_dinh = $1, \
                 chap_hanh_vien_id = COALESCE($2, chap_hanh_vien_id) WHERE id = $3",
                &[
                    Arg::Date(e.ngay_ky),
                    Arg::OptInt(e.chap_hanh_vien_id),
                    Arg::Int(case.id),
                ],
            )
            .await?;
        self.set_state(&case, status::DANG_THI_HANH, e.ngay_ky)
            .await?;
        Ok(json!({"viec_id": case.id, "quyet_dinh_id": qd}))
    }

    async fn verification(
        &mut self,
        index: usize,
        e: &VerificationResult,
    ) -> Result<Value, ApplyError> {
        let (case, r) = self
            .case_of(index, &Event::VerificationResult(e.clone()))
            .await?;
        let running = case.trang_thai == status::DANG_THI_HANH;
        if !running && case.trang_thai != status::CHUA_CO_DIEU_KIEN {
            return Err(reject(
                index,
                ref_field(&r),
                format!(
                    "việc {} đang ở trạng thái {}; chỉ xác minh việc đang thi hành hoặc chưa có điều kiện",
                    case.ma_viec, case.trang_thai
                ),
            ));
        }
        Self::not_before(
            index,
            "ngay_xac_minh",
            e.ngay_xac_minh,
            case.latest,
            "ngày quyết định/xác minh trước của việc",
        )?;
        let needs_decision = running && !e.co_dieu_kien;
        if needs_decision && e.so_quyet_dinh.is_none() {
            return Err(reject(
                index,
                "so_quyet_dinh",
                "xác minh chưa có điều kiện cần số quyết định về việc chưa có điều kiện thi hành",
            ));
        }
        let mut qd = None;
        if let Some(so) = &e.so_quyet_dinh {
            let loai = if needs_decision {
                "chua_co_dieu_kien"
            } else {
                "khac"
            };
            qd = Some(
                self.insert_decision(case.id, loai, so, e.ngay_xac_minh, e.ky_so)
                    .await?,
            );
        }
        self.tx
            .exec(
                "UPDATE viec_thi_hanh SET ngay_xac_minh = $1 WHERE id = $2",
                &[Arg::Date(e.ngay_xac_minh), Arg::Int(case.id)],
            )
            .await?;
        let state = if e.co_dieu_kien {
            status::DANG_THI_HANH
        } else {
            status::CHUA_CO_DIEU_KIEN
        };
        self.set_state(&case, state, e.ngay_xac_minh).await?;
        Ok(json!({"viec_id": case.id, "quyet_dinh_id": qd, "trang_thai": state}))
    }

    async fn status_change(&mut self, index: usize, e: &StatusChange) -> Result<Value, ApplyError> {
        let (case, _) = self.case_of(index, &Event::StatusChange(e.clone())).await?;
        let from = case.trang_thai.as_str();
        let open = !status::TERMINAL.contains(&from);
        let (allowed, to, rule) = match e.trang_thai {
            StatusTarget::Hoan => (
                from == status::DANG_THI_HANH,
                status::HOAN,
                "hoãn chỉ từ trạng thái dang_thi_hanh",
            ),
            StatusTarget::TamDinhChi => (
                from == status::DANG_THI_HANH,
                status::TAM_DINH_CHI,
                "tạm đình chỉ chỉ từ trạng thái dang_thi_hanh",
            ),
            StatusTarget::TiepTuc => (
                from == status::HOAN || from == status::TAM_DINH_CHI,
                status::DANG_THI_HANH,
                "tiếp tục chỉ từ trạng thái hoan hoặc tam_dinh_chi",
            ),
            StatusTarget::DinhChi => (
                open,
                status::DINH_CHI,
                "đình chỉ chỉ với việc chưa kết thúc",
            ),
            StatusTarget::UyThac => (open, status::UY_THAC, "ủy thác chỉ với việc chưa kết thúc"),
            StatusTarget::Xong => (
                from == status::DANG_THI_HANH,
                status::XONG,
                "thi hành xong chỉ từ trạng thái dang_thi_hanh",
            ),
        };
        if !allowed {
            return Err(reject(
                index,
                "trang_thai",
                format!(
                    "không thể chuyển việc {} từ {from} sang {}: {rule}",
                    case.ma_viec,
                    e.trang_thai.code()
                ),
            ));
        }
        if e.trang_thai == StatusTarget::Xong && case.so_tien_da < case.so_tien_phai {
            return Err(reject(
                index,
                "trang_thai",
                format!(
                    "việc {} chưa thu đủ tiền ({} / {} đồng), chưa thể thi hành xong",
                    case.ma_viec, case.so_tien_da, case.so_tien_phai
                ),
            ));
        }
        Self::not_before(
            index,
            "ngay",
            e.ngay,
            case.latest,
            "ngày gần nhất đã ghi của việc",
        )?;
        let mut qd = None;
        if let (Some(so), false) = (&e.so_quyet_dinh, e.trang_thai == StatusTarget::Xong) {
            qd = Some(
                self.insert_decision(case.id, e.trang_thai.code(), so, e.ngay, e.ky_so)
                    .await?,
            );
        }
        self.set_state(&case, to, e.ngay).await?;
        Ok(json!({"viec_id": case.id, "quyet_dinh_id": qd, "trang_thai": to}))
    }

    async fn measure(&mut self, index: usize, e: &EnforcementMeasure) -> Result<Value, ApplyError> {
        let (case, r) = self
            .case_of(index, &Event::EnforcementMeasure(e.clone()))
            .await?;
        if case.trang_thai != status::DANG_THI_HANH {
            return Err(reject(
                index,
                ref_field(&r),
                format!(
                    "việc {} đang ở trạng thái {}; biện pháp chỉ áp dụng cho việc đang thi hành",
                    case.ma_viec, case.trang_thai
                ),
            ));
        }
        let floor = case.ngay_ra_quyet_dinh.unwrap_or(case.ngay_thu_ly);
        Self::not_before(
            index,
            "ngay_thuc_hien",
            e.ngay_thuc_hien,
            floor,
            "ngày ra QĐ THA",
        )?;
        let id = self.next_id(Table::BienPhapCuongChe).await?;
        self.tx
            .exec(
                "INSERT INTO bien_phap_cuong_che (id, viec_id, nhom, loai, ngay_thuc_hien) \
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    Arg::Int(id),
                    Arg::Int(case.id),
                    Arg::Text(e.nhom.code().into()),
                    Arg::Text(e.loai.code().into()),
                    Arg::Date(e.ngay_thuc_hien),
                ],
            )
            .await?;
        let mut qd = None;
        if let Some(so) = &e.so_quyet_dinh {
            qd = Some(
                self.insert_decision(case.id, "cuong_che", so, e.ngay_thuc_hien, e.ky_so)
                    .await?,
            );
        }
        Ok(json!({"viec_id": case.id, "bien_phap_id": id, "quyet_dinh_id": qd}))
    }

    async fn payment(&mut self, index: usize, e: &Payment) -> Result<Value, ApplyError> {
        let (case, r) = self.case_of(index, &Event::Payment(e.clone())).await?;
        if case.trang_thai != status::DANG_THI_HANH {
            return Err(reject(
                index,
                ref_field(&r),
                format!(
                    "việc {} đang ở trạng thái {}; chỉ thu tiền với việc đang thi hành",
                    case.ma_viec, case.trang_thai
                ),
            ));
        }
        let floor = case.ngay_ra_quyet_dinh.unwrap_or(case.ngay_thu_ly);
        Self::not_before(index, "ngay_thu", e.ngay_thu, floor, "ngày ra QĐ THA")?;
        let remaining = case.so_tien_phai - case.so_tien_da;
        if e.so_tien > remaining {
            return Err(reject(
                index,
                "so_tien",
                format!(
                    "vượt số tiền còn phải thi hành của việc {} (còn {remaining} đồng)",
                    case.ma_viec
                ),
            ));
        }
        let year = e.ngay_thu.year();
        let so_bien_lai = match &e.so_bien_lai {
            Some(no) => {
                if parse_receipt_no(no).map(|p| p.0) != Some(case.ma_tinh.as_str()) {
                    return Err(reject(
                        index,
                        "so_bien_lai",
                        format!(
                            "số biên lai phải thuộc tỉnh của việc (BL{}-…)",
                            case.ma_tinh
                        ),
                    ));
                }
                let exists = self
                    .tx
                    .scalar::<i64>(
                        "SELECT CAST(id AS BIGINT) FROM bien_lai WHERE so_bien_lai = $1",
                        &[Arg::Text(no.clone())],
                    )
                    .await?;
                if exists.is_some() {
                    return Err(reject(
                        index,
                        "so_bien_lai",
                        format!("số biên lai {no} đã tồn tại"),
                    ));
                }
                no.clone()
            }
            None => {
                let prefix = format!("BL{}-{year}-", case.ma_tinh);
                let max = self
                    .tx
                    .scalar::<String>(
                        "SELECT MAX(so_bien_lai) FROM bien_lai WHERE so_bien_lai LIKE $1",
                        &[Arg::Text(format!("{prefix}%"))],
                    )
                    .await?;
                let last = max.as_deref().and_then(parse_receipt_no).map_or(0, |p| p.2);
                if last >= 9_999_999 {
                    return Err(reject(index, "so_bien_lai", "hết số biên lai trong năm"));
                }
                format!("{prefix}{:07}", last + 1)
            }
        };
        let id = self.next_id(Table::BienLai).await?;
        self.tx
            .exec(
                "INSERT INTO bien_lai (id, so_bien_lai, don_vi_id, ma_tinh, viec_id, ngay_thu, so_tien, \
                 dien_tu, kenh_gui, ky_so, trang_thai) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'hop_le')",
                &[
                    Arg::Int(id),
                    Arg::Text(so_bien_lai.clone()),
                    Arg::Int(case.don_vi_id),
                    Arg::Text(case.ma_tinh.clone()),
                    Arg::Int(case.id),
                    Arg::Date(e.ngay_thu),
                    Arg::Int(e.so_tien),
                    Arg::Int(i64::from(e.dien_tu)),
                    Arg::Text(e.kenh_gui.code().into()),
                    Arg::Int(i64::from(e.ky_so)),
                ],
            )
            .await?;
        self.tx
            .exec(
                "UPDATE viec_thi_hanh SET so_tien_da_thi_hanh = so_tien_da_thi_hanh + $1 WHERE id = $2",
                &[Arg::Int(e.so_tien), Arg::Int(case.id)],
            )
            .await?;
        self.changes.touch(Table::ViecThiHanh, case.id);
        Ok(json!({"viec_id": case.id, "bien_lai_id": id, "so_bien_lai": so_bien_lai}))
    }

    async fn complaint_received(
        &mut self,
        index: usize,
        e: &ComplaintReceived,
    ) -> Result<Value, ApplyError> {
        let (don_vi_id, cap, ma_tinh) = self.unit(index, &e.don_vi).await?;
        let mut viec_id = None;
        if let Some(r) = Event::ComplaintReceived(e.clone()).case_ref() {
            let case = self.case(index, &r).await?;
            if cap != "cuc" && ma_tinh.as_deref() != Some(case.ma_tinh.as_str()) {
                return Err(reject(
                    index,
                    "don_vi",
                    format!(
                        "đơn về việc {} (tỉnh {}) phải do THADS tỉnh đó hoặc Cục giải quyết",
                        case.ma_viec, case.ma_tinh
                    ),
                ));
            }
            Self::not_before(
                index,
                "ngay_nhan",
                e.ngay_nhan,
                case.ngay_thu_ly,
                "ngày thụ lý việc",
            )?;
            viec_id = Some(case.id);
        }
        let han = e
            .han_giai_quyet
            .unwrap_or(e.ngay_nhan + chrono::Days::new(e.loai.han_ngay().unsigned_abs()));
        let id = self.next_id(Table::DonThu).await?;
        self.tx
            .exec(
                "INSERT INTO don_thu (id, don_vi_id, ma_tinh, viec_id, loai, kenh, ngay_nhan, \
                 han_giai_quyet, ngay_giai_quyet, trang_thai, ket_qua) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, 'moi', NULL)",
                &[
                    Arg::Int(id),
                    Arg::Int(don_vi_id),
                    Arg::OptText(ma_tinh),
                    Arg::OptInt(viec_id),
                    Arg::Text(e.loai.code().into()),
                    Arg::Text(e.kenh.code().into()),
                    Arg::Date(e.ngay_nhan),
                    Arg::Date(han),
                ],
            )
            .await?;
        Ok(json!({"don_thu_id": id, "han_giai_quyet": han}))
    }

    async fn complaint_resolved(
        &mut self,
        index: usize,
        e: &ComplaintResolved,
    ) -> Result<Value, ApplyError> {
        let id = match (&e.complaint_event_id, e.don_thu_id) {
            (_, Some(id)) => id,
            (Some(ev), None) => {
                let payload = self
                    .tx
                    .optional::<(String, String)>(
                        "SELECT kind, payload FROM ingested_events WHERE event_id = $1",
                        &[Arg::Text(ev.clone())],
                    )
                    .await?;
                let found = payload
                    .filter(|(kind, _)| kind == "complaint_received")
                    .and_then(|(_, p)| serde_json::from_str::<Value>(&p).ok())
                    .and_then(|p| p["result"]["don_thu_id"].as_i64());
                found.ok_or_else(|| {
                    reject(
                        index,
                        "complaint_event_id",
                        format!("không có sự kiện complaint_received mã {ev:?}"),
                    )
                })?
            }
            (None, None) => {
                return Err(reject(
                    index,
                    "don_thu_id",
                    "thiếu don_thu_id hoặc complaint_event_id",
                ))
            }
        };
        let field = if e.don_thu_id.is_some() {
            "don_thu_id"
        } else {
            "complaint_event_id"
        };
        let row = self
            .tx
            .optional::<(String, String, String)>(
                "SELECT loai, trang_thai, CAST(ngay_nhan AS TEXT) FROM don_thu WHERE id = $1",
                &[Arg::Int(id)],
            )
            .await?;
        let Some((loai, trang_thai, ngay_nhan)) = row else {
            return Err(reject(index, field, format!("không có đơn thư id {id}")));
        };
        if trang_thai != "moi" && trang_thai != "dang_giai_quyet" {
            return Err(reject(
                index,
                field,
                format!("đơn thư {id} đang ở trạng thái {trang_thai}, không thể giải quyết"),
            ));
        }
        Self::not_before(
            index,
            "ngay_giai_quyet",
            e.ngay_giai_quyet,
            stored_date(&ngay_nhan)?,
            "ngày nhận đơn",
        )?;
        let kien_nghi = loai == LoaiDon::KienNghi.code();
        match (kien_nghi, e.ket_qua) {
            (true, Some(_)) => {
                return Err(reject(
                    index,
                    "ket_qua",
                    "kiến nghị, phản ánh không có kết quả đúng/sai",
                ))
            }
            (false, None) => {
                return Err(reject(
                    index,
                    "ket_qua",
                    format!("đơn {loai} cần kết quả giải quyết"),
                ))
            }
            _ => {}
        }
        self.tx
            .exec(
                "UPDATE don_thu SET trang_thai = 'da_giai_quyet', ngay_giai_quyet = $1, ket_qua = $2 \
                 WHERE id = $3",
                &[
                    Arg::Date(e.ngay_giai_quyet),
                    Arg::OptText(e.ket_qua.map(|k| k.code().to_string())),
                    Arg::Int(id),
                ],
            )
            .await?;
        self.changes.touch(Table::DonThu, id);
        Ok(json!({"don_thu_id": id}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistical_year_starts_in_october() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        assert_eq!(nam_thong_ke(d(2026, 9, 30)), 2026);
        assert_eq!(nam_thong_ke(d(2026, 10, 1)), 2027);
        assert_eq!(nam_thong_ke(d(2026, 11, 20)), 2027);
    }

    #[test]
    fn stored_dates_parse_with_or_without_time() {
        assert!(stored_date("2026-11-20").is_ok());
        assert!(stored_date("2026-11-20 00:00:00").is_ok());
        assert!(stored_date("20/11/2026").is_err());
    }
}
