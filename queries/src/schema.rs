//! The canonical schema of DOMAIN.md §6 as data: every table, its columns in DDL order, their
//! types and allowed codes.
//!
//! This is the one description of the contract that Rust code reads: the seed writer uses the
//! column order, the analytical store its types, the SQL guard its identifiers. The migrations
//! in `server/migrations/` create the same tables; a test there compares both column by column.

use serde::{Deserialize, Serialize};

/// The storage type of a column, as the portable DDL writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColType {
    /// `INTEGER`: ids, counts, 0/1 flags, years.
    Int,
    /// `BIGINT`: money in đồng.
    BigInt,
    /// `TEXT`: codes and names (NFC).
    Text,
    /// `DATE`: ISO `YYYY-MM-DD` (SQLite stores text).
    Date,
    /// `NUMERIC(5,2)`: a rate in percent.
    Rate,
}

/// One column of a canonical table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColType,
    pub nullable: bool,
}

const fn c(name: &'static str, ty: ColType) -> Column {
    Column {
        name,
        ty,
        nullable: false,
    }
}

const fn n(name: &'static str, ty: ColType) -> Column {
    Column {
        name,
        ty,
        nullable: true,
    }
}

use ColType::{BigInt, Date, Int, Rate, Text};

const TINH_COLUMNS: &[Column] = &[
    c("ma_tinh", Text),
    c("ten", Text),
    c("ten_khong_dau", Text),
    c("loai", Text),
    c("mien", Text),
    c("vung", Text),
    c("dan_so", Int),
    c("tinh_cu", Text),
];

const DON_VI_COLUMNS: &[Column] = &[
    c("id", Int),
    c("ma", Text),
    c("ten", Text),
    c("ten_khong_dau", Text),
    c("cap", Text),
    n("ma_tinh", Text),
    n("don_vi_cha_id", Int),
];

const CAN_BO_COLUMNS: &[Column] = &[
    c("id", Int),
    c("ho_ten", Text),
    c("chuc_vu", Text),
    c("la_chap_hanh_vien", Int),
    c("don_vi_id", Int),
    c("dang_cong_tac", Int),
];

const VIEC_THI_HANH_COLUMNS: &[Column] = &[
    c("id", Int),
    c("ma_viec", Text),
    c("don_vi_id", Int),
    c("ma_tinh", Text),
    n("chap_hanh_vien_id", Int),
    c("loai_an", Text),
    c("hinh_thuc", Text),
    c("ngay_thu_ly", Date),
    n("ngay_ra_quyet_dinh", Date),
    n("ngay_xac_minh", Date),
    c("co_dieu_kien", Int),
    c("trang_thai", Text),
    c("so_tien_phai_thi_hanh", BigInt),
    c("so_tien_da_thi_hanh", BigInt),
    n("ngay_ket_thuc", Date),
    c("nam_thong_ke", Int),
];

const DUONG_SU_COLUMNS: &[Column] = &[
    c("id", Int),
    c("viec_id", Int),
    c("vai_tro", Text),
    c("loai", Text),
    c("ho_ten", Text),
];

const QUYET_DINH_COLUMNS: &[Column] = &[
    c("id", Int),
    c("viec_id", Int),
    c("loai", Text),
    c("so_quyet_dinh", Text),
    c("ngay_ky", Date),
    c("ky_so", Int),
];

const BIEN_PHAP_CUONG_CHE_COLUMNS: &[Column] = &[
    c("id", Int),
    c("viec_id", Int),
    c("nhom", Text),
    c("loai", Text),
    c("ngay_thuc_hien", Date),
];

const BIEN_LAI_COLUMNS: &[Column] = &[
    c("id", Int),
    c("so_bien_lai", Text),
    c("don_vi_id", Int),
    c("ma_tinh", Text),
    n("viec_id", Int),
    c("ngay_thu", Date),
    c("so_tien", BigInt),
    c("dien_tu", Int),
    c("kenh_gui", Text),
    c("ky_so", Int),
    c("trang_thai", Text),
];

const DON_THU_COLUMNS: &[Column] = &[
    c("id", Int),
    c("don_vi_id", Int),
    n("ma_tinh", Text),
    n("viec_id", Int),
    c("loai", Text),
    c("kenh", Text),
    c("ngay_nhan", Date),
    c("han_giai_quyet", Date),
    n("ngay_giai_quyet", Date),
    c("trang_thai", Text),
    n("ket_qua", Text),
];

const CHI_TIEU_COLUMNS: &[Column] = &[
    c("nam_thong_ke", Int),
    c("don_vi_id", Int),
    c("ty_le_viec", Rate),
    c("ty_le_tien", Rate),
];

const NHIEM_VU_COLUMNS: &[Column] = &[
    c("id", Int),
    c("tieu_de", Text),
    c("noi_dung", Text),
    c("loai_hanh_dong", Text),
    c("don_vi_id", Int),
    n("nguoi_giao_id", Int),
    c("ngay_giao", Date),
    c("han_hoan_thanh", Date),
    c("trang_thai", Text),
    c("tien_do", Int),
    n("ngay_hoan_thanh", Date),
    n("so_luong", Int),
    n("pham_vi", Text),
    n("cau_hoi_goc", Text),
];

const NHIEM_VU_VIEC_COLUMNS: &[Column] = &[c("nhiem_vu_id", Int), c("viec_id", Int)];

