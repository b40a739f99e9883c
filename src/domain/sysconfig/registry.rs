//! Every key and switch of DOMAIN.md §2 with its documented default. Users may add their own keys
//! (free JSON); those have no spec here.

use serde_json::{Value, json};

use super::filters;

/// Which admin page a key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    /// 系统配置: JSON or scalar values.
    Config,
    /// 系统开关: booleans toggled with Space.
    Switch,
    /// A key an operator added (free JSON).
    User,
}

/// The value's type, which decides how text input is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Json,
    Bool,
    Integer,
    Text,
}

/// One documented key.
#[derive(Debug)]
pub struct KeySpec {
    pub name: &'static str,
    pub group: Group,
    pub kind: Kind,
    pub description: &'static str,
    /// The documented default.
    pub default: fn() -> Value,
    /// JSON Schema of the value.
    pub schema: fn() -> Value,
    /// JSON pointers of secret fields (`""` = the whole value). Field names that look secret are
    /// masked too, see `secrets::is_secret_field`.
    pub secrets: &'static [&'static str],
    /// A change takes effect only after the engine restarts.
    pub restart_required: bool,
    /// A change takes effect only when its `version` field is raised.
    pub version_gated: bool,
    /// Filled with generated credentials on first start.
    pub generated: bool,
}

fn obj(props: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": props, "required": required})
}
fn s() -> Value {
    json!({"type": "string"})
}
/// `v` refusing fields it does not name (a typo such as `levelz` must not pass silently).
fn strict(mut v: Value) -> Value {
    v["additionalProperties"] = json!(false);
    v
}
fn int(min: i64) -> Value {
    json!({"type": "integer", "minimum": min})
}
fn bool_schema() -> Value {
    json!({"type": "boolean"})
}
fn api(endpoint_secret: &'static str) -> Value {
    obj(
        json!({"endPoint": s(), "accessKeyId": s(), endpoint_secret: s()}),
        &["endPoint"],
    )
}

const fn switch(name: &'static str, on: bool, description: &'static str) -> KeySpec {
    KeySpec {
        name,
        group: Group::Switch,
        kind: Kind::Bool,
        description,
        default: if on { || json!(true) } else { || json!(false) },
        schema: bool_schema,
        secrets: &[],
        restart_required: false,
        version_gated: false,
        generated: false,
    }
}

const fn config(
    name: &'static str,
    kind: Kind,
    description: &'static str,
    default: fn() -> Value,
    schema: fn() -> Value,
    secrets: &'static [&'static str],
) -> KeySpec {
    KeySpec {
        name,
        group: Group::Config,
        kind,
        description,
        default,
        schema,
        secrets,
        restart_required: false,
        version_gated: false,
        generated: false,
    }
}

