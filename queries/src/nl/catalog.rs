//! The semantic catalog's attributes: every value a leader names in a question ("án kinh doanh
//! thương mại", "biên lai bị hủy", "người phải thi hành án là doanh nghiệp", "chưa ký số",
//! "tiến độ dưới 30 %") as data — the canonical column it constrains and the Vietnamese words
//! (folded) that name it — and the [`Condition`] it becomes.
//!
//! A condition is linked once, from the words, whatever the question's metric; the plan
//! compiler then places it on the table the metric counts, through the join paths of
//! [`Condition::render`]: the table itself, the case a record belongs to, or the records a case
//! has. A condition no path reaches is *not applied*, and the question is not answered as if it
//! were (see [`super::coverage`]). Adding a value or an attribute is a line here, never a code
//! branch.

use super::plan::{lit, Base};

/// One value of one attribute and the words that name it.
pub struct Vocab {
    /// Where the value can be tested, in order of preference: `(table, SQL predicate over the
    /// alias `{a}`)`. Several targets for one word ("ký số": receipts or decisions) — the first
    /// one the plan's base reaches is used.
    pub targets: &'static [(&'static str, &'static str)],
    /// Folded phrases, whole words.
    pub phrases: &'static [&'static str],
    /// Upper-case abbreviations, matched as typed ("KDTM").
    pub upper: &'static [&'static str],
    /// Vietnamese restatement for the answer.
    pub label: &'static str,
    /// Named by words that also carry a case set or a metric of another table ("đang giải
    /// quyết", "báo cáo"): applied where the base holds it, never reported as not applied.
    pub soft: bool,
}

const fn v(
    targets: &'static [(&'static str, &'static str)],
    phrases: &'static [&'static str],
    upper: &'static [&'static str],
    label: &'static str,
) -> Vocab {
    Vocab {
        targets,
        phrases,
        upper,
        label,
        soft: false,
    }
}

const fn soft(
    targets: &'static [(&'static str, &'static str)],
    phrases: &'static [&'static str],
    label: &'static str,
) -> Vocab {
    Vocab {
        targets,
        phrases,
        upper: &[],
        label,
        soft: true,
    }
}

const VIEC: &str = "viec_thi_hanh";
const DUONG_SU: &str = "duong_su";
const QD: &str = "quyet_dinh";
const BP: &str = "bien_phap_cuong_che";
const BL: &str = "bien_lai";
const DON: &str = "don_thu";
const NV: &str = "nhiem_vu";

