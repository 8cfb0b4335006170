//! Part 3: end to end against the emulator (started in this process, on an
//! ephemeral data directory) over mutual TLS with keep-alive: requests/s and
//! p50/p99 latency of GetOperationStatus and ListLocations, with one
//! connection and with 64 concurrent requests, for
//!
//! - `rust`: the generated client (`azure_asm::Client`): URL building,
//!   retries/tracing pipeline, body cap, typed decode;
//! - `bare reqwest`: a reqwest client with the same TLS configuration
//!   (`client_tls_config`) sending the same request and reading the body
//!   bytes, nothing else — the floor the client's own overhead sits on;
//! - `python`: the Python peer's ServiceManagementService (bench/python/e2e.py).
//!
//! The emulator runs in a process of its own (this binary re-executed with
//! `--serve-emulator`), so its work is not scheduled on the clients' runtime.
//! Where the process may use two CPUs or more, each figure is measured twice:
//!
//! - on **separate cores** (the primary figures): the clients on half of
//!   them, the emulator on the other half, as against the real service,
//!   whose work never takes CPU from its clients nor theirs from it;
//! - on **shared cores**: all of them for both, where every microsecond a
//!   client spends is taken from the emulator when the machine is busy.
//!
//! The clients run in interleaved windows (see [`measure`]); a cell's
//! overhead is the median over rounds of the Rust client's requests/s
//! against the bare request's in the same round, which a slow spell of the
//! machine moves far less than the pooled totals.
//!
//! Also the emulator's own throughput: reads (GetAffinityGroupProperties)
//! and writes (UpdateAffinityGroup, each durable — fsynced — before the
//! answer) per second with 64 concurrent requests over bare reqwest.

use std::sync::Arc;
use std::time::{Duration, Instant};

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

use asm_emulator::{Config, Emulator};
use azure_asm::{Client, CreateStorageServiceInput, Credentials};
use serde::Serialize;

use crate::stats::{median, percentile};
use crate::{cores, python, Opts};

/// One (operation, client, concurrency) measurement.
#[derive(Debug, Clone, Serialize)]
pub struct E2eRow {
    pub operation: String,
    pub client: String,
    pub concurrency: usize,
    pub requests: usize,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// CPU time (user + system) per request of this process (the clients)
    /// and of the emulator's, in µs, where `/proc` tells (Linux).
    pub client_cpu_us: Option<f64>,
    pub emulator_cpu_us: Option<f64>,
    /// `separate` (clients and emulator on cores of their own) or `shared`.
    pub cores: String,
    /// Requests/s of each round's window, in round order (the windows of
    /// the callers of one cell alternate: round k of each is adjacent).
    pub window_rps: Vec<f64>,
}

/// Part 3 figures, or why they are missing.
#[derive(Debug, Clone, Default, Serialize)]
pub struct E2eReport {
    pub rows: Vec<E2eRow>,
    pub notes: Vec<String>,
    /// The emulator's own reads and writes per second, 64 concurrent.
    pub emulator: Option<EmulatorThroughput>,
    /// The CPUs of the clients and of the emulator in the `separate`
    /// measurement (`0` and `1`), if there was one.
    pub client_cpus: Option<String>,
    pub emulator_cpus: Option<String>,
}

/// The emulator's throughput with 64 concurrent requests (bare reqwest).
#[derive(Debug, Clone, Serialize)]
pub struct EmulatorThroughput {
    pub reads_per_s: f64,
    pub read_p50_ms: f64,
    pub read_p99_ms: f64,
    pub writes_per_s: f64,
    pub write_p50_ms: f64,
    pub write_p99_ms: f64,
}

