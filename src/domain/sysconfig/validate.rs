//! Validating a value: size, JSON syntax (line and column), schema (JSON path and expected type),
//! and the rules a schema cannot say (`bizUrl` keys match `bizMap` keys, OSS single/multi region).

use serde_json::Value;

use super::{KeySpec, Kind};

/// Values larger than this are refused before parsing.
pub const MAX_VALUE_BYTES: usize = 1024 * 1024;

/// Why a value cannot be saved. Each names where the problem is and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigProblem {
    #[error("value is {bytes} bytes; the limit is {MAX_VALUE_BYTES} bytes (1 MiB)")]
    TooLarge { bytes: usize },
    #[error("JSON syntax error at line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("at {path}: {message}")]
    Schema { path: String, message: String },
}

/// Read operator input for a key: JSON for JSON keys; for scalar keys also the bare forms
/// (`4.4.1`, `on`/`off`, `21600000`), so nobody has to type quotes on a command line.
pub fn parse_input(kind: Kind, text: &str) -> Result<Value, ConfigProblem> {
    if text.len() > MAX_VALUE_BYTES {
        return Err(ConfigProblem::TooLarge { bytes: text.len() });
    }
    let trimmed = text.trim();
    match kind {
        Kind::Text if !trimmed.starts_with('"') => {
            return Ok(Value::String(text.trim_end_matches('\n').to_owned()));
        }
        Kind::Bool => match trimmed {
            "on" | "yes" | "true" => return Ok(Value::Bool(true)),
            "off" | "no" | "false" => return Ok(Value::Bool(false)),
            _ => {}
        },
        _ => {}
    }
    serde_json::from_str(text).map_err(|e| ConfigProblem::Syntax {
        line: e.line(),
        column: e.column(),
        message: expected(&e),
    })
}

fn expected(e: &serde_json::Error) -> String {
    let m = e.to_string();
    // serde_json appends " at line L column C"; we say it ourselves.
    m.rsplit_once(" at line ")
        .map_or(m.clone(), |(head, _)| head.to_owned())
}

/// Check a value against its key's schema and rules. User keys (no spec) take any JSON.
pub fn validate(spec: Option<&KeySpec>, value: &Value) -> Result<(), ConfigProblem> {
    let size = value.to_string().len();
    if size > MAX_VALUE_BYTES {
        return Err(ConfigProblem::TooLarge { bytes: size });
    }
    let Some(spec) = spec else { return Ok(()) };
    let schema = (spec.schema)();
    let validator = jsonschema::validator_for(&schema).map_err(|e| ConfigProblem::Schema {
        path: "(schema)".into(),
        message: format!("internal schema error for {}: {e}", spec.name),
    })?;
    if let Some(err) = validator.iter_errors(value).next() {
        let path = err.instance_path().to_string();
        return Err(ConfigProblem::Schema {
            path: if path.is_empty() { "/".into() } else { path },
            message: err.to_string(),
        });
    }
    rules(spec.name, value)
}

fn rules(key: &str, v: &Value) -> Result<(), ConfigProblem> {
    let fail = |path: &str, message: String| {
        Err(ConfigProblem::Schema {
            path: path.into(),
            message,
        })
    };
    match key {
        "RISK_DASHBOARD_CONFIG" => {
            let biz = v.get("bizMap").and_then(Value::as_object);
            if let Some(urls) = v.get("bizUrl").and_then(Value::as_object) {
                for name in urls.keys() {
                    if !biz.is_some_and(|b| b.contains_key(name)) {
                        return fail(
                            &format!("/bizUrl/{name}"),
                            format!(
                                "business {name:?} has a URL but no entry in bizMap; bizUrl keys must match bizMap keys"
                            ),
                        );
                    }
                }
            }
        }
        "OSS_INFO_CONFIG"
            if v.get("accessKey")
                .and_then(Value::as_str)
                .is_some_and(|k| !k.is_empty()) =>
        {
            let single = v
                .get("hostEffective")
                .and_then(Value::as_bool)
                .unwrap_or(true);
            let host = v.get("hostName").and_then(Value::as_str).unwrap_or("");
            let ips = v
                .get("ips")
                .and_then(Value::as_object)
                .map_or(0, serde_json::Map::len);
            if single && host.is_empty() {
                return fail(
                    "/hostName",
                    "single region (hostEffective=true) needs hostName".into(),
                );
            }
            if !single && ips == 0 {
                return fail("/ips", "multi-region (hostEffective=false) needs ips {alias: [publicAddr, internalAddr]}".into());
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{REGISTRY, lookup};
    use super::*;
    use serde_json::json;

    #[test]
    fn every_default_validates() {
        for spec in REGISTRY {
            validate(Some(spec), &(spec.default)())
                .unwrap_or_else(|e| panic!("{}: {e}", spec.name));
        }
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let err = parse_input(Kind::Json, "{\n  \"a\": 1,\n  \"b\" 2\n}").unwrap_err();
        match err {
            ConfigProblem::Syntax {
                line,
                column,
                message,
            } => {
                assert_eq!((line, column), (3, 7));
                assert!(message.contains("expected `:`"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn schema_errors_name_the_path_and_the_type() {
        let spec = lookup("RISK_DASHBOARD_CONFIG");
        let err = validate(spec, &json!({"riskLevelMap": {"P0": "yes"}}))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("/riskLevelMap/P0") && err.contains("boolean"),
            "{err}"
        );
        let err = validate(spec, &json!({"riskLevelMap": {"P7": true}}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("P7"), "{err}");
        let err = validate(
            spec,
            &json!({"bizMap": {"pay": [1]}, "bizUrl": {"shop": "https://x"}}),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("/bizUrl/shop") && err.contains("bizMap"),
            "{err}"
        );
        let err = validate(lookup("ASO_API_CONFIG"), &json!({"endPoint": "x"}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("accessKeyInfo"), "{err}");
        let err = validate(lookup("YUNYOU_VERSION"), &json!("four"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not match"), "{err}");
    }

    #[test]
    fn scalar_input_forms() {
        assert_eq!(parse_input(Kind::Text, "4.4.2").unwrap(), json!("4.4.2"));
        assert_eq!(
            parse_input(Kind::Text, "\"4.4.2\"").unwrap(),
            json!("4.4.2")
        );
        assert_eq!(parse_input(Kind::Bool, "on").unwrap(), json!(true));
        assert_eq!(parse_input(Kind::Integer, "60000").unwrap(), json!(60000));
        assert!(matches!(
            parse_input(Kind::Integer, "soon"),
            Err(ConfigProblem::Syntax { .. })
        ));
        let huge = "x".repeat(MAX_VALUE_BYTES + 1);
        assert!(matches!(
            parse_input(Kind::Text, &huge),
            Err(ConfigProblem::TooLarge { .. })
        ));
    }

    #[test]
    fn oss_region_rules_apply_once_configured() {
        let spec = lookup("OSS_INFO_CONFIG");
        let err = validate(
            spec,
            &json!({"accessKey": "k", "hostEffective": false, "ips": {}}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("/ips"));
        validate(spec, &json!({"accessKey": "k", "hostEffective": false, "ips": {"bj": ["1.1.1.1", "10.0.0.1"]}})).unwrap();
    }
}
