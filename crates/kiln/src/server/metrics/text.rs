//! The Prometheus text exposition format (version 0.0.4): histograms and the writer.

use std::fmt::Write as _;

/// Upper bounds for API request durations, in seconds.
pub const REQUEST_BUCKETS: &[f64] = &[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Upper bounds for build phase durations, in seconds (phases take from milliseconds to hours).
pub const PHASE_BUCKETS: &[f64] = &[0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 14400.0];

/// A histogram with fixed buckets; `counts[i]` counts observations in bucket `i` alone (the
/// exposition makes them cumulative), the last slot those above every bound.
#[derive(Debug, Clone)]
pub struct Histogram {
    bounds: &'static [f64],
    counts: Vec<u64>,
    sum: f64,
}

impl Histogram {
    pub fn new(bounds: &'static [f64]) -> Self {
        Histogram { bounds, counts: vec![0; bounds.len() + 1], sum: 0.0 }
    }

    pub fn observe(&mut self, value: f64) {
        // NaN would poison the sum forever; a negative duration is a clock step.
        let value = if value.is_finite() { value.max(0.0) } else { 0.0 };
        let slot = self.bounds.iter().position(|b| value <= *b).unwrap_or(self.bounds.len());
        if let Some(c) = self.counts.get_mut(slot) {
            *c += 1;
        }
        self.sum += value;
    }
}

/// Builds an exposition document.
#[derive(Default)]
pub struct Writer {
    out: String,
}

impl Writer {
    /// `# HELP` and `# TYPE` lines, once per metric family.
    pub fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        write_labels(&mut self.out, labels);
        let _ = writeln!(self.out, " {value}");
    }

    /// The `_bucket` (cumulative, ending with `le="+Inf"`), `_sum` and `_count` samples.
    pub fn histogram(&mut self, name: &str, labels: &[(&str, &str)], h: &Histogram) {
        let mut cumulative = 0u64;
        let bucket = format!("{name}_bucket");
        for (i, count) in h.counts.iter().enumerate() {
            cumulative += count;
            let le = h.bounds.get(i).map_or_else(|| "+Inf".to_string(), |b| b.to_string());
            let mut with_le = labels.to_vec();
            with_le.push(("le", &le));
            self.sample(&bucket, &with_le, cumulative as f64);
        }
        self.sample(&format!("{name}_sum"), labels, h.sum);
        self.sample(&format!("{name}_count"), labels, cumulative as f64);
    }

    pub fn finish(self) -> String {
        self.out
    }
}

fn write_labels(out: &mut String, labels: &[(&str, &str)]) {
    if labels.is_empty() {
        return;
    }
    out.push('{');
    for (i, (name, value)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{name}=\"");
        for c in value.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_end_with_inf() {
        let mut h = Histogram::new(&[1.0, 2.5]);
        for v in [0.5, 1.0, 2.0, 7.0, f64::NAN] {
            h.observe(v);
        }
        let mut w = Writer::default();
        w.family("x_seconds", "histogram", "X.");
        w.histogram("x_seconds", &[("op", "A")], &h);
        let text = w.finish();
        let expected = "# HELP x_seconds X.\n# TYPE x_seconds histogram\n\
            x_seconds_bucket{op=\"A\",le=\"1\"} 3\n\
            x_seconds_bucket{op=\"A\",le=\"2.5\"} 4\n\
            x_seconds_bucket{op=\"A\",le=\"+Inf\"} 5\n\
            x_seconds_sum{op=\"A\"} 10.5\n\
            x_seconds_count{op=\"A\"} 5\n";
        assert_eq!(text, expected);
    }

    #[test]
    fn label_values_are_escaped() {
        let mut w = Writer::default();
        w.sample("m", &[("v", "a\"b\\c\nd")], 1.0);
        w.sample("n", &[], 2.0);
        assert_eq!(w.finish(), "m{v=\"a\\\"b\\\\c\\nd\"} 1\nn 2\n");
    }
}
