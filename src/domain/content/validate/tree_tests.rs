#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use crate::domain::content::{Targets, load_bundle};

fn probe(_: &serde_json::Value) -> Result<(), String> {
    Ok(())
}

fn load(text: &str) -> Result<crate::domain::content::Bundle, String> {
    load_bundle(
        &[(PathBuf::from("t.toml"), text.to_owned())],
        &[],
        &[],
        Targets::MayWait,
        &probe,
    )
    .map_err(|e| {
        e.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })
}

const BASE: &str = r#"
[[plan]]
name = "fix"
title = "fix"
[[plan.param]]
name = "who"
kind = "string"
[[plan.step]]
id = "s"
title = "s"
danger = "DANGER"
op = { kind = "redis", addr = "127.0.0.1:6379", command = ["SET", "k", "{{params.who}}"] }

[[tree]]
name = "t"
title = "t"
root = "n"
[[tree.node]]
id = "n"
probe = { kind = "tcp" }
condition = "[CONNECTED] == true"
pass = "ok"
fail = "bad"
[[tree.conclusion]]
id = "ok"
level = "P3"
cause = "fine"
[[tree.conclusion]]
id = "bad"
level = "P1"
cause = "{{event.target}} down"
plan = "fix"
params = { who = "{{event.target}}" }

[[scenario]]
name = "s"
match = { labels = { alertname = "X" } }
tree = "t"
self_heal = POLICY
"#;

fn with(danger: &str, policy: &str) -> String {
    BASE.replace("DANGER", danger).replace("POLICY", policy)
}

#[test]
fn a_policy_that_is_on_must_be_able_to_run_what_it_heals() {
    let e = load(&with("G3", r#"{ mode = "on", heal = ["bad"] }"#)).unwrap_err();
    assert!(
        e.contains("t.toml:") && e.contains("which is G3: a G3 plan never runs by itself"),
        "{e}"
    );
    let e = load(&with("G2", r#"{ mode = "on", heal = ["bad"] }"#)).unwrap_err();
    assert!(e.contains("set allow_g2 = true"), "{e}");
    let b = load(&with("G2", r#"{ mode = "on", allow_g2 = true, heal = ["bad"], freeze = ["sat,sun 00:00-24:00"], cooldown = "5m" }"#)).unwrap();
    let p = b.scenarios[0].self_heal.clone().unwrap();
    assert_eq!(p.plan_for("bad"), Some("fix"));
    assert_eq!(
        (p.cooldown_ms, p.max_per_target_hour, p.halt_after),
        (300_000, 1, 3)
    );
    // Shadow (the default) may name a G3 plan: its decisions say never-g3.
    let b = load(&with("G3", r#"{ heal = ["bad"] }"#)).unwrap();
    assert_eq!(
        b.scenarios[0].self_heal.clone().unwrap().mode,
        crate::domain::selfheal::Mode::Shadow
    );
}

#[test]
fn bad_policies_name_the_field_and_the_fix() {
    for (policy, want) in [
        (
            r#"{ heal = ["nope"] }"#,
            "\"nope\" is not a conclusion of tree \"t\" (ok, bad)",
        ),
        (
            r#"{ heal = ["ok"] }"#,
            "conclusion \"ok\" recommends no plan",
        ),
        (r#"{ heal = [] }"#, "self_heal.heal is empty"),
        (
            r#"{ mode = "auto", heal = ["bad"] }"#,
            "self_heal.mode \"auto\": give shadow or on",
        ),
        (
            r#"{ heal = ["bad"], cooldown = "soon" }"#,
            "self_heal.cooldown",
        ),
        (
            r#"{ heal = ["bad"], freeze = ["weekends"] }"#,
            "self_heal.freeze",
        ),
        (
            r#"{ heal = ["bad"], max_concurrent = 0 }"#,
            "self_heal.max_concurrent must be at least 1",
        ),
        (r#"{ heal = ["bad"], typo = 1 }"#, "unknown field `typo`"),
    ] {
        let e = load(&with("G1", policy)).unwrap_err();
        assert!(e.contains(want), "{policy}: {e}");
    }
    let no_tree = with("G1", r#"{ heal = ["bad"] }"#).replace("tree = \"t\"\n", "");
    let e = load(&no_tree).unwrap_err();
    assert!(e.contains("self_heal needs the scenario's tree"), "{e}");
}
