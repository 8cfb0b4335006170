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
    resolve_splices(spec, &mut errors);
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
            if f.attribute
                && (matches!(&f.ty, TypeRef::Named(n) if is_struct(n)) || f.namespace.is_some())
            {
                errors.push(err(
                    &f.loc,
                    "an attribute is a scalar or an enum, in no other namespace",
                    &f.element,
                ));
            }
            // On a wrapped list of text items the namespace is the items'
            // (`<HostNames><a:string xmlns:a=…>`, the serialization arrays).
            if f.namespace.is_some() && matches!(&f.ty, TypeRef::Named(n) if is_struct(n)) {
                errors.push(err(
                    &f.loc,
                    "ns= applies to text elements and the text items of a wrapped list only",
                    &f.element,
                ));
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
    let mut shapes: BTreeMap<String, Vec<String>> = BTreeMap::new();
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
        let flat: Vec<&Segment> = op
            .segments
            .iter()
            .flat_map(|s| match s {
                Segment::Mixed(parts) => parts.iter().collect::<Vec<_>>(),
                other => vec![other],
            })
            .collect();
        for seg in flat {
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
            let named_struct = body.type_name().is_some_and(is_struct);
            match (body.format, &body.ty) {
                (Format::Xml, Some(TypeRef::Scalar(_))) => {}
                (Format::Xml, Some(TypeRef::Named(n))) if is_enum(n) => {}
                (Format::Text, None) | (Format::Bytes, None) => {}
                (Format::Bytes, Some(_)) => {
                    errors.push(err(&body.loc, "a bytes body has no type", &op.name))
                }
                (_, Some(TypeRef::Named(_))) if named_struct => {}
                (_, Some(TypeRef::Named(n))) => errors.push(err(&body.loc, "unknown type", n)),
                _ => errors.push(err(
                    &body.loc,
                    "this body format needs a struct type",
                    &op.name,
                )),
            }
        }
        if op.content_type.is_some() && op.request.is_none() {
            errors.push(err(
                &op.loc,
                "content-type without a request body",
                &op.name,
            ));
        }
        for p in &op.response_headers {
            if matches!(&p.ty, TypeRef::Named(n) if is_struct(n)) {
                errors.push(err(
                    &p.loc,
                    "response headers must be scalars or enums",
                    &p.name,
                ));
            }
        }
        if op.method == "GET" && op.request.is_some() {
            errors.push(err(&op.loc, "a GET cannot have a request body", &op.name));
        }
        // Two operations may not be indistinguishable on the wire (checked below).
        let key = wire_key(op);
        shapes.entry(key).or_default().push(op.name.clone());
    }

    // Operations that look the same on the wire: told apart by the request
    // body's root element, or declared `same-wire-as` one another.
    for names in shapes.values().filter(|v| v.len() > 1) {
        let ops: Vec<&Operation> = names
            .iter()
            .filter_map(|n| spec.find_operation(n))
            .collect();
        let mut roots: BTreeMap<Option<String>, &str> = BTreeMap::new();
        for op in &ops {
            if let Some(target) = &op.same_wire_as {
                if !names.contains(target) || target == &op.name {
                    errors.push(err(
                        &op.loc,
                        "same-wire-as names another operation with the same method, URI and fixed query",
                        target,
                    ));
                }
                continue;
            }
            let root = op
                .request
                .as_ref()
                .filter(|b| matches!(b.format, Format::Xml))
                .map(|b| b.root.clone());
            if let Some(other) = roots.insert(root, &op.name) {
                errors.push(err(
                    &op.loc,
                    format!(
                        "same method, URI shape, fixed query and request root as {other} (declare `same-wire-as {other}` if the service tells them apart otherwise)"
                    ),
                    &op.name,
                ));
            }
        }
    }
    for op in &spec.operations {
        if let Some(target) = &op.same_wire_as {
            if spec.find_operation(target).is_none() {
                errors.push(err(&op.loc, "unknown operation", target));
            } else if spec
                .find_operation(target)
                .is_some_and(|t| t.same_wire_as.is_some())
            {
                errors.push(err(
                    &op.loc,
                    "same-wire-as must name an operation the router reaches (not another alias)",
                    target,
                ));
            }
        }
    }

    validate_pollers(spec, &mut errors);
    validate_json(spec, &mut errors);
    validate_resources(spec, &mut errors);

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
        let resp = op
            .response
            .as_ref()
            .and_then(|b| b.type_name())
            .and_then(|n| spec.find_struct(n));
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

