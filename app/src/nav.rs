//! Where each role may go: the sections of the site, which of them a user may open
//! ([`may_open`]), the links of the header ([`links`]) and the page each role lands on
//! ([`home`]).
//!
//! The header and the server's gate read the same rule, so a link the header hides is a page
//! the server refuses (403) when its address is typed. Within a section the page still checks
//! the unit it shows against the caller's data scope (`dash::require`): a provincial head may
//! open `/tinh/…`, but only their own province.

use serde::{Deserialize, Serialize};

/// A part of the site, as the header and the gate see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Section {
    /// `/`: the leadership's home; every other role is sent to its own [`home`].
    Home,
    /// `/man-hinh`: the national wall display.
    Wall,
    /// `/ca-nuoc`: the national view.
    Country,
    /// `/tinh/…`: a province's view.
    Province,
    /// `/don-vi/…`: a regional office's view.
    Office,
    /// `/viec-cua-toi`: a chấp hành viên's own cases and tasks.
    MyWork,
    /// `/hoi-dap`: the analyst console.
    Console,
    /// `/nhiem-vu`: the task board.
    Tasks,
    /// `/nhat-ky`: the audit log.
    Audit,
}

impl Section {
    /// The header's order.
    pub const ALL: [Section; 8] = [
        Section::Wall,
        Section::Country,
        Section::Province,
        Section::Office,
        Section::MyWork,
        Section::Console,
        Section::Tasks,
        Section::Audit,
    ];

    /// The section a page path belongs to; `None` for pages outside every section (a case,
    /// an officer, the password form), which check the caller's data scope themselves.
    pub fn of_path(path: &str) -> Option<Section> {
        if path == "/" {
            return Some(Section::Home);
        }
        let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
        Some(match first {
            "man-hinh" => Section::Wall,
            "ca-nuoc" => Section::Country,
            "tinh" => Section::Province,
            "don-vi" => Section::Office,
            "viec-cua-toi" => Section::MyWork,
            "hoi-dap" => Section::Console,
            "nhiem-vu" => Section::Tasks,
            "nhat-ky" => Section::Audit,
            _ => return None,
        })
    }

    /// The header's label of this section.
    pub fn label(self) -> &'static str {
        use crate::text::nav as t;
        match self {
            Section::Home => t::HOME,
            Section::Wall => t::WALL,
            Section::Country => t::COUNTRY,
            Section::Province => t::MY_PROVINCE,
            Section::Office => t::MY_OFFICE,
            Section::MyWork => t::MY_WORK,
            Section::Console => t::CONSOLE,
            Section::Tasks => t::TASKS,
            Section::Audit => t::AUDIT,
        }
    }
}

/// One link of the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NavLink {
    pub section: Section,
    pub href: String,
}

/// Whether the page at `path` is the one `href` leads to, or a page below it (a province's
/// page stays "Tỉnh của tôi" on its overdue list's later pages).
pub fn is_current(href: &str, path: &str) -> bool {
    path == href || (href != "/" && path.starts_with(href) && path[href.len()..].starts_with('/'))
}

#[cfg(feature = "ssr")]
pub use rules::{home, links, may_open};

#[cfg(feature = "ssr")]
mod rules {
    use super::{NavLink, Section};
    use queries::access::{Role, User};
    use queries::Scope;

    /// Whether `user` may open the pages of `section`.
    pub fn may_open(user: &User, section: Section) -> bool {
        let scope = &user.scope;
        match section {
            Section::Home => true,
            Section::Wall => scope.is_national(),
            Section::Country => *scope == Scope::National,
            Section::Province => matches!(scope, Scope::National | Scope::Province { .. }),
            Section::Office => matches!(
                scope,
                Scope::National | Scope::Province { .. } | Scope::Office { .. }
            ),
            Section::MyWork => matches!(scope, Scope::Officer { .. }),
            Section::Console | Section::Tasks => user.may_write(),
            Section::Audit => user.is_leadership(),
        }
    }

    /// Where `user`'s link to `section` leads, if the header shows one: a province's and an
    /// office's sections are links only for the head of that unit ("Tỉnh của tôi"); the
    /// country reaches them from its own view.
    fn href(user: &User, section: Section) -> Option<String> {
        if !may_open(user, section) {
            return None;
        }
        Some(match (section, &user.scope) {
            (Section::Home, _) => "/".to_owned(),
            (Section::Wall, _) => "/man-hinh".to_owned(),
            (Section::Country, _) => "/ca-nuoc".to_owned(),
            (Section::Province, Scope::Province { ma_tinh }) => format!("/tinh/{ma_tinh}"),
            (Section::Office, Scope::Office { don_vi_id, .. }) => format!("/don-vi/{don_vi_id}"),
            (Section::Province | Section::Office, _) => return None,
            (Section::MyWork, _) => "/viec-cua-toi".to_owned(),
            (Section::Console, _) => "/hoi-dap".to_owned(),
            (Section::Tasks, _) => "/nhiem-vu".to_owned(),
            (Section::Audit, _) => "/nhat-ky".to_owned(),
        })
    }

