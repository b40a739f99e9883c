//! `nightwatch dr …` and the DR model through `apply`/`export`, black box on the embedded SQLite:
//! an empty estate is explained, the model applies and exports back to content that applies
//! unchanged, readiness lists every reason (links never measured here: no engine runs) and exits 1,
//! a bad `--from/--to` names the datacenters that exist, and a broken file is refused whole with
//! file:line and field.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use common::Sandbox;

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/content/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn an_empty_estate_says_what_to_describe() {
    let sb = Sandbox::new();
    let (ok, out) = sb.run(&["dr", "status"]);
    assert!(!ok);
    assert!(out.contains("no DR architecture described yet"), "{out}");
    assert!(out.contains("[[datacenter]]"), "{out}");
}

#[test]
fn readiness_links_and_status_read_the_applied_model() {
    let sb = Sandbox::new();
    let (ok, out) = sb.run(&["apply", &fixture("dr-good.toml")]);
    assert!(ok, "{out}");
    assert!(
        out.contains("+ datacenter dc-a") && out.contains("+ link orders-db"),
        "{out}"
    );

    let o = sb
        .command()
        .args(["dr", "readiness", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "not ready exits 1");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let v = &v[0];
    assert_eq!(
        (v["from"].as_str(), v["to"].as_str()),
        (Some("dc-a"), Some("dc-b"))
    );
    assert_eq!(v["ready"], false);
    let reasons: Vec<&str> = v["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        reasons.contains(&"link orders-db dc-a→dc-b not measured yet"),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&"link orders-cache dc-a→dc-b not measured yet"),
        "{reasons:?}"
    );
    assert_eq!(v["est_rto_ms"], 120_000, "the plan's step timeout (2m)");
    assert_eq!(v["rto_ms"], 900_000);

    let (ok, out) = sb.run(&["dr", "readiness"]);
    assert!(!ok);
    assert!(
        out.contains("✗ dc-a→dc-b: not ready (estimated RTO 120 s of 900 s)"),
        "{out}"
    );
    assert!(
        out.contains("- link orders-db dc-a→dc-b not measured yet"),
        "{out}"
    );

    let links = common::json_of(
        &sb,
        &[
            "dr", "links", "--from", "dc-a", "--to", "dc-b", "-o", "json",
        ],
    );
    let names: Vec<&str> = links
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["orders-cache", "orders-db"]);
    assert_eq!(links[1]["rpo_ms"], 30_000);
    assert_eq!(links[0]["rpo_ms"], 10_000);

    let status = common::json_of(&sb, &["dr", "status", "-o", "json"]);
    let cell = status["grid"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["layer"] == "database" && c["datacenter"] == "dc-b")
        .unwrap();
    assert_eq!(cell["components"], 1);
    assert_eq!(cell["state"], "unknown", "its link was never measured");

    let (ok, out) = sb.run(&["dr", "readiness", "--from", "dc-a", "--to", "dc-x"]);
    assert!(!ok);
    assert!(
        out.contains("--from/--to: unknown datacenter \"dc-x\"; known: dc-a, dc-b"),
        "{out}"
    );
    let (ok, out) = sb.run(&["dr", "links", "--from", "dc-a"]);
    assert!(!ok, "--from without --to is a usage error: {out}");
}

#[test]
fn the_model_exports_back_to_content_that_applies_unchanged() {
    let sb = Sandbox::new();
    let (ok, out) = sb.run(&["apply", &fixture("dr-good.toml")]);
    assert!(ok, "{out}");
    let exported = sb.command().arg("export").output().unwrap();
    assert!(exported.status.success());
    let text = String::from_utf8(exported.stdout).unwrap();
    assert!(
        text.contains("[[dr_system]]")
            && text.contains("[[link]]")
            && text.contains("[[datacenter]]")
    );
    let file = sb.dir.path().join("export.toml");
    std::fs::write(&file, &text).unwrap();
    let (ok, out) = sb.run(&["apply", "--dry-run", file.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(out.contains("would apply: 0 added, 0 changed"), "{out}");
    // Into a fresh estate, it applies and exports the same.
    let other = Sandbox::new();
    let (ok, out) = other.run(&["apply", file.to_str().unwrap()]);
    assert!(ok, "{out}");
    let again = other.command().arg("export").output().unwrap();
    assert_eq!(String::from_utf8(again.stdout).unwrap(), text);
}

#[test]
fn a_broken_dr_file_is_refused_whole_with_file_line_and_field() {
    let sb = Sandbox::new();
    let (ok, out) = sb.run(&["apply", &fixture("dr-broken.toml")]);
    assert!(!ok);
    assert!(
        out.contains("dr-broken.toml:9: datacenter \"dc-x\": role \"hot\""),
        "{out}"
    );
    assert!(
        out.contains("dr-broken.toml:52: link \"lost-db\": rpo must be more than 0"),
        "{out}"
    );
    assert!(out.contains("nothing applied"), "{out}");
    let (ok, out) = sb.run(&["dr", "status"]);
    assert!(
        !ok && out.contains("no DR architecture described yet"),
        "{out}"
    );
}
