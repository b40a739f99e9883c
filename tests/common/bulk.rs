//! Bulk-loading `n` synthetic risk events in ONE statement per backend (a recursive CTE on
//! SQLite, `generate_series` on PostgreSQL, the sequence engine's `seq_0_to_N` on MariaDB), for
//! the million-row benchmarks and EXPLAIN tests. The rows spread over a year (one every 30 s,
//! newest first), four levels, three sources, four data-source types, fifty components, six
//! titles, and a mix of statuses; afterwards the caller runs `Store::recount_events`.

#![allow(dead_code)]

/// The statement that inserts `n` events last seen before `now`.
pub fn bulk_events_sql(backend: &str, n: u64, now: i64) -> String {
    let last = n.saturating_sub(1);
    let cat = |parts: &[&str]| -> String {
        if backend == "mysql" {
            format!("CONCAT({})", parts.join(", "))
        } else {
            parts.join(" || ")
        }
    };
    // Integers concatenated as text: CAST for PostgreSQL (no implicit int → text with ||), and
    // parenthesised elsewhere: SQLite's `||` binds tighter than `%`, so `'P' || i % 4` would be
    // `('P' || i) % 4`, a number.
    let t = |e: &str| -> String {
        if backend == "postgres" {
            format!("CAST({e} AS TEXT)")
        } else {
            format!("({e})")
        }
    };
    let i = "i";
    let title = format!(
        "CASE {i} % 6 WHEN 0 THEN 'Disk usage above 90% on /data' WHEN 1 THEN 'Replication lag over 30 s' \
         WHEN 2 THEN 'Connection pool exhausted' WHEN 3 THEN 'Backup job failed' \
         WHEN 4 THEN 'CPU steal above 20%' ELSE 'Slow queries over threshold' END"
    );
    let host = cat(&["'db-'", &t(&format!("{i} % 50"))]);
    let cols = [
        cat(&["'bulk-'", &t(i)]),
        format!("CASE {i} % 3 WHEN 0 THEN 'alertmanager' WHEN 1 THEN 'api' ELSE 'rms' END"),
        format!(
            "CASE {i} % 4 WHEN 0 THEN 'STACK#rds' WHEN 1 THEN 'STACK#ecs' WHEN 2 THEN 'STACK#redis' ELSE 'STACK#oss' END"
        ),
        cat(&["'P'", &t(&format!("{i} % 4"))]),
        cat(&[&title, "' ('", &host, "')'"]),
        cat(&["'bench event '", &t(i)]),
        cat(&[
            "'{\"alertname\":\"Alert'",
            &t(&format!("{i} % 6")),
            "'\",\"instance\":\"'",
            &host,
            "'\"}'",
        ]),
        "'{}'".to_owned(),
        host.clone(),
        format!(
            "CASE WHEN {i} % 10 = 0 THEN 'suppressed' WHEN {i} % 7 = 0 THEN 'closed' \
             WHEN {i} % 5 = 0 THEN 'resolved' WHEN {i} % 11 = 0 THEN 'acked' ELSE 'open' END"
        ),
        "1".to_owned(),
        format!("{now} - {i} * 30000 - ({i} % 100) * 60000"),
        format!("{now} - {i} * 30000"),
        format!("1 + {i} % 7"),
        "0".to_owned(),
        "0".to_owned(),
        "0".to_owned(),
        "''".to_owned(),
        cat(&["'P'", &t(&format!("{i} % 4"))]),
        "''".to_owned(),
        format!("{now} - {i} * 30000"),
    ];
    let names = "fingerprint, source, ds_type, level, title, summary, labels, annotations, component, \
                 status, firing, first_seen, last_seen, count, flips, flip_window_start, flapping, \
                 assignee, original_level, source_url, updated_at";
    let select = cols.join(", ");
    match backend {
        "postgres" => format!(
            "INSERT INTO risk_events ({names}) SELECT {select} FROM generate_series(CAST(0 AS BIGINT), {last}) AS n(i)"
        ),
        "mysql" => format!(
            "INSERT INTO risk_events ({names}) SELECT {select} FROM (SELECT seq AS i FROM seq_0_to_{last}) AS n"
        ),
        _ => format!(
            "INSERT INTO risk_events ({names}) WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {last}) SELECT {select} FROM n"
        ),
    }
}
