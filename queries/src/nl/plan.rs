//! The semantic layer: a small query plan over named metrics, case sets and dimensions, and
//! its deterministic compilation to SQL (DOMAIN.md §4 formulas, §6 schema).
//!
//! The language model never writes this SQL: it fills a [`Plan`] (under constrained decoding,
//! so only the names below can come out), entity linking supplies the filters and the period,
//! and [`compile`] writes portable SQL the guard then checks and Polars runs. Every metric has
//! one place here; its formula is the one in DOMAIN.md.

use chrono::NaiveDate;

use super::link::{Duration, DurationUnit, Linked};
use super::time::{stat_year_bounds, stat_year_of, Period};
use crate::Scope;

/// Which base table a metric counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    Viec,
    BienLai,
    DonThu,
    QuyetDinh,
    BienPhap,
    CanBo,
    DonVi,
    Tinh,
    ChiTieu,
    NhiemVu,
}

/// A metric: what the question asks to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    pub key: &'static str,
    pub base: Base,
    /// Vietnamese description, shown to the model and in answers.
    pub label: &'static str,
    /// Unit of the value for the answer sentence.
    pub unit: &'static str,
}

const fn m(key: &'static str, base: Base, label: &'static str, unit: &'static str) -> Metric {
    Metric {
        key,
        base,
        label,
        unit,
    }
}

/// Every metric of the semantic layer.
pub const METRICS: &[Metric] = &[
    m("so_viec", Base::Viec, "số việc thi hành án", "việc"),
    m(
        "tien_phai_thi_hanh",
        Base::Viec,
        "số tiền phải thi hành",
        "tỷ đồng",
    ),
    m(
        "tien_da_thi_hanh",
        Base::Viec,
        "số tiền đã thi hành (đã thu)",
        "tỷ đồng",
    ),
    m(
        "tien_con_phai_thu",
        Base::Viec,
        "số tiền còn phải thi hành (phải − đã thi hành)",
        "tỷ đồng",
    ),
    m(
        "ty_le_xong_viec",
        Base::Viec,
        "tỷ lệ thi hành xong về việc (K4)",
        "%",
    ),
    m(
        "ty_le_xong_tien",
        Base::Viec,
        "tỷ lệ thi hành xong về tiền (K5)",
        "%",
    ),
    m(
        "thoi_gian_tb",
        Base::Viec,
        "thời gian trung bình từ thụ lý đến kết thúc",
        "ngày",
    ),
    m(
        "binh_quan_chv",
        Base::Viec,
        "bình quân số việc thi hành xong mỗi chấp hành viên (K10)",
        "việc",
    ),
    m(
        "chuyen_ky_sau",
        Base::Viec,
        "số việc chuyển kỳ sau (K8)",
        "việc",
    ),
    m(
        "chua_dat_chi_tieu",
        Base::Viec,
        "các tỉnh chưa đạt chỉ tiêu tỷ lệ xong về việc (K15)",
        "%",
    ),
    m(
        "dat_chi_tieu",
        Base::Viec,
        "các tỉnh đã đạt chỉ tiêu tỷ lệ xong về việc (K15)",
        "%",
    ),
    m(
        "so_bien_lai",
        Base::BienLai,
        "số biên lai hợp lệ",
        "biên lai",
    ),
    m(
        "tien_bien_lai",
        Base::BienLai,
        "số tiền thu qua biên lai",
        "tỷ đồng",
    ),
    m(
        "ty_le_bien_lai_dien_tu",
        Base::BienLai,
        "tỷ lệ biên lai điện tử",
        "%",
    ),
    m(
        "ty_le_bien_lai_ky_so",
        Base::BienLai,
        "tỷ lệ biên lai được ký số",
        "%",
    ),
    m(
        "so_don",
        Base::DonThu,
        "số đơn thư (khiếu nại, tố cáo, kiến nghị)",
        "đơn",
    ),
    m(
        "ty_le_don_dung_han",
        Base::DonThu,
        "tỷ lệ đơn giải quyết đúng hạn (K12)",
        "%",
    ),
    m(
        "so_quyet_dinh",
        Base::QuyetDinh,
        "số quyết định",
        "quyết định",
    ),
    m(
        "ty_le_ky_so",
        Base::QuyetDinh,
        "tỷ lệ quyết định được ký số (K13)",
        "%",
    ),
    m(
        "so_bien_phap",
        Base::BienPhap,
        "số lần áp dụng biện pháp bảo đảm/cưỡng chế",
        "lần",
    ),
    m(
        "so_chv",
        Base::CanBo,
        "số chấp hành viên đang công tác",
        "người",
    ),
    m("so_can_bo", Base::CanBo, "số cán bộ đang công tác", "người"),
    m(
        "so_phong_kv",
        Base::DonVi,
        "số Phòng THADS khu vực",
        "phòng",
    ),
    m(
        "tinh_cu",
        Base::Tinh,
        "các tỉnh cũ hợp nhất thành tỉnh mới",
        "",
    ),
    m("dan_so", Base::Tinh, "dân số", "người"),
    m(
        "chi_tieu",
        Base::ChiTieu,
        "chỉ tiêu tỷ lệ xong về việc và về tiền được giao",
        "%",
    ),
    m(
        "so_nhiem_vu",
        Base::NhiemVu,
        "số nhiệm vụ được giao",
        "nhiệm vụ",
    ),
    m(
        "ds_nhiem_vu",
        Base::NhiemVu,
        "danh sách nhiệm vụ (tên, đơn vị, hạn)",
        "",
    ),
    m(
        "so_ngay_tb_don",
        Base::DonThu,
        "thời gian giải quyết đơn trung bình",
        "ngày",
    ),
    m(
        "tien_do_tb",
        Base::NhiemVu,
        "tiến độ trung bình của nhiệm vụ",
        "%",
    ),
    m(
        "so_tien_tb",
        Base::Viec,
        "số tiền phải thi hành bình quân mỗi việc",
        "triệu đồng",
    ),
    m("ds_viec", Base::Viec, "danh sách việc thi hành án", ""),
    m("ds_don", Base::DonThu, "danh sách đơn thư", ""),
    m("ds_bien_lai", Base::BienLai, "danh sách biên lai", ""),
    m("ds_quyet_dinh", Base::QuyetDinh, "danh sách quyết định", ""),
    m(
        "ds_bien_phap",
        Base::BienPhap,
        "danh sách biện pháp bảo đảm, cưỡng chế",
        "",
    ),
];

/// The columns of a record list, per base: the id first (a task links the ids), then what a
/// leader reads. At most eight, so a list stays readable on a laptop.
pub fn list_columns(base: Base) -> &'static [(&'static str, &'static str)] {
    match base {
        Base::Viec => &[
            ("v.id", "id_ban_ghi"),
            ("v.ma_viec", "ma_viec"),
            ("ul.ten", "don_vi"),
            ("v.loai_an", "loai_an"),
            ("v.trang_thai", "trang_thai"),
            ("v.ngay_thu_ly", "ngay_thu_ly"),
            ("v.so_tien_phai_thi_hanh", "so_tien_phai_thi_hanh"),
            ("v.so_tien_da_thi_hanh", "so_tien_da_thi_hanh"),
        ],
        Base::DonThu => &[
            ("d.id", "id_ban_ghi"),
            ("ul.ten", "don_vi"),
            ("d.loai", "loai"),
            ("d.kenh", "kenh"),
            ("d.ngay_nhan", "ngay_nhan"),
            ("d.han_giai_quyet", "han_giai_quyet"),
            ("d.trang_thai", "trang_thai"),
            ("d.ket_qua", "ket_qua"),
        ],
        Base::BienLai => &[
            ("b.id", "id_ban_ghi"),
            ("b.so_bien_lai", "so_bien_lai"),
            ("ul.ten", "don_vi"),
            ("b.ngay_thu", "ngay_thu"),
            ("b.so_tien", "so_tien"),
            ("b.kenh_gui", "kenh_gui"),
            ("b.ky_so", "ky_so"),
            ("b.trang_thai", "trang_thai"),
        ],
        Base::QuyetDinh => &[
            ("q.id", "id_ban_ghi"),
            ("q.so_quyet_dinh", "so_quyet_dinh"),
            ("v.ma_viec", "ma_viec"),
            ("q.loai", "loai"),
            ("q.ngay_ky", "ngay_ky"),
            ("q.ky_so", "ky_so"),
        ],
        Base::BienPhap => &[
            ("k.id", "id_ban_ghi"),
            ("v.ma_viec", "ma_viec"),
            ("k.nhom", "nhom"),
            ("k.loai", "loai"),
            ("k.ngay_thuc_hien", "ngay_thuc_hien"),
        ],
        _ => &[],
    }
}

/// The amount a record list is ranked by ("số tiền lớn nhất").
fn list_amount(base: Base) -> Option<&'static str> {
    match base {
        Base::Viec => Some("so_tien_phai_thi_hanh"),
        Base::BienLai => Some("so_tien"),
        _ => None,
    }
}

/// A set of rows the metric is computed over (a status, an overdue rule, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseSet {
    pub key: &'static str,
    pub base: Base,
    pub label: &'static str,
}

const fn s(key: &'static str, base: Base, label: &'static str) -> CaseSet {
    CaseSet { key, base, label }
}

/// Every case set. `tat_ca` exists for every base.
pub const SETS: &[CaseSet] = &[
    s(
        "tat_ca",
        Base::Viec,
        "mọi việc (thời gian lọc theo ngày thụ lý)",
    ),
    s(
        "chua_ket_thuc",
        Base::Viec,
        "việc chưa kết thúc / tồn đọng / đang giải quyết",
    ),
    s(
        "co_dk_chua_xong",
        Base::Viec,
        "việc có điều kiện chưa kết thúc",
    ),
    s(
        "chua_co_dieu_kien",
        Base::Viec,
        "việc chưa có điều kiện thi hành",
    ),
    s("dang_thi_hanh", Base::Viec, "việc đang thi hành"),
    s(
        "cho_ra_quyet_dinh",
        Base::Viec,
        "việc chờ ra quyết định thi hành án",
    ),
    s("hoan", Base::Viec, "việc đang hoãn thi hành"),
    s("tam_dinh_chi", Base::Viec, "việc tạm đình chỉ"),
    s(
        "xong",
        Base::Viec,
        "việc thi hành xong, gồm đình chỉ (thời gian lọc theo ngày kết thúc)",
    ),
    s(
        "xong_khong_dinh_chi",
        Base::Viec,
        "việc thi hành xong, không tính đình chỉ",
    ),
    s("dinh_chi", Base::Viec, "việc đình chỉ"),
    s("uy_thac", Base::Viec, "việc ủy thác"),
    s(
        "qh01",
        Base::Viec,
        "ra quyết định thi hành án chậm quá 5 ngày làm việc",
    ),
    s(
        "qh02",
        Base::Viec,
        "chưa ra quyết định thi hành án quá 5 ngày làm việc",
    ),
    s("qh03", Base::Viec, "chưa xác minh điều kiện quá hạn"),
    s(
        "qh04",
        Base::Viec,
        "chưa có điều kiện quá 6 tháng chưa xác minh lại",
    ),
    s("qh05", Base::Viec, "hoãn kéo dài quá 90 ngày"),
    s("qh06", Base::Viec, "tạm đình chỉ kéo dài quá 180 ngày"),
    s(
        "qh07",
        Base::Viec,
        "đã thu đủ tiền nhưng quá 10 ngày chưa kết thúc",
    ),
    s(
        "qh08",
        Base::Viec,
        "có điều kiện nhưng chưa tác động quá 60 ngày",
    ),
    s(
        "qh09",
        Base::Viec,
        "kê biên quá 5 ngày làm việc chưa thẩm định giá",
    ),
    s("qh10", Base::Viec, "thẩm định giá quá 55 ngày chưa đấu giá"),
    s("qh11", Base::Viec, "việc có điều kiện tồn quá 12 tháng"),
    s("tat_ca", Base::BienLai, "biên lai hợp lệ"),
    s(
        "tat_ca",
        Base::DonThu,
        "mọi đơn (thời gian lọc theo ngày nhận)",
    ),
    s("chua_giai_quyet", Base::DonThu, "đơn chưa giải quyết xong"),
    s(
        "da_giai_quyet",
        Base::DonThu,
        "đơn đã giải quyết (thời gian lọc theo ngày giải quyết)",
    ),
    s("qh12", Base::DonThu, "đơn quá hạn chưa giải quyết"),
    s("qh13", Base::DonThu, "đơn giải quyết trễ hạn"),
    s("qh14", Base::DonThu, "đơn mới quá 10 ngày chưa thụ lý"),
    s(
        "tat_ca",
        Base::QuyetDinh,
        "mọi quyết định (thời gian lọc theo ngày ký)",
    ),
    s(
        "qh16",
        Base::QuyetDinh,
        "quyết định chưa ký số từ 12/12/2025",
    ),
    s(
        "tat_ca",
        Base::BienPhap,
        "mọi biện pháp (thời gian lọc theo ngày thực hiện)",
    ),
    s("tat_ca", Base::CanBo, "cán bộ đang công tác"),
    s("tat_ca", Base::DonVi, "đơn vị"),
    s("tat_ca", Base::Tinh, "tỉnh"),
    s("tat_ca", Base::ChiTieu, "chỉ tiêu"),
    s("tat_ca", Base::NhiemVu, "mọi nhiệm vụ"),
    s("qh15", Base::NhiemVu, "nhiệm vụ quá hạn"),
    s("dang_thuc_hien", Base::NhiemVu, "nhiệm vụ chưa hoàn thành"),
    s("hoan_thanh", Base::NhiemVu, "nhiệm vụ đã hoàn thành"),
];

