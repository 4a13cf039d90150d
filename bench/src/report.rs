//! The comparison table: one column per server, measured in the same run, the
//! ratio of the first to the second, and whether the first meets the targets.

mod latency;

use crate::scenario::{Fanout, IdleMemory, Latency, Shape};
use latency::latency_rows;

/// Everything measured on one server; a failed scenario keeps its error.
#[derive(Debug, Default)]
pub struct Results {
    /// Column title.
    pub name: String,
    /// Fan-out, publishers flat out.
    pub fanout: Option<Result<Fanout, String>>,
    /// Fan-out at the fixed publish rate.
    pub rate: Option<Result<Fanout, String>>,
    /// Publish-to-deliver latency at each load (the median round).
    pub latency: Vec<(Shape, Result<Latency, String>)>,
    /// Memory per idle connection.
    pub memory: Option<Result<Vec<IdleMemory>, String>>,
}

/// One figure in a cell: the number (for ratios and targets) and how it reads.
struct Cell {
    value: f64,
    text: String,
}

/// A target the first server is checked against.
struct Target {
    text: &'static str,
    met: fn(f64) -> bool,
}

struct Row {
    metric: String,
    cells: Vec<Option<Result<Cell, ()>>>,
    target: Option<Target>,
}

/// What the table's headings need to know about the load.
pub struct Load {
    /// Subscribers per scenario.
    pub subscribers: usize,
    /// Publishers per scenario.
    pub publishers: usize,
    /// Fixed publish rate of the rate scenario.
    pub rate: f64,
}

/// Renders the table as Markdown (readable as plain text too).
pub fn table(results: &[Results], load: &Load) -> String {
    let rows = rows(results, load);
    let compare = results.len() >= 2;
    let mut head = vec!["metric".to_string()];
    head.extend(results.iter().map(|r| r.name.clone()));
    if compare {
        head.push(format!("{} / {}", results[0].name, results[1].name));
    }
    head.push("target".into());
    head.push(format!("{} meets it", results[0].name));
    let mut lines = vec![head];
    for row in rows.iter().filter(|r| r.cells.iter().any(Option::is_some)) {
        let mut line = vec![row.metric.clone()];
        line.extend(row.cells.iter().map(|c| match c {
            Some(Ok(c)) => c.text.clone(),
            Some(Err(())) => "error".into(),
            None => "-".into(),
        }));
        let value = |i: usize| match row.cells.get(i) {
            Some(Some(Ok(c))) => Some(c.value),
            _ => None,
        };
        if compare {
            line.push(match (value(0), value(1)) {
                (Some(a), Some(b)) if b > 0.0 => format!("{:.2}x", a / b),
                _ => "-".into(),
            });
        }
        match &row.target {
            Some(t) => {
                line.push(t.text.into());
                line.push(match value(0) {
                    Some(v) if (t.met)(v) => "yes".into(),
                    Some(_) => "NO".into(),
                    None => "-".into(),
                });
            }
            None => line.extend(["".to_string(), "".to_string()]),
        }
        lines.push(line);
    }
    render(&lines)
}

/// The scenario errors, one line each, for printing under the table.
pub fn errors(results: &[Results]) -> Vec<String> {
    let mut out = Vec::new();
    for r in results {
        let mut add = |scenario: &str, e: Option<&String>| {
            if let Some(e) = e {
                out.push(format!("{} {scenario}: {e}", r.name));
            }
        };
        add("fanout", r.fanout.as_ref().and_then(|x| x.as_ref().err()));
        add("rate", r.rate.as_ref().and_then(|x| x.as_ref().err()));
        for (shape, l) in &r.latency {
            add(&format!("latency, {shape}"), l.as_ref().err());
        }
        add("memory", r.memory.as_ref().and_then(|x| x.as_ref().err()));
    }
    out
}

