//! Checks a parsed spec and completes derived parts (path parameters).

use std::collections::{BTreeMap, BTreeSet};

use heck::ToSnakeCase;

use crate::model::*;

fn err(loc: &Loc, message: impl Into<String>, name: impl Into<String>) -> SpecError {
    SpecError {
        loc: loc.clone(),
        message: message.into(),
        name: name.into(),
    }
}

/// Names the generator itself defines in the generated crate.
const RESERVED_TYPES: &[&str] = &["Client", "Error", "ServerRequest", "RouteError", "Request"];

/// Validates `spec` and fills in derived data. Returns every error found,
/// in file order.
pub fn validate(spec: &mut Spec) -> Result<(), Vec<SpecError>> {
    let mut errors = Vec::new();
    let mut type_names: BTreeMap<String, Loc> = BTreeMap::new();
    let mut generated_names: BTreeSet<String> = BTreeSet::new();

    for op in &spec.operations {
        generated_names.insert(format!("{}Options", op.name));
    }
    let structs: Vec<(String, Loc)> = spec
        .structs
        .iter()
        .map(|s| (s.name.clone(), s.loc.clone()))
        .chain(spec.enums.iter().map(|e| (e.name.clone(), e.loc.clone())))
        .collect();
    for (name, loc) in structs {
        if let Some(prev) = type_names.get(&name) {
            errors.push(err(&loc, format!("type already defined at {prev}"), &name));
        } else if RESERVED_TYPES.contains(&name.as_str()) || generated_names.contains(&name) {
            errors.push(err(&loc, "name reserved for generated code", &name));
        } else {
            type_names.insert(name, loc);
        }
    }

    let is_enum = |n: &str| spec.enums.iter().any(|e| e.name == n);
    let is_struct = |n: &str| spec.structs.iter().any(|s| s.name == n);
    let check_ref = |ty: &TypeRef, loc: &Loc, errors: &mut Vec<SpecError>| {
        if let TypeRef::Named(n) = ty {
            if !is_enum(n) && !is_struct(n) {
                errors.push(err(loc, "unknown type", n));
            }
        }
    };

    for s in &spec.structs {
        let mut elements = BTreeSet::new();
        let mut rust = BTreeSet::new();
        for f in &s.fields {
            if !elements.insert(f.element.as_str()) {
                errors.push(err(
                    &f.loc,
                    "element listed twice in the struct",
                    &f.element,
                ));
            }
            if !rust.insert(f.rust.as_str()) {
                errors.push(err(&f.loc, "two fields get the same Rust name", &f.rust));
            }
            check_ref(&f.ty, &f.loc, &mut errors);
            if f.namespace.is_some()
                && (matches!(&f.ty, TypeRef::Named(n) if is_struct(n))
                    || matches!(f.card, Card::List { .. }))
            {
                errors.push(err(&f.loc, "ns= applies to text elements only", &f.element));
            }
            check_limits(&f.ty, &f.limits, &f.loc, &f.element, &mut errors);
        }
    }

    for e in &spec.enums {
        let mut wires = BTreeSet::new();
        let mut rusts = BTreeSet::new();
        if e.values.is_empty() {
            errors.push(err(&e.loc, "an enum needs at least one value", &e.name));
        }
        for v in &e.values {
            if !wires.insert(v.wire.as_str()) {
                errors.push(err(&v.loc, "value listed twice", &v.wire));
            }
            if !rusts.insert(v.rust.as_str()) {
                errors.push(err(&v.loc, "two values get the same Rust name", &v.rust));
            }
            if v.rust == "Unknown" {
                errors.push(err(
                    &v.loc,
                    "`Unknown` is the variant that keeps unrecognised values; give this value another Rust name (`Unknown = Name`)",
                    &v.wire,
                ));
            }
        }
    }

    let mut op_names: BTreeMap<String, Loc> = BTreeMap::new();
    let mut shapes: BTreeMap<String, String> = BTreeMap::new();
    for op in &mut spec.operations {
        if let Some(prev) = op_names.get(&op.name) {
            errors.push(err(
                &op.loc,
                format!("operation already defined at {prev}"),
                &op.name,
            ));
        }
        op_names.insert(op.name.clone(), op.loc.clone());
        for (missing, what) in [
            (op.method.is_empty(), "method"),
            (op.uri.is_empty(), "uri"),
            (op.version.is_empty(), "version"),
            (op.status.is_empty(), "status"),
        ] {
            if missing {
                errors.push(err(&op.loc, format!("operation has no `{what}`"), &op.name));
            }
        }
        // Path parameters: every placeholder once, declared ones must exist.
        let mut seen = BTreeSet::new();
        let mut params = Vec::new();
        for seg in &op.segments {
            if let Segment::Param(name) = seg {
                if !seen.insert(name.clone()) {
                    errors.push(err(&op.loc, "placeholder used twice in the URI", name));
                    continue;
                }
                let declared = op.path.iter().find(|p| &p.name == name).cloned();
                params.push(declared.unwrap_or_else(|| Param {
                    name: name.clone(),
                    rust: name.to_snake_case(),
                    ty: TypeRef::Scalar(Scalar::String),
                    optional: false,
                    limits: Limits::default(),
                    docs: Vec::new(),
                    loc: op.loc.clone(),
                }));
            }
        }
        for p in &op.path {
            if !seen.contains(&p.name) {
                errors.push(err(
                    &p.loc,
                    "path parameter is not a placeholder of the URI",
                    &p.name,
                ));
            }
            if p.optional {
                errors.push(err(&p.loc, "path parameters cannot be optional", &p.name));
            }
        }
        op.path = params;
        let mut names = BTreeSet::new();
        for p in op
            .path
            .iter()
            .chain(op.headers.iter())
            .chain(op.query.iter().filter_map(|q| match q {
                Query::Param(p) => Some(p),
                Query::Fixed { .. } => None,
            }))
        {
            check_ref(&p.ty, &p.loc, &mut errors);
            if let TypeRef::Named(n) = &p.ty {
                if is_struct(n) {
                    errors.push(err(&p.loc, "parameters must be scalars or enums", n));
                }
            }
            if !names.insert(p.rust.clone()) {
                errors.push(err(
                    &p.loc,
                    "two parameters get the same Rust name",
                    &p.name,
                ));
            }
        }
        for body in op.request.iter().chain(op.response.iter()) {
            if !is_struct(&body.ty) {
                errors.push(err(&body.loc, "a body's type must be a struct", &body.ty));
            }
        }
        if op.method == "GET" && op.request.is_some() {
            errors.push(err(&op.loc, "a GET cannot have a request body", &op.name));
        }
        // Two operations may not be indistinguishable on the wire.
        let fixed: Vec<String> = op
            .query
            .iter()
            .filter_map(|q| match q {
                Query::Fixed { name, value } => Some(format!("{name}={value}")),
                Query::Param(_) => None,
            })
            .collect();
        let shape: Vec<String> = op
            .segments
            .iter()
            .map(|s| match s {
                Segment::Literal(l) => l.to_ascii_lowercase(),
                Segment::Param(_) => "{}".into(),
            })
            .collect();
        let key = format!("{} /{}?{}", op.method, shape.join("/"), fixed.join("&"));
        if let Some(other) = shapes.get(&key) {
            errors.push(err(
                &op.loc,
                format!("same method, URI shape and fixed query as {other}"),
                &op.name,
            ));
        } else {
            shapes.insert(key, op.name.clone());
        }
    }

    // Paging.
    for op in &spec.operations {
        let Some((token, items)) = &op.paged else {
            continue;
        };
        let has_token_param = op.query.iter().any(|q| {
            matches!(q, Query::Param(p) if &p.name == token && p.optional && p.ty == TypeRef::Scalar(Scalar::String))
        });
        if !has_token_param {
            errors.push(err(
                &op.loc,
                "paged: needs an optional string query parameter of that name",
                token,
            ));
        }
        let resp = op.response.as_ref().and_then(|b| spec.find_struct(&b.ty));
        match resp {
            None => errors.push(err(
                &op.loc,
                "paged: the operation needs a response",
                &op.name,
            )),
            Some(s) => {
                if !s
                    .fields
                    .iter()
                    .any(|f| &f.element == token && f.card == Card::Optional)
                {
                    errors.push(err(
                        &op.loc,
                        "paged: the response needs an optional field of that name",
                        token,
                    ));
                }
                if !s.fields.iter().any(|f| {
                    &f.element == items && matches!(f.card, Card::Repeated | Card::List { .. })
                }) {
                    errors.push(err(
                        &op.loc,
                        "paged: the response needs a list field of that name",
                        items,
                    ));
                }
            }
        }
    }

    // Cycles through required/optional struct fields (no list in between).
    for s in &spec.structs {
        let mut stack = vec![s.name.as_str()];
        let mut visited = BTreeSet::new();
        while let Some(cur) = stack.pop() {
            let Some(st) = spec.find_struct(cur) else {
                continue;
            };
            for f in &st.fields {
                if matches!(f.card, Card::Required | Card::Optional) {
                    if let TypeRef::Named(n) = &f.ty {
                        if n == &s.name {
                            errors.push(err(
                                &s.loc,
                                "the struct contains itself without a list in between",
                                &s.name,
                            ));
                        } else if visited.insert(n.as_str()) {
                            stack.push(n);
                        }
                    }
                }
            }
        }
    }

    errors
        .sort_by(|a, b| (a.loc.file.as_str(), a.loc.line).cmp(&(b.loc.file.as_str(), b.loc.line)));
    errors.dedup();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn check_limits(ty: &TypeRef, limits: &Limits, loc: &Loc, name: &str, errors: &mut Vec<SpecError>) {
    if limits.is_empty() {
        return;
    }
    match ty {
        TypeRef::Scalar(s) if s.is_text() => {}
        TypeRef::Scalar(Scalar::I32 | Scalar::I64) if limits.pattern.is_none() => {}
        _ => errors.push(err(
            loc,
            "limits apply to text and integer fields only",
            name,
        )),
    }
}
