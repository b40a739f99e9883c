//! Two `mariadbd` with GTID replication.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::super::{free_port, require_program, wait_until};
use super::{Daemon, Writer, run};

/// Two `mariadbd`: a primary (binlog, server id 1) and a GTID replica (server id 2).
pub struct MariaPair {
    pub primary: Daemon,
    pub replica: Daemon,
    pub primary_port: u16,
    pub replica_port: u16,
    dir: tempfile::TempDir,
}

impl MariaPair {
    /// Start the pair and replication, or `None` when MariaDB is not installed (outside CI).
    pub fn start() -> Option<MariaPair> {
        if !require_program("/usr/sbin/mariadbd", "mariadb-server")
            || !require_program("/usr/bin/mariadb-install-db", "mariadb-server")
        {
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let p = dir.path().join("p");
        // One install, copied: the data directory of a fresh server is the same for both.
        run(Command::new("mariadb-install-db").args([
            "--no-defaults",
            &format!("--datadir={}", p.display()),
            "--user=root",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ]));
        let r = dir.path().join("r");
        run(Command::new("cp").arg("-a").arg(&p).arg(&r));
        let (pp, rp) = (free_port(), free_port());
        let start = |name: &str, data: &Path, port: u16, id: u32| {
            let sock = dir.path().join(format!("{name}.sock"));
            Daemon::spawn(
                name,
                Command::new("/usr/sbin/mariadbd").args([
                    "--no-defaults",
                    &format!("--datadir={}", data.display()),
                    &format!("--port={port}"),
                    "--bind-address=127.0.0.1",
                    &format!("--socket={}", sock.display()),
                    &format!("--pid-file={}/{name}.pid", dir.path().display()),
                    &format!("--server-id={id}"),
                    "--log-bin=mysql-bin",
                    "--binlog-format=ROW",
                    "--user=root",
                    "--skip-name-resolve",
                    "--innodb-buffer-pool-size=16M",
                    "--innodb-log-file-size=8M",
                    "--max-connections=50",
                    &format!("--log-error={}/{name}.err", dir.path().display()),
                ]),
            )
        };
        let primary = start("primary", &p, pp, 1);
        let replica = start("replica", &r, rp, 2);
        let pair = MariaPair {
            primary,
            replica,
            primary_port: pp,
            replica_port: rp,
            dir,
        };
        for side in ["primary", "replica"] {
            wait_until(&format!("mariadbd {side} answers"), 60, || {
                Command::new("mariadb-admin")
                    .args(["--socket", &pair.socket(side), "-uroot", "ping"])
                    .output()
                    .ok()
                    .filter(|o| o.status.success())
            });
        }
        pair.sql(
            "primary",
            "CREATE USER 'nw'@'%' IDENTIFIED BY 'nw'; GRANT ALL ON *.* TO 'nw'@'%'; \
             CREATE DATABASE app; CREATE TABLE app.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64));",
        );
        pair.sql(
            "replica",
            &format!(
                "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={pp}, MASTER_USER='nw', \
                 MASTER_PASSWORD='nw', MASTER_USE_GTID=slave_pos; START REPLICA;"
            ),
        );
        wait_until("the MariaDB replica has the primary's schema", 60, || {
            let out = pair.sql(
                "replica",
                "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='app'",
            );
            (out.trim() == "1").then_some(())
        });
        Some(pair)
    }

    fn socket(&self, side: &str) -> String {
        self.dir
            .path()
            .join(format!("{side}.sock"))
            .display()
            .to_string()
    }

    /// Run SQL as root on `primary` or `replica`; tab-separated rows without headers.
    pub fn sql(&self, side: &str, sql: &str) -> String {
        run(Command::new("mariadb").args([
            "--socket",
            &self.socket(side),
            "-uroot",
            "-N",
            "-B",
            "-e",
            sql,
        ]))
    }

    /// A field of `SHOW REPLICA STATUS` on the replica.
    pub fn replica_status(&self, field: &str) -> String {
        let out = run(Command::new("mariadb").args([
            "--socket",
            &self.socket("replica"),
            "-uroot",
            "-e",
            "SHOW REPLICA STATUS\\G",
        ]));
        out.lines()
            .filter_map(|l| l.trim().split_once(": "))
            .find(|(k, _)| *k == field)
            .map(|(_, v)| v.to_owned())
            .unwrap_or_default()
    }

    pub fn dsn(&self, side: &str) -> String {
        let port = if side == "primary" {
            self.primary_port
        } else {
            self.replica_port
        };
        format!("mysql://nw:nw@127.0.0.1:{port}/mysql")
    }

    /// Inserts on the primary every `period` until dropped.
    pub fn writer(&self, period: Duration) -> Writer {
        let mut cmd = Command::new("mariadb");
        cmd.args(["--socket", &self.socket("primary"), "-uroot", "app"]);
        Writer::start(cmd, period, |n| {
            format!("INSERT INTO t (v) VALUES ('row {n}');\n")
        })
    }
}