/// Group-by dimensions.
pub const DIMS: &[(&str, &str)] = &[
    ("khong", "không chia nhóm"),
    ("tinh", "theo tỉnh/thành phố"),
    ("mien", "theo miền (Bắc, Trung, Nam)"),
    ("vung", "theo vùng kinh tế - xã hội"),
    ("phong_kv", "theo Phòng THADS khu vực"),
    ("chv", "theo chấp hành viên"),
    ("loai_an", "theo loại án"),
    ("trang_thai", "theo trạng thái việc"),
    ("co_dieu_kien", "có điều kiện / chưa có điều kiện"),
    ("hinh_thuc", "theo hình thức (chủ động / theo yêu cầu)"),
    ("ngay", "theo ngày"),
    (
        "nhom_bien_phap",
        "theo nhóm biện pháp (bảo đảm, cưỡng chế, xử lý tài sản)",
    ),
    ("loai_hanh_dong", "theo loại nhiệm vụ"),
    ("thang", "theo tháng"),
    ("quy", "theo quý"),
    ("loai_don", "theo loại đơn"),
    ("kenh", "theo kênh nhận đơn"),
    ("kenh_gui", "theo kênh gửi biên lai"),
    ("loai_bien_phap", "theo loại biện pháp"),
    ("loai_quyet_dinh", "theo loại quyết định"),
    ("chuc_vu", "theo chức vụ"),
];

/// Sort directions.
pub const ORDERS: &[&str] = &["khong", "giam", "tang"];

/// A filled plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub metric: &'static str,
    pub set: &'static str,
    pub by: &'static str,
    /// `khong`, `giam` (largest first), `tang` (smallest first).
    pub order: &'static str,
    pub limit: Option<u32>,
    /// A second figure over the same rows ("bao nhiêu việc …, và còn phải thu bao nhiêu tỷ
    /// đồng?"): a count or a sum of the same base, see [`second_value_metrics`].
    pub also: Option<&'static str>,
    /// A second grouping dimension the question names explicitly ("theo loại án và hình
    /// thức"), `khong` otherwise. Not a slot of the model's line: taken from the words.
    pub by2: &'static str,
}

/// Metrics that can be a plan's second value: plain counts and sums, which add a column to the
/// same `SELECT` without changing its rows.
pub fn second_value_metrics(first: &Metric) -> Vec<&'static str> {
    // The carry-over (K8) counts its own rows: a sum over them is a second figure too.
    if simple_value(first.key).is_none() && first.key != "chuyen_ky_sau" {
        return Vec::new();
    }
    // The carry-over is a count already: its second figure is a sum.
    let count_first = first.key == "chuyen_ky_sau";
    METRICS
        .iter()
        .filter(|m| m.base == first.base && m.key != first.key)
        .filter(|m| simple_parts(m.key).is_some_and(|(summed, _)| !count_first || summed.is_some()))
        .map(|m| m.key)
        .collect()
}

/// The aggregate and its column name for a metric that is a plain count or sum.
fn simple_value(key: &str) -> Option<(String, &'static str)> {
    let (summed, name) = simple_parts(key)?;
    Some((
        match summed {
            None => "COUNT(*)".into(),
            Some(e) => format!("ROUND(SUM({e}) / 1000000000.0, 2)"),
        },
        name,
    ))
}

/// Whether the metric lists records (`ds_…`: one row per case, petition, task …).
pub fn is_record_list(key: &str) -> bool {
    key.starts_with("ds_")
}

/// Whether the metric is one figure over rows (a count or a sum), not a list or a rate.
pub fn is_plain_figure(key: &str) -> bool {
    simple_parts(key).is_some()
}

/// A plain count (`None`) or a sum in tỷ đồng of the expression, and its column name.
fn simple_parts(key: &str) -> Option<(Option<&'static str>, &'static str)> {
    Some(match key {
        "so_viec" | "so_bien_lai" | "so_don" | "so_quyet_dinh" | "so_bien_phap" | "so_chv"
        | "so_can_bo" | "so_phong_kv" | "so_nhiem_vu" => {
            (None, METRICS.iter().find(|m| m.key == key)?.key)
        }
        "tien_phai_thi_hanh" => (Some("v.so_tien_phai_thi_hanh"), "ty_dong"),
        "tien_da_thi_hanh" => (Some("v.so_tien_da_thi_hanh"), "ty_dong"),
        "tien_con_phai_thu" => (
            Some("v.so_tien_phai_thi_hanh - v.so_tien_da_thi_hanh"),
            "ty_dong",
        ),
        "tien_bien_lai" => (Some("b.so_tien"), "ty_dong"),
        _ => return None,
    })
}

/// The figure of a plain count or sum over the rows where `pred` holds.
fn part_value(summed: Option<&str>, pred: &str) -> String {
    match summed {
        None => format!("SUM(CASE WHEN {pred} THEN 1 ELSE 0 END)"),
        Some(e) => format!("ROUND(SUM(CASE WHEN {pred} THEN {e} ELSE 0 END) / 1000000000.0, 2)"),
    }
}

/// Looks a metric up by key.
pub fn metric(key: &str) -> Option<&'static Metric> {
    METRICS.iter().find(|m| m.key == key)
}

/// The case sets a metric may use.
pub fn sets_for(metric: &Metric) -> Vec<&'static CaseSet> {
    SETS.iter().filter(|s| s.base == metric.base).collect()
}

/// The dimensions a metric may be grouped by.
pub fn dims_for(metric: &Metric) -> Vec<&'static str> {
    let geo: &[&str] = &["khong", "tinh", "mien", "vung"];
    let extra: &[&str] = match metric.base {
        Base::Viec if matches!(metric.key, "chua_dat_chi_tieu" | "dat_chi_tieu") => &[],
        Base::Viec if matches!(metric.key, "binh_quan_chv") => &[],
        _ if is_record_list(metric.key) => &[],
        Base::Viec => &[
            "phong_kv",
            "chv",
            "loai_an",
            "trang_thai",
            "co_dieu_kien",
            "hinh_thuc",
            "thang",
            "quy",
            "ngay",
        ],
        Base::BienLai => &["phong_kv", "kenh_gui", "thang", "quy", "ngay"],
        Base::DonThu => &["phong_kv", "loai_don", "kenh", "thang", "quy", "ngay"],
        Base::QuyetDinh => &["loai_quyet_dinh", "thang", "quy", "ngay"],
        Base::BienPhap => &["loai_bien_phap", "nhom_bien_phap", "thang", "quy", "ngay"],
        Base::CanBo => &["phong_kv", "chuc_vu"],
        Base::DonVi => &["phong_kv"],
        Base::NhiemVu => &["loai_hanh_dong"],
        Base::Tinh | Base::ChiTieu => &[],
    };
    let geo: &[&str] = match metric.base {
        _ if is_record_list(metric.key) && metric.key != "ds_nhiem_vu" => &["khong"],
        Base::Tinh | Base::ChiTieu | Base::NhiemVu => &["khong", "tinh"],
        Base::Viec if matches!(metric.key, "chua_dat_chi_tieu" | "dat_chi_tieu") => &["tinh"],
        Base::Viec if metric.key == "binh_quan_chv" => &["khong", "tinh"],
        Base::CanBo | Base::DonVi => &["khong", "tinh", "mien", "vung", "phong_kv"],
        _ => geo,
    };
    let mut out: Vec<&str> = geo.to_vec();
    for d in extra {
        if !out.contains(d) {
            out.push(d);
        }
    }
    out
}

/// Why a plan cannot be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("không có chỉ số {0}")]
    UnknownMetric(String),
    #[error("chỉ số {metric} không dùng được với {what} {value}")]
    Mismatch {
        metric: &'static str,
        what: &'static str,
        value: String,
    },
}

/// What the compiler needs besides the plan.
pub struct Context<'a> {
    pub linked: &'a Linked,
    pub scope: &'a Scope,
    pub as_of: NaiveDate,
}

/// Compiled SQL and what the answer needs to describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    pub sql: String,
    /// Name of the value column (the one the sentence reads).
    pub value_column: String,
    /// The period the SQL uses, stated in the answer.
    pub period_label: Option<String>,
    /// The question's conditions the SQL applies, in words, restated in the answer.
    pub applied: Vec<String>,
    /// The question's conditions no join path of the metric reaches: the SQL does not answer
    /// the question asked ([`super::coverage`]).
    pub not_applied: Vec<String>,
    /// Value columns of a many-figure answer (a share with its parts, two periods side by
    /// side), with what each holds, in the order the sentence reads them.
    pub described: Vec<(String, String)>,
    /// Two periods side by side ([`Linked::second_period`]).
    pub compared: bool,
}

/// A SQL string literal (quotes doubled).
pub(super) fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn in_list(col: &str, values: &[&str]) -> String {
    if values.len() == 1 {
        format!("{col} = {}", lit(values[0]))
    } else {
        let v: Vec<String> = values.iter().map(|v| lit(v)).collect();
        format!("{col} IN ({})", v.join(", "))
    }
}

const NON_TERMINAL: &str = "NOT IN ('xong','dinh_chi','uy_thac')";

