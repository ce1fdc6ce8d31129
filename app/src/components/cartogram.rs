//! The tile cartogram of the 34 provinces: one square per province on a grid that keeps each
//! province's place relative to its neighbours (north at the top, the coast to the right),
//! coloured by completion against target, the weakest ones called out.

use crate::text::{self, dash as t};
use crate::wire::dash::ProvinceTile;
use leptos::prelude::*;

/// One cell of the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub ma_tinh: &'static str,
    /// Label printed on the tile.
    pub short: &'static str,
    pub row: u8,
    pub col: u8,
}

/// Rows of the grid.
pub const ROWS: u8 = 16;
/// Columns of the grid.
pub const COLS: u8 = 5;

const fn cell(ma_tinh: &'static str, short: &'static str, row: u8, col: u8) -> Cell {
    Cell {
        ma_tinh,
        short,
        row,
        col,
    }
}

/// The 34 provinces (2025 boundaries) on a 16 × 5 grid.
pub const GRID: [Cell; 34] = [
    // Northern mountains and midlands.
    cell("12", "Lai Châu", 0, 1),
    cell("15", "Lào Cai", 0, 2),
    cell("08", "Tuyên Quang", 0, 3),
    cell("04", "Cao Bằng", 0, 4),
    cell("11", "Điện Biên", 1, 0),
    cell("14", "Sơn La", 1, 1),
    cell("25", "Phú Thọ", 1, 2),
    cell("19", "Thái Nguyên", 1, 3),
    cell("20", "Lạng Sơn", 1, 4),
    // Red River delta.
    cell("01", "Hà Nội", 2, 2),
    cell("24", "Bắc Ninh", 2, 3),
    cell("22", "Quảng Ninh", 2, 4),
    cell("37", "Ninh Bình", 3, 2),
    cell("33", "Hưng Yên", 3, 3),
    cell("31", "Hải Phòng", 3, 4),
    // North central and central coast.
    cell("38", "Thanh Hóa", 4, 2),
    cell("40", "Nghệ An", 5, 2),
    cell("42", "Hà Tĩnh", 5, 3),
    cell("44", "Quảng Trị", 6, 3),
    cell("46", "Huế", 7, 3),
    cell("48", "Đà Nẵng", 7, 4),
    cell("51", "Quảng Ngãi", 8, 4),
    // Central highlands and south central coast.
    cell("52", "Gia Lai", 9, 4),
    cell("66", "Đắk Lắk", 10, 4),
    cell("68", "Lâm Đồng", 11, 3),
    cell("56", "Khánh Hòa", 11, 4),
    // South east.
    cell("75", "Đồng Nai", 11, 2),
    cell("80", "Tây Ninh", 12, 1),
    cell("79", "TP.HCM", 12, 2),
    // Mekong delta.
    cell("91", "An Giang", 13, 0),
    cell("82", "Đồng Tháp", 13, 1),
    cell("86", "Vĩnh Long", 13, 2),
    cell("92", "Cần Thơ", 14, 1),
    cell("96", "Cà Mau", 15, 0),
];

/// Points around the national rate counted as "about the national rate".
pub const NEAR_POINTS: f64 = 2.0;

/// Colour class of a province's completion rate against the national one: more than
/// [`NEAR_POINTS`] above, within, more than that below, or no data. (Early in a statistical
/// year every province is far below the year's target, so the target alone would colour the
/// whole map the same.)
pub fn band(rate: Option<f64>, national: Option<f64>) -> &'static str {
    match (rate, national) {
        (Some(r), Some(n)) if r > n + NEAR_POINTS => "band-good",
        (Some(r), Some(n)) if r >= n - NEAR_POINTS => "band-near",
        (Some(_), _) => "band-low",
        (None, _) => "band-none",
    }
}

fn rate_text(rate: Option<f64>) -> String {
    rate.map_or_else(
        || t::NO_DATA.to_string(),
        |r| format!("{}%", text::format_decimal(r, 1)),
    )
}

