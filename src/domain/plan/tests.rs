//! Plans loaded the way `apply` loads them, then resolved, outlined, rendered and described.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::json;

use super::*;
use crate::domain::content::{Targets, load_bundle};
use crate::domain::{Component, Layer};

pub(super) fn any_probe(v: &Value) -> Result<(), String> {
    v.get("kind")
        .map(|_| ())
        .ok_or_else(|| "missing kind".into())
}

pub(crate) fn plan_from(text: &str) -> Plan {
    let b = load_bundle(
        &[(PathBuf::from("t.toml"), text.to_owned())],
        &[],
        &[],
        Targets::MayWait,
        &any_probe,
    )
    .unwrap_or_else(|e| panic!("{e:#?}"));
    b.plans.into_iter().next().unwrap()
}

const DR: &str = r#"
[[plan]]
name = "dr-switch"
title = "Switch traffic away from a datacenter"
target_param = "faulty_dc"

[[plan.param]]
name = "faulty_dc"
kind = "topology"
field = "zone"
description = "the faulty datacenter"

[[plan.param]]
name = "available_dc"
kind = "topology"
field = "zone"
different_from = "faulty_dc"

[[plan.param]]
name = "mode"
kind = "choice"
options = ["drain", "cut"]
default = "drain"

[[plan.param]]
name = "batch"
kind = "integer"
min = 1
max = 10
default = 2

[[plan.param]]
name = "notify"
kind = "boolean"
default = true

[[plan.param]]
name = "ticket"
kind = "string"
pattern = "CR-[0-9]+"
required = false

[[plan.precheck]]
id = "check"
danger = "G1"
op = { kind = "command", script = "zonectl status \"$ZONE\"", env = { ZONE = "{{params.faulty_dc}}" } }

[[plan.step]]
id = "tell"
when = "[params.notify] == true"
op = { kind = "notify", channels = ["oncall"], message = "switching {{params.faulty_dc}} → {{params.available_dc}}" }

[[plan.step]]
id = "drain-a"
group = "drain"
danger = "G3"
on_failure = "rollback"
op = { kind = "http", method = "POST", url = "https://ops:s3cret@zonemng/api/drain?zone={{params.faulty_dc}}&token=abc", headers = { Authorization = "Bearer xyz" } }

[[plan.step]]
id = "drain-b"
group = "drain"
danger = "G2"
op = { kind = "command", script = "slbctl drain \"$ZONE\"", env = { SLB_PASSWORD = "pw", ZONE = "{{params.faulty_dc}}" } }

[[plan.step]]
id = "promote"
danger = "G3"
target = "db-{{params.available_dc}}"
when = "[check.EXIT_CODE] == 0"
op = { kind = "sql", dsn = "mysql://root:hunter2@db:3306/ops", statements = [{ sql = "update zone set active = 1 where name = ?", args = ["{{params.available_dc}}"], expect_rows = 1 }, { sql = "update zone set active = 0 where name = ?", args = ["{{params.faulty_dc}}"], expect_rows = 1 }] }

[[plan.step]]
id = "auth"
danger = "G2"
target = "redis-{{params.available_dc}}"
op = { kind = "redis", command = ["AUTH", "secretpw"] }

[[plan.postcheck]]
id = "verify"
on_failure = "rollback"
target = "{{params.available_dc}}-web"
op = { kind = "wait_until", probe = { kind = "http", url = "http://{host}/health" }, condition = "[STATUS] == 200", deadline = "2m", interval = "10s" }

[[plan.rollback]]
id = "undo"
danger = "G3"
when = "[promote.status] == succeeded"
op = { kind = "command", script = "zonectl undo --after \"$CHECK_OUTPUT\"", env = { CHECK_OUTPUT = "{{steps.check.output}}" } }
"#;

fn components() -> Vec<Component> {
    let mut out = Vec::new();
    for (name, zone, kind) in [
        ("web-1", "dc1", "http"),
        ("web-2", "dc2", "http"),
        ("db-1", "dc1", "mysql"),
        ("web-3", "dc2", "http"),
        ("x", "", "http"),
    ] {
        let mut c = Component::new(name, kind, Layer::Business);
        c.zone = zone.into();
        out.push(c);
    }
    out
}

