//! The one place where the three SQL dialects differ: placeholders, upserts, `INSERT … IGNORE`,
//! multi-row updates, `RETURNING`, and how a free-text word reaches each backend's text index.

use std::borrow::Cow;

/// Which SQL dialect a database speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    /// MariaDB, MySQL, OceanBase (MySQL mode), TiDB.
    MySql,
    Postgres,
}

impl Dialect {
    /// From a database URL's scheme.
    pub fn from_url(url: &str) -> Option<Dialect> {
        let scheme = url.split_once(':').map(|(s, _)| s)?;
        match scheme {
            "sqlite" => Some(Dialect::Sqlite),
            "mysql" | "mariadb" => Some(Dialect::MySql),
            "postgres" | "postgresql" => Some(Dialect::Postgres),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::MySql => "mysql",
            Dialect::Postgres => "postgres",
        }
    }

    /// Rewrite `?` placeholders to `$1, $2, …` for PostgreSQL; other dialects take `?` as written.
    /// Question marks inside single-quoted literals and quoted identifiers are left alone.
    pub fn placeholders(self, query: &str) -> Cow<'_, str> {
        if self != Dialect::Postgres || !query.contains('?') {
            return Cow::Borrowed(query);
        }
        let mut out = String::with_capacity(query.len() + 8);
        let mut n = 0;
        let mut quote: Option<char> = None;
        for c in query.chars() {
            match (quote, c) {
                (None, '\'' | '"') => {
                    quote = Some(c);
                    out.push(c);
                }
                (Some(q), c) if c == q => {
                    quote = None;
                    out.push(c);
                }
                (None, '?') => {
                    n += 1;
                    out.push('$');
                    out.push_str(&n.to_string());
                }
                _ => out.push(c),
            }
        }
        Cow::Owned(out)
    }

    /// A statement written by an operator (a plan's `sql` step, a sql probe) with `?` where its
    /// bound values go, in this backend's form: PostgreSQL numbers them (`$1, $2, …`), found by
    /// tokenizing the text (`sqlparser`: quotes, dollar quotes and comments understood), so a `?`
    /// in a literal or a comment stays. Values never enter the text: they are bound.
    pub fn bind_placeholders(self, statement: &str) -> Cow<'_, str> {
        match self {
            Dialect::Postgres => Cow::Owned(crate::domain::plan::numbered_placeholders(statement)),
            Dialect::MySql | Dialect::Sqlite => Cow::Borrowed(statement),
        }
    }

    /// `INSERT INTO table (cols) VALUES (?, …)` that updates `update` columns when a row with the
    /// same `key` columns exists.
    pub fn upsert(self, table: &str, cols: &[&str], key: &[&str], update: &[&str]) -> String {
        let marks = vec!["?"; cols.len()].join(", ");
        let head = format!("INSERT INTO {table} ({}) VALUES ({marks})", cols.join(", "));
        match self {
            Dialect::MySql => {
                let sets: Vec<String> = update
                    .iter()
                    .map(|c| format!("{c} = VALUES({c})"))
                    .collect();
                format!("{head} ON DUPLICATE KEY UPDATE {}", sets.join(", "))
            }
            Dialect::Sqlite | Dialect::Postgres => {
                let sets: Vec<String> = update
                    .iter()
                    .map(|c| format!("{c} = excluded.{c}"))
                    .collect();
                format!(
                    "{head} ON CONFLICT ({}) DO UPDATE SET {}",
                    key.join(", "),
                    sets.join(", ")
                )
            }
        }
    }

    /// The database server's clock as epoch milliseconds (a BIGINT expression). Leases compare
    /// against it, so an engine whose own clock is off can neither steal a lease nor keep one.
    pub fn now_ms(self) -> &'static str {
        match self {
            Dialect::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)",
            // The session time zone is UTC (connect.rs); UNIX_TIMESTAMP is zone-proof anyway.
            Dialect::MySql => "CAST(UNIX_TIMESTAMP(CURRENT_TIMESTAMP(3)) * 1000 AS SIGNED)",
            // clock_timestamp(), not now(): now() is frozen at the start of the transaction.
            Dialect::Postgres => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
        }
    }

    /// `INSERT` that silently does nothing when the key already exists.
    pub fn insert_ignore(self, table: &str, cols: &[&str]) -> String {
        let marks = vec!["?"; cols.len()].join(", ");
        match self {
            Dialect::MySql => format!(
                "INSERT IGNORE INTO {table} ({}) VALUES ({marks})",
                cols.join(", ")
            ),
            Dialect::Sqlite | Dialect::Postgres => format!(
                "INSERT INTO {table} ({}) VALUES ({marks}) ON CONFLICT DO NOTHING",
                cols.join(", ")
            ),
        }
    }

    /// Whether `INSERT … RETURNING` is there (SQLite ≥ 3.35, PostgreSQL). The MySQL family is
    /// taken as lacking it (MariaDB has it, MySQL 8 does not).
    pub fn returning(self) -> bool {
        !matches!(self, Dialect::MySql)
    }

    /// One `UPDATE` of many rows, each by `key`: `rows` rows of values, each row `key` first and
    /// then `cols` in order (all bound, `1 + cols.len()` per row).
    pub fn update_many(self, table: &str, key: &str, cols: &[&str], rows: usize) -> String {
        let width = cols.len() + 1;
        let row = format!("({})", vec!["?"; width].join(", "));
        match self {
            // `VALUES` as a table names its columns column1, column2, … on both.
            Dialect::Sqlite | Dialect::Postgres => {
                let sets: Vec<String> = cols
                    .iter()
                    .enumerate()
                    .map(|(i, c)| format!("{c} = v.column{}", i + 2))
                    .collect();
                format!(
                    "UPDATE {table} SET {} FROM (VALUES {}) AS v WHERE {table}.{key} = v.column1",
                    sets.join(", "),
                    vec![row; rows].join(", ")
                )
            }
            Dialect::MySql => {
                let first: Vec<String> = std::iter::once(key)
                    .chain(cols.iter().copied())
                    .map(|c| format!("? AS {c}"))
                    .collect();
                let rest = format!(" UNION ALL SELECT {}", vec!["?"; width].join(", "));
                let sets: Vec<String> = cols.iter().map(|c| format!("t.{c} = v.{c}")).collect();
                format!(
                    "UPDATE {table} AS t JOIN (SELECT {}{}) AS v ON t.{key} = v.{key} SET {}",
                    first.join(", "),
                    rest.repeat(rows.saturating_sub(1)),
                    sets.join(", ")
                )
            }
        }
    }

    /// How the free-text words of an event filter reach this backend's text index: conditions
    /// (one `?` each) with the value to bind, and the words the index cannot serve (the caller
    /// matches those with `LIKE`). SQLite: one FTS5 `MATCH` of every word of 3+ characters
    /// (trigram: any substring, case-insensitive; the words are ANDed inside the index). MySQL:
    /// one boolean-mode `MATCH … AGAINST` of every word of 3+ letters or digits (FULLTEXT matches
    /// word prefixes, not any substring). PostgreSQL: `LIKE` on the one expression the trigram GIN
    /// index is built on, per word (the planner ANDs the bitmaps).
    pub fn event_text(self, words: &[String]) -> (Vec<(&'static str, String)>, Vec<String>) {
        let mut left = Vec::new();
        let mut served = Vec::new();
        for w in words {
            let ok = match self {
                Dialect::Sqlite => w.chars().count() >= 3,
                Dialect::MySql => {
                    w.chars().count() >= 3 && w.chars().all(|c| c.is_alphanumeric() || c == '_')
                }
                Dialect::Postgres => true,
            };
            if ok {
                served.push(w.as_str());
            } else {
                left.push(w.clone());
            }
        }
        let conds = match self {
            _ if served.is_empty() => Vec::new(),
            Dialect::Sqlite => {
                let phrases: Vec<String> = served
                    .iter()
                    .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
                    .collect();
                vec![(
                    "id IN (SELECT rowid FROM risk_events_text WHERE risk_events_text MATCH ?)",
                    phrases.join(" "),
                )]
            }
            Dialect::MySql => {
                let terms: Vec<String> = served.iter().map(|w| format!("+{w}*")).collect();
                vec![(
                    "MATCH (title, component, summary) AGAINST (? IN BOOLEAN MODE)",
                    terms.join(" "),
                )]
            }
            Dialect::Postgres => served
                .iter()
                .map(|w| {
                    (
                        "lower(title || ' ' || component || ' ' || summary) LIKE ?",
                        format!("%{}%", w.replace(['%', '_', '\\'], "")),
                    )
                })
                .collect(),
        };
        (conds, left)
    }

    /// `a DIV b` for whole numbers (`/` is decimal division on MySQL).
    pub fn int_div(self, a: &str, b: &str) -> String {
        match self {
            Dialect::MySql => format!("({a}) DIV ({b})"),
            Dialect::Sqlite | Dialect::Postgres => format!("({a}) / ({b})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_placeholders_are_numbered_outside_quotes() {
        let q = "SELECT * FROM t WHERE a = ? AND b = '?' AND c = ?";
        assert_eq!(
            Dialect::Postgres.placeholders(q),
            "SELECT * FROM t WHERE a = $1 AND b = '?' AND c = $2"
        );
        assert_eq!(Dialect::Sqlite.placeholders(q), q);
        assert_eq!(Dialect::MySql.placeholders(q), q);
    }

    #[test]
    fn upserts_per_dialect() {
        let cols = ["k", "v"];
        assert_eq!(
            Dialect::MySql.upsert("t", &cols, &["k"], &["v"]),
            "INSERT INTO t (k, v) VALUES (?, ?) ON DUPLICATE KEY UPDATE v = VALUES(v)"
        );
        assert_eq!(
            Dialect::Postgres.upsert("t", &cols, &["k"], &["v"]),
            "INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v"
        );
    }

    #[test]
    fn dialect_from_url() {
        assert_eq!(
            Dialect::from_url("sqlite:///tmp/x.db"),
            Some(Dialect::Sqlite)
        );
        assert_eq!(Dialect::from_url("mariadb://h/db"), Some(Dialect::MySql));
        assert_eq!(
            Dialect::from_url("postgresql://h/db"),
            Some(Dialect::Postgres)
        );
        assert_eq!(Dialect::from_url("oracle://h"), None);
    }

    #[test]
    fn multi_row_updates_per_dialect() {
        assert_eq!(
            Dialect::Sqlite.update_many("t", "id", &["a", "b"], 2),
            "UPDATE t SET a = v.column2, b = v.column3 FROM (VALUES (?, ?, ?), (?, ?, ?)) AS v WHERE t.id = v.column1"
        );
        assert_eq!(
            Dialect::MySql.update_many("t", "id", &["a", "b"], 2),
            "UPDATE t AS t JOIN (SELECT ? AS id, ? AS a, ? AS b UNION ALL SELECT ?, ?, ?) AS v ON t.id = v.id SET t.a = v.a, t.b = v.b"
        );
    }

    #[test]
    fn text_words_reach_each_index() {
        let words = |w: &[&str]| w.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let (conds, left) = Dialect::Sqlite.event_text(&words(&["ab", "a\"bc", "disk"]));
        assert_eq!(left, words(&["ab"]), "trigrams need 3 characters");
        assert_eq!(conds.len(), 1, "one MATCH for every word");
        assert_eq!(conds[0].1, "\"a\"\"bc\" \"disk\"");
        let (conds, left) = Dialect::MySql.event_text(&words(&["db-7", "disk", "lag"]));
        assert_eq!(left, words(&["db-7"]), "punctuation: LIKE");
        assert_eq!(conds[0].1, "+disk* +lag*");
        let (conds, left) = Dialect::Postgres.event_text(&words(&["5%_x", "ab"]));
        assert!(left.is_empty());
        assert_eq!(conds[0].1, "%5x%");
        assert_eq!(conds.len(), 2);
    }
}
