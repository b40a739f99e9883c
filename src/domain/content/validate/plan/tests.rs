//! One test per kind of broken `[[plan]]` / `[[scenario]]`: each error names the file, the line
//! and the reason.

use std::path::PathBuf;

use crate::domain::content::{Bundle, Known, Targets, load_bundle, load_bundle_with};
use crate::domain::plan::Plan;

fn probe(v: &serde_json::Value) -> Result<(), String> {
    match v.get("kind").and_then(|k| k.as_str()) {
        Some("http" | "redis" | "sql" | "tcp" | "command") => Ok(()),
        Some(other) => Err(format!("unknown variant `{other}`")),
        None => Err("missing field `kind`".into()),
    }
}

fn load_with(text: &str, known: &[Plan]) -> Result<Bundle, Vec<String>> {
    let known = Known {
        plans: known,
        ..Known::default()
    };
    load_bundle_with(
        &[(PathBuf::from("plans.toml"), text.to_owned())],
        known,
        Targets::MustExist,
        &probe,
    )
    .map_err(|e| e.iter().map(ToString::to_string).collect())
}

fn errors(text: &str) -> Vec<String> {
    load_with(text, &[]).expect_err("must be refused")
}

/// The 1-based line of the first line containing `needle`.
fn line(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not in the text"))
        + 1
}

/// Assert one error is at the line of `needle` and contains `what`.
fn assert_at(text: &str, needle: &str, what: &str) {
    let e = errors(text);
    let at = format!("plans.toml:{}: ", line(text, needle));
    assert!(
        e.iter().any(|m| m.starts_with(&at) && m.contains(what)),
        "wanted {at}…{what}…, got {e:#?}"
    );
}

const GOOD: &str = r#"
[[plan]]
name = "restart"
target_param = "app"

[[plan.param]]
name = "app"
kind = "string"

[[plan.param]]
name = "mode"
kind = "choice"
options = ["soft", "hard"]
default = "soft"

[[plan.precheck]]
id = "look"
op = { kind = "command", script = "ps -ef" }
danger = "G1"

[[plan.step]]
id = "stop"
danger = "G2"
on_failure = "rollback"
op = { kind = "command", script = "systemctl stop $APP", env = { APP = "{{params.app}}" } }

[[plan.step]]
id = "start"
danger = "G2"
when = "[stop.status] == succeeded"
[plan.step.op]
kind = "command"
script = "systemctl start $APP"
env = { APP = "{{params.app}}", OLD = "{{steps.stop.output}}" }

[[plan.rollback]]
id = "back"
danger = "G2"
op = { kind = "command", script = "systemctl start $APP", env = { APP = "{{params.app}}" } }

[[scenario]]
name = "app-down"
match = { labels = { alertname = "AppDown" } }
impact = "orders fail"
[[scenario.plan]]
plan = "restart"
params = { app = "{{event.labels.app}}" }
"#;

#[test]
fn the_good_plan_loads() {
    let b = load_with(GOOD, &[]).unwrap();
    assert_eq!(b.plans.len(), 1);
    assert_eq!(b.plans[0].steps[1].op.kind(), "command");
    assert_eq!(b.scenarios[0].plans[0].plan, "restart");
    assert_eq!(b.scenarios[0].plans[0].weight, 50);
}

#[test]
fn unknown_fields_are_refused_with_their_line() {
    let t = GOOD.replace(
        "on_failure = \"rollback\"",
        "on_failure = \"rollback\"\nretires = 2",
    );
    assert_at(&t, "retires", "unknown field `retires`");
    let t = GOOD.replace(
        "impact = \"orders fail\"",
        "impact = \"orders fail\"\nimpcat = 1",
    );
    assert_at(&t, "impcat", "unknown field `impcat`");
}