/// The registry, in the order the admin page lists it.
pub static REGISTRY: &[KeySpec] = &[
    config(
        "IAM_CONFIG",
        Kind::Json,
        "Admin account of the identity service; only needed for page probes.",
        || json!({"iamUser": "", "iamUserDescPassword": "", "iamUserPassword": ""}),
        || {
            obj(
                json!({"iamUser": s(), "iamUserDescPassword": s(), "iamUserPassword": s()}),
                &["iamUser"],
            )
        },
        &["/iamUserDescPassword", "/iamUserPassword"],
    ),
    config(
        "OSS_INFO_CONFIG",
        Kind::Json,
        "Object storage. Single region: hostEffective=true + hostName; multi-region: hostEffective=false + ips {alias: [publicAddr, internalAddr]}.",
        || json!({"accessKey": "", "accessSecret": "", "hostName": "", "hostEffective": true, "ips": {}, "version": "v1"}),
        || {
            obj(
                json!({
                    "accessKey": s(), "accessSecret": s(), "hostName": s(), "hostEffective": bool_schema(),
                    "ips": {"type": "object", "additionalProperties": {"type": "array", "items": s(), "minItems": 2, "maxItems": 2}},
                    "version": s()
                }),
                &["hostEffective"],
            )
        },
        &["/accessSecret"],
    ),
    config(
        "OCP_API_CONFIG",
        Kind::Json,
        "Database-operations API (address + keys); used by the atomic op \"set database zone priority\".",
        || json!({"endPoint": "", "accessKeyId": "", "accessKeySecret": ""}),
        || api("accessKeySecret"),
        &["/accessKeySecret"],
    ),
    config(
        "GW_OP_CONFIG",
        Kind::Json,
        "Gateway operations API; used by the atomic ops \"scheduled-task unit switch execute / close\".",
        || json!({"endPoint": "", "accessKeyId": "", "accessKeySecret": ""}),
        || api("accessKeySecret"),
        &["/accessKeySecret"],
    ),
    config(
        "ZONEMNG_API_CONFIG",
        Kind::Json,
        "Zone-management API: real-time traffic on the DR dashboard; DR plan atomic ops.",
        || json!({"endPoint": "", "accessKeyId": "", "accessKeySecret": ""}),
        || api("accessKeySecret"),
        &["/accessKeySecret"],
    ),
    KeySpec {
        version_gated: true,
        generated: true,
        ..config(
            "RMS_CONFIG",
            Kind::Json,
            "Monitoring connection. A change only takes effect if `version` is raised; it takes effect within 30 s. Generated on first start.",
            || json!({"hostEffective": true, "hostName": "127.0.0.1", "rmsKernelOutsideTenantId": "paas_outsidetenant_id", "token": "", "version": "v3"}),
            || {
                obj(
                    json!({
                        "hostEffective": bool_schema(), "hostName": s(), "rmsKernelOutsideTenantId": s(),
                        "token": s(), "version": {"type": "string", "minLength": 1}
                    }),
                    &["hostEffective", "hostName", "version"],
                )
            },
            &["/token"],
        )
    },
    config(
        "ASO_API_CONFIG",
        Kind::Json,
        "IaaS water levels on the risk dashboard. accessKeyInfo is shown encrypted once saved; socketTimeout in ms.",
        || json!({"endPoint": "", "proxyScheme": "http", "proxyHost": "", "proxyPort": 0, "connectionRequestTimeout": 10000, "connectTimeout": 10000, "socketTimeout": 10000, "accessKeyInfo": ""}),
        || {
            obj(
                json!({
                    "endPoint": s(), "proxyScheme": {"enum": ["http", "https"]}, "proxyHost": s(),
                    "proxyPort": {"type": "integer", "minimum": 0, "maximum": 65535},
                    "connectionRequestTimeout": int(0), "connectTimeout": int(0), "socketTimeout": int(0),
                    "accessKeyInfo": s()
                }),
                &["endPoint", "accessKeyInfo"],
            )
        },
        &["/accessKeyInfo"],
    ),
    config(
        "RISK_DASHBOARD_CONFIG",
        Kind::Json,
        "Business risk view and the risk-event filters: dsTypeMap (true keeps a data-source type), riskLevelMap (P0..P3). bizUrl keys must match bizMap keys.",
        filters::default_risk_dashboard,
        || {
            obj(
                json!({
                    "bizMap": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": ["string", "integer"]}}},
                    "antProductMap": {"type": "object"},
                    "bizUrl": {"type": "object", "additionalProperties": s()},
                    "dsTypeMap": {"type": "object", "additionalProperties": bool_schema()},
                    "riskLevelMap": {"type": "object", "propertyNames": {"enum": ["P0", "P1", "P2", "P3"]}, "additionalProperties": bool_schema()}
                }),
                &[],
            )
        },
        &[],
    ),
    config(
        "WEB_PROTOCOL",
        Kind::Text,
        "Protocol of page probes: HTTP, HTTPS or TCP.",
        || json!("HTTPS"),
        || json!({"enum": ["HTTP", "HTTPS", "TCP"]}),
        &[],
    ),
    config(
        "WEB_POSTFIX",
        Kind::Text,
        "Domain suffix of the local site, for page probes.",
        || json!(""),
        s,
        &[],
    ),
    config(
        "OB_STORAGE_QUERY_INFO",
        Kind::Json,
        "Database water levels on the DR dashboard: {} when the platform DB is the distributed DB itself, else obUrl, obPort, obSchema, obUserName, obPassword.",
        || json!({}),
        || {
            json!({"type": "object", "properties": {"obUrl": s(), "obPort": {"type": "integer", "minimum": 1, "maximum": 65535}, "obSchema": s(), "obUserName": s(), "obPassword": s()},
                  "dependentRequired": {"obUrl": ["obPort", "obSchema", "obUserName", "obPassword"]}})
        },
        &["/obPassword"],
    ),
    config(
        "DR_DASHBOARD_CONFIG",
        Kind::Json,
        "DR dashboard collectors (master engine): intervalSecs (default 10), timeoutSecs, concurrency, retentionDays (default 7; raw samples are kept 1 h, then 5-minute averages), thresholds {connections|memory|disk: {warn, critical}} in %, prometheusUrl, and trafficQuery: the PromQL giving traffic per zone (one series per `zone` label). The original system read zone traffic from its zone manager (ZONEMNG_API_CONFIG); nightwatch reads it from Prometheus. Readiness uses it: when both datacenters have a figure and the target serves some, the target's connections are projected as in-use × (source traffic + target traffic) / target traffic; otherwise the source's connections are added to the target's; at connections.critical % of the target's max the direction is not ready.",
        crate::domain::dr::default_dashboard_config,
        || {
            let th = json!({"type": "object", "properties": {"warn": {"type": "number", "minimum": 0}, "critical": {"type": "number", "minimum": 0}}, "required": ["warn", "critical"]});
            obj(
                json!({
                    "intervalSecs": int(1), "timeoutSecs": int(1), "concurrency": int(1), "retentionDays": int(1),
                    "thresholds": {"type": "object", "properties": {"connections": th, "memory": th, "disk": th}, "additionalProperties": false},
                    "prometheusUrl": s(), "trafficQuery": s()
                }),
                &[],
            )
        },
        &[],
    ),
    config(
        "MOCK_TENANT",
        Kind::Json,
        "Tenant used while IAM is degraded.",
        || json!({}),
        || json!({"type": "object"}),
        &[],
    ),
    config(
        "MOCK_USER",
        Kind::Json,
        "User used while IAM is degraded.",
        || json!({}),
        || json!({"type": "object"}),
        &[],
    ),
    config(
        "METADATA_EDITABLE",
        Kind::Bool,
        "When true, inspection plugins may be used to create drills.",
        || json!(false),
        bool_schema,
        &[],
    ),
    config(
        "YUNYOU_VERSION",
        Kind::Text,
        "Platform version; a wrong value breaks metadata sync with a NOT NULL error. Must match the platform.",
        || json!("4.4.1"),
        || json!({"type": "string", "pattern": "^[0-9]+\\.[0-9]+\\.[0-9]+$"}),
        &[],
    ),
    KeySpec {
        restart_required: true,
        ..config(
            "META_SYNC_INTERVAL",
            Kind::Integer,
            "Metadata sync interval in ms (6 h). Restart required.",
            || json!(21_600_000),
            || int(60_000),
            &[],
        )
    },
    KeySpec {
        restart_required: true,
        ..config(
            "BASELINE_SYNC_INTERVAL",
            Kind::Integer,
            "Baseline sync interval in ms (1 h). Restart required.",
            || json!(3_600_000),
            || int(60_000),
            &[],
        )
    },
    config(
        "KUBE_CONFIG",
        Kind::Text,
        "kubeconfig text, when the container platform switch is on.",
        || json!(""),
        s,
        &[""],
    ),
    KeySpec {
        generated: true,
        ..config(
            "NW_EMBEDDED_AK",
            Kind::Json,
            "The access key / secret key a monitoring webhook must present. Generated on first start.",
            || json!({"ak": "", "sk": ""}),
            || obj(json!({"ak": s(), "sk": s()}), &["ak", "sk"]),
            &["/sk"],
        )
    },
    config(
        "NOTIFY_CHANNELS",
        Kind::Json,
        "Where risk-event notifications go: DingTalk robots (signed when a secret is set), Slack, generic webhooks; each with the levels and sources it wants (empty sources = all). URLs and secrets are sealed.",
        || json!({"channels": []}),
        || {
            obj(
                json!({"channels": {"type": "array", "items": strict(obj(json!({
            "name": {"type": "string", "minLength": 1},
            "kind": {"enum": ["dingtalk", "slack", "webhook"]},
            "url": {"type": "string", "minLength": 1},
            "secret": s(),
            "levels": {"type": "array", "items": {"enum": ["P0", "P1", "P2", "P3"]}},
            "sources": {"type": "array", "items": s()},
            "resolved": bool_schema()
        }), &["name", "kind", "url"]))}}),
                &["channels"],
            )
        },
        &["/channels/*/url", "/channels/*/secret"],
    ),
    KeySpec {
        generated: true,
        ..config(
            "INGEST_AUTH",
            Kind::Json,
            "Credentials each ingest endpoint demands: mode bearer (token), basic (user, password) or hmac (secret: hex HMAC-SHA256 of the body in X-Nightwatch-Signature). Generated on first start; `nightwatch config get INGEST_AUTH --reveal` shows the tokens to put in the senders.",
            || json!({"alertmanager": {"mode": "bearer", "token": ""}, "api": {"mode": "bearer", "token": ""}}),
            || {
                let src = json!({"type": "object", "properties": {
                    "mode": {"enum": ["bearer", "basic", "hmac"]}, "token": s(), "user": s(), "password": s(), "secret": s(),
                    "rate_per_sec": {"type": "number", "exclusiveMinimum": 0}
                }, "required": ["mode"]});
                obj(
                    json!({"alertmanager": src.clone(), "api": src}),
                    &["alertmanager", "api"],
                )
            },
            &[
                "/alertmanager/token",
                "/alertmanager/password",
                "/alertmanager/secret",
                "/api/token",
                "/api/password",
                "/api/secret",
            ],
        )
    },
    switch("yunyouPlus", false, "Platform plus edition."),
    switch(
        "PLAN_G3_SECOND_APPROVER",
        false,
        "A G3 plan run waits until a second operator approves it from another console or `nightwatch plan approve RUN` before any engine starts it (nightwatch key).",
    ),
    switch(
        "SELF_HEALING_ENABLED",
        false,
        "Self-healing runs plans by itself (policies in mode on, under their protection rules); off stops every new self-heal at once. Shadow policies record their decisions either way (nightwatch key).",
    ),
    config(
        "SELF_HEALING_MAX_PER_HOUR",
        Kind::Integer,
        "Self-heals that may run per hour over every scenario, on top of each policy's own limits (nightwatch key).",
        || json!(10),
        || int(1),
        &[],
    ),
    switch("useAke", false, "Container platform (AKE) in use."),
    switch("useArk", false, "ARK in use."),
    switch("yunyouOwnLogin", false, "The platform's own login page."),
    switch("hasDeps", false, "Deployment service present."),
    switch("hasLhc", false, "LHC present."),
    switch(
        "allowModifyKernel",
        false,
        "Inspection rule parameters are editable.",
    ),
    switch("SYNC_KERNEL_BASELINE", true, "Sync the kernel baseline."),
    switch("SYNC_USER_BASELINE", true, "Sync the user baseline."),
    switch("SYNC_AKE_BASELINE", true, "Sync the AKE baseline."),
    switch(
        "METADATA_AUTO_SYNC",
        false,
        "Sync metadata automatically (every 6 h when on).",
    ),
    switch(
        "BASELINE_AUTO_SYNC",
        false,
        "Sync baselines automatically (every 1 h when on).",
    ),
];

/// The spec of a documented key.
pub fn lookup(name: &str) -> Option<&'static KeySpec> {
    REGISTRY.iter().find(|k| k.name == name)
}

/// The documented key nearest to `name` (case-insensitive edit distance), for "did you mean".
pub fn suggest<'a>(name: &str, extra: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let wanted = name.to_ascii_lowercase();
    REGISTRY
        .iter()
        .map(|k| k.name)
        .chain(extra)
        .map(|k| (distance(&wanted, &k.to_ascii_lowercase()), k))
        .filter(|(d, k)| *d <= (k.len() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.to_owned())
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests;
