//! The generic engine: serves every operation that a spec `resource`
//! declares (create, get, list, update, delete, check) from the spec model
//! alone — routing, key handling, parents, scopes, conflicts, merging
//! updates by element, the fields the service fills itself, rendering in
//! spec order. Hand-written code only adds real behaviour, through the hooks
//! in `hooks.rs`.
//!
//! State is an element tree per resource ([`Elem`]): the create body, with
//! updates merged in by element name and the `set` fields applied. Responses
//! are rendered from it by walking the response type of the spec (a nested
//! struct with no element of its own draws its fields from the same tree:
//! `HostedServiceProperties` from a flat create body), then decoded and
//! re-encoded by the generated code when the operation is one it knows.

use std::collections::BTreeMap;
use std::sync::Arc;

use asm_codegen::model::{Card, Format, Operation, Query, Resource, Scope, Segment, Spec, TypeRef};
use asm_runtime::routing::{self, Part, Route, Seg};
use asm_runtime::OperationSpec;
use quick_xml::events::Event;
use redb::{ReadTransaction, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::api::{datetime, escape, Api, ApiError, Outcome, Reply, XML_CONTENT};
use crate::store::*;

const WINDOWS_AZURE: &str = "http://schemas.microsoft.com/windowsazure";

/// An XML element, as stored and rendered by the engine.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub(crate) struct Elem {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attrs: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Elem>,
}

impl Elem {
    /// A text element.
    pub fn text(name: &str, text: impl Into<String>) -> Self {
        Self {
            name: name.to_owned(),
            text: text.into(),
            ..Default::default()
        }
    }

    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Elem> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The text of the first child named `name`.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }

    /// Replaces the children named like `child` with it, where the first
    /// of them was (appended if there is none).
    pub fn set(&mut self, child: Elem) {
        let at = self.children.iter().position(|c| c.name == child.name);
        self.children.retain(|c| c.name != child.name);
        let at = at.unwrap_or(self.children.len()).min(self.children.len());
        self.children.insert(at, child);
    }

    /// Merges `update`'s children into this element by name: each element
    /// the update carries replaces this one's of the same name.
    pub fn merge(&mut self, update: &Elem) {
        let mut names: Vec<&str> = update.children.iter().map(|c| c.name.as_str()).collect();
        names.dedup();
        for name in names {
            let incoming: Vec<Elem> = update
                .children
                .iter()
                .filter(|c| c.name == name)
                .cloned()
                .collect();
            let at = self.children.iter().position(|c| c.name == name);
            self.children.retain(|c| c.name != name);
            let at = at.unwrap_or(self.children.len()).min(self.children.len());
            for (i, c) in incoming.into_iter().enumerate() {
                self.children.insert(at + i, c);
            }
        }
    }

    /// The tree as an XML document whose root is `root`, in the service's
    /// namespace.
    pub fn to_xml(&self, root: &str) -> String {
        fn write(e: &Elem, name: &str, out: &mut String) {
            out.push('<');
            out.push_str(name);
            for (k, v) in &e.attrs {
                out.push_str(&format!(" {k}=\"{}\"", escape(v)));
            }
            out.push('>');
            out.push_str(&escape(&e.text));
            for c in &e.children {
                write(c, &c.name, out);
            }
            out.push_str(&format!("</{name}>"));
        }
        let mut out = String::new();
        write(self, root, &mut out);
        out.replacen(
            &format!("<{root}"),
            &format!("<{root} xmlns=\"{WINDOWS_AZURE}\""),
            1,
        )
    }

    /// Parses an XML document into a tree of local names; `i:nil` elements,
    /// namespace declarations and comments are left out.
    pub fn parse(input: &[u8]) -> Result<Elem, String> {
        let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
        let mut reader = quick_xml::Reader::from_reader(input);
        let mut stack: Vec<(Elem, bool)> = Vec::new();
        loop {
            let event = reader.read_event().map_err(|e| e.to_string())?;
            let (start, empty) = match event {
                Event::Start(s) => (s, false),
                Event::Empty(s) => (s, true),
                Event::Text(t) => {
                    if let Some((top, _)) = stack.last_mut() {
                        top.text.push_str(&t.unescape().map_err(|e| e.to_string())?);
                    }
                    continue;
                }
                Event::CData(c) => {
                    if let Some((top, _)) = stack.last_mut() {
                        top.text.push_str(&String::from_utf8_lossy(&c));
                    }
                    continue;
                }
                Event::End(_) => {
                    let (mut done, nil) = stack.pop().ok_or("unbalanced end tag")?;
                    if !done.children.is_empty() || done.text.trim().is_empty() {
                        done.text = done.text.trim().to_owned();
                    }
                    match stack.last_mut() {
                        Some((parent, _)) if !nil => parent.children.push(done),
                        Some(_) => {}
                        None => return Ok(done),
                    }
                    continue;
                }
                Event::Eof => return Err("the document has no root element".into()),
                Event::DocType(_) => return Err("a DOCTYPE is not accepted".into()),
                _ => continue,
            };
            let local = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
            let mut elem = Elem {
                name: local,
                ..Default::default()
            };
            let mut nil = false;
            for a in start.attributes().with_checks(false).flatten() {
                let key = a.key.as_ref();
                if key == b"xmlns" || key.starts_with(b"xmlns:") {
                    continue;
                }
                let local = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
                let value = a.unescape_value().map_err(|e| e.to_string())?.into_owned();
                if local == "nil" {
                    nil = value.eq_ignore_ascii_case("true");
                    continue;
                }
                elem.attrs.push((local, value));
            }
            if empty {
                match stack.last_mut() {
                    Some((parent, _)) if !nil => parent.children.push(elem),
                    Some(_) => {}
                    None => return Ok(elem),
                }
            } else {
                stack.push((elem, nil));
            }
        }
    }
}

/// One resource record in the store.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub(crate) struct ResourceRec {
    pub resource: String,
    pub subscription: String,
    /// The parents' names, outermost first.
    pub parents: Vec<String>,
    pub name: String,
    pub state: Elem,
    pub created_ms: Millis,
    pub modified_ms: Millis,
    pub pending: Option<Pending>,
}

/// The model, its routes and what the engine serves.
pub(crate) struct Engine {
    pub spec: Arc<Spec>,
    routes: Vec<Route>,
    /// Route index → operation index in `spec.operations`.
    route_ops: Vec<usize>,
    /// Operation name → (resource index, role).
    served: BTreeMap<String, (usize, Role)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Create,
    Get,
    List,
    Update,
    Delete,
    Check,
}

