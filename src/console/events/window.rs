//! Paging arithmetic of the windowed Events table. Positions are 0-based in the sorted, filtered
//! result; `body` is how many rows the table shows. Pure functions, tested below.

/// Rows loaded beyond each edge of the visible page, so short moves need no new read.
pub const MARGIN: i64 = 20;

/// The first visible position after the selection moved: unchanged while the selection stays on
/// the page, else just enough to bring it back (like a pager).
pub fn follow(selected: i64, scroll: i64, body: i64) -> i64 {
    let body = body.max(1);
    if selected < scroll {
        selected
    } else if selected >= scroll + body {
        selected - body + 1
    } else {
        scroll
    }
    .max(0)
}

/// The window to read for a page starting at `scroll`: (offset, limit).
pub fn wanted(scroll: i64, body: i64) -> (i64, i64) {
    ((scroll - MARGIN).max(0), body.max(1) + 2 * MARGIN)
}

/// Whether `len` rows loaded at `offset` hold every visible row of the page at `scroll`.
pub fn covers(offset: i64, len: i64, total: i64, scroll: i64, body: i64) -> bool {
    let end = (scroll + body.max(1)).min(total);
    end <= scroll || (scroll >= offset && end <= offset + len)
}

/// Where drawing starts for a table of `body` rows (the real height, which may differ from what
/// `update` assumed): the kept scroll, moved only as far as needed to show the selection.
pub fn first_drawn(selected: i64, scroll: i64, body: i64) -> i64 {
    let body = body.max(1);
    scroll.clamp((selected - body + 1).max(0), selected.max(0))
}

/// `selected` and `scroll` brought inside a result of `total` rows.
pub fn clamp(selected: i64, scroll: i64, total: i64, body: i64) -> (i64, i64) {
    let last = (total - 1).max(0);
    let selected = selected.clamp(0, last);
    let scroll = follow(selected, scroll.min((total - body.max(1)).max(0)), body);
    (selected, scroll)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_stays_while_the_selection_moves_on_it() {
        assert_eq!(follow(5, 0, 20), 0);
        assert_eq!(follow(19, 0, 20), 0);
        assert_eq!(follow(20, 0, 20), 1, "one past the bottom scrolls one");
        assert_eq!(
            follow(3, 10, 20),
            3,
            "above the page: it starts at the selection"
        );
        assert_eq!(follow(99_999, 0, 20), 99_980);
    }

    #[test]
    fn the_window_is_the_page_plus_margins() {
        assert_eq!(
            wanted(0, 20),
            (0, 60),
            "no room above: the margin goes below"
        );
        assert_eq!(wanted(100, 20), (80, 60));
        assert_eq!(wanted(5, 20), (0, 60));
        assert!(covers(80, 60, 100_000, 100, 20));
        assert!(!covers(80, 60, 100_000, 125, 20));
        assert!(
            covers(0, 7, 7, 0, 20),
            "a short result is covered by all of it"
        );
        assert!(!covers(0, 0, 7, 0, 20));
        assert!(covers(0, 0, 0, 0, 20), "nothing to show needs nothing");
    }

    #[test]
    fn drawing_keeps_the_selection_visible_at_any_height() {
        assert_eq!(first_drawn(30, 20, 20), 20);
        assert_eq!(first_drawn(30, 20, 5), 26, "shorter than assumed");
        assert_eq!(first_drawn(30, 35, 20), 30);
        assert_eq!(first_drawn(0, 0, 20), 0);
    }

    #[test]
    fn clamping_to_a_smaller_result() {
        assert_eq!(clamp(500, 490, 100, 20), (99, 80));
        assert_eq!(clamp(3, 0, 0, 20), (0, 0));
        assert_eq!(clamp(10, 5, 100, 20), (10, 5));
    }
}
