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
//! The emulator (on its own runtime), the Rust clients (on another) and, as
//! another process, the Python client share the machine's cores.

use std::sync::Arc;
use std::time::{Duration, Instant};

use asm_emulator::{Config, Emulator, RunningEmulator};
use azure_asm::{Client, CreateStorageServiceInput, Credentials};
use serde::Serialize;

use crate::stats::percentile;
use crate::{python, Opts};

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
}

/// Part 3 figures, or why they are missing.
#[derive(Debug, Clone, Default, Serialize)]
pub struct E2eReport {
    pub rows: Vec<E2eRow>,
    pub notes: Vec<String>,
}

const OPERATIONS: [&str; 2] = ["GetOperationStatus", "ListLocations"];
const CONCURRENCY: [usize; 2] = [1, 64];

pub fn run(opts: &Opts) -> E2eReport {
    match run_inner(opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("e2e: not measured: {e}");
            E2eReport {
                rows: Vec::new(),
                notes: vec![format!("not measured: {e}")],
            }
        }
    }
}

/// The emulator runs on its own multi-threaded runtime, as a server would;
/// the Rust clients run on another one (the default multi-threaded runtime
/// an application would use).
fn run_inner(opts: &Opts) -> Result<E2eReport, String> {
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("emulator")
        .build()
        .map_err(|e| format!("cannot start a Tokio runtime: {e}"))?;
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("client")
        .build()
        .map_err(|e| format!("cannot start a Tokio runtime: {e}"))?;
    let config = Config::ephemeral().map_err(|e| e.to_string())?;
    let emulator = server_rt
        .block_on(Emulator::start(config))
        .map_err(|e| format!("the emulator did not start: {e}"))?;
    let result = client_rt.block_on(measure_all(opts, &emulator));
    server_rt.block_on(emulator.shutdown());
    result
}

/// How one client sends one request.
#[derive(Clone)]
enum Caller {
    Rust(Client),
    Bare {
        http: reqwest::Client,
        url: Arc<str>,
    },
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
        }
    }
}

async fn measure_all(opts: &Opts, emulator: &RunningEmulator) -> Result<E2eReport, String> {
    let credentials = Credentials::from_pem(&emulator.client_pem()).map_err(|e| e.to_string())?;
    let ca = emulator.ca_pem();
    let client: Client = Client::builder()
        .subscription_id(emulator.subscription_id())
        .credentials(credentials.clone())
        .endpoint(emulator.endpoint())
        .add_root_certificate_pem(&ca)
        .and_then(|b| b.no_proxy().build())
        .map_err(|e| e.to_string())?;

    // An operation id to poll: one asynchronous CreateStorageAccount.
    let op = client
        .create_storage_account(&CreateStorageServiceInput {
            service_name: format!("bench{}", std::process::id() % 100_000),
            label: "benchmark".into(),
            location: Some("West US".into()),
            ..Default::default()
        })
        .await
        .map_err(|e| format!("CreateStorageAccount: {e}"))?;
    let request_id = op.request_id().to_owned();

    let roots = asm_runtime::credentials::parse_ca_pem(&ca).map_err(|e| e.to_string())?;
    let tls = asm_runtime::credentials::client_tls_config(Some(&credentials), &roots)
        .map_err(|e| e.to_string())?;
    let bare_http = reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .no_proxy()
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| e.to_string())?;

    let seconds = if opts.quick { 1.5 } else { 5.0 };
    let mut report = E2eReport::default();
    let python = if opts.python {
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
        let path = match op {
            "GetOperationStatus" => {
                format!("/{}/operations/{request_id}", emulator.subscription_id())
            }
            _ => format!("/{}/locations", emulator.subscription_id()),
        };
        let url = format!("{}{path}", emulator.endpoint());
        if let Some(note) = decode_cost(&bare_http, &url, op).await {
            eprintln!("e2e: {note}");
            report.notes.push(note);
        }
        let bare = Caller::Bare {
            http: bare_http.clone(),
            url: Arc::from(url),
        };
        for conc in CONCURRENCY {
            for (name, caller) in [
                ("rust", Caller::Rust(client.clone())),
                ("bare reqwest", bare.clone()),
            ] {
                let row = measure(op, name, conc, seconds, &caller, &request_id).await?;
                report.rows.push(row);
            }
            if let Some(py) = &python {
                match python_e2e(opts, py, emulator, op, conc, seconds, &request_id).await {
                    Ok(row) => report.rows.push(row),
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
    Ok(report)
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
    let decode = |b: &[u8]| match op {
        "GetOperationStatus" => {
            asm_runtime::xml::from_document::<azure_asm::Operation>("Operation", b)
                .map(|v| drop(std::hint::black_box(v)))
        }
        _ => asm_runtime::xml::from_document::<azure_asm::Locations>("Locations", b)
            .map(|v| drop(std::hint::black_box(v))),
    };
    decode(&body).ok()?;
    let n = 2000;
    let t = Instant::now();
    for _ in 0..n {
        let _ = decode(std::hint::black_box(&body));
    }
    let us = t.elapsed().as_secs_f64() / n as f64 * 1e6;
    Some(format!(
        "{op}: the response body is {} bytes; decoding it (and freeing the value) takes {us:.1} µs",
        body.len()
    ))
}

async fn measure(
    op: &str,
    name: &str,
    conc: usize,
    seconds: f64,
    caller: &Caller,
    request_id: &str,
) -> Result<E2eRow, String> {
    // Warm up: open the connections.
    let mut warm = Vec::new();
    for _ in 0..conc {
        let c = caller.clone();
        let (op, id) = (op.to_owned(), request_id.to_owned());
        warm.push(tokio::spawn(async move { c.call(&op, &id).await }));
    }
    for w in warm {
        w.await.map_err(|e| e.to_string())??;
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
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
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.map_err(|e| e.to_string())??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let row = E2eRow {
        operation: op.into(),
        client: name.into(),
        concurrency: conc,
        requests: all.len(),
        rps: all.len() as f64 / elapsed,
        p50_ms: percentile(&all, 0.5) * 1e3,
        p99_ms: percentile(&all, 0.99) * 1e3,
    };
    log(&row);
    Ok(row)
}

fn log(r: &E2eRow) {
    eprintln!(
        "e2e: {:<19} {:<13} x{:<3} {:>8} req {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms",
        r.operation, r.client, r.concurrency, r.requests, r.rps, r.p50_ms, r.p99_ms
    );
}

async fn python_e2e(
    opts: &Opts,
    py: &std::path::Path,
    emulator: &RunningEmulator,
    op: &str,
    conc: usize,
    seconds: f64,
    request_id: &str,
) -> Result<E2eRow, String> {
    let script = opts.root.join("bench/python/e2e.py");
    let out = tokio::process::Command::new(py)
        .arg(&script)
        .args([op, &conc.to_string(), &seconds.to_string(), request_id])
        .env("ASM_EMULATOR", emulator.announcement())
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
    };
    log(&row);
    Ok(row)
}
