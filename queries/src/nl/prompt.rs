//! What the language model sees: a fixed prefix (instructions, the semantic layer's names, worked
//! examples) prefilled once, and per question a short suffix (the question and what linking found).
//! The model answers with one line `do=… tap=… theo=… xep=… lay=…`, under the [`PlanGrammar`]
//! constraint, so nothing but names of the semantic layer can come out.

use super::cues;
use super::link::Linked;
use super::normalize::Text;
use super::plan::{
    dims_for, metric, second_value_metrics, sets_for, Plan, DIMS, METRICS, ORDERS, SETS,
};
use crate::org;

/// The grammar of the plan line: `do=<metric> tap=<set> theo=<dim> xep=<order> lay=<limit>`,
/// and `va=<metric>` when the question asks for a second figure over the same rows.
///
/// Each slot offers only the candidates the question's words and links allow (see [`cues`]):
/// the metrics it can mean, the case sets and dimensions valid for the chosen metric that the
/// question names, and the order and limit it states. So the model chooses among a few
/// plausible names, and nothing outside the semantic layer can come out.
#[derive(Debug, Clone)]
pub struct PlanGrammar {
    pub metrics: Vec<String>,
    pub sets: Vec<&'static str>,
    pub dims: Vec<&'static str>,
    pub order: &'static str,
    pub limit: Option<u32>,
    /// The question asks for two figures: the `va=` slot is offered.
    pub second: bool,
    /// The question asks for an amount of money.
    pub asks_money: bool,
    /// The question's words name a metric (otherwise every metric is offered: the plan may
    /// not express the question).
    pub cued: bool,
    /// Dimensions named with a grouping word or by several values: a second grouping
    /// dimension is taken from them ([`PlanGrammar::with_second_dim`]).
    pub explicit_dims: Vec<&'static str>,
}

/// Case sets a metric may take (rates and derived metrics fix their own population).
pub fn sets_of(metric_key: &str) -> Vec<&'static str> {
    match metric_key {
        "ty_le_xong_viec" | "ty_le_xong_tien" | "chua_dat_chi_tieu" | "dat_chi_tieu"
        | "binh_quan_chv" | "chuyen_ky_sau" => vec!["tat_ca"],
        "ty_le_don_dung_han" => vec!["tat_ca"],
        _ => metric(metric_key)
            .map(|m| sets_for(m).iter().map(|s| s.key).collect())
            .unwrap_or_default(),
    }
}

impl PlanGrammar {
    /// The grammar for a question with these words and links.
    pub fn new(text: &Text, linked: &Linked) -> Self {
        let dims = cues::dims(text, linked);
        let mut metrics: Vec<String> = cues::metrics_for_dims(text, linked, 4, &dims)
            .into_iter()
            .map(str::to_owned)
            .collect();
        let cued = !metrics.is_empty();
        if !cued {
            metrics = METRICS.iter().map(|m| m.key.to_owned()).collect();
        }
        let order = cues::order(text);
        PlanGrammar {
            metrics,
            sets: cues::sets(text),
            limit: cues::limit(text, linked),
            order: if dims.is_empty() && linked.top_n.is_none() {
                "khong"
            } else {
                order
            },
            explicit_dims: cues::explicit_dims(text, linked),
            dims,
            second: cues::asks_two(text),
            asks_money: cues::asks_money(text),
            cued,
        }
    }

    /// `plan` with the second dimension the question names, if it groups by one already and
    /// names another valid for the metric.
    pub fn with_second_dim(&self, plan: Plan) -> Plan {
        let Some(m) = metric(plan.metric) else {
            return plan;
        };
        if plan.by == "khong" {
            return plan;
        }
        let valid = dims_for(m);
        let by2 = self
            .explicit_dims
            .iter()
            .find(|d| **d != plan.by && valid.contains(d) && !geo_pair(plan.by, d))
            .copied()
            .unwrap_or("khong");
        Plan { by2, ..plan }
    }

