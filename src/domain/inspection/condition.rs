//! Conditions in the spirit of Gatus: `[STATUS] == 200`, `[RESPONSE_TIME] < 300`,
//! `[BODY].status == UP`, `[VALUE] > 80`, `[CONNECTED] == true`, `[ROLE] != slave`,
//! `len([BODY].items) > 0`, `[BODY] =~ "ok|healthy"`.
//!
//! Grammar: `left OP right`, where each side is a placeholder `[NAME]` followed by an optional
//! path (`.field`, `[0]`); a name may be dotted (`[check.VALUE]`, `[params.mode]`: plan `when`
//! conditions read earlier steps and parameters this way), `len(placeholder)`, a number, `true`/`false`, a quoted string, or a bare
//! word. OP is one of `==`, `!=`, `<`, `<=`, `>`, `>=`, `=~` (regex). A parse error names the column.

use std::collections::BTreeMap;

use serde_json::Value;

/// A parse error: where (1-based column) and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct ConditionError {
    pub column: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Placeholder {
        name: String,
        path: Vec<Step>,
        len: bool,
    },
    Literal(Value),
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Field(String),
    Index(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Matches,
}

/// A parsed condition, ready to evaluate against a probe's values.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    text: String,
    left: Operand,
    op: Op,
    right: Operand,
}

impl std::fmt::Display for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    _text: &'a str,
}

impl Parser<'_> {
    fn err<T>(&self, message: impl Into<String>) -> Result<T, ConditionError> {
        Err(ConditionError {
            column: self.pos + 1,
            message: message.into(),
        })
    }

    fn skip_ws(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, s: &str) -> bool {
        let n = s.chars().count();
        if self
            .chars
            .get(self.pos..self.pos + n)
            .is_some_and(|w| w.iter().copied().eq(s.chars()))
        {
            self.pos += n;
            true
        } else {
            false
        }
    }

    fn ident(&mut self) -> String {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-')
        {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    /// A placeholder name: identifiers joined by dots (`VALUE`, `check.EXIT_CODE`).
    fn dotted_ident(&mut self) -> Result<String, ConditionError> {
        let mut name = self.ident();
        while !name.is_empty() && self.peek() == Some('.') {
            self.pos += 1;
            let part = self.ident();
            if part.is_empty() {
                return self.err(format!("expected a name after [{name}."));
            }
            name.push('.');
            name.push_str(&part);
        }
        Ok(name)
    }

    fn placeholder(&mut self, len: bool) -> Result<Operand, ConditionError> {
        // at '['
        self.pos += 1;
        let name = self.dotted_ident()?;
        if name.is_empty() {
            return self.err("expected a placeholder name such as STATUS, BODY, VALUE");
        }
        if !self.eat("]") {
            return self.err(format!("expected ] to close [{name}"));
        }
        let mut path = Vec::new();
        loop {
            if self.eat(".") {
                let field = self.ident();
                if field.is_empty() {
                    return self.err("expected a field name after .");
                }
                path.push(Step::Field(field));
            } else if self.peek() == Some('[') {
                self.pos += 1;
                let start = self.pos;
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += 1;
                }
                let digits: String = self.chars[start..self.pos].iter().collect();
                let Ok(i) = digits.parse() else {
                    return self.err("expected an array index such as [0]");
                };
                if !self.eat("]") {
                    return self.err("expected ] after the index");
                }
                path.push(Step::Index(i));
            } else {
                break;
            }
        }
        Ok(Operand::Placeholder {
            name: name.to_uppercase(),
            path,
            len,
        })
    }

    fn operand(&mut self) -> Result<Operand, ConditionError> {
        self.skip_ws();
        match self.peek() {
            None => self.err("expected a value or a placeholder such as [STATUS]"),
            Some('[') => self.placeholder(false),
            Some('"') | Some('\'') => {
                let quote = self.peek().unwrap_or('"');
                self.pos += 1;
                let start = self.pos;
                while self.peek().is_some_and(|c| c != quote) {
                    self.pos += 1;
                }
                if self.peek().is_none() {
                    return self.err(format!("unterminated string: expected a closing {quote}"));
                }
                let s: String = self.chars[start..self.pos].iter().collect();
                self.pos += 1;
                Ok(Operand::Literal(Value::String(s)))
            }
            Some(_) if self.eat("len(") => {
                self.skip_ws();
                if self.peek() != Some('[') {
                    return self.err("len() takes a placeholder, e.g. len([BODY].items)");
                }
                let p = self.placeholder(true)?;
                self.skip_ws();
                if !self.eat(")") {
                    return self.err("expected ) to close len(");
                }
                Ok(p)
            }
            Some(_) => {
                let start = self.pos;
                while self
                    .peek()
                    .is_some_and(|c| !c.is_whitespace() && !"=!<>".contains(c))
                {
                    self.pos += 1;
                }
                let word: String = self.chars[start..self.pos].iter().collect();
                Ok(Operand::Literal(match word.as_str() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    w => w
                        .parse::<f64>()
                        .ok()
                        .and_then(serde_json::Number::from_f64)
                        .map_or_else(|| Value::String(w.to_owned()), Value::Number),
                }))
            }
        }
    }

    fn op(&mut self) -> Result<Op, ConditionError> {
        self.skip_ws();
        for (s, op) in [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("=~", Op::Matches),
            ("<", Op::Lt),
            (">", Op::Gt),
        ] {
            if self.eat(s) {
                return Ok(op);
            }
        }
        self.err("expected an operator: ==, !=, <, <=, >, >= or =~")
    }
}

