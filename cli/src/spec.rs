//! The commands generated from the spec: `asm <area> <operation>`, one per
//! operation, built at start-up from the command table the generated crate
//! emits (`azure_asm::cli::COMMANDS`: names, docs, arguments and enum
//! values, and a typed `run` function per operation). A new operation in
//! the spec is a new command with no change here.
//!
//! Mapping: path parameters are positional arguments (in URI order) or
//! `--<name>` flags; query parameters and headers are flags, required ones
//! required; every scalar or enum field of a struct request body is a flag
//! (required fields are required unless `--body` is given), lists of
//! scalars are repeated flags; `--body FILE|-` gives the whole body (XML,
//! or JSON or text for operations in those formats) and flags override its
//! fields; long-running operations take `--wait`.

use std::ffi::OsStr;
use std::io::{IsTerminal as _, Read as _, Write as _};

use asm_runtime::cli::{ArgKind, Args, Outcome};
use asm_runtime::redaction;
use azure_asm::{Client, OperationState, Progress};
use clap::builder::{PossibleValue, TypedValueParser};
use clap::{Arg, ArgAction, ArgMatches, Command};

use crate::error::{msg, CliError};
use crate::logging::take_request_id;
use crate::output;

/// One generated command.
pub type SpecCommand = asm_runtime::cli::Command<Client>;

/// How results are printed (the global `--output` and `--show-secrets`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Aligned text for people (a summary of the response).
    Table,
    /// The response as JSON (keys are the wire names).
    Json,
    /// The response document in its wire format, re-encoded.
    Xml,
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn flag_id(id: &str) -> String {
    format!("op:{id}")
}

fn pos_id(id: &str) -> String {
    format!("pos:{id}")
}

/// The known values of a spec enum (as the command table lists them), for
/// hand-written commands that take one.
pub fn enum_values(name: &str) -> &'static [(&'static str, &'static str)] {
    azure_asm::cli::COMMANDS
        .iter()
        .flat_map(|c| c.args)
        .find(|a| a.ty == name && !a.values.is_empty())
        .map(|a| a.values)
        .unwrap_or(&[])
}

/// A value parser for an open enum: lists the spec's values (help,
/// completions), matches them ignoring case, and passes any other value on
/// as it is (the service may know values this spec does not).
#[derive(Clone, Copy)]
pub struct OpenEnum(pub &'static [(&'static str, &'static str)]);

impl TypedValueParser for OpenEnum {
    type Value = String;

    fn parse_ref(
        &self,
        _cmd: &Command,
        _arg: Option<&Arg>,
        value: &OsStr,
    ) -> Result<String, clap::Error> {
        let text = value
            .to_str()
            .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidUtf8))?;
        Ok(self
            .0
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(text))
            .map(|(known, _)| (*known).to_owned())
            .unwrap_or_else(|| text.to_owned()))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        if self.0.is_empty() {
            return None;
        }
        Some(Box::new(self.0.iter().map(|(v, help)| {
            let p = PossibleValue::new(*v);
            if help.is_empty() {
                p
            } else {
                p.help(*help)
            }
        })))
    }
}

/// The open-enum parser of a spec enum, by name.
pub fn spec_enum(name: &str) -> OpenEnum {
    OpenEnum(enum_values(name))
}

const BOOLS: &[(&str, &str)] = &[("true", ""), ("false", "")];

fn value_name(ty: &str, enum_values: bool) -> &'static str {
    match ty {
        "string" | "label" => "TEXT",
        "bool" => "BOOL",
        "i32" | "i64" => "INT",
        "f64" => "NUMBER",
        "datetime" => "DATETIME",
        "duration" => "DURATION",
        "base64" => "BASE64",
        "guid" => "GUID",
        _ if enum_values => "VALUE",
        _ => "TEXT",
    }
}

