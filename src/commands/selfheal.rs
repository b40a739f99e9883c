//! `nightwatch selfheal list|resume`: what the self-heal policies decided (ran, shadow, skipped and
//! the rule), how the heals they started ended (healed, escalated), which policies halted; and
//! clearing a halted policy (G2, audited, a reason required).

use clap::Subcommand;

use crate::cli::Output;
use crate::settings::Settings;
use crate::store::Store;

use super::{Failure, actor};

/// `nightwatch selfheal …`
#[derive(Debug, Subcommand)]
pub enum SelfHealCommand {
    /// Decisions, newest first: when, event, scenario, fault key, decision, rule, plan run,
    /// outcome; then the halted policies.
    List {
        /// Only the decisions about this event.
        #[arg(long, value_name = "ID")]
        event: Option<i64>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Let a policy halted after consecutive failures decide again (G2: give --reason).
    Resume {
        scenario: String,
        #[arg(long)]
        reason: Option<String>,
    },
}

pub async fn run(settings: Settings, cmd: SelfHealCommand) -> Result<(), Failure> {
    let store = super::open_store(&settings).await?;
    let result = match cmd {
        SelfHealCommand::List {
            event,
            limit,
            output,
        } => list(&store, event, limit.clamp(1, 10_000), output).await,
        SelfHealCommand::Resume { scenario, reason } => {
            resume(&store, &scenario, reason.as_deref().unwrap_or_default()).await
        }
    };
    store.close().await;
    result
}

async fn list(
    store: &Store,
    event: Option<i64>,
    limit: i64,
    output: Output,
) -> Result<(), Failure> {
    let rows = store.list_self_heals(event, limit).await?;
    let halted = store.halted_self_heals().await?;
    if output == Output::Json {
        let halted: Vec<serde_json::Value> = halted
            .iter()
            .map(|(s, f, at)| serde_json::json!({"scenario": s, "failures": f, "halted_at": at}))
            .collect();
        let v = serde_json::json!({"decisions": rows, "halted": halted});
        let text = serde_json::to_string_pretty(&v).map_err(|e| Failure::Other(e.to_string()))?;
        crate::outln!("{text}");
        return Ok(());
    }
    crate::outln!(
        "{:<20} {:>6} {:<8} {:<14} {:<18} {:>6} {:<10} FAULT KEY",
        "AT (UTC)",
        "EVENT",
        "DECISION",
        "RULE",
        "PLAN",
        "RUN",
        "OUTCOME"
    );
    for r in rows {
        crate::outln!(
            "{:<20} {:>6} {:<8} {:<14} {:<18} {:>6} {:<10} {}",
            crate::domain::time::format_utc(r.created_at),
            r.event_id,
            r.decision,
            if r.rule.is_empty() { "-" } else { &r.rule },
            r.plan,
            if r.plan_run_id == 0 {
                "-".to_owned()
            } else {
                r.plan_run_id.to_string()
            },
            r.status,
            r.fault_key
        );
    }
    for (s, failures, at) in halted {
        crate::outln!(
            "policy of {s} HALTED at {} after {failures} consecutive failures: nightwatch selfheal resume {s} --reason …",
            crate::domain::time::format_utc(at)
        );
    }
    Ok(())
}

async fn resume(store: &Store, scenario: &str, reason: &str) -> Result<(), Failure> {
    if reason.trim().is_empty() {
        return Err(Failure::Other(
            "resuming a halted self-heal policy is G2: give --reason \"CR-1234 …\" (audited)"
                .into(),
        ));
    }
    if store
        .resume_self_heal(scenario, &actor(), crate::domain::time::now_ms())
        .await?
    {
        crate::outln!("the self-heal policy of {scenario} decides again ({reason})");
        Ok(())
    } else {
        Err(Failure::Other(format!(
            "the policy of {scenario} is not halted (see `nightwatch selfheal list`)"
        )))
    }
}
