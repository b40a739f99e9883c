//! Measuring one sync link from its two real servers: state, lag and bytes behind, with what each
//! server reported kept in the sample's detail. Each end is read concurrently with its own timeout,
//! so a stopped replica still leaves the primary's view (and the lag it implies).
//!
//! Lag, per kind:
//! - MariaDB: `Seconds_Behind_Master` while both threads run; the server reports NULL once a thread
//!   stops, so the lag then comes from the GTID history: how long ago the primary first had a
//!   transaction the replica has still not applied. Bytes: primary binlog position minus
//!   `Exec_Master_Log_Pos` (same binlog file).
//! - PostgreSQL: on the standby, `now() - pg_last_xact_replay_timestamp()` while replay is behind
//!   the received WAL (0 when caught up); bytes: primary `pg_current_wal_lsn() - replay_lsn`.
//! - Redis: bytes = master offset − the replica's acknowledged offset (from the master's `INFO
//!   replication`), seconds = bytes ÷ the master's offset rate over the last minute.

use std::collections::VecDeque;
use std::time::Duration;

use serde_json::{Value, json};

use super::read::{gtid_seq, num, redis_info, sql_row, sql_rows, text};
use crate::domain::Component;
use crate::domain::dr::{LinkSample, LinkState, SyncLink};

/// How far back the position history of a link reaches.
const HISTORY_MS: i64 = 3_600_000;

/// The window over which Redis' offset rate is measured.
const RATE_WINDOW_MS: i64 = 60_000;

/// What the collector remembers of a link between rounds (the master's position over time).
#[derive(Debug, Clone, Default)]
pub struct LinkMemory {
    positions: VecDeque<(i64, i64)>,
}

impl LinkMemory {
    fn record(&mut self, at: i64, pos: i64) {
        if self.positions.back().is_none_or(|(_, p)| *p != pos) {
            self.positions.push_back((at, pos));
        }
        while self
            .positions
            .front()
            .is_some_and(|(t, _)| *t < at - HISTORY_MS)
            && self.positions.len() > 1
        {
            self.positions.pop_front();
        }
    }

    /// How long ago the source first reached a position beyond `applied` (0: caught up).
    fn behind_since(&self, applied: i64, now: i64) -> i64 {
        self.positions
            .iter()
            .find(|(_, p)| *p > applied)
            .map_or(0, |(t, _)| (now - t).max(0))
    }

    /// Source positions per second over the last minute.
    fn rate(&self, now: i64) -> f64 {
        let Some(&(t1, p1)) = self.positions.back() else {
            return 0.0;
        };
        let first = self
            .positions
            .iter()
            .find(|(t, _)| *t >= now - RATE_WINDOW_MS)
            .copied();
        match first {
            Some((t0, p0)) if t1 > t0 => (p1 - p0) as f64 * 1000.0 / (t1 - t0) as f64,
            _ => 0.0,
        }
    }
}

/// Measure `link` at `now`.
pub async fn link(
    l: &SyncLink,
    source: &Component,
    target: &Component,
    mem: &mut LinkMemory,
    ctx: &crate::probes::ProbeContext,
    timeout: Duration,
    now: i64,
) -> LinkSample {
    let r = match l.kind {
        crate::domain::dr::LinkKind::MysqlReplication => {
            mysql(l, source, target, mem, timeout, now).await
        }
        crate::domain::dr::LinkKind::PostgresStreaming => {
            postgres(l, source, target, timeout, now).await
        }
        crate::domain::dr::LinkKind::RedisReplication => {
            redis(l, source, target, mem, timeout, now).await
        }
        crate::domain::dr::LinkKind::Probe => probe(l, target, ctx, timeout, now).await,
    };
    r.unwrap_or_else(|message| LinkSample::unknown(&l.name, now, message))
}