/// SQL under construction.
#[derive(Default)]
struct Q {
    with: Vec<String>,
    from: String,
    joins: Vec<String>,
    wheres: Vec<String>,
    keys: Vec<(String, String)>,
    group: Vec<String>,
    values: Vec<(String, String)>,
    having: Vec<String>,
    order: Vec<String>,
    limit: Option<u32>,
    /// Compare the single value with a unit's target: rendered as `WITH r AS (…) SELECT r.*,
    /// target FROM r CROSS JOIN chi_tieu …` (Polars runs no scalar subquery in a select list).
    target: Option<Target>,
    /// The provinces whose rate (by `ma_tinh`) is below (`true`) or at least (`false`) their
    /// own target of year `.0`: rendered as a CTE joined to `chi_tieu` (Polars cannot compare
    /// an aggregate with a grouped column in `HAVING`).
    vs_target: Option<(i32, bool)>,
    /// The question's time threshold was taken as the rule's own ("hoãn quá 120 ngày").
    rule_took_duration: bool,
}

/// The `chi_tieu` row a rate is compared with.
struct Target {
    /// `ty_le_viec`, `ty_le_tien` or both.
    columns: Vec<&'static str>,
    /// `don_vi.ma` of the unit.
    unit: String,
    year: i32,
}

impl Q {
    fn join(&mut self, j: String) {
        if !self.joins.contains(&j) {
            self.joins.push(j);
        }
    }

    fn render(&self) -> String {
        let body = self.render_select();
        if let Some((year, below)) = self.vs_target {
            let (cmp, dir) = if below { ("<", "") } else { (">=", " DESC") };
            return format!(
                "WITH r AS ({body}) SELECT t.ten, r.ty_le, ct.ty_le_viec AS chi_tieu FROM r JOIN tinh t ON t.ma_tinh = r.ma_tinh JOIN don_vi u ON u.ma_tinh = r.ma_tinh AND u.cap = 'tinh' JOIN chi_tieu ct ON ct.don_vi_id = u.id AND ct.nam_thong_ke = {year} WHERE r.ty_le {cmp} ct.ty_le_viec ORDER BY r.ty_le{dir}, t.ma_tinh"
            );
        }
        let Some(t) = &self.target else { return body };
        let mut values: Vec<String> = self.values.iter().map(|(_, a)| format!("r.{a}")).collect();
        values.extend(
            t.columns
                .iter()
                .map(|c| format!("ct.{c} AS {}", target_name(c, t.columns.len()))),
        );
        format!(
            "WITH r AS ({body}) SELECT {} FROM r CROSS JOIN chi_tieu ct JOIN don_vi u ON u.id = ct.don_vi_id WHERE u.ma = {} AND ct.nam_thong_ke = {}",
            values.join(", "),
            lit(&t.unit),
            t.year
        )
    }

    fn render_select(&self) -> String {
        let mut sql = String::new();
        if !self.with.is_empty() {
            sql.push_str("WITH ");
            sql.push_str(&self.with.join(", "));
            sql.push(' ');
        }
        let cols: Vec<String> = self
            .keys
            .iter()
            .chain(&self.values)
            .map(|(e, a)| {
                if e == a || e.ends_with(&format!(".{a}")) {
                    e.clone()
                } else {
                    format!("{e} AS {a}")
                }
            })
            .collect();
        sql.push_str(&format!("SELECT {} FROM {}", cols.join(", "), self.from));
        for j in &self.joins {
            sql.push(' ');
            sql.push_str(j);
        }
        if !self.wheres.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&self.wheres.join(" AND "));
        }
        if !self.group.is_empty() {
            sql.push_str(" GROUP BY ");
            sql.push_str(&self.group.join(", "));
        }
        if !self.having.is_empty() {
            sql.push_str(" HAVING ");
            sql.push_str(&self.having.join(" AND "));
        }
        if !self.order.is_empty() {
            sql.push_str(" ORDER BY ");
            sql.push_str(&self.order.join(", "));
        }
        if let Some(n) = self.limit {
            sql.push_str(&format!(" LIMIT {n}"));
        }
        sql
    }
}

/// Columns of a base table: its province column and its unit column.
struct Cols {
    province: String,
    unit: Option<String>,
}

/// Compiles `plan` to SQL.
///
/// # Errors
/// [`PlanError`] when the plan combines names that do not fit (the model is constrained not to,
/// but the plan may also come from elsewhere).
pub fn compile(plan: &Plan, cx: &Context<'_>) -> Result<Compiled, PlanError> {
    // "Đơn vị mình có đạt chỉ tiêu không?": for one unit, the rate beside its target answers
    // it; the list of provinces that met theirs does not.
    let one_unit = cx.linked.office.is_some()
        || cx.linked.provinces.len() == 1
        || cx.scope.province().is_some();
    if matches!(plan.metric, "dat_chi_tieu" | "chua_dat_chi_tieu") && one_unit && plan.by == "khong"
    {
        let linked = Linked {
            wants_target: true,
            ..cx.linked.clone()
        };
        let rate = Plan {
            metric: "ty_le_xong_viec",
            ..plan.clone()
        };
        return compile(
            &rate,
            &Context {
                linked: &linked,
                ..*cx
            },
        );
    }
    let compiled = compile_any(plan, cx)?;
    Ok(if cx.linked.in_millions {
        in_millions(compiled)
    } else {
        compiled
    })
}

/// Sums of money in triệu đồng instead of tỷ đồng, when the question asks so.
fn in_millions(c: Compiled) -> Compiled {
    let rename = |s: &str| s.replace("ty_dong", "trieu_dong");
    Compiled {
        sql: rename(&c.sql).replace(" / 1000000000.0, 2)", " / 1000000.0, 2)"),
        value_column: rename(&c.value_column),
        described: c
            .described
            .iter()
            .map(|(col, what)| (rename(col), what.clone()))
            .collect(),
        ..c
    }
}

fn compile_any(plan: &Plan, cx: &Context<'_>) -> Result<Compiled, PlanError> {
    let l = cx.linked;
    let one_figure = plan.by == "khong" && !is_record_list(plan.metric);
    // Two periods side by side ("so với cùng kỳ năm trước").
    if let (Some(second), true) = (&l.second_period, one_figure) {
        let mut first = l.clone();
        first.second_period = None;
        let mut other = first.clone();
        other.period = Some(second.clone());
        let first_label = l
            .period
            .as_ref()
            .map(|p| p.label.clone())
            .unwrap_or_default();
        return side_by_side(
            plan,
            cx,
            (&first, first_label),
            (&other, second.label.clone()),
        );
    }
    // A province against the country ("Nghệ An so với cả nước"): only a national scope sees
    // the country's rows.
    let one_place = match (l.provinces.as_slice(), l.mien.len() + l.vung.len()) {
        ([p], 0) => crate::org::province(p.ma_tinh).map(|p| p.ten.to_owned()),
        ([], 1) => Some(
            l.mien
                .iter()
                .chain(&l.vung)
                .map(|r| format!("vùng/miền {r}"))
                .collect(),
        ),
        _ => None,
    };
    if let (true, true, None, Some(place)) = (
        l.compare_country,
        one_figure,
        cx.scope.province(),
        one_place,
    ) {
        let mut country = l.clone();
        country.provinces.clear();
        country.mien.clear();
        country.vung.clear();
        country.office = None;
        return side_by_side(
            plan,
            cx,
            (l, place.to_owned()),
            (&country, "cả nước".into()),
        );
    }
    let mut one = l.clone();
    one.second_period = None;
    compile_one(
        plan,
        &Context {
            linked: &one,
            ..*cx
        },
    )
}

/// One figure computed twice (two periods, a unit and the country), side by side with the
/// difference; the plain figure when either SQL cannot be nested.
fn side_by_side(
    plan: &Plan,
    cx: &Context<'_>,
    (first, first_label): (&Linked, String),
    (second, second_label): (&Linked, String),
) -> Result<Compiled, PlanError> {
    let a = compile_one(
        plan,
        &Context {
            linked: first,
            ..*cx
        },
    )?;
    if a.sql.starts_with("WITH") || !a.described.is_empty() {
        return Ok(a);
    }
    let b = compile_one(
        plan,
        &Context {
            linked: second,
            ..*cx
        },
    )?;
    let v = &a.value_column;
    let label = format!("{first_label} so với {second_label}");
    Ok(Compiled {
        sql: format!(
            // `1.0 *`: Polars counts are unsigned, and a negative difference would wrap.
            "WITH a AS ({}), b AS ({}) SELECT a.{v} AS ky_nay, b.{v} AS ky_so_sanh, 1.0 * a.{v} - b.{v} AS chenh_lech FROM a CROSS JOIN b",
            a.sql, b.sql
        ),
        value_column: "ky_nay".into(),
        described: vec![
            ("ky_nay".into(), first_label),
            ("ky_so_sanh".into(), second_label),
            ("chenh_lech".into(), "chênh lệch".into()),
        ],
        compared: true,
        period_label: Some(match (&a.period_label, first.second_period.is_none() && second.period != first.period) {
            (Some(p), false) => p.clone(),
            _ => label,
        }),
        ..a
    })
}

/// Compiles `plan` over one period.
fn compile_one(plan: &Plan, cx: &Context<'_>) -> Result<Compiled, PlanError> {
    let metric = metric(plan.metric).ok_or_else(|| PlanError::UnknownMetric(plan.metric.into()))?;
    if !sets_for(metric).iter().any(|s| s.key == plan.set) {
        return Err(PlanError::Mismatch {
            metric: metric.key,
            what: "tập",
            value: plan.set.into(),
        });
    }
    if !dims_for(metric).contains(&plan.by) {
        return Err(PlanError::Mismatch {
            metric: metric.key,
            what: "chiều",
            value: plan.by.into(),
        });
    }
    if let Some(also) = plan.also {
        if !second_value_metrics(metric).contains(&also) {
            return Err(PlanError::Mismatch {
                metric: metric.key,
                what: "chỉ số thứ hai",
                value: also.into(),
            });
        }
    }
    let mut q = Q::default();
    let period = effective_period(metric, cx);
    let cols = base(metric, &mut q);
    let before_set = q.wheres.len();
    let date_col = apply_set(metric, plan.set, &mut q, cx);
    let set_preds: Vec<String> = q.wheres[before_set..].to_vec();
    let value_column = apply_metric(
        metric,
        plan,
        &mut q,
        cx,
        period.as_ref(),
        date_col.as_deref(),
    );
    if let Some((expr, name)) = plan.also.and_then(simple_value) {
        // Two sums are both `ty_dong`: the second is named after its metric.
        let name = match plan.also {
            Some(key) if q.values.iter().any(|(_, a)| a == name) => key,
            _ => name,
        };
        q.values.push((expr, name.into()));
    }
    if !matches!(
        metric.key,
        "ty_le_xong_viec"
            | "ty_le_xong_tien"
            | "chua_dat_chi_tieu"
            | "dat_chi_tieu"
            | "binh_quan_chv"
            | "chuyen_ky_sau"
    ) {
        if let (Some(p), Some(col)) = (&period, &date_col) {
            q.wheres.push(format!(
                "{col} BETWEEN {} AND {}",
                lit(&p.from.to_string()),
                lit(&p.to.to_string())
            ));
        }
    }
    apply_filters(metric, &cols, &mut q, cx);
    let (applied, mut not_applied, part) =
        apply_conditions(metric, plan, &mut q, cx, date_col.as_deref());
    let part = part
        .filter(|p| !p.preds.is_empty())
        .or_else(|| set_share(metric, plan, &mut q, cx, &set_preds));
    let mut described = Vec::new();
    let value_column = match (part, simple_parts(metric.key)) {
        (Some(part), Some((summed, name))) if !part.preds.is_empty() => {
            described = apply_part(&mut q, &part, summed, name, metric);
            described.last().map_or(value_column, |(c, _)| c.clone())
        }
        (Some(part), _) if !part.preds.is_empty() => {
            not_applied.push(format!("phần “{}” của tổng", part.labels.join("; ")));
            value_column
        }
        _ => value_column,
    };
    if let Some((op, n)) = cx.linked.value_threshold {
        match q.values.iter().find(|(_, a)| *a == value_column) {
            Some((expr, _)) if !q.group.is_empty() && !metric.unit.is_empty() => {
                let expr = expr.clone();
                q.having.push(format!("{expr} {op} {n}"));
            }
            _ => not_applied.push(format!("ngưỡng {op} {n} của giá trị")),
        }
    }
    apply_dim(
        metric,
        plan,
        &cols,
        &mut q,
        date_col.as_deref(),
        &value_column,
    );
    if plan.by2 != "khong" && plan.by2 != plan.by && dims_for(metric).contains(&plan.by2) {
        let second = Plan {
            by: plan.by2,
            ..plan.clone()
        };
        apply_dim(
            metric,
            &second,
            &cols,
            &mut q,
            date_col.as_deref(),
            &value_column,
        );
        let mut seen = Vec::new();
        q.order.retain(|o| {
            let new = !seen.contains(o);
            seen.push(o.clone());
            new
        });
    }
    if let Some(n) = plan.limit {
        q.limit = Some(n);
    }
    Ok(Compiled {
        sql: q.render(),
        value_column,
        period_label: period.map(|p| p.label),
        applied,
        not_applied,
        described,
        compared: false,
    })
}

