//! `ioc simulate`: a client that sends a realistic event stream to a running server.
//!
//! It reads the open cases, offices and provinces from the store (read-only), then posts
//! batches to `POST /api/events` at a fixed rate until Ctrl-C or `--count` events. The stream
//! follows the state machine of DOMAIN.md §3 (new cases, QĐ THA, verification, payments with
//! receipts, measures, hoãn/tiếp tục, đình chỉ, ủy thác, xong, petitions), picks provinces in
//! proportion to population × urban factor, and dates events with a compressed clock that
//! starts at the data's as-of date and only runs in office hours on working days.

use super::BatchAck;
use crate::store::Store;
use chrono::{Datelike, NaiveDate, Weekday};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Failures of `ioc simulate`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("the database holds no offices; run `ioc seed` first")]
    NoData,
    #[error("no ingest token: pass --token or set IOC_INGEST_TOKEN")]
    NoToken,
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    #[error("the server refuses the token (401); check --token / IOC_INGEST_TOKEN")]
    Unauthorized,
    #[error("ingest is disabled on the server (503): {0}")]
    Disabled(String),
}

/// What to send, and how fast.
#[derive(Debug, Clone)]
pub struct Options {
    /// Server base URL, e.g. `http://127.0.0.1:3000`.
    pub url: String,
    pub token: String,
    /// Events per second.
    pub rate: f64,
    /// Stop after this many events (default: until Ctrl-C).
    pub count: Option<u64>,
    /// Events per request.
    pub batch: usize,
    pub seed: u64,
    /// Simulated events per working day (sets how fast the simulated calendar runs).
    pub events_per_day: f64,
}

/// What a run sent and how the server answered.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub sent: u64,
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub failed_requests: u64,
    pub latencies_ms: Vec<f64>,
    pub elapsed: Duration,
    pub last_day: Option<NaiveDate>,
}

impl Summary {
    fn percentile(&self, p: f64) -> f64 {
        let mut v = self.latencies_ms.clone();
        v.sort_by(f64::total_cmp);
        if v.is_empty() {
            return f64::NAN;
        }
        let i = ((v.len() - 1) as f64 * p).round() as usize;
        v[i.min(v.len() - 1)]
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        write!(
            f,
            "sent {} events in {:.1} s ({:.1}/s): accepted {}, duplicates {}, rejected {}, failed requests {}; \
             latency p50 {:.1} ms, p95 {:.1} ms over {} requests; simulated up to {}",
            self.sent,
            secs,
            self.sent as f64 / secs,
            self.accepted,
            self.duplicates,
            self.rejected,
            self.failed_requests,
            self.percentile(0.5),
            self.percentile(0.95),
            self.latencies_ms.len(),
            self.last_day.map_or_else(|| "-".to_string(), |d| d.to_string()),
        )
    }
}

/// A small deterministic generator over ChaCha8.
struct Rng(ChaCha8Rng);

impl Rng {
    fn f64(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }
    fn below(&mut self, n: usize) -> usize {
        ((self.f64() * n as f64) as usize).min(n.saturating_sub(1))
    }
    fn weighted(&mut self, w: &[f64]) -> usize {
        let total: f64 = w.iter().sum();
        let mut x = self.f64() * total;
        for (i, wi) in w.iter().enumerate() {
            if x < *wi {
                return i;
            }
            x -= wi;
        }
        w.len().saturating_sub(1)
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.f64().max(1e-12), self.f64());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }
}

/// An open case as the simulator tracks it.
#[derive(Debug, Clone)]
struct SimCase {
    ma_viec: String,
    state: &'static str,
    left: i64,
}

/// An office where cases are registered.
#[derive(Debug, Clone)]
struct Office {
    ma: String,
    ma_tinh: String,
    provincial: bool,
}

/// The compressed calendar: minutes of office time, working days only.
struct Clock {
    day: NaiveDate,
    /// The clock never passes this day.
    last: NaiveDate,
    minute: f64,
    step: f64,
}

const DAY_START: f64 = 7.5 * 60.0;
const DAY_END: f64 = 17.0 * 60.0;