#[test]
fn an_op_that_does_not_parse() {
    let t = GOOD.replace(
        "script = \"systemctl start $APP\"",
        "scrpit = \"systemctl start $APP\"",
    );
    assert_at(
        &t,
        "[plan.step.op]",
        "step start: op: unknown field `scrpit`",
    );
    let t = GOOD.replace("kind = \"command\", script = \"ps -ef\"", "kind = \"ftp\"");
    assert_at(&t, "kind = \"ftp\"", "step look: op: unknown variant `ftp`");
    let t = GOOD.replace(
        "op = { kind = \"command\", script = \"ps -ef\" }",
        "op = { kind = \"wait_until\", probe = { kind = \"smtp\" }, condition = \"[X] == 1\", deadline = \"1m\" }",
    );
    assert_at(&t, "smtp", "op: probe: unknown variant `smtp`");
}

#[test]
fn danger_must_be_known_and_stated_for_mutating_ops() {
    let t = GOOD.replace(
        "id = \"stop\"\ndanger = \"G2\"",
        "id = \"stop\"\ndanger = \"G4\"",
    );
    assert_at(&t, "\"G4\"", "danger \"G4\": expected G1, G2 or G3");
    let t = GOOD.replace("id = \"stop\"\ndanger = \"G2\"", "id = \"stop\"");
    assert_at(&t, "id = \"stop\"", "a command step must state its danger");
}

#[test]
fn a_when_that_does_not_parse_names_the_column() {
    let t = GOOD.replace("[stop.status] == succeeded", "[stop.status] = succeeded");
    assert_at(&t, "when = ", "column 15: expected an operator");
    let t = GOOD.replace("[stop.status] == succeeded", "[start.status] == succeeded");
    assert_at(&t, "when = ", "step start has not run yet");
    let t = GOOD.replace("[stop.status] == succeeded", "[params.nope] == 1");
    assert_at(&t, "when = ", "no parameter nope");
    let t = GOOD.replace("[stop.status] == succeeded", "{{params.app}} == x");
    assert_at(&t, "when = ", "not {{…}} templates");
}

#[test]
fn templates_read_declared_params_and_earlier_steps() {
    let t = GOOD.replace(
        "systemctl stop $APP\", env = { APP = \"{{params.app}}\"",
        "systemctl stop $APP\", env = { APP = \"{{params.ap}}\"",
    );
    assert_at(
        &t,
        "systemctl stop",
        "env.APP: {{params.ap}}: no parameter \"ap\" (declared: app, mode)",
    );
    let t = GOOD.replace(
        "OLD = \"{{steps.stop.output}}\"",
        "OLD = \"{{steps.start.output}}\"",
    );
    assert_at(
        &t,
        "[plan.step.op]",
        "env.OLD: a step cannot read its own result",
    );
    let t = GOOD.replace(
        "systemctl stop $APP\", env = { APP = \"{{params.app}}\" }",
        "systemctl stop $APP\", env = { APP = \"{{steps.start.status}}\" }",
    );
    assert_at(
        &t,
        "systemctl stop",
        "reads step \"start\", which has not run yet",
    );
    let t = GOOD.replace(
        "OLD = \"{{steps.stop.output}}\"",
        "OLD = \"{{steps.gone.output}}\"",
    );
    assert_at(
        &t,
        "[plan.step.op]",
        "reads step \"gone\", which does not exist",
    );
    let t = GOOD.replace(
        "OLD = \"{{steps.stop.output}}\"",
        "OLD = \"{{step.stop.output}}\"",
    );
    assert_at(&t, "[plan.step.op]", "unknown name \"step\"");
    // Steps of the same parallel group cannot read each other.
    let t = GOOD
        .replace("id = \"stop\"\n", "id = \"stop\"\ngroup = \"g\"\n")
        .replace("id = \"start\"\n", "id = \"start\"\ngroup = \"g\"\n");
    assert_at(
        &t,
        "[plan.step.op]",
        "reads step \"stop\", which has not run yet",
    );
}