/// "Tỷ lệ đơn giải quyết trễ hạn": the share of the case set among the base's rows, when the
/// set is named after the share's words and no value is.
fn set_share(
    metric: &Metric,
    plan: &Plan,
    q: &mut Q,
    cx: &Context<'_>,
    set_preds: &[String],
) -> Option<Part> {
    let marker = cx.linked.part?;
    let named_after = cx
        .linked
        .set_spans
        .iter()
        .any(|(s, from, _)| *s == plan.set && marker.holds(*from));
    let asks_part = marker.share || marker.explicit;
    if !asks_part || !named_after || set_preds.is_empty() || simple_parts(metric.key).is_none() {
        return None;
    }
    q.wheres.retain(|w| !set_preds.contains(w));
    // "bao nhiêu việc đang hoãn, trong đó bao nhiêu hoãn quá 90 ngày": the rows are the status
    // named before the marker, the part is the rule named after it.
    let population = cx.linked.set_spans.iter().find(|(s, from, _)| {
        *s != plan.set
            && *from < marker.at
            && SETS.iter().any(|x| x.key == *s && x.base == metric.base)
    });
    if let Some((set, _, _)) = population {
        apply_set(metric, set, q, cx);
    }
    let label = SETS
        .iter()
        .find(|s| s.key == plan.set && s.base == metric.base)
        .map_or(plan.set, |s| s.label);
    Some(Part {
        preds: set_preds.to_vec(),
        labels: vec![label.to_owned()],
        share: true,
    })
}

/// The rows a "part" of the question picks out of its rows: "trong đó bao nhiêu được ký số",
/// "… chiếm bao nhiêu phần trăm".
struct Part {
    preds: Vec<String>,
    labels: Vec<String>,
    share: bool,
}

/// A predicate usable inside `CASE WHEN` on Polars: `lhs [NOT] IN (SELECT k FROM …)` becomes a
/// left join of the subquery's keys (grouped, so each row matches once) and a null test.
fn joined_flag(q: &mut Q, pred: &str, i: usize) -> String {
    let (lhs, negated, rest) = match pred.split_once(" NOT IN (SELECT ") {
        Some((lhs, rest)) => (lhs, true, rest),
        None => match pred.split_once(" IN (SELECT ") {
            Some((lhs, rest)) => (lhs, false, rest),
            None => return pred.to_owned(),
        },
    };
    let (Some((key, from)), false) = (rest.split_once(" FROM "), lhs.contains(' ')) else {
        return pred.to_owned();
    };
    let from = from.strip_suffix(')').unwrap_or(from);
    let alias = format!("pp{i}");
    let group = if from.contains(" GROUP BY ") {
        String::new()
    } else {
        format!(" GROUP BY {key}")
    };
    q.join(format!(
        "LEFT JOIN (SELECT {key} AS k FROM {from}{group}) {alias} ON {alias}.k = {lhs}"
    ));
    format!("{alias}.k IS {}NULL", if negated { "" } else { "NOT " })
}

/// A share or a subset: the total, the part, and for a share the percentage, side by side.
/// Returns the value columns with what each holds (the figure asked last).
fn apply_part(
    q: &mut Q,
    part: &Part,
    summed: Option<&str>,
    name: &str,
    metric: &Metric,
) -> Vec<(String, String)> {
    let pred = part
        .preds
        .iter()
        .enumerate()
        .map(|(i, p)| joined_flag(q, p, i))
        .collect::<Vec<_>>()
        .join(" AND ");
    let part_name = format!("{name}_trong_do");
    q.values
        .push((part_value(summed, &pred), part_name.clone()));
    let what = part.labels.join("; ");
    let mut described = vec![
        (name.to_owned(), format!("tổng {}", metric.label)),
        (part_name, format!("trong đó {what}")),
    ];
    if part.share {
        let denominator = match summed {
            None => "COUNT(*)".to_owned(),
            Some(e) => format!("SUM({e})"),
        };
        let numerator = part_value(summed, &pred)
            .trim_start_matches("ROUND(")
            .trim_end_matches(" / 1000000000.0, 2)")
            .to_owned();
        q.values.push((
            format!("ROUND(100.0 * {numerator} / NULLIF({denominator}, 0), 2)"),
            "ty_le".into(),
        ));
        described.push(("ty_le".into(), format!("tỷ lệ {what} (%)")));
    }
    described
}

/// The period a metric uses: the linked one, or for yearly rates the current statistical year.
fn effective_period(metric: &Metric, cx: &Context<'_>) -> Option<Period> {
    if let Some(p) = &cx.linked.period {
        return Some(p.clone());
    }
    if matches!(
        metric.key,
        "ty_le_xong_viec"
            | "ty_le_xong_tien"
            | "chua_dat_chi_tieu"
            | "dat_chi_tieu"
            | "binh_quan_chv"
            | "chi_tieu"
    ) {
        let y = stat_year_of(cx.as_of);
        let (s, _) = stat_year_bounds(y);
        return Some(Period {
            from: s,
            to: cx.as_of,
            stat_year: Some(y),
            label: format!(
                "năm thống kê {y} đến nay ({} – {})",
                super::time::vn_date(s),
                super::time::vn_date(cx.as_of)
            ),
        });
    }
    None
}

fn base(metric: &Metric, q: &mut Q) -> Cols {
    let (from, province, unit): (&str, String, Option<String>) = match metric.base {
        Base::Viec => (
            "viec_thi_hanh v",
            "v.ma_tinh".into(),
            Some("v.don_vi_id".into()),
        ),
        Base::BienLai => ("bien_lai b", "b.ma_tinh".into(), Some("b.don_vi_id".into())),
        Base::DonThu => ("don_thu d", "d.ma_tinh".into(), Some("d.don_vi_id".into())),
        Base::QuyetDinh => {
            q.join("JOIN viec_thi_hanh v ON v.id = q.viec_id".into());
            (
                "quyet_dinh q",
                "v.ma_tinh".into(),
                Some("v.don_vi_id".into()),
            )
        }
        Base::BienPhap => {
            q.join("JOIN viec_thi_hanh v ON v.id = k.viec_id".into());
            (
                "bien_phap_cuong_che k",
                "v.ma_tinh".into(),
                Some("v.don_vi_id".into()),
            )
        }
        Base::CanBo => {
            q.join("JOIN don_vi u ON u.id = c.don_vi_id".into());
            ("can_bo c", "u.ma_tinh".into(), Some("c.don_vi_id".into()))
        }
        Base::DonVi => ("don_vi u", "u.ma_tinh".into(), Some("u.id".into())),
        Base::Tinh => ("tinh t", "t.ma_tinh".into(), None),
        Base::ChiTieu => {
            q.join("JOIN don_vi u ON u.id = ct.don_vi_id".into());
            ("chi_tieu ct", "u.ma_tinh".into(), Some("u.id".into()))
        }
        Base::NhiemVu => {
            q.join("JOIN don_vi u ON u.id = n.don_vi_id".into());
            ("nhiem_vu n", "u.ma_tinh".into(), Some("n.don_vi_id".into()))
        }
    };
    q.from = from.into();
    Cols { province, unit }
}

/// The day `d` such that a date `x` is more than `n` working days before `as_of`
/// (`wd(as_of) − wd(x) > n` with `wd` = `lich.stt_ngay_lam_viec`) exactly when `x < d`: the
/// `n`-th working day before the last working day on or before `as_of`, as a SQL literal.
fn working_days_back(as_of: NaiveDate, n: u32) -> String {
    let n = n.min(u32::try_from(crate::calendar::MAX_DAYS).unwrap_or(u32::MAX));
    let step = |d: NaiveDate| d.pred_opt().unwrap_or(d);
    let mut d = as_of;
    while !crate::calendar::is_working_day(d) && d > NaiveDate::MIN {
        d = step(d);
    }
    let mut left = n;
    while left > 0 && d > NaiveDate::MIN {
        d = step(d);
        if crate::calendar::is_working_day(d) {
            left -= 1;
        }
    }
    lit(&d.to_string())
}

fn minus_days(d: NaiveDate, n: i64) -> String {
    // A number beyond any date (a century or more) means "since ever" (or "from now on").
    let n = n.clamp(-crate::calendar::MAX_DAYS, crate::calendar::MAX_DAYS);
    lit(&d
        .checked_sub_signed(chrono::Duration::days(n))
        .unwrap_or(d)
        .to_string())
}

fn minus_months(d: NaiveDate, n: u32) -> String {
    lit(&d
        .checked_sub_months(chrono::Months::new(n))
        .unwrap_or(d)
        .to_string())
}