/// Every named value. Phrases are matched longest first over the whole catalog, each word used
/// once, so "quyết định cưỡng chế" is a decision type and not the measure group "cưỡng chế".
pub const VOCAB: &[Vocab] = &[
    // viec_thi_hanh.loai_an
    v(
        &[(VIEC, "{a}.loai_an = 'hngd'")],
        &["hon nhan gia dinh", "hon nhan va gia dinh", "hngd"],
        &["HNGD"],
        "án hôn nhân gia đình",
    ),
    v(
        &[(VIEC, "{a}.loai_an = 'kdtm'")],
        &["kinh doanh thuong mai", "kinh doanh", "kdtm"],
        &["KDTM"],
        "án kinh doanh thương mại",
    ),
    v(
        &[(VIEC, "{a}.loai_an = 'hs'")],
        &["hinh su"],
        &["HS"],
        "án hình sự",
    ),
    v(
        &[(VIEC, "{a}.loai_an = 'ds'")],
        &["dan su"],
        &["DS"],
        "án dân sự",
    ),
    v(
        &[(VIEC, "{a}.loai_an = 'ld'")],
        &["lao dong"],
        &["LD"],
        "án lao động",
    ),
    v(
        &[(VIEC, "{a}.loai_an = 'hc'")],
        &["hanh chinh"],
        &["HC"],
        "án hành chính",
    ),
    v(
        &[(VIEC, "{a}.loai_an = 'ps'")],
        &["pha san"],
        &["PS"],
        "án phá sản",
    ),
    // viec_thi_hanh.hinh_thuc
    v(
        &[(VIEC, "{a}.hinh_thuc = 'chu_dong'")],
        &["chu dong"],
        &[],
        "thi hành án chủ động",
    ),
    v(
        &[(VIEC, "{a}.hinh_thuc = 'theo_yeu_cau'")],
        &["theo yeu cau", "theo don yeu cau"],
        &[],
        "thi hành án theo yêu cầu",
    ),
    // viec_thi_hanh: null checks
    v(
        &[(VIEC, "{a}.chap_hanh_vien_id IS NULL")],
        &[
            "chua phan cong chap hanh vien",
            "chua duoc phan cong chap hanh vien",
            "chua phan cong",
            "chua duoc phan cong",
            "chua co chap hanh vien",
            "chua giao chap hanh vien",
        ],
        &[],
        "chưa phân công chấp hành viên",
    ),
    v(
        &[(VIEC, "{a}.ngay_xac_minh IS NULL")],
        &[
            "chua xac minh dieu kien",
            "chua duoc xac minh",
            "chua xac minh",
        ],
        &[],
        "chưa xác minh điều kiện thi hành",
    ),
    v(
        &[(VIEC, "{a}.ngay_xac_minh IS NOT NULL")],
        &["da xac minh", "da duoc xac minh"],
        &[],
        "đã xác minh điều kiện",
    ),
    // viec_thi_hanh.trang_thai: a status said beside a set that includes it ("thi hành xong,
    // không tính các việc đình chỉ")
    soft(
        &[(VIEC, "{a}.trang_thai = 'dinh_chi'")],
        &["viec dinh chi", "bi dinh chi", "da dinh chi", "ket thuc bang dinh chi"],
        "việc đình chỉ",
    ),
    // can_bo.dang_cong_tac (staff are counted while in service unless the question names this)
    v(
        &[("can_bo", "{a}.dang_cong_tac = 0")],
        &["khong con cong tac", "da nghi huu", "nghi huu", "chuyen cong tac", "da nghi viec", "nghi viec", "thoi cong tac", "da nghi"],
        &[],
        "không còn công tác (nghỉ hưu, chuyển công tác)",
    ),
    // can_bo.chuc_vu
    v(
        &[("can_bo", "{a}.chuc_vu IN ('lanh_dao_bo','cuc_truong','pho_cuc_truong','truong_tha_tinh','pho_truong_tha_tinh','truong_phong','pho_truong_phong')")],
        &["chuc vu lanh dao", "giu chuc vu lanh dao", "lanh dao quan ly", "can bo lanh dao", "la lanh dao"],
        &[],
        "giữ chức vụ lãnh đạo",
    ),
    v(&[("can_bo", "{a}.chuc_vu = 'tham_tra_vien'")], &["tham tra vien"], &[], "thẩm tra viên"),
    v(&[("can_bo", "{a}.chuc_vu IN ('thu_ky','ke_toan','thu_quy','van_thu')")], &["thu ky", "ke toan", "thu quy", "van thu"], &[], "thư ký, kế toán, thủ quỹ, văn thư"),
    // duong_su.vai_tro: a case with a party of this role, whatever its kind
    v(
        &[(DUONG_SU, "{a}.vai_tro = 'lien_quan'")],
        &["nguoi co quyen loi nghia vu lien quan", "quyen loi nghia vu lien quan", "nguoi lien quan"],
        &[],
        "có người có quyền lợi, nghĩa vụ liên quan",
    ),
    // duong_su.loai (the party's role is read from the words before it: see `party_role`)
    v(
        &[(DUONG_SU, "{a}.loai = 'to_chuc_tin_dung'")],
        &[
            "to chuc tin dung",
            "tin dung ngan hang",
            "tin dung",
            "ngan hang",
        ],
        &["TCTD"],
        "là tổ chức tín dụng",
    ),
    v(
        &[(DUONG_SU, "{a}.loai = 'doanh_nghiep'")],
        &["doanh nghiep", "cong ty"],
        &[],
        "là doanh nghiệp",
    ),
    v(
        &[(DUONG_SU, "{a}.loai = 'ca_nhan'")],
        &["ca nhan"],
        &[],
        "là cá nhân",
    ),
    v(
        &[(DUONG_SU, "{a}.loai = 'nha_nuoc'")],
        &["ngan sach nha nuoc", "nha nuoc", "ngan sach"],
        &[],
        "là Nhà nước (ngân sách)",
    ),
    v(
        &[(DUONG_SU, "{a}.loai = 'to_chuc_khac'")],
        &["to chuc khac"],
        &[],
        "là tổ chức khác",
    ),
    // quyet_dinh.loai (longest first: "quyết định tạm đình chỉ" is not "quyết định đình chỉ")
    v(
        &[(QD, "{a}.loai = 'chua_co_dieu_kien'")],
        &["quyet dinh chua co dieu kien", "qd chua co dieu kien"],
        &[],
        "quyết định về việc chưa có điều kiện",
    ),
    v(
        &[(QD, "{a}.loai = 'thi_hanh_an'")],
        &["quyet dinh thi hanh an", "qd thi hanh an", "qd tha"],
        &[],
        "quyết định thi hành án",
    ),
    v(
        &[(QD, "{a}.loai = 'tam_dinh_chi'")],
        &["quyet dinh tam dinh chi", "qd tam dinh chi"],
        &[],
        "quyết định tạm đình chỉ",
    ),
    v(
        &[(QD, "{a}.loai = 'dinh_chi'")],
        &["quyet dinh dinh chi", "qd dinh chi"],
        &[],
        "quyết định đình chỉ",
    ),
    v(
        &[(QD, "{a}.loai = 'tiep_tuc'")],
        &["quyet dinh tiep tuc", "qd tiep tuc"],
        &[],
        "quyết định tiếp tục thi hành",
    ),
    v(
        &[(QD, "{a}.loai = 'cuong_che'")],
        &["quyet dinh cuong che", "qd cuong che"],
        &[],
        "quyết định cưỡng chế",
    ),
    v(
        &[(QD, "{a}.loai = 'uy_thac'")],
        &["quyet dinh uy thac", "qd uy thac"],
        &[],
        "quyết định ủy thác",
    ),
    v(
        &[(QD, "{a}.loai = 'hoan'")],
        &["quyet dinh hoan", "qd hoan"],
        &[],
        "quyết định hoãn",
    ),
    // signed digitally: receipts or decisions
    v(
        &[(BL, "{a}.ky_so = 0"), (QD, "{a}.ky_so = 0")],
        &[
            "chua duoc ky so",
            "chua ky so",
            "khong duoc ky so",
            "khong ky so",
            "khong co chu ky so",
        ],
        &[],
        "chưa ký số",
    ),
    v(
        &[(BL, "{a}.ky_so = 1"), (QD, "{a}.ky_so = 1")],
        &[
            "duoc ky so",
            "da ky so",
            "co chu ky so",
            "chu ky so",
            "ky so",
        ],
        &[],
        "đã ký số",
    ),
    // bien_lai
    v(
        &[(BL, "{a}.dien_tu = 0")],
        &["bien lai giay", "khong phai dien tu", "giay so hoa"],
        &[],
        "biên lai giấy (số hóa)",
    ),
    v(
        &[(BL, "{a}.dien_tu = 1")],
        &["dien tu"],
        &[],
        "biên lai điện tử",
    ),
    v(
        &[(BL, "{a}.kenh_gui = 'email'")],
        &["thu dien tu", "email", "e mail"],
        &[],
        "gửi qua email",
    ),
    v(
        &[(BL, "{a}.kenh_gui = 'sms'")],
        &["tin nhan", "sms"],
        &[],
        "gửi qua SMS",
    ),
    v(
        &[(BL, "{a}.kenh_gui = 'giay'")],
        &["ban giay", "ban in", "giay"],
        &[],
        "gửi bản giấy",
    ),
    v(
        &[
            (BL, "{a}.trang_thai = 'da_huy'"),
            (NV, "{a}.trang_thai = 'huy'"),
        ],
        &["da bi huy", "bi huy", "da huy", "huy bo"],
        &[],
        "đã hủy",
    ),
    // bien_phap_cuong_che.loai and .nhom
    v(
        &[(BP, "{a}.loai = 'ke_bien_tai_san'")],
        &["ke bien tai san", "ke bien"],
        &[],
        "kê biên tài sản",
    ),
    v(
        &[(BP, "{a}.loai = 'tham_dinh_gia'")],
        &["tham dinh gia"],
        &[],
        "thẩm định giá",
    ),
    v(
        &[(BP, "{a}.loai = 'ban_dau_gia'")],
        &["ban dau gia", "dau gia"],
        &[],
        "bán đấu giá",
    ),
    v(
        &[(BP, "{a}.loai = 'phong_toa_tai_khoan'")],
        &["phong toa tai khoan", "phong toa"],
        &[],
        "phong tỏa tài khoản",
    ),
    v(
        &[(BP, "{a}.loai = 'khau_tru_tai_khoan'")],
        &[
            "khau tru tien trong tai khoan",
            "khau tru tai khoan",
            "khau tru",
        ],
        &[],
        "khấu trừ tài khoản",
    ),
    v(
        &[(BP, "{a}.loai = 'tru_thu_nhap'")],
        &["tru vao thu nhap", "tru thu nhap"],
        &[],
        "trừ vào thu nhập",
    ),
    v(
        &[(BP, "{a}.loai = 'tam_giu_tai_san'")],
        &["tam giu tai san", "tam giu"],
        &[],
        "tạm giữ tài sản",
    ),
    v(
        &[(BP, "{a}.loai = 'tam_dung_dang_ky'")],
        &["tam dung dang ky"],
        &[],
        "tạm dừng đăng ký, chuyển dịch tài sản",
    ),
    v(
        &[(BP, "{a}.loai = 'khai_thac_tai_san'")],
        &["khai thac tai san"],
        &[],
        "khai thác tài sản",
    ),
    v(
        &[(BP, "{a}.loai = 'buoc_chuyen_giao'")],
        &["buoc chuyen giao"],
        &[],
        "buộc chuyển giao",
    ),
    v(
        &[(BP, "{a}.loai = 'buoc_thuc_hien_cong_viec'")],
        &["buoc thuc hien cong viec"],
        &[],
        "buộc thực hiện công việc",
    ),
    v(
        &[(BP, "{a}.nhom = 'bao_dam'")],
        &["bien phap bao dam"],
        &[],
        "biện pháp bảo đảm",
    ),
    v(
        &[(BP, "{a}.nhom = 'xu_ly_tai_san'")],
        &["xu ly tai san"],
        &[],
        "xử lý tài sản",
    ),
    // don_thu
    v(
        &[(DON, "{a}.loai = 'khieu_nai'")],
        &["khieu nai"],
        &["KN"],
        "đơn khiếu nại",
    ),
    v(
        &[(DON, "{a}.loai = 'to_cao'")],
        &["to cao"],
        &["TC"],
        "đơn tố cáo",
    ),
    v(
        &[(DON, "{a}.loai = 'kien_nghi'")],
        &["kien nghi", "phan anh"],
        &[],
        "đơn kiến nghị, phản ánh",
    ),
    v(
        &[(DON, "{a}.kenh = 'vneid'")],
        &["vneid", "vne id", "vn eid"],
        &[],
        "nhận qua VNeID",
    ),
    v(
        &[(DON, "{a}.kenh = 'qr'")],
        &["ma qr", "qr code", "qr"],
        &[],
        "nhận qua mã QR",
    ),
    v(
        &[(DON, "{a}.kenh = 'truc_tiep'")],
        &["truc tiep"],
        &[],
        "nộp trực tiếp",
    ),
    v(
        &[(DON, "{a}.kenh = 'buu_dien'")],
        &["qua duong buu dien", "buu dien", "buu chinh"],
        &[],
        "gửi qua bưu điện",
    ),
    v(
        &[(DON, "{a}.trang_thai = 'chuyen_don'")],
        &["chuyen don", "da chuyen", "duoc chuyen"],
        &[],
        "đã chuyển đơn",
    ),
    v(
        &[(DON, "{a}.ket_qua = 'dung_mot_phan'")],
        &["dung mot phan"],
        &[],
        "kết luận đúng một phần",
    ),
    v(
        &[(DON, "{a}.ket_qua = 'dung'")],
        &[
            "ket luan dung",
            "ket luan la dung",
            "khieu nai dung",
            "to cao dung",
            "dung hoan toan",
        ],
        &[],
        "kết luận đúng",
    ),
    v(
        &[(DON, "{a}.ket_qua = 'sai'")],
        &[
            "ket luan sai",
            "ket luan la sai",
            "khieu nai sai",
            "to cao sai",
            "sai hoan toan",
        ],
        &[],
        "kết luận sai",
    ),
    soft(
        &[(DON, "{a}.trang_thai = 'dang_giai_quyet'")],
        &["dang giai quyet", "dang xu ly"],
        "đang giải quyết",
    ),
    // nhiem_vu
    soft(
        &[(NV, "{a}.loai_hanh_dong = 'ra_soat'")],
        &["ra soat"],
        "loại rà soát",
    ),
    soft(
        &[(NV, "{a}.loai_hanh_dong = 'bao_cao'")],
        &["bao cao"],
        "loại báo cáo",
    ),
    soft(
        &[(NV, "{a}.loai_hanh_dong = 'doi_chieu'")],
        &["doi chieu"],
        "loại đối chiếu",
    ),
    soft(
        &[(NV, "{a}.loai_hanh_dong = 'kiem_tra'")],
        &["kiem tra"],
        "loại kiểm tra",
    ),
];

