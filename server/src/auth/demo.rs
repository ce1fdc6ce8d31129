//! The demo accounts `ioc seed` creates: one per role, with documented passwords (README).
//! They are demo data like the cases: never seed a production database.

use super::accounts::{self, NewAccount};
use crate::audit::{self, action, outcome, AuditEntry};
use crate::store::Store;
use queries::access::Role;

/// The kiosk token of the demo wall display: `/man-hinh?kiosk=demo-man-hinh-2026`.
pub const DEMO_KIOSK_TOKEN: &str = "demo-man-hinh-2026";

/// One demo account: login, password, role, unit code, display name.
pub const ACCOUNTS: [(&str, &str, Role, &str, &str); 7] = [
    (
        "lanhdao",
        "LanhDao@2026",
        Role::LanhDao,
        "CUC",
        "Lãnh đạo Bộ (tài khoản mẫu)",
    ),
    (
        "phantich",
        "PhanTich@2026",
        Role::PhanTich,
        "CUC",
        "Chuyên viên phân tích Cục QLTHADS",
    ),
    (
        "truongtinh.hn",
        "HaNoi@2026",
        Role::TruongTinh,
        "T01",
        "Trưởng THADS TP Hà Nội",
    ),
    (
        "truongtinh.hcm",
        "HoChiMinh@2026",
        Role::TruongTinh,
        "T79",
        "Trưởng THADS TP Hồ Chí Minh",
    ),
    (
        "truongphong.hn1",
        "KhuVuc1@2026",
        Role::TruongPhong,
        "T01-KV01",
        "Trưởng phòng THADS khu vực 1 - Hà Nội",
    ),
    (
        "chv.hn1",
        "ChapHanh@2026",
        Role::ChapHanhVien,
        "T01-KV01",
        "",
    ),
    (
        "manhinh",
        "ManHinh@2026",
        Role::ManHinh,
        "CUC",
        "Màn hình trung tâm điều hành",
    ),
];

/// Creates the demo accounts that do not exist yet and the demo kiosk token; returns the logins
/// created. The chấp hành viên account is linked to the first active chấp hành viên of
/// `T01-KV01` and takes that officer's name.
///
/// # Errors
/// A store failure, or a unit missing from the seeded data.
pub async fn create(store: &Store) -> Result<Vec<String>, accounts::Error> {
    let mut created = Vec::new();
    for (login, password, role, unit, name) in ACCOUNTS {
        if accounts::find_account(store, login).await?.is_some() {
            continue;
        }
        let (can_bo_id, display_name) = if role == Role::ChapHanhVien {
            match officer_of(store, unit).await? {
                Some((id, name)) => (Some(id), name),
                None => {
                    tracing::warn!(
                        unit,
                        "no active chấp hành viên: demo officer account skipped"
                    );
                    continue;
                }
            }
        } else {
            (None, name.to_owned())
        };
        accounts::add_account(
            store,
            &NewAccount {
                login: login.into(),
                display_name,
                role,
                don_vi_ma: Some(unit.into()),
                can_bo_id,
                password: password.into(),
            },
        )
        .await?;
        audit::record(
            store,
            &AuditEntry::new(action::USER_ADD, outcome::OK)
                .actor("seed")
                .detail(serde_json::json!({"login": login, "role": role.code(), "don_vi": unit})),
        )
        .await?;
        created.push(login.to_owned());
    }
    if accounts::kiosk_token_user(store, DEMO_KIOSK_TOKEN)
        .await?
        .is_none()
    {
        let (id, _) =
            accounts::create_kiosk_token_with(store, "manhinh", "Màn hình mẫu", DEMO_KIOSK_TOKEN)
                .await?;
        audit::record(
            store,
            &AuditEntry::new(action::KIOSK_TOKEN_CREATE, outcome::OK)
                .actor("seed")
                .detail(serde_json::json!({"id": id, "login": "manhinh"})),
        )
        .await?;
    }
    Ok(created)
}

/// The first active chấp hành viên (by id) of unit `ma`, with the officer's name.
async fn officer_of(store: &Store, ma: &str) -> Result<Option<(i64, String)>, accounts::Error> {
    const SQL: &str = "SELECT CAST(cb.id AS BIGINT), cb.ho_ten FROM can_bo cb \
                       JOIN don_vi dv ON dv.id = cb.don_vi_id \
                       WHERE dv.ma = $1 AND cb.chuc_vu = 'chap_hanh_vien' \
                       AND cb.la_chap_hanh_vien = 1 AND cb.dang_cong_tac = 1 \
                       ORDER BY cb.id LIMIT 1";
    Ok(store.optional(SQL, &[ma.into()]).await?)
}