/// Method, URI shape (placeholders and case folded) and fixed query: what
/// the router matches an operation on before looking at the body.
pub fn wire_key(op: &Operation) -> String {
    let fixed: Vec<String> = op
        .query
        .iter()
        .filter_map(|q| match q {
            Query::Fixed { name, value } => Some(format!(
                "{}={}",
                name.to_ascii_lowercase(),
                value.to_ascii_lowercase()
            )),
            Query::Param(_) => None,
        })
        .collect();
    let shape: Vec<String> = op
        .segments
        .iter()
        .map(|s| match s {
            Segment::Literal(l) => l.to_ascii_lowercase(),
            Segment::Param(_) => "{}".into(),
            Segment::Mixed(parts) => parts
                .iter()
                .map(|p| match p {
                    Segment::Literal(l) => l.to_ascii_lowercase(),
                    _ => "{}".into(),
                })
                .collect(),
        })
        .collect();
    format!("{} /{}?{}", op.method, shape.join("/"), fixed.join("&"))
}

/// Expands `..Struct` splices, in place, in dependency order.
fn resolve_splices(spec: &mut Spec, errors: &mut Vec<SpecError>) {
    loop {
        let mut progressed = false;
        let mut pending = false;
        for i in 0..spec.structs.len() {
            if spec.structs[i].splices.is_empty() {
                continue;
            }
            pending = true;
            // Splice only from structs that are themselves resolved.
            let ready = spec.structs[i]
                .splices
                .iter()
                .all(|(_, name, _)| spec.find_struct(name).is_none_or(|s| s.splices.is_empty()));
            if !ready {
                continue;
            }
            let splices = std::mem::take(&mut spec.structs[i].splices);
            let mut offset = 0;
            for (pos, name, loc) in splices {
                let Some(src) = spec.find_struct(&name) else {
                    errors.push(err(&loc, "unknown struct to splice", &name));
                    continue;
                };
                let fields: Vec<Field> = src.fields.clone();
                let n = fields.len();
                let at = (pos + offset).min(spec.structs[i].fields.len());
                spec.structs[i].fields.splice(at..at, fields);
                offset += n;
            }
            progressed = true;
        }
        if !pending {
            return;
        }
        if !progressed {
            for s in spec.structs.iter().filter(|s| !s.splices.is_empty()) {
                errors.push(err(&s.loc, "`..` splices form a cycle", &s.name));
            }
            for s in &mut spec.structs {
                s.splices.clear();
            }
            return;
        }
    }
}