/// A request the model router matched.
pub(crate) struct Matched<'a> {
    pub op: &'a Operation,
    /// Path parameters by name (decoded), in template order.
    pub params: Vec<(String, String)>,
    pub query: routing::QueryParams,
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

impl Engine {
    /// The engine for `spec` (the embedded spec, or one given for tests).
    pub fn new(spec: Spec) -> Self {
        let spec = Arc::new(spec);
        let mut order: Vec<usize> = (0..spec.operations.len())
            .filter(|&i| spec.operations[i].same_wire_as.is_none())
            .collect();
        order.sort_by_key(|&i| {
            let o = &spec.operations[i];
            let fixed = o
                .query
                .iter()
                .filter(|q| matches!(q, Query::Fixed { .. }))
                .count();
            let lits = o
                .segments
                .iter()
                .filter(|s| matches!(s, Segment::Literal(_)))
                .count();
            (std::cmp::Reverse(fixed), std::cmp::Reverse(lits))
        });
        let mut routes = Vec::new();
        for &i in &order {
            let o = &spec.operations[i];
            let segments: Vec<Seg> = o
                .segments
                .iter()
                .map(|s| match s {
                    Segment::Literal(l) => Seg::Lit(leak(l)),
                    Segment::Param(_) => Seg::Param,
                    Segment::Mixed(parts) => Seg::Mixed(Box::leak(
                        parts
                            .iter()
                            .map(|p| match p {
                                Segment::Literal(l) => Part::Lit(leak(l)),
                                _ => Part::Param,
                            })
                            .collect::<Vec<_>>()
                            .into_boxed_slice(),
                    )),
                })
                .collect();
            let fixed: Vec<(&'static str, &'static str)> = o
                .query
                .iter()
                .filter_map(|q| match q {
                    Query::Fixed { name, value } => Some((leak(name), leak(value))),
                    Query::Param(_) => None,
                })
                .collect();
            let op_spec: &'static OperationSpec = Box::leak(Box::new(OperationSpec {
                name: leak(&o.name),
                method: leak(&o.method),
                uri: leak(&o.uri),
                version: leak(&o.version),
                success: Box::leak(o.status.clone().into_boxed_slice()),
                is_async: o.is_async(),
                request_root: None,
                response_root: None,
                request_format: None,
                response_format: None,
                response_namespace: None,
            }));
            routes.push(Route {
                spec: op_spec,
                segments: Box::leak(segments.into_boxed_slice()),
                fixed_query: Box::leak(fixed.into_boxed_slice()),
                body_root: o
                    .request
                    .as_ref()
                    .filter(|b| b.format == Format::Xml)
                    .map(|b| leak(&b.root)),
            });
        }
        let mut served = BTreeMap::new();
        for (ri, r) in spec.resources.iter().enumerate() {
            for op in &r.get {
                served.insert(op.clone(), (ri, Role::Get));
            }
            for (op, role) in [
                (&r.create, Role::Create),
                (&r.list, Role::List),
                (&r.update, Role::Update),
            ] {
                if let Some(op) = op {
                    served.insert(op.clone(), (ri, role));
                }
            }
            for op in &r.delete {
                served.insert(op.clone(), (ri, Role::Delete));
            }
            if let Some((op, _, _)) = &r.check {
                served.insert(op.clone(), (ri, Role::Check));
            }
        }
        Self {
            spec,
            routes,
            route_ops: order,
            served,
        }
    }

    /// The embedded spec of the generated crate.
    pub fn embedded() -> Result<Self, String> {
        let spec = asm_codegen::load_texts(azure_asm::server::SPEC_FILES).map_err(|errors| {
            errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        })?;
        Ok(Self::new(spec))
    }

    /// Routes a request with the model (every operation of the spec).
    pub fn route(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
    ) -> Result<Matched<'_>, routing::RouteError> {
        let (index, values, query) = routing::find(&self.routes, method, path, query, Some(body))?;
        let op = self
            .route_ops
            .get(index)
            .and_then(|&i| self.spec.operations.get(i))
            .ok_or(routing::RouteError::NotFound)?;
        let names = placeholders(&op.segments);
        Ok(Matched {
            op,
            params: names.into_iter().zip(values).collect(),
            query,
        })
    }

    /// Whether the engine serves `operation` (a resource declares it).
    pub fn serves(&self, operation: &str) -> bool {
        self.served.contains_key(operation)
    }

    fn resource_of(&self, operation: &str) -> Option<(&Resource, Role)> {
        let (ri, role) = self.served.get(operation)?;
        Some((self.spec.resources.get(*ri)?, *role))
    }
}

fn placeholders(segments: &[Segment]) -> Vec<String> {
    let mut out = Vec::new();
    for s in segments {
        match s {
            Segment::Param(p) => out.push(p.clone()),
            Segment::Mixed(parts) => {
                for p in parts {
                    if let Segment::Param(n) = p {
                        out.push(n.clone());
                    }
                }
            }
            Segment::Literal(_) => {}
        }
    }
    out
}

/// Whether `param` is the key of one of `r`'s parents.
fn keys_of_parents(r: &Resource, param: &str) -> bool {
    let keys = key_params(r);
    keys.iter()
        .take(keys.len().saturating_sub(1))
        .any(|k| k == param)
}

/// The resource's placeholders other than the subscription: parents' keys
/// then its own.
fn key_params(r: &Resource) -> Vec<String> {
    placeholders(&r.segments)
        .into_iter()
        .filter(|p| p != "subscriptionId")
        .collect()
}