impl Clock {
    fn working(d: NaiveDate) -> bool {
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// Relative activity at a minute of the day: peaks mid-morning and mid-afternoon.
    fn intensity(minute: f64) -> f64 {
        let h = minute / 60.0;
        if (11.5..13.0).contains(&h) {
            0.25
        } else if (9.0..11.0).contains(&h) || (14.0..16.0).contains(&h) {
            1.3
        } else {
            0.9
        }
    }

    /// Advances to the next event's time and returns its date.
    fn tick(&mut self, rng: &mut Rng) -> NaiveDate {
        let gap = -self.step * (1.0 - rng.f64()).max(1e-12).ln() / Self::intensity(self.minute);
        self.minute += gap;
        while self.minute >= DAY_END || !Self::working(self.day) {
            match self.day.succ_opt().filter(|next| *next <= self.last) {
                Some(next) => self.day = next,
                // At the last accepted day: stay on the last working day up to it.
                None => {
                    while !Self::working(self.day) {
                        match self.day.pred_opt() {
                            Some(d) => self.day = d,
                            None => break,
                        }
                    }
                    self.minute = DAY_START;
                    break;
                }
            }
            self.minute = DAY_START + (self.minute - DAY_END).clamp(0.0, 60.0);
        }
        self.day
    }
}

/// Everything read from the store at start.
struct World {
    offices: Vec<Office>,
    province_weight: HashMap<String, f64>,
    provinces: Vec<String>,
    cases: HashMap<String, Vec<SimCase>>,
    start: NaiveDate,
    /// The last day the server accepts ([`super::events::latest_date`]).
    last: NaiveDate,
}

macro_rules! fetch_all {
    ($store:expr, $ty:ty, $sql:expr) => {
        match $store {
            Store::Sqlite(pool) => sqlx::query_as::<_, $ty>($sql).fetch_all(pool).await?,
            Store::Postgres(pool) => sqlx::query_as::<_, $ty>($sql).fetch_all(pool).await?,
        }
    };
}

/// Cases loaded into memory at most (the most recent open ones).
const MAX_CASES: i64 = 50_000;

async fn load(store: &Store) -> Result<World, Error> {
    let units: Vec<(String, String, String, i64)> = fetch_all!(
        store,
        (String, String, String, i64),
        "SELECT d.ma, d.cap, d.ma_tinh, CAST(t.dan_so AS BIGINT) FROM don_vi d \
         JOIN tinh t ON t.ma_tinh = d.ma_tinh WHERE d.cap IN ('tinh', 'khu_vuc') ORDER BY d.id"
    );
    if units.is_empty() {
        return Err(Error::NoData);
    }
    let mut province_weight = HashMap::new();
    for (_, _, ma_tinh, dan_so) in &units {
        // DOMAIN.md §5: share ∝ population × urban factor.
        let urban = match ma_tinh.as_str() {
            "79" => 1.35,
            "01" => 1.2,
            "31" | "48" | "92" => 1.1,
            _ => 1.0,
        };
        province_weight.insert(ma_tinh.clone(), *dan_so as f64 * urban);
    }
    let mut provinces: Vec<String> = province_weight.keys().cloned().collect();
    provinces.sort();
    let offices = units
        .into_iter()
        .map(|(ma, cap, ma_tinh, _)| Office {
            ma,
            ma_tinh,
            provincial: cap == "tinh",
        })
        .collect();
    let rows: Vec<(String, String, String, i64, i64)> = fetch_all!(
        store,
        (String, String, String, i64, i64),
        &format!(
            "SELECT ma_viec, ma_tinh, trang_thai, CAST(so_tien_phai_thi_hanh AS BIGINT), \
             CAST(so_tien_da_thi_hanh AS BIGINT) FROM viec_thi_hanh \
             WHERE trang_thai NOT IN ('xong', 'dinh_chi', 'uy_thac') ORDER BY id DESC LIMIT {MAX_CASES}"
        )
    );
    let mut cases: HashMap<String, Vec<SimCase>> = HashMap::new();
    for (ma_viec, ma_tinh, state, phai, da) in rows {
        let Some(state) = queries::schema::trang_thai::ALL
            .iter()
            .find(|s| **s == state)
            .copied()
        else {
            continue;
        };
        cases.entry(ma_tinh).or_default().push(SimCase {
            ma_viec,
            state,
            left: phai - da,
        });
    }
    // Start after every date already stored, so no event is dated before its case's history.
    let dates: Vec<(Option<String>,)> = fetch_all!(
        store,
        (Option<String>,),
        "SELECT gia_tri FROM app_meta WHERE khoa = 'as_of' \
         UNION ALL SELECT CAST(MAX(ngay_ky) AS TEXT) FROM quyet_dinh \
         UNION ALL SELECT CAST(MAX(ngay_thu) AS TEXT) FROM bien_lai \
         UNION ALL SELECT CAST(MAX(ngay_ket_thuc) AS TEXT) FROM viec_thi_hanh \
         UNION ALL SELECT CAST(MAX(ngay_xac_minh) AS TEXT) FROM viec_thi_hanh \
         UNION ALL SELECT CAST(MAX(ngay_nhan) AS TEXT) FROM don_thu"
    );
    let dates: Vec<Option<NaiveDate>> = dates
        .into_iter()
        .map(|(d,)| {
            d.and_then(|d| NaiveDate::parse_from_str(d.get(..10).unwrap_or(&d), "%Y-%m-%d").ok())
        })
        .collect();
    let today = chrono::Utc::now().date_naive();
    let start = dates.iter().flatten().copied().max().unwrap_or(today);
    // The server refuses dates past this: the simulated calendar stops there (its last day
    // then takes every further event).
    let last = super::events::latest_date(dates.first().copied().flatten(), today);
    Ok(World {
        offices,
        province_weight,
        provinces,
        cases,
        start,
        last,
    })
}

const LOAI_AN: [(&str, f64, f64, f64); 8] = [
    // (code, share %, median amount, sigma) — DOMAIN.md §5
    ("hs", 40.0, 6e6, 1.9),
    ("ds", 32.0, 80e6, 1.6),
    ("hngd", 14.0, 40e6, 1.5),
    ("kdtm", 9.0, 1.2e9, 1.9),
    ("ld", 1.5, 60e6, 1.2),
    ("hc", 1.0, 50e6, 1.5),
    ("ps", 0.3, 15e9, 1.6),
    ("khac", 2.2, 300e6, 2.0),
];
const CHU_DONG: [f64; 8] = [0.85, 0.35, 0.30, 0.25, 0.20, 0.50, 0.40, 0.30];
const HO: [&str; 8] = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"];
const TEN: [&str; 8] = ["An", "Bình", "Chi", "Dũng", "Hà", "Lan", "Minh", "Tâm"];

/// Builds events one at a time, tracking the state it assumes the server now has.
struct Generator {
    rng: Rng,
    world: World,
    clock: Clock,
    run: String,
    n: u64,
    qd: u64,
    pending_complaints: Vec<(String, &'static str)>,
}

impl Generator {
    fn next_id(&mut self) -> String {
        self.n += 1;
        format!("sim-{}-{}", self.run, self.n)
    }