fn rows(results: &[Results], load: &Load) -> Vec<Row> {
    let n = load.subscribers;
    let m = load.publishers;
    let cells = |f: &dyn Fn(&Results) -> Option<Result<Cell, ()>>| results.iter().map(f).collect();
    let mut rows = vec![Row {
        metric: format!(
            "fan-out flat out, {m} pub -> {} subs: deliveries/s",
            thousands(n as f64)
        ),
        cells: cells(&|r| fanout_cell(r.fanout.as_ref(), false)),
        target: Some(Target {
            text: ">= 500,000",
            met: |v| v >= 500_000.0,
        }),
    }];
    rows.extend(cpu_rows(results, |r| r.fanout.as_ref()));
    rows.push(Row {
        metric: format!(
            "fan-out at {} publishes/s ({} offered): deliveries/s",
            thousands(load.rate),
            thousands(load.rate * n as f64)
        ),
        cells: cells(&|r| fanout_cell(r.rate.as_ref(), true)),
        target: None,
    });
    rows.extend(cpu_rows(results, |r| r.rate.as_ref()));
    let mut shapes: Vec<Shape> = Vec::new();
    for (shape, _) in results.iter().flat_map(|r| &r.latency) {
        if !shapes.contains(shape) {
            shapes.push(*shape);
            rows.extend(latency_rows(results, shape));
        }
    }
    let counts: Vec<usize> = results
        .iter()
        .find_map(|r| r.memory.as_ref().and_then(|m| m.as_ref().ok()))
        .map(|m| m.iter().map(|x| x.connections).collect())
        .unwrap_or_default();
    for count in counts {
        rows.push(Row {
            metric: format!("server RSS per idle connection at {}, KiB", thousands(count as f64)),
            cells: results
                .iter()
                .map(|r| {
                    r.memory.as_ref().map(|m| {
                        m.as_ref()
                            .ok()
                            .and_then(|m| m.iter().find(|x| x.connections == count))
                            .map(|x| {
                                let kib = x.per_connection() / 1024.0;
                                Cell {
                                    value: kib,
                                    text: format!(
                                        "{kib:.1} (RSS {} -> {} MiB)",
                                        x.rss_before / (1 << 20),
                                        x.rss_after / (1 << 20)
                                    ),
                                }
                            })
                            .ok_or(())
                    })
                })
                .collect(),
            target: Some(Target {
                text: "<= 2 KiB",
                met: |v| v <= 2.0,
            }),
        });
    }
    rows
}

/// Server and generator CPU during the fan-out run `pick` chooses.
fn cpu_rows(results: &[Results], pick: fn(&Results) -> Option<&Result<Fanout, String>>) -> [Row; 2] {
    let row = |metric: &str, cpu: fn(&Fanout) -> Option<f64>| Row {
        metric: metric.into(),
        cells: results.iter().map(|r| cpu_cell(pick(r), cpu)).collect(),
        target: None,
    };
    [
        row("  server CPU meanwhile, % of one core", |f| f.server_cpu),
        row("  load generator CPU meanwhile, % of one core", |f| f.generator_cpu),
    ]
}

/// A CPU figure of a fan-out run.
fn cpu_cell(f: Option<&Result<Fanout, String>>, pick: fn(&Fanout) -> Option<f64>) -> Option<Result<Cell, ()>> {
    f.map(|f| match f.as_ref().ok().and_then(pick) {
        Some(cpu) => Ok(Cell {
            value: cpu,
            text: format!("{cpu:.0}%"),
        }),
        None => Err(()),
    })
}

/// Deliveries/s, and with `offered` what was asked of the server.
fn fanout_cell(f: Option<&Result<Fanout, String>>, offered: bool) -> Option<Result<Cell, ()>> {
    f.map(|f| {
        f.as_ref()
            .map(|f| {
                let mut text = thousands(f.delivered_per_sec);
                if offered {
                    text.push_str(&format!(" of {}", thousands(f.offered_per_sec)));
                }
                if f.lost > 0 {
                    text.push_str(&format!(" ({} subs lost)", f.lost));
                }
                Cell {
                    value: f.delivered_per_sec,
                    text,
                }
            })
            .map_err(|_| ())
    })
}

/// `1234567.8` as `1,234,568`.
pub fn thousands(v: f64) -> String {
    let digits = format!("{:.0}", v.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn render(lines: &[Vec<String>]) -> String {
    let cols = lines.iter().map(Vec::len).max().unwrap_or(0);
    let width: Vec<usize> = (0..cols)
        .map(|c| {
            lines
                .iter()
                .filter_map(|l| l.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        let cells: Vec<String> = line
            .iter()
            .enumerate()
            .map(|(c, s)| format!("{s:<w$}", w = width[c]))
            .collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
        if i == 0 {
            let rule: Vec<String> = width.iter().map(|w| "-".repeat(*w)).collect();
            out.push_str(&format!("|-{}-|\n", rule.join("-|-")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1000.0), "1,000");
        assert_eq!(thousands(1234567.8), "1,234,568");
    }
}
