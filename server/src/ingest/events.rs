//! The wire format of `POST /api/events`: one serde type per domain event, the checks that need
//! no database (formats, ranges, code lists), and the JSON Schema served at
//! `GET /api/events/schema`.
//!
//! Events are parsed in two steps so every error can name its event and field: the batch is
//! read as JSON values, then each value's `"type"` picks the struct it is deserialised into
//! (through `serde_path_to_error`, which reports the failing field).

use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// Most events accepted in one request.
pub const MAX_BATCH: usize = 1000;
/// Longest client event id, in characters.
pub const MAX_ID_CHARS: usize = 100;
/// Earliest date an event may carry: the first day of the `lich` calendar.
pub const MIN_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2010, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};
/// Latest date an event may carry: the last day of the `lich` calendar.
pub const MAX_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2030, 12, 31) {
    Some(d) => d,
    None => NaiveDate::MAX,
};
/// How many days after the data's as-of date (or today, if later) an event's date may be.
pub const MAX_FUTURE_DAYS: u64 = 31;
/// Largest amount of money in one event (10^16 đồng, far above the largest real case).
pub const MAX_AMOUNT: i64 = 10_000_000_000_000_000;

/// Why one event of a batch was refused, naming its position and field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Position of the event in the batch, from 0.
    pub index: usize,
    /// The offending field (`"type"`, `"so_tien"`, …); `""` when the whole event is at fault.
    pub field: String,
    /// What is wrong, in Vietnamese.
    pub reason: String,
}

impl Rejection {
    /// A rejection of `field` of event `index`.
    pub fn new(index: usize, field: &str, reason: impl Into<String>) -> Rejection {
        Rejection {
            index,
            field: field.to_string(),
            reason: reason.into(),
        }
    }
}

/// Defines a code list: a serde enum with the lowercase ASCII codes of DOMAIN.md §6.
macro_rules! codes {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $code)] $variant),+ }
        impl $name {
            /// Every code, in declaration order.
            pub const ALL: &'static [&'static str] = &[$($code),+];
            /// The stored code.
            pub const fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
        }
    };
}

codes!(
    /// `viec_thi_hanh.loai_an`.
    LoaiAn { Ds = "ds", Hs = "hs", Hngd = "hngd", Kdtm = "kdtm", Ld = "ld", Hc = "hc", Ps = "ps", Khac = "khac" }
);
codes!(
    /// `viec_thi_hanh.hinh_thuc`.
    HinhThuc { ChuDong = "chu_dong", TheoYeuCau = "theo_yeu_cau" }
);
codes!(
    /// `duong_su.loai`.
    LoaiDuongSu {
        CaNhan = "ca_nhan",
        DoanhNghiep = "doanh_nghiep",
        ToChucTinDung = "to_chuc_tin_dung",
        NhaNuoc = "nha_nuoc",
        ToChucKhac = "to_chuc_khac",
    }
);
codes!(
    /// Target of a `status_change` event.
    StatusTarget {
        Hoan = "hoan",
        TamDinhChi = "tam_dinh_chi",
        TiepTuc = "tiep_tuc",
        DinhChi = "dinh_chi",
        UyThac = "uy_thac",
        Xong = "xong",
    }
);
codes!(
    /// `bien_phap_cuong_che.nhom`.
    NhomBienPhap { BaoDam = "bao_dam", CuongChe = "cuong_che", XuLyTaiSan = "xu_ly_tai_san" }
);
codes!(
    /// `bien_phap_cuong_che.loai`.
    LoaiBienPhap {
        PhongToaTaiKhoan = "phong_toa_tai_khoan",
        TamGiuTaiSan = "tam_giu_tai_san",
        TamDungDangKy = "tam_dung_dang_ky",
        KhauTruTaiKhoan = "khau_tru_tai_khoan",
        TruThuNhap = "tru_thu_nhap",
        KeBienTaiSan = "ke_bien_tai_san",
        KhaiThacTaiSan = "khai_thac_tai_san",
        BuocChuyenGiao = "buoc_chuyen_giao",
        BuocThucHienCongViec = "buoc_thuc_hien_cong_viec",
        ThamDinhGia = "tham_dinh_gia",
        BanDauGia = "ban_dau_gia",
    }
);
codes!(
    /// `bien_lai.kenh_gui`.
    KenhGui { Email = "email", Sms = "sms", Giay = "giay" }
);
codes!(
    /// `don_thu.loai`.
    LoaiDon { KhieuNai = "khieu_nai", ToCao = "to_cao", KienNghi = "kien_nghi" }
);
codes!(
    /// `don_thu.kenh`.
    KenhDon { Vneid = "vneid", Qr = "qr", TrucTiep = "truc_tiep", BuuDien = "buu_dien" }
);
codes!(
    /// `don_thu.ket_qua`.
    KetQua { Dung = "dung", DungMotPhan = "dung_mot_phan", Sai = "sai" }
);

impl LoaiBienPhap {
    /// The group (`nhom`) this measure belongs to.
    pub const fn nhom(self) -> NhomBienPhap {
        use LoaiBienPhap::*;
        match self {
            PhongToaTaiKhoan | TamGiuTaiSan | TamDungDangKy => NhomBienPhap::BaoDam,
            ThamDinhGia | BanDauGia => NhomBienPhap::XuLyTaiSan,
            _ => NhomBienPhap::CuongChe,
        }
    }
}

impl LoaiDon {
    /// Calendar days to resolve a petition of this kind (DOMAIN.md §3 "Petitions").
    pub const fn han_ngay(self) -> i64 {
        match self {
            LoaiDon::KhieuNai | LoaiDon::KienNghi => 15,
            LoaiDon::ToCao => 30,
        }
    }
}