impl Api {
    /// Serves an operation the engine declares, inside a write transaction
    /// (mutations) — see [`Api::engine_read`] for reads.
    pub(crate) fn engine_write(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        m: &Matched<'_>,
        body: &[u8],
        now: Millis,
    ) -> Result<Outcome, ApiError> {
        let engine = &self.engine;
        let Some((r, role)) = engine.resource_of(&m.op.name) else {
            return Err(not_implemented(&m.op.name));
        };
        let table = tx.open_table(RESOURCES)?;
        let keys = key_params(r);
        let (parents, own) = self.names_from(r, m, role, body)?;
        if let Some(parent) = &r.parent {
            self.require_parent(&table, sub, parent, &parents, now)?;
        }
        match role {
            Role::Create => {
                let name = own.ok_or_else(|| {
                    ApiError::bad_request(format!("The {} name is missing.", display(&r.name)))
                })?;
                if name.trim().is_empty() {
                    return Err(ApiError::bad_request(format!(
                        "The {} name is missing.",
                        display(&r.name)
                    )));
                }
                let key = record_key(r, sub, &parents, &name);
                let existing =
                    get::<ResourceRec>(&table, &key)?.filter(|x| exists(&x.pending, now));
                if existing.is_some() && !r.upsert {
                    return Err(ApiError::conflict(self.hook_taken_message(r, &name)));
                }
                let mut state = request_elem(&self.engine.spec, m.op, body)?;
                state.name = r.name.clone();
                state.set(Elem::text(&r.name_element, name.clone()));
                self.apply_set(r, &mut state, sub, &parents, &name, now, true);
                // A PUT on an existing resource (upsert) replaces its
                // description but keeps what the service set when it was
                // created (CreatedAt, counters).
                if let Some(old) = &existing {
                    for (el, _, always) in &r.set {
                        if let Some(kept) = old.state.child(el).filter(|_| !*always) {
                            state.set(kept.clone());
                        }
                    }
                }
                let created_ms = existing.as_ref().map_or(now, |o| o.created_ms);
                // Hooks read other records: no table handle may be open.
                drop(table);
                let fail = self.hook_create(tx, r, sub, &parents, &name, &mut state, now)?;
                let mut table = tx.open_table(RESOURCES)?;
                let until = m.op.is_async().then(|| now + self.async_delay_ms);
                let rec = ResourceRec {
                    resource: r.name.clone(),
                    subscription: sub.to_owned(),
                    parents,
                    name,
                    state,
                    created_ms,
                    modified_ms: now,
                    pending: until.map(|until_ms| Pending {
                        until_ms,
                        kind: PendingKind::Create { fail: fail.clone() },
                    }),
                };
                put(&mut table, &key, &rec)?;
                let reply = self.render_reply(m.op, &rec.state)?;
                Ok(Outcome {
                    reply,
                    completion: until.map(|u| (u, fail)),
                })
            }
            Role::Update => {
                let name = own.unwrap_or_default();
                let key = record_key(r, sub, &parents, &name);
                let mut rec = self.live(&table, sub, &key, r, &name, now)?;
                refuse_if_deleting(r, &rec, now)?;
                let update = request_elem(&self.engine.spec, m.op, body)?;
                let old = rec.state.clone();
                rec.state.merge(&update);
                let (parents, own_name) = (rec.parents.clone(), rec.name.clone());
                self.apply_set(r, &mut rec.state, sub, &parents, &own_name, now, false);
                drop(table);
                self.hook_update(tx, r, &old, &update, &mut rec.state, now)?;
                let mut table = tx.open_table(RESOURCES)?;
                rec.modified_ms = now;
                // An update naming the resource anew renames it (Update
                // Database with a new Name): it moves to the new key, which
                // must be free; resources with children keep their name.
                let renamed = rec
                    .state
                    .child_text(&r.name_element)
                    .map(|n| n.trim().to_owned())
                    .filter(|n| !n.is_empty() && !same_name(r, n, &rec.name));
                if let Some(new_name) = renamed {
                    if !descendants(&self.engine.spec, &r.name).is_empty() {
                        return Err(ApiError::bad_request(format!(
                            "The {} {} cannot be renamed.",
                            display(&r.name),
                            rec.name
                        )));
                    }
                    let new_key = record_key(r, sub, &rec.parents, &new_name);
                    if get::<ResourceRec>(&table, &new_key)?
                        .is_some_and(|x| exists(&x.pending, now))
                    {
                        return Err(ApiError::conflict(self.hook_taken_message(r, &new_name)));
                    }
                    table.remove(key.as_str())?;
                    rec.name = new_name;
                    put(&mut table, &new_key, &rec)?;
                } else {
                    put(&mut table, &key, &rec)?;
                }
                Ok(self.async_or(m.op, self.render_reply(m.op, &rec.state)?, now))
            }
            Role::Delete => {
                let name = own.unwrap_or_default();
                let key = record_key(r, sub, &parents, &name);
                let mut rec = self.live(&table, sub, &key, r, &name, now)?;
                refuse_if_deleting(r, &rec, now)?;
                drop(table);
                self.hook_delete(tx, r, &m.op.name, &rec, now)?;
                let mut table = tx.open_table(RESOURCES)?;
                let _ = keys;
                // Children go with their parent (at once: an asynchronous
                // delete leaves only the parent reading as Deleting).
                let mut own = rec.parents.clone();
                own.push(rec.name.clone());
                for child in descendants(&self.engine.spec, &r.name) {
                    let depth = key_params(child).len().saturating_sub(1);
                    let Some(prefix_parents) = own.get(..own.len().min(depth)) else {
                        continue;
                    };
                    let prefix = list_prefix(child, sub, prefix_parents);
                    let keys: Vec<String> = scan::<ResourceRec>(&table, &prefix)?
                        .into_iter()
                        .map(|(k, _)| k)
                        .collect();
                    for k in keys {
                        table.remove(k.as_str())?;
                    }
                }
                if m.op.is_async() {
                    // Gone when the operation completes; Deleting until then.
                    let until = now + self.async_delay_ms;
                    rec.pending = Some(Pending {
                        until_ms: until,
                        kind: PendingKind::Delete,
                    });
                    put(&mut table, &key, &rec)?;
                    return Ok(Outcome {
                        reply: Reply::empty(202),
                        completion: Some((until, None)),
                    });
                }
                table.remove(key.as_str())?;
                Ok(Reply::empty(m.op.status.first().map_or(200, |s| s.0)).into())
            }
            Role::Get | Role::List | Role::Check => Err(not_implemented(&m.op.name)),
        }
    }