const LICH_COLUMNS: &[Column] = &[
    c("ngay", Date),
    c("nam", Int),
    c("thang", Text),
    c("quy", Text),
    c("thu", Int),
    c("la_ngay_lam_viec", Int),
    n("ten_ngay_le", Text),
    c("stt_ngay", Int),
    c("stt_ngay_lam_viec", Int),
    c("nam_thong_ke", Int),
];

/// A table of the canonical schema; serialised by its SQL name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    Tinh,
    DonVi,
    CanBo,
    ViecThiHanh,
    DuongSu,
    QuyetDinh,
    BienPhapCuongChe,
    BienLai,
    DonThu,
    ChiTieu,
    NhiemVu,
    NhiemVuViec,
    Lich,
}

impl Table {
    /// Every table, parents before children (the order to load and to insert).
    pub const ALL: [Table; 13] = [
        Table::Tinh,
        Table::DonVi,
        Table::CanBo,
        Table::ViecThiHanh,
        Table::DuongSu,
        Table::QuyetDinh,
        Table::BienPhapCuongChe,
        Table::BienLai,
        Table::DonThu,
        Table::ChiTieu,
        Table::NhiemVu,
        Table::NhiemVuViec,
        Table::Lich,
    ];

    /// The SQL name of the table.
    pub const fn name(self) -> &'static str {
        match self {
            Table::Tinh => "tinh",
            Table::DonVi => "don_vi",
            Table::CanBo => "can_bo",
            Table::ViecThiHanh => "viec_thi_hanh",
            Table::DuongSu => "duong_su",
            Table::QuyetDinh => "quyet_dinh",
            Table::BienPhapCuongChe => "bien_phap_cuong_che",
            Table::BienLai => "bien_lai",
            Table::DonThu => "don_thu",
            Table::ChiTieu => "chi_tieu",
            Table::NhiemVu => "nhiem_vu",
            Table::NhiemVuViec => "nhiem_vu_viec",
            Table::Lich => "lich",
        }
    }

    /// Looks a table up by its SQL name (exact, lowercase).
    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The columns in DDL order.
    pub const fn columns(self) -> &'static [Column] {
        match self {
            Table::Tinh => TINH_COLUMNS,
            Table::DonVi => DON_VI_COLUMNS,
            Table::CanBo => CAN_BO_COLUMNS,
            Table::ViecThiHanh => VIEC_THI_HANH_COLUMNS,
            Table::DuongSu => DUONG_SU_COLUMNS,
            Table::QuyetDinh => QUYET_DINH_COLUMNS,
            Table::BienPhapCuongChe => BIEN_PHAP_CUONG_CHE_COLUMNS,
            Table::BienLai => BIEN_LAI_COLUMNS,
            Table::DonThu => DON_THU_COLUMNS,
            Table::ChiTieu => CHI_TIEU_COLUMNS,
            Table::NhiemVu => NHIEM_VU_COLUMNS,
            Table::NhiemVuViec => NHIEM_VU_VIEC_COLUMNS,
            Table::Lich => LICH_COLUMNS,
        }
    }

    /// The column names in DDL order.
    pub fn column_names(self) -> impl Iterator<Item = &'static str> {
        self.columns().iter().map(|c| c.name)
    }

    /// The column called `name`, if the table has one.
    pub fn column(self, name: &str) -> Option<&'static Column> {
        self.columns().iter().find(|c| c.name == name)
    }
}

/// Case states (`viec_thi_hanh.trang_thai`).
pub mod trang_thai {
    pub const CHO_RA_QUYET_DINH: &str = "cho_ra_quyet_dinh";
    pub const DANG_THI_HANH: &str = "dang_thi_hanh";
    pub const CHUA_CO_DIEU_KIEN: &str = "chua_co_dieu_kien";
    pub const HOAN: &str = "hoan";
    pub const TAM_DINH_CHI: &str = "tam_dinh_chi";
    pub const XONG: &str = "xong";
    pub const DINH_CHI: &str = "dinh_chi";
    pub const UY_THAC: &str = "uy_thac";
    /// Terminal states: the case has `ngay_ket_thuc`.
    pub const TERMINAL: [&str; 3] = [XONG, DINH_CHI, UY_THAC];
    /// Every state.
    pub const ALL: [&str; 8] = [
        CHO_RA_QUYET_DINH,
        DANG_THI_HANH,
        CHUA_CO_DIEU_KIEN,
        HOAN,
        TAM_DINH_CHI,
        XONG,
        DINH_CHI,
        UY_THAC,
    ];
}

/// Case types (`viec_thi_hanh.loai_an`).
pub const LOAI_AN: [&str; 8] = ["ds", "hs", "hngd", "kdtm", "ld", "hc", "ps", "khac"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for t in Table::ALL {
            assert_eq!(Table::from_name(t.name()), Some(t));
            assert_eq!(
                serde_json::to_value(t).ok(),
                Some(serde_json::Value::from(t.name())),
                "serialised by its SQL name"
            );
            let mut cols: Vec<_> = t.column_names().collect();
            let len = cols.len();
            cols.sort_unstable();
            cols.dedup();
            assert_eq!(cols.len(), len, "duplicate column in {}", t.name());
        }
        assert_eq!(Table::from_name("users"), None);
    }

    #[test]
    fn viec_has_sixteen_columns_in_ddl_order() {
        let cols: Vec<_> = Table::ViecThiHanh.column_names().collect();
        assert_eq!(cols.len(), 16);
        assert_eq!(cols[0], "id");
        assert_eq!(cols[15], "nam_thong_ke");
        assert!(Table::ViecThiHanh
            .column("ngay_ket_thuc")
            .is_some_and(|c| c.nullable));
    }
}
