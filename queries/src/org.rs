//! Organisation reference data (DOMAIN.md §2): the 34 provinces after the 2025 merger, their
//! regions, population and number of regional offices, and the unit code conventions.
//!
//! The table below is copied from DOMAIN.md (between its `provinces` markers); a test checks
//! the totals the document states.

/// One of the 34 provinces (tỉnh, thành phố trực thuộc trung ương).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Province {
    /// Two-digit code, e.g. `"01"`.
    pub ma_tinh: &'static str,
    /// Short name with diacritics (NFC), e.g. `"Hà Nội"`.
    pub ten: &'static str,
    pub ten_khong_dau: &'static str,
    /// `"tp"` (centrally-run city) or `"tinh"`.
    pub loai: &'static str,
    /// `"bac"`, `"trung"` or `"nam"`.
    pub mien: &'static str,
    /// One of the six socio-economic regions (`tdmnpb`, `dbsh`, `btb_dhmt`, `tay_nguyen`, `dnb`, `dbscl`).
    pub vung: &'static str,
    /// Population, about 2024.
    pub dan_so: u64,
    /// Number of regional offices (Phòng THADS khu vực).
    pub so_phong_kv: u32,
    /// Pre-2025 provinces merged into it, `"; "`-separated.
    pub tinh_cu: &'static str,
    /// Other names people use (abbreviations, old spellings).
    pub aliases: &'static [&'static str],
}

impl Province {
    /// The code of the provincial THADS office, e.g. `"T01"`.
    pub fn unit_code(&self) -> String {
        format!("T{}", self.ma_tinh)
    }

    /// The code of regional office `n` (1-based), e.g. `"T01-KV03"`.
    pub fn regional_office_code(&self, n: u32) -> String {
        format!("T{}-KV{n:02}", self.ma_tinh)
    }

    /// Full name of the provincial office: "Thi hành án dân sự thành phố Hà Nội".
    pub fn unit_name(&self) -> String {
        let kind = if self.loai == "tp" {
            "thành phố"
        } else {
            "tỉnh"
        };
        format!("Thi hành án dân sự {kind} {}", self.ten)
    }

    /// Full name of regional office `n`: "Phòng Thi hành án dân sự khu vực 5 - Hồ Chí Minh".
    pub fn regional_office_name(&self, n: u32) -> String {
        format!("Phòng Thi hành án dân sự khu vực {n} - {}", self.ten)
    }
}

/// Code of the central department (Cục Quản lý thi hành án dân sự).
pub const CUC_CODE: &str = "CUC";
/// Name of the central department.
pub const CUC_NAME: &str = "Cục Quản lý thi hành án dân sự";

/// Looks a province up by its two-digit code.
pub fn province(ma_tinh: &str) -> Option<&'static Province> {
    PROVINCES.iter().find(|p| p.ma_tinh == ma_tinh)
}

