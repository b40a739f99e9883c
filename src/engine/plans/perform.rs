//! Performing one rendered operation of a step against its target: the atomic operations of
//! `crate::ops`, plus the two that involve the store (a manual step waiting for a person, a
//! notify step queueing a notice).

use std::time::Duration;

use serde_json::Value;

use super::super::notify::CHANNELS_KEY;
use super::Exec;
use crate::domain::inspection::Condition;
use crate::domain::notify::{TEXT_NOTICE_KIND, TextNotice, parse_channels};
use crate::domain::plan::{Op, Phase, RenderCtx, Step, StepStatus, render};
use crate::domain::time::now_ms;
use crate::ops::{self, Live, Outcome};
use crate::probes::{ProbeSpec, Target};
use crate::store::{Access, NO_EVENT, StepUpdate, TargetStatement};

impl Exec<'_> {
    pub(super) fn target(&self, step: &Step, ctx: &RenderCtx) -> Result<Target, String> {
        let Some(t) = &step.target else {
            return Ok(Target::local());
        };
        let name = render(t, ctx).map_err(|e| format!("target: {}", e.message))?;
        let c = self
            .components
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| format!("target {name:?} is not a known component"))?;
        Ok(Target {
            name: c.name.clone(),
            endpoints: c.endpoints.clone(),
            labels: c.labels.clone(),
        })
    }

    /// The SSH endpoint a `command` step with `on` runs on: the step's target (`"target"`) or
    /// the named component; and the executor.
    fn remote_host(
        &self,
        on: &str,
        target: &Target,
    ) -> Result<
        (
            crate::domain::ssh::SshEndpoint,
            std::sync::Arc<crate::remote::Executor>,
        ),
        String,
    > {
        let (name, endpoints) = if on == "target" {
            (target.name.as_str(), &target.endpoints)
        } else {
            let c = self
                .components
                .iter()
                .find(|c| c.name == on)
                .ok_or_else(|| format!("on: {on:?} is neither \"target\" nor a known component"))?;
            (c.name.as_str(), &c.endpoints)
        };
        let ep = crate::domain::ssh::SshEndpoint::from_endpoints(endpoints)
            .map_err(|e| format!("on: component {name}: endpoints.{e}"))?
            .ok_or_else(|| {
                format!(
                    "on: component {name} has no ssh endpoint; add [endpoints.ssh] or drop `on`"
                )
            })?;
        let exec = self
            .w
            .probes
            .remote()
            .cloned()
            .ok_or("on: this engine has no SSH executor")?;
        Ok((ep, exec))
    }

    /// Perform one attempt of a rendered operation. `phase` decides what a sql step may do: a
    /// pre/postcheck, and every step of a dry run, runs in a read-only transaction.
    pub(super) async fn perform(
        &self,
        op: &Op,
        target: &Target,
        timeout: Duration,
        (phase, seq): (Phase, i64),
        live: &Live,
    ) -> Result<Outcome, String> {
        let w = self.w;
        match op {
            Op::Command(c) => {
                let mut env = c.env.clone();
                env.insert("NW_RUN_ID".into(), self.run.id.to_string());
                env.insert("NW_PLAN".into(), self.run.plan.clone());
                env.insert("NW_TARGET".into(), target.name.clone());
                env.insert("NW_DRY_RUN".into(), self.run.dry_run.to_string());
                match &c.on {
                    None => {
                        ops::command::run(c.interpreter.as_str(), &c.script, &env, timeout, live)
                            .await
                    }
                    Some(on) => {
                        let (ep, exec) = self.remote_host(on, target)?;
                        ops::remote::run(
                            &exec,
                            &ep,
                            c.interpreter.as_str(),
                            &c.script,
                            &env,
                            timeout,
                            live,
                        )
                        .await
                    }
                }
            }
            Op::Http(h) => {
                let url = match &h.url {
                    Some(u) => target.expand(u).map_err(|e| e.to_string())?,
                    None => target
                        .endpoint("url")
                        .ok_or("no url: give url, or a target with a url endpoint")?,
                };
                ops::http::run(
                    &w.http,
                    &h.method,
                    &url,
                    &h.headers,
                    h.body.as_deref(),
                    &h.expect_status,
                    timeout,
                    live,
                )
                .await
            }
            Op::Sql(s) => {
                let dsn = match &s.dsn {
                    Some(d) => target.expand(d).map_err(|e| e.to_string())?,
                    None => target
                        .endpoint("dsn")
                        .ok_or("no dsn: give dsn, or a target with a dsn endpoint")?,
                };
                let statements: Vec<TargetStatement> = s
                    .statements
                    .iter()
                    .map(|st| TargetStatement {
                        sql: st.sql.clone(),
                        args: st.args.clone(),
                        expect_rows: st.expect_rows,
                        is_query: st.is_query(),
                    })
                    .collect();
                let checks = matches!(phase, Phase::Precheck | Phase::Postcheck);
                let access = if checks || self.run.dry_run {
                    Access::ReadOnly
                } else {
                    Access::ReadWrite
                };
                ops::sql::run(&dsn, &statements, timeout, access, live).await
            }
            Op::Redis(r) => {
                let addr = match &r.addr {
                    Some(a) => target.expand(a).map_err(|e| e.to_string())?,
                    None => format!(
                        "{}:{}",
                        target.endpoint("host").ok_or(
                            "no addr: give addr, or a target with host and port endpoints"
                        )?,
                        target.endpoint("port").unwrap_or_else(|| "6379".into())
                    ),
                };
                let password = target.endpoint("password");
                let mut o =
                    ops::redis::run(&addr, None, password.as_deref(), &r.command, timeout, live)
                        .await?;
                if let Some(want) = &r.expect
                    && o.ok
                {
                    let got = o.values.get("REPLY").and_then(Value::as_str).unwrap_or("");
                    if got != want {
                        o.ok = false;
                        o.message = format!("reply {got:?}, expected {want:?}");
                    }
                }
                Ok(o)
            }
            Op::Wait(wt) => {
                live.line(&format!("waiting {} ms", wt.duration_ms));
                tokio::time::sleep(Duration::from_millis(wt.duration_ms)).await;
                Ok(Outcome::new(true, format!("waited {} ms", wt.duration_ms)))
            }
            Op::WaitUntil(g) => {
                let spec: ProbeSpec =
                    serde_json::from_value(g.probe.clone()).map_err(|e| format!("probe: {e}"))?;
                let cond = Condition::parse(&g.condition).map_err(|e| format!("condition: {e}"))?;
                Ok(ops::gate::run(
                    &w.probes,
                    &spec,
                    target,
                    &cond,
                    Duration::from_millis(g.deadline_ms),
                    Duration::from_millis(g.interval_ms.max(10)),
                    live,
                )
                .await)
            }
            Op::Manual(m) => self.manual(seq, &m.instructions, live).await,
            Op::Notify(n) => self.notify(&n.channels, &n.message, live).await,
        }
    }

    /// Wait (status `waiting`) until a person confirms the step (`confirm_manual_step`).
    async fn manual(&self, seq: i64, instructions: &str, live: &Live) -> Result<Outcome, String> {
        live.line(&format!("waiting for a person: {instructions}"));
        let store = &self.w.store;
        let update = StepUpdate {
            status: StepStatus::Waiting.as_str().into(),
            attempts: 1,
            started_at: now_ms(),
            message: format!("waiting for a person to confirm: {instructions}"),
            values_json: "{}".into(),
            output: live.snapshot(),
            ..StepUpdate::default()
        };
        store
            .update_plan_step(self.run.id, seq, &self.w.worker, &update, now_ms())
            .await
            .map_err(|e| e.to_string())?;
        loop {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let steps = store
                .plan_run_steps(self.run.id)
                .await
                .map_err(|e| e.to_string())?;
            if let Some(s) = steps.iter().find(|s| s.seq == seq)
                && s.status == StepStatus::Succeeded.as_str()
            {
                live.line(&s.message);
                return Ok(Outcome::new(true, s.message.clone()));
            }
        }
    }

    /// Queue a message for `channels` (all configured ones when empty).
    async fn notify(
        &self,
        channels: &[String],
        message: &str,
        live: &Live,
    ) -> Result<Outcome, String> {
        let configured = self.w.config.as_ref().map_or_else(Vec::new, |c| {
            parse_channels(&c.borrow().get(CHANNELS_KEY)).0
        });
        let names: Vec<String> = if channels.is_empty() {
            configured.iter().map(|c| c.name.clone()).collect()
        } else {
            channels.to_vec()
        };
        if names.is_empty() {
            // "Every channel" and there are none: nothing to send, which must not fail a plan
            // whose real work is done. Said plainly in the step's message.
            live.line("no notification channel is configured (NOTIFY_CHANNELS): nothing sent");
            return Ok(Outcome::new(
                true,
                "nothing sent: no notification channel is configured (NOTIFY_CHANNELS)",
            ));
        }
        let notice = TextNotice {
            kind: TEXT_NOTICE_KIND.into(),
            title: format!("[plan] {} run {}", self.run.plan, self.run.id),
            text: message.to_owned(),
        };
        let payload = serde_json::to_string(&notice).unwrap_or_default();
        for ch in &names {
            self.w
                .store
                .enqueue_outbox(ch, NO_EVENT, &payload, now_ms())
                .await
                .map_err(|e| e.to_string())?;
            live.line(&format!("queued for {ch}"));
        }
        if let Some(wk) = &self.w.notify_wake {
            wk.notify_one();
        }
        Ok(Outcome::new(
            true,
            format!("queued for {}", names.join(", ")),
        ))
    }
}
