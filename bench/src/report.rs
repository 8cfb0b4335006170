//! The table, docs/BENCHMARKS.md and target/bench/summary.json.

use std::fmt::Write as _;
use std::process::Command;

use serde::Serialize;
use serde_json::json;

use crate::buildcost::{BuildReport, COLD_MARKER};
use crate::decode::{DecodeReport, EncodeRow};
use crate::e2e::E2eReport;
use crate::synthetic::SyntheticReport;
use crate::Opts;

/// Where the run happened.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cores: usize,
    pub memory_gib: f64,
    pub cpu: String,
    pub os: String,
    pub rustc: String,
    pub date: String,
    /// How an idle CPU waits (the cpuidle driver, and a virtual machine's
    /// guest halt polling): it sets how long a request that arrives at an
    /// idle CPU waits for it, and so the loopback round trip the end-to-end
    /// figures are shares of (see the notes).
    pub idle: String,
}

impl Machine {
    fn detect() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_gib = meminfo
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map_or_else(|| "unknown CPU".into(), |(_, v)| v.trim().to_owned());
        let os = command_line("uname", &["-sr"]).unwrap_or_else(|| std::env::consts::OS.into());
        let rustc = command_line("rustc", &["-V"]).unwrap_or_else(|| "rustc (unknown)".into());
        Self {
            cores,
            memory_gib,
            cpu,
            os,
            rustc,
            date: now_utc(),
            idle: cpu_idle(),
        }
    }
}

/// The cpuidle driver and, for `haltpoll`, the most a guest CPU polls
/// before it halts: e.g. `cpuidle haltpoll, guest halt polling up to 0 ns`.
fn cpu_idle() -> String {
    let read = |path: &str| {
        std::fs::read_to_string(path)
            .ok()
            .map(|s| s.trim().to_owned())
    };
    let Some(driver) = read("/sys/devices/system/cpu/cpuidle/current_driver") else {
        return "cpuidle unknown".into();
    };
    match read("/sys/module/haltpoll/parameters/guest_halt_poll_ns") {
        Some(ns) if driver == "haltpoll" => {
            format!("cpuidle {driver}, guest halt polling up to {ns} ns")
        }
        _ => format!("cpuidle {driver}"),
    }
}

fn command_line(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn now_utc() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute()
    )
}

/// Today's date, YYYY-MM-DD (UTC).
pub fn today() -> String {
    now_utc().chars().take(10).collect()
}

/// Everything one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub mode: &'static str,
    pub machine: Machine,
    pub decode: DecodeReport,
    pub encode: Vec<EncodeRow>,
    pub e2e: E2eReport,
    pub build: Option<BuildReport>,
    pub synthetic: Option<SyntheticReport>,
    pub total_seconds: f64,
}

fn min_of(xs: impl Iterator<Item = f64>) -> Option<f64> {
    xs.fold(None, |m, x| Some(m.map_or(x, |m: f64| m.min(x))))
}

fn max_of(xs: impl Iterator<Item = f64>) -> Option<f64> {
    xs.fold(None, |m, x| Some(m.map_or(x, |m: f64| m.max(x))))
}

fn opt(x: Option<f64>, digits: usize) -> String {
    x.map_or_else(|| "n/a".into(), |v| format!("{v:.digits$}"))
}

impl Summary {
    pub fn new(opts: &Opts) -> Self {
        Self {
            mode: if opts.quick { "quick" } else { "full" },
            machine: Machine::detect(),
            decode: DecodeReport::default(),
            encode: Vec::new(),
            e2e: E2eReport::default(),
            build: None,
            synthetic: None,
            total_seconds: 0.0,
        }
    }

    pub fn decode_vs_raw_scan_min(&self) -> Option<f64> {
        min_of(self.decode.rows.iter().map(|r| r.vs_raw_scan))
    }

    pub fn decode_vs_raw_scan_real_min(&self) -> Option<f64> {
        min_of(self.decode.real_rows.iter().map(|r| r.vs_raw_scan))
    }

    /// Over the real documents the peer has a model for.
    pub fn decode_vs_python_real_min(&self) -> Option<f64> {
        min_of(self.decode.real_rows.iter().filter_map(|r| r.vs_python))
    }

    /// The placement of the primary end-to-end figures: `separate` (the
    /// clients and the emulator on cores of their own) where measured, else
    /// `shared`.
    fn e2e_cores(&self) -> &str {
        if self.e2e.rows.iter().any(|r| r.cores == "separate") {
            "separate"
        } else {
            "shared"
        }
    }

    /// The client overhead of each cell (operation, connections) of one
    /// placement: (median over rounds of 1 − Rust client requests/s ÷ bare
    /// reqwest requests/s in the same round, the same from the pooled
    /// totals). `None` if a cell is missing.
    pub fn client_overheads(&self, cores: &str) -> Option<Vec<(String, usize, f64, f64)>> {
        self.overheads_of(cores, "rust")
    }

