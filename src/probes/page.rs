//! The page probe (页面探活): fetch a web page, optionally after logging in, and look for text or
//! a CSS selector in it.
//!
//! Values: `STATUS` (of the page, after redirects), `MATCHED` (bool), `COUNT` (elements matching
//! the selector, or occurrences of the text), `RESPONSE_TIME` (ms for the page, login excluded).
//! With `selector` and `text`, an element matches when its text contains `text`; with `text`
//! alone the document's text (markup stripped) is searched.
//!
//! Cookies: a small jar of names and values (from `cookie`, then every `Set-Cookie` seen, login
//! included), sent on every request of the probe; domain and path attributes are ignored. Redirects
//! are followed here (at most 10) so cookies set on a redirect are kept.
//! Must not: keep cookies between runs.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::clients::{builder, http_error};
use super::http::read_body;
use super::{ProbeError, ProbeOutput, Target, bounded, elapsed_ms};

/// Options of the page probe.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PageSpec {
    /// The page URL; may use placeholders. Default: endpoint `url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Log in with a form POST before fetching the page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<LoginSpec>,
    /// A `Cookie` header to start with (`"session=abc; lang=en"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie: Option<String>,
    /// Text to find.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// A CSS selector to find (`#status .ok`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// Accept invalid or self-signed certificates.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure: bool,
}

/// A login form to submit first.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LoginSpec {
    /// Where the form posts to; may use placeholders.
    pub url: String,
    /// Form fields (`username`, `password`, …); values may use placeholders.
    pub fields: BTreeMap<String, String>,
}

pub(super) async fn run(
    spec: &PageSpec,
    target: &Target,
    timeout: Duration,
) -> Result<ProbeOutput, ProbeError> {
    if spec.text.is_none() && spec.selector.is_none() {
        return Err(ProbeError::Config(
            "page probe needs `text` or `selector`".into(),
        ));
    }
    let selector = spec
        .selector
        .as_deref()
        .map(|s| {
            scraper::Selector::parse(s)
                .map_err(|e| ProbeError::Config(format!("CSS selector {s:?}: {e}")))
        })
        .transpose()?;
    let url = target.pick(spec.url.as_deref(), "url")?;
    let client = builder(spec.insecure)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .build()
        .map_err(|e| ProbeError::Failed(format!("cannot build an HTTP client: {e}")))?;
    let mut jar = Jar::default();
    if let Some(c) = &spec.cookie {
        jar.add_header(&target.expand(c)?);
    }
    if let Some(login) = &spec.login {
        let login_url = target.expand(&login.url)?;
        // Built before the await: the serializer is not Send.
        let body = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in &login.fields {
                form.append_pair(k, &target.expand(v)?);
            }
            form.finish()
        };
        let (status, _) = fetch(&client, &mut jar, &login_url, Some(body), timeout).await?;
        if status.is_client_error() || status.is_server_error() {
            return Err(ProbeError::Failed(format!(
                "login at {login_url} answered {status}"
            )));
        }
    }
    let started = Instant::now();
    let (status, body) = fetch(&client, &mut jar, &url, None, timeout).await?;
    let ms = elapsed_ms(started);
    let count = find(&body, selector.as_ref(), spec.text.as_deref());
    let what = match (&spec.selector, &spec.text) {
        (Some(s), Some(t)) => format!("{s:?} containing {t:?}"),
        (Some(s), None) => format!("{s:?}"),
        (None, t) => format!("text {:?}", t.as_deref().unwrap_or_default()),
    };
    let mut out = ProbeOutput::new(format!("{status} in {ms} ms, {count} × {what}"))
        .with("STATUS", status.as_u16())
        .with("MATCHED", count > 0)
        .with("COUNT", count)
        .with("RESPONSE_TIME", ms);
    out.output = bounded(&body);
    Ok(out)
}

/// How often the selector and/or text occur. Parsing is synchronous (`scraper`'s documents are
/// not `Send`), so it happens after every await.
fn find(body: &str, selector: Option<&scraper::Selector>, text: Option<&str>) -> usize {
    let html = scraper::Html::parse_document(body);
    match (selector, text) {
        (Some(sel), text) => html
            .select(sel)
            .filter(|el| text.is_none_or(|t| el.text().collect::<String>().contains(t)))
            .count(),
        (None, Some(t)) if !t.is_empty() => html
            .root_element()
            .text()
            .collect::<String>()
            .matches(t)
            .count(),
        (None, _) => 0,
    }
}

/// GET (or POST a form to) `url`, following redirects by hand so every `Set-Cookie` lands in the
/// jar. 301/302/303 continue with GET; 307/308 repeat the request.
async fn fetch(
    client: &reqwest::Client,
    jar: &mut Jar,
    url: &str,
    mut form: Option<String>,
    timeout: Duration,
) -> Result<(reqwest::StatusCode, String), ProbeError> {
    let mut current =
        url::Url::parse(url).map_err(|e| ProbeError::Config(format!("{url}: {e}")))?;
    for _ in 0..=10 {
        let mut req = match &form {
            Some(body) => client
                .post(current.clone())
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.clone()),
            None => client.get(current.clone()),
        };
        if let Some(cookie) = jar.header() {
            req = req.header("cookie", cookie);
        }
        let shown = current.to_string();
        let mut resp = req
            .send()
            .await
            .map_err(|e| http_error(&e, &shown, timeout))?;
        for v in resp.headers().get_all("set-cookie") {
            jar.add_set_cookie(&String::from_utf8_lossy(v.as_bytes()));
        }
        let status = resp.status();
        let location = resp.headers().get("location").and_then(|l| l.to_str().ok());
        match location.filter(|_| status.is_redirection()) {
            Some(loc) => {
                current = current.join(loc).map_err(|e| {
                    ProbeError::Failed(format!("{shown}: bad redirect {loc:?}: {e}"))
                })?;
                if !matches!(status.as_u16(), 307 | 308) {
                    form = None;
                }
            }
            None => return Ok((status, read_body(&mut resp, &shown, timeout).await?)),
        }
    }
    Err(ProbeError::Failed(format!("{url}: more than 10 redirects")))
}

/// Cookie names and values.
#[derive(Default)]
struct Jar(BTreeMap<String, String>);

impl Jar {
    fn add_header(&mut self, header: &str) {
        for pair in header.split(';') {
            if let Some((k, v)) = pair.split_once('=') {
                self.0.insert(k.trim().to_owned(), v.trim().to_owned());
            }
        }
    }

    fn add_set_cookie(&mut self, line: &str) {
        let mut parts = line.split(';');
        let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
            return;
        };
        let expired = parts.any(|a| a.trim().eq_ignore_ascii_case("max-age=0"));
        if expired || value.trim().is_empty() {
            self.0.remove(name.trim());
        } else {
            self.0
                .insert(name.trim().to_owned(), value.trim().to_owned());
        }
    }

    fn header(&self) -> Option<String> {
        (!self.0.is_empty()).then(|| {
            self.0
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }
}
