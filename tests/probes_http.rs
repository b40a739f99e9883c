//! The http and page probes against a local axum server started by the test (certificate expiry:
//! `probes_tls.rs`).

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use nightwatch::probes::{self, LoginSpec, PageSpec, ProbeError, ProbeSpec, Target};
use serde_json::json;

const T: Duration = Duration::from_secs(5);

async fn server() -> String {
    let app = Router::new()
        .route("/ok", get(|| async { "hello world v1.2.3" }))
        .route(
            "/json",
            get(|| async { Json(json!({"status": "UP", "checks": {"db": 3}})) }),
        )
        .route(
            "/status/{code}",
            get(|p: axum::extract::Path<u16>| async move { StatusCode::from_u16(p.0).unwrap() }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "late"
            }),
        )
        .route("/moved", get(|| async { Redirect::to("/ok") }))
        .route(
            "/echo",
            post(|h: HeaderMap, body: String| async move {
                format!("token={} body={body}", h["x-token"].to_str().unwrap())
            }),
        )
        .route(
            "/login",
            post(|f: Form<BTreeMap<String, String>>| async move {
                if f.get("user").map(String::as_str) == Some("ops")
                    && f.get("pass").map(String::as_str) == Some("pw")
                {
                    (
                        [(header::SET_COOKIE, "session=abc123; Path=/; HttpOnly")],
                        Redirect::to("/home"),
                    )
                        .into_response()
                } else {
                    StatusCode::UNAUTHORIZED.into_response()
                }
            }),
        )
        .route(
            "/home",
            get(|h: HeaderMap| async move {
                let cookie = h
                    .get(header::COOKIE)
                    .map(|c| c.to_str().unwrap().to_owned());
                if cookie.is_some_and(|c| c.contains("session=abc123")) {
                    Html(
                        "<html><body><div id='status'><span class='ok'>All good</span>\
                      <span class='ok'>Queue <b>empty</b></span></div></body></html>",
                    )
                    .into_response()
                } else {
                    Redirect::to("/please-login").into_response()
                }
            }),
        )
        .route(
            "/please-login",
            get(|| async { Html("<p>please log in</p>") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn target(base: &str) -> Target {
    Target {
        name: "web".into(),
        endpoints: json!({"url": format!("{base}/ok"), "base": base}),
        labels: json!({}),
    }
}

fn http(v: serde_json::Value) -> ProbeSpec {
    let mut v = v;
    v["kind"] = json!("http");
    serde_json::from_value(v).unwrap()
}

#[tokio::test]
async fn http_status_time_regex_and_json_body() {
    let base = server().await;
    let t = target(&base);
    // The URL comes from the target's endpoints.
    let spec = http(json!({"regex": r"v(\d+\.\d+)"}));
    let out = probes::run(&spec, &t, T).await.unwrap();
    assert_eq!(out.values["STATUS"], 200);
    assert_eq!(out.values["MATCHED"], true);
    assert_eq!(out.values["MATCH"], "1.2");
    assert_eq!(out.values["BODY"], "hello world v1.2.3");
    assert!(out.values["RESPONSE_TIME"].as_u64().unwrap() < 5000);
    assert!(
        !out.values.contains_key("CERT_EXPIRES_DAYS"),
        "plain http has no certificate"
    );

    let out = probes::run(&http(json!({"url": "{base}/json", "regex": "DOWN"})), &t, T)
        .await
        .unwrap();
    assert_eq!(
        out.values["BODY"]["status"], "UP",
        "JSON bodies are parsed for [BODY].status"
    );
    assert_eq!(out.values["BODY"]["checks"]["db"], 3);
    assert_eq!(out.values["MATCHED"], false);

    let out = probes::run(&http(json!({"url": "{base}/status/503"})), &t, T)
        .await
        .unwrap();
    assert_eq!(
        out.values["STATUS"], 503,
        "an error status is a measurement, not an error"
    );

    let out = probes::run(&http(json!({"url": "{base}/moved"})), &t, T)
        .await
        .unwrap();
    assert_eq!(
        out.values["STATUS"], 200,
        "redirects are followed by default"
    );
    let spec = http(json!({"url": "{base}/moved", "follow_redirects": false}));
    assert_eq!(
        probes::run(&spec, &t, T).await.unwrap().values["STATUS"],
        303
    );

    let spec = http(json!({"url": "{base}/echo", "method": "post",
        "headers": {"X-Token": "t-{name}"}, "body": "ping"}));
    let out = probes::run(&spec, &t, T).await.unwrap();
    assert_eq!(out.values["BODY"], "token=t-web body=ping");
    assert!(out.output.contains("200 OK"), "{}", out.output);
}

#[tokio::test]
async fn http_timeout_and_configuration_errors() {
    let base = server().await;
    let t = target(&base);
    let started = Instant::now();
    let err = probes::run(
        &http(json!({"url": "{base}/slow"})),
        &t,
        Duration::from_millis(500),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, ProbeError::Timeout(d) if d == Duration::from_millis(500)),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "returned at the deadline"
    );

    let err = probes::run(&http(json!({"regex": "("})), &t, T)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProbeError::Config(ref m) if m.contains("regex")),
        "{err}"
    );
    let err = probes::run(&http(json!({"url": "{nope}/x"})), &t, T)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("{nope}"), "{err}");
    let closed = format!("http://127.0.0.1:{}/", common::free_port());
    let err = probes::run(&http(json!({ "url": closed })), &t, T)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProbeError::NoConnection(ref m) if m.contains(&closed)),
        "{err}"
    );
}