    fn second_for_metric(&self, metric_key: &str) -> Vec<String> {
        let Some(first) = metric(metric_key) else {
            return Vec::new();
        };
        let valid = second_value_metrics(first);
        let cued: Vec<String> = self
            .metrics
            .iter()
            .filter(|m| valid.contains(&m.as_str()))
            .cloned()
            .collect();
        if !cued.is_empty() {
            return cued;
        }
        // Named by no cue of its own ("… cho cả số biên lai", "… và tổng tiền bao nhiêu tỷ"):
        // the other kind of figure over the same rows — a sum after a count, a count after a
        // sum.
        // A sum only when money is asked: "bao nhiêu việc … và bao nhiêu việc …" asks two
        // counts, not a count and its amount.
        let first_is_money = first.unit == "tỷ đồng";
        if !first_is_money && !self.asks_money {
            return Vec::new();
        }
        valid
            .iter()
            .filter(|k| metric(k).is_some_and(|x| (x.unit == "tỷ đồng") != first_is_money))
            .map(|k| (*k).to_owned())
            .collect()
    }

    fn sets_for_metric(&self, metric_key: &str) -> Vec<String> {
        let valid = sets_of(metric_key);
        let mut named: Vec<String> = self
            .sets
            .iter()
            .filter(|s| valid.contains(s))
            .map(|s| (*s).to_owned())
            .collect();
        // A rule the question names is the reading: its plain statuses are not offered.
        if named.iter().any(|s| s.starts_with("qh")) {
            named.retain(|s| s.starts_with("qh"));
        }
        if !named.is_empty() {
            named
        } else if valid.contains(&"tat_ca") {
            vec!["tat_ca".to_owned()]
        } else {
            valid.iter().map(|s| (*s).to_owned()).collect()
        }
    }

    fn dims_for_metric(&self, metric_key: &str) -> Vec<String> {
        let Some(m) = metric(metric_key) else {
            return Vec::new();
        };
        let valid = dims_for(m);
        let named: Vec<String> = self
            .dims
            .iter()
            .filter(|d| valid.contains(d))
            .map(|d| (*d).to_owned())
            .collect();
        if !named.is_empty() {
            named
        } else if valid.contains(&"khong") {
            vec!["khong".to_owned()]
        } else {
            valid.iter().map(|d| (*d).to_owned()).collect()
        }
    }

    /// The next slot after `filled`: its literal prefix and allowed values.
    pub fn next(&self, filled: &[String]) -> Option<(String, Vec<String>)> {
        match filled.len() {
            0 => Some(("do=".into(), self.metrics.clone())),
            1 => Some((" tap=".into(), self.sets_for_metric(&filled[0]))),
            2 => Some((" theo=".into(), self.dims_for_metric(&filled[0]))),
            3 => Some((
                " xep=".into(),
                vec![if filled[2] == "khong" && self.limit.is_none() {
                    "khong"
                } else {
                    self.order
                }
                .to_owned()],
            )),
            4 => Some((
                " lay=".into(),
                vec![self
                    .limit
                    .map_or_else(|| "khong".to_owned(), |n| n.to_string())],
            )),
            5 if self.second => {
                let options = self.second_for_metric(&filled[0]);
                (!options.is_empty()).then(|| (" va=".to_owned(), options))
            }
            _ => None,
        }
    }

    /// The plan made of the best-ranked candidate of every slot (no model): the baseline the
    /// model is measured against.
    pub fn first_choice(&self) -> Vec<String> {
        let mut values: Vec<String> = Vec::new();
        while let Some((_, options)) = self.next(&values) {
            match options.into_iter().next() {
                Some(v) => values.push(v),
                None => break,
            }
        }
        values
    }

    /// Every character the plan line can contain (for the decoder's candidate tokens).
    pub fn alphabet() -> &'static str {
        "abcdefghijklmnopqrstuvwxyz0123456789_= "
    }

    /// The plan from a complete list of slot values.
    pub fn plan(values: &[String]) -> Option<Plan> {
        let (first, also) = match values {
            [first @ .., also] if values.len() == 6 => (first, Some(also)),
            _ => (values, None),
        };
        let [m, s, by, order, limit] = first else {
            return None;
        };
        let metric = metric(m)?;
        let also = match also {
            Some(a) => Some(*second_value_metrics(metric).iter().find(|k| *k == a)?),
            None => None,
        };
        let set = SETS.iter().find(|x| x.key == s && x.base == metric.base)?;
        let by = DIMS.iter().find(|(k, _)| k == by)?.0;
        let order = ORDERS.iter().find(|o| *o == order)?;
        Some(Plan {
            metric: metric.key,
            set: set.key,
            by,
            order,
            limit: limit.parse().ok(),
            also,
            by2: "khong",
        })
    }
}