/// Applies the case set; returns the date column a period filters on.
fn apply_set(metric: &Metric, set: &str, q: &mut Q, cx: &Context<'_>) -> Option<String> {
    let a = cx.as_of;
    // A rule's threshold, or the one the question states instead ("hoãn quá 120 ngày").
    let named = cx.linked.durations.first().copied();
    let took = std::cell::Cell::new(false);
    let cut = |op_default: Duration| -> String {
        let d = match named {
            Some(d) if d.op != "<" => {
                took.set(true);
                d
            }
            _ => op_default,
        };
        age_cut(a, &d).1
    };
    let days = |n: u32| Duration {
        op: ">",
        n,
        unit: DurationUnit::Days,
        at: 0,
        step: None,
    };
    let working = |n: u32| Duration {
        unit: DurationUnit::WorkingDays,
        ..days(n)
    };
    let months = |n: u32| Duration {
        unit: DurationUnit::Months,
        ..days(n)
    };
    let w = &mut q.wheres;
    let asof = lit(&a.to_string());
    let date = match metric.base {
        Base::Viec => {
            let v = "v";
            let status =
                |w: &mut Vec<String>, s: &str| w.push(format!("{v}.trang_thai = {}", lit(s)));
            let date = match set {
                "tat_ca" => "v.ngay_thu_ly",
                "chua_ket_thuc" => {
                    w.push(format!("v.trang_thai {NON_TERMINAL}"));
                    "v.ngay_thu_ly"
                }
                "co_dk_chua_xong" => {
                    w.push("v.co_dieu_kien = 1".into());
                    w.push(format!("v.trang_thai {NON_TERMINAL}"));
                    "v.ngay_thu_ly"
                }
                "chua_co_dieu_kien" | "dang_thi_hanh" | "cho_ra_quyet_dinh" | "hoan"
                | "tam_dinh_chi" => {
                    status(w, set);
                    "v.ngay_thu_ly"
                }
                "xong" => {
                    w.push("v.trang_thai IN ('xong','dinh_chi')".into());
                    "v.ngay_ket_thuc"
                }
                "xong_khong_dinh_chi" => {
                    status(w, "xong");
                    "v.ngay_ket_thuc"
                }
                "dinh_chi" | "uy_thac" => {
                    status(w, set);
                    "v.ngay_ket_thuc"
                }
                "qh01" => {
                    q.join("JOIN lich la ON la.ngay = v.ngay_thu_ly".into());
                    q.join("JOIN lich lb ON lb.ngay = v.ngay_ra_quyet_dinh".into());
                    let n = match named {
                        Some(d) if d.unit == DurationUnit::WorkingDays && d.op != "<" => {
                            took.set(true);
                            d.n
                        }
                        _ => 5,
                    };
                    q.wheres
                        .push(format!("lb.stt_ngay_lam_viec - la.stt_ngay_lam_viec > {n}"));
                    "v.ngay_ra_quyet_dinh"
                }
                "qh02" => {
                    // wd(as-of) − wd(ngày thụ lý) > 5 ⇔ ngày thụ lý before the 5th working day back.
                    w.push("v.trang_thai = 'cho_ra_quyet_dinh'".into());
                    w.push(format!("v.ngay_thu_ly < {}", cut(working(5))));
                    "v.ngay_thu_ly"
                }
                "qh03" => {
                    w.push("v.trang_thai = 'dang_thi_hanh'".into());
                    w.push("v.ngay_xac_minh IS NULL".into());
                    w.push(format!("v.ngay_ra_quyet_dinh < {}", cut(days(25))));
                    "v.ngay_thu_ly"
                }
                "qh04" => {
                    w.push("v.trang_thai = 'chua_co_dieu_kien'".into());
                    w.push(format!(
                        "(v.ngay_xac_minh IS NULL OR v.ngay_xac_minh < {})",
                        cut(months(6))
                    ));
                    "v.ngay_thu_ly"
                }
                "qh05" | "qh06" => {
                    let (st, n) = if set == "qh05" {
                        ("hoan", 90)
                    } else {
                        ("tam_dinh_chi", 180)
                    };
                    w.push(format!("v.trang_thai = '{st}'"));
                    w.push(format!(
                        "v.id IN (SELECT viec_id FROM quyet_dinh WHERE loai = '{st}' GROUP BY viec_id HAVING MAX(ngay_ky) < {})",
                        cut(days(n))
                    ));
                    "v.ngay_thu_ly"
                }
                "qh07" => {
                    w.push("v.trang_thai = 'dang_thi_hanh'".into());
                    w.push("v.so_tien_phai_thi_hanh > 0".into());
                    w.push("v.so_tien_da_thi_hanh >= v.so_tien_phai_thi_hanh".into());
                    w.push(format!(
                        "v.id IN (SELECT viec_id FROM bien_lai WHERE trang_thai = 'hop_le' GROUP BY viec_id HAVING MAX(ngay_thu) < {})",
                        cut(days(10))
                    ));
                    "v.ngay_thu_ly"
                }
                "qh08" => {
                    w.push("v.trang_thai = 'dang_thi_hanh'".into());
                    w.push(format!("v.ngay_xac_minh < {}", cut(days(60))));
                    w.push("v.so_tien_da_thi_hanh = 0".into());
                    w.push("v.id NOT IN (SELECT viec_id FROM bien_phap_cuong_che)".into());
                    "v.ngay_thu_ly"
                }
                "qh09" | "qh10" => {
                    let (from_kind, to_kind) = if set == "qh09" {
                        ("ke_bien_tai_san", "tham_dinh_gia")
                    } else {
                        ("tham_dinh_gia", "ban_dau_gia")
                    };
                    let before = if set == "qh09" {
                        cut(working(5))
                    } else {
                        cut(days(55))
                    };
                    // Some step old enough with no next step on or after it ⇔ the latest such
                    // step is after the latest next step (or there is none): equality joins
                    // only, which Polars runs.
                    w.push(format!("v.trang_thai {NON_TERMINAL}"));
                    w.push(format!(
                        "v.id IN (SELECT k1.viec_id FROM (SELECT viec_id, MAX(ngay_thuc_hien) AS ngay FROM bien_phap_cuong_che WHERE loai = '{from_kind}' AND ngay_thuc_hien < {before} GROUP BY viec_id) k1 LEFT JOIN (SELECT viec_id, MAX(ngay_thuc_hien) AS ngay FROM bien_phap_cuong_che WHERE loai = '{to_kind}' GROUP BY viec_id) k2 ON k2.viec_id = k1.viec_id WHERE k2.viec_id IS NULL OR k2.ngay < k1.ngay)"
                    ));
                    "v.ngay_thu_ly"
                }
                "qh11" => {
                    w.push(format!("v.trang_thai {NON_TERMINAL}"));
                    w.push("v.co_dieu_kien = 1".into());
                    w.push(format!("v.ngay_thu_ly < {}", cut(months(12))));
                    "v.ngay_thu_ly"
                }
                _ => "v.ngay_thu_ly",
            };
            Some(date.into())
        }
        Base::BienLai => {
            // Valid receipts, unless the question names a status ("biên lai bị hủy").
            if cx.linked.values_of("bien_lai", "trang_thai") == 0 {
                w.push("b.trang_thai = 'hop_le'".into());
            }
            Some("b.ngay_thu".into())
        }
        Base::DonThu => Some(match set {
            "chua_giai_quyet" => {
                w.push("d.trang_thai IN ('moi','dang_giai_quyet')".into());
                "d.ngay_nhan".into()
            }
            "da_giai_quyet" => {
                w.push("d.trang_thai = 'da_giai_quyet'".into());
                "d.ngay_giai_quyet".into()
            }
            "qh12" => {
                w.push("d.trang_thai IN ('moi','dang_giai_quyet')".into());
                w.push(format!("d.han_giai_quyet < {asof}"));
                "d.ngay_nhan".into()
            }
            "qh13" => {
                w.push("d.ngay_giai_quyet > d.han_giai_quyet".into());
                "d.ngay_giai_quyet".into()
            }
            "qh14" => {
                w.push("d.trang_thai = 'moi'".into());
                w.push(format!("d.ngay_nhan < {}", cut(days(10))));
                "d.ngay_nhan".into()
            }
            _ => {
                if metric.key == "ty_le_don_dung_han" {
                    w.push("d.trang_thai = 'da_giai_quyet'".into());
                    "d.ngay_giai_quyet".into()
                } else {
                    "d.ngay_nhan".into()
                }
            }
        }),
        Base::QuyetDinh => {
            if set == "qh16" {
                w.push("q.ngay_ky >= '2025-12-12'".into());
                w.push("q.ky_so = 0".into());
            }
            Some("q.ngay_ky".into())
        }
        Base::BienPhap => Some("k.ngay_thuc_hien".into()),
        Base::CanBo => {
            let status_named = cx
                .linked
                .conditions
                .iter()
                .any(|c| c.constrains("can_bo", "dang_cong_tac"));
            if !status_named {
                w.push("c.dang_cong_tac = 1".into());
            }
            if metric.key == "so_chv" {
                w.push("c.la_chap_hanh_vien = 1".into());
            }
            None
        }
        Base::DonVi => {
            w.push("u.cap = 'khu_vuc'".into());
            None
        }
        Base::Tinh | Base::ChiTieu => None,
        Base::NhiemVu => {
            match set {
                "qh15" => {
                    w.push("n.trang_thai IN ('moi','dang_thuc_hien')".into());
                    w.push(format!("n.han_hoan_thanh < {asof}"));
                }
                "dang_thuc_hien" => w.push("n.trang_thai IN ('moi','dang_thuc_hien')".into()),
                "hoan_thanh" => w.push("n.trang_thai = 'hoan_thanh'".into()),
                _ => {}
            }
            Some("n.ngay_giao".into())
        }
    };
    q.rule_took_duration = took.get();
    date
}

/// K1/K2 membership for statistical year bounds S..D, on alias `v`.
fn k2_where(s: &str, d: &str) -> Vec<String> {
    vec![
        "v.co_dieu_kien = 1".into(),
        "v.trang_thai <> 'uy_thac'".into(),
        format!("v.ngay_thu_ly <= {d}"),
        format!("(v.ngay_ket_thuc IS NULL OR v.ngay_ket_thuc >= {s})"),
    ]
}

fn k4(s: &str, d: &str) -> String {
    format!("ROUND(100.0 * SUM(CASE WHEN v.trang_thai IN ('xong','dinh_chi') AND v.ngay_ket_thuc BETWEEN {s} AND {d} THEN 1 ELSE 0 END) / NULLIF(COUNT(*), 0), 2)")
}

fn k5(s: &str, d: &str) -> String {
    format!("ROUND(100.0 * SUM(CASE WHEN v.trang_thai = 'dinh_chi' AND v.ngay_ket_thuc BETWEEN {s} AND {d} THEN v.so_tien_phai_thi_hanh ELSE v.so_tien_da_thi_hanh END) / NULLIF(SUM(v.so_tien_phai_thi_hanh), 0), 2)")
}

/// The statistical-year bounds S and D = min(E, period end, as-of) as SQL literals.
fn year_bounds(period: Option<&Period>, as_of: NaiveDate) -> (String, String, i32) {
    let (from, to, y) = match period {
        Some(p) => {
            let y = p.stat_year.unwrap_or_else(|| stat_year_of(p.to));
            (p.from, p.to, y)
        }
        None => {
            let y = stat_year_of(as_of);
            (stat_year_bounds(y).0, as_of, y)
        }
    };
    let to = to.min(as_of.max(from));
    (lit(&from.to_string()), lit(&to.to_string()), y)
}