fn validate_pollers(spec: &Spec, errors: &mut Vec<SpecError>) {
    let mut names = BTreeSet::new();
    for p in &spec.pollers {
        if !names.insert(p.name.as_str()) {
            errors.push(err(&p.loc, "poller defined twice", &p.name));
        }
        let Some(op) = spec.find_operation(&p.operation) else {
            errors.push(err(&p.loc, "unknown status operation", &p.operation));
            continue;
        };
        if op.is_async() || op.method != "GET" {
            errors.push(err(
                &p.loc,
                "the status operation must be a plain GET",
                &p.operation,
            ));
        }
        if op
            .path
            .iter()
            .filter(|x| x.name != "subscriptionId")
            .count()
            == 0
        {
            errors.push(err(
                &p.loc,
                "the status operation needs a path parameter for the id",
                &p.operation,
            ));
        }
        let resp = op
            .response
            .as_ref()
            .filter(|b| b.format == Format::Xml)
            .and_then(|b| b.type_name())
            .and_then(|n| spec.find_struct(n));
        let Some(resp) = resp else {
            errors.push(err(
                &p.loc,
                "the status operation needs an XML struct response",
                &p.operation,
            ));
            continue;
        };
        let field = |name: &str| resp.fields.iter().find(|f| f.element == name);
        match field(&p.status).map(|f| (&f.ty, f.card)) {
            Some((TypeRef::Named(n), Card::Required | Card::Optional)) => match spec.find_enum(n) {
                Some(e) => {
                    for tag in [PollTag::Pending, PollTag::Success, PollTag::Failure] {
                        if !e.values.iter().any(|v| v.tag == Some(tag)) {
                            errors.push(err(
                                &e.loc,
                                format!("the poller {} needs a value tagged {tag:?}", p.name)
                                    .to_lowercase(),
                                &e.name,
                            ));
                        }
                    }
                }
                None => errors.push(err(&p.loc, "status must be an enum field", &p.status)),
            },
            _ => errors.push(err(
                &p.loc,
                "status must be a single enum field of the response",
                &p.status,
            )),
        }
        if let Some(e) = &p.error {
            let ok = field(e)
                .filter(|f| matches!(f.card, Card::Required | Card::Optional))
                .and_then(|f| match &f.ty {
                    TypeRef::Named(n) => spec.find_struct(n),
                    _ => None,
                })
                .is_some_and(|s| {
                    ["Code", "Message"].iter().all(|want| {
                        s.fields.iter().any(|f| {
                            &f.element == want
                                && f.ty == TypeRef::Scalar(Scalar::String)
                                && matches!(f.card, Card::Required | Card::Optional)
                        })
                    })
                });
            if !ok {
                errors.push(err(
                    &p.loc,
                    "error must be a struct field with string Code and Message",
                    e,
                ));
            }
        }
        if let Some(h) = &p.http_status {
            let ok = field(h).is_some_and(|f| {
                matches!(f.card, Card::Required | Card::Optional)
                    && matches!(f.ty, TypeRef::Scalar(Scalar::I32 | Scalar::String))
            });
            if !ok {
                errors.push(err(&p.loc, "http-status must be an i32 or string field", h));
            }
        }
    }
    for op in &spec.operations {
        let Some(name) = &op.poller else { continue };
        let Some(p) = spec.find_poller(name) else {
            errors.push(err(&op.loc, "unknown poller", name));
            continue;
        };
        if let IdSource::Body(field) = &p.id {
            let has = op
                .response
                .as_ref()
                .and_then(|b| b.type_name())
                .and_then(|n| spec.find_struct(n))
                .is_some_and(|s| {
                    s.fields.iter().any(|f| {
                        &f.element == field
                            && f.ty == TypeRef::Scalar(Scalar::String)
                            && matches!(f.card, Card::Required | Card::Optional)
                    })
                });
            if !has {
                errors.push(err(
                    &op.loc,
                    format!("the poller {name} takes the id from the response field {field}: the response needs it (a string)"),
                    &op.name,
                ));
            }
        }
        // Path parameters of the status operation besides the id come from
        // the started operation's parameters of the same name, or of the
        // name mapped to them (`async Poller status=own`).
        if let Some(status_op) = spec.find_operation(&p.operation) {
            let extra = poller_context_params(status_op);
            for (status, own) in &op.poller_params {
                if !extra.iter().any(|x| &x.name == status) {
                    errors.push(err(
                        &op.loc,
                        format!("the poller {name}'s status operation has no context path parameter {status}"),
                        &op.name,
                    ));
                }
                if !op.path.iter().any(|q| &q.name == own) {
                    errors.push(err(&op.loc, "no such path parameter", own));
                }
            }
            for x in extra {
                if op.poller_source(&x.name).is_none() {
                    errors.push(err(
                        &op.loc,
                        format!("the poller {name} needs the path parameter {}", x.name),
                        &op.name,
                    ));
                }
            }
        }
    }
}

/// The status operation's path parameters other than the subscription and
/// the id (the last one): the poller takes them from the started operation.
pub fn poller_context_params(status_op: &Operation) -> Vec<&Param> {
    let mut user: Vec<&Param> = status_op
        .path
        .iter()
        .filter(|p| p.name != "subscriptionId")
        .collect();
    user.pop();
    user
}

/// The structs and enums reachable from bodies of `formats`.
pub fn reachable(spec: &Spec, formats: &[Format]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack: Vec<String> = spec
        .operations
        .iter()
        .flat_map(|o| o.request.iter().chain(o.response.iter()))
        .filter(|b| formats.contains(&b.format))
        .filter_map(|b| b.type_name().map(str::to_owned))
        .collect();
    while let Some(n) = stack.pop() {
        if !out.insert(n.clone()) {
            continue;
        }
        if let Some(s) = spec.find_struct(&n) {
            for f in &s.fields {
                if let TypeRef::Named(t) = &f.ty {
                    stack.push(t.clone());
                }
            }
        }
    }
    out
}