    /// Serves a read the engine declares.
    pub(crate) fn engine_read(
        &self,
        tx: &ReadTransaction,
        sub: &str,
        m: &Matched<'_>,
        now: Millis,
    ) -> Result<Reply, ApiError> {
        let Some((r, role)) = self.engine.resource_of(&m.op.name) else {
            return Err(not_implemented(&m.op.name));
        };
        let table = tx.open_table(RESOURCES)?;
        let (parents, own) = self.names_from(r, m, role, &[])?;
        if let Some(parent) = &r.parent {
            if role != Role::Check {
                self.require_parent(&table, sub, parent, &parents, now)?;
            }
        }
        match role {
            Role::Get => {
                let name = own.unwrap_or_default();
                let key = record_key(r, sub, &parents, &name);
                let rec = self.live(&table, sub, &key, r, &name, now)?;
                let mut state = rec.state.clone();
                // Children first: the read hook sees (and may order or
                // complete) them.
                self.embed_children(&table, r, m, &rec, &mut state, now)?;
                self.hook_read(tx, r, m, &rec, &mut state, now)?;
                self.render_reply(m.op, &state)
            }
            Role::List => {
                let prefix = list_prefix(r, sub, &parents);
                let mut items = Vec::new();
                for (k, rec) in scan::<ResourceRec>(&table, &prefix)? {
                    if !direct_child(&k, &prefix)
                        || rec.resource != r.name
                        || rec.subscription != sub
                        || !exists(&rec.pending, now)
                    {
                        continue;
                    }
                    let mut state = rec.state.clone();
                    self.hook_read(tx, r, m, &rec, &mut state, now)?;
                    items.push(state);
                }
                let list = Elem {
                    name: "list".into(),
                    children: items,
                    ..Default::default()
                };
                self.render_list(m.op, &list)
            }
            Role::Check => {
                // The name: the resource's key in the path, else the last
                // path parameter, else the required query parameter (the
                // scheduler's `?resourceName=` below a cloud service path).
                let own_key = key_params(r).last().cloned().unwrap_or_default();
                let name = m
                    .params
                    .iter()
                    .find(|(k, _)| *k == own_key)
                    .or_else(|| {
                        m.params
                            .iter()
                            .rev()
                            .find(|(k, _)| k != "subscriptionId" && !keys_of_parents(r, k))
                    })
                    .map(|(_, v)| v.clone())
                    .or_else(|| {
                        m.op.query.iter().find_map(|q| match q {
                            Query::Param(p) if !p.optional => {
                                m.query.get(&p.name).map(str::to_owned)
                            }
                            _ => None,
                        })
                    })
                    .unwrap_or_default();
                let taken = scan::<ResourceRec>(&table, &format!("{}/", r.name))?
                    .into_iter()
                    .any(|(_, x)| {
                        x.resource == r.name
                            && same_name(r, &x.name, &name)
                            && (r.scope == Scope::Global || x.subscription == sub)
                            && exists(&x.pending, now)
                    });
                let (_, result, reason) = r.check.clone().unwrap_or_default();
                let mut state = Elem {
                    name: "check".into(),
                    ..Default::default()
                };
                // A name the service would refuse is not available either.
                let refused = self.hook_name_rules(r, &name);
                let why = match (&refused, taken) {
                    (Some(rule), _) => Some(rule.clone()),
                    (None, true) => Some(self.hook_taken_message(r, &name)),
                    (None, false) => None,
                };
                state.set(Elem::text(&result, why.is_none().to_string()));
                if let (Some(why), Some(reason)) = (why, reason) {
                    state.set(Elem::text(&reason, why));
                }
                self.render_reply(m.op, &state)
            }
            _ => Err(not_implemented(&m.op.name)),
        }
    }

    /// The live records of the top-level resource `resource` in `sub`.
    pub(crate) fn live_records(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        resource: &str,
        sub: &str,
        now: Millis,
    ) -> Result<Vec<ResourceRec>, ApiError> {
        let Some(r) = self.engine.spec.find_resource(resource) else {
            return Ok(Vec::new());
        };
        Ok(scan::<ResourceRec>(table, &list_prefix(r, sub, &[]))?
            .into_iter()
            .map(|(_, rec)| rec)
            .filter(|rec| rec.subscription == sub && exists(&rec.pending, now))
            .collect())
    }

    /// The live record of the top-level resource `resource` named `name` in
    /// `sub`, with its key; a 404 naming it when there is none.
    pub(crate) fn live_record(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        resource: &str,
        sub: &str,
        name: &str,
        now: Millis,
    ) -> Result<(String, ResourceRec), ApiError> {
        let r = self
            .engine
            .spec
            .find_resource(resource)
            .ok_or_else(|| not_implemented(resource))?;
        let key = record_key(r, sub, &[], name);
        self.live(table, sub, &key, r, name, now)
            .map(|rec| (key, rec))
    }

    /// The object id of a mutating request the engine serves: the
    /// resource's path (a create names it in its body).
    pub(crate) fn engine_object_id(&self, m: &Matched<'_>, body: &[u8]) -> Option<String> {
        let (r, role) = self.engine.resource_of(&m.op.name)?;
        let (parents, own) = self.names_from(r, m, role, body).ok()?;
        let sub = m
            .params
            .iter()
            .find(|(k, _)| k == "subscriptionId")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        Some(resource_path(r, &sub, &parents, &own?))
    }

    /// Children declared `shown-in` this resource go into its read, under
    /// their wrapper (when the read's query asks for them).
    fn embed_children(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        r: &Resource,
        m: &Matched<'_>,
        rec: &ResourceRec,
        state: &mut Elem,
        now: Millis,
    ) -> Result<(), ApiError> {
        let spec = &self.engine.spec;
        let response =
            m.op.response
                .as_ref()
                .and_then(|b| b.type_name())
                .and_then(|t| spec.find_struct(t));
        for child in spec
            .resources
            .iter()
            .filter(|c| c.parent.as_deref() == Some(r.name.as_str()))
        {
            let Some((wrapper, when)) = &child.shown_in else {
                continue;
            };
            if let Some((k, v)) = when {
                if !m.query.get(k).is_some_and(|x| x.eq_ignore_ascii_case(v)) {
                    continue;
                }
            }
            // The item element the response type gives the wrapper.
            let Some(item) = response
                .and_then(|s| s.fields.iter().find(|f| &f.element == wrapper))
                .and_then(|f| f.item.clone())
            else {
                continue;
            };
            let mut parents = rec.parents.clone();
            parents.push(rec.name.clone());
            let prefix = list_prefix(child, &rec.subscription, &parents);
            // Items a hook put under the wrapper (resources the engine does
            // not declare, such as Store add-ons) stay, after the children.
            let mut list = Elem {
                name: wrapper.clone(),
                ..Default::default()
            };
            for (k, c) in scan::<ResourceRec>(table, &prefix)? {
                if direct_child(&k, &prefix) && exists(&c.pending, now) {
                    let mut e = c.state.clone();
                    e.name = item.clone();
                    list.children.push(e);
                }
            }
            if let Some(from_hook) = state.child(wrapper) {
                list.children.extend(from_hook.children.iter().cloned());
            }
            state.set(list);
        }
        Ok(())
    }

