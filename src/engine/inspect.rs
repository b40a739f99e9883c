//! Running inspection tasks: resolve each rule's targets through its selector, probe every rule ×
//! target with the task's concurrency limit, timeout and retries, judge with the condition and the
//! window/threshold track, store results, and raise or resolve a risk event (source `inspection`,
//! one per rule × target) when a check starts or stops firing.
//!
//! The probe is injected ([`ProbeFn`]) so the runner does not depend on how probes are made.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use futures::future::BoxFuture;
use serde_json::Value;

use crate::domain::Component;
use crate::domain::content::{Rule, Task};
use crate::domain::event::Incoming;
use crate::domain::inspection::{Condition, Observation, Unobserved, Verdict};
use crate::domain::notify::{
    Channel, FailedCheck, MAX_NOTICE_FAILURES, RUN_NOTICE_KIND, RunNotice, parse_channels,
};
use crate::domain::time::now_ms;
use crate::store::{IngestItem, NO_EVENT, ResultRow, Store, StoreError};
use tokio::sync::{Notify, watch};

use super::config_watch::Effective;
use super::notify::CHANNELS_KEY;

/// Run one probe: (probe spec, target component, timeout) → observation, or why there is none
/// (an error, or the target's host could not be reached).
pub type ProbeFn = Arc<
    dyn Fn(Value, Component, Duration) -> BoxFuture<'static, Result<Observation, Unobserved>>
        + Send
        + Sync,
>;

/// Counts of one run.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub error: usize,
    /// Checks whose target's host could not be reached ("cannot reach host").
    #[serde(default)]
    pub unreach: usize,
}

impl Summary {
    fn add(&mut self, v: Verdict) {
        match v {
            Verdict::Pass => self.pass += 1,
            Verdict::Warn => self.warn += 1,
            Verdict::Fail => self.fail += 1,
            Verdict::Error => self.error += 1,
            Verdict::Unreachable => self.unreach += 1,
        }
    }

    /// The run's status: failed when anything failed, errored or could not be reached.
    pub fn status(&self) -> &'static str {
        if self.fail + self.error + self.unreach > 0 {
            "failed"
        } else {
            "passed"
        }
    }
}

/// What runs need besides the task: where results go, how to probe, and where notifications go.
#[derive(Clone)]
pub struct Runner {
    pub store: Store,
    pub probe: ProbeFn,
    /// The engine's live configuration, for `NOTIFY_CHANNELS` (`None`: nothing is notified).
    pub config: Option<watch::Receiver<Arc<Effective>>>,
    /// Woken after outbox rows commit (the notifier's wake).
    pub notify_wake: Option<Arc<Notify>>,
}

/// One check's outcome, as the run summary needs it.
struct Checked {
    verdict: Verdict,
    rule: String,
    target: String,
    message: String,
}

impl Runner {
    /// A runner that stores and probes but notifies nobody.
    pub fn new(store: Store, probe: ProbeFn) -> Runner {
        Runner {
            store,
            probe,
            config: None,
            notify_wake: None,
        }
    }

    /// The configured channels (empty without a configuration).
    fn channels(&self) -> Vec<Channel> {
        self.config.as_ref().map_or_else(Vec::new, |c| {
            parse_channels(&c.borrow().get(CHANNELS_KEY)).0
        })
    }

    /// What a probe of `target` reported, scrubbed of every secret in use (the configuration's,
    /// the engine's, and those in the target's endpoints) before it is stored or shown.
    fn scrubbed(
        &self,
        target: &Component,
        observed: Result<Observation, Unobserved>,
    ) -> Result<Observation, Unobserved> {
        scrubbed(self.config.as_ref(), target, observed)
    }

    fn wake_notifier(&self) {
        if let Some(w) = &self.notify_wake {
            w.notify_one();
        }
    }