pub(super) fn given(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn danger_is_the_highest_steps_in_any_phase() {
    let p = plan_from(DR);
    assert_eq!(p.danger(), Danger::G3);
    let mut low = p.clone();
    low.steps.retain(|s| s.danger < Danger::G3);
    low.postchecks.clear();
    assert_eq!(low.danger(), Danger::G3, "the rollback step is G3 too");
    low.rollback.clear();
    assert_eq!(low.danger(), Danger::G2);
    // Defaults: notify and gates G1, timeouts by kind.
    let (_, tell) = p.step("tell").unwrap();
    assert_eq!((tell.danger, tell.timeout_ms), (Danger::G1, 30_000));
    let (phase, verify) = p.step("verify").unwrap();
    assert_eq!((phase, verify.timeout_ms), (Phase::Postcheck, 120_000));
}

#[test]
fn content_hash_is_stable_and_follows_changes() {
    let p = plan_from(DR);
    let again = plan_from(DR);
    assert_eq!(p.content_hash(), again.content_hash());
    assert_eq!(p.content_hash().len(), 64);
    // Key order in the file does not matter.
    let reordered = DR.replace(
        "id = \"verify\"\non_failure = \"rollback\"",
        "on_failure = \"rollback\"\nid = \"verify\"",
    );
    assert_ne!(reordered, DR);
    assert_eq!(plan_from(&reordered).content_hash(), p.content_hash());
    let changed = plan_from(&DR.replace("deadline = \"2m\"", "deadline = \"3m\""));
    assert_ne!(changed.content_hash(), p.content_hash());
}

#[test]
fn stored_json_and_exported_toml_read_back_the_same_plan() {
    let p = plan_from(DR);
    let json = serde_json::to_string(&p).unwrap();
    let back: Plan = serde_json::from_str(&json).unwrap();
    assert_eq!(back, p);
    let doc = toml::to_string(&json!({ "plan": [p.clone()] })).unwrap();
    assert_eq!(plan_from(&doc), p, "export:\n{doc}");
}

#[test]
fn topology_choices_are_distinct_and_sorted() {
    let p = plan_from(DR);
    let faulty = p.param("faulty_dc").unwrap();
    assert_eq!(faulty.choices(&components()), vec!["dc1", "dc2"]);
    let mut only_mysql = faulty.clone();
    only_mysql.kind = ParamKind::Topology {
        field: TopologyField::Name,
        selector: Some(toml::from_str("kind = \"mysql\"").unwrap()),
    };
    assert_eq!(only_mysql.choices(&components()), vec!["db-1"]);
    assert_eq!(p.param("mode").unwrap().choices(&[]), vec!["drain", "cut"]);
}

#[test]
fn params_resolve_typed_with_defaults() {
    let p = plan_from(DR);
    let v = resolve_params(
        &p,
        &given(&[
            ("faulty_dc", "dc1"),
            ("available_dc", "dc2"),
            ("notify", "no"),
        ]),
        &components(),
    )
    .unwrap();
    assert_eq!(v["faulty_dc"], json!("dc1"));
    assert_eq!(v["batch"], json!(2), "default");
    assert_eq!(v["mode"], json!("drain"));
    assert_eq!(v["notify"], json!(false), "boolean words");
    assert_eq!(v["ticket"], Value::Null, "optional and unset");
    assert_eq!(
        v.len(),
        p.params.len(),
        "every declared parameter is resolved"
    );
    let v = resolve_params(
        &p,
        &given(&[
            ("faulty_dc", "dc1"),
            ("available_dc", "dc2"),
            ("batch", "10"),
            ("ticket", "CR-12"),
        ]),
        &components(),
    )
    .unwrap();
    assert_eq!(
        (v["batch"].clone(), v["ticket"].clone()),
        (json!(10), json!("CR-12"))
    );
}

#[test]
fn param_errors_name_the_param_and_the_fix() {
    let p = plan_from(DR);
    let errs = |pairs: &[(&str, &str)]| -> Vec<String> {
        resolve_params(&p, &given(pairs), &components())
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    let e = errs(&[("faulty_dc", "dc9"), ("available_dc", "dc2")]);
    assert_eq!(
        e,
        vec!["faulty_dc: \"dc9\" is not a zone; choose one of dc1, dc2"]
    );
    let e = errs(&[]);
    assert_eq!(
        e,
        vec![
            "faulty_dc: required (the faulty datacenter); choose one of dc1, dc2",
            "available_dc: required; choose one of dc1, dc2",
        ]
    );
    let e = errs(&[("faulty_dc", "dc1"), ("available_dc", "dc1")]);
    assert_eq!(
        e,
        vec!["available_dc: must differ from faulty_dc (both are dc1); choose one of dc2"]
    );
    let e = errs(&[
        ("faulty_dc", "dc1"),
        ("available_dc", "dc2"),
        ("batch", "11"),
        ("mode", "fast"),
        ("notify", "maybe"),
        ("ticket", "12"),
        ("zone", "x"),
    ]);
    assert_eq!(
        e,
        vec![
            "zone: unknown parameter; plan dr-switch takes faulty_dc, available_dc, mode, batch, notify, ticket",
            "mode: \"fast\" is not one of drain, cut",
            "batch: 11 is out of range; give 1 to 10",
            "notify: \"maybe\" is not a boolean; give true or false",
            "ticket: \"12\" does not match the pattern CR-[0-9]+",
        ]
    );
    let e = errs(&[
        ("faulty_dc", "dc1"),
        ("available_dc", "dc2"),
        ("batch", "two"),
    ]);
    assert_eq!(e, vec!["batch: \"two\" is not a whole number"]);
    let none = resolve_params(&p, &given(&[("faulty_dc", "dc1")]), &[]).unwrap_err();
    assert!(
        none[0].message.contains("no component offers one"),
        "{none:?}"
    );
}

#[test]
fn outline_groups_consecutive_steps_in_parallel() {
    let p = plan_from(DR);
    let o = outline(&p);
    let phases: Vec<Phase> = o.iter().map(|x| x.phase).collect();
    assert_eq!(
        phases,
        vec![
            Phase::Precheck,
            Phase::Step,
            Phase::Postcheck,
            Phase::Rollback
        ]
    );
    let main: Vec<String> = o[1]
        .stages
        .iter()
        .map(|s| match s {
            Stage::Serial(s) => s.id.clone(),
            Stage::Parallel { group, steps } => format!(
                "{group}({})",
                steps
                    .iter()
                    .map(|s| s.id.as_str())
                    .collect::<Vec<_>>()
                    .join("+")
            ),
        })
        .collect();
    assert_eq!(
        main,
        vec!["tell", "drain(drain-a+drain-b)", "promote", "auth"]
    );
    // The strongest on_failure of the failed steps of a stage applies.
    assert_eq!(
        o[1].stages[1].on_failure(&["drain-b"]),
        Some(OnFailure::Abort)
    );
    assert_eq!(
        o[1].stages[1].on_failure(&["drain-a", "drain-b"]),
        Some(OnFailure::Rollback)
    );
    assert_eq!(o[1].stages[1].on_failure(&[]), None);
    // The same group name later, after another step, is a new stage only if validation let it
    // through: stages() itself just follows consecutive runs.
    let mut p2 = p.clone();
    p2.steps.swap(2, 3);
    let n = stages(&p2.steps).len();
    assert_eq!(n, 5);
}

#[test]
fn when_reads_params_steps_and_pending_steps() {
    let p = plan_from(DR);
    let params = resolve_params(
        &p,
        &given(&[
            ("faulty_dc", "dc1"),
            ("available_dc", "dc2"),
            ("notify", "false"),
        ]),
        &components(),
    )
    .unwrap();
    let mut ctx = RenderCtx {
        params,
        ..RenderCtx::default()
    };
    let step = |id: &str| p.step(id).unwrap().1.clone();
    assert_eq!(when_holds(&step("tell"), &ctx), Ok(false));
    assert_eq!(when_holds(&step("drain-a"), &ctx), Ok(true), "no when");
    let e = when_holds(&step("promote"), &ctx).unwrap_err();
    assert!(e.contains("[CHECK.EXIT_CODE]"), "{e}");
    let mut check = StepResult::new(StepStatus::Succeeded, "ok");
    check.values.insert("EXIT_CODE".into(), json!(0));
    ctx.steps.insert("check".into(), check.clone());
    assert_eq!(when_holds(&step("promote"), &ctx), Ok(true));
    ctx.steps
        .get_mut("check")
        .unwrap()
        .values
        .insert("EXIT_CODE".into(), json!(2));
    assert_eq!(when_holds(&step("promote"), &ctx), Ok(false));
    // A step that never ran reads as pending (a rollback after an early failure).
    assert_eq!(when_holds(&step("undo"), &ctx), Ok(false));
    ctx.steps
        .insert("promote".into(), StepResult::new(StepStatus::Succeeded, ""));
    assert_eq!(when_holds(&step("undo"), &ctx), Ok(true));
    // An op value named like the step's own fields is reached through values.
    ctx.steps
        .get_mut("check")
        .unwrap()
        .values
        .insert("STATUS".into(), json!(503));
    let mut probe = step("undo");
    probe.when = Some("[check.values.STATUS] == 503".into());
    assert_eq!(when_holds(&probe, &ctx), Ok(true));
    probe.when = Some("[check.status] == succeeded".into());
    assert_eq!(when_holds(&probe, &ctx), Ok(true), "status is the step's");
}

#[test]
fn rendering_an_op_fills_every_field() {
    let p = plan_from(DR);
    let params = resolve_params(
        &p,
        &given(&[("faulty_dc", "dc1"), ("available_dc", "dc2")]),
        &components(),
    )
    .unwrap();
    let ctx = RenderCtx {
        params,
        ..RenderCtx::default()
    };
    let Op::Sql(s) = render_op(&p.step("promote").unwrap().1.op, &ctx).unwrap() else {
        panic!()
    };
    // The statement stays as written; the value is bound, with its type.
    assert_eq!(
        s.statements[1].sql,
        "update zone set active = 0 where name = ?"
    );
    assert_eq!(s.statements[1].args, vec![json!("dc1")]);
    let Op::Command(c) = render_op(&p.step("drain-b").unwrap().1.op, &ctx).unwrap() else {
        panic!()
    };
    assert_eq!(c.env["ZONE"], "dc1");
    // Strict rendering: an output not known yet is an error naming the field.
    let e = render_op(&p.step("undo").unwrap().1.op, &ctx).unwrap_err();
    assert!(
        e.message
            .starts_with("env.CHECK_OUTPUT: output of step check"),
        "{e}"
    );
}

#[test]
fn describe_shows_every_op_masked_with_placeholders() {
    let p = plan_from(DR);
    let params = resolve_params(
        &p,
        &given(&[
            ("faulty_dc", "dc1"),
            ("available_dc", "dc2"),
            ("notify", "off"),
        ]),
        &components(),
    )
    .unwrap();
    let d = describe(&p, &RenderCtx::preview(params, None));
    let by = |id: &str| d.iter().find(|r| r.step == id).unwrap();
    assert_eq!(d.len(), 8);
    assert_eq!(by("tell").runs, Some(false), "when false for these params");
    assert_eq!(by("promote").runs, None, "decided during the run");
    assert_eq!(by("drain-a").stage, by("drain-b").stage);
    let drain = &by("drain-a").op;
    assert!(
        drain.starts_with("POST https://ops:******@zonemng/api/drain?zone=dc1&token=******")
            && drain.contains("Authorization: ******")
            && !drain.contains("xyz")
            && !drain.contains("s3cret"),
        "{drain}"
    );
    let env = &by("drain-b").op;
    assert!(
        env.contains("SLB_PASSWORD=******") && env.contains("ZONE=dc1"),
        "{env}"
    );
    let promote = &by("promote").op;
    assert!(
        promote.contains("mysql://root:******@db:3306/ops")
            && promote.contains("(one transaction)")
            && promote.contains("where name = ? with (\"dc2\") → expect 1 row(s)")
            && !promote.contains("hunter2"),
        "{promote}"
    );
    assert_eq!(by("promote").target.as_deref(), Some("db-dc2"));
    assert_eq!(by("auth").op, "redis <target host:port>: AUTH ******");
    assert!(
        by("undo")
            .op
            .contains("CHECK_OUTPUT=<output of step check>"),
        "{}",
        by("undo").op
    );
    assert!(
        by("verify").op.starts_with("wait until [STATUS] == 200"),
        "{}",
        by("verify").op
    );
    assert!(d.iter().all(|r| r.error.is_none()), "{d:#?}");
    let line = by("promote").to_string();
    assert!(
        line.starts_with("[G3] step/promote @ db-dc2: sql on"),
        "{line}"
    );
}

#[test]
fn confirm_target_is_the_target_param_for_g3() {
    let p = plan_from(DR);
    let params: BTreeMap<String, Value> = [("faulty_dc".to_owned(), json!("dc1"))].into();
    assert_eq!(p.confirm_target(&params), Some("dc1".into()));
    let mut no_param = p.clone();
    no_param.target_param = None;
    assert_eq!(no_param.confirm_target(&params), Some("dr-switch".into()));
    let mut low = p.clone();
    for s in low.steps.iter_mut().chain(low.rollback.iter_mut()) {
        s.danger = Danger::G2;
    }
    assert_eq!(
        low.confirm_target(&params),
        None,
        "below G3 nothing is typed"
    );
}

mod builtin;