fn yes() -> bool {
    true
}

/// One party of a new case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Party {
    pub loai: LoaiDuongSu,
    pub ho_ten: String,
}

/// `case_registered`: a judgment is received and a việc is opened (thụ lý) at an office, with
/// its debtor and creditor. The case starts in `cho_ra_quyet_dinh`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseRegistered {
    pub id: String,
    /// `don_vi.ma` of the handling office: `T79` or `T79-KV05`.
    pub don_vi: String,
    /// Case number; omitted, the next `<ma_tinh>-<KVnn|TINH>-<yyyy>-<nnnnnn>` is assigned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ma_viec: Option<String>,
    pub loai_an: LoaiAn,
    pub hinh_thuc: HinhThuc,
    pub ngay_thu_ly: NaiveDate,
    pub so_tien_phai_thi_hanh: i64,
    /// `can_bo.id` of the assigned chấp hành viên (same province, `la_chap_hanh_vien = 1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chap_hanh_vien_id: Option<i64>,
    pub nguoi_phai_thi_hanh: Party,
    pub nguoi_duoc_thi_hanh: Party,
}

/// `enforcement_decision`: the QĐ THA is issued; the case moves to `dang_thi_hanh`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnforcementDecision {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ma_viec: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viec_id: Option<i64>,
    pub so_quyet_dinh: String,
    pub ngay_ky: NaiveDate,
    #[serde(default = "yes")]
    pub ky_so: bool,
    /// Assigns (or reassigns) the chấp hành viên at the same time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chap_hanh_vien_id: Option<i64>,
}

/// `verification_result`: the debtor's conditions were verified (xác minh). `co_dieu_kien =
/// false` on a case being enforced needs the decision "chưa có điều kiện" (`so_quyet_dinh`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerificationResult {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ma_viec: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viec_id: Option<i64>,
    pub ngay_xac_minh: NaiveDate,
    pub co_dieu_kien: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub so_quyet_dinh: Option<String>,
    #[serde(default = "yes")]
    pub ky_so: bool,
}

/// `status_change`: a decision of hoãn, tạm đình chỉ, tiếp tục, đình chỉ, ủy thác, or the
/// case is completed (`xong`, no decision number needed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ma_viec: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viec_id: Option<i64>,
    pub trang_thai: StatusTarget,
    pub ngay: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub so_quyet_dinh: Option<String>,
    #[serde(default = "yes")]
    pub ky_so: bool,
}

/// `enforcement_measure`: a preservation, coercive or asset-disposal measure was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnforcementMeasure {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ma_viec: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viec_id: Option<i64>,
    pub nhom: NhomBienPhap,
    pub loai: LoaiBienPhap,
    pub ngay_thuc_hien: NaiveDate,
    /// The QĐ cưỡng chế, when one was issued (stored as a `cuong_che` decision).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub so_quyet_dinh: Option<String>,
    #[serde(default = "yes")]
    pub ky_so: bool,
}

/// `payment`: money collected on a case, with its (e-)receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ma_viec: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viec_id: Option<i64>,
    pub so_tien: i64,
    pub ngay_thu: NaiveDate,
    /// `BL<ma_tinh>-<yyyy>-<7 digits>`; omitted, the next free number is assigned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub so_bien_lai: Option<String>,
    pub kenh_gui: KenhGui,
    #[serde(default = "yes")]
    pub dien_tu: bool,
    #[serde(default = "yes")]
    pub ky_so: bool,
}

/// `complaint_received`: a petition (khiếu nại, tố cáo, kiến nghị) arrived at an office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplaintReceived {
    pub id: String,
    /// `don_vi.ma` of the office handling it (`CUC` allowed).
    pub don_vi: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ma_viec: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viec_id: Option<i64>,
    pub loai: LoaiDon,
    pub kenh: KenhDon,
    pub ngay_nhan: NaiveDate,
    /// Deadline; omitted, 15 days (khiếu nại, kiến nghị) or 30 days (tố cáo) after receipt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub han_giai_quyet: Option<NaiveDate>,
}

/// `complaint_resolved`: a petition was answered. It names the petition by `don_thu_id` or by
/// the id of its `complaint_received` event (`complaint_event_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplaintResolved {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub don_thu_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complaint_event_id: Option<String>,
    pub ngay_giai_quyet: NaiveDate,
    /// Required for khiếu nại and tố cáo; absent for kiến nghị.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ket_qua: Option<KetQua>,
}

/// One domain event, tagged by `"type"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    CaseRegistered(CaseRegistered),
    EnforcementDecision(EnforcementDecision),
    VerificationResult(VerificationResult),
    StatusChange(StatusChange),
    EnforcementMeasure(EnforcementMeasure),
    Payment(Payment),
    ComplaintReceived(ComplaintReceived),
    ComplaintResolved(ComplaintResolved),
}

/// The `type` codes, in the order of [`Event`].
pub const EVENT_TYPES: [&str; 8] = [
    "case_registered",
    "enforcement_decision",
    "verification_result",
    "status_change",
    "enforcement_measure",
    "payment",
    "complaint_received",
    "complaint_resolved",
];

/// How a case is named: by `ma_viec` or by `viec_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseRef {
    Ma(String),
    Id(i64),
}

impl Event {
    /// The client's event id.
    pub fn id(&self) -> &str {
        match self {
            Event::CaseRegistered(e) => &e.id,
            Event::EnforcementDecision(e) => &e.id,
            Event::VerificationResult(e) => &e.id,
            Event::StatusChange(e) => &e.id,
            Event::EnforcementMeasure(e) => &e.id,
            Event::Payment(e) => &e.id,
            Event::ComplaintReceived(e) => &e.id,
            Event::ComplaintResolved(e) => &e.id,
        }
    }

