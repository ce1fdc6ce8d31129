//! Roles of the people who use the IOC, the signed-in [`User`], and what each role may see
//! beyond its [`Scope`]: the audit log, changing data, the names of parties.
//!
//! DOMAIN.md §2 and DESIGN.md §Security. A role decides the *kind* of access; the unit
//! (`don_vi`) of the account decides *which* province, office or officer the [`Scope`] is
//! confined to. The `server` crate builds a [`User`] from the session for every request and the
//! readers of data filter by `user.scope`.
//!
//! | role | code | scope |
//! |---|---|---|
//! | Lãnh đạo Bộ / Cục | `lanh_dao` | national; reads the audit log |
//! | Chuyên viên phân tích | `phan_tich` | national at the Cục, else its province |
//! | Trưởng / Phó THADS tỉnh | `truong_tinh` | its province |
//! | Trưởng / Phó phòng THADS khu vực | `truong_phong` | its office |
//! | Chấp hành viên | `chap_hanh_vien` | its own cases (linked `can_bo`) |
//! | Màn hình tường | `man_hinh` | the national wall display, read only |

use serde::{Deserialize, Serialize};

use crate::Scope;

/// What a person does in the IOC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Ministry and Cục leadership.
    LanhDao,
    /// An analyst (chuyên viên), at the Cục or at a province.
    PhanTich,
    /// Provincial head (Trưởng THADS tỉnh) or a deputy.
    TruongTinh,
    /// Regional head (Trưởng / Phó trưởng phòng THADS khu vực).
    TruongPhong,
    /// A chấp hành viên: own cases and tasks.
    ChapHanhVien,
    /// The wall display: read-only national view.
    ManHinh,
}

/// The kind of confinement a role gets, as stored in `users.access`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    National,
    Province,
    Office,
    Own,
    Kiosk,
}

/// The level of an organisational unit (`don_vi.cap`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitLevel {
    Cuc,
    Tinh,
    KhuVuc,
}

impl UnitLevel {
    /// Parses `don_vi.cap`.
    pub fn parse(cap: &str) -> Option<UnitLevel> {
        match cap {
            "cuc" => Some(UnitLevel::Cuc),
            "tinh" => Some(UnitLevel::Tinh),
            "khu_vuc" => Some(UnitLevel::KhuVuc),
            _ => None,
        }
    }
}

impl Role {
    /// Every role, in the order the README lists them.
    pub const ALL: [Role; 6] = [
        Role::LanhDao,
        Role::PhanTich,
        Role::TruongTinh,
        Role::TruongPhong,
        Role::ChapHanhVien,
        Role::ManHinh,
    ];

    /// The code stored in `users.role` and typed on the command line.
    pub fn code(self) -> &'static str {
        match self {
            Role::LanhDao => "lanh_dao",
            Role::PhanTich => "phan_tich",
            Role::TruongTinh => "truong_tinh",
            Role::TruongPhong => "truong_phong",
            Role::ChapHanhVien => "chap_hanh_vien",
            Role::ManHinh => "man_hinh",
        }
    }

    /// Parses a [`Role::code`].
    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code.trim())
    }

    /// The access an account of this role gets at a unit of `level`, or the reason the pair
    /// makes no sense (e.g. a provincial head attached to a regional office).
    ///
    /// # Errors
    /// A Vietnamese message naming the mismatch.
    pub fn access_at(self, level: Option<UnitLevel>) -> Result<Access, String> {
        use UnitLevel::{Cuc, KhuVuc, Tinh};
        match (self, level) {
            (Role::LanhDao, None | Some(Cuc)) => Ok(Access::National),
            (Role::ManHinh, None | Some(Cuc)) => Ok(Access::Kiosk),
            (Role::PhanTich, None | Some(Cuc)) => Ok(Access::National),
            (Role::PhanTich | Role::TruongTinh, Some(Tinh)) => Ok(Access::Province),
            (Role::TruongPhong, Some(KhuVuc)) => Ok(Access::Office),
            (Role::ChapHanhVien, Some(Tinh | KhuVuc)) => Ok(Access::Own),
            (role, _) => Err(format!(
                "vai trò {} không phù hợp với cấp đơn vị này",
                role.code()
            )),
        }
    }
}

impl Access {
    /// The code stored in `users.access`.
    pub fn code(self) -> &'static str {
        match self {
            Access::National => "national",
            Access::Province => "province",
            Access::Office => "office",
            Access::Own => "own",
            Access::Kiosk => "kiosk",
        }
    }

    /// Parses an [`Access::code`].
    pub fn parse(code: &str) -> Option<Access> {
        [
            Access::National,
            Access::Province,
            Access::Office,
            Access::Own,
            Access::Kiosk,
        ]
        .into_iter()
        .find(|a| a.code() == code)
    }
}

/// The client's IP address as seen by the server (empty when unknown): put in the request
/// extensions of every request by the server's auth middleware, read by whoever audits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientAddr(pub String);

/// The id of the request's session (empty for a Bearer token): put in the request extensions by
/// the server's auth middleware; the secret that confirmation tokens are derived from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionId(pub String);

/// The signed-in caller of one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// `users.id`.
    pub id: i64,
    /// The login name.
    pub login: String,
    /// Shown in the page header.
    pub display_name: String,
    pub role: Role,
    /// What this user may read.
    pub scope: Scope,
}

