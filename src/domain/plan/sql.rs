//! SQL statements of a `sql` op, classified by their first keyword: whether one writes (writing
//! to a database directly is G3, DOMAIN.md §3), whether it returns rows (`expect_rows` then counts
//! rows returned), whether a text holds several statements (one entry is one statement).

use super::SqlStatement;

/// Statements whose first keyword is one of these change data or schema.
const WRITES: &[&str] = &[
    "insert", "update", "delete", "replace", "merge", "upsert", "alter", "drop", "truncate",
    "create", "rename", "grant", "revoke", "call", "lock",
];

/// Statements whose first keyword is one of these return rows.
const QUERIES: &[&str] = &[
    "select", "show", "explain", "describe", "desc", "values", "pragma", "table", "with",
];

impl SqlStatement {
    /// The first keyword, lower-case, after comments and opening parentheses.
    pub fn keyword(&self) -> String {
        let mut s = self.sql.trim_start();
        loop {
            if let Some(rest) = s.strip_prefix("--") {
                s = rest.split_once('\n').map_or("", |(_, r)| r).trim_start();
            } else if let Some(rest) = s.strip_prefix("/*") {
                s = rest.split_once("*/").map_or("", |(_, r)| r).trim_start();
            } else if let Some(rest) = s.strip_prefix('(') {
                s = rest.trim_start();
            } else {
                break;
            }
        }
        s.split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase()
    }

    /// Whether the statement returns rows (`expect_rows` then counts rows returned).
    pub fn is_query(&self) -> bool {
        QUERIES.contains(&self.keyword().as_str()) && !self.writes()
    }

    /// Whether the statement writes: by its first keyword, or a `WITH …` that contains a write.
    /// Writing to a database directly is G3 (DOMAIN.md §3).
    pub fn writes(&self) -> bool {
        let k = self.keyword();
        if k == "with" {
            let lower = self.sql.to_ascii_lowercase();
            return lower
                .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .any(|w| matches!(w, "insert" | "update" | "delete" | "merge"));
        }
        WRITES.contains(&k.as_str())
    }

    /// Whether the text holds more than one statement (a `;` outside quotes and comments, other
    /// than a trailing one). One entry is one statement; the executor does not split text.
    pub fn has_several(&self) -> bool {
        let mut quote: Option<char> = None;
        let chars: Vec<char> = self.sql.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if matches!(c, '\'' | '"' | '`') => quote = Some(c),
                None if c == '-' && chars.get(i + 1) == Some(&'-') => {
                    while i < chars.len() && chars[i] != '\n' {
                        i += 1;
                    }
                }
                None if c == ';' => {
                    return chars[i + 1..]
                        .iter()
                        .any(|c| !c.is_whitespace() && *c != ';');
                }
                None => {}
            }
            i += 1;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_statements_are_classified() {
        let st = |s: &str| SqlStatement {
            sql: s.into(),
            expect_rows: None,
        };
        assert!(st("  UPDATE node SET node_type = 2").writes());
        assert!(st("-- demote\n/* x */ delete from t").writes());
        assert!(!st("select * from node").writes());
        assert!(st("select * from node").is_query());
        assert!(st("with x as (select 1) update t set a = 1").writes());
        assert!(!st("with x as (select 1) update t set a = 1").is_query());
        assert!(st("(select 1)").is_query());
        assert!(st("update a set b = 1; update c set d = 2").has_several());
        assert!(!st("update a set b = ';'; ").has_several());
        assert!(!st("select 1 -- a; b\n").has_several());
    }
}
