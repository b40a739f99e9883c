//! Validating the DR model of a bundle: datacenters, DR systems and sync links, against each
//! other, the bundle's components and plans, and what is stored. Every message names the item, the
//! field and what would be accepted.

use std::path::PathBuf;

use super::{ContentError, line_of};
use crate::domain::Component;
use crate::domain::content::ContentFile;
use crate::domain::dr::{
    Architecture, Datacenter, DcRole, DrModel, DrPlanRef, DrSystem, LinkKind, SyncLink,
};
use crate::domain::inspection::parse_duration;
use crate::domain::plan::Plan;

/// What DR content may refer to besides itself.
pub(super) struct Refs<'a> {
    pub components: &'a [&'a Component],
    pub plans: &'a [&'a Plan],
    pub known: &'a DrModel,
}

pub(super) type Parsed<'p> = (&'p PathBuf, &'p String, ContentFile);

/// Reports a duplicate name (kind, name, file, line) and says whether it was one.
pub(super) type Dup<'d> =
    dyn FnMut(&'static str, &str, &std::path::Path, usize, &mut Vec<ContentError>) -> bool + 'd;

/// Validate the DR items of every parsed file; valid ones go into `out`.
pub(super) fn dr_of(
    parsed: &[Parsed<'_>],
    refs: &Refs<'_>,
    dup: &mut Dup<'_>,
    errors: &mut Vec<ContentError>,
    check_probe: &dyn Fn(&serde_json::Value) -> Result<(), String>,
) -> DrModel {
    let mut out = DrModel::default();
    for (path, text, f) in parsed {
        let err = |span: std::ops::Range<usize>, message: String| ContentError {
            file: path.to_path_buf(),
            line: line_of(text, span),
            message,
        };
        for d in &f.datacenter {
            let name = d.name.get_ref();
            if dup(
                "datacenter",
                name,
                path,
                line_of(text, d.name.span()),
                errors,
            ) {
                continue;
            }
            let Some(role) = DcRole::parse(d.role.get_ref()) else {
                errors.push(err(
                    d.role.span(),
                    format!(
                        "datacenter {name:?}: role {:?}: expected active, standby or cold",
                        d.role.get_ref()
                    ),
                ));
                continue;
            };
            out.datacenters.push(Datacenter {
                name: name.clone(),
                zone: if d.zone.is_empty() {
                    name.clone()
                } else {
                    d.zone.clone()
                },
                city: d.city.clone(),
                role,
                labels: serde_json::to_value(&d.labels).unwrap_or_default(),
            });
        }
    }
    let dcs: Vec<Datacenter> = out
        .datacenters
        .iter()
        .chain(
            refs.known
                .datacenters
                .iter()
                .filter(|k| !out.datacenters.iter().any(|d| d.name == k.name)),
        )
        .cloned()
        .collect();
    let dc_names: Vec<&str> = dcs.iter().map(|d| d.name.as_str()).collect();
    for (path, text, f) in parsed {
        let err = |span: std::ops::Range<usize>, message: String| ContentError {
            file: path.to_path_buf(),
            line: line_of(text, span),
            message,
        };
        for s in &f.dr_system {
            let name = s.name.get_ref();
            if dup(
                "dr_system",
                name,
                path,
                line_of(text, s.name.span()),
                errors,
            ) {
                continue;
            }
            let before = errors.len();
            let architecture = Architecture::parse(s.architecture.get_ref());
            if architecture.is_none() {
                errors.push(err(
                    s.architecture.span(),
                    format!(
                        "dr_system {name:?}: architecture {:?}: expected same-city-active-active, remote-active-standby, two-site-three-center or ldc",
                        s.architecture.get_ref()
                    ),
                ));
            }
            let listed = s.datacenters.get_ref();
            for d in listed {
                if !dc_names.contains(&d.as_str()) {
                    errors.push(err(
                        s.datacenters.span(),
                        format!(
                            "dr_system {name:?}: datacenters: unknown datacenter {d:?}; describe it in a [[datacenter]] (known: {})",
                            dc_names.join(", ")
                        ),
                    ));
                }
            }
            if listed.len() < 2 {
                errors.push(err(
                    s.datacenters.span(),
                    format!("dr_system {name:?}: datacenters: list at least two datacenters"),
                ));
            }
            let mut duration = |field: &str, v: &toml::Spanned<String>| -> i64 {
                match parse_duration(v.get_ref()) {
                    Ok(ms) if ms > 0 => ms,
                    Ok(_) => {
                        errors.push(err(
                            v.span(),
                            format!("dr_system {name:?}: {field} must be more than 0"),
                        ));
                        0
                    }
                    Err(m) => {
                        errors.push(err(v.span(), format!("dr_system {name:?}: {field} = {m}")));
                        0
                    }
                }
            };
            let rpo_ms = duration("rpo", &s.rpo);
            let rto_ms = duration("rto", &s.rto);
            let mut plans = Vec::new();
            for p in &s.plan {
                let (from, to) = (p.from.get_ref(), p.to.get_ref());
                for (field, v) in [("from", &p.from), ("to", &p.to)] {
                    if !listed.contains(v.get_ref()) {
                        errors.push(err(
                            v.span(),
                            format!(
                                "dr_system {name:?}: plan.{field} {:?} is not one of its datacenters ({})",
                                v.get_ref(),
                                listed.join(", ")
                            ),
                        ));
                    }
                }
                if from == to {
                    errors.push(err(
                        p.to.span(),
                        format!("dr_system {name:?}: plan.to must differ from plan.from"),
                    ));
                }
                let faulty = p
                    .faulty_param
                    .as_ref()
                    .map_or("faulty_dc", |v| v.get_ref().as_str());
                let available = p
                    .available_param
                    .as_ref()
                    .map_or("available_dc", |v| v.get_ref().as_str());
                match refs.plans.iter().find(|x| &x.name == p.plan.get_ref()) {
                    None => errors.push(err(
                        p.plan.span(),
                        format!(
                            "dr_system {name:?}: plan {:?} for {from}→{to} is no plan; apply the plan first or fix the name",
                            p.plan.get_ref()
                        ),
                    )),
                    Some(plan) => {
                        for (field, param) in
                            [("faulty_param", faulty), ("available_param", available)]
                        {
                            if !plan.params.iter().any(|x| x.name == param) {
                                errors.push(err(
                                    p.plan.span(),
                                    format!(
                                        "dr_system {name:?}: plan {:?} has no parameter {param:?} ({field}); set {field} to one of: {}",
                                        plan.name,
                                        plan.params
                                            .iter()
                                            .map(|x| x.name.as_str())
                                            .collect::<Vec<_>>()
                                            .join(", ")
                                    ),
                                ));
                            }
                        }
                    }
                }
                plans.push(DrPlanRef {
                    from: from.clone(),
                    to: to.clone(),
                    plan: p.plan.get_ref().clone(),
                    faulty_param: faulty.to_owned(),
                    available_param: available.to_owned(),
                });
            }
            if let (true, Some(architecture)) = (errors.len() == before, architecture) {
                out.systems.push(DrSystem {
                    name: name.clone(),
                    architecture,
                    datacenters: listed.clone(),
                    rpo_ms,
                    rto_ms,
                    plans,
                    labels: serde_json::to_value(&s.labels).unwrap_or_default(),
                });
            }
        }
    }
    let systems: Vec<DrSystem> = out
        .systems
        .iter()
        .chain(
            refs.known
                .systems
                .iter()
                .filter(|k| !out.systems.iter().any(|s| s.name == k.name)),
        )
        .cloned()
        .collect();
    let declared_systems: Vec<&str> = parsed
        .iter()
        .flat_map(|(_, _, f)| f.dr_system.iter().map(|s| s.name.get_ref().as_str()))
        .collect();
    for (path, text, f) in parsed {
        let err = |span: std::ops::Range<usize>, message: String| ContentError {
            file: path.to_path_buf(),
            line: line_of(text, span),
            message,
        };
        for l in &f.link {
            let name = l.name.get_ref();
            if dup("link", name, path, line_of(text, l.name.span()), errors) {
                continue;
            }
            let before = errors.len();
            let kind = LinkKind::parse(l.kind.get_ref());
            if kind.is_none() {
                errors.push(err(
                    l.kind.span(),
                    format!(
                        "link {name:?}: kind {:?}: expected mysql-replication, postgres-streaming, redis-replication or probe",
                        l.kind.get_ref()
                    ),
                ));
            }
            let system = systems.iter().find(|s| &s.name == l.system.get_ref());
            if system.is_none() && !declared_systems.contains(&l.system.get_ref().as_str()) {
                errors.push(err(
                    l.system.span(),
                    format!(
                        "link {name:?}: system {:?} is no dr_system; describe it in a [[dr_system]]",
                        l.system.get_ref()
                    ),
                ));
            }
            for (field, v) in [("source", &l.source), ("target", &l.target)] {
                let Some(c) = refs.components.iter().find(|c| &c.name == v.get_ref()) else {
                    errors.push(err(
                        v.span(),
                        format!(
                            "link {name:?}: {field} {:?} is no component; describe it in a [[component]]",
                            v.get_ref()
                        ),
                    ));
                    continue;
                };
                match dcs.iter().find(|d| d.name == c.zone || d.zone == c.zone) {
                    None => errors.push(err(
                        v.span(),
                        format!(
                            "link {name:?}: {field} {:?} has zone {:?}, which is no datacenter; set the component's zone to one of: {}",
                            c.name,
                            c.zone,
                            dc_names.join(", ")
                        ),
                    )),
                    Some(d) => {
                        if let Some(s) = system
                            && !s.datacenters.contains(&d.name)
                        {
                            errors.push(err(
                                v.span(),
                                format!(
                                    "link {name:?}: {field} {:?} is in {}, which is not a datacenter of system {:?} ({})",
                                    c.name,
                                    d.name,
                                    s.name,
                                    s.datacenters.join(", ")
                                ),
                            ));
                        }
                    }
                }
                let needs: &[&str] = match kind {
                    Some(LinkKind::MysqlReplication | LinkKind::PostgresStreaming) => &["dsn"],
                    Some(LinkKind::RedisReplication) => &["host", "port"],
                    _ => &[],
                };
                for key in needs {
                    if c.endpoints.get(key).is_none() {
                        errors.push(err(
                            v.span(),
                            format!(
                                "link {name:?}: {field} {:?} has no `{key}` endpoint, which a {} link reads; add endpoints.{key} to the component",
                                c.name,
                                l.kind.get_ref()
                            ),
                        ));
                    }
                }
            }
            if l.source.get_ref() == l.target.get_ref() {
                errors.push(err(
                    l.target.span(),
                    format!("link {name:?}: target must differ from source"),
                ));
            }
            let rpo_ms = match &l.rpo {
                Some(r) => match parse_duration(r.get_ref()) {
                    Ok(ms) if ms > 0 => ms,
                    Ok(_) => {
                        errors.push(err(
                            r.span(),
                            format!("link {name:?}: rpo must be more than 0"),
                        ));
                        0
                    }
                    Err(m) => {
                        errors.push(err(r.span(), format!("link {name:?}: rpo = {m}")));
                        0
                    }
                },
                None => system.map_or(0, |s| s.rpo_ms),
            };
            let probe = l
                .probe
                .as_ref()
                .map(|p| (p, serde_json::to_value(p.get_ref()).unwrap_or_default()));
            match (kind, &probe) {
                (Some(LinkKind::Probe), None) => errors.push(err(
                    l.kind.span(),
                    format!("link {name:?}: a probe link needs probe = {{ kind = \"…\", … }}"),
                )),
                (Some(LinkKind::Probe), Some((p, v))) => {
                    if let Err(m) = check_probe(v) {
                        errors.push(err(p.span(), format!("link {name:?}: probe: {m}")));
                    }
                }
                (Some(_), Some((p, _))) => errors.push(err(
                    p.span(),
                    format!(
                        "link {name:?}: probe is only for kind = \"probe\" ({} links are measured by the collector itself)",
                        l.kind.get_ref()
                    ),
                )),
                _ => {}
            }
            if let (true, Some(kind)) = (errors.len() == before, kind) {
                out.links.push(SyncLink {
                    name: name.clone(),
                    kind,
                    system: l.system.get_ref().clone(),
                    source: l.source.get_ref().clone(),
                    target: l.target.get_ref().clone(),
                    rpo_ms,
                    probe: probe.map(|(_, v)| v),
                    value: match kind {
                        LinkKind::Probe => l.value.clone().unwrap_or_else(|| "VALUE".to_owned()),
                        _ => String::new(),
                    },
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