/// `Storage accounts` for `storage-accounts`.
fn title(area: &str) -> String {
    let words = area.replace('-', " ");
    let mut c = words.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Up to the first `. ` that ends a sentence (not `e.g. `).
fn first_sentence(text: &str) -> &str {
    let mut from = 0;
    while let Some(i) = text[from..].find(". ").map(|i| i + from) {
        let before = &text[..i];
        if !(before.ends_with("e.g") || before.ends_with("i.e")) {
            return &text[..=i];
        }
        from = i + 2;
    }
    text
}

fn clap_command(c: &'static SpecCommand, reserved: &[String]) -> Command {
    let mut cmd = Command::new(c.name).about(c.about).long_about(c.long_about);
    let has_body = c.body.is_some();
    for a in c.args {
        let values = match a.ty {
            "bool" => BOOLS,
            _ => a.values,
        };
        let flag = leak(flag_id(a.id));
        let mut long = a.id.to_owned();
        if reserved.contains(&long) {
            let prefix = match a.kind {
                ArgKind::Path => "path",
                ArgKind::Query => "query",
                ArgKind::Header => "header",
                ArgKind::Field => "field",
            };
            long = format!("{prefix}-{long}");
        }
        let required_note = match (a.kind, a.required) {
            (ArgKind::Field, true) if has_body => " [required unless --body]",
            (ArgKind::Path, _) => " [required; or positional]",
            (_, true) => " [required]",
            _ => "",
        };
        let mut long_help = a.help.to_owned();
        if !a.values.is_empty() {
            long_help.push_str(
                "\n\nThe spec's values are listed; other values are passed on as they are.",
            );
        }
        if a.repeated {
            long_help.push_str("\n\nRepeat the flag for several values.");
        }
        let mut arg = Arg::new(flag)
            .long(leak(long))
            .value_name(value_name(a.ty, !a.values.is_empty()))
            .help(leak(format!("{}{required_note}", first_sentence(a.help))))
            .long_help(leak(format!("{long_help}{required_note}")))
            .action(if a.repeated {
                ArgAction::Append
            } else {
                ArgAction::Set
            })
            .value_parser(OpenEnum(values));
        if a.kind == ArgKind::Path {
            let pos = leak(pos_id(a.id));
            arg = arg.required_unless_present(pos);
            cmd = cmd.arg(
                Arg::new(pos)
                    .value_name(leak(a.id.replace('-', "_").to_uppercase()))
                    .help(leak(format!("{} (or --{})", first_sentence(a.help), a.id)))
                    .value_parser(OpenEnum(values))
                    .conflicts_with(flag),
            );
        } else if a.required && a.kind == ArgKind::Field && has_body {
            arg = arg.required_unless_present("body");
        } else if a.required {
            arg = arg.required(true);
        }
        cmd = cmd.arg(arg);
    }
    if let Some(b) = c.body {
        let what = match b.format {
            "xml" | "atom" if b.root.is_empty() => "An XML document".to_owned(),
            "xml" => format!("An XML document with root <{}>", b.root),
            "atom" => format!(
                "An Atom <entry> holding <{}> (or the <{}> document alone)",
                b.root, b.root
            ),
            "json" => format!("A JSON document ({})", b.ty),
            "text" => "The text document".to_owned(),
            _ => "The bytes".to_owned(),
        };
        let mut arg = Arg::new("body")
            .long("body")
            .value_name("FILE")
            .help(leak(format!(
                "The whole request body, from FILE or `-` (stdin){}",
                if b.required { " [required]" } else { "" }
            )))
            .long_help(leak(format!(
                "The whole request body, from FILE or `-` (standard input). {what}. \
                 Flags set or replace its fields.{}",
                if b.required { " [required]" } else { "" }
            )));
        if b.required {
            arg = arg.required(true);
        }
        cmd = cmd.arg(arg);
    }
    if c.poller.is_some() {
        cmd = cmd.arg(
            Arg::new("wait")
                .long("wait")
                .action(ArgAction::SetTrue)
                .help("Wait until the operation finishes, showing progress on stderr"),
        );
    }
    cmd
}

/// Adds one subcommand per area, holding one subcommand per operation, to
/// `root`. An area whose name is already a (hand-written) command gets its
/// operations added next to the hand-written ones.
pub fn augment(mut root: Command) -> Command {
    let mut reserved: Vec<String> = root
        .get_arguments()
        .filter_map(|a| a.get_long().map(str::to_owned))
        .collect();
    reserved.extend(["body", "wait", "help", "version"].map(String::from));
    let mut areas: Vec<&'static str> = Vec::new();
    for c in azure_asm::cli::COMMANDS {
        if !areas.contains(&c.area) {
            areas.push(c.area);
        }
    }
    for area in areas {
        let commands: Vec<Command> = azure_asm::cli::COMMANDS
            .iter()
            .filter(|c| c.area == area)
            .map(|c| clap_command(c, &reserved))
            .collect();
        let stem = area.replace('-', "_");
        if root.find_subcommand(area).is_some() {
            root = root.mut_subcommand(area, |sub| {
                let about = sub
                    .get_about()
                    .map(|a| format!("{a} (and the operations of spec/{stem}.spec)"))
                    .unwrap_or_default();
                sub.about(leak(about)).subcommands(commands)
            });
        } else {
            let n = commands.len();
            root = root.subcommand(
                Command::new(area)
                    .about(leak(format!(
                        "{}: {n} operation{} of spec/{stem}.spec",
                        title(area),
                        if n == 1 { "" } else { "s" }
                    )))
                    .subcommand_required(true)
                    .arg_required_else_help(true)
                    .subcommands(commands),
            );
        }
    }
    root
}

/// The generated command `matches` selects, with its own matches.
pub fn find(matches: &ArgMatches) -> Option<(&'static SpecCommand, &ArgMatches)> {
    let (area, area_matches) = matches.subcommand()?;
    let (name, op_matches) = area_matches.subcommand()?;
    azure_asm::cli::COMMANDS
        .iter()
        .find(|c| c.area == area && c.name == name)
        .map(|c| (c, op_matches))
}

/// The arguments of a generated command, read from its matches.
struct Given<'a>(&'a ArgMatches);

