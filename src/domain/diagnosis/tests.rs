#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use serde_json::json;

use super::*;

fn node(id: &str, cond: &str, pass: &str, fail: &str) -> Node {
    Node {
        id: id.to_owned(),
        title: String::new(),
        probe: Some(json!({"kind": "redis"})),
        on: On::Event,
        of: None,
        condition: cond.to_owned(),
        timeout_ms: 1_000,
        pass: pass.to_owned(),
        fail: fail.to_owned(),
        unreach: None,
    }
}

fn leaf(id: &str, cause: &str) -> Conclusion {
    Conclusion {
        id: id.to_owned(),
        cause: cause.to_owned(),
        level: Level::P0,
        plan: None,
        params: BTreeMap::new(),
    }
}

fn tree(nodes: Vec<Node>, conclusions: Vec<Conclusion>) -> Tree {
    Tree {
        name: "t".to_owned(),
        title: "t".to_owned(),
        description: String::new(),
        root: nodes[0].id.clone(),
        nodes,
        conclusions,
        max_ms: 10_000,
    }
}

fn ok_probe(_: &serde_json::Value) -> Result<(), String> {
    Ok(())
}

fn plans(name: &str) -> Option<Vec<String>> {
    (name == "redis-master-switch").then(|| vec!["new_master".to_owned(), "old_master".to_owned()])
}

#[test]
fn a_sound_tree_has_no_problems() {
    let mut down = leaf(
        "down",
        "master {{event.target}} down; replica {{node.replica.target}} at {{node.replica.host}}",
    );
    down.plan = Some("redis-master-switch".to_owned());
    down.params = [(
        "new_master".to_owned(),
        "{{node.replica.target}}".to_owned(),
    )]
    .into();
    let mut master = node("master", "[ROLE] == master", "up", "demoted");
    master.unreach = Some("replica".to_owned());
    let mut replica = node("replica", "[ROLE] == slave", "down", "both");
    replica.on = On::Peer;
    let t = tree(
        vec![master, replica],
        vec![
            leaf("up", "up"),
            leaf("demoted", "demoted"),
            down,
            leaf("both", "both down"),
        ],
    );
    assert_eq!(problems(&t, &plans, &ok_probe), Vec::<String>::new());
}

#[test]
fn cycles_dangling_branches_unreached_leaves_and_bad_refs_are_refused() {
    let a = node("a", "[X] == 1", "b", "nowhere");
    let b = node("b", "[X] = =", "a", "done");
    let mut done = leaf("done", "{{node.ghost.X}} and {{event.nonsense}}");
    done.plan = Some("no-such-plan".to_owned());
    let t = tree(vec![a, b], vec![done, leaf("orphan", "never")]);
    let p = problems(&t, &plans, &ok_probe).join("\n");
    for want in [
        "cycle a → b → a",
        "fail leads to \"nowhere\"",
        "\"orphan\" is never reached",
        "{{node.ghost.X}} reads nothing",
        "{{event.nonsense}} reads nothing",
        "plan \"no-such-plan\"",
        "condition \"[X] = =\"",
    ] {
        assert!(p.contains(want), "missing {want:?} in\n{p}");
    }
}

#[test]
fn of_must_read_an_earlier_node_and_depth_is_bounded() {
    let mut late = node("late", "[X] == 1", "end", "end");
    late.probe = None;
    late.of = Some("after".to_owned());
    let after = node("after", "[X] == 1", "end", "end");
    let t = tree(vec![late, after.clone()], vec![leaf("end", "e")]);
    let p = problems(&t, &plans, &ok_probe).join("\n");
    assert!(p.contains("not before it on the path"), "{p}");

    let chain: Vec<Node> = (0..=MAX_DEPTH)
        .map(|i| node(&format!("n{i}"), "[X] == 1", &format!("n{}", i + 1), "end"))
        .collect();
    let mut chain = chain;
    chain.last_mut().unwrap().pass = "end".to_owned();
    let t = tree(chain, vec![leaf("end", "e")]);
    let p = problems(&t, &plans, &ok_probe).join("\n");
    assert!(p.contains(&format!("deeper than {MAX_DEPTH}")), "{p}");
}

#[test]
fn conclusions_render_from_the_event_and_the_path() {
    let mut c = leaf(
        "down",
        "master {{event.target}} down; replica {{node.replica.target}} healthy at {{node.replica.host}}:{{node.replica.port}} (role {{node.replica.ROLE}})",
    );
    c.plan = Some("redis-master-switch".to_owned());
    c.params = [
        (
            "new_master".to_owned(),
            "{{node.replica.target}}".to_owned(),
        ),
        ("old_master".to_owned(), "{{event.target}}".to_owned()),
        ("reason".to_owned(), "{{node.replica.NOPE}}".to_owned()),
    ]
    .into();
    let t = tree(
        vec![node("replica", "[ROLE] == slave", "down", "down")],
        vec![c.clone()],
    );
    let facts: Facts = [("target".to_owned(), "redis-a".to_owned())].into();
    let path = vec![Visit {
        node: "replica".to_owned(),
        target: "redis-b".to_owned(),
        host: "127.0.0.1".to_owned(),
        port: "6390".to_owned(),
        outcome: Outcome::Pass,
        values: [("ROLE".to_owned(), json!("slave"))].into(),
        message: "[ROLE] == slave is true".to_owned(),
        ms: 3,
    }];
    let done = t.conclude(&c, &facts, &path);
    assert_eq!(
        done.cause,
        "master redis-a down; replica redis-b healthy at 127.0.0.1:6390 (role slave)"
    );
    assert_eq!(done.params["new_master"], "redis-b");
    assert_eq!(done.params["old_master"], "redis-a");
    assert_eq!(done.unfilled, vec!["reason".to_owned()]);
    // What nothing determines stays visible as written.
    let (text, missing) = render("at {{event.peer_host}}", &facts, &path);
    assert_eq!(
        (text.as_str(), missing),
        ("at {{event.peer_host}}", vec!["event.peer_host".to_owned()])
    );
}

#[test]
fn outline_marks_the_path_taken() {
    let mut master = node("master", "[ROLE] == master", "up", "up");
    master.unreach = Some("replica".to_owned());
    let t = tree(
        vec![master, node("replica", "[ROLE] == slave", "down", "up")],
        vec![leaf("up", "up"), leaf("down", "down")],
    );
    let visit = |n: &str, o| Visit {
        node: n.to_owned(),
        target: String::new(),
        host: String::new(),
        port: String::new(),
        outcome: o,
        values: BTreeMap::new(),
        message: String::new(),
        ms: 0,
    };
    let lines = t.outline(
        &[
            visit("master", Outcome::Unreach),
            visit("replica", Outcome::Pass),
        ],
        Some("down"),
    );
    let marked: Vec<&str> = lines
        .iter()
        .filter(|(_, on)| *on)
        .map(|(l, _)| l.trim_start())
        .collect();
    assert_eq!(marked.len(), 3, "{lines:?}");
    assert!(marked[0].starts_with("● master"), "{lines:?}");
    assert!(marked[1].starts_with("unreach → ● replica"), "{lines:?}");
    assert!(marked[2].starts_with("pass → ■ down [P0]"), "{lines:?}");
    assert_eq!(t.node("master").unwrap().next(Outcome::Unreach), "replica");
    assert_eq!(t.node("replica").unwrap().next(Outcome::Error), "up");
}
