//! A one-line text input (command line, filter, confirmation fields): text plus a cursor.
//!
//! Kept small and pure so `App::update` tests can drive it with actions; rendering is in
//! `popups/prompt.rs`.

/// The text of a prompt and the cursor position (in characters).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    text: String,
    cursor: usize,
}

impl LineInput {
    /// An input holding `text`, cursor at the end.
    pub fn with_text(text: &str) -> LineInput {
        LineInput {
            text: text.to_owned(),
            cursor: text.chars().count(),
        }
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The cursor position in characters.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map_or(self.text.len(), |(i, _)| i)
    }

    /// Insert text at the cursor; line breaks (from a paste) become spaces.
    pub fn insert(&mut self, s: &str) {
        for c in s.chars() {
            let c = if c.is_control() { ' ' } else { c };
            let at = self.byte_at(self.cursor);
            self.text.insert(at, c);
            self.cursor += 1;
        }
    }

    /// Delete the character before the cursor.
    pub fn delete_back(&mut self) {
        if self.cursor > 0 {
            self.cursor -= 1;
            let at = self.byte_at(self.cursor);
            self.text.remove(at);
        }
    }

    /// Delete the character under the cursor.
    pub fn delete_forward(&mut self) {
        if self.cursor < self.text.chars().count() {
            let at = self.byte_at(self.cursor);
            self.text.remove(at);
        }
    }

    /// Delete the word before the cursor (and the spaces after it).
    pub fn delete_word(&mut self) {
        let chars: Vec<char> = self.text.chars().collect();
        let mut start = self.cursor;
        while start > 0 && chars[start - 1] == ' ' {
            start -= 1;
        }
        while start > 0 && chars[start - 1] != ' ' {
            start -= 1;
        }
        let (from, to) = (self.byte_at(start), self.byte_at(self.cursor));
        self.text.replace_range(from..to, "");
        self.cursor = start;
    }

    /// Move the cursor by `delta` characters, staying inside the text.
    pub fn move_cursor(&mut self, delta: isize) {
        let len = self.text.chars().count();
        self.cursor = self.cursor.saturating_add_signed(delta).min(len);
    }

    /// Cursor to the start.
    pub fn home(&mut self) {
        self.cursor = 0;
    }

    /// Cursor to the end.
    pub fn end(&mut self) {
        self.cursor = self.text.chars().count();
    }

    /// Replace everything.
    pub fn set(&mut self, text: &str) {
        *self = LineInput::with_text(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_at_the_cursor() {
        let mut l = LineInput::with_text("thme");
        l.move_cursor(-2);
        l.insert("e");
        assert_eq!((l.text(), l.cursor()), ("theme", 3));
        l.end();
        l.insert(" li\ngh");
        assert_eq!(l.text(), "theme li gh");
        l.delete_word();
        l.delete_word();
        assert_eq!(l.text(), "theme ");
        l.delete_back();
        l.home();
        l.delete_forward();
        assert_eq!((l.text(), l.cursor()), ("heme", 0));
        l.move_cursor(-5);
        assert_eq!(l.cursor(), 0);
    }

    #[test]
    fn handles_multibyte_text() {
        let mut l = LineInput::with_text("héllo");
        l.move_cursor(-3);
        l.delete_back();
        assert_eq!(l.text(), "hllo");
    }
}