/// `--serve-emulator [--cpus LIST]`: runs an ephemeral emulator (on those
/// CPUs), prints its announcement line on stdout and serves until stdin
/// closes (the parent ended).
pub fn serve_emulator(cpus: Option<&str>) -> std::process::ExitCode {
    if let Some(list) = cpus {
        let pinned = cores::parse(list)
            .ok_or_else(|| format!("bad CPU list {list:?}"))
            .and_then(|c| cores::pin(&c));
        if let Err(e) = pinned {
            eprintln!("serve-emulator: {e}");
            return std::process::ExitCode::FAILURE;
        }
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("emulator")
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("serve-emulator: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let started = rt.block_on(async {
        let mut config = Config::ephemeral().map_err(|e| e.to_string())?;
        // The write figures are of durable writes, as a kept emulator makes.
        config.sync_writes = true;
        Emulator::start(config).await.map_err(|e| e.to_string())
    });
    let emulator = match started {
        Ok(e) => e,
        Err(e) => {
            eprintln!("serve-emulator: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("{}", emulator.announcement());
    let mut sink = String::new();
    while std::io::stdin().read_line(&mut sink).is_ok_and(|n| n > 0) {
        sink.clear();
    }
    rt.block_on(emulator.shutdown());
    std::process::ExitCode::SUCCESS
}

/// `--count-e2e rust|no-decode|bare|hyper OPERATION N`: N sequential calls
/// of one client (`no-decode`: the generated client's pipeline without
/// decoding the body; `hyper`: [`BARE_HYPER`]) against an emulator process, nothing else — for counts of
/// the client side (`valgrind --tool=callgrind` without
/// `--trace-children`; two values of N give the cost per call without the
/// start-up). On one thread, or on the multi-threaded runtime with
/// `ASM_BENCH_RT=multi` (see [`on_diagnostic_runtime`]).
pub fn count_e2e(client_kind: &str, op: &str, n: usize) -> std::process::ExitCode {
    let run = || -> Result<(), String> {
        if !matches!(client_kind, "rust" | "no-decode" | "bare" | "hyper") {
            return Err(format!(
                "unknown client {client_kind:?} (rust, no-decode, bare or hyper)"
            ));
        }
        let server = Arc::new(Server::spawn(None)?);
        let (op, client_kind) = (op.to_owned(), client_kind.to_owned());
        on_diagnostic_runtime(async move {
            let (op, client_kind) = (op.as_str(), client_kind.as_str());
            let (client, bare, request_id) = clients(&server).await?;
            if op == "GetAffinityGroupProperties" {
                create_group(&bare, &server).await?;
            }
            let caller = match client_kind {
                "rust" => Caller::Rust(client),
                "no-decode" => Caller::RustNoDecode(client),
                "hyper" => Caller::BareHyper {
                    http: bare_hyper_client(&server)?,
                    url: url_of(&server, op, &request_id)
                        .parse()
                        .map_err(|e| format!("{e}"))?,
                },
                // `bare`, the only other kind let through above.
                _ => Caller::Bare {
                    http: bare,
                    url: Arc::from(url_of(&server, op, &request_id)),
                },
            };
            for _ in 0..n {
                caller.call(op, &request_id).await?;
            }
            Ok(())
        })
    };
    match run() {
        Ok(()) => {
            eprintln!("{client_kind} {op}: {n} calls");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("count-e2e: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `--split-e2e OPERATION N` (GetOperationStatus or ListLocations): where a
/// call's time goes on one connection, with the clients and the emulator on
/// separate cores where there are two or more. Six callers run in windows
/// of N calls, the order rotating each round: the generated client, its
/// pipeline without decoding, the pipeline followed by the generated reader
/// called here (timed on its own, with the value's drop, then once more at
/// once), the bare request, the bare request followed by a busy wait as
/// long as the reader takes in place, and hyper-util's client bare
/// ([`BARE_HYPER`]). For each: the median time per call
/// over the windows and this thread's CPU time per call
/// (`/proc/thread-self/schedstat`), which shows how much a decode costs the
/// calls around it beyond its own time. The busy wait tells whether that
/// cost is the decode's own (caches) or only the delay before the next
/// request (the emulator's CPU going idle in between). `ASM_BENCH_RT=multi`
/// runs it on the multi-threaded runtime, as the benchmark's e2e part does.
pub fn split_e2e(op: &str, n: usize) -> std::process::ExitCode {
    let run = || -> Result<(), String> {
        let split = cores::split(&cores::allowed());
        if let Some((mine, _)) = &split {
            cores::pin(mine)?;
        }
        let server = Server::spawn(split.as_ref().map(|(_, theirs)| theirs.as_slice()))?;
        eprintln!(
            "split-e2e: {}",
            match &split {
                Some((mine, theirs)) => format!(
                    "clients on CPUs {}, the emulator on {}",
                    cores::format(mine),
                    cores::format(theirs)
                ),
                None => "one CPU: clients and emulator share it".into(),
            }
        );
        let (op, server) = (op.to_owned(), Arc::new(server));
        on_diagnostic_runtime(async move { split_calls(&server, &op, n.max(1)).await })
    };
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("split-e2e: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Runs `calls` as a task of the diagnostics' Tokio runtime: one thread
/// (`current_thread`), or with `ASM_BENCH_RT=multi` the default
/// multi-threaded runtime, which the benchmark's own e2e part uses.
fn on_diagnostic_runtime<F>(calls: F) -> Result<(), String>
where
    F: std::future::Future<Output = Result<(), String>> + Send + 'static,
{
    let mut builder = match std::env::var("ASM_BENCH_RT").as_deref() {
        Ok("multi") => tokio::runtime::Builder::new_multi_thread(),
        _ => tokio::runtime::Builder::new_current_thread(),
    };
    let rt = builder.enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(async move { tokio::spawn(calls).await.map_err(|e| e.to_string())? })
}

async fn split_calls(server: &Server, op: &str, n: usize) -> Result<(), String> {
    const ROUNDS: usize = 24;
    const WARM_UP: usize = 4;
    let (client, bare_http, request_id) = clients(server).await?;
    let names = [
        "rust",
        "rust, no decode",
        "send + reader here",
        "bare reqwest",
        "bare reqwest + busy wait as long as the reader",
        BARE_HYPER,
    ];
    let rust = Caller::Rust(client.clone());
    let no_decode = Caller::RustNoDecode(client.clone());
    let bare = Caller::Bare {
        http: bare_http,
        url: Arc::from(url_of(server, op, &request_id)),
    };
    let bare_hyper = Caller::BareHyper {
        http: bare_hyper_client(server)?,
        url: url_of(server, op, &request_id)
            .parse()
            .map_err(|e| format!("{e}"))?,
    };
    let thread_cpu_ns = || {
        std::fs::read_to_string("/proc/thread-self/schedstat")
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
    };
    let mut per_call = vec![Vec::new(); names.len()];
    let mut cpu = vec![Some(0.0); names.len()];
    let mut decode_us = Vec::new();
    let mut again_us = Vec::new();
    // The reader's time in place, for the busy wait: the median of a few
    // calls before the windows.
    let mut first = Vec::new();
    for _ in 0..64 {
        first.push(send_and_decode(&client, op, &request_id).await?.0);
    }
    let wait = Duration::from_secs_f64(median(&first) / 1e6);
    for round in 0..ROUNDS {
        for k in 0..names.len() {
            let i = (round + k) % names.len();
            let cpu_before = thread_cpu_ns();
            let started = Instant::now();
            for _ in 0..n {
                match i {
                    0 => rust.call(op, &request_id).await?,
                    1 => no_decode.call(op, &request_id).await?,
                    2 => {
                        let (once, again) = send_and_decode(&client, op, &request_id).await?;
                        decode_us.push(once);
                        again_us.push(again);
                    }
                    3 => bare.call(op, &request_id).await?,
                    5 => bare_hyper.call(op, &request_id).await?,
                    _ => {
                        bare.call(op, &request_id).await?;
                        let waited = Instant::now();
                        while waited.elapsed() < wait {
                            std::hint::spin_loop();
                        }
                    }
                }
            }
            if round >= WARM_UP {
                per_call[i].push(started.elapsed().as_secs_f64() * 1e6 / n as f64);
                cpu[i] = cpu[i]
                    .zip(cpu_before.zip(thread_cpu_ns()))
                    .map(|(sum, (a, b))| sum + (b - a) / 1e3 / n as f64);
            }
        }
    }
    let windows = (ROUNDS - WARM_UP) as f64;
    println!("| {op}, one connection, windows of {n} calls | µs per call (median) | thread CPU µs per call |");
    println!("|---|---:|---:|");
    for (i, name) in names.iter().enumerate() {
        println!(
            "| {name} | {:.1} | {} |",
            median(&per_call[i]),
            cpu[i].map_or("n/a".into(), |c| format!("{:.1}", c / windows))
        );
    }
    let paired: Vec<f64> = per_call[0]
        .iter()
        .zip(&per_call[3])
        .map(|(rust, bare)| 1.0 - bare / rust)
        .collect();
    println!(
        "\nthe reader alone (with the drop), timed in place: {:.1} µs (median of {} calls); \
         the reader again at once on the same body: {:.1} µs; the busy wait: {:.1} µs",
        median(&decode_us),
        decode_us.len(),
        median(&again_us),
        wait.as_secs_f64() * 1e6
    );
    println!(
        "overhead of the client over the bare request (median of paired windows): {:.1}%",
        100.0 * median(&paired)
    );
    Ok(())
}

/// The generated client's pipeline, then the generated reader on the body
/// (and the value dropped), twice: the reader's time where the client runs
/// it, and again at once (warm), in µs.
async fn send_and_decode(
    client: &Client,
    op: &str,
    request_id: &str,
) -> Result<(f64, f64), String> {
    let req = pipeline_request(client, op, request_id)?;
    let resp = client.core().send(&req).await.map_err(|e| e.to_string())?;
    let read = || {
        let started = Instant::now();
        decode_body(op, &resp.body).map_err(|e| format!("{op}: the body did not decode: {e}"))?;
        Ok::<_, String>(started.elapsed().as_secs_f64() * 1e6)
    };
    Ok((read()?, read()?))
}

/// The generated reader of `op`'s response (GetOperationStatus, else
/// ListLocations) on `body`, the value then dropped: what the generated
/// method does after the pipeline.
fn decode_body(op: &str, body: &[u8]) -> Result<(), asm_runtime::DecodeError> {
    use asm_runtime::xml::from_document;
    match op {
        "GetOperationStatus" => from_document::<azure_asm::Operation>("Operation", body)
            .map(|v| drop(std::hint::black_box(v))),
        _ => from_document::<azure_asm::Locations>("Locations", body)
            .map(|v| drop(std::hint::black_box(v))),
    }
}

/// The request the generated method of `op` builds (GetOperationStatus
/// of `request_id`, or ListLocations), for sending through the pipeline
/// without the generated decode.
fn pipeline_request(
    client: &Client,
    op: &str,
    request_id: &str,
) -> Result<asm_runtime::Request, String> {
    let mut req = asm_runtime::Request::new(match op {
        "GetOperationStatus" => &azure_asm::GET_OPERATION_STATUS,
        _ => &azure_asm::LIST_LOCATIONS,
    });
    req.path = client
        .core()
        .subscription_path()
        .map_err(|e| e.to_string())?;
    match op {
        "GetOperationStatus" => {
            req.path.push_str("/operations/");
            req.path.push_str(request_id);
        }
        _ => req.path.push_str("/locations"),
    }
    Ok(req)
}

fn url_of(server: &Server, op: &str, request_id: &str) -> String {
    let path = match op {
        "GetOperationStatus" => format!("/{}/operations/{request_id}", server.subscription_id),
        "GetAffinityGroupProperties" => {
            format!("/{}/affinitygroups/benchgroup", server.subscription_id)
        }
        _ => format!("/{}/locations", server.subscription_id),
    };
    format!("{}{path}", server.endpoint)
}

/// A generated client of the emulator (a connection pool of its own).
fn new_client(emulator: &Server) -> Result<Client, String> {
    let credentials = Credentials::from_pem(&emulator.client_pem).map_err(|e| e.to_string())?;
    Client::builder()
        .subscription_id(&emulator.subscription_id)
        .credentials(credentials)
        .endpoint(&emulator.endpoint)
        .add_root_certificate_pem(&emulator.ca_pem)
        .and_then(|b| b.no_proxy().build())
        .map_err(|e| e.to_string())
}

/// The generated client, a bare reqwest client with the same TLS setup, and
/// an operation id to poll (one asynchronous CreateStorageAccount).
async fn clients(emulator: &Server) -> Result<(Client, reqwest::Client, String), String> {
    let client = new_client(emulator)?;
    let op = client
        .create_storage_account(&CreateStorageServiceInput {
            service_name: format!("bench{}", std::process::id() % 100_000).into(),
            label: "benchmark".into(),
            location: Some("West US".into()),
            ..Default::default()
        })
        .await
        .map_err(|e| format!("CreateStorageAccount: {e}"))?;
    let request_id = op.request_id().to_owned();
    Ok((client, bare_client(emulator)?, request_id))
}

/// A bare reqwest client of the emulator with the generated client's TLS
/// setup (a connection pool of its own).
fn bare_client(emulator: &Server) -> Result<reqwest::Client, String> {
    let credentials = Credentials::from_pem(&emulator.client_pem).map_err(|e| e.to_string())?;
    let roots =
        asm_runtime::credentials::parse_ca_pem(&emulator.ca_pem).map_err(|e| e.to_string())?;
    let tls = asm_runtime::credentials::client_tls_config(Some(&credentials), &roots)
        .map_err(|e| e.to_string())?;
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .no_proxy()
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| e.to_string())
}

/// The emulator child process; killed when dropped.
struct Server {
    child: Child,
    endpoint: String,
    subscription_id: String,
    ca_pem: Vec<u8>,
    client_pem: Vec<u8>,
    announcement: String,
}

impl Server {
    /// The emulator process, on `cpus` if given (else where this thread runs).
    fn spawn(cpus: Option<&[usize]>) -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        // ASM_BENCH_EMULATOR_WRAPPER="valgrind --tool=callgrind" profiles
        // the emulator process itself (see bench/NOTES.md).
        let wrapper = std::env::var("ASM_BENCH_EMULATOR_WRAPPER").unwrap_or_default();
        let mut words = wrapper.split_whitespace();
        let mut command = match words.next() {
            Some(program) => {
                let mut c = Command::new(program);
                c.args(words).arg(exe);
                c
            }
            None => Command::new(exe),
        };
        command.arg("--serve-emulator");
        if let Some(cpus) = cpus {
            command.args(["--cpus", &cores::format(cpus)]);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the emulator process: {e}"))?;
        let mut line = String::new();
        let read = child
            .stdout
            .take()
            .map(|out| BufReader::new(out).read_line(&mut line));
        let fail = |child: &mut Child, why: String| {
            let _ = child.kill();
            let _ = child.wait();
            Err(why)
        };
        if !matches!(read, Some(Ok(n)) if n > 0) {
            return fail(
                &mut child,
                "the emulator process printed no announcement".into(),
            );
        }
        let v: serde_json::Value = match serde_json::from_str(line.trim()) {
            Ok(v) => v,
            Err(e) => return fail(&mut child, format!("bad announcement {line:?}: {e}")),
        };
        let field = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        let (ca, cert) = (field("ca"), field("client_cert"));
        let (Ok(ca_pem), Ok(client_pem)) = (std::fs::read(&ca), std::fs::read(&cert)) else {
            return fail(&mut child, format!("cannot read {ca} or {cert}"));
        };
        Ok(Self {
            endpoint: field("endpoint"),
            subscription_id: field("subscription_id"),
            ca_pem,
            client_pem,
            announcement: line.trim().to_owned(),
            child,
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const OPERATIONS: [&str; 2] = ["GetOperationStatus", "ListLocations"];
/// The bare request again, from a second connection pool: the A/A row.
pub const BARE_AGAIN: &str = "bare reqwest, second pool";
/// hyper's own pooled client (which reqwest is built on, and which the
/// runtime's transport uses directly), bare: what the HTTP exchange itself
/// costs without reqwest's layers.
pub const BARE_HYPER: &str = "bare hyper-util";
const CONCURRENCY: [usize; 2] = [1, 64];

pub fn run(opts: &Opts) -> E2eReport {
    match run_inner(opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("e2e: not measured: {e}");
            E2eReport {
                notes: vec![format!("not measured: {e}")],
                ..E2eReport::default()
            }
        }
    }
}

/// The emulator runs in its own process; the Rust clients on the default
/// multi-threaded runtime an application would use (started on the CPUs of
/// the clients, so its worker threads stay there). First on separate cores
/// (with the Python peer), then on shared cores (with the emulator's own
/// throughput); only the second where there is one CPU.
fn run_inner(opts: &Opts) -> Result<E2eReport, String> {
    let allowed = cores::allowed();
    let mut report = E2eReport::default();
    let mut placements = Vec::new();
    match cores::split(&allowed) {
        Some((clients, emulator)) => {
            report.client_cpus = Some(cores::format(&clients));
            report.emulator_cpus = Some(cores::format(&emulator));
            placements.push(("separate", Some((clients, emulator))));
        }
        None => report.notes.push(format!(
            "Only shared-core figures: this process may use {} CPU(s).",
            allowed.len()
        )),
    }
    placements.push(("shared", None));
    // The first placement that starts makes the primary figures (and
    // measures the Python peer); a separate-core placement that cannot
    // start (no permission to set affinity, say) leaves the shared one.
    let mut primary = None;
    for (placement, split) in placements {
        let (clients, emulator) = match &split {
            Some((c, e)) => (c.as_slice(), Some(e.as_slice())),
            None => (allowed.as_slice(), None),
        };
        let pinned = match (clients.is_empty(), split.is_some()) {
            (true, _) => Ok(()),
            (false, true) => cores::pin(clients),
            // Back to every CPU; should that fail, the clients stay where
            // they are, which is no reason to measure nothing.
            (false, false) => {
                let _ = cores::pin(clients);
                Ok(())
            }
        };
        let started = pinned.and_then(|()| Server::spawn(emulator));
        let server = match started {
            Ok(server) => server,
            Err(e) if split.is_some() => {
                eprintln!("e2e: not measured on separate cores: {e}");
                report.notes.push(format!(
                    "Not measured on separate cores ({e}): only shared-core figures."
                ));
                report.client_cpus = None;
                report.emulator_cpus = None;
                continue;
            }
            Err(e) => return Err(e),
        };
        eprintln!(
            "e2e: {placement} cores (clients on CPUs {}, the emulator on {})",
            cores::format(clients),
            emulator.map_or_else(|| "the same".into(), cores::format)
        );
        let client_rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("client")
            .build()
            .map_err(|e| format!("cannot start a Tokio runtime: {e}"))?;
        let run = Run {
            cores: placement,
            primary: *primary.get_or_insert(placement) == placement,
            emulator_throughput: placement == "shared",
        };
        client_rt.block_on(measure_all(opts, &server, &run, &mut report))?;
    }
    if !allowed.is_empty() {
        // Back to every CPU for the rest of the run (a failure only
        // leaves this thread where the shared placement put it: all).
        let _ = cores::pin(&allowed);
    }
    Ok(report)
}

/// What one placement measures.
struct Run {
    /// `separate` or `shared`.
    cores: &'static str,
    /// The primary placement: also the Python peer and the decode-cost
    /// notes (measured once per run).
    primary: bool,
    /// Also the emulator's own throughput.
    emulator_throughput: bool,
}

/// How one client sends one request.
#[derive(Clone)]
enum Caller {
    Rust(Client),
    /// The generated client's pipeline (URL, headers, retries, tracing,
    /// body cap) without decoding the body: splits the client's overhead
    /// over bare reqwest into sending and decoding.
    RustNoDecode(Client),
    Bare {
        http: reqwest::Client,
        url: Arc<str>,
    },
    /// hyper-util's pooled client with the same TLS set-up ([`BARE_HYPER`]).
    BareHyper {
        http: Arc<HyperClient>,
        url: http::Uri,
    },
}

type HyperClient = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    http_body_util::Empty<bytes::Bytes>,
>;

/// A bare hyper-util client of the emulator with the generated client's TLS
/// set-up (a connection pool of its own). hyper-rustls sets ALPN itself, so
/// the configuration's (`http/1.1`) is left out: the same protocol.
fn bare_hyper_client(emulator: &Server) -> Result<Arc<HyperClient>, String> {
    let credentials = Credentials::from_pem(&emulator.client_pem).map_err(|e| e.to_string())?;
    let roots =
        asm_runtime::credentials::parse_ca_pem(&emulator.ca_pem).map_err(|e| e.to_string())?;
    let mut tls = asm_runtime::credentials::client_tls_config(Some(&credentials), &roots)
        .map_err(|e| e.to_string())?;
    tls.alpn_protocols.clear();
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only()
        .enable_http1()
        .build();
    Ok(Arc::new(
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_timer(hyper_util::rt::TokioTimer::new())
            .build(https),
    ))
}

impl Caller {
    async fn call(&self, op: &str, request_id: &str) -> Result<(), String> {
        match self {
            Caller::Rust(client) => match op {
                "GetOperationStatus" => client
                    .get_operation_status(request_id)
                    .await
                    .map(|o| drop(std::hint::black_box(o)))
                    .map_err(|e| e.to_string()),
                _ => client
                    .list_locations()
                    .await
                    .map(|l| drop(std::hint::black_box(l)))
                    .map_err(|e| e.to_string()),
            },
            Caller::RustNoDecode(client) => {
                let req = pipeline_request(client, op, request_id)?;
                let resp = client.core().send(&req).await.map_err(|e| e.to_string())?;
                if resp.body.is_empty() {
                    return Err(format!("{op}: empty body"));
                }
                std::hint::black_box(resp);
                Ok(())
            }
            Caller::Bare { http, url } => {
                let resp = http
                    .get(&**url)
                    .header("x-ms-version", "2014-10-01")
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let status = resp.status();
                let body = resp.bytes().await.map_err(|e| e.to_string())?;
                if !status.is_success() || body.is_empty() {
                    return Err(format!("status {status}"));
                }
                std::hint::black_box(body);
                Ok(())
            }
            Caller::BareHyper { http, url } => {
                use http_body_util::BodyExt as _;
                let req = http::Request::get(url.clone())
                    .header("x-ms-version", "2014-10-01")
                    .body(http_body_util::Empty::new())
                    .map_err(|e| e.to_string())?;
                let resp = http.request(req).await.map_err(|e| e.to_string())?;
                let status = resp.status();
                let body = resp
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| e.to_string())?
                    .to_bytes();
                if !status.is_success() || body.is_empty() {
                    return Err(format!("status {status}"));
                }
                std::hint::black_box(body);
                Ok(())
            }
        }
    }
}

async fn measure_all(
    opts: &Opts,
    emulator: &Server,
    run: &Run,
    report: &mut E2eReport,
) -> Result<(), String> {
    let (client, bare_http, request_id) = clients(emulator).await?;
    let no_decode = new_client(emulator)?;
    // The same bare request from a second pool: its "overhead" over the
    // first is the measurement's own error (an A/A comparison).
    let bare_again_http = bare_client(emulator)?;
    let hyper_http = bare_hyper_client(emulator)?;

    let seconds = if opts.quick { 3.0 } else { 5.0 };
    let python = if !run.primary {
        None
    } else if opts.python {
        match python::ensure_venv(opts) {
            Ok(py) => Some(py),
            Err(e) => {
                report.notes.push(format!("Python peer not measured: {e}"));
                None
            }
        }
    } else {
        report
            .notes
            .push("Python peer skipped (--skip-python)".into());
        None
    };

    for op in OPERATIONS {
        let url = url_of(emulator, op, &request_id);
        if run.primary {
            if let Some(note) = decode_cost(&bare_http, &url, op).await {
                eprintln!("e2e: {note}");
                report.notes.push(note);
            }
        }
        let bare_hyper = Caller::BareHyper {
            http: hyper_http.clone(),
            url: url.parse().map_err(|e| format!("{url}: {e}"))?,
        };
        let url: Arc<str> = Arc::from(url);
        let bare = Caller::Bare {
            http: bare_http.clone(),
            url: url.clone(),
        };
        let bare_again = Caller::Bare {
            http: bare_again_http.clone(),
            url,
        };
        for conc in CONCURRENCY {
            // Each caller has a connection pool of its own, so that each
            // window of `measure` starts on connections that were idle
            // during the windows of the others, for every caller alike.
            let callers = [
                ("rust", Caller::Rust(client.clone())),
                ("rust, no decode", Caller::RustNoDecode(no_decode.clone())),
                ("bare reqwest", bare.clone()),
                (BARE_AGAIN, bare_again.clone()),
                (BARE_HYPER, bare_hyper.clone()),
            ];
            // One connection: windows of 10 ms (--quick) or 17 ms, so
            // that the machine's slow spells, which last longer, fall on
            // every caller alike. (Windows of 150-250 ms gave a cell whose
            // true overhead is 1-2% anywhere from -3% to 11% run to run;
            // see bench/NOTES.md.) With 64 connections a window must be
            // long enough for its 64 tasks to start and finish.
            let rounds = if conc == 1 { 300 } else { 20 };
            let pid = emulator.child.id();
            for mut row in measure(op, conc, seconds, rounds, &callers, &request_id, pid).await? {
                row.cores = run.cores.into();
                log(&row);
                report.rows.push(row);
            }
            if let Some(py) = &python {
                match python_e2e(opts, py, emulator, op, conc, seconds, &request_id).await {
                    Ok(mut row) => {
                        row.cores = run.cores.into();
                        log(&row);
                        report.rows.push(row)
                    }
                    Err(e) => {
                        eprintln!("e2e: python {op} x{conc}: {e}");
                        report
                            .notes
                            .push(format!("Python peer, {op} with {conc}: {e}"));
                    }
                }
            }
        }
    }
    if run.emulator_throughput {
        match emulator_throughput(&bare_http, emulator, seconds).await {
            Ok(t) => report.emulator = Some(t),
            Err(e) => {
                eprintln!("e2e: emulator throughput not measured: {e}");
                report
                    .notes
                    .push(format!("emulator throughput not measured: {e}"));
            }
        }
    }
    Ok(())
}

/// Reads and durable writes per second of one affinity group, 64 concurrent.
async fn emulator_throughput(
    http: &reqwest::Client,
    emulator: &Server,
    seconds: f64,
) -> Result<EmulatorThroughput, String> {
    let base = format!(
        "{}/{}/affinitygroups",
        emulator.endpoint, emulator.subscription_id
    );
    let ns = "http://schemas.microsoft.com/windowsazure";
    create_group(http, emulator).await?;
    let url: Arc<str> = Arc::from(format!("{base}/benchgroup"));
    let read = {
        let (http, url) = (http.clone(), url.clone());
        move |_: usize| {
            let (http, url) = (http.clone(), url.clone());
            async move {
                let resp = http
                    .get(&*url)
                    .header("x-ms-version", "2014-10-01")
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let ok = resp.status().is_success();
                let body = resp.bytes().await.map_err(|e| e.to_string())?;
                if !ok || body.is_empty() {
                    return Err("GetAffinityGroupProperties failed".to_owned());
                }
                Ok(())
            }
        }
    };
    let write = {
        let (http, url) = (http.clone(), url.clone());
        move |i: usize| {
            let (http, url) = (http.clone(), url.clone());
            async move {
                let body = format!(
                    "<UpdateAffinityGroup xmlns=\"{ns}\"><Label>YmVuY2g=</Label><Description>write {i}</Description></UpdateAffinityGroup>"
                );
                let resp = http
                    .put(&*url)
                    .header("x-ms-version", "2014-10-01")
                    .header("content-type", "application/xml")
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let status = resp.status();
                drop(resp.bytes().await);
                if !status.is_success() {
                    return Err(format!("UpdateAffinityGroup: status {status}"));
                }
                Ok(())
            }
        }
    };
    let (reads, r50, r99) = load(64, seconds, read).await?;
    let (writes, w50, w99) = load(64, seconds, write).await?;
    let t = EmulatorThroughput {
        reads_per_s: reads,
        read_p50_ms: r50,
        read_p99_ms: r99,
        writes_per_s: writes,
        write_p50_ms: w50,
        write_p99_ms: w99,
    };
    eprintln!(
        "e2e: emulator x64: {reads:.0} reads/s (p50 {r50:.2} ms, p99 {r99:.2} ms), {writes:.0} durable writes/s (p50 {w50:.2} ms, p99 {w99:.2} ms)"
    );
    Ok(t)
}

/// Creates the affinity group `benchgroup` the throughput figures use.
async fn create_group(http: &reqwest::Client, emulator: &Server) -> Result<(), String> {
    let base = format!(
        "{}/{}/affinitygroups",
        emulator.endpoint, emulator.subscription_id
    );
    let create = "<CreateAffinityGroup xmlns=\"http://schemas.microsoft.com/windowsazure\"><Name>benchgroup</Name>\
                  <Label>YmVuY2g=</Label><Location>West US</Location></CreateAffinityGroup>";
    let resp = http
        .post(&base)
        .header("x-ms-version", "2014-10-01")
        .header("content-type", "application/xml")
        .body(create)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !resp.status().is_success() {
        return Err(format!("CreateAffinityGroup: status {}", resp.status()));
    }
    Ok(())
}

/// `conc` tasks calling `f(i)` until the deadline: (requests/s, p50 ms, p99 ms).
async fn load<F, Fut>(conc: usize, seconds: f64, f: F) -> Result<(f64, f64, f64), String>
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<(), String>> + Send,
{
    for i in 0..conc {
        f(i).await?;
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::new();
    for t in 0..conc {
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut i = t;
            while Instant::now() < deadline {
                let s = Instant::now();
                f(i).await?;
                lat.push(s.elapsed().as_secs_f64());
                i += conc;
            }
            Ok::<_, String>(lat)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.map_err(|e| e.to_string())??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok((
        all.len() as f64 / elapsed,
        percentile(&all, 0.5) * 1e3,
        percentile(&all, 0.99) * 1e3,
    ))
}

/// How long the generated decoder takes on the body the emulator returns
/// for `op` (part of the Rust client's time per call).
async fn decode_cost(http: &reqwest::Client, url: &str, op: &str) -> Option<String> {
    let body = http
        .get(url)
        .header("x-ms-version", "2014-10-01")
        .send()
        .await
        .ok()?
        .bytes()
        .await
        .ok()?;
    decode_body(op, &body).ok()?;
    // ASM_BENCH_SAVE_BODIES=DIR keeps the body, for `--count-decode
    // OPERATION=FILE` (bench/NOTES.md: instruction counts).
    if let Some(dir) = std::env::var_os("ASM_BENCH_SAVE_BODIES") {
        let path = std::path::Path::new(&dir).join(format!("{op}.xml"));
        if let Err(e) = std::fs::write(&path, &body) {
            eprintln!("e2e: cannot write {}: {e}", path.display());
        }
    }
    let n = 2000;
    let t = Instant::now();
    for _ in 0..n {
        let _ = decode_body(op, std::hint::black_box(&body));
    }
    let us = t.elapsed().as_secs_f64() / n as f64 * 1e6;
    Some(format!(
        "{op}: the response body is {} bytes; decoding it (and freeing the value) takes {us:.1} µs",
        body.len()
    ))
}

/// Requests/s and latency of each caller with `conc` concurrent requests,
/// `seconds` each, measured in `rounds` interleaved windows (caller 1,
/// caller 2, caller 3, then caller 2, caller 3, caller 1, ...) so that a
/// slow spell of the shared machine falls on all of them rather than on one.
async fn measure(
    op: &str,
    conc: usize,
    seconds: f64,
    rounds: usize,
    callers: &[(&str, Caller)],
    request_id: &str,
    emulator_pid: u32,
) -> Result<Vec<E2eRow>, String> {
    // Warm up: open the connections.
    for (_, caller) in callers {
        let mut warm = Vec::new();
        for _ in 0..conc {
            let c = caller.clone();
            let (op, id) = (op.to_owned(), request_id.to_owned());
            warm.push(tokio::spawn(async move { c.call(&op, &id).await }));
        }
        for w in warm {
            w.await.map_err(|e| e.to_string())??;
        }
    }
    let window = seconds / rounds as f64;
    let mut lat: Vec<Vec<f64>> = vec![Vec::new(); callers.len()];
    let mut windows: Vec<Vec<f64>> = vec![Vec::new(); callers.len()];
    let mut elapsed = vec![0.0; callers.len()];
    // CPU seconds of (this process, the emulator) per caller.
    let mut cpu = vec![Some((0.0, 0.0)); callers.len()];
    for round in 0..rounds {
        // Each round starts with the next caller: over `callers.len()`
        // rounds, each caller runs once in each position (which matters:
        // the first window after another caller's measured up to 15% apart).
        for k in 0..callers.len() {
            let i = (round + k) % callers.len();
            let caller = &callers[i].1;
            let cpu_before = cpu_seconds(None).zip(cpu_seconds(Some(emulator_pid)));
            let started = Instant::now();
            let deadline = started + Duration::from_secs_f64(window);
            let mut tasks = Vec::new();
            for _ in 0..conc {
                let c = caller.clone();
                let (op, id) = (op.to_owned(), request_id.to_owned());
                tasks.push(tokio::spawn(async move {
                    let mut lat = Vec::new();
                    while Instant::now() < deadline {
                        let t = Instant::now();
                        c.call(&op, &id).await?;
                        lat.push(t.elapsed().as_secs_f64());
                    }
                    Ok::<_, String>(lat)
                }));
            }
            let before = lat[i].len();
            for t in tasks {
                lat[i].extend(t.await.map_err(|e| e.to_string())??);
            }
            let secs = started.elapsed().as_secs_f64();
            elapsed[i] += secs;
            windows[i].push((lat[i].len() - before) as f64 / secs);
            let cpu_after = cpu_seconds(None).zip(cpu_seconds(Some(emulator_pid)));
            cpu[i] = match (cpu[i], cpu_before, cpu_after) {
                (Some((c, e)), Some((c0, e0)), Some((c1, e1))) => Some((c + c1 - c0, e + e1 - e0)),
                _ => None,
            };
        }
    }
    Ok(callers
        .iter()
        .zip(lat.iter().zip(&elapsed).zip(&cpu).zip(windows))
        .map(|((name, _), (((all, &secs), cpu), window_rps))| {
            let per_request = |s: f64| s / all.len().max(1) as f64 * 1e6;
            E2eRow {
                operation: op.into(),
                client: (*name).into(),
                concurrency: conc,
                requests: all.len(),
                rps: all.len() as f64 / secs,
                p50_ms: percentile(all, 0.5) * 1e3,
                p99_ms: percentile(all, 0.99) * 1e3,
                client_cpu_us: cpu.map(|(c, _)| per_request(c)),
                emulator_cpu_us: cpu.map(|(_, e)| per_request(e)),
                cores: String::new(),
                window_rps,
            }
        })
        .collect())
}

/// CPU time (user + system) of this process (`None`) or of process `pid`
/// so far, in seconds, from `/proc/PID/stat` (Linux; `None` elsewhere).
/// Its unit is the kernel's clock tick, 1/100 s.
fn cpu_seconds(pid: Option<u32>) -> Option<f64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => "/proc/self/stat".to_owned(),
    };
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the command name (which may hold spaces, in brackets):
    // state is field 3, utime 14 and stime 15.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
    Some((ticks(11)? + ticks(12)?) / 100.0)
}

/// A CPU time per request for the log and the report: `12 µs`, or `n/a`.
pub fn cpu_micros(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.0} µs"))
}

fn log(r: &E2eRow) {
    let us = cpu_micros;
    eprintln!(
        "e2e: {:<8} {:<19} {:<15} x{:<3} {:>8} req {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  CPU/req: clients {}, emulator {}",
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

async fn python_e2e(
    opts: &Opts,
    py: &std::path::Path,
    emulator: &Server,
    op: &str,
    conc: usize,
    seconds: f64,
    request_id: &str,
) -> Result<E2eRow, String> {
    let script = opts.root.join("bench/python/e2e.py");
    let out = tokio::process::Command::new(py)
        .arg(&script)
        .args([op, &conc.to_string(), &seconds.to_string(), request_id])
        .env("ASM_EMULATOR", &emulator.announcement)
        .output()
        .await
        .map_err(|e| format!("{}: {e}", script.display()))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "e2e.py failed: {}",
            err.lines().last().unwrap_or("").trim()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value =
        serde_json::from_str(text.trim()).map_err(|e| format!("bad output {text:?}: {e}"))?;
    let requests = v["requests"].as_u64().unwrap_or(0) as usize;
    let secs = v["seconds"].as_f64().unwrap_or(f64::NAN);
    let errors = v["errors"].as_u64().unwrap_or(0);
    if errors > 0 {
        return Err(format!("{errors} failed requests"));
    }
    let row = E2eRow {
        operation: op.into(),
        client: "python".into(),
        concurrency: conc,
        requests,
        rps: requests as f64 / secs,
        p50_ms: v["p50_ms"].as_f64().unwrap_or(f64::NAN),
        p99_ms: v["p99_ms"].as_f64().unwrap_or(f64::NAN),
        client_cpu_us: None,
        emulator_cpu_us: None,
        cores: String::new(),
        window_rps: Vec::new(),
    };
    Ok(row)
}