/// Words that name a party's role just before its kind ("người phải thi hành án là doanh
/// nghiệp", "bên được thi hành là ngân hàng"): `(folded phrase, duong_su.vai_tro)`.
pub const PARTY_ROLES: &[(&str, &str)] = &[
    ("phai thi hanh", "phai_thi_hanh"),
    ("phai tha", "phai_thi_hanh"),
    ("nguoi phai", "phai_thi_hanh"),
    ("ben phai", "phai_thi_hanh"),
    ("con no", "phai_thi_hanh"),
    ("duoc thi hanh", "duoc_thi_hanh"),
    ("duoc tha", "duoc_thi_hanh"),
    ("nguoi duoc", "duoc_thi_hanh"),
    ("ben duoc", "duoc_thi_hanh"),
    ("chu no", "duoc_thi_hanh"),
    ("lien quan", "lien_quan"),
];

/// The role a party kind has when no role is named: a bank or the State is the creditor ("án
/// tín dụng"), a company or a person the debtor.
pub fn default_role(predicate: &str) -> &'static str {
    if predicate.contains("to_chuc_tin_dung") || predicate.contains("nha_nuoc") {
        "duoc_thi_hanh"
    } else {
        "phai_thi_hanh"
    }
}

/// Numeric attributes: the words naming the quantity, the canonical expression (alias `{a}`),
/// its kind, and the Vietnamese name.
pub struct Measure {
    pub table: &'static str,
    pub expr: &'static str,
    pub cues: &'static [&'static str],
    pub kind: Quantity,
    pub label: &'static str,
}

