//! A generic, windowed table: rows come from any type implementing [`DataToCell`], columns from a
//! [`View`]. Only the visible slice is turned into `Row`s (DESIGN.md §10: a full `Table` costs
//! O(rows) per frame; 66 ms at 100k rows, the slice ≈ 0.5 ms at any size).

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, StatefulWidget, Table, TableState, Widget, Wrap};

use crate::console::glyphs::Glyphs;
use crate::console::theme::Theme;
use crate::console::view::View;

/// What a cell may need besides its row: styles, symbols and the clock (passed in, never read,
/// so snapshots are deterministic).
#[derive(Debug, Clone, Copy)]
pub struct CellCtx<'a> {
    /// Styles.
    pub theme: &'a Theme,
    /// Symbols.
    pub glyphs: &'a Glyphs,
    /// "Now" in epoch ms.
    pub now: i64,
    /// How old a heartbeat may be and still count as alive (ms).
    pub ttl_ms: i64,
}

/// A row type a [`DataTable`] can draw.
pub trait DataToCell {
    /// Column ids this type can fill (what `views/*.toml` may name).
    const COLUMNS: &'static [&'static str];
    /// The content of one cell.
    fn cell(&self, column: &str, ctx: &CellCtx<'_>) -> Line<'static>;
}

/// A bordered table over `rows[indices]` with a selection kept in view.
pub struct DataTable<'a, T> {
    /// The block around the table.
    pub block: Block<'a>,
    /// All rows.
    pub rows: &'a [T],
    /// Which rows to show, in order (the filter's result).
    pub indices: &'a [usize],
    /// The columns.
    pub view: &'a View,
    /// Position within `indices` of the selected row, if the table has focus.
    pub selected: Option<usize>,
    /// Shown when `indices` is empty.
    pub empty: &'a str,
    /// Styles, symbols, clock.
    pub ctx: CellCtx<'a>,
}

impl<T: DataToCell> Widget for DataTable<'_, T> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let inner = self.block.inner(area);
        self.block.render(area, buf);
        if inner.height == 0 || inner.width == 0 {
            return;
        }
        let theme = self.ctx.theme;
        if self.indices.is_empty() {
            Paragraph::new(Span::styled(self.empty, theme.muted))
                .wrap(Wrap { trim: true })
                .render(inner, buf);
            return;
        }
        let columns = self.view.visible(inner.width);
        let body = usize::from(inner.height.saturating_sub(1)).max(1);
        let selected = self.selected.map(|s| s.min(self.indices.len() - 1));
        // Keep the selection on screen: scroll just enough that it is the last visible row.
        let offset = selected.map_or(0, |s| (s + 1).saturating_sub(body));
        let slice = &self.indices[offset..(offset + body).min(self.indices.len())];
        let rows: Vec<Row<'_>> = slice
            .iter()
            .filter_map(|&i| self.rows.get(i))
            .map(|r| Row::new(columns.iter().map(|c| r.cell(&c.id, &self.ctx))))
            .collect();
        let header =
            Row::new(columns.iter().map(|c| Line::from(c.title.as_str()))).style(theme.header);
        let widths: Vec<Constraint> = columns.iter().map(|c| c.width).collect();
        let table = Table::new(rows, widths)
            .header(header)
            .column_spacing(1)
            .style(theme.text)
            .row_highlight_style(theme.selection)
            .highlight_symbol(Line::from(format!("{} ", self.ctx.glyphs.selected)))
            .highlight_spacing(ratatui::widgets::HighlightSpacing::Always);
        let mut state = TableState::default().with_selected(selected.map(|s| s - offset));
        StatefulWidget::render(table, inner, buf, &mut state);
    }
}