    /// (parent names, own name) of a request.
    fn names_from(
        &self,
        r: &Resource,
        m: &Matched<'_>,
        role: Role,
        body: &[u8],
    ) -> Result<(Vec<String>, Option<String>), ApiError> {
        // The operation's placeholders fill the resource's keys by position
        // (the validator fits operations to the path by shape, so a read
        // may name its key `{entityName}` where the resource says
        // `{ruleName}`): parents' keys, then its own when the path has it.
        let keys = key_params(r);
        let values: Vec<&String> = m
            .params
            .iter()
            .filter(|(k, _)| k != "subscriptionId")
            .map(|(_, v)| v)
            .collect();
        let own_index = keys.len().saturating_sub(1);
        let parents: Vec<String> = (0..own_index)
            .map(|i| values.get(i).map(|v| (*v).clone()).unwrap_or_default())
            .collect();
        let own = match values.get(own_index).filter(|_| !keys.is_empty()) {
            Some(v) => Some((*v).clone()),
            None if role == Role::Create => {
                let elem = request_elem(&self.engine.spec, m.op, body)?;
                match self.hook_create_name(r, &elem)? {
                    Some(derived) => Some(derived),
                    None => elem
                        .child_text(&r.name_element)
                        .map(|s| s.trim().to_owned()),
                }
            }
            None => None,
        };
        Ok((parents, own))
    }

    fn require_parent(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        parent: &str,
        parents: &[String],
        now: Millis,
    ) -> Result<(), ApiError> {
        let Some(p) = self.engine.spec.find_resource(parent) else {
            return Ok(());
        };
        let (own, up) = parents
            .split_last()
            .ok_or_else(|| ApiError::not_found("The parent does not exist."))?;
        let key = record_key(p, sub, up, own);
        self.live(table, sub, &key, p, own, now).map(|_| ())
    }

    /// The record at `key` when it exists and belongs to `sub` (a global
    /// name is unique across subscriptions, not visible to all of them).
    #[allow(clippy::too_many_arguments)]
    fn live(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        key: &str,
        r: &Resource,
        name: &str,
        now: Millis,
    ) -> Result<ResourceRec, ApiError> {
        get::<ResourceRec>(table, key)?
            .filter(|x| x.subscription == sub && exists(&x.pending, now))
            .ok_or_else(|| {
                ApiError::not_found(format!("The {} {name} does not exist.", display(&r.name)))
            })
    }

    /// The `set` fields: templates with `{now}`, `{name}`, `{endpoint}`,
    /// `{subscriptionId}`, `{path}` (the resource's own path) and
    /// `{parent}` (the innermost parent's name).
    #[allow(clippy::too_many_arguments)]
    fn apply_set(
        &self,
        r: &Resource,
        state: &mut Elem,
        sub: &str,
        parents: &[String],
        name: &str,
        now: Millis,
        creating: bool,
    ) {
        let path = resource_path(r, sub, parents, name);
        for (el, template, always) in &r.set {
            if !creating && !always {
                continue;
            }
            let value = template
                .replace("{now}", &asm_runtime::xml::XmlText::to_text(&datetime(now)))
                .replace("{name}", name)
                .replace("{endpoint}", &self.endpoint)
                .replace("{subscriptionId}", sub)
                .replace("{path}", &path)
                .replace("{parent}", parents.last().map(String::as_str).unwrap_or(""));
            state.set(Elem::text(el, value));
        }
    }

    fn async_or(&self, op: &Operation, reply: Reply, now: Millis) -> Outcome {
        if op.is_async() {
            self.accepted(now)
        } else {
            reply.into()
        }
    }

    /// The operation's reply: its response rendered from `state`, or empty.
    fn render_reply(&self, op: &Operation, state: &Elem) -> Result<Reply, ApiError> {
        let status = op.status.first().map_or(200, |s| s.0);
        let Some(b) = &op.response else {
            return Ok(Reply::empty(status));
        };
        let spec = &self.engine.spec;
        let ty = b.type_name().unwrap_or("");
        let text = match b.format {
            Format::Atom => {
                let title = self.title_of(op, state);
                atom_entry(&title, &render_content(spec, ty, &b.root, state))
            }
            _ => {
                let doc = render_document(spec, ty, &b.root, state);
                // The body line's `ns=` names the root's namespace (a scalar
                // root such as SQL's `<ServerName>` has no type to carry it).
                match &b.namespace {
                    Some(ns) if spec.find_struct(ty).is_none_or(|s| s.namespace.is_none()) => doc
                        .replacen(
                            &format!("xmlns=\"{WINDOWS_AZURE}\""),
                            &format!("xmlns=\"{}\"", escape(ns)),
                            1,
                        ),
                    _ => doc,
                }
            }
        };
        self.normalized(op, status, text)
    }

    /// The Atom title of a resource's entry: its name.
    fn title_of(&self, op: &Operation, state: &Elem) -> String {
        self.engine
            .resource_of(&op.name)
            .and_then(|(r, _)| state.child_text(&r.name_element))
            .unwrap_or_default()
            .to_owned()
    }

    /// A list reply: the response type's list field filled with the items.
    fn render_list(&self, op: &Operation, items: &Elem) -> Result<Reply, ApiError> {
        let status = op.status.first().map_or(200, |s| s.0);
        let Some(b) = &op.response else {
            return Ok(Reply::empty(status));
        };
        let spec = &self.engine.spec;
        let ty = b.type_name().unwrap_or("");
        let list_field = spec
            .find_struct(ty)
            .and_then(|s| {
                s.fields
                    .iter()
                    .find(|f| matches!(f.card, Card::Repeated | Card::List { .. }))
            })
            .cloned();
        let mut src = Elem::default();
        if let Some(f) = list_field {
            match f.card {
                Card::Repeated => {
                    for it in &items.children {
                        let mut e = it.clone();
                        e.name = f.element.clone();
                        src.children.push(e);
                    }
                }
                _ => {
                    let item = f.item.clone().unwrap_or_default();
                    let mut wrapper = Elem {
                        name: f.element.clone(),
                        ..Default::default()
                    };
                    for it in &items.children {
                        let mut e = it.clone();
                        e.name = item.clone();
                        wrapper.children.push(e);
                    }
                    src.children.push(wrapper);
                }
            }
        }
        let text = match b.format {
            Format::AtomFeed => {
                let mut feed = format!(
                    "<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title type=\"text\">{}</title>",
                    escape(
                        &self
                            .engine
                            .resource_of(&op.name)
                            .and_then(|(r, _)| r.feed_title.clone())
                            .unwrap_or_else(|| display(&b.root))
                    )
                );
                for it in &items.children {
                    let title = self.title_of(op, it);
                    feed.push_str(&entry_element(
                        &title,
                        &render_content(spec, ty, &b.root, it),
                    ));
                }
                feed.push_str("</feed>");
                feed
            }
            _ => render_document(spec, ty, &b.root, &src),
        };
        self.normalized(op, status, text)
    }

