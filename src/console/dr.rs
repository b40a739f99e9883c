//! The DR pane's own state and actions (a gitui-style component): the board as last read, what is
//! derived from it once per read (grid cells, link rows with their sparkline, water levels by
//! severity), the focus (grid, links, directions) and the selections. Navigation is handled here;
//! the app only routes the pane's actions to it and runs the effects it returns.
//!
//! Must not: do IO (the runtime reads the board), or start anything without the plan's own
//! confirmation flow (`s` only opens the launch form, filled).

use std::collections::BTreeMap;

use crate::domain::Layer;
use crate::domain::dr::{Cell, Direction, LinkState, Readiness, Severity, WaterLevel};
use crate::dr::Board;

use super::action::Action;
use super::effect::Effect;

/// Which part of the pane has the keyboard.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Focus {
    #[default]
    Grid,
    Links,
    Directions,
}

impl Focus {
    fn next(self) -> Focus {
        match self {
            Focus::Grid => Focus::Links,
            Focus::Links => Focus::Directions,
            Focus::Directions => Focus::Grid,
        }
    }
}

/// One row of the links table.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkRow {
    pub name: String,
    pub from: String,
    pub to: String,
    pub state: Option<LinkState>,
    pub lag_ms: Option<i64>,
    pub rpo_ms: i64,
    pub bytes: Option<i64>,
    pub breach: Option<String>,
    pub message: String,
    /// Worst lag per bucket of the last hour.
    pub history: Vec<Option<i64>>,
}

/// What a read derives, computed once per read so a frame only draws.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Derived {
    pub dcs: Vec<String>,
    pub cells: BTreeMap<(Layer, String), Cell>,
    /// Breaching links first, then by name.
    pub links: Vec<LinkRow>,
    /// Most severe first.
    pub levels: Vec<(WaterLevel, Severity)>,
    /// Every described direction with its verdict (if the engine has judged it yet).
    pub directions: Vec<(Direction, Option<Readiness>)>,
    /// Zone traffic per datacenter (same order as `dcs`; `None`: no series for it), and whether
    /// a traffic row is drawn at all (a query is configured or figures exist).
    pub traffic: Vec<Option<f64>>,
    pub show_traffic: bool,
}

impl Derived {
    pub fn of(b: &Board) -> Derived {
        let dc_of = |comp: &str| {
            b.view
                .components
                .iter()
                .find(|c| c.name == comp)
                .and_then(|c| b.model.dc_of(c))
                .unwrap_or("?")
                .to_owned()
        };
        let mut links: Vec<LinkRow> = b
            .model
            .links
            .iter()
            .map(|l| {
                let s = b.view.links.iter().find(|s| s.link == l.name);
                LinkRow {
                    name: l.name.clone(),
                    from: dc_of(&l.source),
                    to: dc_of(&l.target),
                    state: s.map(|s| s.state),
                    lag_ms: s.and_then(|s| s.lag_ms),
                    rpo_ms: l.rpo_ms,
                    bytes: s.and_then(|s| s.bytes),
                    breach: s.map_or_else(
                        || Some("not measured yet".to_owned()),
                        |s| s.breach(l.rpo_ms),
                    ),
                    message: s.map(|s| s.message.clone()).unwrap_or_default(),
                    history: b
                        .histories
                        .iter()
                        .find(|h| h.link == l.name)
                        .map(|h| h.points.clone())
                        .unwrap_or_default(),
                }
            })
            .collect();
        links.sort_by(|a, b| (a.breach.is_none(), &a.name).cmp(&(b.breach.is_none(), &b.name)));
        let mut levels: Vec<(WaterLevel, Severity)> = b
            .view
            .levels
            .iter()
            .map(|w| (w.clone(), w.severity(&b.config.thresholds)))
            .collect();
        levels.sort_by(|a, b| {
            b.1.cmp(&a.1).then(
                b.0.percent()
                    .unwrap_or(0.0)
                    .total_cmp(&a.0.percent().unwrap_or(0.0)),
            )
        });
        let directions = b
            .model
            .directions()
            .into_iter()
            .map(|d| {
                let v = b
                    .verdicts
                    .iter()
                    .find(|v| v.from == d.from && v.to == d.to)
                    .cloned();
                (d, v)
            })
            .collect();
        let traffic = b
            .model
            .datacenters
            .iter()
            .map(|d| crate::domain::dr::dc_traffic(&b.model, &b.view.traffic, &d.name))
            .collect();
        Derived {
            traffic,
            show_traffic: !b.config.traffic_query.is_empty() || !b.view.traffic.is_empty(),
            dcs: b.model.datacenters.iter().map(|d| d.name.clone()).collect(),
            cells: b.view.cells(&b.model, &b.config),
            links,
            levels,
            directions,
        }
    }
}

