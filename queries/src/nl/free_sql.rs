//! The free-SQL fallback's prompt: what the model sees when the plan cannot express a question,
//! and the [`SqlGrammar`] its answer must follow.
//!
//! The user turn (after the fixed plan prefix, which stays in the KV cache) holds short
//! instructions, only the part of the canonical schema the question is about (tables named by
//! its words and by the retrieved examples), the values linking found (province and office
//! codes, the resolved period as ISO dates, case types, channels, …) and a few examples. The
//! examples come from the plan prompt's own worked examples ([`prompt::EXAMPLES`]), compiled to
//! SQL by the plan compiler — written for the semantic layer, never taken from an evaluation
//! set — and retrieved by word overlap with the question. The grammar offers the same tables,
//! and string literals only from the linked values and the codes of the schema and examples.

use chrono::NaiveDate;

use super::link::{link, Linked};
use super::normalize::Text;
use super::plan::{compile, Context};
use super::prompt::{self, PlanGrammar};
use super::sql_grammar::{Literals, SqlGrammar};
use crate::schema::{self, Table};
use crate::{org, Scope};

/// Examples shown per question.
const EXAMPLES_SHOWN: usize = 3;
/// Examples whose SQL is longer than this (in bytes) are not shown (the prompt stays short).
const LONGEST_EXAMPLE: usize = 420;

/// A worked example: a question and the SQL the plan compiler writes for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlExample {
    pub question: &'static str,
    pub sql: String,
}

/// The plan prompt's examples compiled to SQL as of `as_of` (national scope).
pub fn example_bank(as_of: NaiveDate) -> Vec<SqlExample> {
    prompt::EXAMPLES
        .iter()
        .filter_map(|(question, line)| {
            let values: Vec<String> = line
                .split(' ')
                .filter_map(|kv| kv.split_once('=').map(|(_, v)| v.to_owned()))
                .collect();
            let plan = PlanGrammar::plan(&values)?;
            let text = Text::new(question);
            let linked = link(&text, &Scope::National, as_of);
            let compiled = compile(
                &plan,
                &Context {
                    linked: &linked,
                    scope: &Scope::National,
                    as_of,
                },
            )
            .ok()?;
            Some(SqlExample {
                question,
                sql: compiled.sql,
            })
        })
        .collect()
}

/// Words that say nothing about what is asked.
const STOP_WORDS: &[&str] = &[
    "bao", "nhieu", "co", "cua", "cac", "nhung", "la", "va", "o", "tai", "trong", "nay", "nao",
    "the", "thi", "duoc", "da", "con", "cho", "moi", "theo", "tung",
];

/// The content words of a folded text.
fn content_words(text: &Text) -> Vec<&str> {
    let mut words: Vec<&str> = text
        .words()
        .into_iter()
        .filter(|w| !STOP_WORDS.contains(w))
        .collect();
    words.sort_unstable();
    words.dedup();
    words
}

