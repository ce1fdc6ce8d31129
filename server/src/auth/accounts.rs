//! Accounts, sessions and kiosk tokens in the store; argon2 password hashes; random tokens.
//!
//! Session ids and kiosk tokens are 256 random bits, sent to the client in hex and stored only
//! as their SHA-256, so the database alone never yields a usable session.

use crate::audit;
use crate::store::{Error as StoreError, Store};
use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Duration, Utc};
use queries::access::{Access, Role, UnitLevel, User};
use queries::Scope;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// How long a password session lasts (absolute, from login).
pub const SESSION_TTL: Duration = Duration::hours(12);
/// How long a wall-display session lasts before the token must be presented again.
pub const KIOSK_SESSION_TTL: Duration = Duration::days(30);
/// Shortest password accepted by `ioc user` and the change-password page.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The longest password accepted (longer ones are never hashed).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Failures of account operations.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no random numbers from the operating system: {0}")]
    Random(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("{0}")]
    Invalid(String),
    #[error("the hashing thread failed")]
    Join,
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Store(StoreError::Sql(e))
    }
}

/// Result of account operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// 32 random bytes in hex (64 characters).
///
/// # Errors
/// [`Error::Random`] when the OS has no randomness to give.
pub fn random_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| Error::Random(e.to_string()))?;
    Ok(hex::encode(bytes))
}

/// The stored form of a session id or kiosk token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Hashes `password` with argon2id (the crate's defaults: 19 MiB, 2 passes, 1 lane) and a
/// random salt, as a PHC string. CPU-heavy: call it off the async runtime ([`hash_blocking`]).
///
/// # Errors
/// [`Error::Random`] or [`Error::Hash`].
pub fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| Error::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| Error::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string `phc`. A malformed hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// [`hash_password`] on the blocking pool.
///
/// # Errors
/// As [`hash_password`]; [`Error::Join`] if the thread panicked.
pub async fn hash_blocking(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|_| Error::Join)?
}

/// [`verify_password`] on the blocking pool. With no stored hash (unknown login) a dummy hash
/// is verified, so the answer takes as long as for a real account.
pub async fn verify_blocking(password: String, phc: Option<String>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    tokio::task::spawn_blocking(move || match phc {
        Some(phc) => verify_password(&password, &phc),
        None => {
            let dummy =
                DUMMY.get_or_init(|| hash_password("không có tài khoản này").unwrap_or_default());
            let _ = verify_password(&password, dummy);
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// Checks a new password against the rules of the change-password page and `ioc user`.
///
/// # Errors
/// [`Error::Invalid`] with the Vietnamese reason.
pub fn check_new_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::Invalid(format!(
            "mật khẩu phải có ít nhất {MIN_PASSWORD_CHARS} ký tự"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(Error::Invalid("mật khẩu quá dài".into()));
    }
    Ok(())
}

/// An account as stored, with what is needed to build its [`Scope`].
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub access: String,
    pub don_vi_id: Option<i64>,
    pub can_bo_id: Option<i64>,
    pub password_hash: String,
    pub active: i64,
    pub ma_tinh: Option<String>,
}

const ACCOUNT_COLUMNS: &str = "CAST(u.id AS BIGINT) AS id, u.username, u.display_name, u.role, \
     u.access, CAST(u.don_vi_id AS BIGINT) AS don_vi_id, CAST(u.can_bo_id AS BIGINT) AS can_bo_id, \
     u.password_hash, CAST(u.active AS BIGINT) AS active, dv.ma_tinh";

impl AccountRow {
    /// The signed-in [`User`] of this account, or `None` when the row is inconsistent
    /// (unknown role, a provincial account whose unit is gone) — such an account cannot sign in.
    pub fn user(&self) -> Option<User> {
        let role = Role::parse(&self.role)?;
        let scope = match Access::parse(&self.access)? {
            Access::National => Scope::National,
            Access::Kiosk => Scope::Kiosk,
            Access::Province => Scope::Province {
                ma_tinh: self.ma_tinh.clone()?,
            },
            Access::Office => Scope::Office {
                don_vi_id: self.don_vi_id?,
                ma_tinh: self.ma_tinh.clone()?,
            },
            Access::Own => Scope::Officer {
                can_bo_id: self.can_bo_id?,
                don_vi_id: self.don_vi_id?,
                ma_tinh: self.ma_tinh.clone()?,
            },
        };
        Some(User {
            id: self.id,
            login: self.username.clone(),
            display_name: self.display_name.clone(),
            role,
            scope,
        })
    }
}

/// Logins are case-insensitive: stored and looked up in lower case.
pub fn normalize_login(login: &str) -> String {
    login.trim().to_lowercase()
}

/// The account with `login`, active or not.
///
/// # Errors
/// [`Error::Store`] when the query fails.
pub async fn find_account(store: &Store, login: &str) -> Result<Option<AccountRow>> {
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} FROM users u LEFT JOIN don_vi dv ON dv.id = u.don_vi_id \
         WHERE u.username = $1"
    );
    let login = normalize_login(login);
    Ok(store.optional(&sql, &[login.into()]).await?)
}

/// What a new account needs.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub login: String,
    pub display_name: String,
    pub role: Role,
    /// `don_vi.ma` of the account's unit (`CUC`, `T01`, `T79-KV05`); `None` for a national
    /// account outside the unit tree.
    pub don_vi_ma: Option<String>,
    /// `can_bo.id` of the officer (required for `chap_hanh_vien`, whose unit is the officer's).
    pub can_bo_id: Option<i64>,
    pub password: String,
}

