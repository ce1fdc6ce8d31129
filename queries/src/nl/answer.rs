//! The answer sentence, built from the result rows by templates — never free model text, so no
//! number can be invented — and the chart shape a result calls for.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::plan::{metric, Plan};

/// How a result is best drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    /// One number: a big figure, no chart.
    Number,
    /// Values by category: bars.
    Bar,
    /// Values over months or quarters: a line.
    Line,
    /// Rows that are not a measure by category: just the table.
    Table,
}

/// The chart for a result of `plan` with `rows` rows.
pub fn chart_kind(plan: &Plan, rows: usize) -> ChartKind {
    match plan.by {
        _ if rows == 0 => ChartKind::Table,
        "thang" | "quy" => ChartKind::Line,
        "khong" if rows == 1 => ChartKind::Number,
        "khong" => ChartKind::Table,
        _ => ChartKind::Bar,
    }
}

/// 1.234.567 / 84,25: a number the Vietnamese way.
pub fn vn_number(v: &Value) -> String {
    match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                group_thousands(i)
            } else if let Some(f) = n.as_f64() {
                #[allow(clippy::cast_possible_truncation)]
                let whole = f.trunc() as i64;
                let frac = format!("{:.2}", (f - f.trunc()).abs());
                let frac = frac.trim_start_matches('0').trim_start_matches('.');
                let frac = frac.trim_end_matches('0');
                let sign = if f < 0.0 && whole == 0 { "-" } else { "" };
                if frac.is_empty() {
                    format!("{sign}{}", group_thousands(whole))
                } else {
                    format!("{sign}{},{frac}", group_thousands(whole))
                }
            } else {
                n.to_string()
            }
        }
        Value::String(s) => s.clone(),
        Value::Null => "không có".into(),
        other => other.to_string(),
    }
}

fn group_thousands(i: i64) -> String {
    let digits = i.unsigned_abs().to_string();
    let mut out = String::new();
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    if i < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// What the sentence says besides the rows: where the figure is, the period, the conditions
/// applied, and the value columns of a many-figure answer.
pub struct Reading<'a> {
    pub value_column: &'a str,
    pub place: Option<&'a str>,
    pub period: Option<&'a str>,
    /// Every condition the SQL applied, restated so the leader can check what was computed.
    pub conditions: &'a [String],
    /// Value columns with what each holds (a share with its parts, two periods).
    pub described: &'a [(String, String)],
}

/// The sentence for a query result.
pub fn sentence(
    plan: &Plan,
    reading: &Reading<'_>,
    columns: &[String],
    rows: &[Vec<Value>],
    notes: &[String],
) -> String {
    let Some(m) = metric(plan.metric) else {
        return String::new();
    };
    let set = super::plan::SETS
        .iter()
        .find(|s| s.key == plan.set && s.base == m.base && s.key != "tat_ca")
        .map(|s| format!(" — {}", s.label))
        .unwrap_or_default();
    let with = if reading.conditions.is_empty() {
        String::new()
    } else {
        format!(" (điều kiện: {})", reading.conditions.join("; "))
    };
    let at = reading.place.map(|p| format!(" ở {p}")).unwrap_or_default();
    let when = reading.period.map(|p| format!(", {p}")).unwrap_or_default();
    // Staff are counted in service unless the question names another status.
    let label = if reading
        .conditions
        .iter()
        .any(|c| c.contains("không còn công tác"))
    {
        m.label.replace(" đang công tác", "")
    } else {
        m.label.to_owned()
    };
    let head = format!("{}{set}{with}{at}{when}", capitalise(&label));
    let unit = match m.unit {
        "" => String::new(),
        "tỷ đồng" if reading.value_column.starts_with("trieu_dong") => " triệu đồng".into(),
        u => format!(" {u}"),
    };
    if let ([row], false) = (rows, reading.described.is_empty()) {
        let parts: Vec<String> = reading
            .described
            .iter()
            .filter_map(|(column, what)| {
                let i = columns.iter().position(|c| c == column)?;
                let u = if column == "ty_le" {
                    " %"
                } else {
                    unit.as_str()
                };
                Some(format!("{what}: {}{u}", vn_number(&row[i])))
            })
            .collect();
        let mut s = format!("{head}: {}.", parts.join("; "));
        for n in notes {
            s.push(' ');
            s.push_str(n);
        }
        return s;
    }
    let value_at = columns
        .iter()
        .position(|c| c == reading.value_column)
        .unwrap_or(columns.len().saturating_sub(1));
    let lead = match plan.order {
        "giam" => "cao nhất là",
        "tang" => "thấp nhất là",
        _ => "gồm",
    };
    let shape = Shape {
        value_at,
        unit: &unit,
        grouped: plan.by != "khong",
        lead,
    };
    read_rows(&head, &shape, columns, rows, notes)
}

/// How to read a result's rows.
struct Shape<'a> {
    /// The column of the figure.
    value_at: usize,
    /// Unit after each figure, with its leading space (or empty).
    unit: &'a str,
    /// Rows are groups (a one-row result still names its group).
    grouped: bool,
    /// Word before the first rows ("gồm", "cao nhất là", …).
    lead: &'a str,
}