impl User {
    /// A user of `role` and `scope` with a placeholder id, login and name: the caller of a
    /// rule under test.
    pub fn sample(role: Role, scope: Scope) -> User {
        User {
            id: 1,
            login: "x".into(),
            display_name: "X".into(),
            role,
            scope,
        }
    }

    /// National leadership: may browse the audit log and assign tasks to provinces.
    pub fn is_leadership(&self) -> bool {
        self.role == Role::LanhDao && self.scope == Scope::National
    }

    /// Whether the user may change anything (the wall display may not).
    pub fn may_write(&self) -> bool {
        self.role != Role::ManHinh && self.scope != Scope::Kiosk
    }

    /// Whether the user needs to see the names of the parties (`duong_su.ho_ten`) of cases in
    /// scope: the officer handling them and the head of their office (the rule of
    /// [`Scope::may_see_party_names`], which the SQL executor applies too). Everyone else sees
    /// [`mask_name`]d names.
    pub fn sees_party_names(&self) -> bool {
        self.scope.may_see_party_names()
    }

    /// A party's name as this user may see it: the name itself when [`User::sees_party_names`]
    /// or the party is not a person (`loai` other than `ca_nhan`), else [`mask_name`].
    pub fn party_name(&self, loai: &str, ho_ten: &str) -> String {
        if self.sees_party_names() || loai != "ca_nhan" {
            ho_ten.to_owned()
        } else {
            mask_name(ho_ten)
        }
    }
}

/// Masks a person's name to the initials of its words: `"Nguyễn Văn An"` → `"N. V. A."`.
/// Diacritics of an initial are kept with it, whether the input is NFC or NFD; an empty or
/// blank name gives `"***"` so a masked value never looks missing.
pub fn mask_name(name: &str) -> String {
    let mut out = String::new();
    for word in name.split_whitespace() {
        let mut chars = word.chars();
        let Some(first) = chars.next() else { continue };
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(std::iter::once(first).chain(chars.take_while(|c| is_combining_mark(*c))));
        out.push('.');
    }
    if out.is_empty() {
        "***".to_owned()
    } else {
        out
    }
}

/// Combining diacritical marks (U+0300–U+036F), as in NFD Vietnamese.
fn is_combining_mark(c: char) -> bool {
    ('\u{0300}'..='\u{036F}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    fn user(role: Role, scope: Scope) -> User {
        User::sample(role, scope)
    }

    #[test]
    fn names_are_masked_to_initials() {
        assert_eq!(mask_name("Nguyễn Văn An"), "N. V. A.");
        assert_eq!(mask_name("  Đặng   Thị  Ánh "), "Đ. T. Á.");
        let nfd: String = "Ánh Ưng".nfd().collect();
        let masked = mask_name(&nfd);
        assert_eq!(masked.nfc().collect::<String>(), "Á. Ư.");
        assert_eq!(mask_name(""), "***");
        assert_eq!(mask_name("   "), "***");
        // Nothing of the name past each initial survives.
        assert!(!mask_name("Trần Quốc Toản").contains("rần"));
    }

    #[test]
    fn who_sees_party_names() {
        let officer = user(
            Role::ChapHanhVien,
            Scope::Officer {
                can_bo_id: 7,
                don_vi_id: 3,
                ma_tinh: "01".into(),
            },
        );
        let head = user(
            Role::TruongTinh,
            Scope::Province {
                ma_tinh: "01".into(),
            },
        );
        let leader = user(Role::LanhDao, Scope::National);
        assert_eq!(officer.party_name("ca_nhan", "Lê Văn Tám"), "Lê Văn Tám");
        assert_eq!(head.party_name("ca_nhan", "Lê Văn Tám"), "L. V. T.");
        assert_eq!(leader.party_name("ca_nhan", "Lê Văn Tám"), "L. V. T.");
        // Organisations are not personal data.
        assert_eq!(
            leader.party_name("doanh_nghiep", "Công ty TNHH Ánh Dương"),
            "Công ty TNHH Ánh Dương"
        );
        assert!(leader.is_leadership());
        assert!(!head.is_leadership());
        assert!(!user(Role::ManHinh, Scope::Kiosk).may_write());
        assert!(head.may_write());
    }

    #[test]
    fn roles_round_trip_and_fit_their_units() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
        assert_eq!(Role::parse("admin"), None);
        assert_eq!(
            Role::LanhDao.access_at(Some(UnitLevel::Cuc)),
            Ok(Access::National)
        );
        assert_eq!(
            Role::PhanTich.access_at(Some(UnitLevel::Tinh)),
            Ok(Access::Province)
        );
        assert_eq!(
            Role::TruongPhong.access_at(Some(UnitLevel::KhuVuc)),
            Ok(Access::Office)
        );
        assert_eq!(
            Role::ChapHanhVien.access_at(Some(UnitLevel::KhuVuc)),
            Ok(Access::Own)
        );
        assert!(Role::TruongTinh.access_at(Some(UnitLevel::KhuVuc)).is_err());
        assert!(Role::TruongTinh.access_at(None).is_err());
        assert!(Role::LanhDao.access_at(Some(UnitLevel::Tinh)).is_err());
        for a in ["national", "province", "office", "own", "kiosk"] {
            assert_eq!(Access::parse(a).map(Access::code), Some(a));
        }
    }
}