const MYSQL_SOURCE: &str = "SELECT @@gtid_binlog_pos AS gtid, \
     (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'BINLOG_SNAPSHOT_FILE') AS file, \
     (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'BINLOG_SNAPSHOT_POSITION') AS pos";

async fn mysql(
    l: &SyncLink,
    source: &Component,
    target: &Component,
    mem: &mut LinkMemory,
    timeout: Duration,
    now: i64,
) -> Result<LinkSample, String> {
    let (src, status, applied) = tokio::join!(
        sql_row(source, MYSQL_SOURCE, timeout),
        sql_row(target, "SHOW REPLICA STATUS", timeout),
        sql_row(target, "SELECT @@gtid_slave_pos AS gtid", timeout),
    );
    let src = src?;
    let primary_seq = gtid_seq(&text(src.get("gtid")))
        .ok_or_else(|| format!("{}: unreadable gtid_binlog_pos", source.name))?;
    mem.record(now, primary_seq);
    let status = match status {
        Ok(s) => s,
        Err(e) if e.ends_with("no rows") => {
            return Ok(LinkSample {
                state: LinkState::Broken,
                message: format!(
                    "{} is not a replica (SHOW REPLICA STATUS is empty)",
                    target.name
                ),
                ..LinkSample::unknown(&l.name, now, String::new())
            });
        }
        Err(e) => return Err(e),
    };
    let applied_seq = applied
        .ok()
        .and_then(|a| gtid_seq(&text(a.get("gtid"))))
        .unwrap_or(0);
    let io = text(status.get("Slave_IO_Running"));
    let sql = text(status.get("Slave_SQL_Running"));
    let sbm = num(status.get("Seconds_Behind_Master"));
    let (state, message) = match (io.as_str(), sql.as_str()) {
        ("Yes", "Yes") => (LinkState::Running, "IO and SQL threads running".to_owned()),
        (io, sql) => {
            let mut parts = Vec::new();
            if io != "Yes" {
                let err = text(status.get("Last_IO_Error"));
                parts.push(if err.is_empty() {
                    format!("IO thread {}", if io == "No" { "stopped" } else { io })
                } else {
                    format!("IO thread: {err}")
                });
            }
            if sql != "Yes" {
                let err = text(status.get("Last_SQL_Error"));
                parts.push(if err.is_empty() {
                    "SQL thread stopped".to_owned()
                } else {
                    format!("SQL thread: {err}")
                });
            }
            (LinkState::Broken, parts.join(", "))
        }
    };
    let from_history = mem.behind_since(applied_seq, now);
    let lag_ms = sbm.map_or(from_history, |s| (s * 1000).max(from_history));
    let same_file = text(src.get("file")) == text(status.get("Relay_Master_Log_File"));
    let bytes = match (
        same_file,
        num(src.get("pos")),
        num(status.get("Exec_Master_Log_Pos")),
    ) {
        (true, Some(p), Some(e)) => Some((p - e).max(0)),
        _ => None,
    };
    Ok(LinkSample {
        link: l.name.clone(),
        at: now,
        state,
        lag_ms: Some(lag_ms),
        bytes,
        message,
        detail: json!({
            "io_running": io, "sql_running": sql, "seconds_behind_master": sbm,
            "primary_gtid": text(src.get("gtid")), "replica_gtid": text(status.get("Gtid_IO_Pos")),
            "applied_gtid_seq": applied_seq, "primary_gtid_seq": primary_seq,
            "transactions_behind": (primary_seq - applied_seq).max(0),
            "primary_file": text(src.get("file")), "primary_pos": num(src.get("pos")),
            "exec_master_log_pos": num(status.get("Exec_Master_Log_Pos")),
            "read_master_log_pos": num(status.get("Read_Master_Log_Pos")),
        }),
    })
}

const PG_PRIMARY: &str = "SELECT application_name, state, \
     (pg_current_wal_lsn() - replay_lsn)::bigint AS replay_bytes, \
     (pg_current_wal_lsn() - sent_lsn)::bigint AS sent_bytes, \
     (COALESCE(EXTRACT(EPOCH FROM replay_lag), 0) * 1000)::bigint AS replay_lag_ms \
     FROM pg_stat_replication ORDER BY application_name";

