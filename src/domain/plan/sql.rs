//! SQL statements of a `sql` op or a sql probe, classified by PARSING them (`sqlparser`, with the
//! dialect of each backend: MySQL/MariaDB, PostgreSQL, SQLite), never by matching text: whether
//! one writes (writing to a database directly is G3, DOMAIN.md §3; a check or a probe must not
//! write), whether it returns rows (`expect_rows` then counts rows returned), how many `?`
//! placeholders it has (one per bound argument).
//!
//! Fail closed: a statement that parses in none of the dialects it may run on is treated as a
//! write, and the message says so. When the dialect is not known at `apply` (the target
//! component is chosen at launch), a statement is read-only only if every dialect that parses it
//! says so. This is the first line; the second is at run time: checks and dry runs run in a
//! read-only transaction (`store::target`), which also stops what no parser can see (a function
//! that writes).

use sqlparser::ast::{Query, SetExpr, Statement};
use sqlparser::dialect::{Dialect, GenericDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::SqlStatement;

/// The SQL dialects nightwatch reaches (named after `store::Dialect`, which the domain may not
/// use).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlFlavor {
    MySql,
    Postgres,
    Sqlite,
}

impl SqlFlavor {
    pub const ALL: [SqlFlavor; 3] = [SqlFlavor::MySql, SqlFlavor::Postgres, SqlFlavor::Sqlite];

    /// From a database URL's scheme (`mysql://`, `mariadb://`, `postgres://`, `sqlite://`).
    pub fn from_url(url: &str) -> Option<SqlFlavor> {
        match url.split_once(':')?.0 {
            "mysql" | "mariadb" => Some(SqlFlavor::MySql),
            "postgres" | "postgresql" => Some(SqlFlavor::Postgres),
            "sqlite" => Some(SqlFlavor::Sqlite),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SqlFlavor::MySql => "MySQL",
            SqlFlavor::Postgres => "PostgreSQL",
            SqlFlavor::Sqlite => "SQLite",
        }
    }

    fn dialect(self) -> Box<dyn Dialect> {
        match self {
            SqlFlavor::MySql => Box::new(MySqlDialect {}),
            SqlFlavor::Postgres => Box::new(PostgreSqlDialect {}),
            SqlFlavor::Sqlite => Box::new(SQLiteDialect {}),
        }
    }
}

/// What a statement does, as parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlClass {
    /// Reads only; `rows`: it returns rows (a query, `SHOW`, `EXPLAIN`, a `PRAGMA` read).
    Read { rows: bool },
    /// Writes (or may: locks rows, sets state, calls a procedure); the reason names the part.
    Write(String),
    /// Parses in none of the dialects: treated as a write (fail closed). The parser's message.
    Unparsed(String),
}

impl SqlClass {
    /// Writes, or is treated as writing (fail closed).
    pub fn writes(&self) -> bool {
        !matches!(self, SqlClass::Read { .. })
    }
}

/// Classify `sql` for each of `flavors` (the dialects it may run on): read only if it parses in
/// at least one and every one that parses it says it reads.
pub fn classify(sql: &str, flavors: &[SqlFlavor]) -> SqlClass {
    let mut read: Option<bool> = None;
    let mut errors = Vec::new();
    for f in flavors {
        // Statements are written with `?` placeholders; PostgreSQL reads `?` as a jsonb
        // operator and takes `$1, $2, …` (which is what the store sends it).
        let text = match f {
            SqlFlavor::Postgres => numbered_placeholders(sql),
            _ => sql.to_owned(),
        };
        match Parser::parse_sql(f.dialect().as_ref(), &text) {
            Ok(statements) => {
                if statements.is_empty() {
                    errors.push(format!("{}: no statement", f.name()));
                    continue;
                }
                for st in &statements {
                    match statement_class(st) {
                        Ok(rows) => read = Some(read.unwrap_or(true) && rows),
                        Err(why) => return SqlClass::Write(why),
                    }
                }
            }
            Err(e) => errors.push(format!("{}: {e}", f.name())),
        }
    }
    match read {
        Some(rows) => SqlClass::Read { rows },
        None => SqlClass::Unparsed(errors.join("; ")),
    }
}

/// `Ok(returns rows)` for a read-only statement, `Err(why)` for one that writes.
fn statement_class(st: &Statement) -> Result<bool, String> {
    match st {
        Statement::Query(q) => query_class(q).map(|()| true),
        Statement::Explain {
            analyze, statement, ..
        } => {
            if *analyze {
                // EXPLAIN ANALYZE executes the statement.
                statement_class(statement).map(|_| true)
            } else {
                Ok(true)
            }
        }
        Statement::ExplainTable { .. } => Ok(true),
        Statement::Pragma { value: None, .. } => Ok(true),
        Statement::Pragma { .. } => Err("PRAGMA … = value changes the database".into()),
        Statement::ShowTables { .. }
        | Statement::ShowColumns { .. }
        | Statement::ShowVariable { .. }
        | Statement::ShowVariables { .. }
        | Statement::ShowStatus { .. }
        | Statement::ShowCreate { .. }
        | Statement::ShowFunctions { .. }
        | Statement::ShowDatabases { .. }
        | Statement::ShowSchemas { .. }
        | Statement::ShowCollation { .. }
        | Statement::ShowViews { .. } => Ok(true),
        other => Err(first_words(&other.to_string())),
    }
}

/// Whether a query only reads: no data-modifying CTE or body (`WITH d AS (DELETE … RETURNING …)`),
/// no `SELECT … INTO`, no row locks (`FOR UPDATE`).
fn query_class(q: &Query) -> Result<(), String> {
    if let Some(with) = &q.with {
        for cte in &with.cte_tables {
            query_class(&cte.query)?;
        }
    }
    if !q.locks.is_empty() {
        return Err("SELECT … FOR UPDATE/SHARE locks rows".into());
    }
    set_expr_class(&q.body)
}

