//! Tasks in the store: one `nhiem_vu` row per task with its linked records, its updates, and
//! the board's rows with progress computed from the data. Writes run in one transaction that
//! also appends the change to the change log.

use crate::audit::{self};
use crate::feed::ChangeSet;
use crate::store::{Arg, Store};
use app::wire::tasks::{ProgressForm, TaskNote, TaskRow};
use chrono::NaiveDate;
use queries::schema::Table;
use queries::scope::Reach;
use queries::Scope;
use serde_json::json;

use super::*;

/// The table PostgreSQL locks to serialise task writes (readers are not blocked), so
/// `MAX(id) + 1` ids are safe.
const SERIALIZED: &str = "nhiem_vu";

/// The next task id.
const NEXT_TASK_ID: &str = "SELECT CAST(COALESCE(MAX(id), 0) + 1 AS BIGINT) FROM nhiem_vu";

/// Comma-separated integers for an `IN (…)` list (never user text).
fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// The status column each kind of linked record is tracked by.
fn status_column(table: &str) -> Option<&'static str> {
    match table {
        "viec_thi_hanh" | "don_thu" => Some("trang_thai"),
        "quyet_dinh" => Some("CAST(ky_so AS TEXT)"),
        _ => None,
    }
}

/// Stores `task` in one transaction; returns its id.
///
/// # Errors
/// [`TaskError::Invalid`] for an unknown unit, or the store's error.
pub async fn create(store: &Store, task: &NewTask) -> Result<i64, TaskError> {
    let pham_vi = json!({
        "doi_tuong": task.doi_tuong,
        "mo_ta": task.mo_ta,
        "sql": task.sql,
        "so_ho_so": task.ids.len(),
    })
    .to_string();
    let noi_dung = match &task.mo_ta {
        Some(m) => format!("{}. Phạm vi: {m} ({} hồ sơ).", task.tieu_de, task.ids.len()),
        None => task.tieu_de.clone(),
    };
    let so_luong = task.so_luong.map(i64::from);
    let table = task.doi_tuong.as_deref().unwrap_or("");
    let status = status_column(table);
    let mut tx = store.write_tx(Some(SERIALIZED)).await?;
    let unit = tx
        .scalar::<i64>(
            "SELECT CAST(id AS BIGINT) FROM don_vi WHERE ma = $1",
            &[(&task.don_vi_ma).into()],
        )
        .await?;
    let Some(don_vi_id) = unit else {
        return Err(TaskError::Invalid(format!(
            "Không có đơn vị {}.",
            task.don_vi_ma
        )));
    };
    let id = tx.scalar::<i64>(NEXT_TASK_ID, &[]).await?.unwrap_or(1);
    tx.exec(
        "INSERT INTO nhiem_vu (id, tieu_de, noi_dung, loai_hanh_dong, don_vi_id, nguoi_giao_id, \
         ngay_giao, han_hoan_thanh, trang_thai, tien_do, ngay_hoan_thanh, so_luong, pham_vi, cau_hoi_goc) \
         VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, 'moi', 0, NULL, $8, $9, $10)",
        &[
            id.into(),
            (&task.tieu_de).into(),
            noi_dung.into(),
            (&task.loai_hanh_dong).into(),
            don_vi_id.into(),
            task.ngay_giao.into(),
            task.han_hoan_thanh.into(),
            so_luong.into(),
            pham_vi.into(),
            (&task.cau_hoi_goc).into(),
        ],
    )
    .await?;
    if let Some(status) = status {
        for chunk in task.ids.chunks(500) {
            let list = id_list(chunk);
            // `table` and `status` come from the fixed lists above, the ids are integers.
            tx.exec(
                &format!(
                    "INSERT INTO nhiem_vu_ho_so (nhiem_vu_id, bang, ho_so_id, trang_thai_giao) \
                     SELECT {id}, '{table}', id, {status} FROM {table} WHERE id IN ({list})"
                ),
                &[],
            )
            .await?;
            if table == "viec_thi_hanh" {
                tx.exec(
                    &format!(
                        "INSERT INTO nhiem_vu_viec (nhiem_vu_id, viec_id) \
                         SELECT {id}, id FROM viec_thi_hanh WHERE id IN ({list})"
                    ),
                    &[],
                )
                .await?;
            }
        }
    }
    // `nhiem_vu_viec` has no `id` to re-read by: its frame follows at the next full reload (no
    // KPI reads it).
    tx.commit_with(&ChangeSet::of(Table::NhiemVu, id)).await?;
    Ok(id)
}

