//! Prometheus metrics, in the text exposition format, kept in memory by each instance.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Every metric the server exports: name, type, help.
const METRICS: &[(&str, &str, &str)] = &[
    (
        "credence_syncs_total",
        "counter",
        "Syncs finished, by connection and result (ok, failed, stopped).",
    ),
    (
        "credence_pages_total",
        "counter",
        "Pages committed, by connection.",
    ),
    (
        "credence_records_total",
        "counter",
        "Records committed, by connection and change (new, updated, unchanged, deleted).",
    ),
    (
        "credence_quarantined_total",
        "counter",
        "Records held back by validation, by connection.",
    ),
    (
        "credence_plugin_errors_total",
        "counter",
        "Syncs ended by an error, by connection and kind (auth, rate-limit, timeout, trap, limit, ...).",
    ),
    (
        "credence_limits_hit_total",
        "counter",
        "Syncs ended by a rate limit or a resource limit, by connection and kind.",
    ),
    ("credence_sync_seconds", "histogram", "Wall time of a sync."),
    (
        "credence_evaluations_total",
        "counter",
        "Credit and dunning evaluations, by result.",
    ),
    (
        "credence_evaluation_seconds",
        "histogram",
        "Wall time of a credit evaluation with its dunning plan.",
    ),
    (
        "credence_actions_queued_total",
        "counter",
        "Dunning actions queued by this instance.",
    ),
    (
        "credence_actions_delivered_total",
        "counter",
        "Outbox actions delivered by this instance.",
    ),
    (
        "credence_actions_failed_total",
        "counter",
        "Outbox deliveries that failed (retrying or given up).",
    ),
    (
        "credence_monitor_lookups_total",
        "counter",
        "Bureau lookups, by outcome.",
    ),
    (
        "credence_http_requests_total",
        "counter",
        "API requests, by route and status.",
    ),
    (
        "credence_http_request_seconds",
        "histogram",
        "API latency, by route.",
    ),
    (
        "credence_customers",
        "gauge",
        "Customer accounts in the latest evaluation, by credit state.",
    ),
];

/// Histogram upper bounds, in seconds.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0, 300.0,
];

#[derive(Debug, Default)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

/// The registry.
#[derive(Debug, Default)]
pub struct Metrics {
    values: Mutex<BTreeMap<(&'static str, String), f64>>,
    histograms: Mutex<BTreeMap<(&'static str, String), Histogram>>,
}

fn labels(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let v = v
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n");
        let _ = write!(out, "{k}=\"{v}\"");
    }
    out
}

impl Metrics {
    /// Add `by` to a counter.
    pub fn add(&self, name: &'static str, pairs: &[(&str, &str)], by: f64) {
        if let Ok(mut v) = self.values.lock() {
            *v.entry((name, labels(pairs))).or_default() += by;
        }
    }

    pub fn inc(&self, name: &'static str, pairs: &[(&str, &str)]) {
        self.add(name, pairs, 1.0);
    }

    /// Set a gauge; `clear` first drops the gauge's other series (states that went to zero).
    pub fn set_all(&self, name: &'static str, series: &[(Vec<(&str, &str)>, f64)]) {
        if let Ok(mut v) = self.values.lock() {
            v.retain(|(n, _), _| *n != name);
            for (pairs, value) in series {
                v.insert((name, labels(pairs)), *value);
            }
        }
    }

    pub fn observe(&self, name: &'static str, pairs: &[(&str, &str)], seconds: f64) {
        if let Ok(mut h) = self.histograms.lock() {
            let h = h.entry((name, labels(pairs))).or_insert_with(|| Histogram {
                counts: vec![0; BUCKETS.len()],
                ..Histogram::default()
            });
            for (i, bound) in BUCKETS.iter().enumerate() {
                if seconds <= *bound {
                    h.counts[i] += 1;
                }
            }
            h.sum += seconds;
            h.count += 1;
        }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let values = self.values.lock().map(|v| {
            v.iter()
                .map(|((n, l), x)| (*n, l.clone(), *x))
                .collect::<Vec<_>>()
        });
        let values = values.unwrap_or_default();
        let histograms = self.histograms.lock();
        for (name, kind, help) in METRICS {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            if *kind == "histogram" {
                let Ok(h) = &histograms else { continue };
                for ((n, l), h) in h.iter() {
                    if n != name {
                        continue;
                    }
                    let sep = if l.is_empty() { "" } else { "," };
                    for (bound, count) in BUCKETS.iter().zip(&h.counts) {
                        let _ = writeln!(out, "{name}_bucket{{{l}{sep}le=\"{bound}\"}} {count}");
                    }
                    let _ = writeln!(out, "{name}_bucket{{{l}{sep}le=\"+Inf\"}} {}", h.count);
                    let _ = writeln!(out, "{name}_sum{{{l}}} {}", h.sum);
                    let _ = writeln!(out, "{name}_count{{{l}}} {}", h.count);
                }
            } else {
                for (n, l, x) in &values {
                    if n == name {
                        let _ = writeln!(out, "{name}{{{l}}} {x}");
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_histograms_render_in_the_exposition_format() {
        let m = Metrics::default();
        m.inc(
            "credence_syncs_total",
            &[("connection", "a\"b"), ("result", "ok")],
        );
        m.inc(
            "credence_syncs_total",
            &[("connection", "a\"b"), ("result", "ok")],
        );
        m.observe("credence_sync_seconds", &[("connection", "x")], 0.003);
        let text = m.render();
        assert!(
            text.contains("credence_syncs_total{connection=\"a\\\"b\",result=\"ok\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("credence_sync_seconds_bucket{connection=\"x\",le=\"0.0025\"} 0\n"),
            "{text}"
        );
        assert!(
            text.contains("credence_sync_seconds_bucket{connection=\"x\",le=\"0.005\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("credence_sync_seconds_count{connection=\"x\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("# TYPE credence_http_request_seconds histogram\n"));
    }
}