impl Condition {
    /// Parse a condition; errors name the column.
    pub fn parse(text: &str) -> Result<Condition, ConditionError> {
        let mut p = Parser {
            chars: text.chars().collect(),
            pos: 0,
            _text: text,
        };
        let left = p.operand()?;
        let op = p.op()?;
        let right = p.operand()?;
        p.skip_ws();
        if p.peek().is_some() {
            return p.err("unexpected text after the condition (one comparison per condition)");
        }
        if !matches!(left, Operand::Placeholder { .. })
            && !matches!(right, Operand::Placeholder { .. })
        {
            return Err(ConditionError {
                column: 1,
                message: "a condition compares a placeholder such as [STATUS] with a value".into(),
            });
        }
        if let (Op::Matches, Operand::Literal(Value::String(re))) = (op, &right)
            && let Err(e) = regex::Regex::new(re)
        {
            return Err(ConditionError {
                column: text.len(),
                message: format!("bad regular expression: {e}"),
            });
        }
        Ok(Condition {
            text: text.trim().to_owned(),
            left,
            op,
            right,
        })
    }

    /// The placeholders the condition reads (for validation against a probe's value list).
    pub fn placeholders(&self) -> Vec<&str> {
        [&self.left, &self.right]
            .into_iter()
            .filter_map(|o| match o {
                Operand::Placeholder { name, .. } => Some(name.as_str()),
                Operand::Literal(_) => None,
            })
            .collect()
    }

    /// Evaluate against a probe's values: `Ok(holds)`, or `Err` when a placeholder is missing.
    pub fn eval(&self, values: &BTreeMap<String, Value>) -> Result<bool, String> {
        let l = resolve(&self.left, values)?;
        let r = resolve(&self.right, values)?;
        Ok(match self.op {
            Op::Eq => equal(&l, &r),
            Op::Ne => !equal(&l, &r),
            Op::Matches => {
                let re = regex::Regex::new(&text_of(&r)).map_err(|e| e.to_string())?;
                re.is_match(&text_of(&l))
            }
            ordering => {
                let (Some(a), Some(b)) = (number(&l), number(&r)) else {
                    return Err(format!(
                        "{} compares numbers, got {} and {}",
                        self.text, l, r
                    ));
                };
                match ordering {
                    Op::Lt => a < b,
                    Op::Le => a <= b,
                    Op::Gt => a > b,
                    _ => a >= b,
                }
            }
        })
    }
}

fn resolve(o: &Operand, values: &BTreeMap<String, Value>) -> Result<Value, String> {
    match o {
        Operand::Literal(v) => Ok(v.clone()),
        Operand::Placeholder { name, path, len } => {
            let mut v = values
                .get(name)
                .ok_or_else(|| format!("the probe gave no [{name}]"))?;
            // A BODY that is JSON text can be navigated too.
            let parsed;
            if let (false, Value::String(s)) = (path.is_empty(), v) {
                parsed = serde_json::from_str::<Value>(s)
                    .map_err(|_| format!("[{name}] is not JSON"))?;
                v = &parsed;
            }
            let mut cur = v.clone();
            for step in path {
                cur = match step {
                    Step::Field(f) => cur.get(f).cloned(),
                    Step::Index(i) => cur.get(*i).cloned(),
                }
                .ok_or_else(|| format!("[{name}] has no {}", describe(path)))?;
            }
            if *len {
                return Ok(Value::from(match &cur {
                    Value::Array(a) => a.len(),
                    Value::Object(m) => m.len(),
                    Value::String(s) => s.chars().count(),
                    _ => 0,
                }));
            }
            Ok(cur)
        }
    }
}

