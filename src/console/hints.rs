//! What the hint bar shows: the keys of the pane (or popup, prompt, form) that has the keyboard
//! now, most useful first, each with the key the key map binds to it (k9s / lazygit style). The
//! keys come from the key map, so a user binding shows as bound; an action with no key is left
//! out. Read-only consoles are not offered keys that would be refused.
//!
//! Must not: draw (the [`super::widgets::HintBar`] does), or list keys of other panes: the help
//! (`?`) has everything.

use super::action::{Action, ConfigAction, EventsAction, InspectionsAction, PlansAction};
use super::app::App;
use super::mode::Mode;
use super::tab::Tab;

use Action as A;
use ConfigAction as C;
use EventsAction as E;
use PlansAction as P;

const RUN_NOW: Action = A::OnInspections(InspectionsAction::RunNow);

impl App {
    /// `(key, what it does)` for the keyboard's current owner, most useful first.
    pub fn hints(&self) -> Vec<(String, &'static str)> {
        let km = &self.config.keymap;
        let mode = self.mode();
        let key = |a: &Action| {
            km.key_for(mode, a)
                .or_else(|| mode.fallback().and_then(|m| km.key_for(m, a)))
                .map(|k| k.to_string())
        };
        self.hint_actions(mode)
            .iter()
            .filter(|(a, _)| !(self.config.read_only && a.mutates()))
            .filter_map(|(a, label)| key(a).map(|k| (k, *label)))
            .collect()
    }

