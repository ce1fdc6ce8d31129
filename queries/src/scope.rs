//! Who is asking, and what they may see: the one access-scope type of THADS IOC.
//!
//! A [`Scope`] comes from the session (the auth layer in `server`), never from a request
//! parameter. Every reader of data — pages, server functions, CSV exports, the live stream and
//! the question pipeline — filters by it. The rules are DOMAIN.md §2 and DESIGN.md §Security:
//!
//! | scope | sees |
//! |---|---|
//! | `National` | everything |
//! | `Province` | its own province; national totals without another province's breakdown |
//! | `Office` | its own regional office (and its province's totals) |
//! | `Officer` | the cases and tasks of one chấp hành viên |
//! | `Kiosk` | the national wall display, read only |

use serde::{Deserialize, Serialize};

use crate::org;

/// What one caller may read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scope {
    /// Ministry and Cục leadership, central analysts.
    National,
    /// Provincial head, deputies and provincial analysts of `ma_tinh`.
    Province { ma_tinh: String },
    /// The head of one regional office (`don_vi.id`) in province `ma_tinh`.
    Office { don_vi_id: i64, ma_tinh: String },
    /// One chấp hành viên (`can_bo.id`) of office `don_vi_id` in province `ma_tinh`.
    Officer {
        can_bo_id: i64,
        don_vi_id: i64,
        ma_tinh: String,
    },
    /// The wall display's read-only token: the national view, nothing to change.
    Kiosk,
}

impl Scope {
    /// The province this scope is confined to, if any.
    pub fn province(&self) -> Option<&str> {
        match self {
            Scope::National | Scope::Kiosk => None,
            Scope::Province { ma_tinh }
            | Scope::Office { ma_tinh, .. }
            | Scope::Officer { ma_tinh, .. } => Some(ma_tinh),
        }
    }

    /// Whether this scope may see the per-province breakdown of `ma_tinh`.
    pub fn may_see_province(&self, ma_tinh: &str) -> bool {
        self.province().is_none_or(|own| own == ma_tinh)
    }

    /// The part of the organisation whose records this scope reads: the one rule behind
    /// [`Scope::covers`], page access and the SQL filters of per-unit records.
    pub fn reach(&self) -> Reach<'_> {
        match self {
            Scope::National | Scope::Kiosk => Reach::All,
            Scope::Province { ma_tinh } => Reach::Province(ma_tinh),
            Scope::Office { don_vi_id, ma_tinh }
            | Scope::Officer {
                don_vi_id, ma_tinh, ..
            } => Reach::Office {
                ma_tinh,
                don_vi_id: *don_vi_id,
            },
        }
    }

    /// Whether this scope covers a record of unit `don_vi_id` in province `ma_tinh` that is
    /// kept per unit (a task, a target): the country, the province, or the office itself; an
    /// officer is covered by the records of their office.
    pub fn covers(&self, ma_tinh: &str, don_vi_id: i64) -> bool {
        self.reach().includes(Some(ma_tinh), Some(don_vi_id))
    }

    /// Whether this scope sees the whole country's breakdowns.
    pub fn is_national(&self) -> bool {
        matches!(self, Scope::National | Scope::Kiosk)
    }

    /// Whether this scope may read the personal names of parties (`duong_su.ho_ten` of
    /// `loai = 'ca_nhan'`) in data it reads by scope, e.g. through the question pipeline. The
    /// one scope-side policy (DESIGN.md §Security: masked for roles that do not need them): the
    /// people who handle the cases — a chấp hành viên (`Officer`) and the head of their office
    /// (`Office`); national, provincial and wall-display scopes see masked names.
    pub fn may_see_party_names(&self) -> bool {
        matches!(self, Scope::Office { .. } | Scope::Officer { .. })
    }

    /// Parses the role notation of the CLI and the eval set: `central` or `province:<ma_tinh>`.
    pub fn parse_role(role: &str) -> Result<Scope, String> {
        let role = role.trim();
        if role == "central" || role == "national" {
            return Ok(Scope::National);
        }
        if role == "kiosk" {
            return Ok(Scope::Kiosk);
        }
        match role.split_once(':') {
            Some(("province", code)) if org::province(code).is_some() => Ok(Scope::Province {
                ma_tinh: code.to_owned(),
            }),
            Some(("province", code)) => Err(format!("mã tỉnh không tồn tại: {code}")),
            _ => Err(format!(
                "vai trò không hợp lệ: {role} (dùng central hoặc province:<mã tỉnh>)"
            )),
        }
    }
}

/// What a scope reads ([`Scope::reach`]): everything, one province, or one office.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach<'a> {
    All,
    Province(&'a str),
    Office { ma_tinh: &'a str, don_vi_id: i64 },
}

impl Reach<'_> {
    /// Whether the place (`ma_tinh`, `don_vi_id`) lies within this reach. A `None` names a
    /// wider place — the country (both `None`) or a whole province (`don_vi_id` `None`) —
    /// which only a wider reach includes.
    pub fn includes(self, ma_tinh: Option<&str>, don_vi_id: Option<i64>) -> bool {
        match self {
            Reach::All => true,
            Reach::Province(own) => ma_tinh == Some(own),
            Reach::Office {
                ma_tinh: own_tinh,
                don_vi_id: own,
            } => don_vi_id == Some(own) && ma_tinh.is_none_or(|m| m == own_tinh),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_confine() {
        assert_eq!(Scope::parse_role("central"), Ok(Scope::National));
        let hn = Scope::parse_role("province:01").unwrap();
        assert_eq!(hn.province(), Some("01"));
        assert!(hn.may_see_province("01"));
        assert!(!hn.may_see_province("79"));
        assert!(Scope::National.may_see_province("79"));
        assert!(Scope::parse_role("province:99").is_err());
        assert!(Scope::parse_role("admin").is_err());
        assert!(!Scope::National.may_see_party_names());
        assert!(!Scope::Kiosk.may_see_party_names());
        assert!(!hn.may_see_party_names());
        let officer = Scope::Officer {
            can_bo_id: 7,
            don_vi_id: 3,
            ma_tinh: "01".into(),
        };
        assert!(officer.may_see_party_names());
    }

    #[test]
    fn unit_records_are_covered_by_their_unit_and_above() {
        assert!(Scope::National.covers("79", 5));
        let hn = Scope::Province {
            ma_tinh: "01".into(),
        };
        assert!(hn.covers("01", 5));
        assert!(!hn.covers("79", 5));
        let office = Scope::Office {
            don_vi_id: 3,
            ma_tinh: "01".into(),
        };
        assert!(office.covers("01", 3));
        assert!(!office.covers("01", 4));
        let officer = Scope::Officer {
            can_bo_id: 7,
            don_vi_id: 3,
            ma_tinh: "01".into(),
        };
        assert!(officer.covers("01", 3));
        assert!(!officer.covers("01", 2));
    }
}