const PG_STANDBY: &str = "SELECT pg_is_in_recovery() AS recovery, \
     CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END AS paused, \
     (SELECT status FROM pg_stat_wal_receiver) AS receiver, \
     (pg_last_wal_receive_lsn() - pg_last_wal_replay_lsn())::bigint AS unreplayed_bytes, \
     CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 \
          ELSE (EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) * 1000)::bigint END AS lag_ms";

async fn postgres(
    l: &SyncLink,
    source: &Component,
    target: &Component,
    timeout: Duration,
    now: i64,
) -> Result<LinkSample, String> {
    let (primary, standby) = tokio::join!(
        sql_rows(source, PG_PRIMARY, timeout),
        sql_row(target, PG_STANDBY, timeout),
    );
    let primary = primary?;
    let wanted = super::read::endpoint(target, "application_name").ok();
    let row = match &wanted {
        Some(name) => primary
            .iter()
            .find(|r| text(r.get("application_name")) == *name),
        None => primary.first(),
    };
    let bytes = row.and_then(|r| num(r.get("replay_bytes")));
    let mut detail = json!({
        "primary_state": row.map(|r| text(r.get("state"))),
        "replay_bytes": bytes,
        "sent_bytes": row.and_then(|r| num(r.get("sent_bytes"))),
        "replay_lag_ms": row.and_then(|r| num(r.get("replay_lag_ms"))),
    });
    let Ok(s) = standby else {
        // The standby does not answer: judge from the primary's view alone.
        let (state, message) = match row {
            Some(_) => (
                LinkState::Unknown,
                format!("standby {} does not answer", target.name),
            ),
            None => (
                LinkState::Broken,
                format!("no standby streaming from {}", source.name),
            ),
        };
        return Ok(LinkSample {
            link: l.name.clone(),
            at: now,
            state,
            lag_ms: row.and_then(|r| num(r.get("replay_lag_ms"))),
            bytes,
            message,
            detail,
        });
    };
    let recovery = num(s.get("recovery")) == Some(1);
    let paused = num(s.get("paused")) == Some(1);
    let receiver = text(s.get("receiver"));
    let lag_ms = num(s.get("lag_ms")).unwrap_or(0).max(0);
    detail["standby_lag_ms"] = json!(lag_ms);
    detail["paused"] = json!(paused);
    detail["receiver"] = json!(receiver);
    detail["unreplayed_bytes"] = json!(num(s.get("unreplayed_bytes")));
    let (state, message) = if !recovery {
        (
            LinkState::Broken,
            format!("{} is not in recovery (promoted?)", target.name),
        )
    } else if paused {
        (LinkState::Broken, "WAL replay paused".to_owned())
    } else if receiver != "streaming" {
        (
            LinkState::Broken,
            format!(
                "WAL receiver {}",
                if receiver.is_empty() {
                    "not running"
                } else {
                    &receiver
                }
            ),
        )
    } else if row.is_none() {
        (
            LinkState::Broken,
            format!("{} lists no standby", source.name),
        )
    } else {
        (LinkState::Running, "streaming".to_owned())
    };
    Ok(LinkSample {
        link: l.name.clone(),
        at: now,
        state,
        lag_ms: Some(lag_ms),
        bytes,
        message,
        detail,
    })
}