/// A URI's shape for fitting operations to a resource path: [`shape`]
/// without `~` segments (the scheduler reads a job collection at
/// `.../scheduler/~/JobCollections/{name}` and writes it at
/// `.../scheduler/JobCollections/{name}`).
fn resource_shape(segments: &[Segment]) -> Vec<String> {
    shape(segments).into_iter().filter(|s| s != "~").collect()
}

/// A URI template's shape: literals folded to lower case, placeholders `{}`.
pub fn shape(segments: &[Segment]) -> Vec<String> {
    segments
        .iter()
        .map(|s| match s {
            Segment::Literal(l) => l.to_ascii_lowercase(),
            Segment::Param(_) => "{}".into(),
            Segment::Mixed(_) => "{~}".into(),
        })
        .collect()
}

fn validate_resources(spec: &Spec, errors: &mut Vec<SpecError>) {
    let mut names = BTreeSet::new();
    for r in &spec.resources {
        if !names.insert(r.name.as_str()) {
            errors.push(err(&r.loc, "resource defined twice", &r.name));
        }
        let own = resource_shape(&r.segments);
        if !matches!(r.segments.last(), Some(Segment::Param(_))) {
            errors.push(err(
                &r.loc,
                "a resource path ends with its key placeholder",
                &r.path,
            ));
        }
        let collection = own
            .get(..own.len().saturating_sub(1))
            .unwrap_or_default()
            .to_vec();
        let mut check_op = |name: &Option<String>, role: &str, want: &[String]| {
            let Some(name) = name else { return };
            match spec.find_operation(name) {
                None => errors.push(err(&r.loc, format!("unknown {role} operation"), name)),
                Some(op) => {
                    let got = resource_shape(&op.segments);
                    let ok = got == want || (role == "create" && got == collection);
                    if !ok {
                        errors.push(err(
                            &r.loc,
                            format!(
                                "the {role} operation's URI {} does not fit the resource path {}",
                                op.uri, r.path
                            ),
                            name,
                        ));
                    }
                }
            }
        };
        for g in &r.get {
            check_op(&Some(g.clone()), "get", &own);
        }
        check_op(&r.update, "update", &own);
        for d in &r.delete {
            check_op(&Some(d.clone()), "delete", &own);
        }
        check_op(&r.create, "create", &own);
        check_op(&r.list, "list", &collection);
        if let Some((op, _, _)) = &r.check {
            if spec.find_operation(op).is_none() {
                errors.push(err(&r.loc, "unknown check operation", op));
            }
        }
        if let Some(p) = &r.parent {
            match spec.find_resource(p) {
                None => errors.push(err(&r.loc, "unknown parent resource", p)),
                Some(parent) => {
                    let ps = resource_shape(&parent.segments);
                    if own.len() <= ps.len() || own.get(..ps.len()) != Some(&ps[..]) {
                        errors.push(err(
                            &r.loc,
                            "the parent's path must be a prefix of this path",
                            p,
                        ));
                    }
                }
            }
        }
        if r.get.is_empty() && r.list.is_none() && r.shown_in.is_none() {
            errors.push(err(
                &r.loc,
                "a resource needs a get or a list operation, or `shown-in` its parent",
                &r.name,
            ));
        }
        if r.shown_in.is_some() && r.parent.is_none() {
            errors.push(err(&r.loc, "`shown-in` needs a parent", &r.name));
        }
    }
}

fn validate_json(spec: &Spec, errors: &mut Vec<SpecError>) {
    for o in &spec.operations {
        if let Some(b) = o.request.as_ref().filter(|b| b.array) {
            errors.push(err(
                &b.loc,
                "a JSON array root (`json Type*`) is for responses only",
                &o.name,
            ));
        }
    }
    let json = reachable(spec, &[Format::Json]);
    for s in spec.structs.iter().filter(|s| json.contains(&s.name)) {
        for f in &s.fields {
            if f.attribute || matches!(f.card, Card::List { .. }) || f.namespace.is_some() {
                errors.push(err(
                    &f.loc,
                    "JSON has no attributes, wrappers or namespaces: use `Key: T`, `Key: T?` or `Key: T*` (an array)",
                    &f.element,
                ));
            }
        }
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