/// Two places of one hierarchy ("tỉnh" and "miền") are not two dimensions of a breakdown.
fn geo_pair(a: &str, b: &str) -> bool {
    let geo = ["tinh", "mien", "vung", "phong_kv"];
    geo.contains(&a) && geo.contains(&b)
}

/// The system prompt: task, names of the semantic layer, rules.
pub fn system() -> String {
    let mut s = String::from(
        "Bạn chuyển câu hỏi tiếng Việt về thi hành án dân sự thành một kế hoạch truy vấn.\n\
         Trả lời đúng một dòng: do=<chỉ số> tap=<tập> theo=<chiều> xep=<khong|giam|tang> lay=<khong|số>, thêm va=<chỉ số thứ hai> khi câu hỏi hỏi hai số liệu.\n\
         Tỉnh, miền, phòng, loại án, kênh, số tiền và thời gian đã được nhận diện sẵn và tự động lọc: không cần ghi lại.\n\
         Dòng (gợi ý: …) là kế hoạch đoán từ từ khóa của câu hỏi: giữ nguyên, trừ khi câu hỏi rõ ràng muốn chỉ số, tập hay chiều khác.\n\
         theo=<chiều> chỉ khi câu hỏi muốn chia nhóm/xếp hạng (theo từng tỉnh, tỉnh nào, mỗi miền, theo tháng...).\n\
         xep=giam cho nhiều nhất/cao nhất, xep=tang cho ít nhất/thấp nhất; lay=số dòng khi hỏi top N hoặc 'nào nhất' (lay=1).\n\
         Chỉ số (do):\n",
    );
    for m in METRICS {
        s.push_str(&format!("- {}: {}\n", m.key, m.label));
    }
    s.push_str("Tập (tap) của việc thi hành án:\n");
    for x in SETS.iter().filter(|x| x.base == super::plan::Base::Viec) {
        s.push_str(&format!("- {}: {}\n", x.key, x.label));
    }
    s.push_str("Tập của đơn thư: tat_ca, chua_giai_quyet, da_giai_quyet, qh12 (quá hạn chưa giải quyết), qh13 (giải quyết trễ hạn), qh14 (chưa thụ lý quá 10 ngày). Quyết định: tat_ca, qh16 (chưa ký số). Nhiệm vụ: tat_ca, qh15 (quá hạn), dang_thuc_hien, hoan_thanh. Bảng khác: tat_ca.\n");
    s.push_str("Chiều (theo): ");
    let dims: Vec<String> = DIMS.iter().map(|(k, l)| format!("{k} ({l})")).collect();
    s.push_str(&dims.join(", "));
    s.push('\n');
    s
}