    /// The same for the bare request from a second pool against the first
    /// (an A/A comparison): what the measurement itself is off by.
    pub fn noise_overheads(&self, cores: &str) -> Option<Vec<(String, usize, f64, f64)>> {
        self.overheads_of(cores, crate::e2e::BARE_AGAIN)
    }

    /// The largest A/A figure of the primary placement, either way, as a
    /// fraction: how far apart two identical callers came out.
    pub fn client_overhead_noise_max(&self) -> Option<f64> {
        let cells = self.noise_overheads(self.e2e_cores())?;
        max_of(cells.into_iter().map(|c| c.2.abs()))
    }

    /// The Rust client against hyper-util's client bare (the exchange
    /// without reqwest's layers): the client's own cost, shown beside the
    /// target's figure.
    pub fn client_overheads_vs_hyper(&self, cores: &str) -> Option<Vec<(String, usize, f64, f64)>> {
        self.overheads_against(cores, "rust", crate::e2e::BARE_HYPER)
    }

    /// Worst of the four cells against bare hyper-util, primary placement.
    pub fn client_overhead_vs_bare_hyper_max(&self) -> Option<f64> {
        let cells = self.client_overheads_vs_hyper(self.e2e_cores())?;
        max_of(cells.into_iter().map(|c| c.2))
    }

    fn overheads_of(&self, cores: &str, client: &str) -> Option<Vec<(String, usize, f64, f64)>> {
        self.overheads_against(cores, client, "bare reqwest")
    }

    fn overheads_against(
        &self,
        cores: &str,
        client: &str,
        baseline: &str,
    ) -> Option<Vec<(String, usize, f64, f64)>> {
        let mut cells = Vec::new();
        for op in self.e2e_ops() {
            for conc in [1, 64] {
                let row = |client: &str| {
                    self.e2e.rows.iter().find(|r| {
                        r.cores == cores
                            && r.operation == op
                            && r.client == client
                            && r.concurrency == conc
                    })
                };
                let (rust, bare) = (row(client)?, row(baseline)?);
                let pooled = 1.0 - rust.rps / bare.rps;
                let (rw, bw) = (&rust.window_rps, &bare.window_rps);
                let paired = if !rw.is_empty() && rw.len() == bw.len() {
                    let per_round: Vec<f64> = rw.iter().zip(bw).map(|(r, b)| 1.0 - r / b).collect();
                    crate::stats::median(&per_round)
                } else {
                    pooled
                };
                cells.push((op.clone(), conc, paired, pooled));
            }
        }
        (cells.len() == 4).then_some(cells)
    }

    /// Worst of the four cells (GetOperationStatus and ListLocations, 1 and
    /// 64 connections) of the primary placement, as a fraction
    /// ([`client_overheads`](Self::client_overheads): paired medians).
    pub fn client_overhead_vs_bare_max(&self) -> Option<f64> {
        let cells = self.client_overheads(self.e2e_cores())?;
        max_of(cells.into_iter().map(|c| c.2))
    }

    /// The same on shared cores (measured where there is a separate-core
    /// figure too; shown, not a target).
    pub fn client_overhead_vs_bare_max_shared_cores(&self) -> Option<f64> {
        let cells = self.client_overheads("shared")?;
        max_of(cells.into_iter().map(|c| c.2))
    }

    pub fn decode_vs_python_min(&self) -> Option<f64> {
        let v: Vec<f64> = self
            .decode
            .rows
            .iter()
            .filter_map(|r| r.vs_python)
            .collect();
        (v.len() == self.decode.rows.len())
            .then(|| min_of(v.into_iter()))
            .flatten()
    }

    pub fn peak_mem_ratio_max(&self) -> Option<f64> {
        max_of(self.decode.rows.iter().map(|r| r.peak_ratio))
    }

    fn e2e_row(&self, op: &str, client: &str, conc: usize) -> Option<&crate::e2e::E2eRow> {
        let cores = self.e2e_cores();
        self.e2e.rows.iter().find(|r| {
            r.cores == cores && r.operation == op && r.client == client && r.concurrency == conc
        })
    }

    fn e2e_rps(&self, op: &str, client: &str, conc: usize) -> Option<f64> {
        self.e2e_row(op, client, conc).map(|r| r.rps)
    }

    fn e2e_ops(&self) -> Vec<String> {
        let mut ops: Vec<String> = Vec::new();
        for r in &self.e2e.rows {
            if !ops.contains(&r.operation) {
                ops.push(r.operation.clone());
            }
        }
        ops
    }

