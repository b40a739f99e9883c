//! Hosts reached over SSH for the remote-executor tests (issue 15): each "host" is a network
//! namespace with its own real `sshd` (Debian openssh-server), a generated host key and an
//! authorised test key.
//!
//! Only loopback addresses are test targets: host `i` listens on `127.15.i.1:PORT` of the
//! root namespace, where a `socat` hands each connection to `ip netns exec HOST sshd -i` (sshd's
//! inetd mode, one sshd per connection as a forking sshd does), so the session and every process
//! it starts live in the host's namespace. The host behind the jump host is served by a `socat`
//! *inside the jump host's namespace* on its own 127.0.0.1: it is reachable only through the
//! jump host. Needs root (`ip netns`), `sshd`, `socat`; under `CI=true` a missing piece fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

use super::Proc;

/// One namespaced host.
pub struct SshHost {
    /// The network namespace (`ip netns exec NS …` is "on the host").
    pub ns: String,
    /// Address and port as the engine (or the jump host) reaches it.
    pub addr: String,
    pub port: u16,
    /// Reached only through this host (index into the estate's hosts).
    pub jump: Option<usize>,
    host_key: PathBuf,
}

/// A set of namespaced hosts, torn down (processes killed, namespaces deleted) when dropped.
pub struct SshEstate {
    pub dir: tempfile::TempDir,
    /// The remote account (made for the estate: shell `/bin/sh`, no rc files, so a session costs
    /// what sshd costs and not what root's `.bashrc` on this machine does).
    pub user: String,
    /// The authorised client key (private key file).
    pub client_key: PathBuf,
    pub hosts: Vec<SshHost>,
    procs: Vec<Proc>,
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn keygen(path: &Path) {
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_file(path.with_extension("pub"));
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "nw-test", "-f"])
        .arg(path));
}

/// Whether this machine can run the fixture; `false` (skip) outside CI, panics under `CI=true`.
pub fn available() -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let missing = [
        "/usr/sbin/sshd",
        "/usr/bin/socat",
        "/usr/bin/ssh",
        "/usr/bin/setsid",
    ]
    .into_iter()
    .find(|p| !Path::new(p).exists());
    let probe = format!("nwprobe{}", std::process::id());
    let netns = Command::new("ip")
        .args(["netns", "add", &probe])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if netns {
        let _ = Command::new("ip").args(["netns", "del", &probe]).status();
    }
    match (missing, netns) {
        (None, true) => true,
        (m, n) => {
            let why = match m {
                Some(p) => format!("{p} is missing (apt-get install openssh-server socat)"),
                None if !n => "cannot create network namespaces (needs root)".to_owned(),
                None => unreachable!(),
            };
            if ci {
                panic!("SSH host fixture: {why}; under CI=true these tests must run");
            }
            eprintln!("skipping: {why}");
            false
        }
    }
}