/// The `k` examples most similar to the question (word overlap: Jaccard on content words and
/// word pairs), among those short enough to show.
pub fn similar<'a>(text: &Text, bank: &'a [SqlExample], k: usize) -> Vec<&'a SqlExample> {
    let pairs = |t: &Text| -> Vec<String> {
        let w = t.words();
        w.windows(2).map(|p| format!("{} {}", p[0], p[1])).collect()
    };
    let mine = content_words(text);
    let my_pairs = pairs(text);
    let mut scored: Vec<(f64, &SqlExample)> = bank
        .iter()
        .filter(|e| e.sql.len() <= LONGEST_EXAMPLE)
        .map(|e| {
            let t = Text::new(e.question);
            let theirs = content_words(&t);
            let their_pairs = pairs(&t);
            let common = mine.iter().filter(|w| theirs.contains(w)).count()
                + my_pairs.iter().filter(|p| their_pairs.contains(p)).count();
            let all = mine.len() + theirs.len() + my_pairs.len() + their_pairs.len() - common;
            #[allow(clippy::cast_precision_loss)]
            let score = common as f64 / all.max(1) as f64;
            (score, e)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.into_iter().take(k).map(|(_, e)| e).collect()
}

/// Tables a question's words name (folded cue phrases).
const TABLE_CUES: &[(Table, &[&str])] = &[
    (Table::DonThu, &["don", "khieu nai", "to cao", "kien nghi"]),
    (Table::BienLai, &["bien lai"]),
    (Table::QuyetDinh, &["quyet dinh", "ky so"]),
    (
        Table::BienPhapCuongChe,
        &["cuong che", "bien phap", "phong toa", "ke bien", "tam giu"],
    ),
    (
        Table::DuongSu,
        &[
            "duong su",
            "nguoi phai thi hanh",
            "nguoi duoc thi hanh",
            "ca nhan",
            "to chuc",
        ],
    ),
    (Table::CanBo, &["chap hanh vien", "can bo", "chuc vu"]),
    (Table::DonVi, &["phong", "don vi", "khu vuc", "cuc"]),
    (
        Table::Tinh,
        &["tinh", "mien", "vung", "dan so", "thanh pho"],
    ),
    (Table::ChiTieu, &["chi tieu"]),
    (Table::NhiemVu, &["nhiem vu"]),
    (Table::Lich, &["ngay lam viec", "ngay le", "ngay nghi"]),
    (
        Table::ViecThiHanh,
        &["viec", "an", "thi hanh", "tien", "ho so"],
    ),
];

/// The codes of the schema's enumerated columns (DOMAIN.md §6), listed in the prompt for the
/// tables shown and allowed as string literals.
const CODES: &[(Table, &str, &[&str])] = &[
    (Table::Tinh, "loai", &["tp", "tinh"]),
    (Table::Tinh, "mien", &["bac", "trung", "nam"]),
    (
        Table::Tinh,
        "vung",
        &["tdmnpb", "dbsh", "btb_dhmt", "tay_nguyen", "dnb", "dbscl"],
    ),
    (Table::DonVi, "cap", &["cuc", "tinh", "khu_vuc"]),
    (Table::ViecThiHanh, "trang_thai", &schema::trang_thai::ALL),
    (Table::ViecThiHanh, "loai_an", &schema::LOAI_AN),
    (
        Table::ViecThiHanh,
        "hinh_thuc",
        &["chu_dong", "theo_yeu_cau"],
    ),
    (
        Table::DuongSu,
        "vai_tro",
        &["phai_thi_hanh", "duoc_thi_hanh", "lien_quan"],
    ),
    (
        Table::DuongSu,
        "loai",
        &[
            "ca_nhan",
            "doanh_nghiep",
            "to_chuc_tin_dung",
            "nha_nuoc",
            "to_chuc_khac",
        ],
    ),
    (
        Table::QuyetDinh,
        "loai",
        &[
            "thi_hanh_an",
            "chua_co_dieu_kien",
            "hoan",
            "tiep_tuc",
            "tam_dinh_chi",
            "dinh_chi",
            "uy_thac",
            "cuong_che",
            "khac",
        ],
    ),
    (
        Table::BienPhapCuongChe,
        "nhom",
        &["bao_dam", "cuong_che", "xu_ly_tai_san"],
    ),
    (
        Table::BienPhapCuongChe,
        "loai",
        &[
            "phong_toa_tai_khoan",
            "tam_giu_tai_san",
            "tam_dung_dang_ky",
            "khau_tru_tai_khoan",
            "tru_thu_nhap",
            "ke_bien_tai_san",
            "khai_thac_tai_san",
            "buoc_chuyen_giao",
            "buoc_thuc_hien_cong_viec",
            "tham_dinh_gia",
            "ban_dau_gia",
        ],
    ),
    (Table::BienLai, "kenh_gui", &["email", "sms", "giay"]),
    (Table::BienLai, "trang_thai", &["hop_le", "da_huy"]),
    (Table::DonThu, "loai", &["khieu_nai", "to_cao", "kien_nghi"]),
    (
        Table::DonThu,
        "kenh",
        &["vneid", "qr", "truc_tiep", "buu_dien"],
    ),
    (
        Table::DonThu,
        "trang_thai",
        &["moi", "dang_giai_quyet", "da_giai_quyet", "chuyen_don"],
    ),
    (Table::DonThu, "ket_qua", &["dung", "dung_mot_phan", "sai"]),
    (
        Table::NhiemVu,
        "loai_hanh_dong",
        &[
            "ra_soat",
            "bao_cao",
            "xu_ly",
            "kiem_tra",
            "doi_chieu",
            "khac",
        ],
    ),
    (
        Table::NhiemVu,
        "trang_thai",
        &["moi", "dang_thuc_hien", "hoan_thanh", "huy"],
    ),
];

/// What a table holds, in the words of the questions.
fn table_label(t: Table) -> &'static str {
    match t {
        Table::Tinh => "tỉnh/thành phố",
        Table::DonVi => "đơn vị: Cục, cơ quan THADS tỉnh, phòng khu vực",
        Table::CanBo => "cán bộ, chấp hành viên",
        Table::ViecThiHanh => "việc thi hành án",
        Table::DuongSu => "đương sự của việc",
        Table::QuyetDinh => "quyết định",
        Table::BienPhapCuongChe => "biện pháp bảo đảm, cưỡng chế",
        Table::BienLai => "biên lai thu tiền",
        Table::DonThu => "đơn khiếu nại, tố cáo, kiến nghị",
        Table::ChiTieu => "chỉ tiêu được giao (%)",
        Table::NhiemVu => "nhiệm vụ được giao",
        Table::NhiemVuViec => "việc của nhiệm vụ",
        Table::Lich => "lịch: ngày, tháng, quý, ngày làm việc",
    }
}