/// The pane's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DrState {
    pub board: Option<Box<Board>>,
    pub derived: Derived,
    pub focus: Focus,
    /// Selected grid row (layer index) and column (datacenter index).
    pub row: usize,
    pub col: usize,
    pub link: usize,
    pub dir: usize,
    pub in_flight: bool,
    pub last_load: Option<i64>,
    pub error: Option<String>,
}

/// What the pane asks of the app after an action.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Not the pane's: the app handles it (tabs, help, quit …).
    NotConsumed,
    /// Handled; run these effects.
    Consumed(Vec<Effect>),
    /// Show this detail (title, lines).
    Detail(String, Vec<(String, String)>),
    /// Tell the operator (not an error).
    Info(String),
}

/// The layers, top to bottom.
pub const LAYERS: [Layer; 5] = [
    Layer::Business,
    Layer::Hub,
    Layer::Storage,
    Layer::Database,
    Layer::Physical,
];

impl DrState {
    /// A read arrived.
    pub fn loaded(&mut self, result: Result<Box<Board>, String>, now: i64) {
        self.in_flight = false;
        self.last_load = Some(now);
        match result {
            Ok(b) => {
                self.derived = Derived::of(&b);
                self.board = Some(b);
                self.error = None;
                self.col = self.col.min(self.derived.dcs.len().saturating_sub(1));
                self.link = self.link.min(self.derived.links.len().saturating_sub(1));
                self.dir = self
                    .dir
                    .min(self.derived.directions.len().saturating_sub(1));
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// A read is due (one at a time, at most every `period_ms`).
    pub fn poll(&mut self, now: i64, period_ms: i64) -> Option<Effect> {
        if self.in_flight || self.last_load.is_some_and(|t| now - t < period_ms) {
            return None;
        }
        self.in_flight = true;
        Some(Effect::LoadDr { now })
    }

    /// Handle a key's action.
    pub fn on_action(&mut self, action: &Action) -> Outcome {
        let d = &self.derived;
        let step = |v: &mut usize, by: isize, len: usize| {
            *v = v.saturating_add_signed(by).min(len.saturating_sub(1));
        };
        match (action, self.focus) {
            (Action::NextField, f) => self.focus = f.next(),
            (Action::Down, Focus::Grid) => step(&mut self.row, 1, LAYERS.len()),
            (Action::Up, Focus::Grid) => step(&mut self.row, -1, LAYERS.len()),
            (Action::CursorRight, Focus::Grid) => step(&mut self.col, 1, d.dcs.len()),
            (Action::CursorLeft, Focus::Grid) => step(&mut self.col, -1, d.dcs.len()),
            (Action::Down, Focus::Links) => step(&mut self.link, 1, d.links.len()),
            (Action::Up, Focus::Links) => step(&mut self.link, -1, d.links.len()),
            (Action::PageDown, Focus::Links) => step(&mut self.link, 10, d.links.len()),
            (Action::PageUp, Focus::Links) => step(&mut self.link, -10, d.links.len()),
            (Action::Down, Focus::Directions) => step(&mut self.dir, 1, d.directions.len()),
            (Action::Up, Focus::Directions) => step(&mut self.dir, -1, d.directions.len()),
            (Action::Select, Focus::Grid) => return self.cell_detail(),
            (Action::Select, Focus::Links) => {
                return match d.links.get(self.link) {
                    Some(l) => Outcome::Consumed(vec![Effect::LoadDrLink {
                        link: l.name.clone(),
                    }]),
                    None => Outcome::Info("no link described".into()),
                };
            }
            (Action::Select, Focus::Directions) => return self.direction_detail(),
            (Action::Switchover, _) => return self.switchover(),
            (Action::Refresh, _) => {
                self.last_load = None;
                self.in_flight = false;
                return Outcome::Consumed(Vec::new());
            }
            _ => return Outcome::NotConsumed,
        }
        Outcome::Consumed(Vec::new())
    }

    /// The selected cell: its components and their open events.
    fn cell_detail(&self) -> Outcome {
        let (Some(b), Some(dc)) = (&self.board, self.derived.dcs.get(self.col)) else {
            return Outcome::Info("no DR architecture described yet".into());
        };
        let layer = LAYERS[self.row.min(LAYERS.len() - 1)];
        let mut lines = Vec::new();
        for c in b
            .view
            .components
            .iter()
            .filter(|c| c.layer == layer && b.model.dc_of(c) == Some(dc.as_str()))
        {
            let events: Vec<_> = b
                .view
                .events
                .iter()
                .filter(|e| e.component == c.name)
                .collect();
            let state = if events.is_empty() {
                "no open event".to_owned()
            } else {
                format!("{} open", events.len())
            };
            lines.push((c.name.clone(), format!("{} · {state}", c.kind)));
            lines.extend(reach_lines(b, c));
            for e in events {
                lines.push((
                    format!("  #{}", e.id),
                    format!("{} {} ({})", e.level.as_str(), e.title, e.source),
                ));
            }
        }
        for l in self.derived.links.iter().filter(|l| &l.to == dc) {
            if let Some(why) = &l.breach {
                lines.push((format!("link {}", l.name), why.clone()));
            }
        }
        if lines.is_empty() {
            lines.push(("".into(), "no component in this cell".into()));
        }
        Outcome::Detail(format!("{layer} · {dc}"), lines)
    }

    fn direction_detail(&self) -> Outcome {
        let Some((d, v)) = self.derived.directions.get(self.dir) else {
            return Outcome::Info("no direction: describe a DR plan per direction".into());
        };
        let mut lines = vec![(
            "verdict".to_owned(),
            v.as_ref()
                .map_or("not judged yet".to_owned(), Readiness::verdict),
        )];
        if let Some(v) = v {
            for r in &v.reasons {
                lines.push(("blocks".into(), r.clone()));
            }
            if let (Some(e), Some(t)) = (v.est_rto_ms, v.rto_ms) {
                lines.push((
                    "RTO".into(),
                    format!("estimated {} s of {} s", e / 1000, t / 1000),
                ));
            }
        }
        Outcome::Detail(format!("{}→{}", d.from, d.to), lines)
    }

    /// `s`: the launch form of the selected direction's DR plan, faulty and available
    /// datacenters filled; the plan's own confirmation (G3) follows.
    fn switchover(&self) -> Outcome {
        let (Some(b), Some((d, _))) = (&self.board, self.derived.directions.get(self.dir)) else {
            return Outcome::Info("no direction with a DR plan is described".into());
        };
        let Some(p) = b
            .model
            .systems
            .iter()
            .find_map(|s| s.plan_for(&d.from, &d.to))
        else {
            return Outcome::Info(format!("no DR plan for {}→{}", d.from, d.to));
        };
        let prefill = [
            (p.faulty_param.clone(), d.from.clone()),
            (p.available_param.clone(), d.to.clone()),
        ]
        .into();
        Outcome::Consumed(vec![Effect::OpenLaunchForm {
            plan: p.plan.clone(),
            prefill,
            unfilled: Vec::new(),
            event_id: 0,
        }])
    }
}

/// Room for a detail value (the popup's 74 inner columns less the 11 of the label).
const DETAIL_VALUE_WIDTH: usize = 63;

/// How a component is reached (`ssh ops@10.0.0.5:22 via bastion:22` or `local`) and its last
/// connection error, if a check could not reach its host: the reason without the words the
/// first line already says, both ends kept when it is too long (its end names the cause).
fn reach_lines(b: &Board, c: &crate::domain::Component) -> Vec<(String, String)> {
    let how = crate::domain::ssh::reached(&c.endpoints);
    let mut out = vec![("  reached".to_owned(), how.clone())];
    if let Some(e) = b.reach_errors.iter().find(|e| e.component == c.name) {
        let why = e
            .error
            .strip_prefix("cannot reach host: ")
            .unwrap_or(&e.error);
        let why = how
            .strip_prefix("ssh ")
            .and_then(|ep| why.strip_prefix(ep))
            .map_or(why, |rest| rest.trim_start_matches(": "));
        let text = format!("{} ago: {why}", crate::domain::time::age(e.at, b.view.at));
        out.push((
            "  last err".to_owned(),
            crate::console::widgets::fit(&text, DETAIL_VALUE_WIDTH, "…"),
        ));
    }
    out
}

/// The detail lines of a link's history (newest first).
pub fn history_lines(rows: &[crate::store::SampleRow]) -> Vec<(String, String)> {
    rows.iter()
        .rev()
        .map(|r| {
            let lag = if r.amount >= 0 {
                format!("{} s", r.amount / 1000)
            } else {
                "-".into()
            };
            let bytes = if r.extra >= 0 {
                crate::domain::dr::bytes_text(r.extra)
            } else {
                "-".into()
            };
            let what = if r.coarse { " (5-min avg)" } else { "" };
            (
                crate::domain::time::format_utc(r.at),
                format!(
                    "{:<8} lag {lag:>6}  behind {bytes:>10}{what}  {}",
                    r.state, r.message
                ),
            )
        })
        .collect()
}