fn describe(path: &[Step]) -> String {
    path.iter()
        .map(|s| match s {
            Step::Field(f) => format!(".{f}"),
            Step::Index(i) => format!("[{i}]"),
        })
        .collect()
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn equal(a: &Value, b: &Value) -> bool {
    match (number(a), number(b)) {
        (Some(x), Some(y)) if !matches!((a, b), (Value::String(_), Value::String(_))) => {
            (x - y).abs() < 1e-9
        }
        _ => text_of(a) == text_of(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    fn holds(cond: &str, v: &BTreeMap<String, Value>) -> bool {
        Condition::parse(cond).unwrap().eval(v).unwrap()
    }

    #[test]
    fn gatus_style_conditions() {
        let v = values(&[
            ("STATUS", json!(200)),
            ("RESPONSE_TIME", json!(120)),
            ("BODY", json!("{\"status\": \"UP\", \"items\": [1, 2]}")),
            ("VALUE", json!(85.5)),
            ("CONNECTED", json!(true)),
            ("ROLE", json!("master")),
        ]);
        assert!(holds("[STATUS] == 200", &v));
        assert!(holds("[RESPONSE_TIME] < 300", &v));
        assert!(holds("[BODY].status == UP", &v));
        assert!(holds("[VALUE] > 80", &v));
        assert!(!holds("[VALUE] <= 80", &v));
        assert!(holds("[CONNECTED] == true", &v));
        assert!(holds("[ROLE] != slave", &v));
        assert!(holds("len([BODY].items) > 1", &v));
        assert!(holds("[BODY] =~ \"UP|HEALTHY\"", &v));
        assert!(holds("[BODY].items[1] == 2", &v));
        assert!(
            holds("200 == [STATUS]", &v),
            "either side may be the placeholder"
        );
    }

    #[test]
    fn parse_errors_name_the_column() {
        let e = Condition::parse("[STATUS] = 200").unwrap_err();
        assert_eq!(e.column, 10);
        assert!(e.message.contains("operator"), "{e}");
        assert_eq!(Condition::parse("[STATUS == 200").unwrap_err().column, 8);
        assert!(
            Condition::parse("200 == 200")
                .unwrap_err()
                .message
                .contains("placeholder")
        );
        assert!(
            Condition::parse("[STATUS] == 200 and more")
                .unwrap_err()
                .message
                .contains("unexpected")
        );
        assert!(
            Condition::parse("[BODY] =~ \"(\"")
                .unwrap_err()
                .message
                .contains("regular expression")
        );
        assert!(
            Condition::parse("[BODY] == \"open")
                .unwrap_err()
                .message
                .contains("unterminated")
        );
    }

    #[test]
    fn missing_values_are_errors_not_failures() {
        let c = Condition::parse("[VALUE] > 80").unwrap();
        assert!(c.eval(&BTreeMap::new()).unwrap_err().contains("[VALUE]"));
        let c = Condition::parse("[ROLE] > 80").unwrap();
        assert!(c.eval(&values(&[("ROLE", json!("master"))])).is_err());
        assert_eq!(
            Condition::parse("[BODY].x == 1").unwrap().placeholders(),
            vec!["BODY"]
        );
    }

    #[test]
    fn dotted_placeholder_names() {
        let v = values(&[
            ("CHECK.EXIT_CODE", json!(0)),
            ("PARAMS.MODE", json!("fast")),
            ("Q.ROW", json!({"node_type": 0})),
        ]);
        assert!(holds("[check.EXIT_CODE] == 0", &v));
        assert!(holds("[params.mode] == fast", &v));
        assert!(
            holds("[q.ROW].node_type == 0", &v),
            "a path still follows ]"
        );
        assert_eq!(
            Condition::parse("[check.VALUE] > 1")
                .unwrap()
                .placeholders(),
            vec!["CHECK.VALUE"]
        );
        let e = Condition::parse("[check.] == 1").unwrap_err();
        assert_eq!(e.column, 8);
        assert!(e.message.contains("after [check."), "{e}");
    }
}