    /// Execute a claimed run of `task` (run id `run_id`, held by `worker`), then push its summary
    /// to the task's `notify` channels.
    pub async fn execute(
        &self,
        task: &Task,
        run_id: i64,
        worker: &str,
    ) -> Result<Summary, StoreError> {
        let store = &self.store;
        let started = now_ms();
        let rules = store.list_rules().await?;
        let components = store.list_components().await?;
        let mut pairs: Vec<(Rule, Option<Component>)> = Vec::new();
        for name in &task.rules {
            let Some(rule) = rules.iter().find(|r| &r.name == name) else {
                pairs.push((missing_rule(name), None));
                continue;
            };
            let targets: Vec<&Component> = components
                .iter()
                .filter(|c| rule.targets.matches(c))
                .collect();
            if targets.is_empty() {
                pairs.push((rule.clone(), None));
            }
            pairs.extend(targets.into_iter().map(|c| (rule.clone(), Some(c.clone()))));
        }
        let timeout =
            Duration::from_millis(u64::try_from(task.timeout_ms.max(100)).unwrap_or(10_000));
        let results: Vec<Result<Checked, StoreError>> = futures::stream::iter(pairs)
            .map(|(rule, target)| self.check(rule, target, timeout, task.retries, run_id))
            .buffer_unordered(usize::try_from(task.concurrency.max(1)).unwrap_or(8))
            .collect()
            .await;
        let mut summary = Summary::default();
        let mut failures = Vec::new();
        for r in results {
            let c = r?;
            summary.add(c.verdict);
            if matches!(
                c.verdict,
                Verdict::Fail | Verdict::Error | Verdict::Unreachable
            ) {
                failures.push(FailedCheck {
                    rule: c.rule,
                    target: c.target,
                    verdict: c.verdict.as_str().to_owned(),
                    message: c.message,
                });
            }
        }
        let text = serde_json::to_string(&summary).unwrap_or_default();
        let finished = now_ms();
        store
            .finish_run(run_id, worker, summary.status(), &text, finished)
            .await?;
        if !task.notify.is_empty() {
            failures.sort_by(|a, b| (&a.rule, &a.target).cmp(&(&b.rule, &b.target)));
            failures.truncate(MAX_NOTICE_FAILURES);
            let notice = RunNotice {
                kind: RUN_NOTICE_KIND.to_owned(),
                task: task.name.clone(),
                run_id,
                status: summary.status().to_owned(),
                pass: summary.pass,
                warn: summary.warn,
                fail: summary.fail,
                error: summary.error,
                unreach: summary.unreach,
                started_at: started,
                finished_at: finished,
                failures,
            };
            self.push_summary(&task.notify, &notice, finished).await?;
        }
        Ok(summary)
    }

    /// Queue the run summary for each of the task's channels. A channel that is not configured
    /// is queued anyway: the notifier then fails it visibly ("not configured") instead of the
    /// summary vanishing.
    async fn push_summary(
        &self,
        channels: &[String],
        notice: &RunNotice,
        now: i64,
    ) -> Result<(), StoreError> {
        let payload = serde_json::to_string(notice).unwrap_or_default();
        for ch in channels {
            self.store
                .enqueue_outbox(ch, NO_EVENT, &payload, now)
                .await?;
        }
        self.wake_notifier();
        Ok(())
    }
    async fn check(
        &self,
        rule: Rule,
        target: Option<Component>,
        timeout: Duration,
        retries: u32,
        run_id: i64,
    ) -> Result<Checked, StoreError> {
        let (store, probe) = (&self.store, &self.probe);
        let started = now_ms();
        let Some(target) = target else {
            let message = if rule.probe.is_null() {
                format!("rule {:?} does not exist", rule.name)
            } else {
                format!(
                    "no executable target (无可执行对象): targets {} matches no component",
                    rule.targets
                )
            };
            store
                .insert_result(&result(
                    run_id,
                    &rule.name,
                    "-",
                    Verdict::Error,
                    &Value::Null,
                    &message,
                    "",
                    0,
                    started,
                ))
                .await?;
            return Ok(Checked {
                verdict: Verdict::Error,
                rule: rule.name,
                target: "-".to_owned(),
                message,
            });
        };
        let mut attempt = 0;
        let observed = loop {
            let call = probe(rule.probe.clone(), target.clone(), timeout);
            let r = match tokio::time::timeout(timeout + Duration::from_secs(1), call).await {
                Ok(r) => r,
                Err(_) => Err(Unobserved::Failed(format!(
                    "probe did not finish within {timeout:?}"
                ))),
            };
            if r.is_ok() || attempt >= retries {
                break r;
            }
            attempt += 1;
        };
        let observed = self.scrubbed(&target, observed);
        let (holds, obs, message) = match &observed {
            Ok(obs) => match Condition::parse(&rule.condition)
                .map_err(|e| e.to_string())
                .and_then(|c| c.eval(&obs.values))
            {
                // The probe's own line (`cannot connect to …: Connection refused`) says why.
                Ok(h) if !obs.message.is_empty() => (
                    Some(h),
                    obs.clone(),
                    format!(
                        "{} is {} · {}",
                        rule.condition,
                        if h { "true" } else { "false" },
                        obs.message
                    ),
                ),
                Ok(h) => (
                    Some(h),
                    obs.clone(),
                    format!("{} is {}", rule.condition, if h { "true" } else { "false" }),
                ),
                Err(e) => (None, obs.clone(), e),
            },
            Err(e) => (None, Observation::default(), e.message().to_owned()),
        };
        let now = now_ms();
        let mut track = store.get_track(&rule.name, &target.name).await?;
        let was_firing = track.firing;
        let verdict = match &observed {
            Err(Unobserved::Unreachable(_)) => {
                track.observe_unreachable(now, &message, &rule.thresholds)
            }
            _ => track.observe(now, holds, &rule.thresholds),
        };
        store
            .put_track(&rule.name, &target.name, &track, now)
            .await?;
        let values = serde_json::to_value(&obs.values).unwrap_or_default();
        let duration = if obs.duration_ms > 0 {
            obs.duration_ms
        } else {
            now - started
        };
        store
            .insert_result(&result(
                run_id,
                &rule.name,
                &target.name,
                verdict,
                &values,
                &message,
                &obs.output,
                duration,
                now,
            ))
            .await?;
        if track.firing != was_firing {
            let channels = self.channels();
            let out = raise_or_resolve(
                store,
                &rule,
                &target,
                track.firing,
                &message,
                &channels,
                now,
            )
            .await?;
            if out > 0 {
                self.wake_notifier();
            }
        }
        Ok(Checked {
            verdict,
            rule: rule.name,
            target: target.name,
            message,
        })
    }
}