    /// min over operations of (Rust rps / Python rps), one connection.
    pub fn e2e_rps_vs_python_1conn(&self) -> Option<f64> {
        let ratios: Vec<Option<f64>> = self
            .e2e_ops()
            .iter()
            .map(|op| Some(self.e2e_rps(op, "rust", 1)? / self.e2e_rps(op, "python", 1)?))
            .collect();
        if ratios.is_empty() || ratios.iter().any(Option::is_none) {
            return None;
        }
        min_of(ratios.into_iter().flatten())
    }

    fn e2e_p50(&self, op: &str, client: &str, conc: usize) -> Option<f64> {
        self.e2e_row(op, client, conc).map(|r| r.p50_ms)
    }

    /// Per operation, one connection: the client's own time per call
    /// (its p50 minus the bare request's p50), Rust and Python, in ms.
    pub fn e2e_overheads(&self) -> Vec<(String, Option<f64>, Option<f64>)> {
        self.e2e_ops()
            .into_iter()
            .map(|op| {
                let bare = self.e2e_p50(&op, "bare reqwest", 1);
                let of = |c: &str| Some(self.e2e_p50(&op, c, 1)? - bare?);
                let (rust, python) = (of("rust"), of("python"));
                (op, rust, python)
            })
            .collect()
    }

    /// min over operations of (Python overhead / Rust overhead), one connection.
    pub fn e2e_overhead_vs_python_1conn(&self) -> Option<f64> {
        let v: Vec<f64> = self
            .e2e_overheads()
            .into_iter()
            .filter_map(|(_, r, p)| Some(p? / r?.max(0.001)))
            .collect();
        min_of(v.into_iter())
    }

    /// min over operations of the Rust client's rps with 64 concurrent requests.
    pub fn e2e_rps_64conn(&self) -> Option<f64> {
        min_of(
            self.e2e_ops()
                .iter()
                .filter_map(|op| self.e2e_rps(op, "rust", 64)),
        )
    }

    pub fn json(&self) -> serde_json::Value {
        json!({
            "decode_vs_raw_scan_min": self.decode_vs_raw_scan_min(),
            "decode_vs_python_min": self.decode_vs_python_min(),
            "decode_vs_raw_scan_real_min": self.decode_vs_raw_scan_real_min(),
            "decode_vs_python_real_min": self.decode_vs_python_real_min(),
            "client_overhead_vs_bare_max": self.client_overhead_vs_bare_max(),
            "client_overhead_cores": self.e2e_cores(),
            "client_overhead_vs_bare_max_shared_cores": self.client_overhead_vs_bare_max_shared_cores(),
            "client_overhead_noise_max": self.client_overhead_noise_max(),
            "client_overhead_vs_bare_hyper_max": self.client_overhead_vs_bare_hyper_max(),
            "emulator_reads_per_s_64conn": self.e2e.emulator.as_ref().map(|e| e.reads_per_s),
            "emulator_writes_per_s_64conn": self.e2e.emulator.as_ref().map(|e| e.writes_per_s),
            "e2e_rps_vs_python_1conn": self.e2e_rps_vs_python_1conn(),
            "e2e_rps_64conn": self.e2e_rps_64conn(),
            "e2e_client_overhead_vs_python_1conn": self.e2e_overhead_vs_python_1conn(),
            "peak_mem_ratio_max": self.peak_mem_ratio_max(),
            "codegen_seconds": self.build.as_ref().map(|b| b.codegen_seconds),
            "cold_build_seconds": self.build.as_ref().and_then(|b| b.cold_build_seconds),
            "generated_lines_per_operation": self.build.as_ref().map(|b| b.lines_per_operation),
            "synthetic_operations": self.synthetic.as_ref().map(|s| s.operations).filter(|&n| n > 0),
            "synthetic_crate_build_seconds": self.synthetic_build().map(|b| b.seconds),
            "synthetic_crate_build_s_per_op": self.synthetic_build().map(|b| b.s_per_op),
            "synthetic_crate_build_peak_mb": self.synthetic_build().and_then(|b| b.peak_mb),
            "crate_build_seconds": self.current_build().map(|b| b.seconds),
            "crate_build_s_per_op": self.current_build().map(|b| b.s_per_op),
            "crate_build_peak_mb": self.current_build().and_then(|b| b.peak_mb),
            "details": self,
        })
    }

    fn synthetic_build(&self) -> Option<&crate::synthetic::CrateBuild> {
        self.synthetic.as_ref()?.synthetic.as_ref()
    }

    fn current_build(&self) -> Option<&crate::synthetic::CrateBuild> {
        self.synthetic.as_ref()?.current.as_ref()
    }