/// Tables an SQL text names.
fn tables_in(sql: &str) -> Vec<Table> {
    sql.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter_map(Table::from_name)
        .collect()
}

/// The prompt and grammar of one question's free SQL.
#[derive(Debug, Clone)]
pub struct SqlPrompt {
    /// The user turn.
    pub turn: String,
    pub grammar: SqlGrammar,
}

impl SqlPrompt {
    /// The prompt for `text` with what linking found.
    pub fn new(text: &Text, linked: &Linked, as_of: NaiveDate) -> SqlPrompt {
        let mut tables: Vec<Table> = TABLE_CUES
            .iter()
            .filter(|(_, cues)| text.has_any(cues))
            .map(|(t, _)| *t)
            .collect();
        if !linked.provinces.is_empty() || !linked.mien.is_empty() || !linked.vung.is_empty() {
            tables.push(Table::Tinh);
        }
        if linked.office.is_some() {
            tables.push(Table::DonVi);
        }
        let bank = example_bank(as_of);
        let ranked = similar(text, &bank, bank.len());
        // Examples over the tables the question names first; their tables when it names none.
        let (mut examples, others): (Vec<&SqlExample>, Vec<&SqlExample>) = ranked
            .into_iter()
            .partition(|e| tables_in(&e.sql).iter().any(|t| tables.contains(t)));
        examples.extend(others);
        examples.truncate(EXAMPLES_SHOWN);
        if tables.is_empty() {
            for e in &examples {
                tables.extend(tables_in(&e.sql));
            }
        }
        if tables.is_empty() {
            tables.push(Table::ViecThiHanh);
        }
        tables.sort_unstable();
        tables.dedup();

        let (mut values, mut literals) = linked_values(linked);
        values.push(format!("hôm nay '{as_of}'"));
        literals.dates.push(as_of.to_string());
        let codes: Vec<&(Table, &str, &[&str])> = CODES
            .iter()
            .filter(|(t, _, _)| tables.contains(t))
            .collect();
        for (_, column, values) in &codes {
            literals
                .codes
                .extend(values.iter().map(|v| (*column, (*v).to_owned())));
        }

        let mut turn = String::from(
            "Kế hoạch truy vấn không diễn đạt được câu hỏi này. Thay vì dòng kế hoạch, hãy viết \
             đúng một câu lệnh SELECT (SQLite, trên một dòng) trả lời câu hỏi, chỉ dùng các bảng, \
             cột và giá trị dưới đây; đặt tên cho cột kết quả bằng AS.\nBảng:\n",
        );
        for t in &tables {
            let cols: Vec<&str> = t.column_names().collect();
            turn.push_str(&format!(
                "- {}({}): {}\n",
                t.name(),
                cols.join(", "),
                table_label(*t)
            ));
        }
        let code_lines: Vec<String> = codes
            .iter()
            .map(|(t, c, values)| format!("{}.{c}: {}", t.name(), values.join(", ")))
            .collect();
        if !code_lines.is_empty() {
            turn.push_str(&format!("Mã: {}\n", code_lines.join("; ")));
        }
        if !values.is_empty() {
            turn.push_str(&format!("Giá trị đã nhận diện: {}\n", values.join("; ")));
        }
        turn.push_str("Ví dụ:\n");
        for e in &examples {
            turn.push_str(&format!("Hỏi: {}\nSQL: {}\n", e.question, e.sql));
        }
        turn.push_str(&format!("Hỏi: {}\nSQL:", text.nfc));
        SqlPrompt {
            turn,
            grammar: SqlGrammar::new(&tables, &literals),
        }
    }

    /// The turn again, with the SQL that failed and the error, for a repair attempt.
    pub fn repair(&self, sql: &str, error: &str) -> String {
        format!(
            "{}\n(Câu SQL trước: {sql}\nbị lỗi: {error}. Hãy viết lại câu SQL cho đúng.)",
            self.turn
        )
    }
}

/// A column name of the catalog's predicates, as the grammar knows it (a `'static` name).
fn catalog_column(name: &str) -> Option<&'static str> {
    Table::ALL
        .iter()
        .find_map(|t| t.column(name))
        .map(|c| c.name)
}