/// Creates an account and returns its id.
///
/// # Errors
/// [`Error::Invalid`] for a taken login, an unknown unit or officer, a role that does not fit
/// the unit, a short password; [`Error::Store`] otherwise.
pub async fn add_account(store: &Store, new: &NewAccount) -> Result<i64> {
    let login = normalize_login(&new.login);
    if login.is_empty()
        || login.len() > super::throttle::MAX_LOGIN_CHARS
        || !login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(Error::Invalid(
            "tên đăng nhập chỉ gồm chữ không dấu, số, dấu chấm, gạch dưới, gạch ngang (tối đa 64)"
                .into(),
        ));
    }
    check_new_password(&new.password)?;
    if find_account(store, &login).await?.is_some() {
        return Err(Error::Invalid(format!("tên đăng nhập {login} đã có")));
    }
    let (don_vi_id, level) = match (&new.can_bo_id, &new.don_vi_ma) {
        (Some(can_bo_id), _) => {
            const SQL: &str = "SELECT CAST(dv.id AS BIGINT), dv.ma, dv.cap FROM can_bo cb \
                               JOIN don_vi dv ON dv.id = cb.don_vi_id WHERE cb.id = $1";
            let row: Option<(i64, String, String)> =
                store.optional(SQL, &[(*can_bo_id).into()]).await?;
            let Some((id, ma, cap)) = row else {
                return Err(Error::Invalid(format!("không có cán bộ id {can_bo_id}")));
            };
            if let Some(want) = &new.don_vi_ma {
                if *want != ma {
                    return Err(Error::Invalid(format!(
                        "cán bộ {can_bo_id} thuộc đơn vị {ma}, không phải {want}"
                    )));
                }
            }
            (Some(id), UnitLevel::parse(&cap))
        }
        (None, Some(ma)) => {
            const SQL: &str = "SELECT CAST(id AS BIGINT), cap FROM don_vi WHERE ma = $1";
            let row: Option<(i64, String)> = store.optional(SQL, &[ma.into()]).await?;
            let Some((id, cap)) = row else {
                return Err(Error::Invalid(format!("không có đơn vị mã {ma}")));
            };
            (Some(id), UnitLevel::parse(&cap))
        }
        (None, None) => (None, None),
    };
    if new.role == Role::ChapHanhVien && new.can_bo_id.is_none() {
        return Err(Error::Invalid(
            "tài khoản chấp hành viên cần --can-bo <id> (cán bộ được liên kết)".into(),
        ));
    }
    let access = new.role.access_at(level).map_err(Error::Invalid)?;
    let hash = hash_blocking(new.password.clone()).await?;
    const INSERT: &str = "INSERT INTO users (id, username, display_name, access, don_vi_id, can_bo_id, \
                          password_hash, active, created_at, role) \
                          SELECT COALESCE(MAX(id), 0) + 1, $1, $2, $3, $4, $5, $6, 1, $7, $8 FROM users";
    let now = audit::timestamp(Utc::now());
    store
        .exec(
            INSERT,
            &[
                (&login).into(),
                new.display_name.trim().into(),
                access.code().into(),
                don_vi_id.into(),
                new.can_bo_id.into(),
                hash.into(),
                now.into(),
                new.role.code().into(),
            ],
        )
        .await?;
    let id = find_account(store, &login)
        .await?
        .map(|a| a.id)
        .ok_or_else(|| Error::Invalid("tài khoản vừa tạo không đọc lại được".into()))?;
    Ok(id)
}