fn apply_metric(
    metric: &Metric,
    plan: &Plan,
    q: &mut Q,
    cx: &Context<'_>,
    period: Option<&Period>,
    date_col: Option<&str>,
) -> String {
    if let Some((expr, name)) = simple_value(metric.key) {
        q.values.push((expr, name.into()));
        return name.into();
    }
    let (expr, name): (String, &str) = match metric.key {
        "ty_le_bien_lai_dien_tu" => ("ROUND(100.0 * SUM(b.dien_tu) / NULLIF(COUNT(*), 0), 2)".into(), "ty_le"),
        "ty_le_bien_lai_ky_so" => ("ROUND(100.0 * SUM(b.ky_so) / NULLIF(COUNT(*), 0), 2)".into(), "ty_le"),
        "ty_le_ky_so" => ("ROUND(100.0 * SUM(q.ky_so) / NULLIF(COUNT(*), 0), 2)".into(), "ty_le_ky_so"),
        "ty_le_don_dung_han" => (
            "ROUND(100.0 * SUM(CASE WHEN d.ngay_giai_quyet <= d.han_giai_quyet THEN 1 ELSE 0 END) / NULLIF(COUNT(*), 0), 2)".into(),
            "ty_le_dung_han",
        ),
        "ty_le_xong_viec" | "ty_le_xong_tien" => {
            let (s, d, y) = year_bounds(period, cx.as_of);
            q.wheres.extend(k2_where(&s, &d));
            // "cả về việc lẫn về tiền": both rates over the same rows.
            let both = cx.linked.both_rates;
            let mut columns = Vec::new();
            if metric.key == "ty_le_xong_viec" || both {
                q.values.push((k4(&s, &d), "ty_le_viec".into()));
                columns.push("ty_le_viec");
            }
            if metric.key == "ty_le_xong_tien" || both {
                q.values.push((k5(&s, &d), "ty_le_tien".into()));
                columns.push("ty_le_tien");
                if plan.by != "khong" {
                    q.having.push("SUM(v.so_tien_phai_thi_hanh) > 0".into());
                }
            }
            if cx.linked_target() {
                target_column(q, plan, cx, y, columns);
            }
            return q.values.first().map(|v| v.1.clone()).unwrap_or_default();
        }
        "chua_dat_chi_tieu" | "dat_chi_tieu" => {
            let (s, d, y) = year_bounds(period, cx.as_of);
            q.wheres.extend(k2_where(&s, &d));
            q.keys.push(("v.ma_tinh".into(), "ma_tinh".into()));
            q.group.push("v.ma_tinh".into());
            q.values.push((k4(&s, &d), "ty_le".into()));
            q.vs_target = Some((y, metric.key == "chua_dat_chi_tieu"));
            return "ty_le".into();
        }
        "thoi_gian_tb" | "so_ngay_tb_don" => {
            let (default_start, default_end) = if metric.base == Base::DonThu {
                ("d.ngay_nhan", "d.ngay_giai_quyet")
            } else {
                let col = date_col.unwrap_or("v.ngay_ket_thuc");
                ("v.ngay_thu_ly", if col == "v.ngay_thu_ly" { "v.ngay_ket_thuc" } else { col })
            };
            let span = cx.linked.span.filter(|s| s.base == metric.base);
            let start = span.map_or(default_start, |s| s.start);
            let end = span.map_or(default_end, |s| s.end);
            let day = if span.is_some_and(|s| s.working) { "stt_ngay_lam_viec" } else { "stt_ngay" };
            q.join(format!("JOIN lich la ON la.ngay = {start}"));
            q.join(format!("JOIN lich le ON le.ngay = {end}"));
            (format!("ROUND(AVG(le.{day} - la.{day}), 2)"), "so_ngay_tb")
        }
        "tien_do_tb" => ("ROUND(AVG(n.tien_do), 2)".into(), "tien_do_tb"),
        "so_tien_tb" => (
            "ROUND(AVG(v.so_tien_phai_thi_hanh) / 1000000.0, 2)".into(),
            "trieu_dong",
        ),
        "binh_quan_chv" => {
            let (s, d, _) = year_bounds(period, cx.as_of);
            // K10: completed (incl. đình chỉ) in the year per active chấp hành viên, by province.
            q.with.push(format!("x AS (SELECT v.ma_tinh, COUNT(*) AS so_xong FROM viec_thi_hanh v WHERE v.trang_thai IN ('xong','dinh_chi') AND v.ngay_ket_thuc BETWEEN {s} AND {d} GROUP BY v.ma_tinh)"));
            q.with.push("c AS (SELECT u.ma_tinh, COUNT(*) AS so_chv FROM can_bo cb JOIN don_vi u ON u.id = cb.don_vi_id WHERE cb.la_chap_hanh_vien = 1 AND cb.dang_cong_tac = 1 GROUP BY u.ma_tinh)".into());
            q.from = "x".into();
            q.join("JOIN c ON c.ma_tinh = x.ma_tinh".into());
            q.wheres.clear();
            if plan.by == "tinh" {
                q.join("JOIN tinh t ON t.ma_tinh = x.ma_tinh".into());
                q.keys.push(("t.ten".into(), "ten".into()));
                q.values.push(("ROUND(1.0 * x.so_xong / NULLIF(c.so_chv, 0), 1)".into(), "binh_quan".into()));
                q.order.push(format!("binh_quan {}", if plan.order == "tang" { "ASC" } else { "DESC" }));
                q.order.push("t.ma_tinh".into());
            } else {
                q.values.push(("ROUND(1.0 * SUM(x.so_xong) / NULLIF(SUM(c.so_chv), 0), 1)".into(), "binh_quan".into()));
            }
            return "binh_quan".into();
        }
        "chuyen_ky_sau" => {
            let y = period.map_or_else(|| stat_year_of(cx.as_of) - 1, |p| p.stat_year.unwrap_or_else(|| stat_year_of(p.to)));
            let e = lit(&stat_year_bounds(y).1.to_string());
            q.wheres.push("v.trang_thai <> 'uy_thac'".into());
            q.wheres.push(format!("v.ngay_thu_ly <= {e}"));
            q.wheres.push(format!("(v.ngay_ket_thuc IS NULL OR v.ngay_ket_thuc > {e})"));
            ("COUNT(*)".into(), "so_viec")
        }
        "tinh_cu" | "dan_so" => {
            q.keys.push(("t.ten".into(), "ten".into()));
            q.values.push((format!("t.{}", metric.key), metric.key.into()));
            return metric.key.into();
        }
        "chi_tieu" => {
            let (_, _, y) = year_bounds(period, cx.as_of);
            q.wheres.push(format!("ct.nam_thong_ke = {y}"));
            q.keys.push(("u.ten".into(), "don_vi".into()));
            q.values.push(("ct.ty_le_viec".into(), "chi_tieu_viec".into()));
            q.values.push(("ct.ty_le_tien".into(), "chi_tieu_tien".into()));
            if cx.linked.provinces.is_empty() && cx.scope.province().is_none() && cx.linked.office.is_none() {
                q.wheres.push("u.cap = 'cuc'".into());
            } else if cx.linked.office.is_none() {
                q.wheres.push("u.cap = 'tinh'".into());
            }
            return "chi_tieu_viec".into();
        }
        key if is_record_list(key) && key != "ds_nhiem_vu" => {
            return list_metric(metric, plan, q, cx, date_col);
        }
        "ds_nhiem_vu" => {
            q.keys.push(("n.tieu_de".into(), "tieu_de".into()));
            q.keys.push(("u.ten".into(), "don_vi".into()));
            q.values.push(("n.han_hoan_thanh".into(), "han_hoan_thanh".into()));
            q.values.push(("n.tien_do".into(), "tien_do".into()));
            q.values.push(("n.trang_thai".into(), "trang_thai".into()));
            // Who assigned it (a task of the system has no assigner).
            q.join("LEFT JOIN can_bo ng ON ng.id = n.nguoi_giao_id".into());
            q.values.push(("ng.ho_ten".into(), "nguoi_giao".into()));
            q.order.extend(["n.han_hoan_thanh".into(), "n.id".into()]);
            return "han_hoan_thanh".into();
        }
        _ => ("COUNT(*)".into(), "so_luong"),
    };
    q.values.push((expr, name.into()));
    name.into()
}

/// A record list: the base's columns, ranked by what the question ranks by (the amount, the
/// oldest or newest date of the set), ties by id.
fn list_metric(
    metric: &Metric,
    plan: &Plan,
    q: &mut Q,
    cx: &Context<'_>,
    date_col: Option<&str>,
) -> String {
    let (_, alias) = super::catalog::base_table(metric.base);
    let unit = if matches!(metric.base, Base::QuyetDinh | Base::BienPhap) {
        "v.don_vi_id".to_owned()
    } else {
        format!("{alias}.don_vi_id")
    };
    let columns = list_columns(metric.base);
    if columns.iter().any(|(_, a)| *a == "don_vi") {
        q.join(format!("JOIN don_vi ul ON ul.id = {unit}"));
    }
    q.keys.extend(
        columns
            .iter()
            .map(|(e, a)| ((*e).to_owned(), (*a).to_owned())),
    );
    let dir = |ascending: bool| if ascending { "ASC" } else { "DESC" };
    let date = date_col
        .and_then(|c| c.split('.').nth(1))
        .filter(|c| columns.iter().any(|(_, a)| a == c));
    match (cx.linked.sort, list_amount(metric.base), date) {
        (Some(super::link::SortKey::Amount), Some(amount), _) => {
            q.order
                .push(format!("{amount} {}", dir(plan.order == "tang")));
        }
        // The longest in a status entered by a decision ("hoãn lâu nhất"): by that decision.
        (Some(super::link::SortKey::Oldest), _, _)
            if metric.base == Base::Viec && matches!(plan.set, "hoan" | "tam_dinh_chi") =>
        {
            q.join(format!("JOIN (SELECT viec_id, MAX(ngay_ky) AS ngay_vao FROM quyet_dinh WHERE loai = '{}' GROUP BY viec_id) qv ON qv.viec_id = v.id", plan.set));
            q.order.push("qv.ngay_vao ASC".into());
        }
        (Some(super::link::SortKey::Oldest), _, Some(date)) => q.order.push(format!("{date} ASC")),
        (Some(super::link::SortKey::Newest), _, Some(date)) => q.order.push(format!("{date} DESC")),
        _ => {}
    }
    // Ties by the record id (its output name: `id` alone would name every joined table's).
    q.order.push("id_ban_ghi".into());
    columns.get(1).map_or("id_ban_ghi", |(_, a)| a).to_owned()
}

/// The column name of a target: `chi_tieu` alone, `chi_tieu_viec` / `chi_tieu_tien` side by side.
fn target_name(column: &str, of: usize) -> String {
    if of == 1 {
        "chi_tieu".into()
    } else {
        column.replace("ty_le", "chi_tieu")
    }
}

/// Adds the target (`chi_tieu`) of the unit the rate is about, as a second value column: the
/// unit's row for one value, each province's own row (`cap = 'tinh'`) by province.
fn target_column(q: &mut Q, plan: &Plan, cx: &Context<'_>, y: i32, columns: Vec<&'static str>) {
    if plan.by == "tinh" {
        q.join("JOIN don_vi ut ON ut.ma_tinh = v.ma_tinh AND ut.cap = 'tinh'".into());
        q.join(format!(
            "JOIN chi_tieu ct ON ct.don_vi_id = ut.id AND ct.nam_thong_ke = {y}"
        ));
        for col in &columns {
            q.group.push(format!("ct.{col}"));
            q.values
                .push((format!("ct.{col}"), target_name(col, columns.len())));
        }
        return;
    }
    if plan.by != "khong" {
        return;
    }
    let unit = match (
        &cx.linked.office,
        cx.linked.provinces.first(),
        cx.scope.province(),
    ) {
        (Some(office), _, _) => office.clone(),
        (None, Some(p), _) => format!("T{}", p.ma_tinh),
        (None, None, Some(own)) => format!("T{own}"),
        (None, None, None) => "CUC".into(),
    };
    q.target = Some(Target {
        columns,
        unit,
        year: y,
    });
}

impl Context<'_> {
    /// The question compares with the target ("so với chỉ tiêu").
    fn linked_target(&self) -> bool {
        self.linked.wants_target
    }
}

fn apply_filters(metric: &Metric, cols: &Cols, q: &mut Q, cx: &Context<'_>) {
    let l = cx.linked;
    if metric.key == "binh_quan_chv" {
        let provinces = province_filter(cx);
        if !provinces.is_empty() {
            q.wheres.push(in_list("x.ma_tinh", &provinces));
        }
        return;
    }
    let provinces = province_filter(cx);
    if !provinces.is_empty() && metric.base != Base::ChiTieu {
        q.wheres.push(in_list(&cols.province, &provinces));
    } else if !provinces.is_empty() {
        q.wheres.push(in_list("u.ma_tinh", &provinces));
    }
    if !l.mien.is_empty() || !l.vung.is_empty() {
        // Several regions named ("giữa miền Bắc, Trung và Nam") with a region dimension: no filter.
        let tj = format!("JOIN tinh t ON t.ma_tinh = {}", cols.province);
        if !l.mien.is_empty() && l.mien.len() <= 1 {
            q.join(tj.clone());
            q.wheres.push(in_list("t.mien", &l.mien));
        }
        if !l.vung.is_empty() && l.vung.len() <= 1 {
            q.join(tj);
            q.wheres.push(in_list("t.vung", &l.vung));
        }
    }
    if let (Some(office), Some(unit)) = (&l.office, &cols.unit) {
        q.join(format!("JOIN don_vi uo ON uo.id = {unit}"));
        q.wheres.push(format!("uo.ma = {}", lit(office)));
    }
}

