//! The generated CLI's command table (`generated/src/cli.rs`, behind the
//! generated crate's `cli` feature) and the `serde` output attributes of
//! the generated types (behind its `serde` feature).
//!
//! The table is data: one `asm_runtime::cli::Command` per operation with
//! its names, docs, arguments and enum values, plus one small typed `run`
//! function that reads the arguments, fills the request, calls the client
//! method and returns the response as an `asm_runtime::cli::Outcome`. The
//! front end (the `asm` binary) builds its clap tree from the table, so
//! the generated crate does not depend on clap.
//!
//! A child module of `emit`: it reuses the emitter's context and helpers.

use std::collections::BTreeSet;

use heck::ToKebabCase;

use super::*;

/// `#[serde(...)]` output attributes of a field of a type that is not a
/// JSON body type (those derive serde for the wire): the wire name as key,
/// absent optional values left out, bytes as base64, secrets redacted.
pub(super) fn serde_output_attrs(f: &Field) -> TokenStream {
    let key = &f.element;
    let mut parts = vec![quote!(rename = #key)];
    if f.card == Card::Optional || (f.keep_empty && matches!(f.card, Card::List { .. })) {
        parts.push(quote!(skip_serializing_if = "Option::is_none"));
    }
    if let Some(with) = serialize_with(f) {
        parts.push(quote!(serialize_with = #with));
    }
    quote!(#[cfg_attr(feature = "serde", serde(#(#parts),*))])
}

/// The attributes of a sensitive field of a JSON body type: as the wire
/// needs (see `serde_field_attrs`), with the output redacted.
/// `asm_runtime::json::to_json` shows secrets, so the wire is unchanged.
pub(super) fn json_sensitive_attrs(f: &Field) -> TokenStream {
    let key = &f.element;
    let with = serialize_with(f).unwrap_or_default();
    let b64 = f.ty == TypeRef::Scalar(Scalar::Base64);
    match (f.card, b64) {
        (Card::Required, true) => {
            quote!(#[serde(rename = #key, serialize_with = #with, deserialize_with = "asm_runtime::json::base64::deserialize")])
        }
        (Card::Required, false) => quote!(#[serde(rename = #key, serialize_with = #with)]),
        (Card::Optional, true) => {
            quote!(#[serde(rename = #key, default, skip_serializing_if = "Option::is_none", serialize_with = #with, deserialize_with = "asm_runtime::json::base64_opt::deserialize")])
        }
        (Card::Optional, false) => {
            quote!(#[serde(rename = #key, default, skip_serializing_if = "Option::is_none", serialize_with = #with)])
        }
        (_, _) => {
            quote!(#[serde(rename = #key, default, skip_serializing_if = "Vec::is_empty", serialize_with = #with, deserialize_with = "asm_runtime::json::null_as_empty")])
        }
    }
}

fn serialize_with(f: &Field) -> Option<&'static str> {
    let b64 = f.ty == TypeRef::Scalar(Scalar::Base64);
    match (f.sensitive, b64) {
        (true, true) => Some("asm_runtime::redaction::secret_base64"),
        (true, false) => Some("asm_runtime::redaction::secret"),
        (false, true) => Some("asm_runtime::redaction::base64"),
        (false, false) => None,
    }
}

/// The derive line of a type that is not a JSON body type.
pub(super) fn serde_output_derive() -> TokenStream {
    quote!(#[cfg_attr(feature = "serde", derive(serde::Serialize))])
}

/// `Serialize` (as the wire text) of an enum that is not a JSON body type.
pub(super) fn enum_output_serialize(e: &Enum) -> TokenStream {
    let name = ident(&e.name);
    quote! {
        #[cfg(feature = "serde")]
        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    }
}

// ---------------------------------------------------------------- the table

fn scalar_name(s: Scalar) -> &'static str {
    match s {
        Scalar::String => "string",
        Scalar::Bool => "bool",
        Scalar::I32 => "i32",
        Scalar::I64 => "i64",
        Scalar::DateTime => "datetime",
        Scalar::Base64 => "base64",
        Scalar::Label => "label",
        Scalar::Guid => "guid",
        Scalar::F64 => "f64",
        Scalar::Duration => "duration",
    }
}

fn type_name(ty: &TypeRef) -> String {
    match ty {
        TypeRef::Scalar(s) => scalar_name(*s).to_owned(),
        TypeRef::Named(n) => n.clone(),
    }
}

/// Docs as one paragraph per blank-line-separated group.
fn paragraphs(lines: &[String]) -> String {
    let mut out = String::new();
    for l in lines {
        let l = l.trim();
        if l.is_empty() {
            if !out.is_empty() && !out.ends_with("\n\n") {
                out.push_str("\n\n");
            }
        } else {
            if !out.is_empty() && !out.ends_with('\n') {
                out.push(' ');
            }
            out.push_str(l);
        }
    }
    out.trim_end().to_owned()
}

/// The first sentence of `text` (up to a `. ` that is not `e.g. `).
fn first_sentence(text: &str) -> String {
    let para = text.split("\n\n").next().unwrap_or_default();
    let mut from = 0;
    while let Some(i) = para[from..].find(". ").map(|i| i + from) {
        let before = &para[..i];
        if !(before.ends_with("e.g") || before.ends_with("i.e")) {
            return para[..=i].to_owned();
        }
        from = i + 2;
    }
    para.to_owned()
}

/// One argument of a command, before rendering.
struct CliArg<'m> {
    id: String,
    wire: String,
    kind: &'static str,
    ty: &'m TypeRef,
    required: bool,
    repeated: bool,
    help: String,
    /// For body fields: the Rust field and its cardinality.
    field: Option<&'m Field>,
}

/// Whether a type is a scalar or an enum (something a flag can carry).
fn is_flag_type(ctx: &Ctx<'_>, ty: &TypeRef) -> bool {
    match ty {
        TypeRef::Scalar(_) => true,
        TypeRef::Named(n) => ctx.spec.find_enum(n).is_some(),
    }
}

/// The request body's struct, when its fields can be set one by one.
fn body_struct<'m>(ctx: &Ctx<'m>, op: &Operation) -> Option<&'m Struct> {
    let b = op.request.as_ref()?;
    if !matches!(
        b.format,
        Format::Xml | Format::Atom | Format::AtomFeed | Format::Json
    ) {
        return None;
    }
    ctx.spec.find_struct(b.type_name()?)
}

fn unique(id: String, used: &mut BTreeSet<String>, prefix: &str) -> String {
    let mut id = if id.is_empty() {
        "value".to_owned()
    } else {
        id
    };
    while used.contains(&id) {
        id = format!("{prefix}-{id}");
    }
    used.insert(id.clone());
    id
}

fn args_of<'m>(ctx: &Ctx<'m>, op: &'m Operation) -> Vec<CliArg<'m>> {
    let mut used = BTreeSet::new();
    let mut out = Vec::new();
    for p in user_path_params(op) {
        let help = paragraphs(&p.docs);
        out.push(CliArg {
            id: unique(p.name.to_kebab_case(), &mut used, "path"),
            wire: p.name.clone(),
            kind: "Path",
            ty: &p.ty,
            required: true,
            repeated: false,
            help: if help.is_empty() {
                format!("The `{{{}}}` part of the URI.", p.name)
            } else {
                help
            },
            field: None,
        });
    }
    let query = op.query.iter().filter_map(|q| match q {
        Query::Param(p) => Some((p, "Query")),
        Query::Fixed { .. } => None,
    });
    let headers = op.headers.iter().map(|p| (p, "Header"));
    for (p, kind) in query.chain(headers) {
        let help = paragraphs(&p.docs);
        out.push(CliArg {
            id: unique(p.name.to_kebab_case(), &mut used, &kind.to_lowercase()),
            wire: p.name.clone(),
            kind,
            ty: &p.ty,
            required: !p.optional,
            repeated: false,
            help: if help.is_empty() {
                format!(
                    "The `{}` {}.",
                    p.name,
                    if kind == "Query" {
                        "query parameter"
                    } else {
                        "request header"
                    }
                )
            } else {
                help
            },
            field: None,
        });
    }
    if let Some(s) = body_struct(ctx, op) {
        for f in s.fields.iter().filter(|f| f.fixed.is_none()) {
            if !is_flag_type(ctx, &f.ty) {
                continue;
            }
            let help = paragraphs(&f.docs);
            let what = if f.attribute {
                format!("Attribute `{}` of the request body.", f.element)
            } else {
                format!("Element `<{}>` of the request body.", f.element)
            };
            out.push(CliArg {
                id: unique(f.element.to_kebab_case(), &mut used, "body"),
                wire: f.element.clone(),
                kind: "Field",
                ty: &f.ty,
                required: f.card == Card::Required,
                repeated: matches!(f.card, Card::Repeated | Card::List { .. }),
                help: if help.is_empty() { what } else { help },
                field: Some(f),
            });
        }
    }
    out
}

/// Whether the command needs the whole body (`--body`) to run.
fn body_required(ctx: &Ctx<'_>, op: &Operation) -> bool {
    if op.request.is_none() {
        return false;
    }
    match body_struct(ctx, op) {
        Some(s) => s
            .fields
            .iter()
            .any(|f| f.fixed.is_none() && f.card == Card::Required && !is_flag_type(ctx, &f.ty)),
        // Text, bytes, a scalar root: only as a whole.
        None => true,
    }
}

fn arg_literal(ctx: &Ctx<'_>, a: &CliArg<'_>) -> TokenStream {
    let id = &a.id;
    let wire = &a.wire;
    let kind = ident(a.kind);
    let ty = type_name(a.ty);
    let required = a.required;
    let repeated = a.repeated;
    let help = &a.help;
    let values: Vec<TokenStream> = match a.ty {
        TypeRef::Named(n) => ctx
            .spec
            .find_enum(n)
            .map(|e| {
                e.values
                    .iter()
                    .map(|v| {
                        let w = &v.wire;
                        let d = first_sentence(&paragraphs(&v.docs));
                        quote!((#w, #d))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        TypeRef::Scalar(_) => Vec::new(),
    };
    quote! {
        asm_runtime::cli::Arg {
            id: #id,
            wire: #wire,
            kind: asm_runtime::cli::ArgKind::#kind,
            ty: #ty,
            required: #required,
            repeated: #repeated,
            help: #help,
            values: &[#(#values),*],
        }
    }
}

/// How a method argument of type `ty` is passed from an owned local `v`.
fn pass(ty: &TypeRef, v: &proc_macro2::Ident) -> TokenStream {
    match ty {
        TypeRef::Scalar(s) if s.is_text() => quote!(&#v),
        TypeRef::Scalar(Scalar::Base64) | TypeRef::Named(_) => quote!(&#v),
        TypeRef::Scalar(_) => quote!(#v),
    }
}

/// A closure decoding a `--body` document into the request's owned type.
fn request_decoder(ctx: &Ctx<'_>, b: &Body) -> TokenStream {
    let root = &b.root;
    let ns = ctx.body_ns(b);
    let t = ctx.request_owned_type(b);
    match (b.format, &b.ty) {
        (Format::Xml, Some(TypeRef::Named(n))) if ctx.spec.find_struct(n).is_some() => {
            quote!(|b: &[u8]| xml::from_document_ns::<#t>(#root, #ns, b))
        }
        (Format::Xml, _) => quote!(|b: &[u8]| xml::scalar_from_document::<#t>(#root, #ns, b)),
        // A whole `<entry>`, or the description alone.
        (Format::Atom | Format::AtomFeed, _) => quote! {
            |b: &[u8]| atom::entry_from_document::<#t>(#root, b)
                .map(atom::Entry::into_content)
                .or_else(|_| xml::from_document_ns::<#t>(#root, #ns, b))
        },
        (Format::Json, _) => quote!(|b: &[u8]| json::from_json::<#t>(b)),
        (Format::Text, Some(_)) => {
            quote!(|b: &[u8]| document::text_from_bytes(b).map(<#t>::from_text))
        }
        (Format::Text, None) => quote!(document::text_from_bytes),
        (Format::Bytes, _) => quote!(|b: &[u8]| Ok::<Vec<u8>, DecodeError>(b.to_vec())),
    }
}

/// The typed `run` function of a command.
fn run_fn(ctx: &Ctx<'_>, op: &Operation, args: &[CliArg<'_>]) -> TokenStream {
    let f = format_ident!("run_{}", method_name(op));
    let m = ident(&method_name(op));
    let id_of = |kind: &str, wire: &str| {
        args.iter()
            .find(|a| a.kind == kind && a.wire == wire)
            .map(|a| a.id.clone())
            .unwrap_or_default()
    };
    let mut stmts = Vec::new();
    let mut call = Vec::new();
    for p in user_path_params(op) {
        let v = format_ident!("p_{}", p.rust);
        let t = ctx.base_type(&p.ty);
        let id = id_of("Path", &p.name);
        stmts.push(quote!(let #v: #t = asm_runtime::cli::req(args, #id)?;));
        call.push(pass(&p.ty, &v));
    }
    for (p, is_header) in required_params(op) {
        let v = format_ident!("p_{}", p.rust);
        let t = ctx.base_type(&p.ty);
        let id = id_of(if is_header { "Header" } else { "Query" }, &p.name);
        stmts.push(quote!(let #v: #t = asm_runtime::cli::req(args, #id)?;));
        call.push(pass(&p.ty, &v));
    }
    if let Some(b) = &op.request {
        let t = ctx.request_owned_type(b);
        let decode = request_decoder(ctx, b);
        let sets: Vec<TokenStream> = args
            .iter()
            .filter_map(|a| {
                let field = a.field?;
                let id = &a.id;
                let fi = ident(&field.rust);
                let set = match field.card {
                    Card::Required => quote!(set),
                    Card::Optional => quote!(set_opt),
                    Card::List { .. } if field.keep_empty => quote!(set_all_opt),
                    Card::Repeated | Card::List { .. } => quote!(set_all),
                };
                Some(quote!(asm_runtime::cli::#set(args, #id, &mut body.#fi)?;))
            })
            .collect();
        let mutable = if sets.is_empty() {
            quote!()
        } else {
            quote!(mut)
        };
        stmts.push(quote! {
            let #mutable body: #t = asm_runtime::cli::body(args, #decode)?.unwrap_or_default();
            #(#sets)*
        });
        let body = ident("body");
        call.push(match (b.format, &b.ty) {
            (Format::Xml, Some(ty)) if is_flag_type(ctx, ty) => pass(ty, &body),
            _ => quote!(&body),
        });
    }
    let opts = optional_params(op);
    if !opts.is_empty() {
        let o = options_name(op);
        let fields = opts.iter().map(|(p, is_header)| {
            let fi = ident(&p.rust);
            let id = id_of(if *is_header { "Header" } else { "Query" }, &p.name);
            quote!(#fi: asm_runtime::cli::opt(args, #id)?,)
        });
        stmts.push(quote!(let options = #o { #(#fields)* };));
        call.push(quote!(&options));
    }
    let invoke = quote!(client.#m(#(#call),*).await?);
    let value_of = |v: TokenStream, b: &Body| {
        let encode = ctx.encode_expr(b, quote!(r));
        let format = format_name(b.format);
        quote! {{
            let v = #v;
            let doc = { let r = &v; #encode };
            asm_runtime::cli::Value::new(v, doc, #format)
        }}
    };
    let result = if op.is_async() {
        quote!(Ok(asm_runtime::cli::Outcome::Started(#invoke)))
    } else if !op.response_headers.is_empty() {
        let value = match &op.response {
            Some(b) => value_of(quote!(out.body), b),
            None => quote!(asm_runtime::cli::Value::new((), String::new(), "")),
        };
        let headers = op.response_headers.iter().map(|p| {
            let fi = ident(&p.rust);
            let name = &p.name;
            quote!(.with_header(#name, out.#fi.as_ref()))
        });
        quote! {
            let out = #invoke;
            Ok(asm_runtime::cli::Outcome::Value(#value #(#headers)*))
        }
    } else if let Some(b) = &op.response {
        let value = value_of(invoke, b);
        quote!(Ok(asm_runtime::cli::Outcome::Value(#value)))
    } else {
        quote! {
            #invoke;
            Ok(asm_runtime::cli::Outcome::Done)
        }
    };
    let doc = format!(" Runs `{}` with the arguments of its command.", op.name);
    let args_param = if stmts.is_empty() {
        quote!(_args)
    } else {
        quote!(args)
    };
    quote! {
        #[doc = #doc]
        fn #f<'a>(client: &'a crate::Client, #args_param: &'a dyn asm_runtime::cli::Args) -> asm_runtime::cli::LocalBoxFuture<'a, Result<asm_runtime::cli::Outcome, Error>> {
            Box::pin(async move {
                #(#stmts)*
                #result
            })
        }
    }
}

fn command_literal(ctx: &Ctx<'_>, op: &Operation, args: &[CliArg<'_>]) -> TokenStream {
    let area = op.area.to_kebab_case();
    let name = crate::parse::fold_plural_acronyms(&op.name).to_kebab_case();
    let c = spec_const(op);
    let docs = paragraphs(&op.docs);
    let about = if docs.is_empty() {
        op.name.clone()
    } else {
        first_sentence(&docs)
    };
    let mut long = docs.clone();
    if !long.is_empty() {
        long.push_str("\n\n");
    }
    long.push_str(&format!(
        "`{} {}` (x-ms-version {}){}.",
        op.method,
        op.uri,
        op.version,
        if op.is_async() { ", long-running" } else { "" }
    ));
    for s in &op.sources {
        long.push_str(&format!("\nSee {s}"));
    }
    let arg_lits = args.iter().map(|a| arg_literal(ctx, a));
    let body = match &op.request {
        Some(b) => {
            let format = format_name(b.format);
            let root = &b.root;
            let ty = b.ty.as_ref().map(type_name).unwrap_or_default();
            let required = body_required(ctx, op);
            quote!(Some(asm_runtime::cli::Body { format: #format, root: #root, ty: #ty, required: #required }))
        }
        None => quote!(None),
    };
    let poller = match &op.poller {
        Some(p) => quote!(Some(#p)),
        None => quote!(None),
    };
    let run = format_ident!("run_{}", method_name(op));
    quote! {
        asm_runtime::cli::Command {
            area: #area,
            name: #name,
            operation: &#c,
            about: #about,
            long_about: #long,
            args: &[#(#arg_lits),*],
            body: #body,
            poller: #poller,
            run: #run,
        }
    }
}

/// `generated/src/cli.rs`.
pub(super) fn cli_module(ctx: &Ctx<'_>) -> TokenStream {
    let mut commands = Vec::new();
    let mut runs = Vec::new();
    for op in &ctx.spec.operations {
        let args = args_of(ctx, op);
        commands.push(command_literal(ctx, op, &args));
        runs.push(run_fn(ctx, op, &args));
    }
    quote! {
        //! The command table of a command-line client: every operation of the
        //! spec as an `asm_runtime::cli::Command` (`<area> <operation>`, in
        //! kebab-case), with its arguments, docs and enum values, and a typed
        //! `run` function. The `asm` binary builds its commands from it.
        #![cfg_attr(rustfmt, rustfmt::skip)]
        #![allow(unused_imports)]

        use asm_runtime::{atom, document, json, xml, DecodeError, Error, TextDocument};
        use crate::*;

        /// Every operation of the spec as a command, in spec order.
        pub static COMMANDS: &[asm_runtime::cli::Command<crate::Client>] = &[#(#commands),*];

        #(#runs)*
    }
}