/// `head: figure` for one value, `head: label — figure` for one group, `head: n dòng; lead …`
/// with the first three rows otherwise; then the notes.
fn read_rows(
    head: &str,
    shape: &Shape<'_>,
    columns: &[String],
    rows: &[Vec<Value>],
    notes: &[String],
) -> String {
    let Shape {
        value_at,
        unit,
        grouped,
        lead,
    } = *shape;
    let label_of = |row: &[Value]| -> String {
        let parts: Vec<String> = row
            .iter()
            .enumerate()
            .filter(|(i, v)| *i != value_at && matches!(v, Value::String(_)))
            .map(|(_, v)| {
                v.as_str()
                    .and_then(code_label)
                    .map_or_else(|| vn_number(v), str::to_owned)
            })
            .collect();
        parts.first().cloned().unwrap_or_else(|| {
            row.iter()
                .enumerate()
                .find(|(i, _)| *i != value_at)
                .map(|(_, v)| vn_number(v))
                .unwrap_or_default()
        })
    };
    let mut s = match rows {
        [] => format!("{head}: không có dòng nào thỏa điều kiện."),
        [row] if !grouped && columns.len() <= 2 => {
            let v = row.get(value_at).map(vn_number).unwrap_or_default();
            let mut s = format!("{head}: {v}{unit}.");
            if columns.len() == 2 {
                if let Some(other) = row.iter().enumerate().find(|(i, _)| *i != value_at) {
                    s = format!(
                        "{head}: {v}{unit} ({}: {}).",
                        columns[other.0],
                        vn_number(other.1)
                    );
                }
            }
            s
        }
        [row] => {
            let v = row.get(value_at).map(vn_number).unwrap_or_default();
            format!("{head}: {} — {v}{unit}.", label_of(row))
        }
        many => {
            let shown: Vec<String> = many
                .iter()
                .take(3)
                .map(|r| {
                    format!(
                        "{} ({}{unit})",
                        label_of(r),
                        r.get(value_at).map(vn_number).unwrap_or_default()
                    )
                })
                .collect();
            format!(
                "{head}: {} dòng; {lead} {}{}.",
                many.len(),
                shown.join(", "),
                if many.len() > 3 { ", …" } else { "" }
            )
        }
    };
    for n in notes {
        s.push(' ');
        s.push_str(n);
    }
    s
}

/// The figure of a result without a plan: the last column holding a number in the first row
/// (else the last column).
pub fn table_value_column(columns: &[String], rows: &[Vec<Value>]) -> usize {
    let last = columns.len().saturating_sub(1);
    rows.first()
        .and_then(|r| r.iter().rposition(Value::is_number))
        .unwrap_or(last)
}

/// The sentence for rows of SQL the model wrote (the free-SQL fallback: no plan names the
/// figure, so the head is the figure's column).
pub fn table_sentence(
    columns: &[String],
    rows: &[Vec<Value>],
    period: Option<&str>,
    notes: &[String],
) -> String {
    let value_at = table_value_column(columns, rows);
    let when = period.map(|p| format!(", {p}")).unwrap_or_default();
    let head = match columns.get(value_at) {
        Some(c) => format!("Kết quả ({c}){when}"),
        None => format!("Kết quả{when}"),
    };
    let shape = Shape {
        value_at,
        unit: "",
        grouped: false,
        lead: "gồm",
    };
    read_rows(&head, &shape, columns, rows, notes)
}

/// The chart for a result without a plan (free SQL, SQL an analyst edited), by its shape: one
/// number; a label column and a number column, over time when the label names a period
/// (`thang`, `quy`, `nam`, `ky`, `ngay`), by category otherwise; else the table.
pub fn table_chart(columns: &[String], rows: &[Vec<Value>]) -> ChartKind {
    let numeric = |i: usize| {
        rows.iter()
            .all(|r| r.get(i).is_none_or(|v| v.is_number() || v.is_null()))
    };
    match (columns.len(), rows.len()) {
        (_, 0) => ChartKind::Table,
        (1, 1) if numeric(0) => ChartKind::Number,
        (2, _) if numeric(1) && !numeric(0) => {
            let first = columns[0].to_lowercase();
            if ["thang", "quy", "nam", "ky", "ngay"]
                .iter()
                .any(|p| first.contains(p))
            {
                ChartKind::Line
            } else {
                ChartKind::Bar
            }
        }
        _ => ChartKind::Table,
    }
}

