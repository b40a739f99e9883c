use serde_json::json;

use super::*;

fn op(toml_text: &str) -> Op {
    let v: toml::Value = toml::from_str(toml_text).unwrap();
    v.try_into().unwrap()
}

fn one(problems: Vec<String>) -> String {
    assert_eq!(problems.len(), 1, "{problems:#?}");
    problems.into_iter().next().unwrap()
}

#[test]
fn a_template_in_a_script_is_refused_with_the_env_form() {
    let m = one(op_code_problems(&op(
        "kind = \"command\"\nscript = \"echo raw=[{{params.s}}] {{event.labels.instance}}\"",
    )));
    assert!(m.starts_with("script uses {{params.s}}"), "{m}");
    assert!(
        m.contains("env = { S = \"{{params.s}}\", INSTANCE = \"{{event.labels.instance}}\" }"),
        "{m}"
    );
    assert!(m.contains(r#"echo raw=[\"${S}\"] \"${INSTANCE}\""#), "{m}");
    let m = one(op_code_problems(&op(
        "kind = \"command\"\ninterpreter = \"python3\"\nscript = \"print('{{params.s}}')\"",
    )));
    assert!(m.contains("os.environ[\\\"S\\\"]"), "{m}");
    // The same value through env is data: nothing to say.
    assert!(
        op_code_problems(&op(
            "kind = \"command\"\nscript = 'echo \"$S\"'\nenv = { S = \"{{params.s}}\" }"
        ))
        .is_empty()
    );
    // Go templates are not ours.
    assert!(
        op_code_problems(&op(
            "kind = \"command\"\nscript = \"docker ps --format '{{.Names}}'\""
        ))
        .is_empty()
    );
}

#[test]
fn a_template_in_sql_is_refused_with_the_bound_form() {
    let m = one(op_code_problems(&op(
        "kind = \"sql\"\ndsn = \"sqlite:///x.db\"\nstatement = \"select * from t where name = '{{params.s}}' and id = {{params.id}}\"",
    )));
    assert!(m.starts_with("statement uses {{params.s}}"), "{m}");
    assert!(
        m.contains(r#"statement = "select * from t where name = ? and id = ?" with args = ["{{params.s}}", "{{params.id}}"]"#),
        "{m}"
    );
    let ps = op_code_problems(&op(
        "kind = \"sql\"\ndsn = \"mysql://{{params.host}}/db\"\nstatements = [{ sql = \"select 1\" }, { sql = \"delete from t where id = {{params.id}}\" }]",
    ));
    assert_eq!(ps.len(), 2, "{ps:#?}");
    assert!(
        ps[0].starts_with("statements[1].sql uses {{params.id}}")
            && ps[0].contains("statements[1].args = [\"{{params.id}}\"]"),
        "{ps:#?}"
    );
    assert!(
        ps[1].starts_with("dsn uses {{params.host}}") && ps[1].contains("target = "),
        "{ps:#?}"
    );
    assert!(
        op_code_problems(&op(
            "kind = \"sql\"\ndsn = \"sqlite:///x.db\"\nstatement = \"select * from t where name = ?\"\nargs = [\"{{params.s}}\"]"
        ))
        .is_empty()
    );
}

#[test]
fn redis_command_names_and_scripts_are_code_arguments_are_not() {
    let m = one(op_code_problems(&op(
        "kind = \"redis\"\naddr = \"h:1\"\ncommand = [\"{{params.cmd}}\", \"x\"]",
    )));
    assert!(m.starts_with("command[0] uses {{params.cmd}}"), "{m}");
    let m = one(op_code_problems(&op(
        "kind = \"redis\"\naddr = \"h:1\"\ncommand = [\"EVAL\", \"return '{{params.k}}'\", \"0\"]",
    )));
    assert!(
        m.starts_with("command[1] uses {{params.k}}") && m.contains("ARGV[1]"),
        "{m}"
    );
    assert!(
        op_code_problems(&op(
            "kind = \"redis\"\naddr = \"h:1\"\ncommand = [\"REPLICAOF\", \"{{params.host}}\", \"{{params.port}}\"]"
        ))
        .is_empty()
    );
}

#[test]
fn urls_take_values_only_in_their_query() {
    let m = one(op_code_problems(&op(
        "kind = \"http\"\nurl = \"http://{{params.host}}/restart\"",
    )));
    assert!(
        m.contains("scheme, host or path") && m.contains("?name={{params.host}}"),
        "{m}"
    );
    let m = one(op_code_problems(&op(
        "kind = \"http\"\nurl = \"https://lb.local/{{params.path}}?x=1\"",
    )));
    assert!(m.starts_with("url uses {{params.path}}"), "{m}");
    assert!(
        op_code_problems(&op(
            "kind = \"http\"\nurl = \"https://lb.local/restart?app={{params.app}}&dc={{params.dc}}\""
        ))
        .is_empty()
    );
}

#[test]
fn probes_in_gates_and_rules_follow_the_same_rules() {
    let m = one(op_code_problems(&op(
        "kind = \"wait_until\"\ncondition = \"[VALUE] == 1\"\ndeadline = \"10s\"\nprobe = { kind = \"sql\", query = \"select count(*) from node where id = {{params.id}}\" }",
    )));
    assert!(
        m.starts_with("probe: query uses {{params.id}}")
            && m.contains("args = [\"{{params.id}}\"]"),
        "{m}"
    );
    let m = one(op_code_problems(&op(
        "kind = \"wait_until\"\ncondition = \"[VALUE] == {{params.n}}\"\ndeadline = \"10s\"\nprobe = { kind = \"tcp\" }",
    )));
    assert!(m.starts_with("condition uses {{params.n}}"), "{m}");
    let m = one(probe_code_problems(
        &json!({"kind": "command", "script": "ping -c1 {{params.h}}"}),
    ));
    assert!(m.contains("params = { H = \"{{params.h}}\" }"), "{m}");
    let m = one(probe_code_problems(
        &json!({"kind": "prometheus", "query": "up{instance=\"{{event.labels.instance}}\"}"}),
    ));
    assert!(m.starts_with("query uses {{event.labels.instance}}"), "{m}");
    let m = one(probe_code_problems(
        &json!({"kind": "page", "url": "https://x/", "login": {"url": "https://{{params.h}}/login", "fields": {}}}),
    ));
    assert!(m.starts_with("login.url uses {{params.h}}"), "{m}");
    // A probe only reads: a write, or what does not parse, is refused.
    let m = one(probe_code_problems(
        &json!({"kind": "sql", "query": "with d as (delete from t returning *) select count(*) from d"}),
    ));
    assert!(
        m.contains("a probe only reads, and this statement writes"),
        "{m}"
    );
    let m = one(probe_code_problems(
        &json!({"kind": "sql", "query": "selec 1"}),
    ));
    assert!(m.contains("treated as a write (fail closed)"), "{m}");
    assert!(probe_code_problems(&json!({"kind": "sql", "query": "select count(*) from node where id = ?", "args": ["{{params.id}}"]})).is_empty());
}