    fn hint_actions(&self, mode: Mode) -> &'static [(Action, &'static str)] {
        match mode {
            Mode::Config => &[
                (A::Select, "view"),
                (A::OnConfig(C::Edit), "edit"),
                (A::OnConfig(C::Toggle), "toggle"),
                (A::OnConfig(C::History), "history"),
                (A::Filter, "filter"),
                (A::Back, "back"),
                (A::Help, "help"),
            ],
            Mode::Editor => &[
                (A::OnConfig(C::Save), "save"),
                (A::Back, "leave"),
                (A::OnConfig(C::Undo), "undo"),
                (A::OnConfig(C::Redo), "redo"),
                (A::Find, "find"),
                (A::FindNext, "next"),
            ],
            Mode::History => &[
                (A::OnConfig(C::Rollback), "roll back to this"),
                (A::Down, "older"),
                (A::Up, "newer"),
                (A::Back, "close"),
            ],
            Mode::Conflict => &[
                (A::OnConfig(C::Reload), "reload theirs"),
                (A::OnConfig(C::Reapply), "re-apply mine"),
                (A::Back, "back"),
            ],
            Mode::Confirm if self.popup.is_none() => {
                &[(A::Yes, "discard"), (A::No, "keep editing")]
            }
            Mode::Normal if self.tab == Tab::Events && self.events.detail.is_some() => &[
                (A::OnPlans(P::LaunchPlan), "launch plan"),
                (A::OnEvents(E::Ack), "ack"),
                (A::OnEvents(E::AssignMe), "assign me"),
                (A::OnEvents(E::Resolve), "resolve"),
                (A::Menu, "menu"),
                (A::Quit, "back"),
                (A::Help, "help"),
            ],
            Mode::Normal if self.tab == Tab::Events => &[
                (A::Select, "open"),
                (A::OnEvents(E::Ack), "ack"),
                (A::OnEvents(E::AssignMe), "assign"),
                (A::OnEvents(E::Resolve), "resolve"),
                (A::OnPlans(P::LaunchPlan), "launch"),
                (A::Filter, "filter"),
                (A::Help, "help"),
                (A::Menu, "menu"),
                (A::OnEvents(E::Mark), "mark"),
                (A::OnEvents(E::SortNext), "sort"),
            ],
            Mode::Inspections if self.inspections.result.is_some() => {
                &[(A::Down, "scroll"), (A::Back, "back"), (A::Help, "help")]
            }
            Mode::Inspections if self.inspections.run.is_some() => &[
                (A::Select, "result"),
                (A::CursorRight, "targets"),
                (RUN_NOW, "re-run"),
                (A::Filter, "filter"),
                (A::Back, "back"),
            ],
            Mode::Inspections if self.inspections.runs.is_some() => &[
                (A::Select, "open run"),
                (RUN_NOW, "run now"),
                (A::Back, "back"),
                (A::Help, "help"),
            ],
            Mode::Inspections => &[
                (A::Select, "runs"),
                (RUN_NOW, "run now"),
                (A::Filter, "filter"),
                (A::Help, "help"),
            ],
            Mode::Dr => &[
                (A::Select, "detail"),
                (A::NextField, "focus"),
                (A::Switchover, "switchover"),
                (A::Refresh, "refresh"),
                (A::Help, "help"),
            ],
            Mode::Normal => &[
                (A::Urgent, "newest P0/P1"),
                (A::Events, "events"),
                (A::CommandLine, "cmd"),
                (A::Refresh, "refresh"),
                (A::Help, "help"),
                (A::Quit, "quit"),
            ],
            Mode::Plans if self.plans.live.is_some() => &[
                (A::OnPlans(P::FollowOutput), "follow"),
                (A::OnPlans(P::PauseRun), "pause"),
                (A::OnPlans(P::AbortRun), "abort"),
                (A::OnPlans(P::RetryStep), "retry"),
                (A::OnPlans(P::SkipStep), "skip"),
                (A::OnPlans(P::ConfirmStep), "confirm"),
                (A::Filter, "search"),
                (A::OnPlans(P::SaveOutput), "save"),
                (A::Back, "back"),
            ],
            Mode::Plans => &[
                (A::Select, "open"),
                (A::OnPlans(P::LaunchPlan), "launch"),
                (A::NextField, "lists"),
                (A::Filter, "filter"),
                (A::Help, "help"),
            ],
            Mode::PlanForm => &[
                (A::Submit, "prepare"),
                (A::NextField, "next"),
                (A::OnPlans(P::ToggleDryRun), "dry run"),
                (A::Back, "cancel"),
            ],
            Mode::Command => &[
                (A::Submit, "run"),
                (A::Complete, "complete"),
                (A::Back, "cancel"),
            ],
            Mode::Filter => &[
                (A::Submit, "keep"),
                (A::ClearLine, "clear"),
                (A::Back, "cancel"),
            ],
            Mode::Help => &[(A::Down, "scroll"), (A::Back, "close")],
            Mode::Menu => &[(A::Select, "choose"), (A::Back, "close")],
            Mode::Confirm => &[(A::Yes, "yes"), (A::No, "no")],
            Mode::ConfirmInput => &[
                (A::Submit, "confirm"),
                (A::NextField, "next field"),
                (A::No, "cancel"),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::console::action::Action;
    use crate::console::fixture;

    fn labels(read_only: bool, tab: Action) -> Vec<String> {
        let mut app = fixture::app(read_only);
        app.update(tab);
        app.hints()
            .into_iter()
            .map(|(k, l)| format!("{k} {l}"))
            .collect()
    }

    #[test]
    fn each_pane_shows_its_own_keys_from_the_key_map() {
        let events = labels(false, Action::Events);
        assert_eq!(
            &events[..4],
            ["enter open", "a ack", "o assign", "v resolve"],
            "{events:?}"
        );
        assert!(events.contains(&"x launch".to_owned()), "{events:?}");
        let plans = labels(false, Action::Plans);
        assert!(plans.contains(&"x launch".to_owned()), "{plans:?}");
        let config = labels(false, Action::Config);
        assert!(config.contains(&"e edit".to_owned()), "{config:?}");
        let overview = labels(false, Action::Overview);
        assert!(
            overview.contains(&"! newest P0/P1".to_owned()),
            "{overview:?}"
        );
    }

    #[test]
    fn a_read_only_console_is_not_offered_keys_it_would_refuse() {
        for tab in [
            Action::Events,
            Action::Plans,
            Action::Config,
            Action::Inspections,
        ] {
            let ro = labels(true, tab.clone());
            let rw = labels(false, tab.clone());
            assert!(ro.len() < rw.len(), "{tab:?}: {ro:?} vs {rw:?}");
            for refused in ["a ack", "x launch", "e edit", "x run now"] {
                assert!(!ro.contains(&refused.to_owned()), "{tab:?}: {ro:?}");
            }
        }
    }
}