    /// The `type` code.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::CaseRegistered(_) => EVENT_TYPES[0],
            Event::EnforcementDecision(_) => EVENT_TYPES[1],
            Event::VerificationResult(_) => EVENT_TYPES[2],
            Event::StatusChange(_) => EVENT_TYPES[3],
            Event::EnforcementMeasure(_) => EVENT_TYPES[4],
            Event::Payment(_) => EVENT_TYPES[5],
            Event::ComplaintReceived(_) => EVENT_TYPES[6],
            Event::ComplaintResolved(_) => EVENT_TYPES[7],
        }
    }

    /// The case the event is about, if it names one (`ma_viec` or `viec_id`).
    pub fn case_ref(&self) -> Option<CaseRef> {
        let (ma, id) = match self {
            Event::CaseRegistered(_) | Event::ComplaintResolved(_) => return None,
            Event::EnforcementDecision(e) => (&e.ma_viec, e.viec_id),
            Event::VerificationResult(e) => (&e.ma_viec, e.viec_id),
            Event::StatusChange(e) => (&e.ma_viec, e.viec_id),
            Event::EnforcementMeasure(e) => (&e.ma_viec, e.viec_id),
            Event::Payment(e) => (&e.ma_viec, e.viec_id),
            Event::ComplaintReceived(e) => (&e.ma_viec, e.viec_id),
        };
        match (ma, id) {
            (Some(m), _) => Some(CaseRef::Ma(m.clone())),
            (None, Some(i)) => Some(CaseRef::Id(i)),
            (None, None) => None,
        }
    }

    /// Normalises free text to NFC (DOMAIN.md §6: text values are NFC) and trims it.
    pub fn normalise(&mut self) {
        fn nfc(s: &mut String) {
            *s = s.trim().nfc().collect();
        }
        fn nfc_opt(s: &mut Option<String>) {
            if let Some(s) = s {
                nfc(s);
            }
        }
        match self {
            Event::CaseRegistered(e) => {
                nfc(&mut e.nguoi_phai_thi_hanh.ho_ten);
                nfc(&mut e.nguoi_duoc_thi_hanh.ho_ten);
                nfc(&mut e.don_vi);
                nfc_opt(&mut e.ma_viec);
            }
            Event::EnforcementDecision(e) => nfc(&mut e.so_quyet_dinh),
            Event::VerificationResult(e) => nfc_opt(&mut e.so_quyet_dinh),
            Event::StatusChange(e) => nfc_opt(&mut e.so_quyet_dinh),
            Event::EnforcementMeasure(e) => nfc_opt(&mut e.so_quyet_dinh),
            Event::Payment(e) => nfc_opt(&mut e.so_bien_lai),
            Event::ComplaintReceived(e) => nfc(&mut e.don_vi),
            Event::ComplaintResolved(_) => {}
        }
    }
}

/// Reads event `index` from its JSON value.
///
/// # Errors
/// `Err(Ok(r))`: the type is known but a field is missing or malformed (a 422);
/// `Err(Err(r))`: the value is not an object, or its `type` is missing or unknown (a 400).
pub fn parse_event(
    index: usize,
    value: serde_json::Value,
) -> Result<Event, Result<Rejection, Rejection>> {
    let Some(obj) = value.as_object() else {
        return Err(Err(Rejection::new(
            index,
            "",
            "mỗi sự kiện phải là một đối tượng JSON",
        )));
    };
    let kind = match obj.get("type") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(_) => return Err(Err(Rejection::new(index, "type", "phải là một chuỗi"))),
        None => return Err(Err(Rejection::new(index, "type", "thiếu trường type"))),
    };
    let mut value = value;
    if let Some(obj) = value.as_object_mut() {
        obj.remove("type");
    }
    let event = match kind.as_str() {
        "case_registered" => Event::CaseRegistered(de(index, value)?),
        "enforcement_decision" => Event::EnforcementDecision(de(index, value)?),
        "verification_result" => Event::VerificationResult(de(index, value)?),
        "status_change" => Event::StatusChange(de(index, value)?),
        "enforcement_measure" => Event::EnforcementMeasure(de(index, value)?),
        "payment" => Event::Payment(de(index, value)?),
        "complaint_received" => Event::ComplaintReceived(de(index, value)?),
        "complaint_resolved" => Event::ComplaintResolved(de(index, value)?),
        other => {
            return Err(Err(Rejection::new(
                index,
                "type",
                format!(
                    "loại sự kiện không hỗ trợ {other:?}; hợp lệ: {}",
                    EVENT_TYPES.join(", ")
                ),
            )))
        }
    };
    Ok(event)
}

/// Deserialises one event body, reporting the failing field.
fn de<T: DeserializeOwned>(
    index: usize,
    value: serde_json::Value,
) -> Result<T, Result<Rejection, Rejection>> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // `missing field `x`` and `unknown field `x`` are reported on the parent path.
        let named = inner
            .split('`')
            .nth(1)
            .filter(|_| inner.starts_with("missing field") || inner.starts_with("unknown field"));
        let field = match (path.as_str(), named) {
            (".", Some(n)) | ("", Some(n)) => n.to_string(),
            (p, Some(n)) if p != n && !p.ends_with(&format!(".{n}")) => format!("{p}.{n}"),
            (p, _) => p.to_string(),
        };
        Ok(Rejection::new(index, &field, in_vietnamese(&inner)))
    })
}

