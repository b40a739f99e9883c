use super::*;
use serde_json::json;

fn ctx() -> RenderCtx {
    let mut c = RenderCtx {
        params: [
            ("dir".to_owned(), json!("/home/admin/logs")),
            ("days".to_owned(), json!(7)),
        ]
        .into(),
        run_id: Some(42),
        ..RenderCtx::default()
    };
    let mut check = StepResult::new(StepStatus::Succeeded, "3 files");
    check.values.insert("EXIT_CODE".into(), json!(0));
    c.steps.insert("check".into(), check);
    c
}

#[test]
fn renders_references_and_leaves_other_braces_alone() {
    let c = ctx();
    assert_eq!(
        render("find {{params.dir}} -mtime +{{ params.days }}", &c).unwrap(),
        "find /home/admin/logs -mtime +7"
    );
    assert_eq!(
        render(
            "{{steps.check.output}}/{{steps.check.status}}/{{steps.check.values.exit_code}}",
            &c
        )
        .unwrap(),
        "3 files/succeeded/0"
    );
    assert_eq!(
        render("run {{run.id}} dry={{run.dry_run}}", &c).unwrap(),
        "run 42 dry=false"
    );
    for literal in [
        "echo ${HOME} {x}",
        r#"{"a": {"b": 1}}"#,
        r#"up{job="node"}"#,
        "curl http://{host}:{port}/",
        "docker ps --format '{{.Names}}'",
        "{{ range .Items }}",
        "{{x}}",
    ] {
        assert_eq!(render(literal, &c).unwrap(), literal);
    }
}

#[test]
fn bad_references_are_errors() {
    let c = ctx();
    let e = render("{{parms.dir}}", &c).unwrap_err();
    assert!(e.message.contains("unknown name \"parms\""), "{e}");
    let e = render("{{steps.check}}", &c).unwrap_err();
    assert!(e.message.contains("steps.ID.output"), "{e}");
    let e = render("rm {{params.dir", &c).unwrap_err();
    assert!(e.message.contains("unclosed"), "{e}");
    let e = render("{{steps.later.output}}", &c).unwrap_err();
    assert!(e.message.contains("not known yet"), "{e}");
    let e = render("{{steps.check.values.NOPE}}", &c).unwrap_err();
    assert!(e.message.contains("no value NOPE"), "{e}");
    let e = render("{{event.labels.instance}}", &c).unwrap_err();
    assert!(e.message.contains("no event"), "{e}");
}

#[test]
fn preview_shows_what_is_not_known_yet() {
    let mut c = ctx();
    c.preview = true;
    c.run_id = None;
    assert_eq!(
        render(
            "{{steps.later.output}} {{run.id}} {{steps.x.values.ROLE}}",
            &c
        )
        .unwrap(),
        "<output of step later> <run id> <ROLE of step x>"
    );
    assert_eq!(render("[{{params.unset}}]", &c).unwrap(), "[]");
}

#[test]
fn url_values_are_percent_encoded_query_values_and_args_keep_their_type() {
    let mut c = ctx();
    c.params.insert("s".into(), json!("a&b=c#d/../x?y z"));
    assert_eq!(
        render_url("https://lb.local/api?dir={{params.dir}}&s={{params.s}}", &c).unwrap(),
        "https://lb.local/api?dir=%2Fhome%2Fadmin%2Flogs&s=a%26b%3Dc%23d%2F..%2Fx%3Fy+z"
    );
    let e = render_url("https://{{params.s}}/x", &c).unwrap_err();
    assert!(e.message.contains("never in its host or path"), "{e}");
    assert_eq!(render_arg(&json!("{{params.days}}"), &c).unwrap(), json!(7));
    assert_eq!(
        render_arg(&json!("{{params.dir}}"), &c).unwrap(),
        json!("/home/admin/logs")
    );
    assert_eq!(
        render_arg(&json!("d={{params.days}}"), &c).unwrap(),
        json!("d=7")
    );
    assert_eq!(render_arg(&json!(3), &c).unwrap(), json!(3));
    // A value is never expanded a second time from the target.
    c.params.insert("p".into(), json!("x{password}"));
    let gate: Op = toml::from_str(
        "kind = \"wait_until\"\ncondition = \"[EXIT_CODE] == 0\"\ndeadline = \"1s\"\nprobe = { kind = \"command\", script = \"true\", params = { P = \"{{params.p}}\" } }",
    )
    .unwrap();
    let e = render_op(&gate, &c).unwrap_err();
    assert!(
        e.message
            .starts_with("probe.params.P: the value of {{params.p}} holds a {placeholder}"),
        "{e}"
    );
    c.params.insert("p".into(), json!(r#"{"json": 1}"#));
    assert!(render_op(&gate, &c).is_ok());
    assert_eq!(
        render_arg(&json!("{{steps.check.values.EXIT_CODE}}"), &c).unwrap(),
        json!(0)
    );
}

#[test]
fn event_fields() {
    let mut c = ctx();
    c.event = Some(EventRef {
        id: 7,
        level: "P1".into(),
        component: "redis-a".into(),
        labels: [("instance".to_owned(), "10.0.0.5:6379".to_owned())].into(),
        ..EventRef::default()
    });
    assert_eq!(
        render(
            "{{event.labels.instance}} {{event.component}} #{{event.id}} {{event.level}}",
            &c
        )
        .unwrap(),
        "10.0.0.5:6379 redis-a #7 P1"
    );
    assert_eq!(
        refs("{{event.labels.a.b}}").unwrap(),
        vec![Ref::EventLabel("a.b".into())]
    );
}
