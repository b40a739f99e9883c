//! A run's results as a matrix: rows are rules (in the task's order), columns are targets (by
//! name), each cell the index of its result. Plus the arithmetic that keeps the selected cell on
//! screen when the matrix is wider or taller than the terminal (it scrolls, one column at a time).

use std::ops::Range;

use crate::store::ResultRow;

/// Rules × targets of one run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Grid {
    /// Row labels: the task's rules in its order, then any other rule that has a result.
    pub rules: Vec<String>,
    /// Column labels: every target that has a result, by name.
    pub targets: Vec<String>,
    /// `cells[row * targets.len() + col]`: the index of the result (in the order given), if any.
    cells: Vec<Option<usize>>,
}

impl Grid {
    /// The matrix of `results`, rows first in `rule_order`.
    pub fn new<'a>(rule_order: &[String], results: impl Iterator<Item = &'a ResultRow>) -> Grid {
        let results: Vec<&ResultRow> = results.collect();
        let mut rules: Vec<String> = Vec::new();
        for r in rule_order {
            if !rules.contains(r) {
                rules.push(r.clone());
            }
        }
        let mut extra: Vec<String> = results
            .iter()
            .map(|r| r.rule.clone())
            .filter(|r| !rules.contains(r))
            .collect();
        extra.sort();
        extra.dedup();
        rules.extend(extra);
        let mut targets: Vec<String> = results.iter().map(|r| r.target.clone()).collect();
        targets.sort();
        targets.dedup();
        let mut cells = vec![None; rules.len() * targets.len()];
        for (i, r) in results.iter().enumerate() {
            let row = rules.iter().position(|x| *x == r.rule);
            let col = targets.iter().position(|x| *x == r.target);
            if let (Some(row), Some(col)) = (row, col) {
                cells[row * targets.len() + col] = Some(i);
            }
        }
        Grid {
            rules,
            targets,
            cells,
        }
    }

    /// The result index at a cell.
    pub fn cell(&self, row: usize, col: usize) -> Option<usize> {
        if col >= self.targets.len() {
            return None;
        }
        self.cells
            .get(row * self.targets.len() + col)
            .copied()
            .flatten()
    }
}

/// The rows drawn when `fit` rows fit: from the top while the selection is on the first screen,
/// else just enough to keep the selection the last drawn row.
pub fn rows_shown(selected: usize, count: usize, fit: usize) -> Range<usize> {
    let fit = fit.max(1);
    let first = (selected + 1).saturating_sub(fit);
    first..(first + fit).min(count)
}

/// The columns drawn in `avail` cells, each column taking its width plus one space: the selected
/// one always, as many before it as fit, then as many after it as fit.
pub fn columns_shown(widths: &[u16], selected: usize, avail: u16) -> Range<usize> {
    if widths.is_empty() {
        return 0..0;
    }
    let selected = selected.min(widths.len() - 1);
    let cost = |w: u16| w.saturating_add(1);
    let mut used = cost(widths[selected]);
    let mut first = selected;
    while first > 0 && used.saturating_add(cost(widths[first - 1])) <= avail {
        first -= 1;
        used = used.saturating_add(cost(widths[first]));
    }
    let mut end = selected + 1;
    while end < widths.len() && used.saturating_add(cost(widths[end])) <= avail {
        used = used.saturating_add(cost(widths[end]));
        end += 1;
    }
    first..end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(rule: &str, target: &str) -> ResultRow {
        ResultRow {
            run_id: 1,
            rule: rule.into(),
            target: target.into(),
            verdict: "pass".into(),
            value_json: "{}".into(),
            message: String::new(),
            output: String::new(),
            duration_ms: 1,
            at: 0,
        }
    }

    #[test]
    fn rows_follow_the_task_and_columns_the_targets() {
        let order = vec!["cpu".to_owned(), "disk".to_owned(), "mem".to_owned()];
        let results = [
            result("disk", "web-2"),
            result("cpu", "web-1"),
            result("zzz", "web-1"),
            result("cpu", "web-2"),
        ];
        let g = Grid::new(&order, results.iter());
        assert_eq!(g.rules, ["cpu", "disk", "mem", "zzz"]);
        assert_eq!(g.targets, ["web-1", "web-2"]);
        assert_eq!(g.cell(0, 0), Some(1));
        assert_eq!(g.cell(0, 1), Some(3));
        assert_eq!(g.cell(1, 0), None, "disk has no result on web-1");
        assert_eq!(g.cell(1, 1), Some(0));
        assert_eq!(g.cell(2, 0), None, "mem has no result yet");
        assert_eq!(g.cell(3, 0), Some(2));
        assert_eq!(g.cell(0, 2), None, "out of range");
    }

    #[test]
    fn the_selected_cell_stays_on_screen() {
        assert_eq!(rows_shown(0, 50, 10), 0..10);
        assert_eq!(rows_shown(12, 50, 10), 3..13);
        assert_eq!(rows_shown(2, 3, 10), 0..3);
        let widths = [10, 10, 10, 10, 10];
        assert_eq!(columns_shown(&widths, 0, 33), 0..3);
        assert_eq!(columns_shown(&widths, 4, 33), 2..5);
        assert_eq!(columns_shown(&widths, 2, 100), 0..5);
        assert_eq!(
            columns_shown(&widths, 1, 5),
            1..2,
            "the selection even if it does not fit"
        );
        assert_eq!(columns_shown(&[], 0, 80), 0..0);
    }
}
