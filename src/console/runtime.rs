//! The event loop and the effect runner.
//!
//! One task owns the [`App`]: it `select!`s over terminal events, the refresh tick, effect results,
//! engine-state changes and shutdown, feeds each to `update`, and spawns the returned effects.
//! Effects report back on an mpsc channel, so there is no shared mutable state. It draws only
//! when `update` marked the app dirty AND the rendered frame differs from the last one, so an idle
//! console writes nothing to the terminal after the first frame.

mod dr;
mod events;
mod incident;
mod inspections;
mod plans;

pub use events::{perform as perform_event_effect, read_page};

use std::io::Write;
use std::time::Duration;

use futures::StreamExt;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{Event, EventStream, KeyEventKind};
use ratatui::layout::{Position, Rect};
use ratatui::widgets::Widget;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::ConsoleContext;
use super::action::{Action, Operation, SaveFailure};
use super::app::App;
use super::effect::Effect;
use super::resources;
use super::tui::Tui;
use crate::domain::time::now_ms;
use crate::sysconfig::{Input, SetRequest, SysConfig};

/// Run the console (see [`super::run`]).
pub async fn run(mut ctx: ConsoleContext) -> color_eyre::Result<()> {
    let actor = crate::settings::operator();
    let config = resources::load(&ctx.settings, actor, |k| std::env::var(k).ok());
    let refresh = Duration::from_millis(config.refresh_ms);
    let mut app = App::new(config, ctx.store.db_info(), now_ms());
    app.engine = ctx.engine.borrow_and_update().clone();

    let mut tui = Tui::enter()?;
    let size = tui.terminal.size()?;
    app.update(Action::Resize(size.width, size.height));
    let (tx, mut rx) = mpsc::unbounded_channel::<Action>();
    let mut tasks = JoinSet::new();
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(refresh);
    // After a stall (suspended laptop, ctrl-z) poll once, not a burst of missed ticks.
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut engine_open = true;
    let mut last_frame: Option<(Buffer, Option<Position>)> = None;

    while !app.quit {
        if app.dirty {
            app.dirty = false;
            draw(&mut tui, &app, &mut last_frame)?;
        }
        let action = tokio::select! {
            () = ctx.shutdown.cancelled() => break,
            ev = events.next() => match ev {
                Some(Ok(ev)) => match to_action(ev) {
                    Some(a) => a,
                    None => continue,
                },
                Some(Err(e)) => {
                    tracing::error!(error = %e, "terminal input failed");
                    break;
                }
                None => break,
            },
            _ = tick.tick() => Action::Tick(now_ms()),
            Some(a) = rx.recv() => a,
            changed = ctx.engine.changed(), if engine_open => match changed {
                Ok(()) => Action::EngineChanged(ctx.engine.borrow_and_update().clone()),
                // The engine side went away; its last state stays on screen.
                Err(_) => {
                    engine_open = false;
                    continue;
                }
            },
            Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                if let Err(e) = done {
                    tracing::error!(error = %e, "a console task failed");
                }
                continue;
            }
        };
        for effect in app.update(action) {
            if effect == Effect::Bell {
                bell(&mut tui);
                continue;
            }
            spawn(&mut tasks, &ctx, effect, tx.clone());
        }
    }
    // Reads can be dropped; give a mutation in progress a moment to finish and be audited.
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    tasks.abort_all();
    drop(tui);
    Ok(())
}

/// Draw if the new frame differs from the last one drawn (cells or cursor).
fn draw(
    tui: &mut Tui,
    app: &App,
    last: &mut Option<(Buffer, Option<Position>)>,
) -> std::io::Result<()> {
    let size = tui.terminal.size()?;
    let area = Rect::new(0, 0, size.width, size.height);
    let mut buf = Buffer::empty(area);
    app.render(area, &mut buf);
    let cursor = app.cursor(area);
    if last
        .as_ref()
        .is_some_and(|(b, c)| *b == buf && *c == cursor)
    {
        return Ok(());
    }
    tui.terminal.draw(|frame| {
        frame.render_widget(app, frame.area());
        if let Some(p) = cursor {
            frame.set_cursor_position(p);
        }
    })?;
    *last = Some((buf, cursor));
    Ok(())
}

