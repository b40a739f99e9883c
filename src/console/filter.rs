//! The `/` filter language: plain words plus `key:value` terms (`host:db1 role:engine stale`).
//!
//! Parsed once into a [`Filter`]; any table whose rows implement [`Filterable`] applies it. The
//! Overview's instance table uses it now; later panes (events: `level:P0 status:open`) reuse it.

/// A parsed filter. Empty matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// The text as typed (shown in the pane title and reused when the prompt reopens).
    pub raw: String,
    /// Words that must each appear in some field (lowercased).
    pub words: Vec<String>,
    /// `key:value` terms: the field `key` must contain `value` (lowercased; `-key:value` negates).
    pub terms: Vec<Term>,
}

/// One `key:value` term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The field name.
    pub key: String,
    /// The text the field must contain.
    pub value: String,
    /// `-key:value`: the field must NOT contain it.
    pub negated: bool,
}

/// Rows a [`Filter`] can select.
pub trait Filterable {
    /// Field names accepted in `key:value` terms.
    const KEYS: &'static [&'static str];
    /// The value of a field, for terms (`None` for an unknown key).
    fn field(&self, key: &str) -> Option<String>;
}

impl Filter {
    /// Parse the typed text. Never fails: anything that is not `key:value` is a plain word.
    pub fn parse(raw: &str) -> Filter {
        let mut f = Filter {
            raw: raw.trim().to_owned(),
            ..Filter::default()
        };
        for token in raw.split_whitespace() {
            let (negated, body) = match token.strip_prefix('-') {
                Some(b) if b.contains(':') => (true, b),
                _ => (false, token),
            };
            match body.split_once(':') {
                Some((k, v)) if !k.is_empty() && !v.is_empty() => f.terms.push(Term {
                    key: k.to_lowercase(),
                    value: v.to_lowercase(),
                    negated,
                }),
                _ => f.words.push(token.to_lowercase()),
            }
        }
        f
    }

    /// Whether nothing is filtered.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.terms.is_empty()
    }

    /// Term keys this row type does not know (to report them instead of matching nothing).
    pub fn unknown_keys<T: Filterable>(&self) -> Vec<&str> {
        self.terms
            .iter()
            .map(|t| t.key.as_str())
            .filter(|k| !T::KEYS.contains(k))
            .collect()
    }

    /// Whether a row passes.
    pub fn matches<T: Filterable>(&self, row: &T) -> bool {
        let fields: Vec<String> = T::KEYS
            .iter()
            .filter_map(|k| row.field(k))
            .map(|v| v.to_lowercase())
            .collect();
        let words = self
            .words
            .iter()
            .all(|w| fields.iter().any(|f| f.contains(w.as_str())));
        let terms = self.terms.iter().all(|t| {
            let hit = row
                .field(&t.key)
                .is_some_and(|v| v.to_lowercase().contains(&t.value));
            hit != t.negated
        });
        words && terms
    }

    /// Indices of the rows that pass, in order.
    pub fn apply<T: Filterable>(&self, rows: &[T]) -> Vec<usize> {
        rows.iter()
            .enumerate()
            .filter(|(_, r)| self.matches(*r))
            .map(|(i, _)| i)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Row(&'static str, &'static str);
    impl Filterable for Row {
        const KEYS: &'static [&'static str] = &["host", "role"];
        fn field(&self, key: &str) -> Option<String> {
            match key {
                "host" => Some(self.0.into()),
                "role" => Some(self.1.into()),
                _ => None,
            }
        }
    }

    #[test]
    fn parses_words_and_terms() {
        let f = Filter::parse("  level:P0 Status:OPEN disk -role:console  x: ");
        assert_eq!(f.words, vec!["disk", "x:"]);
        assert_eq!(f.terms.len(), 3);
        assert_eq!(
            f.terms[0],
            Term {
                key: "level".into(),
                value: "p0".into(),
                negated: false
            }
        );
        assert_eq!(f.terms[1].key, "status");
        assert!(f.terms[2].negated);
        assert_eq!(f.raw, "level:P0 Status:OPEN disk -role:console  x:");
        assert!(Filter::parse("   ").is_empty());
    }

    #[test]
    fn applies_to_rows() {
        let rows = [
            Row("db1", "engine"),
            Row("web1", "console"),
            Row("db2", "console"),
        ];
        assert_eq!(Filter::parse("db").apply(&rows), vec![0, 2]);
        assert_eq!(Filter::parse("role:CONSOLE").apply(&rows), vec![1, 2]);
        assert_eq!(Filter::parse("-role:console").apply(&rows), vec![0]);
        assert_eq!(Filter::parse("db role:console").apply(&rows), vec![2]);
        assert_eq!(Filter::parse("").apply(&rows), vec![0, 1, 2]);
        assert_eq!(
            Filter::parse("lvl:1 host:db").unknown_keys::<Row>(),
            vec!["lvl"]
        );
    }
}