/// An observation with every secret the configuration and the target's endpoints know masked:
/// what a probe saw is stored and shown, a password it echoed is not.
pub(crate) fn scrubbed(
    config: Option<&watch::Receiver<Arc<Effective>>>,
    target: &Component,
    observed: Result<Observation, Unobserved>,
) -> Result<Observation, Unobserved> {
    let base = config
        .map(|c| Arc::clone(&c.borrow().scrub))
        .unwrap_or_default();

    let own = crate::sysconfig::scrub::secrets_of_value(None, &target.endpoints);
    let scrub = if own.is_empty() {
        base
    } else {
        Arc::new(base.extended(own))
    };
    if scrub.is_empty() {
        return observed;
    }
    match observed {
        Ok(mut o) => {
            o.message = scrub.clean(&o.message);
            o.output = scrub.clean_cut(&o.output, crate::probes::TRUNCATED);
            o.values.values_mut().for_each(|v| scrub.clean_value(v));
            Ok(o)
        }
        Err(e) => Err(e.map(|m| scrub.clean(m))),
    }
}

#[allow(clippy::too_many_arguments)]
fn result(
    run_id: i64,
    rule: &str,
    target: &str,
    v: Verdict,
    values: &Value,
    message: &str,
    output: &str,
    duration_ms: i64,
    at: i64,
) -> ResultRow {
    ResultRow {
        run_id,
        rule: rule.to_owned(),
        target: target.to_owned(),
        verdict: v.as_str().to_owned(),
        value_json: values.to_string(),
        message: message.to_owned(),
        output: output.to_owned(),
        duration_ms,
        at,
    }
}

/// One risk event per rule × target: raised when the check starts firing, resolved when it clears.
/// Inspection events are the product's own findings: the monitoring filters do not apply to them.
/// Returns how many notifications were queued with the change.
async fn raise_or_resolve(
    store: &Store,
    rule: &Rule,
    target: &Component,
    firing: bool,
    message: &str,
    channels: &[Channel],
    now: i64,
) -> Result<usize, StoreError> {
    let labels = [
        ("rule", rule.name.as_str()),
        ("target", target.name.as_str()),
        ("kind", target.kind.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let title = failure_title(rule, &target.name, message);
    let incoming = Incoming {
        fingerprint: format!("inspection:{}:{}", rule.name, target.name),
        source: "inspection".to_owned(),
        ds_type: "inspection".to_owned(),
        level: rule.level,
        title,
        summary: message.to_owned(),
        labels,
        annotations: [("condition".to_owned(), rule.condition.clone())].into(),
        component: target.name.clone(),
        firing,
        starts_at: now,
        source_url: String::new(),
    };
    let out = store
        .ingest_batch(
            &[IngestItem {
                incoming,
                keep: true,
            }],
            channels,
            now,
        )
        .await?;
    tracing::info!(rule = %rule.name, target = %target.name, firing, "inspection check changed state");
    Ok(out.notifications)
}

/// An inspection event's title says what failed (`[CONNECTED_SLAVES] >= 1 is false on redis-a`),
/// never the rule's healthy text; a check that could not run says that, with the reason's start.
fn failure_title(rule: &Rule, target: &str, message: &str) -> String {
    let falsified = format!("{} is false", rule.condition);
    if !rule.condition.is_empty() && message.starts_with(&falsified) {
        return format!("{falsified} on {target}");
    }
    let why: String = message.chars().take(80).collect();
    if why.is_empty() {
        format!("{} failed on {target}", rule.name)
    } else {
        format!("{} could not be checked on {target}: {why}", rule.name)
    }
}

fn missing_rule(name: &str) -> Rule {
    Rule {
        name: name.to_owned(),
        description: String::new(),
        probe: Value::Null,
        condition: String::new(),
        thresholds: Default::default(),
        level: crate::domain::event::Level::P2,
        targets: Default::default(),
    }
}
