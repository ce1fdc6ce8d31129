//! Deterministic national data generator (DOMAIN.md §5 "Generator parameters", §6 invariants).
//!
//! [`generate`] writes every table of the canonical schema into a [`Sink`], parents before
//! children, in [`Table::ALL`] order. One seeded `ChaCha8Rng` drives every draw through the
//! samplers of this file (no distribution crate), iteration orders are fixed and no clock is
//! read, so the same [`Params`] always give the same rows in the same order.
//!
//! The model: an opening backlog on 2024-10-01 plus monthly intake from that date to `as_of`.
//! Each case gets a full timeline (QĐ THA, verification, classification, hoãn / tạm đình chỉ /
//! tiếp tục, end) drawn up front; events after `as_of` are cut off and the case's stored state
//! is the state at `as_of`. Decisions, receipts and enforcement measures are derived from the
//! same timeline, so dates, states and amounts agree with each other.

use chrono::{Datelike, NaiveDate};
use queries::calendar::holiday_name;
use queries::org::{Province, CUC_CODE, CUC_NAME, PROVINCES};
use queries::schema::Table;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// What to generate: PRNG seed, the dataset's "today" and the size relative to the country.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Seed of the single PRNG.
    pub seed: u64,
    /// No date in the dataset is later than this.
    pub as_of: NaiveDate,
    /// 1.0 = national size (≈1.75 M cases at the default as-of); dev databases use e.g. 0.01.
    pub scale: f64,
}

/// One cell value, in the column's storage type.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// SQL NULL.
    Null,
    /// Integers, ids, 0/1 flags, money in đồng.
    Int(i64),
    /// Owned text (NFC).
    Text(String),
    /// Static text: codes and fixed names.
    Str(&'static str),
    /// A calendar date.
    Date(NaiveDate),
    /// A rate in percent with 2 decimals.
    Num(f64),
}

/// Receives the generated rows.
pub trait Sink {
    /// Error of the underlying writer; generation stops at the first one.
    type Error;
    /// Roughly how many rows of `table` will follow (for progress bars). Call it once per table before its rows.
    fn expect(&mut self, table: Table, rows: u64);
    /// One row; `values` in the exact column order of `table.columns()` (queries/src/schema.rs).
    fn row(&mut self, table: Table, values: Vec<Val>) -> Result<(), Self::Error>;
}

/// Generates the whole dataset, parents before children (a row is emitted only after every row
/// it references by foreign key). Deterministic: same Params => identical rows in identical order.
pub fn generate<S: Sink>(params: &Params, sink: &mut S) -> Result<(), S::Error> {
    let mut rng = Rng::new(params.seed);
    let cal = Calendar::new();
    let scale = if params.scale.is_finite() && params.scale > 0.0 {
        params.scale
    } else {
        0.0
    };
    let ctx = Ctx {
        cal,
        as_of: day_of(params.as_of),
        scale,
    };
    let mut org = build_org(&mut rng);
    emit_tinh(sink)?;
    emit_don_vi(sink, &org)?;
    let staff = build_staff(&mut rng, &mut org, scale);
    emit_can_bo(sink, &staff)?;
    let skeleton = build_skeleton(&mut rng, &ctx, &org);
    let CasePass {
        lite,
        decisions,
        receipts,
        measures,
    } = emit_cases(sink, &mut rng, &ctx, &org, &skeleton)?;
    drop(skeleton);
    emit_duong_su(sink, &mut rng, &lite)?;
    emit_quyet_dinh(sink, &mut rng, &org, &lite, decisions)?;
    emit_bien_phap(sink, &measures)?;
    drop(measures);
    emit_bien_lai(sink, &mut rng, &org, &lite, receipts)?;
    let index = CaseIndex::new(&org, &lite);
    emit_don_thu(sink, &mut rng, &ctx, &org, &lite, &index)?;
    emit_chi_tieu(sink, &mut rng, &org)?;
    emit_nhiem_vu(sink, &mut rng, &ctx, &org, &staff, &lite, &index)?;
    emit_lich(sink, &ctx.cal)
}

// ---------------------------------------------------------------------------------------------
// Tuning constants (DOMAIN.md §5; values adjusted so the calibration targets hold).

/// Opening backlog on 2024-10-01 at scale 1.
const BACKLOG_CASES: f64 = 470_000.0;
/// New cases per statistical year at scale 1.
const INTAKE_PER_YEAR: f64 = 600_000.0;
/// Monthly intake factors, October first.
const MONTH_FACTORS: [f64; 12] = [
    1.00, 1.00, 1.05, 0.95, 0.70, 1.05, 1.05, 1.05, 1.05, 1.05, 1.00, 1.00,
];
/// Case types and their national shares.
const LOAI_AN: [&str; 8] = ["hs", "ds", "hngd", "kdtm", "ld", "hc", "ps", "khac"];
const LOAI_SHARE: [f64; 8] = [40.0, 32.0, 14.0, 9.0, 1.5, 1.0, 0.3, 2.2];
/// Case-type mix at a provincial office (large commercial and bankruptcy cases).
const LOAI_SHARE_TINH: [f64; 8] = [16.0, 20.0, 2.0, 45.0, 2.0, 4.0, 6.0, 5.0];
/// Share of chủ động cases by type (same order as `LOAI_AN`).
const CHU_DONG_SHARE: [f64; 8] = [0.85, 0.35, 0.30, 0.25, 0.20, 0.50, 0.40, 0.30];
/// Lognormal median (đồng) and σ of the amount by type.
const AMOUNT_MEDIAN: [f64; 8] = [6e6, 80e6, 40e6, 1.2e9, 60e6, 50e6, 15e9, 300e6];
const AMOUNT_SIGMA: [f64; 8] = [1.9, 1.6, 1.5, 1.9, 1.2, 1.5, 1.6, 2.0];
/// Share of non-money obligations by type.
const AMOUNT_ZERO: [f64; 8] = [0.0, 0.02, 0.10, 0.0, 0.0, 0.40, 0.0, 0.05];
/// Amount multiplier at a provincial office, by type.
const AMOUNT_TINH: [f64; 8] = [6.0, 4.0, 2.0, 2.5, 2.0, 3.0, 1.5, 3.0];
/// Global factor on drawn amounts so that P money ≈ 686 nghìn tỷ.
const MONEY_FACTOR: f64 = 0.25;
/// Heavy tail: share of hs/kdtm cases with 100–2,000 tỷ.
const HEAVY_TAIL: f64 = 0.0005;
/// The national mega case at scale 1 (đồng).
const MEGA_CASE: f64 = 5.0e13;

/// Base probability that a new case is classified chưa có điều kiện (times `amount_risk`).
const NEW_CCDK: f64 = 0.20;
/// Base probability that a backlog case is chưa có điều kiện at opening (times `amount_risk`).
const BACKLOG_CCDK: f64 = 0.76;
/// Share of backlog cases in hoãn / tạm đình chỉ at opening.
const BACKLOG_SUSPENDED: f64 = 0.05;
/// Yearly rate at which chưa-có-điều-kiện cases regain conditions.
const REGAIN_PER_YEAR: f64 = 0.05;

/// Outcome shares of a case with conditions.
const P_UY_THAC: f64 = 0.015;
const P_DINH_CHI: f64 = 0.045;
const P_HOAN: f64 = 0.015;
const P_TDC: f64 = 0.005;
/// Share of ordinary cases (≤ 1 tỷ) that run long; cases above 1 tỷ use `P_SLOW_BIG`.
const P_SLOW: f64 = 0.025;
const P_SLOW_BIG: f64 = 0.55;
/// Days from thụ lý to xong: lognormal median and σ; long-running cases.
const XONG_MEDIAN: f64 = 21.0;
const XONG_SIGMA: f64 = 0.8;
const SLOW_MEDIAN: f64 = 240.0;
/// Long-running cases above 1 tỷ: days to completion (mostly beyond the window).
const SLOW_BIG_MEDIAN: f64 = 1200.0;
const SLOW_SIGMA: f64 = 0.7;
/// Share of completions falling in Oct–Nov that the year-end push pulls into Aug–Sep.
const YEAR_END_PUSH: f64 = 0.5;
/// Backlog cases with conditions: days from 2024-10-01 to completion.
const BACKLOG_XONG_MEDIAN: f64 = 75.0;

/// Petitions per statistical year at scale 1.
const PETITIONS_PER_YEAR: f64 = 18_000.0;
/// Tasks per statistical year at scale 1.
const TASKS_PER_YEAR: f64 = 200.0;

// ---------------------------------------------------------------------------------------------
// Dates: a `Day` is the number of days since 2000-01-01 (= `lich.stt_ngay`).

/// Days since 2000-01-01.
type Day = i32;

/// `num_days_from_ce` of 2000-01-01.
const EPOCH_CE: i32 = 730_120;
/// 2010-01-01, first day of `lich`.
const CAL_FIRST: Day = 3_653;
/// 2030-12-31, last day of `lich`.
const CAL_LAST: Day = 11_322;
/// 2024-10-01: opening of the window (statistical year 2025).
const OPENING: Day = 9_040;
/// 2012-01-01: the oldest backlog case.
const OLDEST: Day = 4_383;
/// 2025-07-01: e-receipts nationwide and digital-decision pilot.
const E_RECEIPTS: Day = 9_313;
/// 2025-12-12: platform launch (VNeID petitions, 97 % signed decisions).
const LAUNCH: Day = 9_477;

fn day_of(d: NaiveDate) -> Day {
    d.num_days_from_ce() - EPOCH_CE
}

fn date(d: Day) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(d + EPOCH_CE).unwrap_or_default()
}

fn ymd(y: i32, m: u32, d: u32) -> Day {
    NaiveDate::from_ymd_opt(y, m, d).map(day_of).unwrap_or(0)
}

/// Statistical year containing `d` (1 Oct – 30 Sep, named by its end year).
fn stat_year(d: Day) -> i32 {
    let dt = date(d);
    if dt.month() >= 10 {
        dt.year() + 1
    } else {
        dt.year()
    }
}

/// ISO weekday, 1 = Monday.
fn iso_weekday(d: Day) -> u32 {
    date(d).weekday().number_from_monday()
}

/// Working days and holidays of 2010–2030 (`lich`), with arithmetic in working days.
struct Calendar {
    /// Per day from `CAL_FIRST`: is it a working day.
    working: Vec<bool>,
    /// Per day from `CAL_FIRST`: cumulative count of working days up to and including it.
    cumulative: Vec<u32>,
}

impl Calendar {
    fn new() -> Self {
        let len = (CAL_LAST - CAL_FIRST + 1) as usize;
        let mut working = Vec::with_capacity(len);
        let mut cumulative = Vec::with_capacity(len);
        let mut count = 0u32;
        for d in CAL_FIRST..=CAL_LAST {
            let dt = date(d);
            let w = iso_weekday(d) <= 5 && holiday_name(dt.year(), dt.month(), dt.day()).is_none();
            count += u32::from(w);
            working.push(w);
            cumulative.push(count);
        }
        Calendar {
            working,
            cumulative,
        }
    }

    fn is_working(&self, d: Day) -> bool {
        if (CAL_FIRST..=CAL_LAST).contains(&d) {
            self.working[(d - CAL_FIRST) as usize]
        } else {
            iso_weekday(d) <= 5
        }
    }

    /// The date `n` working days after `d`.
    fn add_working(&self, d: Day, n: i64) -> Day {
        let mut d = d;
        let mut left = n;
        while left > 0 {
            d += 1;
            if self.is_working(d) {
                left -= 1;
            }
        }
        d
    }

    /// `d` itself if it is a working day, else the next one.
    fn next_working(&self, d: Day) -> Day {
        let mut d = d;
        while !self.is_working(d) {
            d += 1;
        }
        d
    }

    /// `d` itself if it is a working day, else the previous one.
    fn prev_working(&self, d: Day) -> Day {
        let mut d = d;
        while !self.is_working(d) {
            d -= 1;
        }
        d
    }