/// The Vietnamese name of a code a grouped result shows (region, case type, channel, …).
fn code_label(code: &str) -> Option<&'static str> {
    Some(match code {
        "bac" => "miền Bắc",
        "trung" => "miền Trung",
        "nam" => "miền Nam",
        "tdmnpb" => "Trung du và miền núi phía Bắc",
        "dbsh" => "Đồng bằng sông Hồng",
        "btb_dhmt" => "Bắc Trung Bộ và duyên hải miền Trung",
        "tay_nguyen" => "Tây Nguyên",
        "dnb" => "Đông Nam Bộ",
        "dbscl" => "Đồng bằng sông Cửu Long",
        "ds" => "dân sự",
        "hs" => "hình sự",
        "hngd" => "hôn nhân và gia đình",
        "kdtm" => "kinh doanh, thương mại",
        "ld" => "lao động",
        "hc" => "hành chính",
        "ps" => "phá sản",
        "vneid" => "VNeID",
        "qr" => "mã QR",
        "truc_tiep" => "trực tiếp",
        "buu_dien" => "bưu điện",
        "email" => "email",
        "sms" => "SMS",
        "giay" => "bản giấy",
        "khieu_nai" => "khiếu nại",
        "to_cao" => "tố cáo",
        "kien_nghi" => "kiến nghị",
        _ => return None,
    })
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_codes_read_as_names() {
        let s = sentence(
            &plan("mien", "khong"),
            &Reading {
                value_column: "so_viec",
                place: None,
                period: None,
                conditions: &[],
                described: &[],
            },
            &["mien".into(), "so_viec".into()],
            &[
                vec![Value::from("bac"), Value::from(3)],
                vec![Value::from("nam"), Value::from(2)],
            ],
            &[],
        );
        assert!(s.contains("miền Bắc (3 việc), miền Nam (2 việc)"), "{s}");
    }
    use serde_json::json;

    fn plan(by: &'static str, order: &'static str) -> Plan {
        Plan {
            metric: "so_viec",
            set: "chua_co_dieu_kien",
            by,
            order,
            limit: None,
            also: None,
            by2: "khong",
        }
    }

    #[test]
    fn numbers_the_vietnamese_way() {
        assert_eq!(vn_number(&json!(1234567)), "1.234.567");
        assert_eq!(vn_number(&json!(84.25)), "84,25");
        assert_eq!(vn_number(&json!(12.5)), "12,5");
        assert_eq!(vn_number(&json!(3.0)), "3");
        assert_eq!(vn_number(&json!(-1234)), "-1.234");
    }

    #[test]
    fn sentences_read_the_rows() {
        let s = sentence(
            &plan("khong", "khong"),
            &Reading {
                value_column: "so_viec",
                place: Some("Đà Nẵng"),
                period: Some("hôm nay (20/11/2026)"),
                conditions: &[],
                described: &[],
            },
            &["so_viec".into()],
            &[vec![json!(12345)]],
            &[],
        );
        assert_eq!(
            s,
            "Số việc thi hành án — việc chưa có điều kiện thi hành ở Đà Nẵng, hôm nay (20/11/2026): 12.345 việc."
        );
        let rows = vec![
            vec![json!("Hà Nội"), json!("01"), json!(900)],
            vec![json!("Huế"), json!("46"), json!(10)],
        ];
        let s = sentence(
            &plan("tinh", "giam"),
            &Reading {
                value_column: "so_viec",
                place: None,
                period: None,
                conditions: &[],
                described: &[],
            },
            &["ten".into(), "ma_tinh".into(), "so_viec".into()],
            &rows,
            &[],
        );
        assert!(
            s.contains("2 dòng; cao nhất là Hà Nội (900 việc), Huế (10 việc)"),
            "{s}"
        );
        assert_eq!(chart_kind(&plan("tinh", "giam"), 2), ChartKind::Bar);
        assert_eq!(chart_kind(&plan("thang", "khong"), 12), ChartKind::Line);
        assert_eq!(chart_kind(&plan("khong", "khong"), 1), ChartKind::Number);
    }

    #[test]
    fn results_without_a_plan_read_by_shape() {
        let cols = vec!["loai".to_owned(), "so_duong_su".to_owned()];
        let rows = vec![
            vec![json!("ca_nhan"), json!(120)],
            vec![json!("to_chuc"), json!(30)],
        ];
        let s = table_sentence(&cols, &rows, Some("năm 2026"), &[]);
        assert_eq!(
            s,
            "Kết quả (so_duong_su), năm 2026: 2 dòng; gồm ca_nhan (120), to_chuc (30)."
        );
        assert_eq!(table_chart(&cols, &rows), ChartKind::Bar);
        let one = vec!["n".to_owned()];
        assert_eq!(
            table_sentence(&one, &[vec![json!(7)]], None, &[]),
            "Kết quả (n): 7."
        );
        assert_eq!(table_chart(&one, &[vec![json!(7)]]), ChartKind::Number);
        let months = vec!["thang".to_owned(), "n".to_owned()];
        let rows = vec![
            vec![json!("2026-01"), json!(1)],
            vec![json!("2026-02"), json!(2)],
        ];
        assert_eq!(table_chart(&months, &rows), ChartKind::Line);
        assert_eq!(table_chart(&one, &[]), ChartKind::Table);
        let by_name = vec!["ten_tinh".to_owned(), "so_viec".to_owned()];
        let rows = vec![vec![json!("Hà Nội"), json!(3)]];
        assert_eq!(table_chart(&by_name, &rows), ChartKind::Bar);
    }
}
