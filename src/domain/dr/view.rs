//! [`DrView`]: everything the dashboard, the CLI and readiness read at one moment, gathered from
//! the store by `crate::dr::snapshot`. Pure data plus the derivations each consumer needs (cells of
//! the grid, readiness input).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    DashboardConfig, DrModel, LinkSample, ReadinessInput, RunStats, Severity, Traffic, WaterLevel,
};
use crate::domain::event::Level;
use crate::domain::{Component, Layer};

/// An open (or acked) event as the dashboard needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenEvent {
    pub id: i64,
    pub component: String,
    pub level: Level,
    pub title: String,
    pub source: String,
}

/// The dashboard's data at one moment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DrView {
    pub at: i64,
    pub components: Vec<Component>,
    pub events: Vec<OpenEvent>,
    pub links: Vec<LinkSample>,
    pub levels: Vec<WaterLevel>,
    pub traffic: Vec<Traffic>,
    pub plans: Vec<RunStats>,
    pub running: Vec<(String, i64)>,
    /// P0/P1 events not raised by the DR collectors themselves (those are judged from the links
    /// and levels directly): (component, level, title).
    pub urgent: Vec<(String, Level, String)>,
}

/// One cell of the layers × datacenters grid.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub components: usize,
    pub events: usize,
    /// The most severe open event level, if any.
    pub worst: Option<Level>,
    /// Links into this cell's components that breach, and water levels at or over warn.
    pub severity: Option<Severity>,
}

impl DrView {
    /// The readiness input over this view.
    pub fn input<'a>(
        &'a self,
        model: &'a DrModel,
        config: &'a DashboardConfig,
    ) -> ReadinessInput<'a> {
        ReadinessInput {
            model,
            components: &self.components,
            events: &self.urgent,
            links: &self.links,
            levels: &self.levels,
            thresholds: &config.thresholds,
            traffic: &self.traffic,
            plans: &self.plans,
            running: &self.running,
        }
    }

    /// The grid: (layer, datacenter) → cell, for every layer and described datacenter.
    pub fn cells(
        &self,
        model: &DrModel,
        config: &DashboardConfig,
    ) -> BTreeMap<(Layer, String), Cell> {
        use strum::IntoEnumIterator;
        let mut out = BTreeMap::new();
        for l in Layer::iter() {
            for d in &model.datacenters {
                out.insert((l, d.name.clone()), Cell::default());
            }
        }
        let mut where_: BTreeMap<&str, (Layer, &str)> = BTreeMap::new();
        for c in &self.components {
            if let Some(dc) = model.dc_of(c) {
                where_.insert(c.name.as_str(), (c.layer, dc));
                if let Some(cell) = out.get_mut(&(c.layer, dc.to_owned())) {
                    cell.components += 1;
                }
            }
        }
        for e in &self.events {
            if let Some((l, dc)) = where_.get(e.component.as_str())
                && let Some(cell) = out.get_mut(&(*l, (*dc).to_owned()))
            {
                cell.events += 1;
                cell.worst = Some(cell.worst.map_or(e.level, |w: Level| w.min(e.level)));
            }
        }
        let mut raise = |comp: &str, s: Severity| {
            if let Some((l, dc)) = where_.get(comp)
                && let Some(cell) = out.get_mut(&(*l, (*dc).to_owned()))
            {
                cell.severity = Some(cell.severity.map_or(s, |x: Severity| x.max(s)));
            }
        };
        for l in &model.links {
            let s = match self.links.iter().find(|s| s.link == l.name) {
                None => Severity::Unknown,
                Some(x) if x.breach(l.rpo_ms).is_some() => Severity::Critical,
                Some(_) => Severity::Ok,
            };
            raise(&l.target, s);
        }
        for w in &self.levels {
            raise(&w.component, w.severity(&config.thresholds));
        }
        out
    }
}