/// A serde or chrono message about one field, said in Vietnamese (the field is named beside
/// it). Unknown messages become a generic "giá trị không hợp lệ".
pub fn in_vietnamese(message: &str) -> String {
    let kind = kind_in_vietnamese;
    let quoted = |s: &str| s.split('`').nth(1).unwrap_or_default().to_owned();
    if message.starts_with("missing field") {
        return "thiếu trường bắt buộc".into();
    }
    if message.starts_with("unknown field") {
        let allowed = message
            .split_once("expected one of ")
            .map(|(_, a)| a.replace('`', ""));
        return match allowed {
            Some(a) => format!("trường không được hỗ trợ; các trường hợp lệ: {a}"),
            None => "trường không được hỗ trợ".into(),
        };
    }
    if message.starts_with("unknown variant") {
        let allowed = message
            .split_once("expected one of ")
            .map(|(_, a)| a.replace('`', ""));
        let got = quoted(message);
        return match allowed {
            Some(a) => format!("giá trị {got:?} không hợp lệ; hợp lệ: {a}"),
            None => format!("giá trị {got:?} không hợp lệ"),
        };
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (got, want) = rest.split_once(", expected ").unwrap_or((rest, ""));
        return format!("sai kiểu: nhận {}, cần {}", kind(got), kind(want));
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        let (got, _) = rest.split_once(", expected ").unwrap_or((rest, ""));
        return format!("giá trị không hợp lệ: {}", kind(got));
    }
    match message {
        "input is out of range" => "ngày không tồn tại (ngoài phạm vi)".into(),
        "input contains invalid characters"
        | "premature end of input"
        | "trailing input"
        | "input is not enough for unique date and time"
        | "bad or unsupported format string" => "ngày phải có dạng YYYY-MM-DD".into(),
        m if m.contains("out of range") => "số vượt quá giới hạn cho phép".into(),
        _ => "giá trị không hợp lệ".into(),
    }
}

/// serde's name of a kind of value (`floating point \`1e23\``, `i64`, `a string`), in
/// Vietnamese, with the value when serde quoted one.
fn kind_in_vietnamese(s: &str) -> String {
    let s = s.trim();
    let head = s
        .strip_prefix("an ")
        .or_else(|| s.strip_prefix("a "))
        .unwrap_or(s);
    let word = match head.split([' ', '`', '"']).next().unwrap_or_default() {
        "floating" => "số thực",
        "integer" | "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" => "số nguyên",
        "f32" | "f64" => "số",
        "string" | "str" | "borrowed" => "chuỗi",
        "boolean" | "bool" => "giá trị true/false",
        "map" | "struct" => "đối tượng",
        "sequence" | "tuple" => "mảng",
        "null" | "unit" => "null",
        _ => "giá trị khác",
    };
    if let Some((_, value)) = s.split_once('`') {
        return format!("{word} {}", value.trim_end_matches('`'));
    }
    match s.split_once('"') {
        Some((_, value)) => format!("{word} \"{value}"),
        None => word.to_owned(),
    }
}

/// A JSON syntax error of the whole body, said in Vietnamese with its place.
pub fn json_error_in_vietnamese(e: &serde_json::Error) -> String {
    let at = format!("dòng {}, cột {}", e.line(), e.column());
    match e.classify() {
        serde_json::error::Category::Eof => format!("JSON bị cắt cụt (hết ở {at})"),
        serde_json::error::Category::Syntax => format!("JSON sai cú pháp ở {at}"),
        serde_json::error::Category::Data | serde_json::error::Category::Io => {
            format!("JSON có giá trị không đọc được ở {at}")
        }
    }
}

fn check_text(index: usize, field: &str, s: &str, max: usize) -> Result<(), Rejection> {
    let n = s.chars().count();
    if n == 0 {
        return Err(Rejection::new(index, field, "không được để trống"));
    }
    if n > max {
        return Err(Rejection::new(index, field, format!("dài quá {max} ký tự")));
    }
    if s.chars().any(char::is_control) {
        return Err(Rejection::new(index, field, "chứa ký tự điều khiển"));
    }
    Ok(())
}

/// Checks a date that records something done: between [`MIN_DATE`] and `latest` (see
/// [`latest_date`]); a deadline (`han_giai_quyet`) may be as late as [`MAX_DATE`].
fn check_date(latest: NaiveDate, index: usize, field: &str, d: NaiveDate) -> Result<(), Rejection> {
    let latest = if field.starts_with("han_") {
        MAX_DATE
    } else {
        latest.min(MAX_DATE)
    };
    if d < MIN_DATE || d > latest {
        return Err(Rejection::new(
            index,
            field,
            format!(
                "ngày {} nằm ngoài khoảng {} … {} (chỉ nhận ngày đến {MAX_FUTURE_DAYS} ngày sau ngày số liệu)",
                d.format("%d/%m/%Y"),
                MIN_DATE.format("%d/%m/%Y"),
                latest.format("%d/%m/%Y")
            ),
        ));
    }
    Ok(())
}

/// The latest date an event may record: [`MAX_FUTURE_DAYS`] after the later of the data's
/// as-of date and today (a clock a little ahead is tolerated; a case registered in 2030 is not).
pub fn latest_date(as_of: Option<NaiveDate>, today: NaiveDate) -> NaiveDate {
    let reference = as_of.map_or(today, |a| a.max(today));
    reference
        .checked_add_days(chrono::Days::new(MAX_FUTURE_DAYS))
        .unwrap_or(MAX_DATE)
        .min(MAX_DATE)
}

