//! The latency rows of the comparison table: for one load, p50, p99 (against
//! the target, with every round's p99) and max, then the CPU each delivery
//! cost the server (or the floor's writer) and the generator's reader, how
//! long the server's threads waited for a CPU, and what the hypervisor took.
//! Last, the first server's ratios to the per-core floor and to the best `ws`
//! baseline, so issue 21's targets read off the table.

use super::{thousands, Cell, Results, Row, Target};
use crate::floor::Writers;
use crate::scenario::{Latency, Shape};

/// `r`'s latency at `shape`, if it was measured.
fn at<'a>(r: &'a Results, shape: &Shape) -> Option<&'a Result<Latency, String>> {
    r.latency.iter().find(|(s, _)| s == shape).map(|(_, l)| l)
}

/// p50, p99 (against the target) and max at `shape`, then the CPU rows.
pub(super) fn latency_rows(results: &[Results], shape: &Shape) -> Vec<Row> {
    let pick = |r| at(r, shape);
    let load = format!(
        "{} room{} of {}, {} deliveries/s",
        shape.rooms,
        if shape.rooms == 1 { "" } else { "s" },
        thousands((shape.subscribers / shape.rooms) as f64),
        thousands(shape.deliveries())
    );
    type Figure = fn(&Latency) -> f64;
    let figures: [(&str, Figure, Option<Target>); 3] = [
        ("p50", |l| l.p50_ms, None),
        (
            "p99",
            |l| l.p99_ms,
            Some(Target {
                text: "< 5 ms",
                met: |v| v < 5.0,
            }),
        ),
        ("max", |l| l.max_ms, None),
    ];
    let mut rows: Vec<Row> = figures
        .into_iter()
        .map(|(name, figure, target)| Row {
            metric: format!("latency {name}, {load}, ms"),
            cells: results
                .iter()
                .map(|r| {
                    pick(r).map(|l| {
                        l.as_ref()
                            .map(|l| {
                                let v = figure(l);
                                let mut text = format!("{v:.2}");
                                if name == "p50" {
                                    text.push_str(&format!(" ({} delivered/s)", thousands(l.delivered_per_sec)));
                                }
                                if name == "p99" {
                                    text.push_str(&format!(" ({} samples", thousands(l.samples as f64)));
                                    if l.round_p99s.len() > 1 {
                                        let all: Vec<String> = l.round_p99s.iter().map(|p| format!("{p:.2}")).collect();
                                        text.push_str(&format!("; median of rounds {}", all.join(" / ")));
                                    }
                                    text.push(')');
                                }
                                if l.lost > 0 && name == "max" {
                                    text.push_str(&format!(" ({} subs lost)", l.lost));
                                }
                                Cell { value: v, text }
                            })
                            .map_err(|_| ())
                    })
                })
                .collect(),
            target,
        })
        .collect();
    type Cpu = fn(&Latency) -> Option<f64>;
    let cpus: [(&str, Cpu); 4] = [
        ("  server CPU per delivery meanwhile, µs (floor: its writer)", |l| {
            l.server_us_per_delivery
        }),
        ("  load generator's reader CPU per delivery, µs", |l| {
            l.reader_us_per_delivery
        }),
        (
            "  server threads waiting for a CPU meanwhile, % of the time (summed over threads)",
            |l| l.server_wait_pct,
        ),
        ("  machine CPU taken by the hypervisor (steal) meanwhile, %", |l| {
            l.steal_pct
        }),
    ];
    for (metric, cpu) in cpus {
        rows.push(Row {
            metric: metric.into(),
            cells: results
                .iter()
                .map(|r| {
                    let v = cpu(pick(r)?.as_ref().ok()?)?;
                    Some(Ok(Cell {
                        value: v,
                        text: format!("{v:.1}"),
                    }))
                })
                .collect(),
            target: None,
        });
    }
    rows.extend(ratio_rows(results, shape));
    rows
}

/// The first server's figure over a reference's, in the first column only.
fn ratio_rows(results: &[Results], shape: &Shape) -> Vec<Row> {
    let Some(first) = results.first().and_then(|r| at(r, shape)?.as_ref().ok()) else {
        return Vec::new();
    };
    let floor = results
        .iter()
        .find(|r| r.name == Writers::PerCore.name())
        .and_then(|r| at(r, shape)?.as_ref().ok());
    // The best of the ws columns (plain send and prepared frame) at this load.
    let best_ws = |figure: fn(&Latency) -> f64| {
        results
            .iter()
            .skip(1)
            .filter(|r| r.name.starts_with("ws "))
            .filter_map(|r| at(r, shape)?.as_ref().ok().map(figure))
            .min_by(f64::total_cmp)
    };
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    };
    let candidates: [(&str, Option<f64>, Target); 4] = [
        (
            "  ratio: CPU per delivery / per-core floor writers'",
            ratio(
                first.server_us_per_delivery,
                floor.and_then(|f| f.server_us_per_delivery),
            ),
            Target {
                text: "<= 1.3x",
                met: |v| v <= 1.3,
            },
        ),
        (
            "  ratio: p99 / per-core floor's p99",
            ratio(Some(first.p99_ms), floor.map(|f| f.p99_ms)),
            Target {
                text: "<= 1.3x",
                met: |v| v <= 1.3,
            },
        ),
        (
            "  ratio: p99 / best ws p99",
            ratio(Some(first.p99_ms), best_ws(|l| l.p99_ms)),
            Target {
                text: "<= 0.5x",
                met: |v| v <= 0.5,
            },
        ),
        (
            "  ratio: p50 / best ws p50",
            ratio(Some(first.p50_ms), best_ws(|l| l.p50_ms)),
            Target {
                text: "<= 0.5x",
                met: |v| v <= 0.5,
            },
        ),
    ];
    candidates
        .into_iter()
        .filter_map(|(metric, v, target)| {
            let v = v?;
            let mut cells: Vec<Option<Result<Cell, ()>>> = results.iter().map(|_| None).collect();
            cells[0] = Some(Ok(Cell {
                value: v,
                text: format!("{v:.2}x"),
            }));
            Some(Row {
                metric: metric.into(),
                cells,
                target: Some(target),
            })
        })
        .collect()
}
