//! The workspace's integration tests, linked into one binary: each file
//! beside this one is a module (one area or concern per file), but for
//! `conformance.rs`, which is a binary of its own. Run one file's tests with
//! `cargo test -p asm-tests --test suite compute::`.

mod client_runtime;
mod codegen;
mod compute;
mod downstream;
mod emulator_e2e;
mod emulator_load;
mod engine;
mod gateways;
mod images;
mod malformed;
mod network_rest;
mod networking;
mod other;
mod platform_rest;
mod sb_scheduler_rest;
mod scheduler;
mod service_bus;
mod sql_database;
mod sql_rest;
mod websites;
mod websites_rest;
mod wire_forms;