fn check_case_ref(index: usize, ma: &Option<String>, id: Option<i64>) -> Result<(), Rejection> {
    match (ma, id) {
        (Some(_), Some(_)) => Err(Rejection::new(
            index,
            "ma_viec",
            "chỉ ghi một trong hai trường ma_viec hoặc viec_id",
        )),
        (None, None) => Err(Rejection::new(
            index,
            "ma_viec",
            "thiếu mã việc (ma_viec hoặc viec_id)",
        )),
        (Some(m), None) => check_text(index, "ma_viec", m, 40),
        (None, Some(i)) if i <= 0 => Err(Rejection::new(index, "viec_id", "phải là số dương")),
        (None, Some(_)) => Ok(()),
    }
}

fn check_decision_no(index: usize, no: &Option<String>) -> Result<(), Rejection> {
    no.as_deref()
        .map_or(Ok(()), |s| check_text(index, "so_quyet_dinh", s, 50))
}

/// `BL<ma_tinh>-<yyyy>-<7 digits>` split into province, year and sequence.
pub fn parse_receipt_no(s: &str) -> Option<(&str, i32, u32)> {
    let rest = s.strip_prefix("BL")?;
    let mut parts = rest.split('-');
    let (tinh, year, seq) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    if parts.next().is_some() || !digits(tinh, 2) || !digits(year, 4) || !digits(seq, 7) {
        return None;
    }
    Some((tinh, year.parse().ok()?, seq.parse().ok()?))
}

/// The checks of one event that need no database: text lengths, date range, amounts, one
/// case reference, codes that belong together.
///
/// # Errors
/// The first problem found, naming `index` and the field.
pub fn check_event(index: usize, event: &Event, latest: NaiveDate) -> Result<(), Rejection> {
    check_text(index, "id", event.id(), MAX_ID_CHARS)?;
    match event {
        Event::CaseRegistered(e) => {
            check_text(index, "don_vi", &e.don_vi, 20)?;
            if let Some(m) = &e.ma_viec {
                check_text(index, "ma_viec", m, 40)?;
            }
            check_date(latest, index, "ngay_thu_ly", e.ngay_thu_ly)?;
            if !(0..=MAX_AMOUNT).contains(&e.so_tien_phai_thi_hanh) {
                return Err(Rejection::new(
                    index,
                    "so_tien_phai_thi_hanh",
                    format!("phải trong khoảng 0 … {MAX_AMOUNT} đồng"),
                ));
            }
            check_text(
                index,
                "nguoi_phai_thi_hanh.ho_ten",
                &e.nguoi_phai_thi_hanh.ho_ten,
                200,
            )?;
            check_text(
                index,
                "nguoi_duoc_thi_hanh.ho_ten",
                &e.nguoi_duoc_thi_hanh.ho_ten,
                200,
            )?;
            if e.hinh_thuc == HinhThuc::ChuDong
                && e.nguoi_duoc_thi_hanh.loai != LoaiDuongSu::NhaNuoc
            {
                return Err(Rejection::new(
                    index,
                    "nguoi_duoc_thi_hanh.loai",
                    "việc chủ động thi hành có người được thi hành là nhà nước (nha_nuoc)",
                ));
            }
        }
        Event::EnforcementDecision(e) => {
            check_case_ref(index, &e.ma_viec, e.viec_id)?;
            check_text(index, "so_quyet_dinh", &e.so_quyet_dinh, 50)?;
            check_date(latest, index, "ngay_ky", e.ngay_ky)?;
        }
        Event::VerificationResult(e) => {
            check_case_ref(index, &e.ma_viec, e.viec_id)?;
            check_date(latest, index, "ngay_xac_minh", e.ngay_xac_minh)?;
            check_decision_no(index, &e.so_quyet_dinh)?;
        }
        Event::StatusChange(e) => {
            check_case_ref(index, &e.ma_viec, e.viec_id)?;
            check_date(latest, index, "ngay", e.ngay)?;
            check_decision_no(index, &e.so_quyet_dinh)?;
            if e.trang_thai != StatusTarget::Xong && e.so_quyet_dinh.is_none() {
                return Err(Rejection::new(
                    index,
                    "so_quyet_dinh",
                    format!("chuyển sang {} cần số quyết định", e.trang_thai.code()),
                ));
            }
        }
        Event::EnforcementMeasure(e) => {
            check_case_ref(index, &e.ma_viec, e.viec_id)?;
            check_date(latest, index, "ngay_thuc_hien", e.ngay_thuc_hien)?;
            check_decision_no(index, &e.so_quyet_dinh)?;
            if e.loai.nhom() != e.nhom {
                return Err(Rejection::new(
                    index,
                    "loai",
                    format!(
                        "biện pháp {} thuộc nhóm {}, không phải {}",
                        e.loai.code(),
                        e.loai.nhom().code(),
                        e.nhom.code()
                    ),
                ));
            }
        }
        Event::Payment(e) => {
            check_case_ref(index, &e.ma_viec, e.viec_id)?;
            check_date(latest, index, "ngay_thu", e.ngay_thu)?;
            if !(1..=MAX_AMOUNT).contains(&e.so_tien) {
                return Err(Rejection::new(
                    index,
                    "so_tien",
                    format!("phải trong khoảng 1 … {MAX_AMOUNT} đồng"),
                ));
            }
            if let Some(no) = &e.so_bien_lai {
                match parse_receipt_no(no) {
                    None => {
                        return Err(Rejection::new(
                            index,
                            "so_bien_lai",
                            "sai định dạng BL<mã tỉnh>-<năm>-<7 chữ số>, ví dụ BL79-2026-0001234",
                        ))
                    }
                    Some((_, year, _)) if year != chrono::Datelike::year(&e.ngay_thu) => {
                        return Err(Rejection::new(
                            index,
                            "so_bien_lai",
                            "năm trong số biên lai khác năm của ngày thu",
                        ))
                    }
                    Some(_) => {}
                }
            }
            if !e.dien_tu && (e.ky_so || e.kenh_gui != KenhGui::Giay) {
                return Err(Rejection::new(
                    index,
                    "dien_tu",
                    "biên lai giấy (dien_tu=false) không ký số và có kenh_gui='giay'",
                ));
            }
        }
        Event::ComplaintReceived(e) => {
            check_text(index, "don_vi", &e.don_vi, 20)?;
            match (&e.ma_viec, e.viec_id) {
                (None, None) => {}
                (ma, id) => check_case_ref(index, ma, id)?,
            }
            check_date(latest, index, "ngay_nhan", e.ngay_nhan)?;
            if let Some(h) = e.han_giai_quyet {
                check_date(latest, index, "han_giai_quyet", h)?;
                if h < e.ngay_nhan {
                    return Err(Rejection::new(
                        index,
                        "han_giai_quyet",
                        "hạn giải quyết trước ngày nhận đơn",
                    ));
                }
            }
        }
        Event::ComplaintResolved(e) => {
            match (&e.complaint_event_id, e.don_thu_id) {
                (Some(_), Some(_)) | (None, None) => {
                    return Err(Rejection::new(
                        index,
                        "don_thu_id",
                        "ghi đúng một trong hai trường don_thu_id hoặc complaint_event_id",
                    ))
                }
                (Some(c), None) => check_text(index, "complaint_event_id", c, MAX_ID_CHARS)?,
                (None, Some(i)) if i <= 0 => {
                    return Err(Rejection::new(index, "don_thu_id", "phải là số dương"))
                }
                (None, Some(_)) => {}
            }
            check_date(latest, index, "ngay_giai_quyet", e.ngay_giai_quyet)?;
        }
    }
    Ok(())
}