    /// Working days in `[from, to]`.
    fn working_days(&self, from: Day, to: Day) -> Vec<Day> {
        (from..=to).filter(|&d| self.is_working(d)).collect()
    }
}

/// Generation context shared by the passes.
struct Ctx {
    cal: Calendar,
    as_of: Day,
    scale: f64,
}

impl Ctx {
    /// Rounds `base × scale` to a count.
    fn count(&self, base: f64) -> usize {
        (base * self.scale).round().max(0.0) as usize
    }
}

// ---------------------------------------------------------------------------------------------
// Random numbers: one ChaCha8 stream and our own samplers.

/// The single PRNG and the samplers built on it.
struct Rng {
    inner: ChaCha8Rng,
}

impl Rng {
    fn new(seed: u64) -> Self {
        Rng {
            inner: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// Uniform in [0, 1).
    fn f64(&mut self) -> f64 {
        (self.inner.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in [0, n); 0 when n = 0.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.inner.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform integer in [lo, hi] (inclusive).
    fn int(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// Uniform in [lo, hi).
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }

    fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Standard normal (Box–Muller, one value per call).
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.f64();
        let u2 = self.f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    /// Exponential with the given mean.
    fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.f64()).ln()
    }

    /// Index drawn with probability proportional to `weights`.
    fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.f64() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len().saturating_sub(1)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        if items.is_empty() {
            return None;
        }
        Some(items[self.below(items.len() as u64) as usize])
    }

    /// Days as a lognormal duration, at least `min`.
    fn days(&mut self, median: f64, sigma: f64, min: Day) -> Day {
        (self.lognormal(median, sigma).round().min(20_000.0) as Day).max(min)
    }
}

/// Precomputed cumulative weights for repeated weighted draws (binary search).
struct Cumulative {
    cum: Vec<f64>,
}

impl Cumulative {
    fn new(weights: impl Iterator<Item = f64>) -> Self {
        let mut acc = 0.0;
        let cum = weights
            .map(|w| {
                acc += w;
                acc
            })
            .collect();
        Cumulative { cum }
    }

