//! `asm-emulator`: runs the emulator until SIGTERM or SIGINT.
//!
//! Prints one JSON line on stdout once it listens:
//! `{"endpoint":"https://127.0.0.1:PORT","subscription_id":"...","ca":"DIR/ca.pem","client_cert":"DIR/client.pem"}`.
//! Logs go to stderr (`RUST_LOG` filters them; default `info`).

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

/// A local emulator of the Azure Service Management (classic) REST API.
#[derive(Parser, Debug)]
#[command(name = "asm-emulator", version)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Directory for certificates and state (created if missing).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// A JSON state to start with (the form `dump` prints).
    #[arg(long)]
    seed: Option<PathBuf>,
    /// Id of the first subscription when the data directory is new (default: random).
    #[arg(long)]
    subscription_id: Option<String>,
    /// How long asynchronous operations stay InProgress, in milliseconds.
    #[arg(long, default_value_t = 200)]
    async_delay_ms: u64,
    /// Page size of List Subscription Operations.
    #[arg(long, default_value_t = 100)]
    page_size: usize,
    /// Largest request body accepted, in bytes.
    #[arg(long, default_value_t = 1 << 20)]
    max_body_bytes: usize,
    /// Answer writes without waiting for the disk (no fsync), for state that
    /// is thrown away: they survive a restart and a killed process, not a
    /// crash of the machine.
    #[arg(long)]
    no_sync: bool,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Prints the state of a data directory (whose emulator is stopped) as
    /// JSON: `{"table": {"key": record}}`.
    Dump,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let Some(data_dir) = args.data_dir.clone() else {
        eprintln!("asm-emulator: --data-dir is required");
        return ExitCode::from(2);
    };
    if let Some(Command::Dump) = args.command {
        return match asm_emulator::dump_data_dir(&data_dir) {
            Ok(v) => {
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("asm-emulator: {e}");
                ExitCode::FAILURE
            }
        };
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("asm-emulator: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args, data_dir)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("asm-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args, data_dir: PathBuf) -> Result<(), asm_emulator::Error> {
    let config = asm_emulator::Config {
        listen: args.listen,
        seed: args.seed,
        subscription_id: args.subscription_id,
        async_delay: Duration::from_millis(args.async_delay_ms),
        page_size: args.page_size,
        max_body_bytes: args.max_body_bytes,
        sync_writes: !args.no_sync,
        ..asm_emulator::Config::new(data_dir)
    };
    // The handlers are in place before the announcement: a supervisor (or
    // a test) that sends SIGTERM as soon as it reads it gets a clean
    // shutdown, not the default action of the signal.
    let stop = stop_signal();
    let emulator = asm_emulator::Emulator::start(config).await?;
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", emulator.announcement());
        let _ = out.flush();
    }
    stop.await;
    tracing::info!("signal received, shutting down");
    emulator.shutdown().await;
    Ok(())
}

/// SIGTERM or SIGINT: the handlers are installed when this is called, and
/// the future it returns ends at the first of the signals.
#[cfg(unix)]
fn stop_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{signal, SignalKind};
    let handlers = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    );
    async move {
        match handlers {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
}

/// Ctrl-C.
#[cfg(not(unix))]
fn stop_signal() -> impl std::future::Future<Output = ()> {
    let ctrl_c = tokio::signal::ctrl_c();
    async move {
        let _ = ctrl_c.await;
    }
}