/// Ring the terminal bell: one BEL byte, written between frames (never inside one).
fn bell(tui: &mut Tui) {
    let out = tui.terminal.backend_mut();
    if let Err(e) = out.write_all(b"\x07").and_then(|()| out.flush()) {
        tracing::warn!(error = %e, "ringing the bell failed");
    }
}

fn to_action(ev: Event) -> Option<Action> {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => Some(Action::Key(k)),
        Event::Paste(text) => Some(Action::Paste(text)),
        Event::Resize(w, h) => Some(Action::Resize(w, h)),
        _ => None,
    }
}

/// Run one effect on its own task; its result comes back as an action.
fn spawn(
    tasks: &mut JoinSet<()>,
    ctx: &ConsoleContext,
    effect: Effect,
    tx: mpsc::UnboundedSender<Action>,
) {
    let io = EffectIo {
        store: ctx.store.clone(),
        sysconfig: ctx.sysconfig.clone(),
        config_dir: ctx.settings.paths.config_dir.clone(),
        read_only: ctx.settings.console.read_only,
    };
    tasks.spawn(async move {
        let action = perform(&io, effect).await;
        // The loop may have ended; then nobody wants the answer.
        let _ = tx.send(action);
    });
}

/// What effects are performed with.
#[derive(Clone)]
pub(crate) struct EffectIo {
    pub store: crate::store::Store,
    pub sysconfig: SysConfig,
    pub config_dir: std::path::PathBuf,
    /// The console is read-only (the launch service refuses too, behind the gate in `update`).
    pub read_only: bool,
}