#[test]
fn a_choice_default_must_be_a_choice() {
    let t = GOOD.replace("default = \"soft\"", "default = \"medium\"");
    assert_at(
        &t,
        "default = \"medium\"",
        "parameter mode: default \"medium\": \"medium\" is not one of soft, hard",
    );
    let t = GOOD.replace("default = \"soft\"", "default = 3");
    assert_at(&t, "default = 3", "expected a string");
    let t = GOOD.replace(
        "options = [\"soft\", \"hard\"]",
        "options = [\"soft\", \"hard\"]\nmin = 1",
    );
    assert_at(
        &t,
        "min = 1",
        "min applies to integer parameters, not choice",
    );
    let t = GOOD.replace("kind = \"choice\"", "kind = \"enum\"");
    assert_at(
        &t,
        "kind = \"enum\"",
        "kind \"enum\": expected string, integer, boolean, choice or topology",
    );
}

#[test]
fn a_parallel_group_must_be_contiguous() {
    let t = GOOD
        .replace("[[plan.rollback]]", "[[plan.step]]\nid = \"again\"\ngroup = \"g\"\nop = { kind = \"wait\", duration = \"1s\" }\n\n[[plan.rollback]]")
        .replace("id = \"stop\"\n", "id = \"stop\"\ngroup = \"g\"\n");
    let e = errors(&t);
    let at = format!("plans.toml:{}:", line(&t, "id = \"again\"") + 1);
    assert!(
        e.iter()
            .any(|m| m.starts_with(&at) && m.contains("group \"g\" is not contiguous")),
        "{e:#?}"
    );
}

#[test]
fn rollback_steps_need_a_step_that_rolls_back() {
    let t = GOOD.replace("on_failure = \"rollback\"", "on_failure = \"continue\"");
    assert_at(
        &t,
        "id = \"back\"",
        "rollback steps never run: no step or postcheck has on_failure = \"rollback\"",
    );
    let t = GOOD.replace("[[plan.rollback]]\nid = \"back\"\ndanger = \"G2\"\nop = { kind = \"command\", script = \"systemctl start $APP\", env = { APP = \"{{params.app}}\" } }", "");
    assert_at(
        &t,
        "on_failure = \"rollback\"",
        "the plan has no [[plan.rollback]] steps",
    );
}

#[test]
fn danger_rules_of_the_domain() {
    let t = GOOD.replace(
        "op = { kind = \"command\", script = \"ps -ef\" }\ndanger = \"G1\"",
        "op = { kind = \"command\", script = \"ps -ef\" }\ndanger = \"G2\"",
    );
    assert_at(&t, "danger = \"G2\"", "prechecks also run in dry runs");
    let t = GOOD.replace(
        "op = { kind = \"command\", script = \"systemctl start $APP\", env = { APP = \"{{params.app}}\" } }",
        "op = { kind = \"sql\", dsn = \"mysql://x/db\", statement = \"delete from t\" }",
    );
    let e = errors(&t);
    let at = format!("plans.toml:{}:", line(&t, "id = \"back\"") + 1);
    assert!(
        e.iter()
            .any(|m| m.starts_with(&at) && m.contains("writing to a database directly is G3")),
        "{e:#?}"
    );
    let t = GOOD.replace(
        "op = { kind = \"command\", script = \"systemctl start $APP\", env = { APP = \"{{params.app}}\" } }",
        "op = { kind = \"sql\", dsn = \"mysql://x/db\", statement = \"update a set b = 1; update c set d = 2\" }",
    );
    assert_at(&t, "update a set", "holds several statements");
}