/// Worked examples: (question, what linking found, plan line). Written for the semantic layer,
/// not copied from any evaluation set.
pub const EXAMPLES: &[(&str, &str)] = &[
    (
        "Cả nước còn bao nhiêu việc chưa thi hành xong?",
        "do=so_viec tap=chua_ket_thuc theo=khong xep=khong lay=khong",
    ),
    (
        "Số việc chưa có điều kiện thi hành của Nghệ An",
        "do=so_viec tap=chua_co_dieu_kien theo=khong xep=khong lay=khong",
    ),
    (
        "Quý trước thi hành xong bao nhiêu việc?",
        "do=so_viec tap=xong theo=khong xep=khong lay=khong",
    ),
    (
        "Bao nhiêu việc thi hành xong không tính đình chỉ trong tháng này?",
        "do=so_viec tap=xong_khong_dinh_chi theo=khong xep=khong lay=khong",
    ),
    (
        "Năm nay thụ lý mới bao nhiêu việc?",
        "do=so_viec tap=tat_ca theo=khong xep=khong lay=khong",
    ),
    (
        "Số việc thụ lý mới theo từng tháng năm 2025",
        "do=so_viec tap=tat_ca theo=thang xep=khong lay=khong",
    ),
    (
        "3 tỉnh có nhiều việc tồn đọng nhất",
        "do=so_viec tap=chua_ket_thuc theo=tinh xep=giam lay=3",
    ),
    (
        "Tỉnh nào có ít việc đang hoãn nhất?",
        "do=so_viec tap=hoan theo=tinh xep=tang lay=1",
    ),
    (
        "Việc đang thi hành chia theo loại án",
        "do=so_viec tap=dang_thi_hanh theo=loai_an xep=khong lay=khong",
    ),
    (
        "Các phòng khu vực của Huế đang giải quyết bao nhiêu việc mỗi phòng?",
        "do=so_viec tap=chua_ket_thuc theo=phong_kv xep=khong lay=khong",
    ),
    (
        "Chấp hành viên nào ở Cà Mau có nhiều việc đang thi hành nhất?",
        "do=so_viec tap=dang_thi_hanh theo=chv xep=giam lay=1",
    ),
    (
        "Tỷ lệ thi hành xong về việc năm 2025 của Sơn La",
        "do=ty_le_xong_viec tap=tat_ca theo=khong xep=khong lay=khong",
    ),
    (
        "Tỷ lệ xong về tiền của từng miền năm nay",
        "do=ty_le_xong_tien tap=tat_ca theo=mien xep=khong lay=khong",
    ),
    (
        "Tỉnh nào có tỷ lệ thi hành xong về việc cao nhất năm 2026?",
        "do=ty_le_xong_viec tap=tat_ca theo=tinh xep=giam lay=1",
    ),
    (
        "Các tỉnh chưa đạt chỉ tiêu năm 2025",
        "do=chua_dat_chi_tieu tap=tat_ca theo=tinh xep=khong lay=khong",
    ),
    (
        "Còn phải thu bao nhiêu tiền ở các việc chưa xong của Lạng Sơn?",
        "do=tien_con_phai_thu tap=chua_ket_thuc theo=khong xep=khong lay=khong",
    ),
    (
        "Tổng số tiền phải thi hành của các việc đình chỉ năm ngoái",
        "do=tien_phai_thi_hanh tap=dinh_chi theo=khong xep=khong lay=khong",
    ),
    (
        "Tháng này thu được bao nhiêu tiền qua biên lai?",
        "do=tien_bien_lai tap=tat_ca theo=khong xep=khong lay=khong",
    ),
    (
        "Số biên lai theo kênh gửi tuần này",
        "do=so_bien_lai tap=tat_ca theo=kenh_gui xep=khong lay=khong",
    ),
    (
        "Tỷ lệ biên lai điện tử năm nay",
        "do=ty_le_bien_lai_dien_tu tap=tat_ca theo=khong xep=khong lay=khong",
    ),
    (
        "Số đơn tố cáo nhận được quý này theo kênh",
        "do=so_don tap=tat_ca theo=kenh xep=khong lay=khong",
    ),
    (
        "Bao nhiêu đơn khiếu nại đã quá hạn mà chưa giải quyết?",
        "do=so_don tap=qh12 theo=khong xep=khong lay=khong",
    ),
    (
        "Tỷ lệ giải quyết đơn đúng hạn theo từng tỉnh năm 2025",
        "do=ty_le_don_dung_han tap=tat_ca theo=tinh xep=khong lay=khong",
    ),
    (
        "Tỷ lệ quyết định được ký số trong tháng trước",
        "do=ty_le_ky_so tap=tat_ca theo=khong xep=khong lay=khong",
    ),
    (
        "Có bao nhiêu quyết định chưa ký số?",
        "do=so_quyet_dinh tap=qh16 theo=khong xep=khong lay=khong",
    ),
    (
        "Số lần phong tỏa tài khoản năm nay theo tháng",
        "do=so_bien_phap tap=tat_ca theo=thang xep=khong lay=khong",
    ),
    (
        "Lào Cai có bao nhiêu chấp hành viên?",
        "do=so_chv tap=tat_ca theo=khong xep=khong lay=khong",
    ),
    (
        "Mỗi tỉnh miền Bắc có bao nhiêu phòng khu vực?",
        "do=so_phong_kv tap=tat_ca theo=tinh xep=khong lay=khong",
    ),
    (
        "Tỉnh Phú Thọ gồm những tỉnh cũ nào?",
        "do=tinh_cu tap=tat_ca theo=khong xep=khong lay=khong",
    ),
    (
        "Chỉ tiêu được giao năm 2026 của Hải Phòng",
        "do=chi_tieu tap=tat_ca theo=khong xep=khong lay=khong",
    ),
    (
        "Việc chưa có điều kiện quá 6 tháng chưa xác minh lại ở Quảng Ninh",
        "do=so_viec tap=qh04 theo=khong xep=khong lay=khong",
    ),
    (
        "Bao nhiêu việc hoãn kéo dài quá 90 ngày?",
        "do=so_viec tap=qh05 theo=khong xep=khong lay=khong",
    ),
    (
        "Việc có điều kiện tồn quá 12 tháng theo phòng khu vực",
        "do=so_viec tap=qh11 theo=phong_kv xep=khong lay=khong",
    ),
    (
        "Thời gian giải quyết trung bình của việc xong năm 2025",
        "do=thoi_gian_tb tap=xong theo=khong xep=khong lay=khong",
    ),
    (
        "Bình quân mỗi chấp hành viên giải quyết xong bao nhiêu việc năm nay?",
        "do=binh_quan_chv tap=tat_ca theo=khong xep=khong lay=khong",
    ),
    (
        "Số việc chuyển sang năm sau của năm 2025, chia theo có điều kiện và chưa có điều kiện",
        "do=chuyen_ky_sau tap=tat_ca theo=co_dieu_kien xep=khong lay=khong",
    ),
    (
        "Có bao nhiêu việc hình sự chưa xong và còn phải thu bao nhiêu tiền?",
        "do=so_viec tap=chua_ket_thuc theo=khong xep=khong lay=khong va=tien_con_phai_thu",
    ),
    (
        "Những nhiệm vụ đang quá hạn",
        "do=ds_nhiem_vu tap=qh15 theo=khong xep=khong lay=khong",
    ),
];