fn set_expr_class(e: &SetExpr) -> Result<(), String> {
    match e {
        SetExpr::Select(s) => match &s.into {
            Some(_) => Err("SELECT … INTO writes".into()),
            None => Ok(()),
        },
        SetExpr::Query(q) => query_class(q),
        SetExpr::SetOperation { left, right, .. } => {
            set_expr_class(left)?;
            set_expr_class(right)
        }
        SetExpr::Values(_) | SetExpr::Table(_) => Ok(()),
        other => Err(first_words(&other.to_string())),
    }
}

/// The first words of a statement, to say which part writes (`DELETE FROM t`).
fn first_words(sql: &str) -> String {
    let words: Vec<&str> = sql.split_whitespace().take(3).collect();
    words.join(" ")
}

/// The `?` placeholders of `sql` as a tokenizer sees them (quotes, dollar quotes and comments
/// understood): their character offsets, or `None` when the text does not tokenize.
fn placeholder_offsets(sql: &str) -> Option<Vec<usize>> {
    let tokens = Tokenizer::new(&GenericDialect {}, sql)
        .tokenize_with_location()
        .ok()?;
    // Locations are (line, column) in characters, both from 1.
    let mut line_starts = vec![0usize];
    for (i, c) in sql.chars().enumerate() {
        if c == '\n' {
            line_starts.push(i + 1);
        }
    }
    let mut out = Vec::new();
    for t in tokens {
        if matches!(&t.token, Token::Placeholder(p) if p == "?") {
            let line = usize::try_from(t.span.start.line).ok()?;
            let col = usize::try_from(t.span.start.column).ok()?;
            out.push(line_starts.get(line.checked_sub(1)?)? + col.checked_sub(1)?);
        }
    }
    Some(out)
}

/// The number of `?` placeholders (one per bound argument); `None` when the text does not
/// tokenize.
pub fn placeholder_count(sql: &str) -> Option<usize> {
    placeholder_offsets(sql).map(|o| o.len())
}

/// `sql` with its `?` placeholders numbered `$1, $2, …` (PostgreSQL's form). Question marks in
/// literals, quoted identifiers and comments stay. Text that does not tokenize is returned as
/// it is (the database then refuses it).
pub fn numbered_placeholders(sql: &str) -> String {
    let Some(offsets) = placeholder_offsets(sql) else {
        return sql.to_owned();
    };
    if offsets.is_empty() {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 2 * offsets.len());
    let mut n = 0;
    for (i, c) in sql.chars().enumerate() {
        if offsets.contains(&i) {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

impl SqlStatement {
    /// How the statement classifies on any of the three dialects (see [`classify`]).
    pub fn class(&self) -> SqlClass {
        classify(&self.sql, &SqlFlavor::ALL)
    }

    /// Whether the statement returns rows (`expect_rows` then counts rows returned).
    pub fn is_query(&self) -> bool {
        matches!(self.class(), SqlClass::Read { rows: true })
    }

    /// Whether the statement writes, or is treated as writing (fail closed). Writing to a
    /// database directly is G3 (DOMAIN.md §3).
    pub fn writes(&self) -> bool {
        self.class().writes()
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

    fn st(s: &str) -> SqlStatement {
        SqlStatement {
            sql: s.into(),
            ..SqlStatement::default()
        }
    }

    #[test]
    fn statements_are_classified_by_parsing() {
        assert!(st("  UPDATE node SET node_type = 2").writes());
        assert!(st("-- demote\n/* x */ delete from t").writes());
        assert!(!st("select * from node").writes());
        assert!(st("select * from node").is_query());
        assert!(st("(select 1)").is_query());
        assert!(st("show tables").is_query());
        assert!(st("update a set b = 1; update c set d = 2").has_several());
        assert!(!st("update a set b = ';'; ").has_several());
        assert!(!st("select 1 -- a; b\n").has_several());
        // A write smuggled into a query is a write, wherever it hides.
        for w in [
            "with d as (delete from t returning *) select * from d",
            "with x as (select 1) update t set a = 1",
            "select * into t2 from t",
            "select * from node for update",
            "explain analyze delete from t",
            "pragma user_version = 5",
            "call purge()",
            "set global read_only = 0",
            "truncate table t",
        ] {
            assert!(st(w).writes(), "{w} is a write");
            assert!(!st(w).is_query(), "{w}");
        }
        // Words that only look like writes are not.
        assert!(!st("select 'delete from t' as update_note").writes());
        assert!(!st("select count(*) from node where status = ? and pod_id = ?").writes());
    }

    #[test]
    fn what_does_not_parse_is_a_write() {
        let c = classify("selekt * frum t", &SqlFlavor::ALL);
        assert!(
            matches!(&c, SqlClass::Unparsed(m) if m.contains("MySQL")),
            "{c:?}"
        );
        assert!(c.writes());
    }

    #[test]
    fn placeholders_are_counted_and_numbered_outside_quotes_and_comments() {
        let q = "select * from t where a = ? and b = '?' -- ?\n and c = ? and d = $$?$$";
        assert_eq!(placeholder_count(q), Some(2));
        assert_eq!(
            numbered_placeholders(q),
            "select * from t where a = $1 and b = '?' -- ?\n and c = $2 and d = $$?$$"
        );
        assert_eq!(placeholder_count("select 1"), Some(0));
        // On PostgreSQL the numbered form is what is parsed.
        let c = classify(
            "select * from node where pod_id = ?",
            &[SqlFlavor::Postgres],
        );
        assert_eq!(c, SqlClass::Read { rows: true });
    }
}
