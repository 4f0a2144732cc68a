//! The figures as one table and as JSON.

use serde_json::{Value, json};

/// One line of the table: a figure, its reference measured in the same run, and its target.
#[derive(Debug, Clone, Default)]
pub struct Row {
    /// P1 … P10.
    pub id: &'static str,
    pub figure: String,
    pub median: f64,
    pub p95: Option<f64>,
    /// Another percentile where the figure asks for it (p99 for latencies under load).
    pub p99: Option<f64>,
    pub unit: &'static str,
    /// What the figure is compared with, and its median in this run.
    pub reference: Option<(String, f64)>,
    /// The target, as text, and whether this run meets it.
    pub target: Option<(String, bool)>,
    /// Anything else a reader needs: counts, refusals, the configured bound.
    pub note: String,
}

impl Row {
    pub fn new(id: &'static str, figure: impl Into<String>, unit: &'static str) -> Row {
        Row {
            id,
            figure: figure.into(),
            unit,
            ..Row::default()
        }
    }

    /// The figure over its reference, where there is one.
    pub fn ratio(&self) -> Option<f64> {
        self.reference
            .as_ref()
            .filter(|(_, r)| *r > 0.0)
            .map(|(_, r)| self.median / r)
    }

    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "figure": self.figure,
            "median": self.median,
            "p95": self.p95,
            "p99": self.p99,
            "unit": self.unit,
            "reference": self.reference.as_ref().map(|(n, _)| n),
            "reference_median": self.reference.as_ref().map(|(_, v)| v),
            "ratio": self.ratio(),
            "target": self.target.as_ref().map(|(t, _)| t),
            "met": self.target.as_ref().map(|(_, m)| m),
            "note": self.note,
        })
    }
}

/// A number with as many decimals as its size deserves.
pub fn num(v: f64) -> String {
    let a = v.abs();
    if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// The table, as Markdown (readable in a terminal, and pasted into the README as it is).
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| # | figure | median | p95 | p99 | unit | reference (median) | ratio | target | met | note |\n\
         |---|---|---:|---:|---:|---|---|---:|---|---|---|\n",
    );
    let opt = |v: Option<f64>| v.map(num).unwrap_or_else(|| "–".into());
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.id,
            r.figure,
            num(r.median),
            opt(r.p95),
            opt(r.p99),
            r.unit,
            r.reference
                .as_ref()
                .map(|(n, v)| format!("{n} ({})", num(*v)))
                .unwrap_or_else(|| "–".into()),
            r.ratio()
                .map(|x| format!("{x:.2}x"))
                .unwrap_or_else(|| "–".into()),
            r.target.as_ref().map(|(t, _)| t.as_str()).unwrap_or("–"),
            match &r.target {
                Some((_, true)) => "yes",
                Some((_, false)) => "**no**",
                None => "–",
            },
            r.note,
        ));
    }
    out
}

/// Median, 95th and 99th percentile (nearest rank) of `v`, which it sorts.
pub fn percentiles(v: &mut [f64]) -> (f64, f64, f64) {
    if v.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1];
    (at(0.5), at(0.95), at(0.99))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let mut v: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        assert_eq!(percentiles(&mut v), (50.0, 95.0, 99.0));
        let mut one = vec![7.0];
        assert_eq!(percentiles(&mut one), (7.0, 7.0, 7.0));
    }

    #[test]
    fn the_ratio_is_against_the_reference_of_the_same_run() {
        let mut r = Row::new("P1", "cold start", "s");
        r.median = 0.6;
        assert_eq!(r.ratio(), None);
        r.reference = Some(("empty window".into(), 0.5));
        assert!((r.ratio().unwrap_or_default() - 1.2).abs() < 1e-9);
        r.target = Some(("p95 < 1 s".into(), false));
        let t = table(&[r]);
        assert!(
            t.contains("| P1 | cold start | 0.600 |")
                && t.contains("1.20x")
                && t.contains("**no**"),
            "{t}"
        );
    }
}