impl Given<'_> {
    fn one(&self, id: &str) -> Option<String> {
        self.0.try_get_one::<String>(id).ok().flatten().cloned()
    }
}

impl Args for Given<'_> {
    fn value(&self, id: &str) -> Option<String> {
        self.one(&flag_id(id)).or_else(|| self.one(&pos_id(id)))
    }

    fn values(&self, id: &str) -> Option<Vec<String>> {
        self.0
            .try_get_many::<String>(&flag_id(id))
            .ok()
            .flatten()
            .map(|v| v.cloned().collect())
    }

    fn body(&self) -> Result<Option<Vec<u8>>, asm_runtime::Error> {
        let Some(path) = self.one("body") else {
            return Ok(None);
        };
        let read = if path == "-" {
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf).map(|_| buf)
        } else {
            std::fs::read(&path)
        };
        read.map(Some).map_err(|e| {
            asm_runtime::Error::InvalidInput(asm_runtime::ValidationError::new(
                "--body",
                format!("cannot read {path}: {e}"),
            ))
        })
    }
}

/// How to print.
#[derive(Debug, Clone, Copy)]
pub struct Printing {
    pub format: OutputFormat,
    pub show_secrets: bool,
}

/// Runs a generated command and prints its outcome.
pub async fn run(
    client: &Client,
    command: &'static SpecCommand,
    matches: &ArgMatches,
    printing: Printing,
) -> Result<(), CliError> {
    let given = Given(matches);
    let outcome = (command.run)(client, &given).await?;
    let mut out = std::io::stdout().lock();
    let show = printing.show_secrets;
    let text = match outcome {
        Outcome::Done => {
            let id = take_request_id();
            match printing.format {
                OutputFormat::Table => format!(
                    "{} succeeded{}\n",
                    command.operation.name,
                    id.map(|i| format!(" (request id {i})")).unwrap_or_default()
                ),
                OutputFormat::Json => json_line(&serde_json::json!({
                    "Operation": command.operation.name,
                    "RequestId": id,
                    "Status": "Succeeded",
                })),
                OutputFormat::Xml => String::new(),
            }
        }
        Outcome::Value(v) => {
            for (name, value) in v.headers() {
                eprintln!("{name}: {value}");
            }
            redaction::with_secrets(show, || match printing.format {
                OutputFormat::Json => json_line(&v.to_json()),
                OutputFormat::Xml => {
                    let mut doc = v.document();
                    if !doc.ends_with('\n') {
                        doc.push('\n');
                    }
                    doc
                }
                OutputFormat::Table => output::render_value(&v.to_json()),
            })
        }
        Outcome::Started(op) => {
            let wait = matches.get_flag("wait");
            let id = op.request_id().to_owned();
            let status = if op.finished_at_once() {
                "Succeeded"
            } else if wait {
                let mut progress = ProgressLine::new(command.operation.name);
                let result = op
                    .wait_with(client.core().poll_options().clone(), |p| progress.update(p))
                    .await;
                progress.finish();
                result?;
                "Succeeded"
            } else {
                "InProgress"
            };
            match printing.format {
                OutputFormat::Table if status == "InProgress" => format!(
                    "{} started (request id {id}); add --wait to wait for it{}\n",
                    command.operation.name,
                    if command.poller == Some("Classic") {
                        format!(", or follow it with `asm operation wait {id}`")
                    } else {
                        String::new()
                    }
                ),
                OutputFormat::Table => {
                    format!("{} succeeded (request id {id})\n", command.operation.name)
                }
                OutputFormat::Json => json_line(&serde_json::json!({
                    "Operation": command.operation.name,
                    "RequestId": id,
                    "Status": status,
                })),
                OutputFormat::Xml => String::new(),
            }
        }
    };
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| msg(format!("cannot write the output: {e}")))
}