/// The cartogram; each tile links to its province.
#[component]
pub fn ProvinceCartogram(tiles: Vec<ProvinceTile>) -> impl IntoView {
    let mut weak: Vec<&ProvinceTile> = tiles.iter().filter(|t| t.weakest).collect();
    weak.sort_by(|a, b| {
        a.done_rate_cases
            .unwrap_or(f64::INFINITY)
            .total_cmp(&b.done_rate_cases.unwrap_or(f64::INFINITY))
    });
    let weak_text = weak
        .iter()
        .map(|t| format!("{} {}", t.ten, rate_text(t.done_rate_cases)))
        .collect::<Vec<_>>()
        .join(" · ");
    let style = format!(
        "grid-template-columns: repeat({COLS}, 1fr); grid-template-rows: repeat({ROWS}, 1fr);"
    );
    view! {
        <figure class="cartogram" aria-labelledby="cartogram-title">
            <figcaption id="cartogram-title">{t::MAP_TITLE}</figcaption>
            <ol class="cartogram-grid" style=style>
                {tiles
                    .into_iter()
                    .map(|tile| {
                        let class = format!(
                            "tile {}{}",
                            band(tile.done_rate_cases, tile.national_rate_cases),
                            if tile.weakest { " tile-weak" } else { "" },
                        );
                        let pos = format!(
                            "grid-row: {}; grid-column: {};",
                            tile.row + 1,
                            tile.col + 1,
                        );
                        let label = format!(
                            "{}: {} {}{}",
                            tile.ten,
                            t::MAP_RATE,
                            rate_text(tile.done_rate_cases),
                            if tile.weakest { t::MAP_WEAK_SUFFIX } else { "" },
                        );
                        let href = format!("/tinh/{}", tile.ma_tinh);
                        view! {
                            <li class=class style=pos>
                                // The full name and the rate are read after what is shown, so
                                // the link's name starts with its visible text.
                                <a href=href>
                                    <span class="tile-name">{tile.short}</span>
                                    <span class="tile-rate">{rate_text(tile.done_rate_cases)}</span>
                                    <span class="sr-only">{label}</span>
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
            <p class="weakest"><strong>{t::MAP_WEAKEST}</strong> " " {weak_text}</p>
            <p class="legend" aria-hidden="true">
                <span class="swatch band-good"></span>{t::LEGEND_GOOD}
                <span class="swatch band-near"></span>{t::LEGEND_NEAR}
                <span class="swatch band-low"></span>{t::LEGEND_LOW}
            </p>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_province_has_one_free_cell() {
        let mut seen = std::collections::HashSet::new();
        for c in GRID {
            assert!(queries_province_exists(c.ma_tinh), "{}", c.ma_tinh);
            assert!(c.row < ROWS && c.col < COLS);
            assert!(
                seen.insert((c.row, c.col)),
                "two provinces on {:?}",
                (c.row, c.col)
            );
        }
        let codes: std::collections::HashSet<&str> = GRID.iter().map(|c| c.ma_tinh).collect();
        assert_eq!(codes.len(), 34);
    }

    #[cfg(feature = "ssr")]
    fn queries_province_exists(code: &str) -> bool {
        queries::org::province(code).is_some()
    }

    #[cfg(not(feature = "ssr"))]
    fn queries_province_exists(code: &str) -> bool {
        code.len() == 2
    }

    #[test]
    fn bands_compare_with_target() {
        assert_eq!(band(Some(86.0), Some(83.9)), "band-good");
        assert_eq!(band(Some(82.0), Some(83.9)), "band-near");
        assert_eq!(band(Some(85.9), Some(83.9)), "band-near");
        assert_eq!(band(Some(70.0), Some(83.9)), "band-low");
        assert_eq!(band(None, Some(83.9)), "band-none");
    }
}