#[test]
fn duplicate_plans_and_step_ids() {
    let twice = format!(
        "{GOOD}\n[[plan]]\nname = \"restart\"\n[[plan.step]]\nid = \"w\"\nop = {{ kind = \"wait\", duration = \"1s\" }}\n"
    );
    let e = errors(&twice);
    let lines: Vec<&str> = twice.lines().collect();
    let second = lines
        .iter()
        .rposition(|l| *l == "name = \"restart\"")
        .unwrap()
        + 1;
    assert!(
        e.iter()
            .any(|m| m.starts_with(&format!("plans.toml:{second}:"))
                && m.contains("duplicate plan \"restart\": already defined at plans.toml:3")),
        "{e:#?}"
    );
    let t = GOOD
        .replace("id = \"start\"", "id = \"Stop\"")
        .replace("[stop.status]", "[look.status]")
        .replace("{{steps.stop.output}}", "");
    assert_at(&t, "id = \"Stop\"", "duplicate step id \"Stop\"");
}

#[test]
fn scenarios_recommend_existing_plans() {
    let t = GOOD.replace("plan = \"restart\"\nparams", "plan = \"reboot\"\nparams");
    assert_at(
        &t,
        "plan = \"reboot\"",
        "recommends plan \"reboot\", which is neither in these files nor stored",
    );
    // A stored plan is fine.
    let stored = load_with(GOOD, &[]).unwrap().plans.remove(0);
    let mut reboot = stored.clone();
    reboot.name = "reboot".into();
    let only_scenario = &t[t.find("[[scenario]]").unwrap()..];
    let b = load_with(only_scenario, &[reboot]).unwrap();
    assert_eq!(b.scenarios[0].plans[0].plan, "reboot");
    assert!(b.plans.is_empty());
    let t = GOOD.replace(
        "params = { app = \"{{event.labels.app}}\" }",
        "params = { ap = \"{{event.labels.app}}\" }",
    );
    assert_at(
        &t,
        "params = { ap",
        "plan \"restart\" has no parameter \"ap\"",
    );
    let t = GOOD.replace("{{event.labels.app}}", "{{steps.x.output}}");
    assert_at(
        &t,
        "params = { app",
        "a recommendation reads only the event",
    );
    let t = GOOD.replace(
        "match = { labels = { alertname = \"AppDown\" } }",
        "match = {}",
    );
    assert_at(&t, "match = {}", "would match every event");
    let t = GOOD.replace("\"AppDown\"", "\"/App(Down/\"");
    assert_at(&t, "match = ", "bad regular expression");
}

#[test]
fn a_bad_plan_refuses_the_whole_file() {
    let t = format!("{GOOD}\n[[plan]]\nname = \"broken\"\n");
    let e = errors(&t);
    assert!(
        e.iter()
            .any(|m| m.contains("plan \"broken\": a plan needs at least one [[plan.step]]")),
        "{e:#?}"
    );
}

#[test]
fn dotted_placeholders_stay_out_of_rules() {
    let t = "[[rule]]\nname = \"r\"\nprobe = { kind = \"http\" }\ncondition = \"[BODY.status] == UP\"\ntargets = { kind = \"x\" }\n";
    let e = load_bundle(
        &[(PathBuf::from("plans.toml"), t.to_owned())],
        &[],
        &[],
        Targets::MayWait,
        &probe,
    )
    .unwrap_err();
    assert!(e[0].to_string().contains("write [BODY].status"), "{e:?}");
}

#[test]
fn a_gate_ends_at_its_deadline() {
    let t = GOOD.replace(
        "[[plan.rollback]]",
        "[[plan.postcheck]]\nid = \"gate\"\ntimeout = \"5m\"\nop = { kind = \"wait_until\", probe = { kind = \"tcp\" }, condition = \"[CONNECTED] == true\", deadline = \"1m\" }\n\n[[plan.rollback]]",
    );
    assert_at(
        &t,
        "timeout = \"5m\"",
        "a wait_until step ends at its own deadline (1m); remove timeout",
    );
    let same = t.replace("timeout = \"5m\"", "timeout = \"1m\"");
    assert!(
        load_with(&same, &[]).is_ok(),
        "the value an export writes is accepted"
    );
}