/// Perform one effect and say how it went, as the action `update` takes next.
pub(crate) async fn perform(io: &EffectIo, effect: Effect) -> Action {
    let (store, sysconfig) = (&io.store, &io.sysconfig);
    let config_dir = io.config_dir.clone();
    match effect {
        Effect::LoadOverview { generation, known } => {
            let read = async {
                let stamp = match &known {
                    Some(k) => Some(store.overview_stamp().await?).filter(|s| *s == k.0),
                    None => None,
                };
                if stamp.is_some() {
                    return Ok(None);
                }
                let audit = known.map(|k| (k.0.audit_last_id, k.1));
                store.overview_after(audit).await.map(|o| Some(Box::new(o)))
            };
            match read.await {
                Ok(None) => Action::OverviewUnchanged {
                    generation,
                    at: now_ms(),
                },
                result => Action::OverviewLoaded {
                    generation,
                    at: now_ms(),
                    result: result
                        .map(|o| o.unwrap_or_default())
                        .map_err(|e: crate::store::StoreError| e.to_string()),
                },
            }
        }
        Effect::LoadConfig { generation, known } => {
            // The stamp first: a save landing during the read shows as a new stamp next time.
            let stamp = sysconfig.list_stamp().await.unwrap_or(0);
            if known.is_some_and(|k| k == stamp) {
                return Action::ConfigUnchanged { generation };
            }
            Action::ConfigLoaded {
                generation,
                stamp,
                result: sysconfig.list().await.map_err(|e| e.to_string()),
            }
        }
        Effect::LoadHistory { key } => {
            let result = sysconfig.history(&key).await.map_err(|e| e.to_string());
            Action::HistoryLoaded { key, result }
        }
        // Only the label and target are logged: an edited value may hold a typed secret.
        Effect::Mutate { op, actor, reason } => {
            tracing::info!(op = op.label(), target = op.target(), %actor, %reason, "console mutation");
            match op {
                Operation::ForgetInstance { id } => {
                    match store.forget_instance(&id, &actor).await {
                        Ok(true) => Action::OperationDone {
                            message: format!("forgot instance {id}"),
                            failed: false,
                        },
                        Ok(false) => Action::OperationDone {
                            message: format!("instance {id} is alive or gone: not forgotten"),
                            failed: true,
                        },
                        Err(e) => Action::OperationDone {
                            message: format!("forget {id} failed: {e}"),
                            failed: true,
                        },
                    }
                }
                Operation::SaveConfig { .. }
                | Operation::ToggleSwitch { .. }
                | Operation::RollbackConfig { .. } => {
                    config_change(sysconfig, op, &actor, &reason).await
                }
                Operation::Events { ids, action, .. } => {
                    events::act(store, &ids, action, &actor, &reason).await
                }
                Operation::RunTask { task } => {
                    inspections::request_run(store, task, &actor, &reason).await
                }
                Operation::Diagnose { event_id, .. } => {
                    events::queue_diagnosis(store, event_id, &actor).await
                }
                op @ (Operation::LaunchPlan(_)
                | Operation::PauseRun { .. }
                | Operation::AbortRun { .. }
                | Operation::ResumeRun { .. }
                | Operation::ConfirmStep { .. }
                | Operation::ApproveRun { .. }) => plans::mutate(io, op, &actor, &reason).await,
                #[cfg(test)]
                Operation::Test { .. } => Action::OperationDone {
                    message: String::new(),
                    failed: false,
                },
            }
        }
        e @ (Effect::LoadEvents { .. }
        | Effect::CountEvents { .. }
        | Effect::LoadEventDetail { .. }
        | Effect::LoadEventStats { .. }
        | Effect::CheckUrgent { .. }
        | Effect::Bell) => events::perform(store, e).await,
        e @ (Effect::LoadInspectionTasks { .. }
        | Effect::LoadInspectionRuns { .. }
        | Effect::LoadInspectionRun { .. }) => inspections::perform(store, e).await,
        e @ (Effect::LoadPlans { .. }
        | Effect::LoadPlanRun { .. }
        | Effect::OpenLaunchForm { .. }
        | Effect::PreparePlan { .. }
        | Effect::SaveOutput { .. }
        | Effect::LoadRecommendations { .. }) => plans::perform(store, e).await,
        Effect::LoadDiagnosis { id } => events::load_diagnosis(store, id).await,
        Effect::OpenEvent { id } => incident::open_event(store, id).await,
        e @ (Effect::LoadDr { .. } | Effect::LoadDrLink { .. }) => dr::perform(store, e).await,
        Effect::LoadTheme(name) => {
            let r = tokio::task::spawn_blocking(move || resources::load_theme(&config_dir, &name))
                .await;
            Action::ThemeLoaded(match r {
                Ok(r) => r.map(Box::new),
                Err(e) => Err(format!("loading the theme failed: {e}")),
            })
        }
    }
}

/// Run a confirmed configuration change through the service; the answer says whether it was saved,
/// refused, or lost a race (with who saved first).
async fn config_change(cfg: &SysConfig, op: Operation, actor: &str, reason: &str) -> Action {
    let request = |key: &str, input: Input, base: i64| SetRequest {
        key: key.to_owned(),
        input,
        base_version: Some(base),
        actor: actor.to_owned(),
        reason: reason.to_owned(),
        allow_new: false,
    };
    let (key, result) = match op {
        Operation::SaveConfig {
            key,
            text,
            base_version,
        } => {
            let r = cfg
                .set(request(&key, Input::Text(text.0), base_version))
                .await;
            (key, r)
        }
        Operation::ToggleSwitch {
            key,
            on,
            base_version,
        } => {
            let input = Input::Value(serde_json::Value::Bool(on));
            let r = cfg.set(request(&key, input, base_version)).await;
            (key, r)
        }
        Operation::RollbackConfig {
            key,
            version,
            base_version,
        } => {
            let r = cfg
                .rollback(&key, version, Some(base_version), actor, reason)
                .await;
            (key, r)
        }
        other => {
            return Action::OperationDone {
                message: format!("{} is not a configuration change", other.label()),
                failed: true,
            };
        }
    };
    let result = result.map(Box::new).map_err(|e| SaveFailure {
        message: e.to_string(),
        conflict: e.conflict().map(|(v, by, at)| (v, by.to_owned(), at)),
    });
    Action::ConfigSaved { key, result }
}
