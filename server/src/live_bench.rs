//! `ioc bench live`: a load tool for the live stream of a running server.
//!
//! It opens `--clients` SSE connections to `/api/live` (plain HTTP/1.0 over loopback TCP, one
//! task each, reading only the `id:` lines of `kpi` events), waits until every client has its
//! first snapshot, then posts `--posts` events to `POST /api/events`, one every `--interval-ms`,
//! and records when each client receives each new version. Latency = arrival of the version
//! that carries a post − the moment the post was sent (the server acknowledges after commit;
//! the version follows within its 250 ms batch window plus the compute). With `--posts 0` it
//! only holds the clients open (the idle-capacity test) and reports the server's memory.
//!
//! Each post registers one new case at `T01-KV01` (`ma_viec` `01-KV01-2027-9xxxxx`, at most
//! 100 posts per run), so it goes through the whole incremental path (case upsert, facts,
//! every level). Raise the open-file limit of both processes first
//! (`ulimit -n 65536`): each client is one socket on each side. The stream needs a reader:
//! pass a kiosk token (`ioc kiosk-token create`) with `--kiosk-token`.

use serde::Serialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// Options of `ioc bench live`.
#[derive(Debug, Clone)]
pub struct Options {
    /// `host:port` of the running server.
    pub addr: SocketAddr,
    pub clients: usize,
    pub posts: usize,
    pub interval: Duration,
    pub token: String,
    /// Kiosk token the SSE clients send as a bearer token (the stream needs a signed-in
    /// reader; a kiosk token reads the national scope).
    pub kiosk_token: Option<String>,
    /// The server's process id, to read its resident memory from `/proc`.
    pub server_pid: Option<u32>,
    /// Seconds to hold the clients after the last post (or, with no posts, after connecting).
    pub hold: Duration,
}

/// What a run measured.
#[derive(Debug, Serialize)]
pub struct Report {
    pub clients: usize,
    /// Clients that received their first snapshot.
    pub connected: usize,
    pub failed: usize,
    /// From the first connect to the last first-snapshot.
    pub connect_all_s: f64,
    pub server_rss_mb_before: Option<f64>,
    pub server_rss_mb_connected: Option<f64>,
    pub posts: usize,
    /// (client, post) deliveries measured, of `clients × posts`.
    pub deliveries: usize,
    pub latency_ms_p50: Option<f64>,
    pub latency_ms_p95: Option<f64>,
    pub latency_ms_p99: Option<f64>,
    pub latency_ms_max: Option<f64>,
}