    fn sample(&self, rng: &mut Rng) -> usize {
        let total = self.cum.last().copied().unwrap_or(0.0);
        let x = rng.f64() * total;
        self.cum
            .partition_point(|&c| c <= x)
            .min(self.cum.len().saturating_sub(1))
    }
}

// ---------------------------------------------------------------------------------------------
// Organisation: tinh, don_vi.

/// One handling office (provincial or regional).
struct Office {
    /// `don_vi.id`.
    id: i64,
    /// Index into `PROVINCES`.
    prov: usize,
    /// `don_vi.ma`.
    code: String,
    /// Middle part of `ma_viec`: `KV05` or `TINH`.
    short: String,
    /// `don_vi.ten`.
    name: String,
    provincial: bool,
    /// Share of the national caseload.
    weight: f64,
    /// Active chấp hành viên ids (case assignment pool).
    chv: Vec<i64>,
    /// Head of the office (`can_bo.id`), 0 until staffed.
    head: i64,
    /// Slowness of the office: province effect plus office effect (0 = average).
    perf: f64,
}

/// Units in `don_vi` order: CUC is id 1, then per province its office and regional offices.
struct Org {
    offices: Vec<Office>,
    /// Index into `offices` of each province's provincial office.
    prov_office: Vec<usize>,
    /// Cumulative office weights for case draws.
    office_pick: Cumulative,
    /// Leaders of the Cục (can_bo ids), for task assignment.
    cuc_leaders: Vec<i64>,
}

fn urban_factor(ma_tinh: &str) -> f64 {
    match ma_tinh {
        "79" => 1.35,
        "01" => 1.2,
        "31" | "48" | "92" => 1.1,
        _ => 1.0,
    }
}

fn build_org(rng: &mut Rng) -> Org {
    let total: f64 = PROVINCES
        .iter()
        .map(|p| p.dan_so as f64 * urban_factor(p.ma_tinh))
        .sum();
    let mut offices = Vec::new();
    let mut prov_office = Vec::new();
    let mut next_id = 2i64;
    for (pi, p) in PROVINCES.iter().enumerate() {
        let share = p.dan_so as f64 * urban_factor(p.ma_tinh) / total;
        let prov_perf = rng.normal();
        prov_office.push(offices.len());
        offices.push(Office {
            id: next_id,
            prov: pi,
            code: p.unit_code(),
            short: "TINH".to_string(),
            name: p.unit_name(),
            provincial: true,
            weight: share * 0.08,
            chv: Vec::new(),
            head: 0,
            perf: prov_perf,
        });
        next_id += 1;
        let w: Vec<f64> = (0..p.so_phong_kv).map(|_| rng.uniform(0.7, 1.3)).collect();
        let wsum: f64 = w.iter().sum();
        for (k, wk) in w.iter().enumerate() {
            let n = k as u32 + 1;
            offices.push(Office {
                id: next_id,
                prov: pi,
                code: p.regional_office_code(n),
                short: format!("KV{n:02}"),
                name: p.regional_office_name(n),
                provincial: false,
                weight: share * 0.92 * wk / wsum,
                chv: Vec::new(),
                head: 0,
                perf: prov_perf + 0.5 * rng.normal(),
            });
            next_id += 1;
        }
    }
    let office_pick = Cumulative::new(offices.iter().map(|o| o.weight));
    Org {
        offices,
        prov_office,
        office_pick,
        cuc_leaders: Vec::new(),
    }
}

/// Removes Vietnamese diacritics and maps đ/Đ to d/D.
fn khong_dau(s: &str) -> String {
    const GROUPS: [(&str, char); 14] = [
        ("àáạảãâầấậẩẫăằắặẳẵ", 'a'),
        ("èéẹẻẽêềếệểễ", 'e'),
        ("ìíịỉĩ", 'i'),
        ("òóọỏõôồốộổỗơờớợởỡ", 'o'),
        ("ùúụủũưừứựửữ", 'u'),
        ("ỳýỵỷỹ", 'y'),
        ("đ", 'd'),
        ("ÀÁẠẢÃÂẦẤẬẨẪĂẰẮẶẲẴ", 'A'),
        ("ÈÉẸẺẼÊỀẾỆỂỄ", 'E'),
        ("ÌÍỊỈĨ", 'I'),
        ("ÒÓỌỎÕÔỒỐỘỔỖƠỜỚỢỞỠ", 'O'),
        ("ÙÚỤỦŨƯỪỨỰỬỮ", 'U'),
        ("ỲÝỴỶỸ", 'Y'),
        ("Đ", 'D'),
    ];
    s.chars()
        .map(|c| {
            if c.is_ascii() {
                return c;
            }
            GROUPS
                .iter()
                .find(|(set, _)| set.contains(c))
                .map_or(c, |&(_, base)| base)
        })
        .collect()
}

fn emit_tinh<S: Sink>(sink: &mut S) -> Result<(), S::Error> {
    sink.expect(Table::Tinh, PROVINCES.len() as u64);
    for p in PROVINCES.iter() {
        sink.row(
            Table::Tinh,
            vec![
                Val::Str(p.ma_tinh),
                Val::Str(p.ten),
                Val::Str(p.ten_khong_dau),
                Val::Str(p.loai),
                Val::Str(p.mien),
                Val::Str(p.vung),
                Val::Int(p.dan_so as i64),
                Val::Str(p.tinh_cu),
            ],
        )?;
    }
    Ok(())
}

fn emit_don_vi<S: Sink>(sink: &mut S, org: &Org) -> Result<(), S::Error> {
    sink.expect(Table::DonVi, org.offices.len() as u64 + 1);
    sink.row(
        Table::DonVi,
        vec![
            Val::Int(1),
            Val::Str(CUC_CODE),
            Val::Str(CUC_NAME),
            Val::Text(khong_dau(CUC_NAME)),
            Val::Str("cuc"),
            Val::Null,
            Val::Null,
        ],
    )?;
    for o in &org.offices {
        let p: &Province = &PROVINCES[o.prov];
        let parent = if o.provincial {
            1
        } else {
            org.offices[org.prov_office[o.prov]].id
        };
        sink.row(
            Table::DonVi,
            vec![
                Val::Int(o.id),
                Val::Text(o.code.clone()),
                Val::Text(o.name.clone()),
                Val::Text(khong_dau(&o.name)),
                Val::Str(if o.provincial { "tinh" } else { "khu_vuc" }),
                Val::Str(p.ma_tinh),
                Val::Int(parent),
            ],
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Staff: can_bo.

/// One staff member, before emission.
struct Staff {
    name: String,
    role: &'static str,
    chv: bool,
    unit: i64,
    active: bool,
}

const HO: [&str; 16] = [
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    "Hồ", "Ngô", "Dương", "Lý",
];
const HO_WEIGHT: [f64; 16] = [
    38.0, 11.0, 9.5, 7.0, 3.0, 2.0, 4.5, 2.0, 2.0, 2.1, 2.0, 1.4, 1.3, 1.3, 1.0, 0.5,
];
const DEM_NAM: [&str; 10] = [
    "Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Công", "Xuân", "Ngọc", "Trọng",
];
const DEM_NU: [&str; 10] = [
    "Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Hồng", "Kim", "Phương",
];
const TEN_NAM: [&str; 24] = [
    "An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hiếu", "Hùng", "Huy", "Khánh", "Long", "Mạnh",
    "Nam", "Nghĩa", "Phong", "Quang", "Sơn", "Tài", "Thắng", "Thành", "Toàn", "Trung", "Tuấn",
    "Việt",
];
const TEN_NU: [&str; 24] = [
    "Anh",
    "Châu",
    "Dung",
    "Giang",
    "Hà",
    "Hạnh",
    "Hằng",
    "Hoa",
    "Hương",
    "Lan",
    "Liên",
    "Linh",
    "Loan",
    "Mai",
    "Nga",
    "Ngân",
    "Nhung",
    "Oanh",
    "Phượng",
    "Quyên",
    "Thảo",
    "Trang",
    "Vân",
    "Yến",
];

/// A synthetic Vietnamese personal name.
fn person_name(rng: &mut Rng) -> String {
    let ho = HO[rng.weighted(&HO_WEIGHT)];
    let female = rng.chance(0.5);
    let (dem, ten) = if female {
        (&DEM_NU, &TEN_NU)
    } else {
        (&DEM_NAM, &TEN_NAM)
    };
    let d = dem[rng.below(dem.len() as u64) as usize];
    let t = ten[rng.below(ten.len() as u64) as usize];
    format!("{ho} {d} {t}")
}

/// Role counts of one unit at full scale: (role, count, is CHV, minimum at any scale).
type RolePlan = Vec<(&'static str, f64, bool, usize)>;

fn cuc_plan() -> RolePlan {
    vec![
        ("lanh_dao_bo", 2.0, false, 2),
        ("cuc_truong", 1.0, false, 1),
        ("pho_cuc_truong", 3.0, false, 1),
        ("tham_tra_vien", 15.0, false, 1),
        ("chuyen_vien", 90.0, false, 3),
        ("ke_toan", 3.0, false, 1),
        ("thu_quy", 1.0, false, 0),
        ("van_thu", 5.0, false, 1),
    ]
}

fn province_plan(rel: f64) -> RolePlan {
    vec![
        ("truong_tha_tinh", 1.0, true, 1),
        ("pho_truong_tha_tinh", 2.5, true, 1),
        ("chap_hanh_vien", (4.0 * rel).clamp(3.0, 12.0), true, 2),
        ("tham_tra_vien", 3.0, false, 0),
        ("thu_ky", 3.0, false, 0),
        ("ke_toan", 2.0, false, 1),
        ("thu_quy", 1.0, false, 0),
        ("van_thu", 1.0, false, 0),
        ("chuyen_vien", 7.0, false, 1),
    ]
}

fn regional_plan(rel: f64) -> RolePlan {
    let chv = (7.0 * rel).clamp(3.0, 25.0);
    vec![
        ("truong_phong", 1.0, true, 1),
        ("pho_truong_phong", 1.4, true, 0),
        ("chap_hanh_vien", chv, true, 2),
        ("tham_tra_vien", 0.5, false, 0),
        ("thu_ky", (chv / 2.5).max(1.0), false, 0),
        ("ke_toan", 1.0, false, 1),
        ("thu_quy", 1.0, false, 0),
        ("van_thu", 1.0, false, 0),
    ]
}

/// Count of a role at `scale`, stochastically rounded, at least `min`.
fn scaled_count(rng: &mut Rng, full: f64, scale: f64, min: usize) -> usize {
    let x = full * scale.clamp(0.0, 1.0);
    let n = x.floor() as usize + usize::from(rng.chance(x.fract()));
    n.max(min)
}

fn build_staff(rng: &mut Rng, org: &mut Org, scale: f64) -> Vec<Staff> {
    let mut staff = Vec::new();
    let mut cuc_leaders = Vec::new();
    for (role, full, chv, min) in cuc_plan() {
        for _ in 0..scaled_count(rng, full, scale, min) {
            staff.push(Staff {
                name: person_name(rng),
                role,
                chv,
                unit: 1,
                active: true,
            });
            if matches!(role, "cuc_truong" | "pho_cuc_truong") {
                cuc_leaders.push(staff.len() as i64);
            }
        }
    }
    org.cuc_leaders = cuc_leaders;
    let regional = org.offices.iter().filter(|o| !o.provincial).count().max(1);
    let mean_regional = org
        .offices
        .iter()
        .filter(|o| !o.provincial)
        .map(|o| o.weight)
        .sum::<f64>()
        / regional as f64;
    for o in org.offices.iter_mut() {
        let rel = o.weight / mean_regional.max(f64::MIN_POSITIVE);
        let plan = if o.provincial {
            province_plan(rel / 0.3)
        } else {
            regional_plan(rel)
        };
        for (role, full, chv, min) in plan {
            let n = scaled_count(rng, full, scale, min);
            let mut plain_chv = 0usize;
            for _ in 0..n {
                let is_head = matches!(role, "truong_tha_tinh" | "truong_phong");
                let la_chv = chv && (role == "chap_hanh_vien" || is_head || rng.chance(0.85));
                // Keep at least two active plain CHVs per office.
                let keep = is_head || (role == "chap_hanh_vien" && plain_chv < 2);
                let active = keep || !rng.chance(0.02);
                staff.push(Staff {
                    name: person_name(rng),
                    role,
                    chv: la_chv,
                    unit: o.id,
                    active,
                });
                let id = staff.len() as i64;
                if is_head {
                    o.head = id;
                }
                if role == "chap_hanh_vien" && active {
                    plain_chv += 1;
                    o.chv.push(id);
                }
            }
        }
    }
    staff
}

fn emit_can_bo<S: Sink>(sink: &mut S, staff: &[Staff]) -> Result<(), S::Error> {
    sink.expect(Table::CanBo, staff.len() as u64);
    for (i, s) in staff.iter().enumerate() {
        sink.row(
            Table::CanBo,
            vec![
                Val::Int(i as i64 + 1),
                Val::Text(s.name.clone()),
                Val::Str(s.role),
                Val::Int(i64::from(s.chv)),
                Val::Int(s.unit),
                Val::Int(i64::from(s.active)),
            ],
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Case skeleton: (intake date, office, origin), sorted by date so ids are chronological.

/// Where a case comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// Opening backlog, chưa có điều kiện on 2024-10-01.
    BacklogNoCond,
    /// Opening backlog, đang thi hành on 2024-10-01.
    BacklogRunning,
    /// Opening backlog, hoãn or tạm đình chỉ on 2024-10-01.
    BacklogSuspended,
    /// New case from 2024-10-01.
    Intake,
    /// The national mega case.
    Mega,
}

/// A case before its timeline: intake date, office, origin and the drawn attributes.
#[derive(Debug, Clone, Copy)]
struct Skel {
    day: Day,
    office: u16,
    origin: Origin,
    /// Index into `LOAI_AN`.
    loai: u8,
    chu_dong: bool,
    /// `so_tien_phai_thi_hanh` in đồng.
    amount: i64,
}

fn build_skeleton(rng: &mut Rng, ctx: &Ctx, org: &Org) -> Vec<Skel> {
    let mut skel = backlog_skeleton(rng, ctx, org);
    skel.extend(intake_skeleton(rng, ctx, org));
    let mega = ymd(2024, 12, 16);
    if ctx.scale > 0.0 && mega <= ctx.as_of {
        let hcm = PROVINCES
            .iter()
            .position(|p| p.ma_tinh == "79")
            .unwrap_or(0);
        let amount = round_k(MEGA_CASE * ctx.scale.min(1.0));
        skel.push(Skel {
            day: mega,
            office: org.prov_office[hcm] as u16,
            origin: Origin::Mega,
            loai: 0,
            chu_dong: true,
            amount,
        });
    }
    skel.retain(|s| s.day <= ctx.as_of);
    skel.sort_by_key(|s| s.day);
    skel
}

/// Rounds đồng to a multiple of 1,000.
fn round_k(x: f64) -> i64 {
    ((x / 1000.0).round() as i64).max(0) * 1000
}

/// Case type, chủ động flag and amount of a new case at `office`.
fn draw_attrs(rng: &mut Rng, office: &Office) -> (u8, bool, i64) {
    let shares = if office.provincial {
        &LOAI_SHARE_TINH
    } else {
        &LOAI_SHARE
    };
    let t = rng.weighted(shares);
    let chu_dong = rng.chance(CHU_DONG_SHARE[t]);
    let amount = if rng.chance(AMOUNT_ZERO[t]) {
        0
    } else if (t == 0 || t == 3) && rng.chance(HEAVY_TAIL) {
        // 100–2,000 tỷ, log-uniform.
        round_k(1e11 * (rng.f64() * 20f64.ln()).exp())
    } else {
        let mult = if office.provincial {
            AMOUNT_TINH[t]
        } else {
            1.0
        };
        let chu_dong_small = if chu_dong && t == 0 { 0.5 } else { 1.0 };
        let x =
            rng.lognormal(AMOUNT_MEDIAN[t], AMOUNT_SIGMA[t]) * mult * chu_dong_small * MONEY_FACTOR;
        round_k(x.clamp(100_000.0, 1e12))
    };
    (t as u8, chu_dong, amount)
}

/// Multiplier on the chưa-có-điều-kiện probability by amount: large debts are less often enforceable.
fn amount_risk(amount: i64) -> f64 {
    match amount {
        0 => 0.6,
        a if a < 5_000_000 => 0.75,
        a if a < 50_000_000 => 1.0,
        a if a < 500_000_000 => 1.3,
        a if a < 5_000_000_000 => 1.7,
        a if a < 10_000_000_000 => 2.3,
        a if a < 100_000_000_000 => 2.8,
        _ => 4.0,
    }
}

fn backlog_skeleton(rng: &mut Rng, ctx: &Ctx, org: &Org) -> Vec<Skel> {
    let n = ctx.count(BACKLOG_CASES);
    let last = (OPENING - 1).min(ctx.as_of);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let office = org.office_pick.sample(rng);
        let (loai, chu_dong, amount) = draw_attrs(rng, &org.offices[office]);
        let p_nocond = (BACKLOG_CCDK * amount_risk(amount)).min(0.92);
        let (origin, mean_age) = if rng.chance(BACKLOG_SUSPENDED) {
            (Origin::BacklogSuspended, 500.0)
        } else if rng.chance(p_nocond) {
            (Origin::BacklogNoCond, 1100.0)
        } else {
            (Origin::BacklogRunning, 300.0)
        };
        let mut day = OLDEST + rng.int(0, i64::from((last - OLDEST).max(0))) as Day;
        for _ in 0..8 {
            let candidate = last - rng.exponential(mean_age).round() as Day;
            if candidate >= OLDEST {
                day = candidate;
                break;
            }
        }
        let day = ctx.cal.prev_working(day).max(OLDEST.min(last));
        out.push(Skel {
            day,
            office: office as u16,
            origin,
            loai,
            chu_dong,
            amount,
        });
    }
    out
}

fn intake_skeleton(rng: &mut Rng, ctx: &Ctx, org: &Org) -> Vec<Skel> {
    let fsum: f64 = MONTH_FACTORS.iter().sum();
    let mut out = Vec::new();
    let mut month_start = OPENING;
    let mut k = 0usize;
    while month_start <= ctx.as_of {
        let dt = date(month_start);
        let (ny, nm) = if dt.month() == 12 {
            (dt.year() + 1, 1)
        } else {
            (dt.year(), dt.month() + 1)
        };
        let next = ymd(ny, nm, 1);
        let days = ctx.cal.working_days(month_start, next - 1);
        let n = ctx.count(INTAKE_PER_YEAR * MONTH_FACTORS[k % 12] / fsum);
        for _ in 0..n {
            let office = org.office_pick.sample(rng);
            let day = rng.pick(&days).unwrap_or(month_start);
            let (loai, chu_dong, amount) = draw_attrs(rng, &org.offices[office]);
            if day <= ctx.as_of {
                out.push(Skel {
                    day,
                    office: office as u16,
                    origin: Origin::Intake,
                    loai,
                    chu_dong,
                    amount,
                });
            }
        }
        month_start = next;
        k += 1;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Case timelines.

/// A dated event of a case's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ev {
    /// QĐ thi hành án.
    Qd,
    /// Verification of conditions (ngay_xac_minh).
    XacMinh,
    /// QĐ chưa có điều kiện.
    Ccdk,
    /// Re-verification finds conditions: back to đang thi hành.
    Regain,
    Hoan,
    TiepTuc,
    Tdc,
    Xong,
    DinhChi,
    UyThac,
}

/// The current state codes (`viec_thi_hanh.trang_thai`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    ChoRaQd,
    Dang,
    NoCond,
    Hoan,
    Tdc,
    Xong,
    DinhChi,
    UyThac,
}

impl State {
    fn code(self) -> &'static str {
        match self {
            State::ChoRaQd => "cho_ra_quyet_dinh",
            State::Dang => "dang_thi_hanh",
            State::NoCond => "chua_co_dieu_kien",
            State::Hoan => "hoan",
            State::Tdc => "tam_dinh_chi",
            State::Xong => "xong",
            State::DinhChi => "dinh_chi",
            State::UyThac => "uy_thac",
        }
    }

    fn terminal(self) -> bool {
        matches!(self, State::Xong | State::DinhChi | State::UyThac)
    }
}

/// Events of one case in date order (reused buffer).
struct Timeline {
    ev: Vec<(Day, Ev)>,
}

impl Timeline {
    fn last_day(&self) -> Day {
        self.ev.last().map_or(Day::MIN, |e| e.0)
    }

    /// Appends an event no earlier than the previous one; returns its date.
    fn push(&mut self, d: Day, e: Ev) -> Day {
        let d = d.max(self.last_day());
        self.ev.push((d, e));
        d
    }

    /// Appends the verification if it happens before `end`.
    fn verify_before(&mut self, tv: Day, end: Day) {
        if tv < end {
            self.push(tv, Ev::XacMinh);
        }
    }
}

/// Case state at as-of, folded from the (already truncated) events.
struct Folded {
    state: State,
    qd: Option<Day>,
    xac_minh: Option<Day>,
    end: Option<Day>,
}

fn fold(ev: &[(Day, Ev)]) -> Folded {
    let mut f = Folded {
        state: State::ChoRaQd,
        qd: None,
        xac_minh: None,
        end: None,
    };
    for &(d, e) in ev {
        match e {
            Ev::Qd => {
                f.state = State::Dang;
                f.qd = Some(d);
            }
            Ev::XacMinh => f.xac_minh = Some(d),
            Ev::Ccdk => f.state = State::NoCond,
            Ev::Regain => {
                f.state = State::Dang;
                f.xac_minh = Some(d);
            }
            Ev::Hoan => f.state = State::Hoan,
            Ev::Tdc => f.state = State::Tdc,
            Ev::TiepTuc => f.state = State::Dang,
            Ev::Xong | Ev::DinhChi | Ev::UyThac => {
                f.state = match e {
                    Ev::Xong => State::Xong,
                    Ev::DinhChi => State::DinhChi,
                    _ => State::UyThac,
                };
                f.end = Some(d);
            }
        }
    }
    f
}

/// Draws the full life of cases (beyond as-of; the caller cuts it).
struct Lifecycle<'a> {
    rng: &'a mut Rng,
    ctx: &'a Ctx,
    tl: Timeline,
    /// Office performance (standard-normal-ish; higher = slower).
    perf: f64,
}

impl Lifecycle<'_> {
    /// QĐ THA date: 93 % within 1–5 working days, else 6–25.
    fn qd_date(&mut self, t0: Day) -> Day {
        let n = if self.rng.chance(0.93) {
            self.rng.int(1, 5)
        } else {
            self.rng.int(6, 25)
        };
        self.ctx.cal.add_working(t0, n)
    }

    /// Verification date, 15–40 days after the QĐ.
    fn verify_date(&mut self, t1: Day) -> Day {
        self.ctx.cal.next_working(t1 + self.rng.int(15, 40) as Day)
    }

    /// Pulls part of the October–November completions into August–September (year-end push).
    fn year_end_push(&mut self, start: Day, end: Day) -> Day {
        let dt = date(end);
        if !(dt.month() == 10 || dt.month() == 11) {
            return end;
        }
        let y = dt.year();
        let lo = (start + 1).max(ymd(y, 8, 1));
        let hi = ymd(y, 9, 30);
        if lo + 14 > hi || !self.rng.chance(YEAR_END_PUSH) {
            return end;
        }
        let d = self
            .ctx
            .cal
            .next_working(lo + self.rng.int(0, i64::from(hi - lo)) as Day);
        if d > hi {
            end
        } else {
            d
        }
    }

    /// Days to completion of an ordinary case with conditions.
    fn xong_days(&mut self, amount: i64, chu_dong: bool, slow_p: f64) -> Day {
        if self.rng.chance(slow_p) {
            let median = if amount > 1_000_000_000 {
                SLOW_BIG_MEDIAN
            } else {
                SLOW_MEDIAN
            };
            self.rng.days(median, SLOW_SIGMA, 20)
        } else {
            let f = if chu_dong && amount < 10_000_000 {
                0.6
            } else {
                1.0
            };
            self.rng
                .days(XONG_MEDIAN * f * (0.1 * self.perf).exp(), XONG_SIGMA, 1)
        }
    }

    /// Probability that a case runs long: higher for large amounts and weak offices.
    fn slow_p(&self, amount: i64) -> f64 {
        let base = match amount {
            a if a > 100_000_000_000 => P_SLOW_BIG + 0.3,
            a if a > 10_000_000_000 => P_SLOW_BIG + 0.15,
            a if a > 1_000_000_000 => P_SLOW_BIG,
            _ => P_SLOW,
        };
        (base * (0.4 * self.perf).exp()).min(0.95)
    }

    /// A new case registered on `s.day`.
    fn intake(&mut self, s: &Skel) {
        let t0 = s.day;
        let t1 = self.qd_date(t0);
        let t1 = self.tl.push(t1, Ev::Qd);
        if self.rng.chance(P_UY_THAC) {
            let d = self
                .ctx
                .cal
                .next_working((t0 + self.rng.int(10, 30) as Day).max(t1));
            self.tl.push(d, Ev::UyThac);
            return;
        }
        let tv = self.verify_date(t1);
        if self.rng.chance((NEW_CCDK * amount_risk(s.amount)).min(0.9)) {
            self.no_cond(tv);
        } else {
            self.with_cond(s, t0, tv);
        }
    }

    /// Verification, QĐ chưa có điều kiện, re-verifications and a possible regain.
    fn no_cond(&mut self, tv: Day) {
        self.tl.push(tv, Ev::XacMinh);
        let tc = self.ctx.cal.add_working(tv, self.rng.int(1, 5));
        self.tl.push(tc, Ev::Ccdk);
        let lapse = self.rng.chance(0.15);
        let regain = tv + self.rng.exponential(365.0 / REGAIN_PER_YEAR).min(20_000.0) as Day;
        let mut r = tv;
        loop {
            r += if lapse {
                self.rng.int(190, 400)
            } else {
                self.rng.int(120, 210)
            } as Day;
            r = self.ctx.cal.next_working(r);
            if r >= regain || r > self.ctx.as_of {
                break;
            }
            self.tl.push(r, Ev::XacMinh);
        }
        if regain > self.ctx.as_of {
            return;
        }
        let g = self.tl.push(self.ctx.cal.next_working(regain), Ev::Regain);
        let u = self.rng.f64();
        if u < 0.75 {
            let end = g + self.rng.days(45.0, 0.8, 3);
            self.tl.push(self.ctx.cal.next_working(end), Ev::Xong);
        } else if u < 0.85 {
            let end = g + self.rng.days(60.0, 0.7, 5);
            self.tl.push(self.ctx.cal.next_working(end), Ev::DinhChi);
        }
    }

    /// A case with conditions from `start` (thụ lý), verification planned at `tv`.
    fn with_cond(&mut self, s: &Skel, start: Day, tv: Day) {
        let u = self.rng.f64();
        if u < P_DINH_CHI {
            let end = self
                .ctx
                .cal
                .next_working(start + self.rng.days(100.0, 0.7, 5));
            self.tl.verify_before(tv, end);
            self.tl.push(end, Ev::DinhChi);
        } else if u < P_DINH_CHI + P_HOAN {
            self.suspend(s, Ev::Hoan, start, tv, 90.0);
        } else if u < P_DINH_CHI + P_HOAN + P_TDC {
            self.suspend(s, Ev::Tdc, start, tv, 180.0);
        } else {
            let dur = self.xong_days(s.amount, s.chu_dong, self.slow_p(s.amount));
            let end = self.ctx.cal.next_working(start + dur);
            let end = self.year_end_push(start, end);
            self.tl.verify_before(tv, end);
            self.tl.push(end, Ev::Xong);
        }
    }

    /// Hoãn or tạm đình chỉ, then usually tiếp tục and completion.
    fn suspend(&mut self, s: &Skel, kind: Ev, start: Day, tv: Day, resume_median: f64) {
        let th = self
            .ctx
            .cal
            .next_working(start + self.rng.days(40.0, 0.6, 3));
        self.tl.verify_before(tv, th);
        let th = self.tl.push(th, kind);
        self.resume(s, th, resume_median);
    }

    fn resume(&mut self, s: &Skel, from: Day, resume_median: f64) {
        let u = self.rng.f64();
        if u < 0.8 {
            let tr = self.tl.push(
                self.ctx
                    .cal
                    .next_working(from + self.rng.days(resume_median, 0.7, 5)),
                Ev::TiepTuc,
            );
            let end = tr + self.xong_days(s.amount, s.chu_dong, self.slow_p(s.amount));
            self.tl.push(self.ctx.cal.next_working(end), Ev::Xong);
        } else if u < 0.9 {
            let end = from + self.rng.days(200.0, 0.6, 10);
            self.tl.push(self.ctx.cal.next_working(end), Ev::DinhChi);
        }
    }

    /// Opening-backlog case: its history before 2024-10-01 and its future.
    fn backlog(&mut self, s: &Skel) {
        let t0 = s.day;
        let t1 = self.qd_date(t0);
        let t1 = self.tl.push(t1, Ev::Qd);
        let tv = self.verify_date(t1);
        match s.origin {
            Origin::BacklogNoCond => self.no_cond(tv),
            Origin::BacklogSuspended => {
                let lo = tv + 1;
                let hi = (OPENING - 1).max(lo);
                let th = self
                    .ctx
                    .cal
                    .next_working(lo + self.rng.int(0, i64::from(hi - lo)) as Day);
                self.tl.push(tv, Ev::XacMinh);
                let kind = if self.rng.chance(0.75) {
                    Ev::Hoan
                } else {
                    Ev::Tdc
                };
                let th = self.tl.push(th, kind);
                self.resume(s, th.max(OPENING), 150.0);
            }
            _ => self.backlog_running(s, tv),
        }
    }

    fn backlog_running(&mut self, s: &Skel, tv: Day) {
        let from = OPENING.max(self.tl.last_day() + 1);
        let u = self.rng.f64();
        if u < 0.08 {
            let end = self
                .ctx
                .cal
                .next_working(from + self.rng.days(120.0, 0.8, 3));
            self.tl.verify_before(tv, end);
            self.tl.push(end, Ev::DinhChi);
            return;
        }
        let slow = if s.amount > 1_000_000_000 { 0.5 } else { 0.12 };
        let dur = if self.rng.chance(slow) {
            self.rng.days(400.0, 0.7, 30)
        } else {
            self.rng.days(BACKLOG_XONG_MEDIAN, 1.0, 1)
        };
        let end = self.ctx.cal.next_working(from + dur);
        let end = self.year_end_push(from, end);
        self.tl.verify_before(tv, end);
        self.tl.push(end, Ev::Xong);
    }

    /// The mega case: long-running with partial recovery.
    fn mega(&mut self, s: &Skel) {
        let t1 = self.qd_date(s.day);
        let t1 = self.tl.push(t1, Ev::Qd);
        let tv = self.verify_date(t1);
        self.tl.push(tv, Ev::XacMinh);
    }
}

// ---------------------------------------------------------------------------------------------
// Case pass: viec_thi_hanh rows, plus what later tables need.

/// What later tables need to know about a case.
#[derive(Debug, Clone, Copy)]
struct CaseLite {
    day: Day,
    office: u16,
    loai: u8,
    chu_dong: bool,
    mega: bool,
    state: State,
    amount: i64,
}

/// A decision before numbering.
struct Decision {
    day: Day,
    case: u32,
    kind: &'static str,
}

/// A receipt before numbering.
struct Receipt {
    day: Day,
    case: u32,
    amount: i64,
    cancelled: bool,
}

/// An enforcement measure.
struct Measure {
    case: u32,
    nhom: &'static str,
    loai: &'static str,
    day: Day,
}

/// Output of the case pass.
struct CasePass {
    lite: Vec<CaseLite>,
    decisions: Vec<Decision>,
    receipts: Vec<Receipt>,
    measures: Vec<Measure>,
}

/// First calendar year of the `ma_viec` / numbering counters.
const COUNTER_YEAR0: i32 = 2010;
const COUNTER_YEARS: usize = 25;

fn counter_slot(unit: usize, d: Day) -> usize {
    let y = (date(d).year() - COUNTER_YEAR0).clamp(0, COUNTER_YEARS as i32 - 1) as usize;
    unit * COUNTER_YEARS + y
}

fn emit_cases<S: Sink>(
    sink: &mut S,
    rng: &mut Rng,
    ctx: &Ctx,
    org: &Org,
    skeleton: &[Skel],
) -> Result<CasePass, S::Error> {
    sink.expect(Table::ViecThiHanh, skeleton.len() as u64);
    let mut pass = CasePass {
        lite: Vec::with_capacity(skeleton.len()),
        decisions: Vec::with_capacity(skeleton.len() * 2),
        receipts: Vec::with_capacity(skeleton.len() * 3 / 2),
        measures: Vec::new(),
    };
    let mut seq = vec![0u32; org.offices.len() * COUNTER_YEARS];
    let mut tl = Timeline {
        ev: Vec::with_capacity(64),
    };
    for (i, s) in skeleton.iter().enumerate() {
        tl.ev.clear();
        let perf = org.offices[s.office as usize].perf;
        let mut life = Lifecycle {
            rng: &mut *rng,
            ctx,
            tl,
            perf,
        };
        match s.origin {
            Origin::Intake => life.intake(s),
            Origin::Mega => life.mega(s),
            _ => life.backlog(s),
        }
        tl = life.tl;
        tl.ev.retain(|e| e.0 <= ctx.as_of);
        let f = fold(&tl.ev);
        let case = i as u32;
        let office = &org.offices[s.office as usize];
        let paid = collected(rng, s, f.state);
        let slot = counter_slot(s.office as usize, s.day);
        seq[slot] += 1;
        let ma_viec = format!(
            "{}-{}-{}-{:06}",
            PROVINCES[office.prov].ma_tinh,
            office.short,
            date(s.day).year(),
            seq[slot]
        );
        let chv = if f.state == State::ChoRaQd && rng.chance(0.5) {
            None
        } else {
            rng.pick(&office.chv)
                .or_else(|| rng.pick(&org.offices[org.prov_office[office.prov]].chv))
        };
        sink.row(
            Table::ViecThiHanh,
            viec_row(i as i64 + 1, ma_viec, office, chv, s, &f, paid),
        )?;
        decisions_of(&tl.ev, case, &mut pass.decisions);
        receipts_of(rng, ctx, case, &f, paid, &mut pass.receipts);
        measures_of(rng, ctx, case, s, &tl.ev, &f, &mut pass);
        pass.lite.push(CaseLite {
            day: s.day,
            office: s.office,
            loai: s.loai,
            chu_dong: s.chu_dong,
            mega: s.origin == Origin::Mega,
            state: f.state,
            amount: s.amount,
        });
    }
    Ok(pass)
}

fn opt_date(d: Option<Day>) -> Val {
    d.map_or(Val::Null, |d| Val::Date(date(d)))
}

fn viec_row(
    id: i64,
    ma_viec: String,
    office: &Office,
    chv: Option<i64>,
    s: &Skel,
    f: &Folded,
    paid: i64,
) -> Vec<Val> {
    vec![
        Val::Int(id),
        Val::Text(ma_viec),
        Val::Int(office.id),
        Val::Str(PROVINCES[office.prov].ma_tinh),
        chv.map_or(Val::Null, Val::Int),
        Val::Str(LOAI_AN[s.loai as usize]),
        Val::Str(if s.chu_dong {
            "chu_dong"
        } else {
            "theo_yeu_cau"
        }),
        Val::Date(date(s.day)),
        opt_date(f.qd),
        opt_date(f.xac_minh),
        Val::Int(i64::from(f.state != State::NoCond)),
        Val::Str(f.state.code()),
        Val::Int(s.amount),
        Val::Int(paid),
        opt_date(f.end),
        Val::Int(i64::from(stat_year(s.day))),
    ]
}

/// `so_tien_da_thi_hanh` for a case in `state`.
fn collected(rng: &mut Rng, s: &Skel, state: State) -> i64 {
    if s.amount == 0 {
        return 0;
    }
    let share = match state {
        State::Xong => return s.amount,
        _ if s.origin == Origin::Mega => 0.35,
        State::DinhChi if rng.chance(0.5) => rng.uniform(0.0, 0.5),
        State::Dang | State::Hoan | State::Tdc if rng.chance(0.4) => {
            rng.uniform(0.1, if s.amount > 1_000_000_000 { 0.5 } else { 0.8 })
        }
        State::NoCond if rng.chance(0.08) => rng.uniform(0.05, 0.4),
        _ => 0.0,
    };
    round_k(s.amount as f64 * share).min(s.amount)
}

fn decisions_of(ev: &[(Day, Ev)], case: u32, out: &mut Vec<Decision>) {
    for &(day, e) in ev {
        let kind = match e {
            Ev::Qd => "thi_hanh_an",
            Ev::Ccdk => "chua_co_dieu_kien",
            Ev::Hoan => "hoan",
            Ev::TiepTuc => "tiep_tuc",
            Ev::Tdc => "tam_dinh_chi",
            Ev::DinhChi => "dinh_chi",
            Ev::UyThac => "uy_thac",
            Ev::XacMinh | Ev::Regain | Ev::Xong => continue,
        };
        out.push(Decision { day, case, kind });
    }
}

/// 1–3 receipts (mean 1.8) splitting `paid`, dated between the QĐ and the end (or as-of).
fn receipts_of(rng: &mut Rng, ctx: &Ctx, case: u32, f: &Folded, paid: i64, out: &mut Vec<Receipt>) {
    let Some(from) = f.qd else { return };
    if paid <= 0 {
        return;
    }
    let to = f.end.unwrap_or(ctx.as_of).max(from);
    let mut k = 1 + rng.weighted(&[0.4, 0.4, 0.2]) as i64;
    if paid < 1000 * k {
        k = 1;
    }
    let mut days: Vec<Day> = (0..k)
        .map(|_| from + rng.int(0, i64::from(to - from)) as Day)
        .collect();
    days.sort_unstable();
    if f.state == State::Xong {
        if let Some(last) = days.last_mut() {
            *last = to;
        }
    }
    let mut left = paid;
    for (j, &day) in days.iter().enumerate() {
        let amount = if j as i64 == k - 1 {
            left
        } else {
            let share = rng.uniform(0.2, 0.6);
            round_k(left as f64 * share)
                .max(1000)
                .min(left - 1000 * (k - 1 - j as i64))
        };
        left -= amount;
        if rng.chance(0.01) {
            out.push(Receipt {
                day,
                case,
                amount,
                cancelled: true,
            });
        }
        out.push(Receipt {
            day,
            case,
            amount,
            cancelled: false,
        });
    }
}

/// Measures for cases that had conditions: 12 % overall, more for large amounts.
fn measures_of(
    rng: &mut Rng,
    ctx: &Ctx,
    case: u32,
    s: &Skel,
    ev: &[(Day, Ev)],
    f: &Folded,
    pass: &mut CasePass,
) {
    let regain = ev.iter().find(|e| e.1 == Ev::Regain).map(|e| e.0);
    let had_no_cond = ev.iter().any(|e| e.1 == Ev::Ccdk);
    let first_xm = ev.iter().find(|e| e.1 == Ev::XacMinh).map(|e| e.0);
    let start = match (had_no_cond, regain, first_xm) {
        (true, Some(g), _) => g,
        (false, _, Some(x)) => x,
        _ => return,
    };
    let p = match s.amount {
        a if a >= 1_000_000_000 => 0.8,
        a if a >= 100_000_000 => 0.6,
        a if a >= 10_000_000 => 0.37,
        _ => 0.15,
    };
    if f.state == State::UyThac || !rng.chance(p) {
        return;
    }
    let end = f.end.unwrap_or(ctx.as_of);
    let first = ctx.cal.next_working(start + rng.int(3, 30) as Day);
    if first > end {
        return;
    }
    let add = |nhom: &'static str, loai: &'static str, day: Day, pass: &mut CasePass| {
        pass.measures.push(Measure {
            case,
            nhom,
            loai,
            day,
        });
        if nhom == "cuong_che" {
            pass.decisions.push(Decision {
                day,
                case,
                kind: "cuong_che",
            });
        }
    };
    match rng.weighted(&[20.0, 25.0, 15.0, 25.0, 15.0]) {
        0 => {
            add("bao_dam", "phong_toa_tai_khoan", first, pass);
            let next = ctx.cal.next_working(first + rng.int(3, 20) as Day);
            if rng.chance(0.5) && next <= end {
                add("cuong_che", "khau_tru_tai_khoan", next, pass);
            }
        }
        1 => add("cuong_che", "khau_tru_tai_khoan", first, pass),
        2 => add("cuong_che", "tru_thu_nhap", first, pass),
        3 => {
            add("cuong_che", "ke_bien_tai_san", first, pass);
            seizure_follow_up(rng, ctx, first, end, &mut |l, d| {
                add("xu_ly_tai_san", l, d, pass)
            });
        }
        _ => {
            const OTHER: [(&str, &str); 5] = [
                ("bao_dam", "tam_giu_tai_san"),
                ("bao_dam", "tam_dung_dang_ky"),
                ("cuong_che", "khai_thac_tai_san"),
                ("cuong_che", "buoc_chuyen_giao"),
                ("cuong_che", "buoc_thuc_hien_cong_viec"),
            ];
            let (nhom, loai) = OTHER[rng.below(OTHER.len() as u64) as usize];
            add(nhom, loai, first, pass);
        }
    }
}

/// After kê biên: valuation (85 %, usually within 5 working days), then auction (70 %).
fn seizure_follow_up(
    rng: &mut Rng,
    ctx: &Ctx,
    seized: Day,
    end: Day,
    add: &mut dyn FnMut(&'static str, Day),
) {
    if !rng.chance(0.85) {
        return;
    }
    let n = if rng.chance(0.9) {
        rng.int(1, 5)
    } else {
        rng.int(6, 20)
    };
    let valued = ctx.cal.add_working(seized, n);
    if valued > end {
        return;
    }
    add("tham_dinh_gia", valued);
    if !rng.chance(0.7) {
        return;
    }
    let gap = if rng.chance(0.9) {
        rng.int(10, 55)
    } else {
        rng.int(56, 120)
    };
    let auction = ctx.cal.next_working(valued + gap as Day);
    if auction <= end {
        add("ban_dau_gia", auction);
    }
}

// ---------------------------------------------------------------------------------------------
// Parties: duong_su.

const BANKS: [&str; 12] = [
    "Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam",
    "Ngân hàng TMCP Ngoại thương Việt Nam",
    "Ngân hàng TMCP Công thương Việt Nam",
    "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam",
    "Ngân hàng TMCP Sài Gòn Thương Tín",
    "Ngân hàng TMCP Á Châu",
    "Ngân hàng TMCP Quân đội",
    "Ngân hàng TMCP Kỹ thương Việt Nam",
    "Ngân hàng TMCP Việt Nam Thịnh Vượng",
    "Ngân hàng Chính sách xã hội",
    "Ngân hàng TMCP Sài Gòn",
    "Công ty Tài chính TNHH MTV Ngân hàng Việt Nam Thịnh Vượng",
];
const COMPANY_KIND: [&str; 3] = ["Công ty TNHH", "Công ty Cổ phần", "Doanh nghiệp tư nhân"];
const COMPANY_FIELD: [&str; 8] = [
    "Thương mại",
    "Xây dựng",
    "Đầu tư",
    "Sản xuất",
    "Vận tải",
    "Dịch vụ",
    "Bất động sản",
    "Xuất nhập khẩu",
];
const COMPANY_BRAND: [&str; 16] = [
    "Minh Phát",
    "Hoàng Long",
    "An Khang",
    "Thành Công",
    "Phú Quý",
    "Đại Việt",
    "Tân Tiến",
    "Hưng Thịnh",
    "Sao Mai",
    "Trường Sơn",
    "Bình Minh",
    "Phương Nam",
    "Kim Ngân",
    "Hải Đăng",
    "Việt Hưng",
    "Thiên Phúc",
];
const OTHER_ORG: [&str; 4] = ["Hợp tác xã", "Quỹ hỗ trợ", "Hội", "Ban quản lý dự án"];

fn pick_str(rng: &mut Rng, items: &[&'static str]) -> &'static str {
    rng.pick(items).unwrap_or("")
}

/// A party name of kind `loai`.
fn party_name(rng: &mut Rng, loai: &'static str) -> Val {
    match loai {
        "ca_nhan" => Val::Text(person_name(rng)),
        "to_chuc_tin_dung" => Val::Str(pick_str(rng, &BANKS)),
        "nha_nuoc" => Val::Str("Ngân sách Nhà nước"),
        "doanh_nghiep" => {
            let k = pick_str(rng, &COMPANY_KIND);
            let f = pick_str(rng, &COMPANY_FIELD);
            let b = pick_str(rng, &COMPANY_BRAND);
            Val::Text(format!("{k} {f} {b}"))
        }
        _ => {
            let k = pick_str(rng, &OTHER_ORG);
            let b = pick_str(rng, &COMPANY_BRAND);
            Val::Text(format!("{k} {b}"))
        }
    }
}

fn debtor_kind(rng: &mut Rng, loai: &str) -> &'static str {
    let p_company = match loai {
        "kdtm" | "ps" => 0.7,
        "khac" => 0.3,
        "hc" => 0.0,
        _ => 0.04,
    };
    if rng.chance(p_company) {
        "doanh_nghiep"
    } else if loai == "hc" && rng.chance(0.4) {
        "to_chuc_khac"
    } else {
        "ca_nhan"
    }
}

fn creditor_kind(rng: &mut Rng, c: &CaseLite) -> &'static str {
    if c.chu_dong {
        return "nha_nuoc";
    }
    let (bank, company) = match LOAI_AN[c.loai as usize] {
        "ds" => (if c.amount >= 200_000_000 { 0.35 } else { 0.08 }, 0.07),
        "kdtm" => (0.45, 0.5),
        "ps" => (0.4, 0.6),
        "khac" => (0.0, 0.6),
        _ => (0.0, 0.0),
    };
    let u = rng.f64();
    if u < bank {
        "to_chuc_tin_dung"
    } else if u < bank + company {
        "doanh_nghiep"
    } else {
        "ca_nhan"
    }
}

fn emit_duong_su<S: Sink>(sink: &mut S, rng: &mut Rng, cases: &[CaseLite]) -> Result<(), S::Error> {
    sink.expect(Table::DuongSu, (cases.len() as f64 * 2.1) as u64);
    let mut id = 0i64;
    let mut party =
        |sink: &mut S, viec: i64, vai_tro: &'static str, loai: &'static str, name: Val| {
            id += 1;
            sink.row(
                Table::DuongSu,
                vec![
                    Val::Int(id),
                    Val::Int(viec),
                    Val::Str(vai_tro),
                    Val::Str(loai),
                    name,
                ],
            )
        };
    for (i, c) in cases.iter().enumerate() {
        let viec = i as i64 + 1;
        let debtor = if c.mega {
            "doanh_nghiep"
        } else {
            debtor_kind(rng, LOAI_AN[c.loai as usize])
        };
        let name = party_name(rng, debtor);
        party(sink, viec, "phai_thi_hanh", debtor, name)?;
        let creditor = creditor_kind(rng, c);
        let name = party_name(rng, creditor);
        party(sink, viec, "duoc_thi_hanh", creditor, name)?;
        if rng.chance(0.1) {
            let kind = match rng.weighted(&[80.0, 10.0, 10.0]) {
                0 => "ca_nhan",
                1 => "doanh_nghiep",
                _ => "to_chuc_tin_dung",
            };
            let name = party_name(rng, kind);
            party(sink, viec, "lien_quan", kind, name)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Decisions, measures, receipts.

/// `ky_so` probability of a decision signed on `d`.
fn decision_signed_p(d: Day) -> f64 {
    if d >= LAUNCH {
        0.97
    } else if d >= E_RECEIPTS {
        0.40
    } else {
        0.0
    }
}

fn emit_quyet_dinh<S: Sink>(
    sink: &mut S,
    rng: &mut Rng,
    org: &Org,
    cases: &[CaseLite],
    mut decisions: Vec<Decision>,
) -> Result<(), S::Error> {
    // Stable: same-day decisions keep case and event order.
    decisions.sort_by_key(|d| d.day);
    sink.expect(Table::QuyetDinh, decisions.len() as u64);
    let mut seq = vec![0u32; org.offices.len() * COUNTER_YEARS];
    for (i, d) in decisions.iter().enumerate() {
        let slot = counter_slot(cases[d.case as usize].office as usize, d.day);
        seq[slot] += 1;
        let signed = rng.chance(decision_signed_p(d.day));
        sink.row(
            Table::QuyetDinh,
            vec![
                Val::Int(i as i64 + 1),
                Val::Int(i64::from(d.case) + 1),
                Val::Str(d.kind),
                Val::Text(format!("{}/QĐ-THADS", seq[slot])),
                Val::Date(date(d.day)),
                Val::Int(i64::from(signed)),
            ],
        )?;
    }
    Ok(())
}

fn emit_bien_phap<S: Sink>(sink: &mut S, measures: &[Measure]) -> Result<(), S::Error> {
    sink.expect(Table::BienPhapCuongChe, measures.len() as u64);
    for (i, m) in measures.iter().enumerate() {
        sink.row(
            Table::BienPhapCuongChe,
            vec![
                Val::Int(i as i64 + 1),
                Val::Int(i64::from(m.case) + 1),
                Val::Str(m.nhom),
                Val::Str(m.loai),
                Val::Date(date(m.day)),
            ],
        )?;
    }
    Ok(())
}

fn emit_bien_lai<S: Sink>(
    sink: &mut S,
    rng: &mut Rng,
    org: &Org,
    cases: &[CaseLite],
    mut receipts: Vec<Receipt>,
) -> Result<(), S::Error> {
    receipts.sort_by_key(|r| r.day);
    sink.expect(Table::BienLai, receipts.len() as u64);
    let mut seq = vec![0u32; PROVINCES.len() * COUNTER_YEARS];
    for (i, r) in receipts.iter().enumerate() {
        let office = &org.offices[cases[r.case as usize].office as usize];
        let p = &PROVINCES[office.prov];
        let slot = counter_slot(office.prov, r.day);
        seq[slot] += 1;
        let electronic = r.day >= E_RECEIPTS;
        let (kenh, signed) = if electronic {
            let kenh = ["email", "sms", "giay"][rng.weighted(&[40.0, 45.0, 15.0])];
            (kenh, rng.chance(0.995))
        } else {
            ("giay", false)
        };
        sink.row(
            Table::BienLai,
            vec![
                Val::Int(i as i64 + 1),
                Val::Text(format!(
                    "BL{}-{}-{:07}",
                    p.ma_tinh,
                    date(r.day).year(),
                    seq[slot]
                )),
                Val::Int(office.id),
                Val::Str(p.ma_tinh),
                Val::Int(i64::from(r.case) + 1),
                Val::Date(date(r.day)),
                Val::Int(r.amount),
                Val::Int(i64::from(electronic)),
                Val::Str(kenh),
                Val::Int(i64::from(signed)),
                Val::Str(if r.cancelled { "da_huy" } else { "hop_le" }),
            ],
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Case lookups for petitions and tasks.

/// Case indices (chronological) per office and per province.
struct CaseIndex {
    by_office: Vec<Vec<u32>>,
    by_province: Vec<Vec<u32>>,
}

impl CaseIndex {
    fn new(org: &Org, cases: &[CaseLite]) -> Self {
        let mut by_office = vec![Vec::new(); org.offices.len()];
        let mut by_province = vec![Vec::new(); PROVINCES.len()];
        for (i, c) in cases.iter().enumerate() {
            by_office[c.office as usize].push(i as u32);
            by_province[org.offices[c.office as usize].prov].push(i as u32);
        }
        CaseIndex {
            by_office,
            by_province,
        }
    }
}

/// A random case of `list` registered on or before `day`.
fn case_before(rng: &mut Rng, list: &[u32], cases: &[CaseLite], day: Day) -> Option<u32> {
    let n = list.partition_point(|&i| cases[i as usize].day <= day);
    if n == 0 {
        return None;
    }
    Some(list[rng.below(n as u64) as usize])
}

// ---------------------------------------------------------------------------------------------
// Petitions: don_thu.

fn emit_don_thu<S: Sink>(
    sink: &mut S,
    rng: &mut Rng,
    ctx: &Ctx,
    org: &Org,
    cases: &[CaseLite],
    index: &CaseIndex,
) -> Result<(), S::Error> {
    let span = (ctx.as_of - OPENING + 1).max(0);
    let n = ctx.count(PETITIONS_PER_YEAR * f64::from(span) / 365.25);
    sink.expect(Table::DonThu, n as u64);
    // Kind and deadline first. Petitions arrive up to as-of; their deadline may lie ahead
    // (a deadline is not an event, so it may follow as-of).
    let mut drafts: Vec<(Day, &'static str, Day)> = (0..n)
        .map(|_| {
            let loai = ["khieu_nai", "to_cao", "kien_nghi"][rng.weighted(&[75.0, 8.0, 17.0])];
            let limit = match loai {
                "to_cao" => 30,
                "khieu_nai" if rng.chance(0.3) => 30,
                _ => 15,
            };
            let from = OPENING.min(ctx.as_of - 30);
            let latest = ctx.as_of.max(from);
            let received = ctx
                .cal
                .next_working(from + rng.int(0, i64::from(latest - from)) as Day);
            (received.min(latest), loai, limit)
        })
        .collect();
    drafts.sort_by_key(|d| d.0);
    for (i, &(received, loai, limit)) in drafts.iter().enumerate() {
        sink.row(
            Table::DonThu,
            petition_row(
                rng,
                ctx,
                org,
                cases,
                index,
                i as i64 + 1,
                received,
                loai,
                limit,
            ),
        )?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn petition_row(
    rng: &mut Rng,
    ctx: &Ctx,
    org: &Org,
    cases: &[CaseLite],
    index: &CaseIndex,
    id: i64,
    received: Day,
    loai: &'static str,
    limit: Day,
) -> Vec<Val> {
    let at_cuc = rng.chance(0.03);
    let office = org.office_pick.sample(rng);
    let (unit, ma_tinh, viec) = if at_cuc {
        (1, Val::Null, Val::Null)
    } else {
        let o = &org.offices[office];
        let viec = if rng.chance(0.6) {
            case_before(rng, &index.by_office[office], cases, received)
                .map_or(Val::Null, |c| Val::Int(i64::from(c) + 1))
        } else {
            Val::Null
        };
        (o.id, Val::Str(PROVINCES[o.prov].ma_tinh), viec)
    };
    let kenh = if received >= LAUNCH {
        ["truc_tiep", "buu_dien", "vneid", "qr"][rng.weighted(&[30.0, 25.0, 25.0, 20.0])]
    } else {
        ["truc_tiep", "buu_dien"][rng.weighted(&[50.0, 50.0])]
    };
    let due = received + limit;
    let u = rng.f64();
    let (planned, forwarded) = if u < 0.05 {
        (received + rng.int(1, 5) as Day, true)
    } else if u < 0.05 + 0.85 * 0.95 {
        (received + rng.int(2, i64::from(limit)) as Day, false)
    } else {
        (due + rng.int(1, 30) as Day, false)
    };
    let (trang_thai, solved) = if planned <= ctx.as_of {
        (
            if forwarded {
                "chuyen_don"
            } else {
                "da_giai_quyet"
            },
            if forwarded { None } else { Some(planned) },
        )
    } else if ctx.as_of - received < 5 || rng.chance(0.15) {
        ("moi", None)
    } else {
        ("dang_giai_quyet", None)
    };
    let ket_qua = if solved.is_some() && loai != "kien_nghi" {
        Val::Str(["dung", "dung_mot_phan", "sai"][rng.weighted(&[15.0, 20.0, 65.0])])
    } else {
        Val::Null
    };
    vec![
        Val::Int(id),
        Val::Int(unit),
        ma_tinh,
        viec,
        Val::Str(loai),
        Val::Str(kenh),
        Val::Date(date(received)),
        Val::Date(date(due)),
        opt_date(solved),
        Val::Str(trang_thai),
        ket_qua,
    ]
}

// ---------------------------------------------------------------------------------------------
// Targets: chi_tieu.

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn emit_chi_tieu<S: Sink>(sink: &mut S, rng: &mut Rng, org: &Org) -> Result<(), S::Error> {
    const YEARS: [(i64, f64, f64); 3] = [
        (2025, 83.90, 51.90),
        (2026, 84.00, 52.00),
        (2027, 84.00, 52.00),
    ];
    sink.expect(Table::ChiTieu, (YEARS.len() * (PROVINCES.len() + 1)) as u64);
    for (year, viec, tien) in YEARS {
        sink.row(
            Table::ChiTieu,
            vec![Val::Int(year), Val::Int(1), Val::Num(viec), Val::Num(tien)],
        )?;
        for &o in &org.prov_office {
            let v = round2(viec + rng.uniform(-2.0, 2.0));
            let t = round2(tien + rng.uniform(-2.0, 2.0));
            sink.row(
                Table::ChiTieu,
                vec![
                    Val::Int(year),
                    Val::Int(org.offices[o].id),
                    Val::Num(v),
                    Val::Num(t),
                ],
            )?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Tasks: nhiem_vu, nhiem_vu_viec.

/// One generated task and the cases it links.
struct Task {
    row: Vec<Val>,
    cases: Vec<u32>,
}

/// Formats a date as dd/mm (Vietnamese order).
fn dd_mm(d: Day) -> String {
    let dt = date(d);
    format!("{:02}/{:02}", dt.day(), dt.month())
}

fn emit_nhiem_vu<S: Sink>(
    sink: &mut S,
    rng: &mut Rng,
    ctx: &Ctx,
    org: &Org,
    staff: &[Staff],
    cases: &[CaseLite],
    index: &CaseIndex,
) -> Result<(), S::Error> {
    let span = (ctx.as_of - OPENING + 1).max(1);
    let n = ((TASKS_PER_YEAR * ctx.scale * f64::from(span) / 365.25).round() as usize).max(6);
    // Tasks are given up to as-of; open ones have deadlines ahead of it.
    let mut drafts: Vec<(Day, Day)> = (0..n)
        .map(|_| {
            let length = rng.int(7, 45) as Day;
            let from = OPENING.min(ctx.as_of - 60);
            let latest = ctx.as_of.max(from);
            let given = ctx
                .cal
                .prev_working(from + rng.int(0, i64::from(latest - from)) as Day);
            (given.max(from).min(latest), length)
        })
        .collect();
    drafts.sort_by_key(|d| d.0);
    let tasks: Vec<Task> = drafts
        .iter()
        .enumerate()
        .map(|(i, &(given, length))| {
            let due = ctx.cal.prev_working(given + length).max(given);
            make_task(rng, ctx, org, staff, cases, index, i as i64 + 1, given, due)
        })
        .collect();
    sink.expect(Table::NhiemVu, tasks.len() as u64);
    let links: usize = tasks.iter().map(|t| t.cases.len()).sum();
    for t in &tasks {
        sink.row(Table::NhiemVu, t.row.clone())?;
    }
    sink.expect(Table::NhiemVuViec, links as u64);
    for (i, t) in tasks.iter().enumerate() {
        for &c in &t.cases {
            sink.row(
                Table::NhiemVuViec,
                vec![Val::Int(i as i64 + 1), Val::Int(i64::from(c) + 1)],
            )?;
        }
    }
    Ok(())
}

/// Title, content and original command of a task for `unit` (its name) and `n` cases.
fn task_text(action: &str, unit: &str, n: i64, due: Day) -> (String, String, String) {
    let due = dd_mm(due);
    match action {
        "ra_soat" => (
            format!("Rà soát {n} việc tồn đọng lâu nhất"),
            format!("Rà soát, phân loại {n} việc thi hành án tồn đọng lâu nhất, đề xuất biện pháp giải quyết dứt điểm."),
            format!("Giao {unit} rà soát {n} việc tồn đọng lâu nhất, báo cáo trước {due}"),
        ),
        "bao_cao" => (
            "Báo cáo kết quả thu hồi tiền án tín dụng".to_string(),
            "Báo cáo kết quả thi hành các việc có người được thi hành án là tổ chức tín dụng.".to_string(),
            format!("Yêu cầu {unit} báo cáo kết quả thu hồi tiền án tín dụng trước {due}"),
        ),
        "xu_ly" => (
            "Giải quyết dứt điểm đơn khiếu nại quá hạn".to_string(),
            "Giải quyết dứt điểm các đơn khiếu nại đã quá hạn giải quyết.".to_string(),
            format!("Yêu cầu {unit} giải quyết dứt điểm đơn khiếu nại quá hạn trước {due}"),
        ),
        "kiem_tra" => (
            "Kiểm tra việc ký số quyết định".to_string(),
            "Kiểm tra việc ký số các quyết định thi hành án ban hành từ ngày vận hành nền tảng số.".to_string(),
            format!("Kiểm tra việc ký số quyết định tại {unit}, hạn {due}"),
        ),
        "doi_chieu" => (
            "Đối chiếu số liệu biên lai".to_string(),
            "Đối chiếu số liệu biên lai điện tử với sổ kế toán, báo cáo chênh lệch.".to_string(),
            format!("Giao {unit} đối chiếu số liệu biên lai, xong trước {due}"),
        ),
        _ => (
            "Xác minh lại các việc chưa có điều kiện quá 6 tháng".to_string(),
            "Xác minh lại điều kiện thi hành án của các việc chưa có điều kiện đã quá 6 tháng.".to_string(),
            format!("Đôn đốc {unit} xác minh lại các việc chưa có điều kiện quá 6 tháng, hạn {due}"),
        ),
    }
}

#[allow(clippy::too_many_arguments)]
fn make_task(
    rng: &mut Rng,
    ctx: &Ctx,
    org: &Org,
    staff: &[Staff],
    cases: &[CaseLite],
    index: &CaseIndex,
    id: i64,
    given: Day,
    due: Day,
) -> Task {
    // 40 %: Cục → provincial office; 60 %: provincial head → own regional office.
    let office = org.office_pick.sample(rng);
    let prov = org.offices[office].prov;
    let from_cuc = rng.chance(0.4) || org.offices[office].provincial;
    let (unit_idx, giver) = if from_cuc {
        (org.prov_office[prov], rng.pick(&org.cuc_leaders))
    } else {
        (
            office,
            Some(org.offices[org.prov_office[prov]].head).filter(|&h| h > 0),
        )
    };
    let unit = &org.offices[unit_idx];
    let action = [
        "ra_soat",
        "bao_cao",
        "xu_ly",
        "kiem_tra",
        "doi_chieu",
        "khac",
    ][rng.weighted(&[35.0, 20.0, 20.0, 10.0, 10.0, 5.0])];
    let n = [10i64, 20, 30, 50][rng.below(4) as usize];
    let (tieu_de, noi_dung, cau_hoi) = task_text(action, unit.name.as_str(), n, due);
    let ma_tinh = PROVINCES[prov].ma_tinh;
    let (so_luong, pham_vi, linked) = if action == "ra_soat" {
        let (filter, list) = if unit.provincial {
            (format!("ma_tinh='{ma_tinh}'"), &index.by_province[prov])
        } else {
            (format!("don_vi_id={}", unit.id), &index.by_office[unit_idx])
        };
        let sql = format!(
            "SELECT id FROM viec_thi_hanh WHERE {filter} AND trang_thai NOT IN ('xong','dinh_chi','uy_thac') ORDER BY ngay_thu_ly, id LIMIT {n}"
        );
        let linked: Vec<u32> = list
            .iter()
            .copied()
            .filter(|&c| !cases[c as usize].state.terminal() && cases[c as usize].day <= given)
            .take(n as usize)
            .collect();
        (
            Val::Int(n),
            Val::Text(format!(
                "{{\"doi_tuong\":\"viec_thi_hanh\",\"sql\":\"{sql}\"}}"
            )),
            linked,
        )
    } else {
        (Val::Null, Val::Null, Vec::new())
    };
    let (trang_thai, tien_do, done) = task_status(rng, ctx, given, due);
    let giver = giver.filter(|&g| g as usize <= staff.len());
    let row = vec![
        Val::Int(id),
        Val::Text(tieu_de),
        Val::Text(noi_dung),
        Val::Str(action),
        Val::Int(unit.id),
        giver.map_or(Val::Null, Val::Int),
        Val::Date(date(given)),
        Val::Date(date(due)),
        Val::Str(trang_thai),
        Val::Int(tien_do),
        opt_date(done),
        so_luong,
        pham_vi,
        Val::Text(cau_hoi),
    ];
    Task { row, cases: linked }
}

/// Status, progress and completion date at as-of; about a quarter of all tasks are overdue.
fn task_status(rng: &mut Rng, ctx: &Ctx, given: Day, due: Day) -> (&'static str, i64, Option<Day>) {
    if rng.chance(0.03) {
        return ("huy", rng.int(0, 50), None);
    }
    let past_due = due < ctx.as_of;
    let p_done = if past_due { 0.73 } else { 0.25 };
    if rng.chance(p_done) {
        let latest = (due + 10).min(ctx.as_of);
        let done = given + rng.int(1, i64::from((latest - given).max(1))) as Day;
        return ("hoan_thanh", 100, Some(done.min(ctx.as_of)));
    }
    if rng.chance(0.2) {
        ("moi", 0, None)
    } else {
        ("dang_thuc_hien", rng.int(10, 90), None)
    }
}

// ---------------------------------------------------------------------------------------------
// Calendar table: lich.

fn emit_lich<S: Sink>(sink: &mut S, cal: &Calendar) -> Result<(), S::Error> {
    sink.expect(Table::Lich, (CAL_LAST - CAL_FIRST + 1) as u64);
    for d in CAL_FIRST..=CAL_LAST {
        let dt = date(d);
        let k = (d - CAL_FIRST) as usize;
        let quarter = (dt.month() - 1) / 3 + 1;
        sink.row(
            Table::Lich,
            vec![
                Val::Date(dt),
                Val::Int(i64::from(dt.year())),
                Val::Text(format!("{}-{:02}", dt.year(), dt.month())),
                Val::Text(format!("{}-Q{quarter}", dt.year())),
                Val::Int(i64::from(iso_weekday(d))),
                Val::Int(i64::from(cal.working[k])),
                holiday_name(dt.year(), dt.month(), dt.day()).map_or(Val::Null, Val::Str),
                Val::Int(i64::from(d)),
                Val::Int(i64::from(cal.cumulative[k])),
                Val::Int(i64::from(stat_year(d))),
            ],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;
    use std::collections::{BTreeMap, BTreeSet};
    use std::hash::{Hash, Hasher};

    fn params(seed: u64, scale: f64) -> Params {
        Params {
            seed,
            as_of: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            scale,
        }
    }

    /// Hashes every row (table name + Debug of the values) in emission order.
    struct HashSink {
        hasher: DefaultHasher,
        rows: u64,
    }

    impl Sink for HashSink {
        type Error = std::convert::Infallible;
        fn expect(&mut self, table: Table, rows: u64) {
            (table.name(), rows).hash(&mut self.hasher);
        }
        fn row(&mut self, table: Table, values: Vec<Val>) -> Result<(), Self::Error> {
            table.name().hash(&mut self.hasher);
            format!("{values:?}").hash(&mut self.hasher);
            self.rows += 1;
            Ok(())
        }
    }

    fn digest(p: &Params) -> (u64, u64) {
        let mut sink = HashSink {
            hasher: DefaultHasher::new(),
            rows: 0,
        };
        generate(p, &mut sink).unwrap();
        (sink.hasher.finish(), sink.rows)
    }

    #[test]
    fn same_params_give_identical_output() {
        let a = digest(&params(42, 0.002));
        let b = digest(&params(42, 0.002));
        assert_eq!(a, b);
        let c = digest(&params(43, 0.002));
        assert_ne!(a.0, c.0);
    }

    /// Collects rows per table, checking expect-before-rows and parent-before-child order.
    #[derive(Default)]
    struct Collect {
        tables: BTreeMap<&'static str, Vec<Vec<Val>>>,
        expected: BTreeSet<&'static str>,
        order: Vec<&'static str>,
    }

    impl Sink for Collect {
        type Error = String;
        fn expect(&mut self, table: Table, _rows: u64) {
            assert!(
                self.expected.insert(table.name()),
                "expect called twice for {}",
                table.name()
            );
        }
        fn row(&mut self, table: Table, values: Vec<Val>) -> Result<(), String> {
            assert!(
                self.expected.contains(table.name()),
                "row before expect: {}",
                table.name()
            );
            assert_eq!(
                values.len(),
                table.columns().len(),
                "arity of {}",
                table.name()
            );
            for (v, c) in values.iter().zip(table.columns()) {
                assert!(
                    c.nullable || *v != Val::Null,
                    "{}.{} is NULL",
                    table.name(),
                    c.name
                );
            }
            if self.order.last() != Some(&table.name()) {
                assert!(
                    !self.order.contains(&table.name()),
                    "{} emitted in two runs",
                    table.name()
                );
                self.order.push(table.name());
            }
            self.tables.entry(table.name()).or_default().push(values);
            Ok(())
        }
    }

    fn int(v: &Val) -> i64 {
        match v {
            Val::Int(x) => *x,
            other => panic!("not an int: {other:?}"),
        }
    }

    fn text(v: &Val) -> &str {
        match v {
            Val::Str(s) => s,
            Val::Text(s) => s.as_str(),
            other => panic!("not text: {other:?}"),
        }
    }

    fn day(v: &Val) -> Option<NaiveDate> {
        match v {
            Val::Date(d) => Some(*d),
            Val::Null => None,
            other => panic!("not a date: {other:?}"),
        }
    }

    fn collect(p: &Params) -> Collect {
        let mut sink = Collect::default();
        generate(p, &mut sink).unwrap();
        sink
    }

    fn assert_dense_ids(rows: &[Vec<Val>], name: &str) {
        for (i, r) in rows.iter().enumerate() {
            assert_eq!(int(&r[0]), i as i64 + 1, "ids of {name}");
        }
    }

    #[test]
    fn invariants_hold_at_small_scale() {
        let p = params(7, 0.002);
        let data = collect(&p);
        let order: Vec<&str> = Table::ALL.iter().map(|t| t.name()).collect();
        assert_eq!(data.order, order);
        let t = |name: &str| data.tables.get(name).map(Vec::as_slice).unwrap_or(&[]);
        for name in [
            "don_vi",
            "can_bo",
            "viec_thi_hanh",
            "duong_su",
            "quyet_dinh",
            "bien_lai",
            "don_thu",
            "nhiem_vu",
        ] {
            assert!(!t(name).is_empty(), "{name} is empty");
            assert_dense_ids(t(name), name);
        }
        // No date after as-of (lich covers the calendar up to 2030 by design).
        for (name, rows) in &data.tables {
            if *name == "lich" {
                continue;
            }
            let cols = Table::from_name(name).expect("table").columns();
            for r in rows {
                for (v, col) in r.iter().zip(cols) {
                    let deadline = matches!(col.name, "han_giai_quyet" | "han_hoan_thanh");
                    if let (Val::Date(d), false) = (v, deadline) {
                        assert!(*d <= p.as_of, "{name}.{}: {d} after as-of", col.name);
                    }
                }
            }
        }
        let units: BTreeMap<i64, Option<String>> = t("don_vi")
            .iter()
            .map(|r| {
                (
                    int(&r[0]),
                    if r[5] == Val::Null {
                        None
                    } else {
                        Some(text(&r[5]).to_string())
                    },
                )
            })
            .collect();
        assert_eq!(units.len(), 390);
        let staff: BTreeMap<i64, (i64, i64)> = t("can_bo")
            .iter()
            .map(|r| (int(&r[0]), (int(&r[3]), int(&r[4]))))
            .collect();
        for unit in units.keys().filter(|&&u| u > 1) {
            let chv = staff.values().filter(|(c, u)| *c == 1 && u == unit).count();
            assert!(chv >= 2, "unit {unit} has {chv} CHV");
        }
        let mut paid = BTreeMap::new();
        for r in t("viec_thi_hanh") {
            let id = int(&r[0]);
            let ma_tinh = text(&r[3]).to_string();
            assert_eq!(units[&int(&r[2])].as_deref(), Some(ma_tinh.as_str()));
            if let Val::Int(chv) = r[4] {
                let (is_chv, unit) = staff[&chv];
                assert_eq!(is_chv, 1);
                assert_eq!(units[&unit].as_deref(), Some(ma_tinh.as_str()));
            }
            let thu_ly = day(&r[7]).unwrap();
            let qd = day(&r[8]);
            let xm = day(&r[9]);
            let end = day(&r[14]);
            let state = text(&r[11]);
            assert!(qd.is_none_or(|q| q >= thu_ly));
            assert!(xm.is_none() || qd.is_some_and(|q| xm.unwrap() >= q));
            assert!(end.is_none_or(|e| e >= thu_ly
                && qd.is_none_or(|q| e >= q)
                && xm.is_none_or(|x| e >= x)));
            assert_eq!(
                end.is_some(),
                ["xong", "dinh_chi", "uy_thac"].contains(&state),
                "case {id}"
            );
            assert_eq!(int(&r[10]) == 0, state == "chua_co_dieu_kien");
            assert_eq!(qd.is_none(), state == "cho_ra_quyet_dinh");
            let (phai, da) = (int(&r[12]), int(&r[13]));
            assert!(0 <= da && da <= phai);
            if state == "xong" {
                assert_eq!(da, phai);
            }
            assert_eq!(int(&r[15]), i64::from(stat_year(day_of(thu_ly))));
            paid.insert(id, (da, ma_tinh, qd));
        }
        let mut roles: BTreeMap<i64, (u32, u32)> = BTreeMap::new();
        for r in t("duong_su") {
            let e = roles.entry(int(&r[1])).or_default();
            match text(&r[2]) {
                "phai_thi_hanh" => e.0 += 1,
                "duoc_thi_hanh" => e.1 += 1,
                _ => {}
            }
        }
        assert_eq!(roles.len(), paid.len());
        assert!(roles.values().all(|&r| r == (1, 1)));
        let mut receipts: BTreeMap<i64, i64> = BTreeMap::new();
        let mut numbers = BTreeSet::new();
        for r in t("bien_lai") {
            let viec = int(&r[4]);
            let (_, ma_tinh, qd) = &paid[&viec];
            assert_eq!(text(&r[3]), ma_tinh);
            assert!(qd.is_some_and(|q| day(&r[5]).unwrap() >= q));
            let so = text(&r[1]).to_string();
            assert!(
                so.starts_with(&format!("BL{ma_tinh}-")) && so.len() == "BL79-2026-0001234".len(),
                "{so}"
            );
            assert!(numbers.insert(so));
            if text(&r[10]) == "hop_le" {
                *receipts.entry(viec).or_default() += int(&r[6]);
            }
        }
        for (viec, sum) in receipts {
            assert!(
                sum <= paid[&viec].0,
                "receipts of case {viec} exceed the amount paid"
            );
        }
        for r in t("quyet_dinh") {
            assert!(int(&r[1]) as usize <= paid.len());
            assert!(text(&r[3]).ends_with("/QĐ-THADS"));
        }
        for r in t("don_thu") {
            assert_eq!(day(&r[8]).is_some(), text(&r[9]) == "da_giai_quyet");
        }
        for r in t("nhiem_vu") {
            assert_eq!(day(&r[10]).is_some(), text(&r[8]) == "hoan_thanh");
        }
        let lich = t("lich");
        assert_eq!(lich.len(), 7670);
        for w in lich.windows(2) {
            assert_eq!(
                day(&w[1][0]).unwrap() - day(&w[0][0]).unwrap(),
                chrono::Duration::days(1)
            );
            assert!(int(&w[1][8]) >= int(&w[0][8]));
        }
        assert_eq!(t("chi_tieu").len(), 105);
    }

    fn lich_row(data: &Collect, y: i32, m: u32, d: u32) -> Vec<Val> {
        let target = NaiveDate::from_ymd_opt(y, m, d).unwrap();
        data.tables["lich"]
            .iter()
            .find(|r| day(&r[0]) == Some(target))
            .cloned()
            .unwrap()
    }

    #[test]
    fn calendar_facts() {
        let data = collect(&params(1, 0.0005));
        let first = lich_row(&data, 2010, 1, 1);
        assert_eq!(int(&first[7]), 3653);
        assert_eq!(int(&first[5]), 0); // New Year
        assert_eq!(int(&first[8]), 0);
        for (y, m, d) in [
            (2025, 1, 27),
            (2025, 4, 7),
            (2026, 2, 16),
            (2026, 4, 27),
            (2026, 9, 1),
            (2027, 2, 4),
        ] {
            let r = lich_row(&data, y, m, d);
            assert_eq!(int(&r[5]), 0, "{y}-{m}-{d} should be a holiday");
            assert!(r[6] != Val::Null);
        }
        let friday = lich_row(&data, 2026, 11, 20);
        assert_eq!(int(&friday[4]), 5);
        assert_eq!(int(&friday[5]), 1);
        assert_eq!(text(&friday[2]), "2026-11");
        assert_eq!(text(&friday[3]), "2026-Q4");
        assert_eq!(int(&friday[9]), 2027);
        assert_eq!(int(&lich_row(&data, 2025, 9, 30)[9]), 2025);
        assert_eq!(int(&lich_row(&data, 2024, 10, 1)[9]), 2025);
        let sat = lich_row(&data, 2026, 11, 21);
        assert_eq!((int(&sat[4]), int(&sat[5])), (6, 0));
        // Years outside 2024–2027 keep the fixed-date holidays.
        assert_eq!(text(&lich_row(&data, 2030, 9, 2)[6]), "Quốc khánh");
        assert_eq!(
            day_of(NaiveDate::from_ymd_opt(2024, 10, 1).unwrap()),
            OPENING
        );
        assert_eq!(
            day_of(NaiveDate::from_ymd_opt(2025, 7, 1).unwrap()),
            E_RECEIPTS
        );
        assert_eq!(
            day_of(NaiveDate::from_ymd_opt(2025, 12, 12).unwrap()),
            LAUNCH
        );
        assert_eq!(day_of(NaiveDate::from_ymd_opt(2012, 1, 1).unwrap()), OLDEST);
        assert_eq!(
            day_of(NaiveDate::from_ymd_opt(2030, 12, 31).unwrap()),
            CAL_LAST
        );
    }

    #[test]
    fn working_day_arithmetic_skips_tet() {
        let cal = Calendar::new();
        // Friday 2025-01-24 + 1 working day = Monday 2025-02-03 (Tết 25/1–2/2).
        assert_eq!(cal.add_working(ymd(2025, 1, 24), 1), ymd(2025, 2, 3));
        assert_eq!(cal.next_working(ymd(2026, 11, 21)), ymd(2026, 11, 23));
        assert_eq!(cal.prev_working(ymd(2026, 11, 22)), ymd(2026, 11, 20));
    }

    #[test]
    fn names_without_diacritics() {
        assert_eq!(
            khong_dau("Phòng Thi hành án dân sự khu vực 5 - Đắk Lắk"),
            "Phong Thi hanh an dan su khu vuc 5 - Dak Lak"
        );
        assert_eq!(khong_dau(CUC_NAME), "Cuc Quan ly thi hanh an dan su");
    }

    /// K4 of statistical year `y` (DOMAIN.md §4) over the generated cases.
    fn k4(data: &Collect, y: i32, as_of: NaiveDate) -> f64 {
        let s = NaiveDate::from_ymd_opt(y - 1, 10, 1).unwrap();
        let d = NaiveDate::from_ymd_opt(y, 9, 30).unwrap().min(as_of);
        let (mut c, mut x) = (0u64, 0u64);
        for r in &data.tables["viec_thi_hanh"] {
            let state = text(&r[11]);
            let end = day(&r[14]);
            if state == "uy_thac"
                || day(&r[7]).unwrap() > d
                || end.is_some_and(|e| e < s)
                || int(&r[10]) == 0
            {
                continue;
            }
            c += 1;
            if matches!(state, "xong" | "dinh_chi") && end.is_some_and(|e| e >= s && e <= d) {
                x += 1;
            }
        }
        100.0 * x as f64 / c as f64
    }

    #[test]
    fn completion_rate_is_calibrated() {
        let p = params(11, 0.02);
        let data = collect(&p);
        let rate = k4(&data, 2025, p.as_of);
        assert!((83.0..=86.0).contains(&rate), "K4(2025) = {rate:.2}");
        let rate = k4(&data, 2026, p.as_of);
        assert!((82.5..=86.5).contains(&rate), "K4(2026) = {rate:.2}");
    }
}
