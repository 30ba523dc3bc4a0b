//! The run over time as an SVG: one panel per measure (clients, traffic, latency, server
//! CPU and memory, tick peak), sharing the time axis, with the measured window shaded.

use plotters::prelude::*;
use thiserror::Error;

use crate::report::{Report, Sample};

/// Plotting failed (a drawing error from plotters, as text).
#[derive(Debug, Error)]
#[error("plotting failed: {0}")]
pub struct PlotError(String);

/// One panel: a title, a unit, and named series of (seconds, value).
struct Panel {
    title: &'static str,
    unit: &'static str,
    series: Vec<(&'static str, Vec<(f64, f64)>)>,
}

/// Picks one optional value per sample as a series; empty if no sample has it.
fn series(timeline: &[Sample], value: impl Fn(&Sample) -> Option<f64>) -> Vec<(f64, f64)> {
    timeline.iter().filter_map(|sample| Some((sample.t_s, value(sample)?))).collect()
}

/// The report's timeline as an SVG document.
///
/// # Errors
/// [`PlotError`] if plotters fails to draw.
pub fn svg(report: &Report) -> Result<String, PlotError> {
    let timeline = &report.timeline;
    let panels: Vec<Panel> = [
        Panel {
            title: "connected clients",
            unit: "clients",
            series: vec![("connected", series(timeline, |s| Some(s.connected as f64)))],
        },
        Panel {
            title: "traffic received by all clients",
            unit: "MiB/s",
            series: vec![("received", series(timeline, |s| Some(s.received_mib_per_s)))],
        },
        Panel {
            title: "delivery latency",
            unit: "ms",
            series: vec![
                ("p50", series(timeline, |s| s.latency_p50_ms)),
                ("p99", series(timeline, |s| s.latency_p99_ms)),
            ],
        },
        Panel {
            title: "server CPU",
            unit: "cores",
            series: vec![("cpu", series(timeline, |s| s.server_cpu_cores))],
        },
        Panel {
            title: "server resident memory",
            unit: "MiB",
            series: vec![("rss", series(timeline, |s| s.server_rss_mib))],
        },
        Panel {
            title: "longest tick per second",
            unit: "ms",
            series: vec![("tick peak", series(timeline, |s| s.tick_peak_ms))],
        },
    ]
    .into_iter()
    .filter(|panel| panel.series.iter().any(|(_, points)| !points.is_empty()))
    .collect();

    let x_max = timeline.last().map_or(1.0, |sample| sample.t_s).max(1.0);
    let window =
        (report.ramp_s + report.warmup_s, report.ramp_s + report.warmup_s + report.window_s);
    let caption = format!(
        "{:?}: {} clients at {} (shaded: measured window)",
        report.target, report.clients_requested, report.url
    );
    let mut document = String::new();
    {
        let height = 60 + 200 * panels.len().max(1) as u32;
        let root = SVGBackend::with_string(&mut document, (960, height)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        let root = root.titled(&caption, ("sans-serif", 18)).map_err(drawing)?;
        for (area, panel) in root.split_evenly((panels.len().max(1), 1)).iter().zip(&panels) {
            draw_panel(area, panel, x_max, window)?;
        }
        root.present().map_err(drawing)?;
    }
    Ok(document)
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    panel: &Panel,
    x_max: f64,
    window: (f64, f64),
) -> Result<(), PlotError> {
    let y_max = panel
        .series
        .iter()
        .flat_map(|(_, points)| points.iter().map(|&(_, y)| y))
        .fold(0.0_f64, f64::max);
    let y_max = if y_max > 0.0 { y_max * 1.15 } else { 1.0 };
    let mut chart = ChartBuilder::on(area)
        .caption(panel.title, ("sans-serif", 15))
        .margin(8)
        .x_label_area_size(28)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)
        .map_err(drawing)?;
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(window.0, 0.0), (window.1.min(x_max), y_max)],
            RGBColor(230, 240, 255).filled(),
        )))
        .map_err(drawing)?;
    chart.configure_mesh().x_desc("seconds").y_desc(panel.unit).draw().map_err(drawing)?;
    for (index, (name, points)) in panel.series.iter().enumerate() {
        let color = Palette99::pick(index).to_rgba();
        chart
            .draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)))
            .map_err(drawing)?
            .label(*name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(drawing)?;
    Ok(())
}

fn drawing<E: std::fmt::Display>(error: E) -> PlotError {
    PlotError(error.to_string())
}