    /// Decodes and re-encodes with the generated types when the operation is
    /// one the generated crate knows (spec order; a render that misses a
    /// required element is an emulator bug, answered as an internal error).
    fn normalized(&self, op: &Operation, status: u16, text: String) -> Result<Reply, ApiError> {
        match azure_asm::server::normalize_response(&op.name, text.as_bytes()) {
            Some(Ok(doc)) => Ok(Reply::body(status, content_type(op), doc)),
            Some(Err(e)) => {
                tracing::error!(operation = %op.name, error = %e, "generic render does not decode");
                Err(ApiError::new(
                    500,
                    "InternalError",
                    "The server encountered an internal error.",
                ))
            }
            None => Ok(Reply::body(status, content_type(op), text)),
        }
    }
}

/// The request body of `op` as the operation history keeps it: elements
/// the spec marks `sensitive` (passwords, keys, a PFX) masked, by their
/// place in the request type (the body as sent when none has a value).
/// `None` when the body is not an XML or Atom document of a known type:
/// the caller masks by element and key name instead (`api.rs`).
pub(crate) fn redacted_request(spec: &Spec, op: &Operation, body: &[u8]) -> Option<String> {
    let b = op.request.as_ref()?;
    let ty = b.type_name()?;
    spec.find_struct(ty)?;
    let mut root = Elem::parse(body).ok()?;
    let masked = match b.format {
        Format::Xml => mask_sensitive(spec, ty, &mut root, 0),
        Format::Atom => {
            let content = root
                .children
                .iter_mut()
                .find(|c| c.name == "content")?
                .children
                .first_mut()?;
            mask_sensitive(spec, ty, content, 0)
        }
        _ => return None,
    };
    if !masked {
        return Some(String::from_utf8_lossy(body).into_owned());
    }
    let name = root.name.clone();
    Some(root.to_xml(&name))
}

/// Masks the text of `ty`'s sensitive elements in `e`: whether any was.
fn mask_sensitive(spec: &Spec, ty: &str, e: &mut Elem, depth: usize) -> bool {
    let Some(s) = spec.find_struct(ty) else {
        return false;
    };
    if depth > 16 {
        return false;
    }
    let mut masked = false;
    for f in s.fields.iter().filter(|f| !f.attribute) {
        let nested = match &f.ty {
            TypeRef::Named(n) if spec.find_struct(n).is_some() => Some(n.as_str()),
            _ => None,
        };
        for c in e.children.iter_mut().filter(|c| c.name == f.element) {
            let targets: Vec<&mut Elem> = match (&f.card, &f.item) {
                (Card::List { .. }, Some(item)) => {
                    c.children.iter_mut().filter(|i| &i.name == item).collect()
                }
                _ => vec![c],
            };
            for t in targets {
                if f.sensitive && !t.text.is_empty() {
                    t.text = "********".into();
                    t.children.clear();
                    masked = true;
                } else if let Some(n) = nested {
                    masked |= mask_sensitive(spec, n, t, depth + 1);
                }
            }
        }
    }
    masked
}

/// The request body as an element tree (XML, or the content of an Atom
/// entry), checked against the request type of the spec.
fn request_elem(spec: &Spec, op: &Operation, body: &[u8]) -> Result<Elem, ApiError> {
    let Some(b) = &op.request else {
        return Ok(Elem::default());
    };
    let root = Elem::parse(body)
        .map_err(|e| ApiError::bad_request(format!("The request body is invalid: {e}")))?;
    let elem = match b.format {
        Format::Atom => root
            .child("content")
            .and_then(|c| c.children.first())
            .cloned()
            .ok_or_else(|| ApiError::bad_request("The Atom entry has no content."))?,
        _ => {
            if root.name != b.root {
                return Err(ApiError::bad_request(format!(
                    "The request body's root must be {}.",
                    b.root
                )));
            }
            root
        }
    };
    if let Some(ty) = b.type_name() {
        check_elem(spec, ty, &elem, &b.root)
            .map_err(|m| ApiError::bad_request(format!("The request body is invalid: {m}")))?;
    }
    Ok(elem)
}