    /// The part-6 keys of summary.json, and the part's details.
    pub fn synthetic_json(&self) -> serde_json::Value {
        let all = self.json();
        let mut out = serde_json::Map::new();
        if let Some(obj) = all.as_object() {
            for (k, v) in obj {
                if k.starts_with("synthetic_") || k.starts_with("crate_build_") {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
        out.insert("details".into(), json!(self.synthetic));
        serde_json::Value::Object(out)
    }

    /// Section 6 of the table.
    pub fn synthetic_section(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "## 6. Synthetic 440-operation build cost\n");
        let Some(r) = &self.synthetic else {
            let _ = writeln!(s, "Not measured.");
            return s;
        };
        let Some(b) = &r.synthetic else {
            let _ = writeln!(s, "Not measured: {}.", r.note);
            return s;
        };
        let mb = |v: Option<f64>| v.map_or_else(|| "n/a".into(), |v| format!("{v:.0} MB"));
        let _ = writeln!(
            s,
            "A spec of every operation of `shared/reference/operations.tsv`, derived from the wire \
             shapes in `shared/reference/shapes/` (bench/src/synthetic.rs), generated by `asm_codegen` \
             and built alone, its dependencies built before ({}).\n",
            r.note
        );
        let _ = writeln!(s, "| figure | value |");
        let _ = writeln!(s, "|---|---:|");
        if r.derive.spec_lines > 0 {
            let _ = writeln!(
                s,
                "| synthetic spec: {} areas, {} spec lines; {} request and {} response bodies, {} struct uses resolved to an identical struct already defined | {} operations, {} structs, {} enums |",
                r.derive.areas,
                r.derive.spec_lines,
                r.derive.request_bodies,
                r.derive.response_bodies,
                r.derive.structs_shared,
                r.operations,
                r.structs,
                r.enums
            );
            let _ = writeln!(
                s,
                "| codegen of the synthetic spec (`load` + `generate`, in process{}) | {:.2} s |",
                if cfg!(debug_assertions) {
                    "; a debug build of the bench"
                } else {
                    ""
                },
                r.codegen_seconds
            );
            let _ = writeln!(
                s,
                "| generated code: {} lines in {} files | {:.0} lines per operation |",
                r.generated_lines, r.generated_files, r.lines_per_operation
            );
        } else {
            let _ = writeln!(
                s,
                "| synthetic spec | {} operations, {} structs, {} enums, {} generated lines |",
                r.operations, r.structs, r.enums, r.generated_lines
            );
        }
        let _ = writeln!(
            s,
            "| cold `cargo build --release` of the synthetic crate alone ({} operations) | {:.1} s |",
            b.operations, b.seconds
        );
        let _ = writeln!(
            s,
            "| per operation (target ≤ 0.15 s; aws-sdk-ec2 needs 0.62 s/op on this machine) | {:.3} s |",
            b.s_per_op
        );
        let _ = writeln!(
            s,
            "| peak memory of the build (largest process, `time -v` max RSS; target ≤ 2 GB) | {} |",
            mb(b.peak_mb)
        );
        if let Some(cpu) = b.cpu_seconds {
            let _ = writeln!(
                s,
                "| CPU time of that build (user + system; load average {} before it) | {cpu:.1} s |",
                b.load_before.map_or_else(|| "n/a".into(), |l| format!("{l:.2}"))
            );
        }
        if let Some(c) = &r.current {
            let _ = writeln!(
                s,
                "| the same build of today's `spec/` crate ({} operations) | {:.1} s, {:.3} s/op, peak {} |",
                c.operations,
                c.seconds,
                c.s_per_op,
                mb(c.peak_mb)
            );
        }
        if let Some(d) = r.deps_seconds {
            let _ = writeln!(
                s,
                "| bringing the dependencies up to date first (not part of the figure) | {d:.1} s |"
            );
        }
        s
    }

    fn targets(&self) -> Vec<(String, String, String, Option<bool>)> {
        let mut t = Vec::new();
        let check = |v: Option<f64>, ok: fn(f64) -> bool| v.map(ok);
        let v = self.decode_vs_raw_scan_min();
        t.push((
            "decode ≥ 0.6× the raw quick-xml scan, every synthetic document".into(),
            opt(v, 2) + "× (worst document)",
            "0.6×".into(),
            check(v, |x| x >= 0.6),
        ));
        let v = self.decode_vs_raw_scan_real_min();
        t.push((
            "decode ≥ 0.6× the raw quick-xml scan, every real document".into(),
            opt(v, 2) + "× (worst document)",
            "0.6×".into(),
            check(v, |x| x >= 0.6),
        ));
        let v = self.decode_vs_python_min();
        t.push((
            "decode ≥ 150× the Python peer, every synthetic document".into(),
            opt(v, 0) + "× (worst document)",
            "150×".into(),
            check(v, |x| x >= 150.0),
        ));
        let v = self.client_overhead_vs_bare_max();
        let placement = match (
            self.e2e_cores(),
            &self.e2e.client_cpus,
            &self.e2e.emulator_cpus,
        ) {
            ("separate", Some(c), Some(e)) => {
                format!("clients on CPU {c}, the emulator on CPU {e}")
            }
            _ => "clients and emulator on shared cores".into(),
        };
        let shared = match (
            self.e2e_cores(),
            self.client_overhead_vs_bare_max_shared_cores(),
        ) {
            ("separate", Some(v)) => format!("; {:.1}% on shared cores", v * 100.0),
            _ => String::new(),
        };
        let noise = self
            .client_overhead_noise_max()
            .map_or_else(String::new, |n| {
                format!("; two identical bare callers within {:.1}%", n * 100.0)
            });
        t.push((
            format!(
                "client overhead ≤ 10% over a bare reqwest request (requests/s, median of paired windows; \
                 worst of 2 operations × 1 and 64 connections; {placement})"
            ),
            v.map_or_else(|| "n/a".into(), |v| format!("{:.1}%{shared}{noise}", v * 100.0)),
            "10%".into(),
            check(v, |x| x <= 0.10),
        ));
        let v = self.peak_mem_ratio_max();
        t.push((
            "peak memory while decoding ≤ 3× the document".into(),
            opt(v, 2) + "× (worst document)",
            "3×".into(),
            check(v, |x| x <= 3.0),
        ));
        let b = self.synthetic_build();
        let ops = b.map_or(440, |b| b.operations);
        let v = b.map(|b| b.s_per_op);
        t.push((
            "synthetic 440-operation crate: release build ≤ 0.15 s per operation (aws-sdk-ec2: 0.62 s/op here)".into(),
            opt(v, 3) + &format!(" s/op ({} s, {ops} operations)", opt(b.map(|b| b.seconds), 0)),
            "0.15 s".into(),
            check(v, |x| x <= 0.15),
        ));
        let v = b.and_then(|b| b.peak_mb);
        t.push((
            "synthetic 440-operation crate: build peak memory ≤ 2 GB".into(),
            opt(v, 0) + " MB",
            "2 GB".into(),
            check(v, |x| x <= 2000.0),
        ));
        t
    }

    pub fn render_markdown(&self) -> String {
        let m = &self.machine;
        let mut s = String::new();
        let _ = writeln!(s, "# Benchmarks\n");
        let _ = writeln!(
            s,
            "Written by `cargo xtask bench{}` on {} — {} logical cores ({}), {:.1} GiB memory, {} \
             ({}), {}. Whole run: {:.0} s.\n",
            if self.mode == "quick" { " --quick" } else { "" },
            m.date,
            m.cores,
            m.cpu,
            m.memory_gib,
            m.os,
            m.idle,
            m.rustc,
            self.total_seconds
        );
        let _ = writeln!(
            s,
            "Figures are medians of repeated runs; MB = 10^6 bytes. The same numbers are in \
             `target/bench/summary.json`. What each figure measures and why a target is missed: \
             see \"Notes\" below.\n"
        );

        let _ = writeln!(s, "## Targets\n");
        let _ = writeln!(s, "| target | measured | status |");
        let _ = writeln!(s, "|---|---|---|");
        for (what, fig, _, ok) in self.targets() {
            let status = match ok {
                Some(true) => "met",
                Some(false) => "**missed** (see Notes)",
                None => "not measured (see Notes)",
            };
            let _ = writeln!(s, "| {what} | {fig} | {status} |");
        }

        let _ = writeln!(s, "\n## 1. Decode throughput and 4. peak memory\n");
        let _ = writeln!(
            s,
            "| document | size | items | Rust decode | raw quick-xml scan | decode / scan | Python peer | Rust / Python | peak memory |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for r in &self.decode.rows {
            let _ = writeln!(
                s,
                "| {} | {:.2} MB | {} | {:.1} MB/s | {:.1} MB/s | {:.2}× | {} | {} | {:.2}× ({:.1} MB) |",
                r.document,
                r.bytes as f64 / 1e6,
                r.items,
                r.rust_mb_s,
                r.raw_scan_mb_s,
                r.vs_raw_scan,
                r.python_mb_s.map_or_else(|| "n/a".into(), |v| format!("{v:.2} MB/s")),
                r.vs_python.map_or_else(|| "n/a".into(), |v| format!("{v:.0}×")),
                r.peak_ratio,
                r.peak_bytes as f64 / 1e6,
            );
        }
        if let Some(n) = &self.decode.python_note {
            let _ = writeln!(s, "\nPython peer: {n}");
        }

        let _ = writeln!(
            s,
            "\n### Real documents: the largest recorded body of each response type (≥ 8 KB) in `shared/conformance`\n"
        );
        if self.decode.real_rows.is_empty() {
            let _ = writeln!(s, "Not measured.");
        } else {
            let _ = writeln!(
                s,
                "| document | size | Rust decode | raw quick-xml scan | decode / scan | Python peer | Rust / Python | peak memory |"
            );
            let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|");
            for r in &self.decode.real_rows {
                let _ = writeln!(
                    s,
                    "| {} | {:.3} MB | {:.1} MB/s | {:.1} MB/s | {:.2}× | {} | {} | {:.2}× |",
                    r.document,
                    r.bytes as f64 / 1e6,
                    r.rust_mb_s,
                    r.raw_scan_mb_s,
                    r.vs_raw_scan,
                    r.python_mb_s
                        .map_or_else(|| "n/a".into(), |v| format!("{v:.2} MB/s")),
                    r.vs_python
                        .map_or_else(|| "n/a".into(), |v| format!("{v:.0}×")),
                    r.peak_ratio,
                );
            }
        }
        if !self.decode.real_rows.is_empty() {
            let _ = writeln!(s, "\nWhere each real document comes from (`shared/conformance/FILE.json`, interaction index):\n");
            for r in &self.decode.real_rows {
                if let Some(src) = &r.source {
                    let _ = writeln!(s, "- {}: `{src}`", r.document);
                }
            }
        }
        if let Some(n) = &self.decode.real_note {
            let _ = writeln!(s, "\nReal documents: {n}");
        }

        let _ = writeln!(s, "\n## 2. Encode throughput (`to_document`)\n");
        let _ = writeln!(s, "| body | size | throughput | time per body |");
        let _ = writeln!(s, "|---|---:|---:|---:|");
        for r in &self.encode {
            let time = if r.ns_per_body > 1e6 {
                format!("{:.2} ms", r.ns_per_body / 1e6)
            } else {
                format!("{:.0} ns", r.ns_per_body)
            };
            let _ = writeln!(
                s,
                "| {} | {} B | {:.1} MB/s | {} |",
                r.body, r.bytes, r.mb_s, time
            );
        }

        let _ = writeln!(
            s,
            "\n## 3. End to end against the emulator (mutual TLS, keep-alive)\n"
        );
        if self.e2e.rows.is_empty() {
            let _ = writeln!(s, "Not measured.");
        } else {
            let _ = writeln!(
                s,
                "| cores | operation | client | concurrent requests | requests | requests/s | p50 | p99 | CPU per request: this process (clients) | CPU per request: emulator |"
            );
            let _ = writeln!(s, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|");
            let us = crate::e2e::cpu_micros;
            for r in &self.e2e.rows {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {:.0} | {:.2} ms | {:.2} ms | {} | {} |",
                    r.cores,
                    r.operation,
                    r.client,
                    r.concurrency,
                    r.requests,
                    r.rps,
                    r.p50_ms,
                    r.p99_ms,
                    us(r.client_cpu_us),
                    us(r.emulator_cpu_us)
                );
            }
        }
        let separate = self.client_overheads("separate");
        let shared = self.client_overheads("shared");
        let noise = (
            self.noise_overheads("separate"),
            self.noise_overheads("shared"),
        );
        let vs_hyper = self.client_overheads_vs_hyper(self.e2e_cores());
        if separate.is_some() || shared.is_some() {
            let placement = match (&self.e2e.client_cpus, &self.e2e.emulator_cpus) {
                (Some(c), Some(e)) => {
                    format!("Separate cores: the clients on CPU {c}, the emulator on CPU {e}")
                }
                _ => "Separate cores: not measured (see below)".to_owned(),
            };
            let _ = writeln!(
                s,
                "\nThe Rust client's overhead over the bare request (1 − its requests/s ÷ the bare \
                 request's): the median over rounds of the two windows of each round, and from the \
                 pooled totals in brackets. {placement}; shared: all of them for both. The A/A \
                 columns are the same figure for the bare request from a second connection pool \
                 against the first: what the measurement itself is off by. The last column is \
                 the client against hyper-util's pooled client bare ({} cores; the runtime's transport \
                 is that client, without reqwest's layers): the client's own cost. One connection is \
                 measured in windows of 10 ms (`--quick`) or 17 ms, 64 in windows of 150 or 250 ms.\n",
                self.e2e_cores()
            );
            let _ = writeln!(
                s,
                "| operation | connections | separate cores | shared cores | A/A, separate | A/A, shared | vs bare hyper-util |"
            );
            let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
            let cell = |cells: &Option<Vec<(String, usize, f64, f64)>>, i: usize| {
                cells.as_ref().and_then(|c| c.get(i)).map_or_else(
                    || "n/a".to_owned(),
                    |c| format!("{:.1}% ({:.1}%)", c.2 * 100.0, c.3 * 100.0),
                )
            };
            let names = separate
                .as_ref()
                .or(shared.as_ref())
                .cloned()
                .unwrap_or_default();
            for (i, (op, conc, _, _)) in names.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "| {op} | {conc} | {} | {} | {} | {} | {} |",
                    cell(&separate, i),
                    cell(&shared, i),
                    cell(&noise.0, i),
                    cell(&noise.1, i),
                    cell(&vs_hyper, i)
                );
            }
        }
        let overheads = self.e2e_overheads();
        if overheads.iter().any(|(_, r, p)| r.is_some() || p.is_some()) {
            let _ = writeln!(
                s,
                "\nThe clients' own time per call, one connection (p50 minus the bare request's p50, \
                 which is the emulator, TLS and HTTP round trip both clients share):\n"
            );
            let _ = writeln!(
                s,
                "| operation | Rust client | Python peer | Python / Rust |"
            );
            let _ = writeln!(s, "|---|---:|---:|---:|");
            let ms = |v: Option<f64>| v.map_or_else(|| "n/a".into(), |v| format!("{:.3} ms", v));
            for (op, r, p) in &overheads {
                let ratio = match (r, p) {
                    (Some(r), Some(p)) => format!("{:.0}×", p / r.max(0.001)),
                    _ => "n/a".into(),
                };
                let _ = writeln!(s, "| {op} | {} | {} | {ratio} |", ms(*r), ms(*p));
            }
        }
        for n in &self.e2e.notes {
            let _ = writeln!(s, "\n{n}");
        }
        if let Some(t) = &self.e2e.emulator {
            let _ = writeln!(
                s,
                "\nThe emulator's own throughput (its own process; bare reqwest, 64 concurrent requests, one affinity group):\n"
            );
            let _ = writeln!(s, "| requests | per second | p50 | p99 |");
            let _ = writeln!(s, "|---|---:|---:|---:|");
            let _ = writeln!(
                s,
                "| reads (GetAffinityGroupProperties) | {:.0} | {:.2} ms | {:.2} ms |",
                t.reads_per_s, t.read_p50_ms, t.read_p99_ms
            );
            let _ = writeln!(
                s,
                "| durable writes (UpdateAffinityGroup, fsynced before the answer) | {:.0} | {:.2} ms | {:.2} ms |",
                t.writes_per_s, t.write_p50_ms, t.write_p99_ms
            );
        }

        let _ = writeln!(s, "\n## 5. Build cost\n");
        if let Some(b) = &self.build {
            let _ = writeln!(s, "| figure | value |");
            let _ = writeln!(s, "|---|---:|");
            let _ = writeln!(
                s,
                "| codegen, whole spec (`asm_codegen::load` + `generate`, in process; median of {}) | {:.3} s |",
                b.codegen_runs, b.codegen_seconds
            );
            let _ = writeln!(
                s,
                "| cold release build of `azure-asm` (fresh target dir; {}) | {} |",
                b.cold_build_note,
                b.cold_build_seconds
                    .map_or_else(|| "skipped (quick)".into(), |v| format!("{v:.0} s"))
            );
            let _ = writeln!(
                s,
                "| generated code: {} lines in {} files for {} operations, {} structs, {} enums | {:.0} lines per operation |",
                b.generated_lines, b.generated_files, b.operations, b.structs, b.enums, b.lines_per_operation
            );
        } else {
            let _ = writeln!(s, "Not measured.");
        }
        let _ = write!(s, "\n{}", self.synthetic_section());
        s
    }