    /// The header's links for `user`, in [`Section::ALL`] order; none for the wall display.
    pub fn links(user: &User) -> Vec<NavLink> {
        if !user.may_write() {
            return Vec::new();
        }
        Section::ALL
            .into_iter()
            .filter_map(|section| {
                Some(NavLink {
                    section,
                    href: href(user, section)?,
                })
            })
            .collect()
    }

    /// The page `user` lands on after signing in and when opening `/`: the wall display for
    /// its token, the console for an analyst, and otherwise the view of the user's own unit
    /// (the national home for leadership, "Việc của tôi" for a chấp hành viên).
    pub fn home(user: &User) -> String {
        if !user.may_write() {
            return "/man-hinh".to_owned();
        }
        if user.role == Role::PhanTich {
            return "/hoi-dap".to_owned();
        }
        let own = match user.scope {
            Scope::National | Scope::Kiosk => Section::Home,
            Scope::Province { .. } => Section::Province,
            Scope::Office { .. } => Section::Office,
            Scope::Officer { .. } => Section::MyWork,
        };
        href(user, own).unwrap_or_else(|| "/".to_owned())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn user(role: Role, scope: Scope) -> User {
            User::sample(role, scope)
        }

        fn sections(u: &User) -> Vec<Section> {
            links(u).into_iter().map(|l| l.section).collect()
        }

        #[test]
        fn each_role_sees_its_own_sections_and_lands_on_its_unit() {
            use Section::*;
            let leader = user(Role::LanhDao, Scope::National);
            assert_eq!(sections(&leader), [Wall, Country, Console, Tasks, Audit]);
            assert_eq!(home(&leader), "/");
            let analyst = user(Role::PhanTich, Scope::National);
            assert_eq!(sections(&analyst), [Wall, Country, Console, Tasks]);
            assert_eq!(home(&analyst), "/hoi-dap");
            let head = user(
                Role::TruongTinh,
                Scope::Province {
                    ma_tinh: "01".into(),
                },
            );
            assert_eq!(sections(&head), [Province, Console, Tasks]);
            assert_eq!(home(&head), "/tinh/01");
            let office = user(
                Role::TruongPhong,
                Scope::Office {
                    don_vi_id: 7,
                    ma_tinh: "01".into(),
                },
            );
            assert_eq!(sections(&office), [Office, Console, Tasks]);
            assert_eq!(home(&office), "/don-vi/7");
            let officer = user(
                Role::ChapHanhVien,
                Scope::Officer {
                    can_bo_id: 3,
                    don_vi_id: 7,
                    ma_tinh: "01".into(),
                },
            );
            assert_eq!(sections(&officer), [MyWork, Console, Tasks]);
            assert_eq!(home(&officer), "/viec-cua-toi");
            let wall = user(Role::ManHinh, Scope::Kiosk);
            assert!(links(&wall).is_empty());
            assert_eq!(home(&wall), "/man-hinh");
        }

        #[test]
        fn a_hidden_section_is_a_refused_one() {
            let head = user(
                Role::TruongTinh,
                Scope::Province {
                    ma_tinh: "01".into(),
                },
            );
            for section in [
                Section::Wall,
                Section::Country,
                Section::MyWork,
                Section::Audit,
            ] {
                assert!(!may_open(&head, section), "{section:?}");
            }
            let officer = user(
                Role::ChapHanhVien,
                Scope::Officer {
                    can_bo_id: 3,
                    don_vi_id: 7,
                    ma_tinh: "01".into(),
                },
            );
            assert!(!may_open(&officer, Section::Province));
            assert!(!may_open(&officer, Section::Office));
            assert!(may_open(&officer, Section::MyWork));
        }

        #[test]
        fn paths_map_to_sections() {
            assert_eq!(Section::of_path("/"), Some(Section::Home));
            assert_eq!(Section::of_path("/tinh/01"), Some(Section::Province));
            assert_eq!(Section::of_path("/nhat-ky"), Some(Section::Audit));
            assert_eq!(Section::of_path("/viec/12"), None);
            assert_eq!(Section::of_path("/man-hinhx"), None);
            assert!(super::super::is_current("/tinh/01", "/tinh/01"));
            assert!(!super::super::is_current("/tinh/01", "/tinh/010"));
            assert!(!super::super::is_current("/", "/ca-nuoc"));
        }
    }
}