/// Resident memory of `pid` in MiB (Linux `/proc`).
pub fn rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// One SSE client: sends `(client, version, arrival)` for every `kpi` event id it reads.
async fn client(
    addr: SocketAddr,
    request: std::sync::Arc<str>,
    index: usize,
    out: mpsc::UnboundedSender<(usize, u64, Instant)>,
) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(request.as_bytes()).await?;
    let mut reader = BufReader::with_capacity(64 * 1024, stream);
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        if let Some(id) = line.strip_prefix("id:") {
            let version = id.trim().split_once('-').map_or(id.trim(), |(v, _)| v);
            if let Ok(version) = version.parse::<u64>() {
                if out.send((index, version, Instant::now())).is_err() {
                    return Ok(());
                }
            }
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p / 100.0 * (sorted.len() as f64)).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// Runs the load; see the module doc.
///
/// # Errors
/// A message when the server cannot be reached or refuses a post.
pub async fn run(opts: &Options) -> Result<Report, String> {
    let server_rss_mb_before = opts.server_pid.and_then(rss_mb);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let started = Instant::now();
    let auth = opts
        .kiosk_token
        .as_deref()
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request: std::sync::Arc<str> =
        format!("GET /api/live HTTP/1.0\r\nAccept: text/event-stream\r\n{auth}\r\n").into();
    let mut tasks = Vec::with_capacity(opts.clients);
    for i in 0..opts.clients {
        let tx = tx.clone();
        let addr = opts.addr;
        let request = request.clone();
        tasks.push(tokio::spawn(
            async move { client(addr, request, i, tx).await },
        ));
        // Do not flood the accept queue: a short pause every 200 connects.
        if i % 200 == 199 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    drop(tx);
    // Wait for every first snapshot (or 120 s).
    let mut first: HashMap<usize, u64> = HashMap::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while first.len() < opts.clients {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some((c, v, _))) => {
                first.entry(c).or_insert(v);
            }
            _ => break,
        }
    }
    let connect_all_s = started.elapsed().as_secs_f64();
    let connected = first.len();
    let server_rss_mb_connected = opts.server_pid.and_then(rss_mb);
    let base = first.values().copied().max().unwrap_or(0);

    // Posts, one per interval; arrivals are drained meanwhile.
    let http = reqwest::Client::new();
    let url = format!("http://{}/api/events", opts.addr);
    let tag = chrono::Utc::now().timestamp();
    let mut sent: Vec<Instant> = Vec::with_capacity(opts.posts);
    let mut arrivals: Vec<(usize, u64, Instant)> = Vec::new();
    for i in 0..opts.posts {
        let body = serde_json::json!({"events": [{
            "type": "case_registered", "id": format!("bench-live-{tag}-{i}"),
            "don_vi": "T01-KV01",
            "ma_viec": format!("01-KV01-2027-{:06}", 900_000 + (tag % 1000) * 100 + (i as i64 % 100)),
            "loai_an": "ds", "hinh_thuc": "theo_yeu_cau", "ngay_thu_ly": "2026-11-20",
            "so_tien_phai_thi_hanh": 1_000_000,
            "nguoi_phai_thi_hanh": {"loai": "ca_nhan", "ho_ten": "Nguyễn Văn Thử"},
            "nguoi_duoc_thi_hanh": {"loai": "ca_nhan", "ho_ten": "Trần Thị Đo"}
        }]});
        let t0 = Instant::now();
        sent.push(t0);
        let resp = http
            .post(&url)
            .bearer_auth(&opts.token)
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("POST {url}: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!(
                "POST {url}: {} {}",
                resp.status(),
                resp.text().await.unwrap_or_default()
            ));
        }
        let until = tokio::time::Instant::from_std(t0 + opts.interval);
        while let Ok(Some(a)) = tokio::time::timeout_at(until, rx.recv()).await {
            arrivals.push(a);
        }
    }
    let until = tokio::time::Instant::now() + opts.hold;
    while let Ok(Some(a)) = tokio::time::timeout_at(until, rx.recv()).await {
        arrivals.push(a);
    }
    for t in &tasks {
        t.abort();
    }
    let failed = opts.clients - connected;

    // Version of post i: the first version any client received after it was sent (posts are
    // further apart than a batch window plus compute, so each gets its own version).
    let mut first_seen: HashMap<u64, Instant> = HashMap::new();
    for (_, v, t) in &arrivals {
        let e = first_seen.entry(*v).or_insert(*t);
        if *t < *e {
            *e = *t;
        }
    }
    let mut versions: Vec<(u64, Instant)> =
        first_seen.into_iter().filter(|(v, _)| *v > base).collect();
    versions.sort_by_key(|(v, _)| *v);
    let mut post_of: HashMap<u64, Instant> = HashMap::new();
    for (v, seen) in &versions {
        if let Some(s) = sent.iter().rev().find(|s| **s <= *seen) {
            post_of.insert(*v, *s);
        }
    }
    let mut latencies: Vec<f64> = arrivals
        .iter()
        .filter_map(|(_, v, t)| {
            let s = post_of.get(v)?;
            Some(t.duration_since(*s).as_secs_f64() * 1e3)
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    Ok(Report {
        clients: opts.clients,
        connected,
        failed,
        connect_all_s,
        server_rss_mb_before,
        server_rss_mb_connected,
        posts: opts.posts,
        deliveries: latencies.len(),
        latency_ms_p50: percentile(&latencies, 50.0),
        latency_ms_p95: percentile(&latencies, 95.0),
        latency_ms_p99: percentile(&latencies, 99.0),
        latency_ms_max: latencies.last().copied(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 95.0), Some(95.0));
        assert_eq!(percentile(&v, 99.0), Some(99.0));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[3.0], 99.0), Some(3.0));
    }
}
