//! The one place where the three SQL dialects differ: placeholders, upserts, `INSERT … IGNORE`.

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

    /// Integer division of two integer expressions (MySQL's `/` yields a DECIMAL, which
    /// `sqlx::Any` cannot decode; its `DIV` truncates like the others' `/` on integers).
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
}