/// The column a categorical dimension groups by.
fn dim_column(dim: &str) -> Option<&'static str> {
    Some(match dim {
        "loai_an" => "v.loai_an",
        "trang_thai" => "v.trang_thai",
        "co_dieu_kien" => "v.co_dieu_kien",
        "hinh_thuc" => "v.hinh_thuc",
        "loai_hanh_dong" => "n.loai_hanh_dong",
        "loai_don" => "d.loai",
        "kenh" => "d.kenh",
        "kenh_gui" => "b.kenh_gui",
        "loai_bien_phap" => "k.loai",
        "nhom_bien_phap" => "k.nhom",
        "loai_quyet_dinh" => "q.loai",
        "chuc_vu" => "c.chuc_vu",
        _ => return None,
    })
}

/// Dates of the records a case has, for a time threshold named right after a record kind
/// ("đã kê biên quá 30 ngày").
const DATED_CHILDREN: &[(&str, &str)] = &[
    ("bien_phap_cuong_che", "ngay_thuc_hien"),
    ("quyet_dinh", "ngay_ky"),
    ("bien_lai", "ngay_thu"),
];

/// The date literal `d` such that a date `x` is `op` the threshold (`x` older than `n` units
/// when `op` is `>`) exactly when `x` compares to `d` as returned (`<`, `<=` or `>`).
fn age_cut(as_of: NaiveDate, d: &Duration) -> (&'static str, String) {
    let cut = match d.unit {
        DurationUnit::Days => minus_days(as_of, i64::from(d.n)),
        DurationUnit::WorkingDays => working_days_back(as_of, d.n),
        DurationUnit::Months => minus_months(as_of, d.n),
        DurationUnit::Years => minus_months(as_of, d.n.saturating_mul(12)),
    };
    let cmp = match d.op {
        ">" => "<",
        ">=" => "<=",
        _ => ">",
    };
    (cmp, cut)
}