/// Replaces the password of account `user_id` and ends all of its sessions.
///
/// # Errors
/// [`Error::Invalid`] for a short password; [`Error::Store`] otherwise.
pub async fn set_password(store: &Store, user_id: i64, password: &str) -> Result<()> {
    check_new_password(password)?;
    let hash = hash_blocking(password.to_owned()).await?;
    let mut tx = store.write_tx(None).await?;
    tx.exec(
        "UPDATE users SET password_hash = $1 WHERE id = $2",
        &[hash.into(), user_id.into()],
    )
    .await?;
    tx.exec("DELETE FROM sessions WHERE user_id = $1", &[user_id.into()])
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A fresh session: the id for the cookie (never stored) and its expiry.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub id: String,
    pub expires_at: DateTime<Utc>,
}

/// Opens a session for `user_id` (through kiosk token `kiosk_token_id`, if any).
///
/// # Errors
/// [`Error::Random`] or [`Error::Store`].
pub async fn create_session(
    store: &Store,
    user_id: i64,
    kiosk_token_id: Option<i64>,
) -> Result<NewSession> {
    let id = random_token()?;
    let now = Utc::now();
    let ttl = if kiosk_token_id.is_some() {
        KIOSK_SESSION_TTL
    } else {
        SESSION_TTL
    };
    let expires_at = now + ttl;
    const SQL: &str =
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, kiosk_token_id) \
                       VALUES ($1, $2, $3, $4, $5)";
    store
        .exec(
            SQL,
            &[
                token_hash(&id).into(),
                user_id.into(),
                audit::timestamp(now).into(),
                audit::timestamp(expires_at).into(),
                kiosk_token_id.into(),
            ],
        )
        .await?;
    Ok(NewSession { id, expires_at })
}

/// Ends the session with cookie value `id` (nothing happens for an unknown id).
///
/// # Errors
/// [`Error::Store`].
pub async fn delete_session(store: &Store, id: &str) -> Result<()> {
    store
        .exec(
            "DELETE FROM sessions WHERE token_hash = $1",
            &[token_hash(id).into()],
        )
        .await?;
    Ok(())
}

/// The user of the live session with cookie value `id`: unexpired, active account, and — for a
/// kiosk session — a token not revoked. Expired sessions found here are deleted.
///
/// # Errors
/// [`Error::Store`].
pub async fn session_user(store: &Store, id: &str) -> Result<Option<User>> {
    #[derive(sqlx::FromRow)]
    struct Found {
        #[sqlx(flatten)]
        account: AccountRow,
        expires_at: String,
        revoked: i64,
    }
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS}, s.expires_at, \
         CAST(CASE WHEN s.kiosk_token_id IS NOT NULL AND (k.id IS NULL OR k.revoked_at IS NOT NULL) \
              THEN 1 ELSE 0 END AS BIGINT) AS revoked \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         LEFT JOIN don_vi dv ON dv.id = u.don_vi_id \
         LEFT JOIN kiosk_tokens k ON k.id = s.kiosk_token_id \
         WHERE s.token_hash = $1"
    );
    let hash = token_hash(id);
    let found: Option<Found> = store.optional(&sql, &[(&hash).into()]).await?;
    let Some(found) = found else { return Ok(None) };
    let now = audit::timestamp(Utc::now());
    if found.expires_at <= now || found.revoked != 0 {
        store
            .exec("DELETE FROM sessions WHERE token_hash = $1", &[hash.into()])
            .await?;
        return Ok(None);
    }
    if found.account.active != 1 {
        return Ok(None);
    }
    Ok(found.account.user())
}

/// A kiosk token as listed by `ioc kiosk-token list`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KioskToken {
    pub id: i64,
    pub label: String,
    pub login: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// Creates a kiosk token for the wall-display account `login` (role `man_hinh`); returns its