/// The JSON Schema (draft 2020-12) of a batch, served at `GET /api/events/schema`.
pub fn json_schema() -> serde_json::Value {
    use serde_json::json;
    let date = json!({"type": "string", "format": "date", "description": "YYYY-MM-DD, 2010-01-01 … 2030-12-31"});
    let id = json!({"type": "string", "minLength": 1, "maxLength": MAX_ID_CHARS, "description": "client event id; re-sending it is acknowledged, not applied twice"});
    let ma_viec = json!({"type": "string", "minLength": 1, "maxLength": 40, "description": "viec_thi_hanh.ma_viec, e.g. 79-KV05-2026-000123"});
    let viec_id = json!({"type": "integer", "minimum": 1, "description": "viec_thi_hanh.id"});
    let so_qd = json!({"type": "string", "minLength": 1, "maxLength": 50, "description": "e.g. 123/QĐ-THADS"});
    let money = |min: i64| json!({"type": "integer", "minimum": min, "maximum": MAX_AMOUNT, "description": "VND"});
    let codes = |all: &[&str]| json!({"type": "string", "enum": all});
    let party = json!({
        "type": "object", "additionalProperties": false, "required": ["loai", "ho_ten"],
        "properties": {"loai": codes(LoaiDuongSu::ALL), "ho_ten": {"type": "string", "minLength": 1, "maxLength": 200}}
    });
    let case_ref = json!({"oneOf": [{"required": ["ma_viec"]}, {"required": ["viec_id"]}]});
    let event = |name: &str,
                 desc: &str,
                 required: &[&str],
                 props: serde_json::Value,
                 extra: serde_json::Value| {
        let mut properties = json!({"type": {"const": name}, "id": id.clone()});
        if let (Some(p), Some(add)) = (properties.as_object_mut(), props.as_object()) {
            p.extend(add.clone());
        }
        let mut req = vec!["type", "id"];
        req.extend_from_slice(required);
        let mut schema = json!({
            "title": name, "description": desc, "type": "object", "additionalProperties": false,
            "required": req, "properties": properties
        });
        if let (Some(s), Some(add)) = (schema.as_object_mut(), extra.as_object()) {
            s.extend(add.clone());
        }
        schema
    };
    let variants = vec![
        event("case_registered", "Thụ lý việc thi hành án: creates viec_thi_hanh (cho_ra_quyet_dinh) and its two duong_su.",
            &["don_vi", "loai_an", "hinh_thuc", "ngay_thu_ly", "so_tien_phai_thi_hanh", "nguoi_phai_thi_hanh", "nguoi_duoc_thi_hanh"],
            json!({"don_vi": {"type": "string", "description": "don_vi.ma of a tinh or khu_vuc office, e.g. T79-KV05"},
                   "ma_viec": ma_viec, "loai_an": codes(LoaiAn::ALL), "hinh_thuc": codes(HinhThuc::ALL),
                   "ngay_thu_ly": date, "so_tien_phai_thi_hanh": money(0),
                   "chap_hanh_vien_id": {"type": "integer", "minimum": 1},
                   "nguoi_phai_thi_hanh": party, "nguoi_duoc_thi_hanh": party}), json!({})),
        event("enforcement_decision", "QĐ THA: cho_ra_quyet_dinh → dang_thi_hanh; inserts quyet_dinh (thi_hanh_an).",
            &["so_quyet_dinh", "ngay_ky"],
            json!({"ma_viec": ma_viec, "viec_id": viec_id, "so_quyet_dinh": so_qd, "ngay_ky": date,
                   "ky_so": {"type": "boolean", "default": true}, "chap_hanh_vien_id": {"type": "integer", "minimum": 1}}),
            case_ref.clone()),
        event("verification_result", "Xác minh điều kiện: dang_thi_hanh ↔ chua_co_dieu_kien (so_quyet_dinh required when a case being enforced is found not enforceable).",
            &["ngay_xac_minh", "co_dieu_kien"],
            json!({"ma_viec": ma_viec, "viec_id": viec_id, "ngay_xac_minh": date, "co_dieu_kien": {"type": "boolean"},
                   "so_quyet_dinh": so_qd, "ky_so": {"type": "boolean", "default": true}}),
            case_ref.clone()),
        event("status_change", "hoan/tam_dinh_chi from dang_thi_hanh; tiep_tuc from hoan/tam_dinh_chi; dinh_chi/uy_thac from any non-terminal state; xong from dang_thi_hanh when fully paid. so_quyet_dinh required except for xong.",
            &["trang_thai", "ngay"],
            json!({"ma_viec": ma_viec, "viec_id": viec_id, "trang_thai": codes(StatusTarget::ALL), "ngay": date,
                   "so_quyet_dinh": so_qd, "ky_so": {"type": "boolean", "default": true}}),
            case_ref.clone()),
        event("enforcement_measure", "Biện pháp bảo đảm / cưỡng chế / xử lý tài sản on a case being enforced.",
            &["nhom", "loai", "ngay_thuc_hien"],
            json!({"ma_viec": ma_viec, "viec_id": viec_id, "nhom": codes(NhomBienPhap::ALL), "loai": codes(LoaiBienPhap::ALL),
                   "ngay_thuc_hien": date, "so_quyet_dinh": so_qd, "ky_so": {"type": "boolean", "default": true}}),
            case_ref.clone()),
        event("payment", "Money collected with its receipt: inserts bien_lai, raises so_tien_da_thi_hanh (never above so_tien_phai_thi_hanh).",
            &["so_tien", "ngay_thu", "kenh_gui"],
            json!({"ma_viec": ma_viec, "viec_id": viec_id, "so_tien": money(1), "ngay_thu": date,
                   "so_bien_lai": {"type": "string", "pattern": "^BL[0-9]{2}-[0-9]{4}-[0-9]{7}$"},
                   "kenh_gui": codes(KenhGui::ALL), "dien_tu": {"type": "boolean", "default": true},
                   "ky_so": {"type": "boolean", "default": true}}),
            case_ref),
        event("complaint_received", "Đơn thư received: inserts don_thu (moi).",
            &["don_vi", "loai", "kenh", "ngay_nhan"],
            json!({"don_vi": {"type": "string", "description": "don_vi.ma, CUC allowed"}, "ma_viec": ma_viec, "viec_id": viec_id,
                   "loai": codes(LoaiDon::ALL), "kenh": codes(KenhDon::ALL), "ngay_nhan": date, "han_giai_quyet": date}),
            json!({})),
        event("complaint_resolved", "Đơn thư resolved: da_giai_quyet with ngay_giai_quyet and ket_qua (none for kien_nghi).",
            &["ngay_giai_quyet"],
            json!({"don_thu_id": {"type": "integer", "minimum": 1}, "complaint_event_id": id,
                   "ngay_giai_quyet": date, "ket_qua": codes(KetQua::ALL)}),
            json!({"oneOf": [{"required": ["don_thu_id"]}, {"required": ["complaint_event_id"]}]})),
    ];
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "/api/events/schema",
        "title": "THADS IOC event batch",
        "description": "POST /api/events with `Authorization: Bearer <IOC_INGEST_TOKEN>`. The batch is applied atomically; \
                        200 {accepted, duplicates, events}; 400 malformed JSON or unknown type; 401 bad token; \
                        413 too large; 422 {error, event_index, field, reason}; 503 ingest disabled.",
        "type": "object",
        "additionalProperties": false,
        "required": ["events"],
        "properties": {
            "events": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH, "items": {"oneOf": variants}}
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn payment(so_tien: i64) -> serde_json::Value {
        json!({"type": "payment", "id": "p1", "ma_viec": "79-KV05-2026-000001",
               "so_tien": so_tien, "ngay_thu": "2026-11-20", "kenh_gui": "sms"})
    }

    #[test]
    fn a_valid_payment_parses_with_defaults() {
        let ev = parse_event(0, payment(1_000_000)).expect("valid");
        let Event::Payment(p) = &ev else {
            panic!("payment expected")
        };
        assert!(p.dien_tu && p.ky_so);
        assert_eq!(
            ev.case_ref(),
            Some(CaseRef::Ma("79-KV05-2026-000001".into()))
        );
        check_event(0, &ev, MAX_DATE).expect("checks pass");
        // Round trip through the tagged enum (what ingested_events stores).
        let back: Event =
            serde_json::from_value(serde_json::to_value(&ev).expect("ser")).expect("de");
        assert_eq!(back, ev);
    }

    #[test]
    fn unknown_or_missing_type_is_malformed() {
        let e = parse_event(2, json!({"type": "fly", "id": "x"})).expect_err("unknown");
        assert!(
            matches!(&e, Err(r) if r.index == 2 && r.field == "type"),
            "{e:?}"
        );
        assert!(matches!(parse_event(0, json!({"id": "x"})), Err(Err(_))));
        assert!(matches!(parse_event(0, json!([1, 2])), Err(Err(_))));
    }

    #[test]
    fn field_errors_name_the_field() {
        let mut v = payment(5);
        v["so_tien"] = json!("năm đồng");
        let r = parse_event(3, v).expect_err("bad type").expect("422");
        assert_eq!((r.index, r.field.as_str()), (3, "so_tien"));

        let mut v = payment(5);
        v.as_object_mut().expect("obj").remove("ngay_thu");
        let r = parse_event(1, v).expect_err("missing").expect("422");
        assert_eq!(r.field, "ngay_thu");

        let mut v = payment(5);
        v["so_tienn"] = json!(1);
        let r = parse_event(1, v).expect_err("unknown field").expect("422");
        assert_eq!(r.field, "so_tienn");

        let mut v = payment(5);
        v["kenh_gui"] = json!("fax");
        let r = parse_event(1, v).expect_err("bad code").expect("422");
        assert_eq!(r.field, "kenh_gui");

        let mut v = payment(5);
        v["so_tien"] = json!(1e23);
        let r = parse_event(1, v).expect_err("a float amount").expect("422");
        assert_eq!(r.field, "so_tien");
        assert!(
            r.reason.starts_with("sai kiểu: nhận số thực 1") && r.reason.ends_with("cần số nguyên"),
            "{}",
            r.reason
        );

        let mut v = payment(5);
        v["ngay_thu"] = json!("2026-02-30");
        let r = parse_event(1, v).expect_err("no such day").expect("422");
        assert_eq!(
            (r.field.as_str(), r.reason.as_str()),
            ("ngay_thu", "ngày không tồn tại (ngoài phạm vi)")
        );

        let v = json!({"type": "case_registered", "id": "c", "don_vi": "T79", "loai_an": "ds",
            "hinh_thuc": "theo_yeu_cau", "ngay_thu_ly": "2026-11-20", "so_tien_phai_thi_hanh": 1,
            "nguoi_phai_thi_hanh": {"loai": "alien", "ho_ten": "A"},
            "nguoi_duoc_thi_hanh": {"loai": "ca_nhan", "ho_ten": "B"}});
        let r = parse_event(0, v).expect_err("nested").expect("422");
        assert_eq!(r.field, "nguoi_phai_thi_hanh.loai");
    }

    #[test]
    fn static_checks_reject_bad_values() {
        let bad = |v: serde_json::Value| {
            let ev = parse_event(4, v).expect("parses");
            check_event(4, &ev, MAX_DATE).expect_err("rejected")
        };
        assert_eq!(bad(payment(0)).field, "so_tien");
        assert_eq!(bad(payment(-5)).field, "so_tien");
        let mut v = payment(5);
        v["ngay_thu"] = json!("2031-01-01");
        assert_eq!(bad(v).field, "ngay_thu");
        let mut v = payment(5);
        v["viec_id"] = json!(3);
        assert_eq!(bad(v).field, "ma_viec", "two case references");
        let mut v = payment(5);
        v["id"] = json!("x".repeat(101));
        assert_eq!(bad(v).field, "id");
        let mut v = payment(5);
        v["so_bien_lai"] = json!("BL79-2025-0000001");
        assert_eq!(bad(v).field, "so_bien_lai", "year differs from ngay_thu");
        let v = json!({"type": "enforcement_measure", "id": "m", "viec_id": 1,
            "nhom": "bao_dam", "loai": "ban_dau_gia", "ngay_thuc_hien": "2026-11-20"});
        assert_eq!(bad(v).field, "loai");
        let v = json!({"type": "status_change", "id": "s", "viec_id": 1,
            "trang_thai": "hoan", "ngay": "2026-11-20"});
        assert_eq!(bad(v).field, "so_quyet_dinh");
        let v = json!({"type": "complaint_resolved", "id": "r", "ngay_giai_quyet": "2026-11-20"});
        assert_eq!(bad(v).field, "don_thu_id");
        let v = json!({"type": "case_registered", "id": "c", "don_vi": "T79", "loai_an": "hs",
            "hinh_thuc": "chu_dong", "ngay_thu_ly": "2026-11-20", "so_tien_phai_thi_hanh": 1,
            "nguoi_phai_thi_hanh": {"loai": "ca_nhan", "ho_ten": "A"},
            "nguoi_duoc_thi_hanh": {"loai": "ca_nhan", "ho_ten": "B"}});
        assert_eq!(bad(v).field, "nguoi_duoc_thi_hanh.loai");
    }

    #[test]
    fn receipt_numbers_parse() {
        assert_eq!(
            parse_receipt_no("BL79-2026-0001234"),
            Some(("79", 2026, 1234))
        );
        for bad in [
            "BL79-2026-001234",
            "XX79-2026-0001234",
            "BL7-2026-0001234",
            "BL79-2026-0001234-1",
        ] {
            assert_eq!(parse_receipt_no(bad), None, "{bad}");
        }
    }

    #[test]
    fn text_is_normalised_to_nfc() {
        let mut ev = parse_event(
            0,
            json!({"type": "enforcement_decision", "id": "d", "viec_id": 1,
                   "so_quyet_dinh": " 1/QD-Ha\u{0300} ", "ngay_ky": "2026-11-20"}),
        )
        .expect("valid");
        ev.normalise();
        let Event::EnforcementDecision(d) = ev else {
            panic!()
        };
        assert_eq!(d.so_quyet_dinh, "1/QD-H\u{e0}");
    }

    #[test]
    fn schema_lists_every_event_type() {
        let s = json_schema();
        let variants = s["properties"]["events"]["items"]["oneOf"]
            .as_array()
            .expect("variants");
        let names: Vec<&str> = variants
            .iter()
            .filter_map(|v| v["properties"]["type"]["const"].as_str())
            .collect();
        assert_eq!(names, EVENT_TYPES);
    }
}
