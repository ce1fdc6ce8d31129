//! `ioc user …` and `ioc kiosk-token …`: account administration from the command line. Every
//! action is written to the audit log with actor `cli`.

use super::accounts::{self, NewAccount};
use crate::audit::{self, action, outcome, AuditEntry};
use crate::store::Store;
use clap::{Args, Subcommand};
use queries::access::Role;
use std::io::BufRead;

/// `ioc user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; prints a generated password unless --password-stdin is given.
    Add(UserAddArgs),
    /// Set a new password (ends the account's sessions); prints a generated one unless
    /// --password-stdin is given.
    ResetPassword(ResetArgs),
}

/// Options of `ioc user add`.
#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// Login name (letters without diacritics, digits, `.`, `_`, `-`).
    #[arg(long)]
    pub login: String,
    /// lanh_dao | phan_tich | truong_tinh | truong_phong | chap_hanh_vien | man_hinh
    #[arg(long, value_parser = parse_role)]
    pub role: Role,
    /// Unit code (`don_vi.ma`): CUC, T01, T79-KV05, …
    #[arg(long = "don-vi", value_name = "MA")]
    pub don_vi: Option<String>,
    /// The officer (`can_bo.id`) a chap_hanh_vien account is linked to.
    #[arg(long = "can-bo", value_name = "ID")]
    pub can_bo: Option<i64>,
    /// Name shown in the page header (default: the login).
    #[arg(long)]
    pub name: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

/// Options of `ioc user reset-password`.
#[derive(Debug, Args)]
pub struct ResetArgs {
    #[arg(long)]
    pub login: String,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

/// `ioc kiosk-token …`.
#[derive(Debug, Subcommand)]
pub enum KioskCommand {
    /// Issue a token for a wall-display account; prints it once with the URL to open.
    Create(KioskCreateArgs),
    /// Revoke a token and end the sessions opened with it.
    Revoke(KioskRevokeArgs),
    /// List tokens (never the token values).
    List,
}

/// Options of `ioc kiosk-token create`.
#[derive(Debug, Args)]
pub struct KioskCreateArgs {
    /// The wall-display account (role man_hinh).
    #[arg(long, default_value = "manhinh")]
    pub login: String,
    /// Where the screen hangs, for the list.
    #[arg(long, default_value = "Màn hình")]
    pub label: String,
}

/// Options of `ioc kiosk-token revoke`.
#[derive(Debug, Args)]
pub struct KioskRevokeArgs {
    /// Token id (from `list` or `create`).
    #[arg(long)]
    pub id: i64,
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| {
        let all: Vec<&str> = Role::ALL.iter().map(|r| r.code()).collect();
        format!("unknown role {s:?}; one of {}", all.join(", "))
    })
}

/// A password from stdin, or a generated one (printed).
fn password(from_stdin: bool) -> Result<(String, bool), accounts::Error> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| accounts::Error::Invalid(format!("cannot read stdin: {e}")))?;
        let pw = line.trim_end_matches(['\r', '\n']).to_owned();
        Ok((pw, false))
    } else {
        // 128 random bits, 32 hex characters: easy to type, hard to guess.
        let token = accounts::random_token()?;
        Ok((token.chars().take(32).collect(), true))
    }
}

/// Runs `ioc user …`; returns what to print.
///
/// # Errors
/// An invalid argument or a store failure.
pub async fn user(store: &Store, cmd: UserCommand) -> Result<String, accounts::Error> {
    match cmd {
        UserCommand::Add(a) => {
            let (pw, generated) = password(a.password_stdin)?;
            let id = accounts::add_account(
                store,
                &NewAccount {
                    login: a.login.clone(),
                    display_name: a.name.clone().unwrap_or_else(|| a.login.clone()),
                    role: a.role,
                    don_vi_ma: a.don_vi.clone(),
                    can_bo_id: a.can_bo,
                    password: pw.clone(),
                },
            )
            .await?;
            audit::record(
                store,
                &AuditEntry::new(action::USER_ADD, outcome::OK)
                    .actor("cli")
                    .detail(serde_json::json!({
                        "id": id, "login": accounts::normalize_login(&a.login),
                        "role": a.role.code(), "don_vi": a.don_vi, "can_bo": a.can_bo,
                    })),
            )
            .await?;
            let mut out = format!(
                "created user {} (id {id}, role {})",
                accounts::normalize_login(&a.login),
                a.role.code()
            );
            if generated {
                out.push_str(&format!("\npassword: {pw}"));
            }
            Ok(out)
        }
        UserCommand::ResetPassword(a) => {
            let account = accounts::find_account(store, &a.login)
                .await?
                .ok_or_else(|| accounts::Error::Invalid(format!("no user {}", a.login)))?;
            let (pw, generated) = password(a.password_stdin)?;
            accounts::set_password(store, account.id, &pw).await?;
            audit::record(
                store,
                &AuditEntry::new(action::USER_RESET_PASSWORD, outcome::OK)
                    .actor("cli")
                    .detail(serde_json::json!({"id": account.id, "login": account.username})),
            )
            .await?;
            let mut out = format!(
                "password of {} replaced; its sessions ended",
                account.username
            );
            if generated {
                out.push_str(&format!("\npassword: {pw}"));
            }
            Ok(out)
        }
    }
}

/// Runs `ioc kiosk-token …`; returns what to print.
///
/// # Errors
/// An invalid argument or a store failure.
pub async fn kiosk(store: &Store, cmd: KioskCommand) -> Result<String, accounts::Error> {
    match cmd {
        KioskCommand::Create(a) => {
            let (id, token) = accounts::create_kiosk_token(store, &a.login, &a.label).await?;
            audit::record(
                store,
                &AuditEntry::new(action::KIOSK_TOKEN_CREATE, outcome::OK)
                    .actor("cli")
                    .detail(serde_json::json!({"id": id, "login": a.login, "label": a.label})),
            )
            .await?;
            Ok(format!(
                "kiosk token {id} for {}: {token}\nopen once on the screen: /man-hinh?kiosk={token}",
                a.login
            ))
        }
        KioskCommand::Revoke(a) => {
            let revoked = accounts::revoke_kiosk_token(store, a.id).await?;
            audit::record(
                store,
                &AuditEntry::new(
                    action::KIOSK_TOKEN_REVOKE,
                    if revoked {
                        outcome::OK
                    } else {
                        outcome::FAILED
                    },
                )
                .actor("cli")
                .detail(serde_json::json!({"id": a.id})),
            )
            .await?;
            if revoked {
                Ok(format!("kiosk token {} revoked; its sessions ended", a.id))
            } else {
                Err(accounts::Error::Invalid(format!(
                    "no live kiosk token with id {}",
                    a.id
                )))
            }
        }
        KioskCommand::List => {
            let tokens = accounts::list_kiosk_tokens(store).await?;
            Ok(tokens
                .iter()
                .map(|t| {
                    format!(
                        "{}\t{}\t{}\tcreated {}\t{}",
                        t.id,
                        t.login,
                        t.label,
                        t.created_at,
                        t.revoked_at
                            .as_deref()
                            .map_or_else(|| "live".to_owned(), |r| format!("revoked {r}"))
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"))
        }
    }
}