/// Checks an element tree against struct `ty`: required elements present,
/// values of their type, the spec's limits.
fn check_elem(spec: &Spec, ty: &str, e: &Elem, path: &str) -> Result<(), String> {
    use asm_codegen::model::Scalar;
    let Some(s) = spec.find_struct(ty) else {
        return Ok(());
    };
    for f in s
        .fields
        .iter()
        .filter(|f| !f.attribute && f.fixed.is_none())
    {
        let here = format!("{path}/{}", f.element);
        let found: Vec<&Elem> = e.children.iter().filter(|c| c.name == f.element).collect();
        if found.is_empty() && f.card == Card::Required {
            return Err(format!("{here} is required"));
        }
        let values: Vec<&Elem> = match f.card {
            Card::List { .. } => {
                let item = f.item.clone().unwrap_or_default();
                found
                    .iter()
                    .flat_map(|w| w.children.iter().filter(|c| c.name == item))
                    .collect()
            }
            _ => found,
        };
        for v in values {
            match &f.ty {
                TypeRef::Named(n) if spec.find_struct(n).is_some() => {
                    check_elem(spec, n, v, &here)?
                }
                TypeRef::Named(_) => {}
                TypeRef::Scalar(sc) => {
                    let text = v.text.as_str();
                    let chars = match sc {
                        Scalar::Label => {
                            use base64::Engine as _;
                            let bytes = base64::engine::general_purpose::STANDARD
                                .decode(text.trim())
                                .map_err(|_| format!("{here} must be base64"))?;
                            String::from_utf8(bytes)
                                .map_err(|_| format!("{here} must be base64 of UTF-8 text"))?
                                .chars()
                                .count()
                        }
                        Scalar::I32 | Scalar::I64 => {
                            let n: i64 = text
                                .trim()
                                .parse()
                                .map_err(|_| format!("{here} must be an integer"))?;
                            if f.limits.max.is_some_and(|m| n > m)
                                || f.limits.min.is_some_and(|m| n < m)
                            {
                                return Err(format!("{here} is out of range"));
                            }
                            continue;
                        }
                        Scalar::Bool => {
                            if !matches!(
                                text.trim(),
                                "true" | "false" | "True" | "False" | "0" | "1"
                            ) {
                                return Err(format!("{here} must be true or false"));
                            }
                            continue;
                        }
                        _ => text.chars().count(),
                    };
                    if let Some(max) = f.limits.max {
                        if chars as i64 > max {
                            return Err(format!("{here} is longer than {max} characters"));
                        }
                    }
                    if let Some(min) = f.limits.min {
                        if (chars as i64) < min {
                            return Err(format!("{here} is shorter than {min} characters"));
                        }
                    }
                    if let Some(p) = &f.limits.pattern {
                        let ok = regex::Regex::new(&format!("^(?:{p})$"))
                            .is_ok_and(|re| re.is_match(text));
                        if !ok {
                            return Err(format!("{here} does not have the expected form"));
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

fn content_type(op: &Operation) -> &'static str {
    match op.response.as_ref().map(|b| b.format) {
        Some(Format::Atom) => "application/atom+xml;type=entry;charset=utf-8",
        Some(Format::AtomFeed) => "application/atom+xml;type=feed;charset=utf-8",
        Some(Format::Json) => "application/json; charset=utf-8",
        _ => XML_CONTENT,
    }
}

fn same_name(r: &Resource, a: &str, b: &str) -> bool {
    if r.case_sensitive {
        a == b
    } else {
        a.eq_ignore_ascii_case(b)
    }
}

fn norm(r: &Resource, name: &str) -> String {
    let n = name.replace('/', "%2F");
    if r.case_sensitive {
        n
    } else {
        n.to_ascii_lowercase()
    }
}

/// `{resource}/{subscription or *}/{parents...}/{name}`.
pub(crate) fn record_key(r: &Resource, sub: &str, parents: &[String], name: &str) -> String {
    format!(
        "{}/{name}",
        list_prefix(r, sub, parents).trim_end_matches('/'),
        name = norm(r, name)
    )
}

pub(crate) fn list_prefix(r: &Resource, sub: &str, parents: &[String]) -> String {
    let scope = match r.scope {
        Scope::Global => "*".to_owned(),
        Scope::Subscription => sub.to_owned(),
    };
    let mut k = format!("{}/{scope}/", r.name);
    for p in parents {
        k.push_str(&norm(r, p));
        k.push('/');
    }
    k
}

/// Every resource below `name` (children, their children, ...).
fn descendants<'a>(spec: &'a Spec, name: &str) -> Vec<&'a Resource> {
    let mut out: Vec<&Resource> = Vec::new();
    let mut frontier = vec![name.to_owned()];
    while let Some(n) = frontier.pop() {
        for r in &spec.resources {
            if r.parent.as_deref() == Some(n.as_str()) && !out.iter().any(|x| x.name == r.name) {
                out.push(r);
                frontier.push(r.name.clone());
            }
        }
    }
    out
}

/// An update or delete of a resource being deleted is a conflict.
fn refuse_if_deleting(r: &Resource, rec: &ResourceRec, now: Millis) -> Result<(), ApiError> {
    if life(&rec.pending, now) == Life::Deleting {
        return Err(ApiError::conflict(format!(
            "The {} {} is being deleted.",
            display(&r.name),
            rec.name
        )));
    }
    Ok(())
}

fn direct_child(key: &str, prefix: &str) -> bool {
    key.strip_prefix(prefix)
        .is_some_and(|rest| !rest.contains('/'))
}

/// The resource's own path, with its parents' and own names filled in.
fn resource_path(r: &Resource, sub: &str, parents: &[String], name: &str) -> String {
    let mut values = parents
        .iter()
        .chain(std::iter::once(&name.to_owned()))
        .cloned()
        .collect::<Vec<_>>()
        .into_iter();
    let mut out = String::new();
    for s in &r.segments {
        out.push('/');
        match s {
            Segment::Literal(l) => out.push_str(l),
            Segment::Param(p) if p == "subscriptionId" => out.push_str(sub),
            Segment::Param(_) => out.push_str(&values.next().unwrap_or_default()),
            Segment::Mixed(_) => {}
        }
    }
    out
}

/// A resource name for messages: `HostedService` → `hosted service`.
pub(crate) fn display(resource: &str) -> String {
    // Words start at an upper-case letter after a lower-case one, or at the
    // last capital of an acronym followed by lower case (`OSImage`: OS,
    // image); acronyms keep their case (`ReservedIP`: reserved IP).
    let chars: Vec<char> = resource.chars().collect();
    let mut words: Vec<String> = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| chars.get(p));
        let next = chars.get(i + 1);
        let starts = i > 0
            && c.is_ascii_uppercase()
            && (prev.is_some_and(|p| p.is_ascii_lowercase())
                || (prev.is_some_and(|p| p.is_ascii_uppercase())
                    && next.is_some_and(|n| n.is_ascii_lowercase())));
        match words.last_mut() {
            Some(w) if !starts => w.push(c),
            _ => words.push(c.to_string()),
        }
    }
    words
        .into_iter()
        .map(|w| {
            if w.len() > 1 && w.chars().all(|c| c.is_ascii_uppercase()) {
                w
            } else {
                w.to_ascii_lowercase()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// 501: the emulator does not serve `op` (yet).
pub(crate) fn not_implemented(op: &str) -> ApiError {
    ApiError::new(
        501,
        "NotImplemented",
        format!("The emulator does not implement {op}."),
    )
}

// ---------------------------------------------------------------- rendering

/// A whole document of struct type `ty` under `root`, drawn from `src`.
pub(crate) fn render_document(spec: &Spec, ty: &str, root: &str, src: &Elem) -> String {
    let ns = spec
        .find_struct(ty)
        .and_then(|s| s.namespace.clone())
        .unwrap_or_else(|| WINDOWS_AZURE.to_owned());
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><{root} xmlns=\"{}\" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\"",
        escape(&ns)
    );
    render_attrs(spec, ty, src, &mut out);
    out.push('>');
    render_children(spec, ty, src, &mut out, 0);
    out.push_str(&format!("</{root}>"));
    out
}

/// The content element of an Atom entry (`<Root xmlns=...>...</Root>`).
fn render_content(spec: &Spec, ty: &str, root: &str, src: &Elem) -> String {
    render_document(spec, ty, root, src)
        .trim_start_matches("<?xml version=\"1.0\" encoding=\"utf-8\"?>")
        .to_owned()
}

/// An `<entry>` element (inside a feed) around a content element.
fn entry_element(title: &str, content: &str) -> String {
    format!(
        "<entry><title type=\"text\">{}</title><content type=\"application/xml\">{content}</content></entry>",
        escape(title)
    )
}

/// An Atom entry document around a content element.
fn atom_entry(title: &str, content: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><entry xmlns=\"http://www.w3.org/2005/Atom\"><title type=\"text\">{}</title><content type=\"application/xml\">{content}</content></entry>",
        escape(title)
    )
}

fn render_attrs(spec: &Spec, ty: &str, src: &Elem, out: &mut String) {
    let Some(s) = spec.find_struct(ty) else {
        return;
    };
    for f in s.fields.iter().filter(|f| f.attribute) {
        let v = src
            .attrs
            .iter()
            .find(|(k, _)| *k == f.element)
            .map(|(_, v)| v.clone())
            .or_else(|| src.child_text(&f.element).map(str::to_owned));
        if let Some(v) = v {
            out.push_str(&format!(" {}=\"{}\"", f.element, escape(&v)));
        }
    }
}

/// Whether `src` holds anything `ty` would render.
fn has_any(spec: &Spec, ty: &str, src: &Elem, depth: usize) -> bool {
    let Some(s) = spec.find_struct(ty) else {
        return false;
    };
    depth < 8
        && s.fields.iter().any(|f| {
            src.child(&f.element).is_some()
                || matches!((&f.ty, f.card), (TypeRef::Named(n), Card::Required | Card::Optional) if spec.find_struct(n).is_some() && has_any(spec, n, src, depth + 1))
        })
}

/// [`has_any`] through elements that are not fields of `outer` (the struct
/// whose tree is shared).
fn has_any_beyond(
    spec: &Spec,
    ty: &str,
    outer: &asm_codegen::model::Struct,
    src: &Elem,
    depth: usize,
) -> bool {
    let Some(s) = spec.find_struct(ty) else {
        return false;
    };
    let own = |name: &str| outer.fields.iter().any(|f| f.element == name);
    depth < 8
        && s.fields.iter().any(|f| {
            (src.child(&f.element).is_some() && !own(&f.element))
                || matches!((&f.ty, f.card), (TypeRef::Named(n), Card::Required | Card::Optional) if spec.find_struct(n).is_some() && has_any(spec, n, src, depth + 1))
        })
}

fn render_children(spec: &Spec, ty: &str, src: &Elem, out: &mut String, depth: usize) {
    let Some(s) = spec.find_struct(ty) else {
        // A scalar root: the text.
        out.push_str(&escape(&src.text));
        return;
    };
    for f in s.fields.iter().filter(|f| !f.attribute) {
        if let Some(value) = &f.fixed {
            out.push_str(&format!("<{0}>{1}</{0}>", f.element, escape(value)));
            continue;
        }
        let nested = match &f.ty {
            TypeRef::Named(n) if spec.find_struct(n).is_some() => Some(n.as_str()),
            _ => None,
        };
        match f.card {
            Card::Required | Card::Optional => match (src.child(&f.element), nested) {
                (Some(c), Some(n)) => render_elem(spec, n, &f.element, c, out, depth),
                (Some(c), None) => {
                    out.push_str(&format!("<{0}>{1}</{0}>", f.element, escape(&c.text)))
                }
                (None, Some(n)) if has_any_beyond(spec, n, s, src, depth + 1) => {
                    // No element of its own: the nested struct draws from the
                    // same tree (HostedServiceProperties), through elements
                    // that are not the enclosing struct's own (a site's Name
                    // is not its HostingEnvironmentProfile's, which the
                    // service sends nil).
                    render_elem(spec, n, &f.element, src, out, depth)
                }
                _ => {}
            },
            Card::Repeated => {
                for c in src.children.iter().filter(|c| c.name == f.element) {
                    match nested {
                        Some(n) => render_elem(spec, n, &f.element, c, out, depth),
                        None => {
                            out.push_str(&format!("<{0}>{1}</{0}>", f.element, escape(&c.text)))
                        }
                    }
                }
            }
            Card::List { always } => {
                let item = f.item.clone().unwrap_or_default();
                // Text items in another namespace (`ns=… prefix=a`): the
                // wrapper declares the prefix, as the service writes
                // `<HostNames xmlns:a=…><a:string>`.
                let (decl, qitem) = match &f.namespace {
                    Some((Some(p), uri)) if nested.is_none() => (
                        format!(" xmlns:{p}=\"{}\"", escape(uri)),
                        format!("{p}:{item}"),
                    ),
                    Some((None, uri)) if nested.is_none() => {
                        (String::new(), format!("{item} xmlns=\"{}\"", escape(uri)))
                    }
                    _ => (String::new(), item.clone()),
                };
                match src.child(&f.element) {
                    Some(w) => {
                        out.push_str(&format!("<{}{decl}>", f.element));
                        for c in w.children.iter().filter(|c| c.name == item) {
                            match nested {
                                Some(n) => render_elem(spec, n, &item, c, out, depth),
                                None => {
                                    let close = qitem.split(' ').next().unwrap_or(&item);
                                    out.push_str(&format!("<{qitem}>{}</{close}>", escape(&c.text)))
                                }
                            }
                        }
                        out.push_str(&format!("</{}>", f.element));
                    }
                    None if always => out.push_str(&format!("<{}/>", f.element)),
                    None => {}
                }
            }
        }
    }
}

fn render_elem(spec: &Spec, ty: &str, name: &str, src: &Elem, out: &mut String, depth: usize) {
    if depth > 16 {
        return;
    }
    out.push('<');
    out.push_str(name);
    render_attrs(spec, ty, src, out);
    out.push('>');
    render_children(spec, ty, src, out, depth + 1);
    out.push_str(&format!("</{name}>"));
}
