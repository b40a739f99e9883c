//! Issue 15: probes and plan steps on a component's own host, over SSH, against real `sshd`s in
//! network namespaces (tests/common/ssh_hosts.rs; one host reachable only through a jump host).
//!
//! Shown here: command, host and process probes and the `command` operation give what the host
//! itself reports (`ip netns exec …`); an unknown or changed host key is refused with its
//! fingerprint, `nightwatch hosts trust` records it and two nightwatch processes with their own
//! data directories share the store; hostile values arrive as data. Timeouts, aborts, bounds,
//! plans and the store on three backends: tests/remote_ssh_exec.rs.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::Sandbox;
use common::ssh_exec::{T, db, endpoint, executor, sh, target, trust_all};
use common::ssh_hosts::{SshEstate, available};
use nightwatch::domain::ssh::KnownHost;
use nightwatch::ops::Live;
use nightwatch::probes::{
    self, CommandSpec, HostSpec, On, ProbeContext, ProbeError, ProbeSpec, ProcessSpec,
};
use nightwatch::remote::{Limits, RemoteCommand, RemoteError};
use nightwatch::store::Store;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn probes_and_steps_on_three_hosts_match_what_each_host_reports() {
    if !available() {
        return;
    }
    let estate = SshEstate::start(2, true);
    let (db, store) = db().await;
    let exec = executor(&store, Limits::default());
    trust_all(&store, &exec, &estate).await;
    let ctx = ProbeContext::new().with_remote(Arc::clone(&exec));
    for i in 0..3 {
        let t = target(&estate, i);
        // Command probe: the host's own interfaces (each namespace has its own `nwhI…` pair).
        let spec = ProbeSpec::Command(CommandSpec {
            script: "ls /sys/class/net".into(),
            on: On::Target,
            ..CommandSpec::default()
        });
        let out = probes::run_in(&ctx, &spec, &t, T)
            .await
            .expect("command probe");
        let own = estate.on_host(i, &["ls", "/sys/class/net"]);
        assert_eq!(out.values["EXIT_CODE"], 0, "{}", out.output);
        assert!(out.output.starts_with(&own), "{i}: {} vs {own}", out.output);
        assert!(own.contains(&format!("nwh{i}a")), "{own}");

        // Host probe: the remote /proc and df.
        let spec = ProbeSpec::Host(HostSpec {
            mounts: vec!["/".into()],
            on: On::Target,
            ..HostSpec::default()
        });
        let out = probes::run_in(&ctx, &spec, &t, T)
            .await
            .expect("host probe");
        let cpus: u64 = estate
            .on_host(i, &["grep", "-c", "^processor", "/proc/cpuinfo"])
            .trim()
            .parse()
            .unwrap();
        assert_eq!(out.values["CPU_COUNT"], cpus);
        let df = estate.on_host(i, &["df", "-Pk", "/"]);
        let f: Vec<u64> = df
            .lines()
            .nth(1)
            .unwrap()
            .split_whitespace()
            .skip(1)
            .take(3)
            .map(|x| x.parse().unwrap())
            .collect();
        let disk = 100.0 * (f[0] - f[2]) as f64 / f[0] as f64;
        let got = out.values["DISK[/]"].as_f64().unwrap();
        assert!((got - disk).abs() < 1.0, "disk {got} vs {disk}");
        let mem = estate.on_host(i, &["cat", "/proc/meminfo"]);
        let kb = |k: &str| -> f64 {
            mem.lines()
                .find(|l| l.starts_with(k))
                .unwrap()
                .split_whitespace()
                .nth(1)
                .unwrap()
                .parse()
                .unwrap()
        };
        let used = 100.0 * (kb("MemTotal:") - kb("MemAvailable:")) / kb("MemTotal:");
        let got = out.values["MEMORY"].as_f64().unwrap();
        assert!((got - used).abs() < 5.0, "memory {got} vs {used}");
        assert!(out.values["CPU"].as_f64().unwrap() >= 0.0);

        // Process probe: a process started on that host.
        let marker = format!("7{}{i}", &common::unique().replace('_', "")[..6]);
        let _sleeper = common::Proc(
            std::process::Command::new("ip")
                .args([
                    "netns",
                    "exec",
                    &estate.hosts[i].ns,
                    "sleep",
                    &format!("{marker}.5"),
                ])
                .spawn()
                .unwrap(),
        );
        common::wait_until("sleeper", 5, || {
            (!estate.pids_on_host(i, &marker).is_empty()).then_some(())
        });
        let spec = ProbeSpec::Process(ProcessSpec {
            name: Some("sleep".into()),
            cmdline: Some(format!("{marker}.5")),
            on: On::Target,
        });
        let out = probes::run_in(&ctx, &spec, &t, T)
            .await
            .expect("process probe");
        assert_eq!(out.values["COUNT"], 1, "{}", out.output);

        // The plan `command` operation: output streamed, values like locally.
        let live = Live::new();
        let env = BTreeMap::from([("NODE".to_owned(), format!("host-{i}"))]);
        let ep = endpoint(&estate, i);
        let o = nightwatch::ops::remote::run(
            &exec,
            &ep,
            "sh",
            "echo \"on $NODE\" >&2; ls /sys/class/net >&2; echo '{\"ifaces\": '$(ls /sys/class/net | wc -l)'}'",
            &env,
            T,
            &live,
        )
        .await
        .expect("remote step");
        assert!(o.ok, "{o:?}");
        let n = own.lines().count();
        assert_eq!(o.values["IFACES"], n);
        let text = live.snapshot();
        assert!(text.contains(&format!("stderr: on host-{i}\n")), "{text}");
        assert!(text.contains(&format!("stderr: nwh{i}a\n")), "{text}");
    }
    // One connection per host, reused by all of the above: a single sshd session process per
    // namespace (sshd names it `sshd: USER@notty`).
    for i in 0..3 {
        let sessions = estate.pids_on_host(i, &format!("sshd: {}@notty", estate.user));
        assert_eq!(sessions.len(), 1, "host {i}: {sessions:?}");
    }
    drop(exec);
    store.close().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn host_keys_are_strict_trusted_by_the_cli_and_shared_by_engines() {
    if !available() {
        return;
    }
    let estate = SshEstate::start(1, true);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/shared.db?mode=rwc", dir.path().display());
    let (a, b) = (Sandbox::new(), Sandbox::new());
    let nw = |sb: &Sandbox, args: &[&str], input: &str| {
        use std::io::Write as _;
        let mut c = sb.command();
        c.env("NIGHTWATCH_DATABASE_URL", &url)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = c.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let o = child.wait_with_output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        (o.status.success(), text)
    };
    let content = dir.path().join("hosts.toml");
    let table = |i: usize| {
        let v: toml::Value = serde_json::from_value(estate.ssh(i)).unwrap();
        toml::to_string(&v).unwrap()
    };
    std::fs::write(
        &content,
        format!(
            "[[component]]\nname = \"app-1\"\nkind = \"host\"\nlayer = \"physical\"\n[component.endpoints.ssh]\n{}\n\
             [[component]]\nname = \"app-hidden\"\nkind = \"host\"\nlayer = \"physical\"\n[component.endpoints.ssh]\n{}",
            table(0),
            table(1).replace("[jump]", "[component.endpoints.ssh.jump]")
        ),
    )
    .unwrap();
    let (ok, text) = nw(&a, &["apply", content.to_str().unwrap()], "");
    assert!(ok, "{text}");

    let store = Store::connect(&url, &Default::default()).await.unwrap();
    let exec = executor(&store, Limits::default());
    let ep0 = endpoint(&estate, 0);
    // Unknown: refused, naming the fingerprint the host presents.
    let err = exec.run(&ep0, sh("true"), T, 1024).await.unwrap_err();
    let fp0 = estate.fingerprint(0);
    assert!(
        matches!(&err, RemoteError::HostKey(m) if m.contains(&fp0) && m.contains("not trusted")),
        "{err}"
    );
    // A probe on that host cannot reach it: its own verdict ("cannot reach host"), not a failure.
    let ctx = ProbeContext::new().with_remote(Arc::clone(&exec));
    let on_host = ProbeSpec::Command(CommandSpec {
        script: "true".into(),
        on: On::Target,
        ..CommandSpec::default()
    });
    let err = probes::run_in(&ctx, &on_host, &target(&estate, 0), T)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProbeError::Unreachable(m) if m.contains(&fp0)),
        "{err:?}"
    );
    assert!(err.to_string().starts_with("cannot reach host: "), "{err}");
    drop(ctx);
    drop(exec);

    // `hosts trust` shows the fingerprint and records nothing without a yes.
    let (ok, text) = nw(&a, &["hosts", "trust", "app-1"], "no\n");
    assert!(
        !ok && text.contains(&fp0) && text.contains("not trusted"),
        "{text}"
    );
    assert!(store.list_known_hosts().await.unwrap().is_empty());
    let (ok, text) = nw(&a, &["hosts", "trust", "app-1"], "yes\n");
    assert!(ok && text.contains(&fp0), "{text}");

    // The hidden host: its jump (already trusted) first, then itself through the jump.
    let (ok, text) = nw(&a, &["hosts", "trust", "app-hidden", "--yes"], "");
    assert!(ok, "{text}");
    assert!(
        text.contains("already trusted") && text.contains(&estate.fingerprint(1)),
        "{text}"
    );

    // The other process (its own data directory, same database) sees and uses the same store.
    let (ok, text) = nw(&b, &["hosts", "list", "-o", "json"], "");
    assert!(ok, "{text}");
    let listed: Vec<KnownHost> = serde_json::from_str(&text).unwrap();
    let fps: Vec<&str> = listed.iter().map(|k| k.fingerprint.as_str()).collect();
    assert!(
        fps.contains(&fp0.as_str()) && fps.contains(&estate.fingerprint(1).as_str()),
        "{fps:?}"
    );
    let exec = executor(&store, Limits::default());
    let out = exec
        .run(&endpoint(&estate, 1), sh("ls /sys/class/net"), T, 4096)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.stdout, estate.on_host(1, &["ls", "/sys/class/net"]));
    drop(exec);

    // A changed key is refused, naming both fingerprints; trusting again lets it through.
    estate.rekey(0);
    let new0 = estate.fingerprint(0);
    let exec = executor(&store, Limits::default());
    let err = exec.run(&ep0, sh("true"), T, 1024).await.unwrap_err();
    assert!(
        matches!(&err, RemoteError::HostKey(m) if m.contains("CHANGED") && m.contains(&new0) && m.contains(&fp0)),
        "{err}"
    );
    assert!(exec.last_error(&ep0).is_some_and(|e| e.contains(&new0)));
    let (ok, text) = nw(&b, &["hosts", "trust", "app-1", "--yes"], "");
    assert!(
        ok && text.contains("CHANGED") && text.contains(&new0),
        "{text}"
    );
    let out = exec
        .run(&ep0, sh("echo ok"), T, 1024)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.stdout, "ok\n");
    assert!(exec.last_error(&ep0).is_none());
    // A user the host does not authorise: refused authentication is "cannot reach host" too.
    let mut stranger = target(&estate, 0);
    stranger.endpoints["ssh"]["user"] = json!("nw-stranger");
    let ctx = ProbeContext::new().with_remote(Arc::clone(&exec));
    let err = probes::run_in(&ctx, &on_host, &stranger, T)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProbeError::Unreachable(m) if m.contains("nw-stranger@") && m.contains("Permission denied")),
        "{err:?}"
    );
    drop(ctx);
    drop(exec);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_values_reach_the_remote_side_as_data() {
    if !available() {
        return;
    }
    let estate = SshEstate::start(1, false);
    let (db, store) = db().await;
    let exec = executor(&store, Limits::default());
    trust_all(&store, &exec, &estate).await;
    let pwned = format!("/tmp/nw-pwned-{}", common::unique());
    let hostile =
        format!("$(touch {pwned}) `touch {pwned}` '\"; touch {pwned}; \n'second line\n\\");
    // A command probe's params, from a component label through a placeholder.
    let mut t = target(&estate, 0);
    t.labels = json!({ "evil": hostile });
    let spec = ProbeSpec::Command(CommandSpec {
        script: "printf '%s' \"$V\"".into(),
        params: BTreeMap::from([("V".to_owned(), "{labels.evil}".to_owned())]),
        on: On::Target,
        ..CommandSpec::default()
    });
    let ctx = ProbeContext::new().with_remote(Arc::clone(&exec));
    let out = probes::run_in(&ctx, &spec, &t, T).await.unwrap();
    assert!(
        out.output
            .starts_with(&format!("{hostile}\n--- stderr ---")),
        "{}",
        out.output
    );
    // A step's env and the name of the target: the same.
    let env = BTreeMap::from([
        ("V".to_owned(), hostile.clone()),
        ("NW_TARGET".to_owned(), hostile.clone()),
    ]);
    let live = Live::new();
    let o = nightwatch::ops::remote::run(
        &exec,
        &endpoint(&estate, 0),
        "bash",
        "[ \"$V\" = \"$NW_TARGET\" ] && printf '%s' \"$V\" | od -c | head -1",
        &env,
        T,
        &live,
    )
    .await
    .unwrap();
    assert!(o.ok, "{o:?} {}", live.snapshot());
    assert!(!std::path::Path::new(&pwned).exists());
    assert!(
        estate
            .on_host(0, &["sh", "-c", &format!("ls {pwned} 2>/dev/null || true")])
            .is_empty()
    );
    // Reserved names never leave: refused before anything starts.
    let env = vec![("NIGHTWATCH_SECRET_KEY".to_owned(), "x".to_owned())];
    let err = exec
        .run(
            &endpoint(&estate, 0),
            RemoteCommand {
                program: "sh",
                script: "env",
                env: &env,
                workdir: None,
            },
            T,
            1024,
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("NIGHTWATCH_SECRET_KEY"), "{err}");
    drop(exec);
    store.close().await;
    db.cleanup().await;
}