    fn province(&mut self) -> String {
        let w: Vec<f64> = self
            .world
            .provinces
            .iter()
            .map(|p| self.world.province_weight.get(p).copied().unwrap_or(0.0))
            .collect();
        let i = self.rng.weighted(&w);
        self.world.provinces.get(i).cloned().unwrap_or_default()
    }

    fn so_qd(&mut self) -> String {
        self.qd += 1;
        format!("{}/QĐ-SIM{}", self.qd, self.run)
    }

    fn name(&mut self) -> String {
        let h = HO[self.rng.below(HO.len())];
        let t = TEN[self.rng.below(TEN.len())];
        format!("{h} Văn {t}")
    }

    fn new_case(&mut self, id: String, day: NaiveDate, ma_tinh: &str) -> Option<Value> {
        let offices: Vec<&Office> = self
            .world
            .offices
            .iter()
            .filter(|o| o.ma_tinh == ma_tinh)
            .collect();
        let w: Vec<f64> = offices
            .iter()
            .map(|o| {
                if o.provincial {
                    0.08 * offices.len() as f64
                } else {
                    1.0
                }
            })
            .collect();
        let office = offices.get(self.rng.weighted(&w))?.ma.clone();
        let shares: Vec<f64> = LOAI_AN.iter().map(|l| l.1).collect();
        let k = self.rng.weighted(&shares);
        let (loai, _, median, sigma) = LOAI_AN[k];
        let amount = ((self.rng.lognormal(median, sigma) / 1000.0).round() as i64 * 1000).max(0);
        let chu_dong = self.rng.chance(CHU_DONG[k]);
        let debtor = self.name();
        let creditor = if chu_dong {
            json!({"loai": "nha_nuoc", "ho_ten": "Nhà nước"})
        } else {
            json!({"loai": "ca_nhan", "ho_ten": self.name()})
        };
        Some(json!({
            "type": "case_registered", "id": id, "don_vi": office, "loai_an": loai,
            "hinh_thuc": if chu_dong { "chu_dong" } else { "theo_yeu_cau" },
            "ngay_thu_ly": day, "so_tien_phai_thi_hanh": amount.min(super::events::MAX_AMOUNT),
            "nguoi_phai_thi_hanh": {"loai": "ca_nhan", "ho_ten": debtor},
            "nguoi_duoc_thi_hanh": creditor,
        }))
    }