/// What a threshold's number measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    Money,
    Percent,
    Count,
}

/// Numeric attributes a threshold can bind to. The first whose cue is nearest before the
/// threshold wins; without a cue, money binds to the base's own amount (the first `Money`
/// entry of the base's table).
pub const MEASURES: &[Measure] = &[
    Measure {
        table: VIEC,
        expr: "({a}.so_tien_phai_thi_hanh - {a}.so_tien_da_thi_hanh)",
        cues: &["con phai thu", "con phai thi hanh", "con lai", "chua thu"],
        kind: Quantity::Money,
        label: "số tiền còn phải thi hành",
    },
    Measure {
        table: VIEC,
        expr: "{a}.so_tien_da_thi_hanh",
        cues: &["da thi hanh duoc", "da thu duoc", "da thu", "da thi hanh"],
        kind: Quantity::Money,
        label: "số tiền đã thi hành",
    },
    Measure {
        table: VIEC,
        expr: "{a}.so_tien_phai_thi_hanh",
        cues: &["phai thi hanh", "gia tri", "so tien", "tri gia"],
        kind: Quantity::Money,
        label: "số tiền phải thi hành",
    },
    Measure {
        table: BL,
        expr: "{a}.so_tien",
        cues: &["so tien", "gia tri", "menh gia"],
        kind: Quantity::Money,
        label: "số tiền của biên lai",
    },
    Measure {
        table: NV,
        expr: "{a}.tien_do",
        cues: &["tien do", "hoan thanh"],
        kind: Quantity::Percent,
        label: "tiến độ",
    },
    Measure {
        table: "tinh",
        expr: "{a}.dan_so",
        cues: &["dan so"],
        kind: Quantity::Count,
        label: "dân số",
    },
];