/// id and the token itself (shown once, never stored).
///
/// # Errors
/// [`Error::Invalid`] when `login` is not an active wall-display account.
pub async fn create_kiosk_token(store: &Store, login: &str, label: &str) -> Result<(i64, String)> {
    let token = random_token()?;
    create_kiosk_token_with(store, login, label, &token).await
}

/// As [`create_kiosk_token`] with a given token value (the demo seed's documented token).
///
/// # Errors
/// As [`create_kiosk_token`].
pub async fn create_kiosk_token_with(
    store: &Store,
    login: &str,
    label: &str,
    token: &str,
) -> Result<(i64, String)> {
    let account = find_account(store, login)
        .await?
        .filter(|a| a.role == Role::ManHinh.code() && a.active == 1)
        .ok_or_else(|| {
            Error::Invalid(format!(
                "{login} không phải tài khoản màn hình (vai trò man_hinh) đang hoạt động"
            ))
        })?;
    const SQL: &str = "INSERT INTO kiosk_tokens (id, token_hash, label, user_id, created_at) \
                       SELECT COALESCE(MAX(id), 0) + 1, $1, $2, $3, $4 FROM kiosk_tokens";
    let hash = token_hash(token);
    store
        .exec(
            SQL,
            &[
                (&hash).into(),
                label.into(),
                account.id.into(),
                audit::timestamp(Utc::now()).into(),
            ],
        )
        .await?;
    let (id,): (i64,) = store
        .one(
            "SELECT CAST(id AS BIGINT) FROM kiosk_tokens WHERE token_hash = $1",
            &[hash.into()],
        )
        .await?;
    Ok((id, token.to_owned()))
}

/// Revokes kiosk token `id` and ends the sessions opened with it. Returns whether a live token
/// was revoked.
///
/// # Errors
/// [`Error::Store`].
pub async fn revoke_kiosk_token(store: &Store, id: i64) -> Result<bool> {
    let now = audit::timestamp(Utc::now());
    let mut tx = store.write_tx(None).await?;
    let changed = tx
        .exec(
            "UPDATE kiosk_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            &[now.into(), id.into()],
        )
        .await?;
    tx.exec(
        "DELETE FROM sessions WHERE kiosk_token_id = $1",
        &[id.into()],
    )
    .await?;
    tx.commit().await?;
    Ok(changed > 0)
}

/// Every kiosk token, newest first.
///
/// # Errors
/// [`Error::Store`].
pub async fn list_kiosk_tokens(store: &Store) -> Result<Vec<KioskToken>> {
    const SQL: &str = "SELECT CAST(k.id AS BIGINT) AS id, k.label, u.username AS login, \
                       k.created_at, k.revoked_at FROM kiosk_tokens k JOIN users u ON u.id = k.user_id \
                       ORDER BY k.id DESC";
    Ok(store.all(SQL, &[]).await?)
}

/// The user a live (unrevoked) kiosk token opens, with the token's id.
///
/// # Errors
/// [`Error::Store`].
pub async fn kiosk_token_user(store: &Store, token: &str) -> Result<Option<(i64, User)>> {
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS}, CAST(k.id AS BIGINT) AS token_id FROM kiosk_tokens k \
         JOIN users u ON u.id = k.user_id LEFT JOIN don_vi dv ON dv.id = u.don_vi_id \
         WHERE k.token_hash = $1 AND k.revoked_at IS NULL AND u.active = 1"
    );
    #[derive(sqlx::FromRow)]
    struct Found {
        #[sqlx(flatten)]
        account: AccountRow,
        token_id: i64,
    }
    let found: Option<Found> = store.optional(&sql, &[token_hash(token).into()]).await?;
    Ok(found.and_then(|f| f.account.user().map(|u| (f.token_id, u))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("mật khẩu đủ dài").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("mật khẩu đủ dài", &h));
        assert!(!verify_password("mật khẩu đủ dài!", &h));
        assert!(!verify_password("x", "not a hash"));
        // Salted: the same password hashes differently.
        assert_ne!(h, hash_password("mật khẩu đủ dài").unwrap());
    }

    #[test]
    fn tokens_are_random_256_bit_and_stored_hashed() {
        let a = random_token().unwrap();
        let b = random_token().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
        assert_eq!(token_hash(&a), token_hash(&a));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_new_password("ngắn").is_err());
        assert!(check_new_password("đủ mười ký tự").is_ok());
    }
}