    /// Writes docs/BENCHMARKS.md (the table and bench/NOTES.md) and target/bench/summary.json.
    pub fn write(&self, opts: &Opts, table: &str) -> std::io::Result<()> {
        let mut md = table.to_owned();
        let notes = std::fs::read_to_string(opts.root.join("bench/NOTES.md")).unwrap_or_default();
        if !notes.trim().is_empty() {
            md.push('\n');
            md.push_str(notes.trim_end());
            md.push('\n');
        }
        if let Some(b) = &self.build {
            if let (Some(secs), Some(date)) = (b.cold_build_seconds, &b.cold_build_date) {
                let _ = writeln!(md, "\n{COLD_MARKER} {secs:.1} measured {date} -->");
            }
        }
        if let Some(line) = self
            .synthetic
            .as_ref()
            .and_then(crate::synthetic::marker_line)
        {
            let _ = writeln!(md, "{line}");
        }
        let docs = opts.root.join("docs");
        std::fs::create_dir_all(&docs)?;
        std::fs::write(docs.join("BENCHMARKS.md"), md)?;
        let json = serde_json::to_string_pretty(&self.json()).unwrap_or_default();
        let path = opts.out_dir().join("summary.json");
        std::fs::write(&path, json + "\n")?;
        eprintln!(
            "asm-bench: wrote {} and {}",
            docs.join("BENCHMARKS.md").display(),
            path.display()
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::e2e::E2eRow;

    fn row(cores: &str, op: &str, client: &str, conc: usize, rps: f64, windows: &[f64]) -> E2eRow {
        E2eRow {
            operation: op.into(),
            client: client.into(),
            concurrency: conc,
            requests: 0,
            rps,
            p50_ms: 0.2,
            p99_ms: 0.4,
            client_cpu_us: None,
            emulator_cpu_us: None,
            cores: cores.into(),
            window_rps: windows.to_vec(),
        }
    }

    fn summary(rows: Vec<E2eRow>) -> Summary {
        let opts = Opts {
            quick: true,
            python: false,
            e2e: true,
            build: false,
            write: false,
            root: ".".into(),
        };
        let mut s = Summary::new(&opts);
        s.e2e.rows = rows;
        s
    }

    /// Every cell of one placement: the Rust client at `rust` of the bare
    /// request's requests/s in each window, except ListLocations × 1.
    fn cells(cores: &str, ll1: &[f64]) -> Vec<E2eRow> {
        let mut rows = Vec::new();
        for op in ["GetOperationStatus", "ListLocations"] {
            for conc in [1, 64] {
                let bare = [100.0; 5];
                let rust: Vec<f64> = if op == "ListLocations" && conc == 1 {
                    ll1.to_vec()
                } else {
                    vec![99.0; 5]
                };
                rows.push(row(
                    cores,
                    op,
                    "rust",
                    conc,
                    rust.iter().sum::<f64>() / 5.0,
                    &rust,
                ));
                rows.push(row(cores, op, "bare reqwest", conc, 100.0, &bare));
            }
        }
        rows
    }

    #[test]
    fn overhead_is_the_median_of_paired_windows_of_the_separate_placement() {
        // One slow window of the Rust client (a spell of the machine) moves
        // the pooled figure, not the median of the rounds.
        let mut rows = cells("separate", &[95.0, 94.0, 20.0, 96.0, 95.0]);
        rows.extend(cells("shared", &[80.0; 5]));
        let s = summary(rows);
        let max = s.client_overhead_vs_bare_max().unwrap();
        assert!((max - 0.05).abs() < 1e-9, "{max}");
        let cells = s.client_overheads("separate").unwrap();
        let ll1 = cells
            .iter()
            .find(|c| c.0 == "ListLocations" && c.1 == 1)
            .unwrap();
        assert!((ll1.3 - 0.2).abs() < 1e-9, "pooled {}", ll1.3);
        let shared = s.client_overhead_vs_bare_max_shared_cores().unwrap();
        assert!((shared - 0.2).abs() < 1e-9, "{shared}");
        assert_eq!(s.json()["client_overhead_cores"], "separate");
    }

    /// The A/A row (the bare request from a second pool) gives the
    /// measurement's own error: the largest either way, from the primary
    /// placement; it is not counted as the client's overhead.
    #[test]
    fn noise_is_the_largest_a_a_figure_either_way() {
        let mut rows = cells("separate", &[90.0; 5]);
        let again = |op: &str, conc: usize, w: &[f64]| {
            row(
                "separate",
                op,
                crate::e2e::BARE_AGAIN,
                conc,
                w.iter().sum::<f64>() / 5.0,
                w,
            )
        };
        rows.push(again("GetOperationStatus", 1, &[101.0; 5]));
        rows.push(again("GetOperationStatus", 64, &[99.5; 5]));
        rows.push(again(
            "ListLocations",
            1,
            &[103.0, 102.0, 103.0, 50.0, 103.0],
        ));
        rows.push(again("ListLocations", 64, &[100.0; 5]));
        let s = summary(rows);
        let noise = s.client_overhead_noise_max().unwrap();
        assert!((noise - 0.03).abs() < 1e-9, "{noise}");
        assert!((s.client_overhead_vs_bare_max().unwrap() - 0.1).abs() < 1e-9);
        let json = s.json();
        assert!((json["client_overhead_noise_max"].as_f64().unwrap() - 0.03).abs() < 1e-9);
        // Without the A/A rows there is no figure (an older run).
        assert!(summary(cells("separate", &[90.0; 5]))
            .client_overhead_noise_max()
            .is_none());
    }

    #[test]
    fn without_a_separate_placement_the_shared_one_is_the_figure() {
        let s = summary(cells("shared", &[90.0; 5]));
        let max = s.client_overhead_vs_bare_max().unwrap();
        assert!((max - 0.1).abs() < 1e-9, "{max}");
        assert_eq!(s.json()["client_overhead_cores"], "shared");
        assert!(s.client_overheads("separate").is_none());
    }
}