    /// The next event, or `None` when the chosen step has nothing to act on.
    fn event(&mut self) -> Option<Value> {
        let day = self.clock.tick(&mut self.rng);
        let id = self.next_id();
        let roll = self.rng.f64();
        if roll < 0.02 {
            if let Some((ev, loai)) = self.pending_complaints.pop() {
                let ket_qua =
                    ["dung", "dung_mot_phan", "sai"][self.rng.weighted(&[15.0, 15.0, 70.0])];
                let mut e = json!({"type": "complaint_resolved", "id": id, "complaint_event_id": ev,
                                   "ngay_giai_quyet": day});
                if loai != "kien_nghi" {
                    e["ket_qua"] = json!(ket_qua);
                }
                return Some(e);
            }
        }
        let ma_tinh = self.province();
        if roll < 0.05 {
            let loai = ["khieu_nai", "to_cao", "kien_nghi"][self.rng.weighted(&[75.0, 8.0, 17.0])];
            let kenh = ["truc_tiep", "buu_dien", "vneid", "qr"]
                [self.rng.weighted(&[30.0, 25.0, 25.0, 20.0])];
            self.pending_complaints.push((id.clone(), loai));
            return Some(
                json!({"type": "complaint_received", "id": id, "don_vi": format!("T{ma_tinh}"),
                               "loai": loai, "kenh": kenh, "ngay_nhan": day}),
            );
        }
        if roll < 0.30 {
            return self.new_case(id, day, &ma_tinh);
        }
        let qd = self.so_qd();
        let r = self.rng.f64();
        let pay_share = 0.1 + 0.9 * self.rng.f64();
        let list = self.world.cases.get_mut(&ma_tinh)?;
        if list.is_empty() {
            return None;
        }
        let i = ((r * list.len() as f64) as usize).min(list.len() - 1);
        let case = &mut list[i];
        // Cases without conditions are re-verified about twice a year, not at every pick.
        if case.state == "chua_co_dieu_kien" && self.rng.chance(0.7) {
            return None;
        }
        let base = json!({"id": id, "ma_viec": case.ma_viec});
        let with = |mut v: Value, extra: Value| {
            if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
                o.extend(e.clone());
            }
            Some(v)
        };
        let choice = self.rng.f64();
        let (state, event) = match case.state {
            "cho_ra_quyet_dinh" => (
                "dang_thi_hanh",
                with(
                    base,
                    json!({"type": "enforcement_decision", "so_quyet_dinh": qd, "ngay_ky": day}),
                ),
            ),
            "dang_thi_hanh" if case.left == 0 => (
                "xong",
                with(
                    base,
                    json!({"type": "status_change", "trang_thai": "xong", "ngay": day}),
                ),
            ),
            "dang_thi_hanh" if choice < 0.55 => {
                let so_tien = if pay_share > 0.6 {
                    case.left
                } else {
                    ((case.left as f64 * pay_share / 1000.0).round() as i64 * 1000)
                        .clamp(1, case.left)
                };
                case.left -= so_tien;
                let kenh = ["email", "sms", "giay"][self.rng.weighted(&[40.0, 45.0, 15.0])];
                (
                    "dang_thi_hanh",
                    with(
                        base,
                        json!({"type": "payment", "so_tien": so_tien, "ngay_thu": day, "kenh_gui": kenh}),
                    ),
                )
            }
            "dang_thi_hanh" if choice < 0.75 => {
                let co = self.rng.chance(0.75);
                let mut e = json!({"type": "verification_result", "ngay_xac_minh": day, "co_dieu_kien": co});
                if !co {
                    e["so_quyet_dinh"] = json!(qd);
                }
                (
                    if co {
                        "dang_thi_hanh"
                    } else {
                        "chua_co_dieu_kien"
                    },
                    with(base, e),
                )
            }
            "dang_thi_hanh" if choice < 0.88 => {
                let (nhom, loai) = [
                    ("bao_dam", "phong_toa_tai_khoan"),
                    ("cuong_che", "khau_tru_tai_khoan"),
                    ("cuong_che", "tru_thu_nhap"),
                    ("cuong_che", "ke_bien_tai_san"),
                    ("xu_ly_tai_san", "tham_dinh_gia"),
                ][self.rng.weighted(&[20.0, 25.0, 15.0, 25.0, 15.0])];
                (
                    "dang_thi_hanh",
                    with(
                        base,
                        json!({"type": "enforcement_measure", "nhom": nhom, "loai": loai, "ngay_thuc_hien": day}),
                    ),
                )
            }
            "dang_thi_hanh" => {
                let to = ["hoan", "tam_dinh_chi", "dinh_chi", "uy_thac"]
                    [self.rng.weighted(&[35.0, 15.0, 35.0, 15.0])];
                (
                    to,
                    with(
                        base,
                        json!({"type": "status_change", "trang_thai": to, "ngay": day, "so_quyet_dinh": qd}),
                    ),
                )
            }
            "chua_co_dieu_kien" if choice < 0.97 => {
                let co = self.rng.chance(0.15);
                (
                    if co {
                        "dang_thi_hanh"
                    } else {
                        "chua_co_dieu_kien"
                    },
                    with(
                        base,
                        json!({"type": "verification_result", "ngay_xac_minh": day, "co_dieu_kien": co}),
                    ),
                )
            }
            "chua_co_dieu_kien" => (
                "dinh_chi",
                with(
                    base,
                    json!({"type": "status_change", "trang_thai": "dinh_chi", "ngay": day, "so_quyet_dinh": qd}),
                ),
            ),
            // hoan, tam_dinh_chi
            _ => (
                "dang_thi_hanh",
                with(
                    base,
                    json!({"type": "status_change", "trang_thai": "tiep_tuc", "ngay": day, "so_quyet_dinh": qd}),
                ),
            ),
        };
        case.state = state;
        if queries::schema::trang_thai::TERMINAL.contains(&state) {
            list.swap_remove(i);
        }
        event
    }

