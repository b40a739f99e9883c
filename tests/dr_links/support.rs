//! Shared by the DR link tests: the estate's content built around the real pairs' ports, a store
//! with it applied, and a collector driven round by round until a condition holds.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use nightwatch::domain::content::{Targets, load_bundle};
use nightwatch::domain::dr::{DashboardConfig, LinkSample, Readiness};
use nightwatch::domain::event::{Event, EventQuery};
use nightwatch::domain::time::now_ms;
use nightwatch::engine::dr::{Collector, RoundReport};
use nightwatch::store::Store;

/// The RPO of every test system: short, so a broken link passes it quickly.
pub const RPO: &str = "3s";
pub const RPO_MS: i64 = 3_000;

/// Content: datacenters dc-a/dc-b, a `dr-switch` plan, system `orders` (both directions), and
/// one link per `(name, kind, source dsn-or-endpoints, target …)`.
pub fn content(links: &[(&str, &str, String, String)]) -> String {
    let mut t = format!(
        r#"
[[datacenter]]
name = "dc-a"
role = "active"
[[datacenter]]
name = "dc-b"
role = "standby"

[[plan]]
name = "dr-switch"
[[plan.param]]
name = "faulty_dc"
kind = "string"
[[plan.param]]
name = "available_dc"
kind = "string"
[[plan.step]]
id = "announce"
danger = "G3"
timeout = "1m"
op = {{ kind = "command", script = 'echo "$FROM -> $TO"', env = {{ FROM = "{{{{params.faulty_dc}}}}", TO = "{{{{params.available_dc}}}}" }} }}

[[dr_system]]
name = "orders"
architecture = "remote-active-standby"
datacenters = ["dc-a", "dc-b"]
rpo = "{RPO}"
rto = "15m"
plan = [{{ from = "dc-a", to = "dc-b", plan = "dr-switch" }}, {{ from = "dc-b", to = "dc-a", plan = "dr-switch" }}]
"#
    );
    for (name, kind, src, dst) in links {
        let layer = if *kind == "redis-replication" {
            "hub"
        } else {
            "database"
        };
        for (side, dc, ep) in [("a", "dc-a", src), ("b", "dc-b", dst)] {
            t.push_str(&format!(
                "\n[[component]]\nname = \"{name}-{side}\"\nkind = \"{kind}\"\nlayer = \"{layer}\"\nzone = \"{dc}\"\nendpoints = {ep}\n"
            ));
        }
        t.push_str(&format!(
            "\n[[link]]\nname = \"{name}\"\nkind = \"{kind}\"\nsystem = \"orders\"\nsource = \"{name}-a\"\ntarget = \"{name}-b\"\n"
        ));
    }
    t
}

/// `{ dsn = "…" }`.
pub fn dsn(url: &str) -> String {
    format!("{{ dsn = \"{url}\" }}")
}

/// `{ host = "127.0.0.1", port = N }`.
pub fn redis_ep(port: u16) -> String {
    format!("{{ host = \"127.0.0.1\", port = {port} }}")
}

/// Validate and apply `text` as `nightwatch apply` does.
pub async fn apply(store: &Store, text: &str) {
    let files = vec![(PathBuf::from("estate.toml"), text.to_owned())];
    let bundle = load_bundle(&files, &[], &[], Targets::MustExist, &|_| Ok(()))
        .unwrap_or_else(|e| panic!("{e:?}"));
    store
        .apply_bundle(&bundle, false, "test", now_ms())
        .await
        .expect("apply");
}

/// Collector settings for tests: short timeouts.
pub fn config() -> DashboardConfig {
    DashboardConfig {
        timeout_secs: 2,
        ..DashboardConfig::default()
    }
}

/// One round now.
pub async fn round(c: &mut Collector) -> RoundReport {
    let dashboard = serde_json::json!({});
    c.round(&config(), &dashboard, &[], now_ms())
        .await
        .expect("round")
}

/// Run rounds (about one a second) until `check` accepts one, within `secs`.
pub async fn until<T>(
    what: &str,
    secs: u64,
    c: &mut Collector,
    mut check: impl FnMut(&RoundReport) -> Option<T>,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut last = None;
    loop {
        let r = round(c).await;
        if let Some(v) = check(&r) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {secs}s waiting for: {what}; last round: {last:#?}"
        );
        last = Some(r);
        // The pace of the collector's own interval (1 s here); the condition decides, not the wait.
        tokio::time::sleep(Duration::from_millis(1000)).await;
    }
}

pub fn link<'a>(r: &'a RoundReport, name: &str) -> Option<&'a LinkSample> {
    r.samples.iter().find(|s| s.link == name)
}

pub fn verdict<'a>(r: &'a RoundReport, from: &str, to: &str) -> &'a Readiness {
    r.verdicts
        .iter()
        .find(|v| v.from == from && v.to == to)
        .expect("a verdict for the direction")
}

/// The DR event of `fingerprint`, whatever its status.
pub async fn dr_event(store: &Store, fingerprint: &str) -> Option<Event> {
    let mut q = EventQuery::parse("source:dr status:open,acked,resolved,closed", "").unwrap();
    q.limit = 1000;
    store
        .list_events(&q)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.fingerprint == fingerprint)
}