/// The 34 provinces, ordered by code.
pub const PROVINCES: [Province; 34] = [
    Province {
        ma_tinh: "01",
        ten: "Hà Nội",
        ten_khong_dau: "Ha Noi",
        loai: "tp",
        mien: "bac",
        vung: "dbsh",
        dan_so: 8587100,
        so_phong_kv: 18,
        tinh_cu: "Hà Nội",
        aliases: &["HN", "TP Hà Nội", "Thủ đô", "Hanoi"],
    },
    Province {
        ma_tinh: "04",
        ten: "Cao Bằng",
        ten_khong_dau: "Cao Bang",
        loai: "tinh",
        mien: "bac",
        vung: "tdmnpb",
        dan_so: 547900,
        so_phong_kv: 5,
        tinh_cu: "Cao Bằng",
        aliases: &["CB"],
    },
    Province {
        ma_tinh: "08",
        ten: "Tuyên Quang",
        ten_khong_dau: "Tuyen Quang",
        loai: "tinh",
        mien: "bac",
        vung: "tdmnpb",
        dan_so: 1865270,
        so_phong_kv: 9,
        tinh_cu: "Tuyên Quang; Hà Giang",
        aliases: &["TQ"],
    },
    Province {
        ma_tinh: "11",
        ten: "Điện Biên",
        ten_khong_dau: "Dien Bien",
        loai: "tinh",
        mien: "bac",
        vung: "tdmnpb",
        dan_so: 646200,
        so_phong_kv: 5,
        tinh_cu: "Điện Biên",
        aliases: &["ĐB"],
    },
    Province {
        ma_tinh: "12",
        ten: "Lai Châu",
        ten_khong_dau: "Lai Chau",
        loai: "tinh",
        mien: "bac",
        vung: "tdmnpb",
        dan_so: 489300,
        so_phong_kv: 4,
        tinh_cu: "Lai Châu",
        aliases: &[],
    },
    Province {
        ma_tinh: "14",
        ten: "Sơn La",
        ten_khong_dau: "Son La",
        loai: "tinh",
        mien: "bac",
        vung: "tdmnpb",
        dan_so: 1313300,
        so_phong_kv: 6,
        tinh_cu: "Sơn La",
        aliases: &[],
    },
    Province {
        ma_tinh: "15",
        ten: "Lào Cai",
        ten_khong_dau: "Lao Cai",
        loai: "tinh",
        mien: "bac",
        vung: "tdmnpb",
        dan_so: 1778785,
        so_phong_kv: 9,
        tinh_cu: "Lào Cai; Yên Bái",
        aliases: &[],
    },
    Province {
        ma_tinh: "19",
        ten: "Thái Nguyên",
        ten_khong_dau: "Thai Nguyen",
        loai: "tinh",
        mien: "bac",
        vung: "tdmnpb",
        dan_so: 1799489,
        so_phong_kv: 8,
        tinh_cu: "Thái Nguyên; Bắc Kạn",
        aliases: &[],
    },
    Province {
        ma_tinh: "20",
        ten: "Lạng Sơn",
        ten_khong_dau: "Lang Son",
        loai: "tinh",
        mien: "bac",
        vung: "tdmnpb",
        dan_so: 807300,
        so_phong_kv: 5,
        tinh_cu: "Lạng Sơn",
        aliases: &["LS"],
    },
    Province {
        ma_tinh: "22",
        ten: "Quảng Ninh",
        ten_khong_dau: "Quang Ninh",
        loai: "tinh",
        mien: "bac",
        vung: "dbsh",
        dan_so: 1381200,
        so_phong_kv: 6,
        tinh_cu: "Quảng Ninh",
        aliases: &["QN"],
    },
    Province {
        ma_tinh: "24",
        ten: "Bắc Ninh",
        ten_khong_dau: "Bac Ninh",
        loai: "tinh",
        mien: "bac",
        vung: "dbsh",
        dan_so: 3619433,
        so_phong_kv: 9,
        tinh_cu: "Bắc Ninh; Bắc Giang",
        aliases: &["BN"],
    },
    Province {
        ma_tinh: "25",
        ten: "Phú Thọ",
        ten_khong_dau: "Phu Tho",
        loai: "tinh",
        mien: "bac",
        vung: "tdmnpb",
        dan_so: 4022638,
        so_phong_kv: 15,
        tinh_cu: "Phú Thọ; Vĩnh Phúc; Hòa Bình",
        aliases: &["PT"],
    },
    Province {
        ma_tinh: "31",
        ten: "Hải Phòng",
        ten_khong_dau: "Hai Phong",
        loai: "tp",
        mien: "bac",
        vung: "dbsh",
        dan_so: 4664124,
        so_phong_kv: 13,
        tinh_cu: "Hải Phòng; Hải Dương",
        aliases: &["HP"],
    },
    Province {
        ma_tinh: "33",
        ten: "Hưng Yên",
        ten_khong_dau: "Hung Yen",
        loai: "tinh",
        mien: "bac",
        vung: "dbsh",
        dan_so: 3567943,
        so_phong_kv: 9,
        tinh_cu: "Hưng Yên; Thái Bình",
        aliases: &["HY"],
    },
    Province {
        ma_tinh: "37",
        ten: "Ninh Bình",
        ten_khong_dau: "Ninh Binh",
        loai: "tinh",
        mien: "bac",
        vung: "dbsh",
        dan_so: 4412264,
        so_phong_kv: 12,
        tinh_cu: "Ninh Bình; Nam Định; Hà Nam",
        aliases: &["NB"],
    },
    Province {
        ma_tinh: "38",
        ten: "Thanh Hóa",
        ten_khong_dau: "Thanh Hoa",
        loai: "tinh",
        mien: "trung",
        vung: "btb_dhmt",
        dan_so: 3739500,
        so_phong_kv: 14,
        tinh_cu: "Thanh Hóa",
        aliases: &["TH", "Thanh Hoá"],
    },
    Province {
        ma_tinh: "40",
        ten: "Nghệ An",
        ten_khong_dau: "Nghe An",
        loai: "tinh",
        mien: "trung",
        vung: "btb_dhmt",
        dan_so: 3442000,
        so_phong_kv: 12,
        tinh_cu: "Nghệ An",
        aliases: &["NA"],
    },
    Province {
        ma_tinh: "42",
        ten: "Hà Tĩnh",
        ten_khong_dau: "Ha Tinh",
        loai: "tinh",
        mien: "trung",
        vung: "btb_dhmt",
        dan_so: 1323700,
        so_phong_kv: 6,
        tinh_cu: "Hà Tĩnh",
        aliases: &["HT"],
    },
    Province {
        ma_tinh: "44",
        ten: "Quảng Trị",
        ten_khong_dau: "Quang Tri",
        loai: "tinh",
        mien: "trung",
        vung: "btb_dhmt",
        dan_so: 1870845,
        so_phong_kv: 9,
        tinh_cu: "Quảng Trị; Quảng Bình",
        aliases: &["QT"],
    },
    Province {
        ma_tinh: "46",
        ten: "Huế",
        ten_khong_dau: "Hue",
        loai: "tp",
        mien: "trung",
        vung: "btb_dhmt",
        dan_so: 1166500,
        so_phong_kv: 5,
        tinh_cu: "Thừa Thiên Huế",
        aliases: &["TT Huế", "Thừa Thiên - Huế"],
    },
    Province {
        ma_tinh: "48",
        ten: "Đà Nẵng",
        ten_khong_dau: "Da Nang",
        loai: "tp",
        mien: "trung",
        vung: "btb_dhmt",
        dan_so: 3065628,
        so_phong_kv: 13,
        tinh_cu: "Đà Nẵng; Quảng Nam",
        aliases: &["ĐN", "DN", "Danang"],
    },
    Province {
        ma_tinh: "51",
        ten: "Quảng Ngãi",
        ten_khong_dau: "Quang Ngai",
        loai: "tinh",
        mien: "trung",
        vung: "btb_dhmt",
        dan_so: 2161755,
        so_phong_kv: 11,
        tinh_cu: "Quảng Ngãi; Kon Tum",
        aliases: &["QNg"],
    },
    Province {
        ma_tinh: "52",
        ten: "Gia Lai",
        ten_khong_dau: "Gia Lai",
        loai: "tinh",
        mien: "trung",
        vung: "tay_nguyen",
        dan_so: 3583693,
        so_phong_kv: 14,
        tinh_cu: "Gia Lai; Bình Định",
        aliases: &["GL"],
    },
    Province {
        ma_tinh: "56",
        ten: "Khánh Hòa",
        ten_khong_dau: "Khanh Hoa",
        loai: "tinh",
        mien: "trung",
        vung: "btb_dhmt",
        dan_so: 2243554,
        so_phong_kv: 8,
        tinh_cu: "Khánh Hòa; Ninh Thuận",
        aliases: &["KH", "Khánh Hoà"],
    },
    Province {
        ma_tinh: "66",
        ten: "Đắk Lắk",
        ten_khong_dau: "Dak Lak",
        loai: "tinh",
        mien: "trung",
        vung: "tay_nguyen",
        dan_so: 3346853,
        so_phong_kv: 12,
        tinh_cu: "Đắk Lắk; Phú Yên",
        aliases: &["Đắc Lắc", "Daklak"],
    },
    Province {
        ma_tinh: "68",
        ten: "Lâm Đồng",
        ten_khong_dau: "Lam Dong",
        loai: "tinh",
        mien: "trung",
        vung: "tay_nguyen",
        dan_so: 3872999,
        so_phong_kv: 15,
        tinh_cu: "Lâm Đồng; Đắk Nông; Bình Thuận",
        aliases: &[],
    },
    Province {
        ma_tinh: "75",
        ten: "Đồng Nai",
        ten_khong_dau: "Dong Nai",
        loai: "tinh",
        mien: "nam",
        vung: "dnb",
        dan_so: 4491408,
        so_phong_kv: 12,
        tinh_cu: "Đồng Nai; Bình Phước",
        aliases: &["ĐNai"],
    },
    Province {
        ma_tinh: "79",
        ten: "Hồ Chí Minh",
        ten_khong_dau: "Ho Chi Minh",
        loai: "tp",
        mien: "nam",
        vung: "dnb",
        dan_so: 14002598,
        so_phong_kv: 19,
        tinh_cu: "TP. Hồ Chí Minh; Bình Dương; Bà Rịa - Vũng Tàu",
        aliases: &["HCM", "TP.HCM", "TPHCM", "Sài Gòn", "SG"],
    },
    Province {
        ma_tinh: "80",
        ten: "Tây Ninh",
        ten_khong_dau: "Tay Ninh",
        loai: "tinh",
        mien: "nam",
        vung: "dnb",
        dan_so: 3254170,
        so_phong_kv: 12,
        tinh_cu: "Tây Ninh; Long An",
        aliases: &[],
    },
    Province {
        ma_tinh: "82",
        ten: "Đồng Tháp",
        ten_khong_dau: "Dong Thap",
        loai: "tinh",
        mien: "nam",
        vung: "dbscl",
        dan_so: 4370046,
        so_phong_kv: 11,
        tinh_cu: "Đồng Tháp; Tiền Giang",
        aliases: &["ĐT"],
    },
    Province {
        ma_tinh: "86",
        ten: "Vĩnh Long",
        ten_khong_dau: "Vinh Long",
        loai: "tinh",
        mien: "nam",
        vung: "dbscl",
        dan_so: 4257581,
        so_phong_kv: 13,
        tinh_cu: "Vĩnh Long; Bến Tre; Trà Vinh",
        aliases: &["VL"],
    },
    Province {
        ma_tinh: "91",
        ten: "An Giang",
        ten_khong_dau: "An Giang",
        loai: "tinh",
        mien: "nam",
        vung: "dbscl",
        dan_so: 4952238,
        so_phong_kv: 14,
        tinh_cu: "An Giang; Kiên Giang",
        aliases: &["AG"],
    },
    Province {
        ma_tinh: "92",
        ten: "Cần Thơ",
        ten_khong_dau: "Can Tho",
        loai: "tp",
        mien: "nam",
        vung: "dbscl",
        dan_so: 4199824,
        so_phong_kv: 14,
        tinh_cu: "Cần Thơ; Sóc Trăng; Hậu Giang",
        aliases: &["CT"],
    },
    Province {
        ma_tinh: "96",
        ten: "Cà Mau",
        ten_khong_dau: "Ca Mau",
        loai: "tinh",
        mien: "nam",
        vung: "dbscl",
        dan_so: 2606672,
        so_phong_kv: 8,
        tinh_cu: "Cà Mau; Bạc Liêu",
        aliases: &["CM"],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_match_domain_document() {
        assert_eq!(PROVINCES.len(), 34);
        assert_eq!(PROVINCES.iter().map(|p| p.so_phong_kv).sum::<u32>(), 355);
        assert_eq!(PROVINCES.iter().filter(|p| p.loai == "tp").count(), 6);
        let count = |m: &str| PROVINCES.iter().filter(|p| p.mien == m).count();
        assert_eq!((count("bac"), count("trung"), count("nam")), (15, 11, 8));
        // DOMAIN.md says "≈ 101 M" but its rows add up to ≈ 111 M; the rows are the data.
        assert!(PROVINCES
            .iter()
            .all(|p| p.dan_so > 400_000 && p.so_phong_kv >= 4));
        assert!(PROVINCES.windows(2).all(|w| w[0].ma_tinh < w[1].ma_tinh));
    }

    #[test]
    fn unit_codes_and_names() {
        let hcm = province("79").expect("79");
        assert_eq!(hcm.unit_code(), "T79");
        assert_eq!(hcm.regional_office_code(5), "T79-KV05");
        assert_eq!(
            hcm.regional_office_name(5),
            "Phòng Thi hành án dân sự khu vực 5 - Hồ Chí Minh"
        );
        assert_eq!(
            province("01").map(|p| p.unit_name()).as_deref(),
            Some("Thi hành án dân sự thành phố Hà Nội")
        );
        assert!(province("99").is_none());
    }
}