/// The columns of a [`TaskRow`], with the linked and moved counts computed from the data.
const ROW_SQL: &str = "SELECT CAST(n.id AS BIGINT) AS id, n.tieu_de, n.loai_hanh_dong, \
     u.ma AS don_vi_ma, u.ten AS don_vi_ten, COALESCE(u.ma_tinh, '') AS ma_tinh, \
     CAST(n.don_vi_id AS BIGINT) AS don_vi_id, n.ngay_giao, n.han_hoan_thanh, n.trang_thai, \
     CAST(n.tien_do AS BIGINT) AS tien_do, CAST(n.so_luong AS BIGINT) AS so_luong, \
     COALESCE(n.cau_hoi_goc, '') AS cau_hoi_goc, \
     (SELECT c.ghi_chu FROM nhiem_vu_cap_nhat c WHERE c.nhiem_vu_id = n.id ORDER BY c.id DESC LIMIT 1) AS ghi_chu, \
     CAST((SELECT COUNT(*) FROM nhiem_vu_viec x WHERE x.nhiem_vu_id = n.id) \
        + (SELECT COUNT(*) FROM nhiem_vu_ho_so h WHERE h.nhiem_vu_id = n.id AND h.bang <> 'viec_thi_hanh') AS BIGINT) AS linked, \
     CAST((SELECT COUNT(*) FROM nhiem_vu_ho_so h WHERE h.nhiem_vu_id = n.id) AS BIGINT) AS tracked, \
     CAST((SELECT COUNT(*) FROM nhiem_vu_ho_so h JOIN viec_thi_hanh v ON v.id = h.ho_so_id \
            WHERE h.nhiem_vu_id = n.id AND h.bang = 'viec_thi_hanh' AND v.trang_thai <> h.trang_thai_giao) \
        + (SELECT COUNT(*) FROM nhiem_vu_ho_so h JOIN don_thu d ON d.id = h.ho_so_id \
            WHERE h.nhiem_vu_id = n.id AND h.bang = 'don_thu' AND d.trang_thai <> h.trang_thai_giao) \
        + (SELECT COUNT(*) FROM nhiem_vu_ho_so h JOIN quyet_dinh q ON q.id = h.ho_so_id \
            WHERE h.nhiem_vu_id = n.id AND h.bang = 'quyet_dinh' AND CAST(q.ky_so AS TEXT) <> h.trang_thai_giao) AS BIGINT) AS moved \
     FROM nhiem_vu n JOIN don_vi u ON u.id = n.don_vi_id";

#[derive(Debug, sqlx::FromRow)]
struct Stored {
    id: i64,
    tieu_de: String,
    loai_hanh_dong: String,
    don_vi_ma: String,
    don_vi_ten: String,
    ma_tinh: String,
    don_vi_id: i64,
    ngay_giao: NaiveDate,
    han_hoan_thanh: NaiveDate,
    trang_thai: String,
    tien_do: i64,
    so_luong: Option<i64>,
    cau_hoi_goc: String,
    ghi_chu: Option<String>,
    linked: i64,
    tracked: i64,
    moved: i64,
}

impl Stored {
    fn row(self, as_of: NaiveDate) -> (TaskRow, i64) {
        let open = matches!(self.trang_thai.as_str(), "moi" | "dang_thuc_hien");
        (
            TaskRow {
                id: self.id,
                tieu_de: self.tieu_de,
                loai_hanh_dong: self.loai_hanh_dong,
                don_vi_ma: self.don_vi_ma,
                don_vi_ten: self.don_vi_ten,
                ma_tinh: self.ma_tinh,
                ngay_giao: self.ngay_giao.to_string(),
                han_hoan_thanh: self.han_hoan_thanh.to_string(),
                overdue: open && self.han_hoan_thanh < as_of,
                trang_thai: self.trang_thai,
                tien_do: self.tien_do,
                so_luong: self.so_luong,
                linked: self.linked,
                tracked: self.tracked,
                moved: self.moved,
                cau_hoi_goc: self.cau_hoi_goc,
                ghi_chu: self.ghi_chu.filter(|c| !c.is_empty()),
            },
            self.don_vi_id,
        )
    }
}

/// [`Scope::covers`] as a condition on `n`/`u`, with its one parameter.
fn scope_filter(scope: &Scope) -> (&'static str, Vec<Arg>) {
    match scope.reach() {
        Reach::All => ("", Vec::new()),
        Reach::Province(ma_tinh) => (" WHERE u.ma_tinh = $1", vec![ma_tinh.into()]),
        Reach::Office { don_vi_id, .. } => (" WHERE n.don_vi_id = $1", vec![don_vi_id.into()]),
    }
}