fn json_line(value: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}

/// The progress of a long-running operation on stderr: one line rewritten
/// in place on a terminal, one line per poll otherwise.
struct ProgressLine {
    operation: &'static str,
    tty: bool,
    drawn: bool,
}

impl ProgressLine {
    fn new(operation: &'static str) -> Self {
        let tty = std::io::stderr().is_terminal();
        if !tty {
            eprintln!("{operation}: waiting");
        }
        Self {
            operation,
            tty,
            drawn: false,
        }
    }

    fn update(&mut self, p: &Progress<'_>) {
        const SPINNER: [char; 4] = ['|', '/', '-', '\\'];
        let state = match p.state {
            OperationState::InProgress => "InProgress".to_owned(),
            OperationState::Succeeded { .. } => "Succeeded".to_owned(),
            OperationState::Failed(e) => {
                format!("Failed ({})", e.code.as_deref().unwrap_or("error"))
            }
            OperationState::Other(s) => s.clone(),
        };
        let elapsed = output::elapsed(p.elapsed);
        if self.tty {
            let spin = SPINNER[p.polls as usize % SPINNER.len()];
            eprint!(
                "\r\x1b[2K{spin} {} {}: {state} (poll {}, {elapsed})",
                self.operation, p.request_id, p.polls
            );
            self.drawn = true;
        } else {
            eprintln!(
                "  [poll {:>2}] {}  {state:<12} {elapsed:>7}",
                p.polls, p.request_id
            );
        }
    }

    fn finish(&mut self) {
        if self.tty && self.drawn {
            eprintln!();
        }
    }
}

/// `--output json|xml` is for the generated commands; the hand-written
/// ones print text.
pub fn refuse_output(format: OutputFormat, command: &str) -> Result<(), CliError> {
    if format == OutputFormat::Table {
        return Ok(());
    }
    Err(msg(format!(
        "`asm {command}` prints text only; --output json and xml are for the commands \
         generated from the spec (`asm <area> <operation>`, e.g. \
         `asm storage-accounts list-storage-accounts --output json`)"
    )))
}