/// What linking found, as prompt lines and as the string literals the grammar allows.
fn linked_values(linked: &Linked) -> (Vec<String>, Literals) {
    let mut lines: Vec<String> = Vec::new();
    let mut literals = Literals::default();
    for code in linked.province_codes() {
        let name = org::province(code).map_or("", |p| p.ten);
        lines.push(format!("ma_tinh '{code}' ({name})"));
        literals.codes.push(("ma_tinh", code.to_owned()));
    }
    if let Some(office) = &linked.office {
        lines.push(format!("don_vi.ma '{office}'"));
        literals.codes.push(("ma", office.clone()));
    }
    let lists: [(&str, &str, &[&'static str]); 2] = [
        ("tinh", "mien", &linked.mien),
        ("tinh", "vung", &linked.vung),
    ];
    for (table, column, codes) in lists {
        if !codes.is_empty() {
            let quoted: Vec<String> = codes.iter().map(|c| format!("'{c}'")).collect();
            lines.push(format!("{table}.{column} {}", quoted.join(", ")));
            literals
                .codes
                .extend(codes.iter().map(|c| (column, (*c).to_owned())));
        }
    }
    // Each condition as its table's predicate; its string values become literals the grammar
    // allows after their column.
    for c in &linked.conditions {
        let Some((table, pred)) = c.targets.first() else {
            continue;
        };
        let pred = pred.replace("{a}.", "");
        let pred = if c.negated {
            format!("NOT ({pred})")
        } else {
            pred
        };
        lines.push(format!("{table}: {pred} ({})", c.label));
        let mut parts = pred.split('\'');
        let mut before = parts.next().unwrap_or("");
        while let (Some(value), Some(rest)) = (parts.next(), parts.next()) {
            if let Some(column) = before.split_whitespace().rev().nth(1) {
                if let Some(column) = catalog_column(column) {
                    literals.codes.push((column, value.to_owned()));
                }
            }
            before = rest;
        }
    }
    if let Some(n) = linked.top_n {
        lines.push(format!("LIMIT {n}"));
    }
    if let Some(p) = &linked.period {
        let (from, to) = (p.from.to_string(), p.to.to_string());
        let mut line = format!("thời gian {}: từ '{from}' đến '{to}'", p.label);
        if let Some(y) = p.stat_year {
            line.push_str(&format!(" (nam_thong_ke = {y})"));
        }
        lines.push(line);
        literals.dates.extend([from, to]);
    }
    (lines, literals)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The string literals of an SQL text (`'…'`, quotes doubled inside).
    fn literals(sql: &str) -> impl Iterator<Item = String> + '_ {
        sql.split('\'').skip(1).step_by(2).map(str::to_owned)
    }

    fn as_of() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
    }

    #[test]
    fn every_example_compiles_and_each_shown_one_fits_its_own_grammar() {
        let bank = example_bank(as_of());
        assert_eq!(bank.len(), prompt::EXAMPLES.len());
        let mut checked = 0;
        for e in bank.iter().filter(|e| e.sql.len() <= LONGEST_EXAMPLE) {
            let text = Text::new(e.question);
            let linked = link(&text, &Scope::National, as_of());
            let p = SqlPrompt::new(&text, &linked, as_of());
            // Dates an overdue rule computes (e.g. "90 days ago") are not linked values, and a
            // join may need a table the question does not name: the model cannot write those,
            // so such examples only show the shape.
            if literals(&e.sql).any(|l| !p.grammar.strings().contains(&l))
                || tables_in(&e.sql)
                    .iter()
                    .any(|t| !p.turn.contains(&format!("- {}(", t.name())))
            {
                continue;
            }
            assert!(p.grammar.accepts(&e.sql), "{}: {}", e.question, e.sql);
            checked += 1;
        }
        assert!(checked >= 15, "{checked}");
    }

    #[test]
    fn the_prompt_holds_linked_values_and_similar_examples() {
        let text = Text::new(
            "Có bao nhiêu đương sự là tổ chức trong các việc chưa xong ở Nghệ An năm nay?",
        );
        let linked = link(&text, &Scope::National, as_of());
        let p = SqlPrompt::new(&text, &linked, as_of());
        assert!(
            p.turn
                .contains("duong_su(id, viec_id, vai_tro, loai, ho_ten): đương sự"),
            "{}",
            p.turn
        );
        assert!(p.turn.contains("ma_tinh '40' (Nghệ An)"), "{}", p.turn);
        assert!(p.turn.contains("'2026-10-01'"), "{}", p.turn);
        assert_eq!(
            p.turn.matches("\nSQL: ").count(),
            EXAMPLES_SHOWN,
            "{}",
            p.turn
        );
        assert!(p
            .grammar
            .accepts_prefix("SELECT COUNT(*) FROM duong_su d WHERE d.loai"));
        assert!(p
            .grammar
            .accepts("SELECT COUNT(*) AS n FROM viec_thi_hanh v WHERE v.ma_tinh = '40'"));
        assert!(!p
            .grammar
            .accepts("SELECT COUNT(*) AS n FROM viec_thi_hanh v WHERE v.ma_tinh = '01'"));
        assert!(!p.grammar.accepts_prefix("SELECT * FROM users"));
    }
}
