//! Timing helpers.

use std::time::{Duration, Instant};

/// How long to keep repeating a measurement.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    pub min_runs: usize,
    pub max_runs: usize,
    pub min_time: Duration,
}

impl Budget {
    pub fn new(min_runs: usize, max_runs: usize, min_secs: f64) -> Self {
        Self {
            min_runs,
            max_runs,
            min_time: Duration::from_secs_f64(min_secs),
        }
    }
}

/// Runs `f` once to warm up, then repeatedly within `budget`; returns the
/// seconds of each timed run. What `f` returns is dropped after the clock
/// stops (freeing a decoded value is not part of decoding it).
pub fn time_runs<T>(budget: Budget, mut f: impl FnMut() -> T) -> Vec<f64> {
    drop(f());
    let mut runs = Vec::new();
    let started = Instant::now();
    while runs.len() < budget.min_runs
        || (started.elapsed() < budget.min_time && runs.len() < budget.max_runs)
    {
        let t = Instant::now();
        let value = std::hint::black_box(f());
        runs.push(t.elapsed().as_secs_f64());
        drop(value);
    }
    runs
}

/// [`time_runs`] of two functions whose times are compared (decode and the
/// raw scan of the same bytes): their runs alternate, so a slow spell of
/// the machine (another process, a shared vCPU) falls on both and not on
/// one of them. The budget counts pairs; each warms up once.
pub fn time_paired<T, U>(
    budget: Budget,
    mut f: impl FnMut() -> T,
    mut g: impl FnMut() -> U,
) -> (Vec<f64>, Vec<f64>) {
    drop(f());
    drop(g());
    let (mut fs, mut gs) = (Vec::new(), Vec::new());
    let started = Instant::now();
    while fs.len() < budget.min_runs
        || (started.elapsed() < budget.min_time && fs.len() < budget.max_runs)
    {
        let t = Instant::now();
        let value = std::hint::black_box(f());
        fs.push(t.elapsed().as_secs_f64());
        drop(value);
        let t = Instant::now();
        let value = std::hint::black_box(g());
        gs.push(t.elapsed().as_secs_f64());
        drop(value);
    }
    (fs, gs)
}

/// The median of `xs` (NaN when empty).
pub fn median(xs: &[f64]) -> f64 {
    percentile(xs, 0.5)
}

/// The `p` quantile (0..=1) of `xs`, nearest rank.
pub fn percentile(xs: &[f64], p: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

/// Megabytes (10^6 bytes) per second.
pub fn mb_per_s(bytes: usize, seconds: f64) -> f64 {
    bytes as f64 / 1e6 / seconds
}
