//! Line diffs of pretty-printed (masked) values, for history and the pre-save review.

use serde::Serialize;

/// One line of a diff: `-` removed, `+` added, ` ` unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffLine {
    pub tag: char,
    pub text: String,
}

/// The line diff from `old` to `new`.
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    similar::TextDiff::from_lines(old, new)
        .iter_all_changes()
        .map(|c| DiffLine {
            tag: match c.tag() {
                similar::ChangeTag::Delete => '-',
                similar::ChangeTag::Insert => '+',
                similar::ChangeTag::Equal => ' ',
            },
            text: c.value().trim_end_matches('\n').to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_changed_lines() {
        let d = diff_lines("a\nb\nc\n", "a\nB\nc\n");
        let tags: String = d.iter().map(|l| l.tag).collect();
        assert_eq!(tags, " -+ ");
        assert_eq!(d[2].text, "B");
    }
}