    /// Takes the cases a rejected batch touched out of play (their state is now unknown).
    fn forget(&mut self, events: &[Value]) {
        for e in events {
            if let Some(ma) = e["ma_viec"].as_str() {
                for list in self.world.cases.values_mut() {
                    list.retain(|c| c.ma_viec != ma);
                }
            }
            if let Some(id) = e["id"].as_str() {
                self.pending_complaints.retain(|(ev, _)| ev != id);
            }
        }
    }

    /// Adds the cases a committed batch registered.
    fn learn(&mut self, events: &[Value], ack: &BatchAck) {
        for (e, a) in events.iter().zip(&ack.events) {
            if e["type"] != "case_registered" {
                continue;
            }
            let (Some(ma_viec), Some(office)) =
                (a.result["ma_viec"].as_str(), e["don_vi"].as_str())
            else {
                continue;
            };
            let ma_tinh = office.get(1..3).unwrap_or_default().to_string();
            let amount = e["so_tien_phai_thi_hanh"].as_i64().unwrap_or(0);
            self.world
                .cases
                .entry(ma_tinh.clone())
                .or_default()
                .push(SimCase {
                    ma_viec: ma_viec.to_string(),
                    state: "cho_ra_quyet_dinh",
                    left: amount,
                });
        }
    }
}

/// Runs the simulator against `opts.url` until Ctrl-C or `opts.count` events.
///
/// # Errors
/// [`Error`] when the store cannot be read, the client cannot be built, or the server refuses
/// the token; rejected batches and failed requests are counted, not fatal.
pub async fn run(store: &Store, opts: &Options) -> Result<Summary, Error> {
    if opts.token.is_empty() {
        return Err(Error::NoToken);
    }
    let world = load(store).await?;
    let open: usize = world.cases.values().map(Vec::len).sum();
    eprintln!(
        "ioc simulate: {} offices, {open} open cases; simulated calendar starts {}",
        world.offices.len(),
        world.start
    );
    let run_id = format!("{}-{}", opts.seed, chrono::Utc::now().timestamp());
    let mut gen = Generator {
        rng: Rng(ChaCha8Rng::seed_from_u64(opts.seed)),
        clock: Clock {
            day: world.start,
            last: world.last,
            minute: DAY_START,
            step: (DAY_END - DAY_START) / opts.events_per_day.max(1.0),
        },
        world,
        run: run_id,
        n: 0,
        qd: 0,
        pending_complaints: Vec::new(),
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(Error::Client)?;
    let endpoint = format!("{}/api/events", opts.url.trim_end_matches('/'));
    let batch = opts.batch.clamp(1, super::events::MAX_BATCH);
    let period = Duration::from_secs_f64(batch as f64 / opts.rate.max(0.01));
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut summary = Summary::default();
    let started = Instant::now();
    let mut last_report = Instant::now();
    let stop = tokio::signal::ctrl_c();
    tokio::pin!(stop);
    loop {
        let remaining = opts
            .count
            .map_or(u64::MAX, |c| c.saturating_sub(summary.sent));
        if remaining == 0 {
            break;
        }
        tokio::select! {
            _ = &mut stop => break,
            _ = ticker.tick() => {}
        }
        let want = batch.min(usize::try_from(remaining).unwrap_or(batch));
        let mut events = Vec::with_capacity(want);
        let mut tries = 0;
        while events.len() < want && tries < want * 20 {
            tries += 1;
            if let Some(e) = gen.event() {
                events.push(e);
            }
        }
        if events.is_empty() {
            continue;
        }
        summary.sent += events.len() as u64;
        summary.last_day = Some(gen.clock.day);
        let t0 = Instant::now();
        let res = client
            .post(&endpoint)
            .bearer_auth(&opts.token)
            .json(&json!({ "events": events }))
            .send()
            .await;
        let status = res.as_ref().map(reqwest::Response::status).ok();
        match (status.map(|s| s.as_u16()), res) {
            (Some(200), Ok(r)) => {
                summary.latencies_ms.push(t0.elapsed().as_secs_f64() * 1e3);
                match r.json::<BatchAck>().await {
                    Ok(ack) => {
                        summary.accepted += ack.accepted as u64;
                        summary.duplicates += ack.duplicates as u64;
                        gen.learn(&events, &ack);
                    }
                    Err(_) => summary.failed_requests += 1,
                }
            }
            (Some(401), _) => return Err(Error::Unauthorized),
            // The database is busy or unreachable for a moment: wait as told, go on.
            (Some(503), Ok(r)) if r.headers().contains_key(reqwest::header::RETRY_AFTER) => {
                summary.failed_requests += 1;
                let wait = r
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(1);
                tracing::warn!(wait, "the server's database is unavailable; waiting");
                gen.forget(&events);
                tokio::time::sleep(Duration::from_secs(wait)).await;
            }
            (Some(503), Ok(r)) => return Err(Error::Disabled(r.text().await.unwrap_or_default())),
            (Some(_), Ok(r)) => {
                summary.latencies_ms.push(t0.elapsed().as_secs_f64() * 1e3);
                summary.rejected += events.len() as u64;
                let body = r.text().await.unwrap_or_default();
                tracing::warn!(%body, "batch rejected");
                gen.forget(&events);
            }
            (_, Err(e)) => {
                summary.failed_requests += 1;
                tracing::warn!(error = %e, "request failed");
                gen.forget(&events);
            }
            (None, Ok(_)) => summary.failed_requests += 1,
        }
        if last_report.elapsed() >= Duration::from_secs(5) {
            last_report = Instant::now();
            summary.elapsed = started.elapsed();
            eprintln!("{summary}");
        }
    }
    summary.elapsed = started.elapsed();
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_runs_in_office_hours_on_working_days() {
        let mut rng = Rng(ChaCha8Rng::seed_from_u64(1));
        let friday = NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
        // The server accepts dates up to Sunday 2026-11-29.
        let last = NaiveDate::from_ymd_opt(2026, 11, 29).expect("date");
        let mut clock = Clock {
            day: friday,
            last,
            minute: DAY_START,
            step: 30.0,
        };
        let mut days = Vec::new();
        for _ in 0..2000 {
            let d = clock.tick(&mut rng);
            assert!(Clock::working(d), "{d}");
            assert!((DAY_START..DAY_END).contains(&clock.minute));
            days.push(d);
        }
        assert!(days.windows(2).all(|w| w[0] <= w[1]));
        assert!(days.last() > Some(&friday), "time moves on");
        // ... and stops at the last working day the server accepts (Friday 2026-11-27).
        assert_eq!(days.last(), NaiveDate::from_ymd_opt(2026, 11, 27).as_ref());
    }

    #[test]
    fn percentiles() {
        let s = Summary {
            latencies_ms: (1..=100).map(f64::from).collect(),
            ..Summary::default()
        };
        assert_eq!(s.percentile(0.5), 51.0);
        assert_eq!(s.percentile(0.95), 95.0);
    }
}