impl SshEstate {
    /// `direct` hosts reached directly, plus (when `behind_jump`) one more reached only through
    /// host 0. Returns once every host answers `ssh … true`.
    pub fn start(direct: usize, behind_jump: bool) -> SshEstate {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        // sshd reads authorized_keys as the account: the directory must let it through.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        std::fs::create_dir_all("/run/sshd").expect("/run/sshd");
        let user = format!(
            "nws{}",
            super::unique()
                .replace('_', "")
                .chars()
                .take(20)
                .collect::<String>()
        );
        run(Command::new("useradd").args([
            "--no-create-home",
            "--home-dir",
            "/",
            "--shell",
            "/bin/sh",
            "--user-group",
            &user,
        ]));
        // A locked account ("!") refuses even key logins; "*" only disables the password.
        run(Command::new("usermod").args(["-p", "*", &user]));
        let client_key = dir.path().join("client");
        keygen(&client_key);
        let auth = dir.path().join("authorized_keys");
        std::fs::copy(client_key.with_extension("pub"), &auth).expect("authorized_keys");
        std::fs::set_permissions(&auth, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let tag = super::unique().replace('_', "");
        let mut estate = SshEstate {
            dir,
            user,
            client_key,
            hosts: Vec::new(),
            procs: Vec::new(),
        };
        let total = direct + usize::from(behind_jump);
        for i in 0..total {
            let ns = format!("nw{}h{i}", &tag[tag.len().saturating_sub(8)..]);
            run(Command::new("ip").args(["netns", "add", &ns]));
            run(Command::new("ip").args(["-n", &ns, "link", "set", "lo", "up"]));
            // A mark of the host's own: an interface only this namespace has.
            run(Command::new("ip").args([
                "-n",
                &ns,
                "link",
                "add",
                &format!("nwh{i}a"),
                "type",
                "veth",
                "peer",
                "name",
                &format!("nwh{i}b"),
            ]));
            let host_key = estate.dir.path().join(format!("host{i}"));
            keygen(&host_key);
            let cfg = estate.dir.path().join(format!("sshd{i}.conf"));
            std::fs::write(
                &cfg,
                format!(
                    "HostKey {}\nAuthorizedKeysFile {}\nPermitRootLogin no\n\
                     StrictModes no\nUsePAM no\nPidFile none\nLogLevel ERROR\n\
                     PasswordAuthentication no\nKbdInteractiveAuthentication no\n",
                    host_key.display(),
                    auth.display()
                ),
            )
            .expect("sshd config");
            let exec = format!(
                "EXEC:ip netns exec {ns} /usr/sbin/sshd -i -f {}",
                cfg.display()
            );
            let port = super::free_port();
            let hidden = behind_jump && i == total - 1;
            let (addr, mut cmd) = if hidden {
                // Inside the jump host's namespace: only the jump host can reach it.
                let mut c = Command::new("ip");
                c.args(["netns", "exec", &estate.hosts[0].ns, "socat"]);
                ("127.0.0.1".to_owned(), c)
            } else {
                (format!("127.15.{}.1", i + 1), Command::new("socat"))
            };
            cmd.arg(format!("TCP-LISTEN:{port},bind={addr},fork,reuseaddr"))
                .arg(exec)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            estate.procs.push(Proc(cmd.spawn().expect("socat")));
            estate.hosts.push(SshHost {
                ns,
                addr,
                port,
                jump: hidden.then_some(0),
                host_key,
            });
        }
        for i in 0..total {
            let h = &estate.hosts[i];
            let listening = |ns: Option<&str>| {
                let probe = match ns {
                    Some(ns) => Command::new("ip")
                        .args(["netns", "exec", ns, "ss", "-Hltn"])
                        .output(),
                    None => Command::new("ss").args(["-Hltn"]).output(),
                };
                probe.is_ok_and(|o| {
                    String::from_utf8_lossy(&o.stdout).contains(&format!("{}:{}", h.addr, h.port))
                })
            };
            let ns = h.jump.map(|j| estate.hosts[j].ns.clone());
            super::wait_until(&format!("socat for host {i} listening"), 10, || {
                listening(ns.as_deref()).then_some(())
            });
        }
        estate
    }

    /// Host `i`'s ssh endpoint, as the `endpoints` object of a component.
    pub fn endpoints(&self, i: usize) -> Value {
        json!({ "ssh": self.ssh(i) })
    }

    /// Host `i`'s `ssh` table.
    pub fn ssh(&self, i: usize) -> Value {
        let h = &self.hosts[i];
        let mut ssh = json!({
            "host": h.addr,
            "port": h.port,
            "user": self.user,
            "identity_file": self.client_key.display().to_string(),
        });
        if let Some(j) = h.jump {
            ssh["jump"] = self.ssh(j);
        }
        ssh
    }

    /// Run `args` on host `i` itself (`ip netns exec NS …`).
    pub fn on_host(&self, i: usize, args: &[&str]) -> String {
        let out = run(Command::new("ip")
            .args(["netns", "exec", &self.hosts[i].ns])
            .args(args));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Pids of processes whose command line contains `marker`, in host `i`'s namespace.
    pub fn pids_on_host(&self, i: usize, marker: &str) -> Vec<u32> {
        let out = Command::new("pgrep")
            .args(["-f", marker])
            .output()
            .expect("pgrep");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.trim().parse::<u32>().ok())
            .filter(|pid| {
                Command::new("ip")
                    .args(["netns", "identify", &pid.to_string()])
                    .output()
                    .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == self.hosts[i].ns)
            })
            .collect()
    }

    /// Give host `i` a new host key (the next connection presents it).
    pub fn rekey(&self, i: usize) {
        keygen(&self.hosts[i].host_key);
    }

    /// The `SHA256:…` fingerprint of host `i`'s key, as `ssh-keygen -l` prints it.
    pub fn fingerprint(&self, i: usize) -> String {
        let out = run(Command::new("ssh-keygen")
            .arg("-lf")
            .arg(self.hosts[i].host_key.with_extension("pub")));
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_owned()
    }
}

impl Drop for SshEstate {
    fn drop(&mut self) {
        self.procs.clear();
        for h in self.hosts.iter().rev() {
            // Every session still open on the host (a ControlMaster's sshd) dies with it.
            if let Ok(out) = Command::new("ip").args(["netns", "pids", &h.ns]).output() {
                for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                    let _ = Command::new("kill").args(["-KILL", pid]).status();
                }
            }
            let _ = Command::new("ip").args(["netns", "del", &h.ns]).status();
        }
        let _ = Command::new("pkill")
            .args(["-KILL", "-u", &self.user])
            .status();
        let _ = Command::new("userdel").arg(&self.user).status();
    }
}