/// The prefix: system prompt and the worked examples as earlier turns.
pub fn prefix(turn: impl Fn(&str, &str) -> String) -> String {
    let mut out = turn("system", &system());
    for (q, a) in EXAMPLES {
        out.push_str(&turn("user", q));
        out.push_str(&turn("assistant", a));
    }
    out
}

/// The user turn for one question: the question, briefly what linking found, and the plan the
/// cue words suggest (the model keeps it unless the question says otherwise).
pub fn question(text: &str, linked: &Linked, grammar: &PlanGrammar) -> String {
    let mut found: Vec<String> = Vec::new();
    let names: Vec<&str> = linked
        .province_codes()
        .iter()
        .filter_map(|c| org::province(c).map(|p| p.ten))
        .collect();
    if !names.is_empty() {
        found.push(format!("tỉnh {}", names.join(", ")));
    }
    if let Some(p) = &linked.period {
        found.push(p.label.clone());
    }
    let keys = ["do", "tap", "theo", "xep", "lay", "va"];
    let hint: Vec<String> = keys
        .iter()
        .zip(grammar.first_choice())
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    found.push(format!("gợi ý: {}", hint.join(" ")));
    format!("{text}\n({})", found.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_is_accepted_by_its_own_grammar() {
        let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        for (q, a) in EXAMPLES {
            let text = Text::new(q);
            let g = PlanGrammar::new(
                &text,
                &crate::nl::link::link(&text, &crate::Scope::National, as_of),
            );
            let mut values = Vec::new();
            let mut rest: &str = a;
            while let Some((prefix, options)) = g.next(&values) {
                rest = rest
                    .strip_prefix(prefix.as_str())
                    .unwrap_or_else(|| panic!("{q}: {a}"));
                let v = options
                    .iter()
                    .filter(|o| {
                        rest.starts_with(o.as_str())
                            && (rest.len() == o.len() || rest[o.len()..].starts_with(' '))
                    })
                    .max_by_key(|o| o.len())
                    .unwrap_or_else(|| panic!("{q}: {a} at {rest}"));
                rest = &rest[v.len()..];
                values.push(v.clone());
            }
            assert!(rest.is_empty(), "{q}: trailing {rest}");
            assert!(PlanGrammar::plan(&values).is_some(), "{q}");
        }
    }
}