#[tokio::test]
async fn page_login_cookie_and_selector() {
    let base = server().await;
    let t = target(&base);
    let page = |p: PageSpec| ProbeSpec::Page(p);
    let login = LoginSpec {
        url: "{base}/login".into(),
        fields: [("user", "ops"), ("pass", "pw")]
            .map(|(k, v)| (k.into(), v.into()))
            .into(),
    };
    let spec = PageSpec {
        url: Some("{base}/home".into()),
        login: Some(login.clone()),
        selector: Some("#status span.ok".into()),
        ..PageSpec::default()
    };
    let out = probes::run(&page(spec.clone()), &t, T).await.unwrap();
    assert_eq!(out.values["STATUS"], 200);
    assert_eq!(out.values["MATCHED"], true);
    assert_eq!(out.values["COUNT"], 2);
    // Selector and text: the element's text (markup inside stripped) must contain it.
    let with_text = PageSpec {
        text: Some("Queue empty".into()),
        ..spec.clone()
    };
    let out = probes::run(&page(with_text), &t, T).await.unwrap();
    assert_eq!(
        (out.values["MATCHED"].clone(), out.values["COUNT"].clone()),
        (json!(true), json!(1))
    );

    // Without the login the page redirects to the login prompt: measured, not matched.
    let anonymous = PageSpec {
        login: None,
        ..spec.clone()
    };
    let out = probes::run(&page(anonymous), &t, T).await.unwrap();
    assert_eq!(out.values["MATCHED"], false);
    assert!(out.output.contains("please log in"));

    // A given cookie header works like a login; text alone searches the document's text.
    let by_cookie = PageSpec {
        url: Some("{base}/home".into()),
        cookie: Some("lang=en; session=abc123".into()),
        text: Some("All good".into()),
        ..PageSpec::default()
    };
    assert_eq!(
        probes::run(&page(by_cookie), &t, T).await.unwrap().values["MATCHED"],
        true
    );

    // A refused login is an error naming the login URL.
    let mut bad = login;
    bad.fields.insert("pass".into(), "wrong".into());
    let refused = PageSpec {
        login: Some(bad),
        ..spec.clone()
    };
    let err = probes::run(&page(refused), &t, T)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("/login answered 401"), "{err}");

    let bad_selector = PageSpec {
        selector: Some("div[".into()),
        ..spec
    };
    let err = probes::run(&page(bad_selector), &t, T).await.unwrap_err();
    assert!(
        matches!(err, ProbeError::Config(ref m) if m.contains("div[")),
        "{err}"
    );
}
