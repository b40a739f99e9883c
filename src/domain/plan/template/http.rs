//! Templates in an HTTP step's body and headers: values stay data (a JSON body keeps its
//! structure, a header stays one header).

use super::{Piece, RenderCtx, TemplateError, parse, render};

/// An HTTP body. A JSON body (one that starts with `{` or `[`) takes references only inside a
/// JSON string, where each value is JSON-escaped, so no value can change the body's structure
/// (`"},"x":1,{"` stays string content); a reference outside a string is an error. Any other
/// body renders as text.
pub fn render_body(template: &str, ctx: &RenderCtx) -> Result<String, TemplateError> {
    let t = template.trim_start();
    if !(t.starts_with('{') || t.starts_with('[')) {
        return render(template, ctx);
    }
    let mut out = String::with_capacity(template.len());
    let (mut in_string, mut escaped) = (false, false);
    for piece in parse(template)? {
        match piece {
            Piece::Text(t) => {
                for c in t.chars() {
                    if escaped {
                        escaped = false;
                    } else if in_string && c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        in_string = !in_string;
                    }
                }
                out.push_str(t);
            }
            Piece::Ref(r) if in_string => {
                let v = ctx.lookup(&r)?;
                let quoted = serde_json::Value::String(v).to_string();
                out.push_str(&quoted[1..quoted.len() - 1]);
            }
            Piece::Ref(r) => {
                return Err(TemplateError {
                    message: format!(
                        "{r} stands outside a JSON string in a JSON body, where a value could change the body's structure; write it inside quotes (\"name\": \"{r}\"), where it is JSON-escaped"
                    ),
                });
            }
        }
    }
    Ok(out)
}

/// An HTTP header value: a value holding CR, LF or NUL is refused (it would add a header or end
/// the head).
pub fn render_header(template: &str, ctx: &RenderCtx) -> Result<String, TemplateError> {
    let v = render(template, ctx)?;
    if v.contains(['\r', '\n', '\0']) {
        return Err(TemplateError {
            message: "a value in a header holds CR, LF or NUL, which could add a header or end the request head; refused".into(),
        });
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn ctx(v: &str) -> RenderCtx {
        let mut c = RenderCtx::default();
        c.params.insert("v".into(), json!(v));
        c
    }

    #[test]
    fn a_hostile_value_stays_string_content_in_a_json_body() {
        let hostile = "\"},\"x\":1,{\"\r\n\\";
        let body = render_body(r#"{"note": "by {{params.v}}", "n": 1}"#, &ctx(hostile)).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            parsed,
            json!({"note": format!("by {hostile}"), "n": 1}),
            "{body}"
        );
        let err = render_body(r#"{"n": {{params.v}}}"#, &ctx("1")).unwrap_err();
        assert!(
            err.message.contains("outside a JSON string"),
            "{}",
            err.message
        );
        // Not JSON: text, as written.
        assert_eq!(render_body("v={{params.v}}", &ctx("a b")).unwrap(), "v=a b");
    }

    #[test]
    fn a_header_value_with_cr_or_lf_is_refused() {
        assert_eq!(
            render_header("Bearer {{params.v}}", &ctx("t")).unwrap(),
            "Bearer t"
        );
        for bad in ["t\r\nX-Evil: 1", "t\nX", "t\r"] {
            let err = render_header("Bearer {{params.v}}", &ctx(bad)).unwrap_err();
            assert!(err.message.contains("CR, LF or NUL"), "{}", err.message);
        }
    }
}