/// The tasks `scope` sees, earliest deadline first (at most [`MAX_ROWS`]), with their units.
///
/// # Errors
/// The store's error.
pub async fn list(
    store: &Store,
    scope: &Scope,
    as_of: NaiveDate,
) -> Result<Vec<(TaskRow, i64)>, TaskError> {
    let (cond, arg) = scope_filter(scope);
    let sql = format!(
        "{ROW_SQL}{cond} ORDER BY CASE WHEN n.trang_thai IN ('moi', 'dang_thuc_hien') THEN 0 ELSE 1 END, \
         n.han_hoan_thanh, n.id LIMIT {MAX_ROWS}"
    );
    Ok(store
        .all::<Stored>(&sql, &arg)
        .await?
        .into_iter()
        .map(|s| s.row(as_of))
        .collect())
}

/// Task `id` with its unit id, if it exists and `scope` sees it (else `None`: another
/// province's task is not found, not forbidden).
///
/// # Errors
/// The store's error.
pub async fn find(
    store: &Store,
    scope: &Scope,
    id: i64,
    as_of: NaiveDate,
) -> Result<Option<(TaskRow, i64)>, TaskError> {
    let sql = format!("{ROW_SQL} WHERE n.id = $1");
    let found: Vec<Stored> = store.all(&sql, &[id.into()]).await?;
    Ok(found
        .into_iter()
        .map(|s| s.row(as_of))
        .find(|(row, unit)| scope.covers(&row.ma_tinh, *unit)))
}

#[derive(Debug, sqlx::FromRow)]
struct StoredNote {
    at: String,
    actor: String,
    trang_thai: String,
    tien_do: i64,
    ghi_chu: String,
}

/// The updates of task `id`, oldest first.
///
/// # Errors
/// The store's error.
pub async fn notes(store: &Store, id: i64) -> Result<Vec<TaskNote>, TaskError> {
    const SQL: &str = "SELECT at, actor, trang_thai, CAST(tien_do AS BIGINT) AS tien_do, ghi_chu \
                       FROM nhiem_vu_cap_nhat WHERE nhiem_vu_id = $1 ORDER BY id";
    let rows: Vec<StoredNote> = store.all(SQL, &[id.into()]).await?;
    Ok(rows
        .into_iter()
        .map(|n| TaskNote {
            at: n.at,
            actor: n.actor,
            trang_thai: n.trang_thai,
            tien_do: n.tien_do,
            ghi_chu: n.ghi_chu,
        })
        .collect())
}

/// Writes an update of a task (already checked visible) with its comment, in one transaction.
///
/// # Errors
/// The store's error.
pub async fn update(
    store: &Store,
    form: &ProgressForm,
    actor: &Actor,
    as_of: NaiveDate,
) -> Result<(), TaskError> {
    let done = form.trang_thai == "hoan_thanh";
    let tien_do = if done { 100 } else { form.tien_do };
    let finished = done.then_some(as_of);
    let at = audit::timestamp(chrono::Utc::now());
    let user_id = actor.user.as_ref().map(|u| u.id);
    let login = actor.login();
    let comment = form.ghi_chu.trim().to_owned();
    let mut tx = store.write_tx(Some(SERIALIZED)).await?;
    tx.exec(
        "UPDATE nhiem_vu SET trang_thai = $1, tien_do = $2, ngay_hoan_thanh = $3 WHERE id = $4",
        &[
            (&form.trang_thai).into(),
            tien_do.into(),
            finished.into(),
            form.id.into(),
        ],
    )
    .await?;
    let next = tx
        .scalar::<i64>(
            "SELECT CAST(COALESCE(MAX(id), 0) + 1 AS BIGINT) FROM nhiem_vu_cap_nhat",
            &[],
        )
        .await?
        .unwrap_or(1);
    tx.exec(
        "INSERT INTO nhiem_vu_cap_nhat (id, nhiem_vu_id, user_id, actor, at, trang_thai, tien_do, ghi_chu) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            next.into(),
            form.id.into(),
            user_id.into(),
            login.into(),
            at.into(),
            (&form.trang_thai).into(),
            tien_do.into(),
            comment.into(),
        ],
    )
    .await?;
    tx.commit_with(&ChangeSet::of(Table::NhiemVu, form.id))
        .await?;
    Ok(())
}
