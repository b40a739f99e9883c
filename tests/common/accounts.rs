//! A second real Unix account for tests of identity (the two-person rule): created with `useradd`
//! (needs root), removed with `userdel` when dropped. Commands run as it through util-linux
//! `setpriv`, which changes the uid and keeps the environment exactly as the test sets it, so a
//! test can also lie in `USER`/`LOGNAME`/`SUDO_USER` and show that nothing believes them.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A throwaway account: its name, ids and a private home with its own XDG dirs.
pub struct Account {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: tempfile::TempDir,
}

impl Account {
    /// Create one, or `None` (with a note) when this test process cannot (not root); under
    /// `CI=true` that is a failure, not a skip.
    pub fn create() -> Option<Account> {
        let root = rustix::process::geteuid().is_root();
        let tools =
            Path::new("/usr/sbin/useradd").exists() && Path::new("/usr/bin/setpriv").exists();
        if !root || !tools {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "creating a second Unix account needs root, useradd (passwd) and setpriv (util-linux)"
                );
            }
            eprintln!("skipping: creating a second Unix account needs root, useradd and setpriv");
            return None;
        }
        let name = format!(
            "nwt{}",
            super::unique()
                .replace('_', "")
                .chars()
                .take(20)
                .collect::<String>()
        );
        let ok = Command::new("useradd")
            .args([
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                "--user-group",
                &name,
            ])
            .status()
            .expect("run useradd");
        assert!(ok.success(), "useradd {name} failed");
        let id = |flag: &str| -> u32 {
            let o = Command::new("id")
                .args([flag, &name])
                .output()
                .expect("run id");
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse()
                .expect("numeric id")
        };
        let (uid, gid) = (id("-u"), id("-g"));
        let home = tempfile::tempdir().expect("temp dir");
        std::os::unix::fs::chown(home.path(), Some(uid), Some(gid)).expect("chown home");
        Some(Account {
            name,
            uid,
            gid,
            home,
        })
    }

    /// The `nightwatch` binary run as this account, with its own XDG dirs and an environment
    /// that claims to be `claims` (USER, LOGNAME, SUDO_USER).
    pub fn nightwatch(&self, claims: &str) -> Command {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid",
            &self.uid.to_string(),
            "--regid",
            &self.gid.to_string(),
            "--clear-groups",
            "--",
            env!("CARGO_BIN_EXE_nightwatch"),
        ]);
        let d = self.home.path();
        c.env("XDG_CONFIG_HOME", d.join("config"))
            .env("XDG_DATA_HOME", d.join("data"))
            .env("XDG_STATE_HOME", d.join("state"))
            .env("HOME", d)
            .env("TMPDIR", d)
            .env("USER", claims)
            .env("LOGNAME", claims)
            .env("SUDO_USER", claims)
            .env_remove("NIGHTWATCH_DATABASE_URL")
            .env_remove("NIGHTWATCH_CONFIG")
            .stdin(std::process::Stdio::null());
        c
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        let _ = Command::new("userdel").arg(&self.name).status();
    }
}

/// Let every account read and write the SQLite database in `dir` (the test's sandbox).
pub fn share_sqlite(dir: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let open = |p: PathBuf, mode: u32| {
        if p.exists() {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).expect("chmod");
        }
    };
    open(dir.to_owned(), 0o777);
    for f in ["nw.db", "nw.db-wal", "nw.db-shm"] {
        open(dir.join(f), 0o666);
    }
}
