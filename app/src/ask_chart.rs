//! Charts of the analyst console's answers, drawn on the server as SVG with `plotters` (`ssr`
//! only): horizontal bars for values by category, a line for values over months or quarters.
//! The page wraps the SVG in a `<figure role="img">` with the answer sentence as its text.

use plotters::prelude::*;

const WIDTH: u32 = 960;
/// Most bars drawn (the table has every row).
pub const MAX_BARS: usize = 40;
const INK: RGBColor = RGBColor(0xf2, 0xf5, 0xf9);
const MUTED: RGBColor = RGBColor(0xa9, 0xb8, 0xcc);
const BAR: RGBColor = RGBColor(0x6f, 0xa8, 0xdc);
const BG: RGBColor = RGBColor(0x16, 0x26, 0x3d);

/// The SVG for `kind` (`bar` or `line`) of `values` labelled by `labels`; `None` for other
/// kinds, a drawing error (logged), and fewer than two values: one bar or one point compares
/// nothing, and the sentence and the table already say it.
pub fn answer_svg(kind: &str, title: &str, labels: &[String], values: &[f64]) -> Option<String> {
    let n = labels.len().min(values.len());
    if n < 2 {
        return None;
    }
    let mut svg = String::new();
    let (height, result) = match kind {
        "bar" => {
            let n = n.min(MAX_BARS);
            let height = 90 + 30 * u32::try_from(n).unwrap_or(40);
            (
                height,
                bars(&mut svg, title, &labels[..n], &values[..n], height),
            )
        }
        "line" => (420, line(&mut svg, title, &labels[..n], &values[..n], 420)),
        _ => return None,
    };
    if let Err(e) = result {
        tracing::error!(error = %e, title, "drawing an answer chart");
        return None;
    }
    Some(svg.replacen(
        &format!("width=\"{WIDTH}\" height=\"{height}\""),
        "width=\"100%\" preserveAspectRatio=\"xMidYMid meet\" aria-hidden=\"true\"",
        1,
    ))
}

fn axis_max(values: &[f64]) -> (f64, f64) {
    let top = values.iter().copied().fold(0.0_f64, f64::max);
    let bottom = values.iter().copied().fold(0.0_f64, f64::min);
    let top = if top <= 0.0 && bottom >= 0.0 {
        1.0
    } else {
        top * 1.1
    };
    (bottom * 1.1, top)
}

fn number(v: f64) -> String {
    if v.abs() >= 100.0 || v.fract() == 0.0 {
        crate::text::format_decimal(v, 0)
    } else {
        crate::text::format_decimal(v, 2)
    }
}

fn short(label: &str) -> String {
    if label.chars().count() > 26 {
        let mut s: String = label.chars().take(25).collect();
        s.push('…');
        s
    } else {
        label.to_owned()
    }
}

fn bars(
    svg: &mut String,
    title: &str,
    labels: &[String],
    values: &[f64],
    height: u32,
) -> Result<(), Box<dyn std::error::Error>> {
    let n = labels.len();
    let (lo, hi) = axis_max(values);
    let root = SVGBackend::with_string(svg, (WIDTH, height)).into_drawing_area();
    root.fill(&BG)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 24).into_font().color(&INK))
        .margin(14)
        .x_label_area_size(36)
        .y_label_area_size(230)
        .build_cartesian_2d(lo..hi, (0..n).into_segmented())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) if *i < n => {
                short(&labels[n - 1 - *i])
            }
            _ => String::new(),
        })
        .x_labels(6)
        .x_label_formatter(&|v| number(*v))
        .label_style(("sans-serif", 17).into_font().color(&MUTED))
        .axis_style(MUTED)
        .bold_line_style(MUTED.mix(0.2))
        .light_line_style(TRANSPARENT)
        .draw()?;
    chart.draw_series(values.iter().enumerate().map(|(i, v)| {
        let y = n - 1 - i;
        let mut bar = Rectangle::new(
            [
                (0.0, SegmentValue::Exact(y)),
                (*v, SegmentValue::Exact(y + 1)),
            ],
            BAR.filled(),
        );
        bar.set_margin(4, 4, 0, 0);
        bar
    }))?;
    root.present()?;
    Ok(())
}

fn line(
    svg: &mut String,
    title: &str,
    labels: &[String],
    values: &[f64],
    height: u32,
) -> Result<(), Box<dyn std::error::Error>> {
    let n = labels.len();
    let (lo, hi) = axis_max(values);
    let root = SVGBackend::with_string(svg, (WIDTH, height)).into_drawing_area();
    root.fill(&BG)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 24).into_font().color(&INK))
        .margin(18)
        .x_label_area_size(40)
        .y_label_area_size(90)
        .build_cartesian_2d(0usize..n.saturating_sub(1).max(1), lo..hi)?;
    chart
        .configure_mesh()
        .x_labels(n.min(24))
        .x_label_formatter(&|i| labels.get(*i).map(|l| short(l)).unwrap_or_default())
        .y_labels(6)
        .y_label_formatter(&|v| number(*v))
        .label_style(("sans-serif", 17).into_font().color(&MUTED))
        .axis_style(MUTED)
        .bold_line_style(MUTED.mix(0.2))
        .light_line_style(TRANSPARENT)
        .draw()?;
    let style = ShapeStyle {
        color: BAR.to_rgba(),
        filled: false,
        stroke_width: 4,
    };
    chart.draw_series(LineSeries::new(values.iter().copied().enumerate(), style).point_size(5))?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_and_lines_carry_their_labels() {
        let labels = vec!["Hà Nội".to_string(), "TP. Hồ Chí Minh".to_string()];
        let svg = answer_svg("bar", "Số việc", &labels, &[1200.0, 3400.5]).unwrap_or_default();
        assert!(svg.starts_with("<svg") && svg.contains("Hà Nội") && svg.contains("Số việc"));
        assert!(svg.contains("width=\"100%\""));
        let months = vec!["2026-10".to_string(), "2026-11".to_string()];
        let svg = answer_svg("line", "Theo tháng", &months, &[1.0, 2.0]).unwrap_or_default();
        assert!(svg.contains("2026-11"));
        assert!(answer_svg("number", "x", &labels, &[1.0, 2.0]).is_none());
        assert!(answer_svg("bar", "x", &[], &[]).is_none());
        let one = vec!["Hà Nội".to_string()];
        assert!(
            answer_svg("bar", "x", &one, &[5.0]).is_none(),
            "one bar tells nothing"
        );
    }
}