/// A linked condition: where it can be tested and how to say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// `(table, predicate over {a})`, best first; several predicates of one column are joined
    /// with OR inside one target.
    pub targets: Vec<(&'static str, String)>,
    pub label: String,
    pub soft: bool,
    /// Said negated ("chưa bán đấu giá", "không ký số" where no phrase of its own says it).
    pub negated: bool,
    /// Word position of the mention, to pair it with a time threshold right after it.
    pub at: usize,
}

/// The table a base counts, and its alias in compiled SQL.
pub fn base_table(base: Base) -> (&'static str, &'static str) {
    match base {
        Base::Viec => (VIEC, "v"),
        Base::BienLai => (BL, "b"),
        Base::DonThu => (DON, "d"),
        Base::QuyetDinh => (QD, "q"),
        Base::BienPhap => (BP, "k"),
        Base::CanBo => ("can_bo", "c"),
        Base::DonVi => ("don_vi", "u"),
        Base::Tinh => ("tinh", "t"),
        Base::ChiTieu => ("chi_tieu", "ct"),
        Base::NhiemVu => (NV, "n"),
    }
}

/// Tables that belong to a case through `viec_id`.
const CASE_CHILDREN: &[&str] = &[DUONG_SU, QD, BP, BL, DON];

impl Condition {
    /// The condition as a predicate on `base`'s rows, through the first join path that
    /// reaches one of its tables; `None` when none does.
    ///
    /// Paths: the base's own table; the case of a decision or measure (`v` is joined); the case
    /// of a receipt or petition (`viec_id IN (…)`); the records of a case (`v.id IN (SELECT
    /// viec_id …)`, so a case with two such records counts once).
    pub fn render(&self, base: Base) -> Option<String> {
        let (table, alias) = base_table(base);
        let case_joined = matches!(base, Base::Viec | Base::QuyetDinh | Base::BienPhap);
        // The base's own table first, whatever the order of preference.
        if let Some((_, p)) = self.targets.iter().find(|(t, _)| *t == table) {
            return Some(p.replace("{a}", alias));
        }
        // Words that also name a set or a metric elsewhere hold only on their own table.
        if self.soft {
            return None;
        }
        for (t, p) in &self.targets {
            if *t == VIEC && case_joined {
                return Some(p.replace("{a}", "v"));
            }
            // Subqueries name their own alias `x`: an unqualified `id` would be ambiguous
            // next to the outer query's joins.
            if *t == VIEC && matches!(base, Base::BienLai | Base::DonThu) {
                return Some(format!(
                    "{alias}.viec_id IN (SELECT x.id FROM viec_thi_hanh x WHERE {})",
                    p.replace("{a}", "x")
                ));
            }
            if CASE_CHILDREN.contains(t) && case_joined {
                return Some(format!(
                    "v.id IN (SELECT x.viec_id FROM {t} x WHERE {})",
                    p.replace("{a}", "x")
                ));
            }
        }
        None
    }

