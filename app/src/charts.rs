//! Trend charts drawn on the server as SVG with `plotters` (compiled only with `ssr`, so the
//! wasm bundle never carries it). Each chart has a title, a unit on its axis and a legend; the
//! page wraps it in a `<figure role="img">` with a text alternative.

use crate::dash::TwoYears;
use crate::text::dash as t;
use plotters::prelude::*;

const WIDTH: u32 = 960;
const HEIGHT: u32 = 440;
const INK: RGBColor = RGBColor(0xf2, 0xf5, 0xf9);
const MUTED: RGBColor = RGBColor(0xa9, 0xb8, 0xcc);
const THIS_YEAR: RGBColor = RGBColor(0xf5, 0xc5, 0x42);
const LAST_YEAR: RGBColor = RGBColor(0x6f, 0xa8, 0xdc);
const TARGET: RGBColor = RGBColor(0x3c, 0xc4, 0x7c);
const PANEL: RGBColor = RGBColor(0x16, 0x26, 0x3d);

/// Month labels of a statistical year, October first.
const MONTHS: [&str; 12] = [
    "T10", "T11", "T12", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9",
];

/// A line chart of `series` by month of the statistical year: this year (solid), last year
/// (dashed) and, when given, the target as a horizontal line. `unit` labels the y axis. The
/// SVG scales to its container. On a drawing error the chart is replaced by its title alone
/// (logged).
pub fn trend_svg(
    title: &str,
    unit: &str,
    series: &TwoYears,
    year: i32,
    target: Option<f64>,
) -> String {
    let mut svg = String::new();
    if let Err(e) = draw(&mut svg, title, unit, series, year, target) {
        tracing::error!(error = %e, title, "drawing a trend chart");
        return fallback(title);
    }
    responsive(&svg)
}

fn points(v: &[Option<f64>]) -> Vec<(usize, f64)> {
    v.iter()
        .enumerate()
        .filter_map(|(i, x)| x.map(|x| (i, x)))
        .collect()
}

fn draw(
    svg: &mut String,
    title: &str,
    unit: &str,
    series: &TwoYears,
    year: i32,
    target: Option<f64>,
) -> Result<(), Box<dyn std::error::Error>> {
    let now = points(&series.this_year);
    let before = points(&series.last_year);
    let top = now
        .iter()
        .chain(before.iter())
        .map(|p| p.1)
        .chain(target)
        .fold(0.0_f64, f64::max);
    let y_max = if top <= 0.0 { 1.0 } else { top * 1.12 };
    let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&PANEL)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 30).into_font().color(&INK))
        .margin(18)
        .x_label_area_size(44)
        .y_label_area_size(86)
        .build_cartesian_2d(0usize..11usize, 0f64..y_max)?;
    chart
        .configure_mesh()
        .x_labels(12)
        .x_label_formatter(&|i| MONTHS.get(*i).copied().unwrap_or("").to_string())
        .y_labels(6)
        .y_label_formatter(&|v| crate::text::format_decimal(*v, 0))
        .y_desc(unit)
        .axis_desc_style(("sans-serif", 22).into_font().color(&MUTED))
        .label_style(("sans-serif", 22).into_font().color(&MUTED))
        .axis_style(MUTED)
        .bold_line_style(MUTED.mix(0.25))
        .light_line_style(TRANSPARENT)
        .draw()?;
    let this_style = ShapeStyle {
        color: THIS_YEAR.to_rgba(),
        filled: false,
        stroke_width: 5,
    };
    let last_style = ShapeStyle {
        color: LAST_YEAR.to_rgba(),
        filled: false,
        stroke_width: 4,
    };
    chart
        .draw_series(DashedLineSeries::new(before, 14, 8, last_style))?
        .label(format!("{} {}", t::CHART_YEAR, year - 1))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 28, y)], last_style));
    chart
        .draw_series(LineSeries::new(now.clone(), this_style).point_size(5))?
        .label(format!("{} {}", t::CHART_YEAR, year))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 28, y)], this_style));
    if let Some(target) = target {
        let style = ShapeStyle {
            color: TARGET.to_rgba(),
            filled: false,
            stroke_width: 3,
        };
        chart
            .draw_series(DashedLineSeries::new(
                vec![(0usize, target), (11usize, target)],
                6,
                6,
                style,
            ))?
            .label(format!(
                "{} {}%",
                t::CHART_TARGET,
                crate::text::format_decimal(target, 2)
            ))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 28, y)], style));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(PANEL.mix(0.9))
        .border_style(MUTED)
        .label_font(("sans-serif", 22).into_font().color(&INK))
        .draw()?;
    root.present()?;
    Ok(())
}

/// Lets the SVG fill its container: the fixed size becomes the viewBox only.
fn responsive(svg: &str) -> String {
    svg.replacen(
        &format!("width=\"{WIDTH}\" height=\"{HEIGHT}\""),
        "width=\"100%\" preserveAspectRatio=\"xMidYMid meet\" aria-hidden=\"true\"",
        1,
    )
}

fn fallback(title: &str) -> String {
    let escaped = title
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        "<svg viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"100%\" xmlns=\"http://www.w3.org/2000/svg\" aria-hidden=\"true\"><text x=\"20\" y=\"40\" fill=\"#a9b8cc\" font-size=\"28\">{escaped}</text></svg>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_both_years_with_legend_and_title() {
        let mut this_year = vec![None; 12];
        this_year[0] = Some(10.0);
        this_year[1] = Some(20.5);
        let series = TwoYears {
            this_year,
            last_year: (0..12).map(|i| Some(f64::from(i) * 7.0)).collect(),
        };
        let svg = trend_svg("Tỷ lệ", "%", &series, 2027, Some(83.9));
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("width=\"100%\""));
        assert!(svg.contains("Tỷ lệ"));
        assert!(svg.contains("2027") && svg.contains("2026"));
        assert!(svg.contains("83,90%"));
        assert!(svg.contains("T10") && svg.contains("T9"));
    }
}