async fn redis(
    l: &SyncLink,
    source: &Component,
    target: &Component,
    mem: &mut LinkMemory,
    timeout: Duration,
    now: i64,
) -> Result<LinkSample, String> {
    let (master, replica) = tokio::join!(
        redis_info(source, &["replication"], timeout),
        redis_info(target, &["replication"], timeout),
    );
    let master = master?;
    let offset: i64 = master
        .get("master_repl_offset")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("{}: no master_repl_offset", source.name))?;
    mem.record(now, offset);
    let port = super::read::endpoint(target, "port")?;
    // slaveN:ip=127.0.0.1,port=6380,state=online,offset=123,lag=0
    let entry = master
        .iter()
        .filter(|(k, _)| k.starts_with("slave") && k[5..].chars().all(|c| c.is_ascii_digit()))
        .map(|(_, v)| {
            v.split(',')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect::<std::collections::BTreeMap<String, String>>()
        })
        .find(|m| m.get("port") == Some(&port));
    let rate = mem.rate(now);
    let mut detail = json!({"master_repl_offset": offset, "offset_rate_per_sec": rate});
    let Some(e) = entry else {
        return Ok(LinkSample {
            link: l.name.clone(),
            at: now,
            state: LinkState::Broken,
            lag_ms: None,
            bytes: None,
            message: format!("{} lists no replica on port {port}", source.name),
            detail,
        });
    };
    let acked: i64 = e.get("offset").and_then(|v| v.parse().ok()).unwrap_or(0);
    let ack_lag_s: i64 = e.get("lag").and_then(|v| v.parse().ok()).unwrap_or(0);
    let bytes = (offset - acked).max(0);
    let lag_ms = if bytes == 0 {
        0
    } else if rate > 0.0 {
        (bytes as f64 / rate * 1000.0) as i64
    } else {
        ack_lag_s * 1000
    };
    detail["replica_offset"] = json!(acked);
    detail["replica_state"] = json!(e.get("state"));
    detail["ack_lag_secs"] = json!(ack_lag_s);
    let (state, message) = match &replica {
        Ok(r) => {
            let link = r.get("master_link_status").cloned().unwrap_or_default();
            detail["master_link_status"] = json!(link);
            if link == "up" {
                (LinkState::Running, "link up".to_owned())
            } else {
                (LinkState::Broken, format!("master link {link}"))
            }
        }
        Err(err) => (
            LinkState::Running,
            format!("replica does not answer ({err}); master's view"),
        ),
    };
    Ok(LinkSample {
        link: l.name.clone(),
        at: now,
        state,
        lag_ms: Some(lag_ms),
        bytes: Some(bytes),
        message,
        detail,
    })
}

async fn probe(
    l: &SyncLink,
    target: &Component,
    ctx: &crate::probes::ProbeContext,
    timeout: Duration,
    now: i64,
) -> Result<LinkSample, String> {
    let spec: crate::probes::ProbeSpec =
        serde_json::from_value(l.probe.clone().unwrap_or(Value::Null))
            .map_err(|e| format!("probe spec: {e}"))?;
    let t = crate::probes::Target {
        name: target.name.clone(),
        endpoints: target.endpoints.clone(),
        labels: target.labels.clone(),
    };
    let out = crate::probes::run_in(ctx, &spec, &t, timeout)
        .await
        .map_err(|e| e.to_string())?;
    let v = out.values.get(&l.value);
    let secs = match v {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .ok_or_else(|| format!("probe value {} is not a number of seconds: {v:?}", l.value))?;
    Ok(LinkSample {
        link: l.name.clone(),
        at: now,
        state: LinkState::Running,
        lag_ms: Some((secs * 1000.0) as i64),
        bytes: None,
        message: out.message,
        detail: json!({"value": v}),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_gives_how_long_ago_the_source_passed_the_applied_position() {
        let mut m = LinkMemory::default();
        m.record(0, 10);
        m.record(1_000, 10);
        m.record(2_000, 12);
        m.record(3_000, 15);
        assert_eq!(m.behind_since(15, 3_000), 0);
        assert_eq!(m.behind_since(10, 5_000), 3_000);
        assert_eq!(m.behind_since(5, 5_000), 5_000);
        assert!((m.rate(3_000) - 5.0 / 3.0).abs() < 1e-9);
    }
}