/// Applies the question's catalog conditions and time thresholds to the base's rows.
/// A condition the case set or the metric already fixes (the same column, or the same value in
/// a rule's SQL) is taken as said; one no join path reaches is returned as not applied.
fn apply_conditions(
    metric: &Metric,
    plan: &Plan,
    q: &mut Q,
    cx: &Context<'_>,
    date_col: Option<&str>,
) -> (Vec<String>, Vec<String>, Option<Part>) {
    let l = cx.linked;
    let mut applied = Vec::new();
    let mut not_applied = Vec::new();
    let fixed = format!(
        "{} {}",
        q.wheres.join(" AND "),
        q.values
            .iter()
            .map(|(e, _)| e.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let mut durations: Vec<&Duration> = if q.rule_took_duration {
        Vec::new()
    } else {
        l.durations.iter().collect()
    };
    // Same column named twice ("qua mã QR và qua VNeID"): one OR of the values.
    let mut by_column: Vec<(String, Vec<String>, Vec<String>, usize)> = Vec::new();
    let (own_table, alias) = super::catalog::base_table(metric.base);
    // The column each grouping dimension reads, as rendered.
    let grouped_columns: Vec<String> = [plan.by, plan.by2]
        .iter()
        .filter_map(|d| dim_column(d))
        .map(str::to_owned)
        .collect();
    for c in &l.conditions {
        let in_set_words = l
            .set_spans
            .iter()
            .any(|(s, from, n)| *s == plan.set && (*from..from + n).contains(&c.at));
        let in_span_words = l
            .span
            .is_some_and(|s| (s.words.0..s.words.1).contains(&c.at));
        if in_set_words || in_span_words {
            continue;
        }
        let Some(mut pred) = c.render(metric.base) else {
            if !c.soft {
                not_applied.push(c.label.clone());
            }
            continue;
        };
        // A value the set already fixes is said; its negation narrows the set ("thi hành xong,
        // không tính các việc đình chỉ").
        if !c.negated && already_fixed(&pred, &fixed) {
            continue;
        }
        // Words that name a breakdown's values in passing ("theo từng loại (rà soát, báo cáo,
        // kiểm tra…)") are the breakdown, not a filter.
        if c.soft
            && grouped_columns
                .iter()
                .any(|g| pred.starts_with(&format!("{g} ")))
        {
            continue;
        }
        // "kê biên … mà chưa thẩm định giá" on a list of measures: the case has no record of
        // the other kind, not "this record is not of that kind".
        if c.negated
            && c.targets.first().is_some_and(|(t, _)| *t == own_table)
            && !pred.contains(" IN (SELECT")
            && matches!(
                metric.base,
                Base::BienPhap | Base::QuyetDinh | Base::BienLai
            )
        {
            let inner = pred.replace(&format!("{alias}."), "");
            let pred =
                format!("{alias}.viec_id NOT IN (SELECT viec_id FROM {own_table} WHERE {inner})");
            by_column.push((pred.clone(), vec![pred], vec![c.label.clone()], c.at));
            continue;
        }
        // A time threshold right after a dated record kind dates that record.
        if let Some(k) = durations
            .iter()
            .position(|d| d.at > c.at && d.at - c.at <= 6)
        {
            let dated = DATED_CHILDREN
                .iter()
                .find(|(t, _)| c.targets.first().is_some_and(|(ct, _)| ct == t));
            if let (Some((_, col)), true) = (dated, pred.ends_with(')')) {
                let d = durations.remove(k);
                let (cmp, cut) = age_cut(cx.as_of, d);
                pred.insert_str(pred.len() - 1, &format!(" AND {col} {cmp} {cut}"));
            }
        }
        let pred = if c.negated { negate(&pred) } else { pred };
        // Values of one attribute are alternatives (OR); different attributes and negations
        // all hold (AND), and so do records of several kinds asked together ("vừa … vừa …").
        let attribute = if c.negated || (l.all_of && pred.contains(" IN (SELECT")) {
            pred.clone()
        } else {
            attribute_of(c)
        };
        match by_column
            .iter_mut()
            .find(|(key, _, _, _)| *key == attribute)
        {
            Some((_, preds, labels, _)) => {
                preds.push(pred);
                labels.push(c.label.clone());
            }
            None => by_column.push((attribute, vec![pred], vec![c.label.clone()], c.at)),
        }
    }
    // A rate metric is itself the "tỷ lệ" asked: its conditions stay filters.
    let part_marker = l
        .part
        .filter(|p| p.explicit || simple_parts(metric.key).is_some());
    let mut part = part_marker.map(|p| Part {
        preds: Vec::new(),
        labels: Vec::new(),
        share: p.share,
    });
    for (_, preds, labels, at) in by_column {
        let pred = if preds.len() == 1 {
            preds[0].clone()
        } else {
            format!("({})", preds.join(" OR "))
        };
        let label = labels.join(" hoặc ");
        let soft = l.conditions.iter().any(|c| c.at == at && c.soft);
        match (&mut part, part_marker) {
            (Some(p), Some(marker)) if marker.holds(at) && !soft => {
                p.preds.push(pred);
                p.labels.push(label);
            }
            _ => {
                q.wheres.push(pred);
                applied.push(label);
            }
        }
    }
    for d in durations {
        // Counted from the step named before it, when the base has that step's date.
        let step_col = d.step.filter(|(b, _)| *b == metric.base).map(|(_, c)| c);
        match step_col.or(date_col) {
            Some(col) => {
                let (cmp, cut) = age_cut(cx.as_of, d);
                q.wheres.push(format!("{col} {cmp} {cut}"));
                applied.push(d.label());
            }
            None => not_applied.push(d.label()),
        }
    }
    (applied, not_applied, part)
}

/// Whether the set or the metric already constrains what `pred` tests: its column, or (for a
/// record of the case) its value.
/// The attribute a condition names a value of: its first target without the last quoted value
/// ("{a}.loai_an = 'kdtm'" and "{a}.loai_an = 'hs'" are one attribute; a party kind is one
/// attribute per role).
fn attribute_of(c: &super::catalog::Condition) -> String {
    let Some((table, pred)) = c.targets.first() else {
        return c.label.clone();
    };
    let head = match pred.trim_end().strip_suffix('\'') {
        Some(open) => open.rsplit_once('\'').map_or(pred.as_str(), |(h, _)| h),
        None => pred.as_str(),
    };
    format!("{table}|{head}")
}

fn already_fixed(pred: &str, fixed: &str) -> bool {
    // A threshold from the question's own number is never a rule's (a 0/1 flag may be).
    let mut tail = pred.rsplit(' ');
    if let (Some(n), Some(op)) = (tail.next(), tail.next()) {
        if n.parse::<i64>().is_ok() && matches!(op, "<" | ">" | "<=" | ">=") {
            return false;
        }
    }
    if pred.contains(" IN (SELECT") {
        return pred
            .split('\'')
            .skip(1)
            .step_by(2)
            .any(|value| value.len() > 2 && fixed.contains(&format!("'{value}'")));
    }
    let column = pred.trim_start_matches('(').split(' ').next().unwrap_or("");
    !column.is_empty() && fixed.contains(column)
}

/// `NOT` of a predicate; `x IN (SELECT …)` becomes `x NOT IN (SELECT …)`.
fn negate(pred: &str) -> String {
    match pred.split_once(" IN (SELECT") {
        Some((lhs, rest)) if !lhs.contains(' ') => format!("{lhs} NOT IN (SELECT{rest}"),
        _ => format!("NOT ({pred})"),
    }
}

/// Provinces the SQL filters on: those named, else the caller's own (a province scope always).
fn province_filter<'c>(cx: &'c Context<'_>) -> Vec<&'c str> {
    let named = cx.linked.province_codes();
    if let Some(own) = cx.scope.province() {
        return vec![own];
    }
    named
}

fn apply_dim(
    metric: &Metric,
    plan: &Plan,
    cols: &Cols,
    q: &mut Q,
    date_col: Option<&str>,
    value: &str,
) {
    if matches!(
        metric.key,
        "binh_quan_chv" | "chua_dat_chi_tieu" | "dat_chi_tieu"
    ) {
        return;
    }
    let dir = match plan.order {
        "tang" => "ASC",
        _ => "DESC",
    };
    let ranked = plan.order != "khong" || plan.limit.is_some();
    // Rates side by side are compared: largest first unless asked otherwise.
    let rate = metric.unit == "%";
    let key_order = |q: &mut Q, tiebreak: &str, natural_by_value: bool| {
        if ranked || natural_by_value {
            q.order.push(format!("{value} {dir}"));
        }
        q.order.push(tiebreak.to_owned());
    };
    match plan.by {
        "khong" => {
            if metric.base == Base::Tinh || metric.base == Base::ChiTieu {
                // Attribute lists are already one row per unit.
            }
        }
        "tinh" => {
            let tj = format!("JOIN tinh t ON t.ma_tinh = {}", cols.province);
            q.join(tj);
            if metric.base != Base::Tinh {
                q.keys.insert(0, ("t.ten".into(), "ten".into()));
                q.group.extend(["t.ma_tinh".into(), "t.ten".into()]);
            }
            // The code orders ties but is not selected: an unqualified `ma_tinh` would be
            // ambiguous, and Polars cannot order by a qualified key that is also selected.
            key_order(q, "t.ma_tinh", true);
        }
        "mien" | "vung" => {
            q.join(format!("JOIN tinh t ON t.ma_tinh = {}", cols.province));
            let col = format!("t.{}", plan.by);
            q.keys.insert(0, (col.clone(), plan.by.into()));
            q.group.push(col);
            key_order(q, plan.by, rate);
        }
        "phong_kv" => {
            let unit = cols.unit.clone().unwrap_or_else(|| "u.id".into());
            // Units and staff have their unit joined as `u` already (a second join of
            // `don_vi` would leave Polars two columns `ma`).
            if matches!(metric.base, Base::DonVi | Base::CanBo) {
                if metric.base == Base::CanBo {
                    q.wheres.push("u.cap = 'khu_vuc'".into());
                }
                q.keys.insert(0, ("u.ma".into(), "ma_don_vi".into()));
                q.keys.insert(1, ("u.ten".into(), "ten".into()));
                q.group
                    .extend(["u.id".into(), "u.ma".into(), "u.ten".into()]);
            } else {
                q.join(format!("JOIN don_vi up ON up.id = {unit}"));
                q.wheres.push("up.cap = 'khu_vuc'".into());
                q.keys.insert(0, ("up.ma".into(), "ma_don_vi".into()));
                q.keys.insert(1, ("up.ten".into(), "ten".into()));
                q.group
                    .extend(["up.id".into(), "up.ma".into(), "up.ten".into()]);
            }
            // A unique alias: `ma` alone may name two joined units' codes.
            key_order(q, "ma_don_vi", true);
        }
        "chv" => {
            q.join("JOIN can_bo cv ON cv.id = v.chap_hanh_vien_id".into());
            q.join("JOIN don_vi uc ON uc.id = cv.don_vi_id".into());
            q.keys.insert(0, ("cv.ho_ten".into(), "ho_ten".into()));
            q.keys.insert(1, ("uc.ten".into(), "don_vi".into()));
            q.group
                .extend(["cv.id".into(), "cv.ho_ten".into(), "uc.ten".into()]);
            // Ties by the officer's id, a group key not selected (Polars cannot order by a
            // selected alias of a qualified key).
            key_order(q, "cv.id", true);
        }
        "ngay" => {
            let col = date_col.unwrap_or("v.ngay_thu_ly");
            q.keys.insert(0, (col.to_owned(), "ngay".into()));
            q.group.push(col.to_owned());
            key_order(q, "ngay", false);
        }
        "thang" | "quy" => {
            let col = date_col.unwrap_or("v.ngay_thu_ly");
            q.join(format!("JOIN lich lt ON lt.ngay = {col}"));
            let key = format!("lt.{}", plan.by);
            q.keys.insert(0, (key.clone(), plan.by.into()));
            q.group.push(key);
            key_order(q, plan.by, false);
        }
        other => {
            let Some(col) = dim_column(other) else {
                return;
            };
            let alias = col.split('.').nth(1).unwrap_or(col);
            q.keys.insert(0, (col.into(), alias.into()));
            q.group.push(col.into());
            // Order by the output alias (Polars cannot resolve a selected qualified key).
            if other == "co_dieu_kien" && !ranked {
                q.order.push(format!("{alias} DESC"));
            } else {
                key_order(q, alias, other == "loai_an" || rate);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nl::link::link;
    use crate::nl::normalize::Text;

    fn as_of() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
    }

    fn sql(q: &str, scope: &Scope, plan: Plan) -> String {
        let linked = link(&Text::new(q), scope, as_of());
        compile(
            &plan,
            &Context {
                linked: &linked,
                scope,
                as_of: as_of(),
            },
        )
        .unwrap()
        .sql
    }

    fn p(
        metric: &'static str,
        set: &'static str,
        by: &'static str,
        order: &'static str,
        limit: Option<u32>,
    ) -> Plan {
        Plan {
            metric,
            set,
            by,
            order,
            limit,
            also: None,
            by2: "khong",
        }
    }

    #[test]
    fn a_share_keeps_the_conditions_of_its_own_rows_on_the_rows() {
        let s = sql(
            "bao nhiêu phần trăm số đơn tố cáo đã giải quyết xong được kết luận là đúng",
            &Scope::National,
            p("so_don", "da_giai_quyet", "khong", "khong", None),
        );
        let (select, from) = s.split_once(" FROM ").unwrap();
        assert!(from.contains("d.loai = 'to_cao'"), "{s}");
        assert!(select.contains("d.ket_qua = 'dung'"), "{s}");
        assert!(!select.contains("to_cao"), "{s}");
    }

    #[test]
    fn records_of_several_kinds_asked_together_must_all_exist() {
        let s = sql(
            "Có bao nhiêu việc vừa bị phong tỏa tài khoản vừa bị khấu trừ tiền trong tài khoản?",
            &Scope::National,
            p("so_viec", "tat_ca", "khong", "khong", None),
        );
        assert!(s.contains("'phong_toa_tai_khoan')"), "{s}");
        assert!(s.contains("'khau_tru_tai_khoan')"), "{s}");
        assert!(!s.contains(" OR "), "both measures, not either: {s}");
    }

    #[test]
    fn values_of_one_attribute_are_alternatives_and_a_left_out_value_is_negated() {
        let s = sql(
            "số việc thụ lý mới có người phải thi hành án là cá nhân hoặc doanh nghiệp",
            &Scope::National,
            p("so_viec", "tat_ca", "khong", "khong", None),
        );
        assert!(s.contains(" OR "), "{s}");
        let s = sql(
            "số việc thi hành xong, không tính các việc đình chỉ",
            &Scope::National,
            p("so_viec", "xong", "khong", "khong", None),
        );
        assert!(s.contains("NOT (v.trang_thai = 'dinh_chi')"), "{s}");
        let s = sql(
            "số cán bộ không còn công tác theo từng chức vụ",
            &Scope::National,
            p("so_can_bo", "tat_ca", "chuc_vu", "khong", None),
        );
        assert!(s.contains("c.dang_cong_tac = 0"), "{s}");
        assert!(!s.contains("c.dang_cong_tac = 1"), "{s}");
        assert!(s.contains("GROUP BY c.chuc_vu"), "{s}");
    }

    #[test]
    fn money_asked_in_millions_is_summed_in_millions() {
        let s = sql(
            "tháng này thu được bao nhiêu triệu đồng qua biên lai",
            &Scope::National,
            p("tien_bien_lai", "tat_ca", "khong", "khong", None),
        );
        assert!(s.contains("/ 1000000.0, 2) AS trieu_dong"), "{s}");
        let s = sql(
            "tháng này thu được bao nhiêu tỷ đồng qua biên lai",
            &Scope::National,
            p("tien_bien_lai", "tat_ca", "khong", "khong", None),
        );
        assert!(s.contains("/ 1000000000.0, 2) AS ty_dong"), "{s}");
    }

    #[test]
    fn k4_for_a_province_and_statistical_year() {
        let s = sql(
            "tỷ lệ thi hành xong về việc năm 2026 của Hà Nội",
            &Scope::National,
            p("ty_le_xong_viec", "tat_ca", "khong", "khong", None),
        );
        assert_eq!(
            s,
            "SELECT ROUND(100.0 * SUM(CASE WHEN v.trang_thai IN ('xong','dinh_chi') AND v.ngay_ket_thuc BETWEEN '2025-10-01' AND '2026-09-30' THEN 1 ELSE 0 END) / NULLIF(COUNT(*), 0), 2) AS ty_le_viec FROM viec_thi_hanh v WHERE v.co_dieu_kien = 1 AND v.trang_thai <> 'uy_thac' AND v.ngay_thu_ly <= '2026-09-30' AND (v.ngay_ket_thuc IS NULL OR v.ngay_ket_thuc >= '2025-10-01') AND v.ma_tinh = '01'"
        );
    }

    #[test]
    fn top_n_by_province() {
        let s = sql(
            "5 tỉnh có nhiều việc chưa có điều kiện nhất",
            &Scope::National,
            p("so_viec", "chua_co_dieu_kien", "tinh", "giam", Some(5)),
        );
        assert_eq!(
            s,
            "SELECT t.ten, COUNT(*) AS so_viec FROM viec_thi_hanh v JOIN tinh t ON t.ma_tinh = v.ma_tinh WHERE v.trang_thai = 'chua_co_dieu_kien' GROUP BY t.ma_tinh, t.ten ORDER BY so_viec DESC, t.ma_tinh LIMIT 5"
        );
    }

    #[test]
    fn province_scope_is_always_in_the_sql() {
        let hn = Scope::Province {
            ma_tinh: "01".into(),
        };
        let s = sql(
            "bao nhiêu biên lai hôm nay",
            &hn,
            p("so_bien_lai", "tat_ca", "khong", "khong", None),
        );
        assert!(s.contains("b.ma_tinh = '01'"), "{s}");
        assert!(
            s.contains("b.ngay_thu BETWEEN '2026-11-20' AND '2026-11-20'"),
            "{s}"
        );
    }

    #[test]
    fn target_comparison_is_a_cte_cross_join() {
        let hn = Scope::Province {
            ma_tinh: "01".into(),
        };
        let s = sql(
            "Từ đầu năm đến nay tỷ lệ thi hành xong về việc so với chỉ tiêu?",
            &hn,
            p("ty_le_xong_viec", "tat_ca", "khong", "khong", None),
        );
        assert!(s.starts_with("WITH r AS (SELECT ROUND("), "{s}");
        assert!(
            s.ends_with("SELECT r.ty_le_viec, ct.ty_le_viec AS chi_tieu FROM r CROSS JOIN chi_tieu ct JOIN don_vi u ON u.id = ct.don_vi_id WHERE u.ma = 'T01' AND ct.nam_thong_ke = 2027"),
            "{s}"
        );
    }

    #[test]
    fn working_day_thresholds() {
        // Friday 2026-11-20: five working days back is Friday 2026-11-13.
        assert_eq!(working_days_back(as_of(), 5), "'2026-11-13'");
        // Sunday counts from the Friday before.
        let sunday = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        assert_eq!(working_days_back(sunday, 5), "'2026-11-13'");
    }

    #[test]
    fn a_second_value_of_the_same_rows() {
        let mut plan = p("so_viec", "chua_ket_thuc", "khong", "khong", None);
        plan.also = Some("tien_con_phai_thu");
        let s = sql("việc chưa kết thúc", &Scope::National, plan.clone());
        assert!(s.starts_with("SELECT COUNT(*) AS so_viec, ROUND(SUM(v.so_tien_phai_thi_hanh - v.so_tien_da_thi_hanh) / 1000000000.0, 2) AS ty_dong FROM"), "{s}");
        plan.also = Some("so_bien_lai");
        let linked = Linked::default();
        let cx = Context {
            linked: &linked,
            scope: &Scope::National,
            as_of: as_of(),
        };
        assert!(compile(&plan, &cx).is_err());
    }

    #[test]
    fn mismatched_plans_are_errors() {
        let linked = Linked::default();
        let cx = Context {
            linked: &linked,
            scope: &Scope::National,
            as_of: as_of(),
        };
        assert!(compile(&p("so_bien_lai", "qh04", "khong", "khong", None), &cx).is_err());
        assert!(compile(&p("so_chv", "tat_ca", "kenh", "khong", None), &cx).is_err());
        assert!(compile(&p("nope", "tat_ca", "khong", "khong", None), &cx).is_err());
    }
}
