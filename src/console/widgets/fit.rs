//! Fitting text and popups into small terminals (80×24 must never overflow or garble).

use ratatui::layout::Rect;

/// Cut `s` to `width` columns, marking the cut with `ellipsis`.
pub fn truncate(s: &str, width: usize, ellipsis: &str) -> String {
    if s.chars().count() <= width {
        return s.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let keep = width.saturating_sub(ellipsis.chars().count());
    let mut out: String = s.chars().take(keep).collect();
    out.push_str(ellipsis);
    out.chars().take(width).collect()
}

/// Cut `s` to `width` columns keeping both ends (`sqlite:///ho…/nightwatch.db`): the end of a path
/// or URL says the most.
pub fn fit(s: &str, width: usize, ellipsis: &str) -> String {
    let n = s.chars().count();
    if n <= width {
        return s.to_owned();
    }
    let e = ellipsis.chars().count();
    if width <= e + 2 {
        return truncate(s, width, ellipsis);
    }
    let head = (width - e) / 2;
    let tail = width - e - head;
    let start: String = s.chars().take(head).collect();
    let end: String = s.chars().skip(n - tail).collect();
    format!("{start}{ellipsis}{end}")
}

/// A rectangle of at most `width`×`height` centred in `area` (clamped to it).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_text() {
        assert_eq!(truncate("abcdef", 4, "…"), "abc…");
        assert_eq!(truncate("abc", 4, "…"), "abc");
        assert_eq!(
            fit("sqlite:///home/op/nightwatch.db", 20, "…"),
            "sqlite://…htwatch.db"
        );
        assert_eq!(fit("abcdef", 3, "~"), "ab~");
        let r = centered(Rect::new(0, 0, 80, 24), 100, 10);
        assert_eq!(r, Rect::new(0, 7, 80, 10));
    }
}
