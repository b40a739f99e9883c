//! Which Redis commands only read: the allow-list a check (a precheck or a postcheck, which also
//! run in dry runs) and a G1 step must keep to. Anything not listed is refused at `apply`,
//! including read-looking names that write (`GETDEL`, `GETEX`, `HGETDEL`, `HGETEX`,
//! `ZRANGESTORE`, `PFCOUNT`, which may rewrite the HyperLogLog) and reads that block the server
//! (`KEYS`, `MONITOR`). Container commands (`CLIENT`, `CONFIG`, …) are judged with their
//! subcommand. Pure: no IO.

/// Commands that only read, on their own.
const READ: &[&str] = &[
    "PING",
    "ECHO",
    "INFO",
    "TIME",
    "LASTSAVE",
    "DBSIZE",
    "ROLE",
    "GET",
    "MGET",
    "GETRANGE",
    "STRLEN",
    "EXISTS",
    "TTL",
    "PTTL",
    "EXPIRETIME",
    "PEXPIRETIME",
    "TYPE",
    "SCAN",
    "HGET",
    "HGETALL",
    "HMGET",
    "HKEYS",
    "HVALS",
    "HLEN",
    "HEXISTS",
    "HSTRLEN",
    "HSCAN",
    "LLEN",
    "LRANGE",
    "LINDEX",
    "LPOS",
    "SCARD",
    "SMEMBERS",
    "SISMEMBER",
    "SMISMEMBER",
    "SSCAN",
    "ZCARD",
    "ZCOUNT",
    "ZLEXCOUNT",
    "ZRANGE",
    "ZRANGEBYSCORE",
    "ZRANGEBYLEX",
    "ZREVRANGE",
    "ZREVRANGEBYSCORE",
    "ZREVRANGEBYLEX",
    "ZSCORE",
    "ZMSCORE",
    "ZRANK",
    "ZREVRANK",
    "ZSCAN",
    "XLEN",
    "XRANGE",
    "XREVRANGE",
];

/// `CONTAINER SUBCOMMAND` pairs that only read.
const READ_SUB: &[(&str, &[&str])] = &[
    ("CLIENT", &["LIST", "INFO", "GETNAME", "ID"]),
    ("CONFIG", &["GET"]),
    ("SLOWLOG", &["GET", "LEN"]),
    ("MEMORY", &["USAGE", "STATS", "DOCTOR"]),
    ("LATENCY", &["LATEST", "HISTORY", "DOCTOR"]),
    ("OBJECT", &["ENCODING", "FREQ", "IDLETIME", "REFCOUNT"]),
    ("CLUSTER", &["INFO", "NODES", "SLOTS", "SHARDS", "MYID"]),
    (
        "SENTINEL",
        &[
            "MASTERS",
            "MASTER",
            "REPLICAS",
            "SLAVES",
            "SENTINELS",
            "GET-MASTER-ADDR-BY-NAME",
            "CKQUORUM",
        ],
    ),
    ("XINFO", &["STREAM", "GROUPS", "CONSUMERS"]),
];

/// Whether `command` (name first, then its arguments) only reads. `Err` says what it is, for the
/// message: the name (with its subcommand, for a container command).
pub fn redis_read_only(command: &[String]) -> Result<(), String> {
    let name = command
        .first()
        .map(|c| c.trim().to_ascii_uppercase())
        .unwrap_or_default();
    if READ.contains(&name.as_str()) {
        return Ok(());
    }
    if let Some((_, subs)) = READ_SUB.iter().find(|(c, _)| *c == name) {
        let sub = command
            .get(1)
            .map(|s| s.trim().to_ascii_uppercase())
            .unwrap_or_default();
        return if subs.contains(&sub.as_str()) {
            Ok(())
        } else {
            Err(format!("{name} {sub}").trim_end().to_owned())
        };
    }
    Err(name)
}

/// A short list of the allowed commands, for messages.
pub const READ_HINT: &str = "PING, INFO, GET, EXISTS, TTL, TYPE, STRLEN, HGET, HGETALL, LLEN, LRANGE, SCARD, SMEMBERS, ZCARD, ZRANGE, DBSIZE, ROLE, CLIENT LIST/INFO, CONFIG GET, SLOWLOG GET, MEMORY USAGE, …";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn cmd(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn reads_pass_and_everything_else_is_refused() {
        for ok in [
            &["PING"][..],
            &["info", "replication"],
            &["GET", "k"],
            &["ZRANGE", "z", "0", "-1"],
            &["client", "list"],
            &["CONFIG", "GET", "maxmemory"],
            &["SLOWLOG", "GET", "10"],
            &["MEMORY", "USAGE", "k"],
            &["SENTINEL", "get-master-addr-by-name", "m"],
        ] {
            assert_eq!(redis_read_only(&cmd(ok)), Ok(()), "{ok:?}");
        }
        for (bad, named) in [
            (&["FLUSHALL"][..], "FLUSHALL"),
            (&["flushdb", "ASYNC"], "FLUSHDB"),
            (&["SET", "k", "v"], "SET"),
            (&["DEL", "k"], "DEL"),
            (&["GETDEL", "k"], "GETDEL"),
            (&["GETEX", "k", "PX", "1"], "GETEX"),
            (&["HGETDEL", "h", "FIELDS", "1", "f"], "HGETDEL"),
            (&["ZRANGESTORE", "d", "z", "0", "-1"], "ZRANGESTORE"),
            (&["KEYS", "*"], "KEYS"),
            (&["EVAL", "return 1", "0"], "EVAL"),
            (&["REPLICAOF", "NO", "ONE"], "REPLICAOF"),
            (&["SHUTDOWN"], "SHUTDOWN"),
            (&["CONFIG", "SET", "maxmemory", "1"], "CONFIG SET"),
            (&["CLIENT", "KILL", "ID", "1"], "CLIENT KILL"),
            (&["SLOWLOG", "RESET"], "SLOWLOG RESET"),
            (&["CLUSTER", "FAILOVER"], "CLUSTER FAILOVER"),
            (&["CONFIG"], "CONFIG"),
            (&[], ""),
        ] {
            assert_eq!(redis_read_only(&cmd(bad)), Err(named.to_owned()), "{bad:?}");
        }
    }
}