    /// Whether the condition constrains `column` of `table` (a case set or a metric that
    /// already fixes the column makes the condition redundant: "đơn chưa giải quyết" is the
    /// set, not also a status condition).
    pub fn constrains(&self, table: &str, column: &str) -> bool {
        let needle = format!("{{a}}.{column} ");
        self.targets
            .iter()
            .any(|(t, p)| *t == table && p.contains(&needle))
    }
}

/// A money, percent or count threshold as a condition on `measure`.
pub fn threshold(measure: &Measure, op: &str, value: i64, label: String, at: usize) -> Condition {
    Condition {
        targets: vec![(measure.table, format!("{} {op} {value}", measure.expr))],
        label,
        soft: false,
        negated: false,
        at,
    }
}

/// Party condition: `kind` (a duong_su predicate) for the parties of `role`.
pub fn party(kind: &str, role: &str, label: &str, at: usize) -> Condition {
    let role_label = match role {
        "phai_thi_hanh" => "người phải thi hành án",
        "duoc_thi_hanh" => "người được thi hành án",
        _ => "người có quyền lợi, nghĩa vụ liên quan",
    };
    Condition {
        targets: vec![(
            DUONG_SU,
            format!("{{a}}.vai_tro = {} AND {kind}", lit(role)),
        )],
        label: format!("{role_label} {label}"),
        soft: false,
        negated: false,
        at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(t: &'static str, p: &str) -> Condition {
        Condition {
            targets: vec![(t, p.into())],
            label: String::new(),
            soft: false,
            negated: false,
            at: 0,
        }
    }

    #[test]
    fn a_condition_reaches_each_base_by_its_join_path() {
        let kdtm = cond(VIEC, "{a}.loai_an = 'kdtm'");
        assert_eq!(kdtm.render(Base::Viec).unwrap(), "v.loai_an = 'kdtm'");
        assert_eq!(kdtm.render(Base::QuyetDinh).unwrap(), "v.loai_an = 'kdtm'");
        assert_eq!(
            kdtm.render(Base::BienLai).unwrap(),
            "b.viec_id IN (SELECT x.id FROM viec_thi_hanh x WHERE x.loai_an = 'kdtm')"
        );
        assert_eq!(kdtm.render(Base::CanBo), None);
        let bank = party("{a}.loai = 'to_chuc_tin_dung'", "duoc_thi_hanh", "x", 0);
        assert_eq!(
            bank.render(Base::Viec).unwrap(),
            "v.id IN (SELECT x.viec_id FROM duong_su x WHERE x.vai_tro = 'duoc_thi_hanh' AND x.loai = 'to_chuc_tin_dung')"
        );
        assert_eq!(bank.render(Base::DonThu), None);
    }

    #[test]
    fn a_word_of_two_tables_takes_the_base_s_own() {
        let signed = cond(BL, "{a}.ky_so = 1");
        let both = Condition {
            targets: vec![(BL, "{a}.ky_so = 1".into()), (QD, "{a}.ky_so = 1".into())],
            ..signed
        };
        assert_eq!(both.render(Base::QuyetDinh).unwrap(), "q.ky_so = 1");
        assert_eq!(both.render(Base::BienLai).unwrap(), "b.ky_so = 1");
        // A case reaches its decisions.
        assert_eq!(
            both.render(Base::Viec).unwrap(),
            "v.id IN (SELECT x.viec_id FROM bien_lai x WHERE x.ky_so = 1)"
        );
        assert!(both.constrains(QD, "ky_so"));
        assert!(!both.constrains(QD, "loai"));
    }

    #[test]
    fn every_vocabulary_entry_is_well_formed() {
        for e in VOCAB {
            assert!(
                !e.targets.is_empty() && !e.phrases.is_empty(),
                "{}",
                e.label
            );
            for p in e.phrases {
                assert_eq!(
                    *p,
                    super::super::normalize::fold(p),
                    "phrase not folded: {p}"
                );
            }
            for (_, pred) in e.targets {
                assert!(pred.starts_with("{a}."), "{pred}");
            }
        }
    }
}
