//! The terminal: raw mode, alternate screen, bracketed paste (a pasted JSON value is one event),
//! hidden cursor, mouse capture left off (it breaks copying host names). Restored on every exit
//! path: normal return, error (`Drop`), and panic (a hook wrapping the existing one).

use std::io::{Stdout, stdout};
use std::panic::{self, PanicHookInfo};
use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::cursor::{Hide, Show};
use ratatui::crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};

type Hook = Arc<dyn Fn(&PanicHookInfo<'_>) + Send + Sync + 'static>;

/// The terminal while the console owns it. Dropping it gives the terminal back.
pub struct Tui {
    /// The ratatui terminal.
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
    previous_hook: Option<Hook>,
}

/// Put the terminal back as the shell expects it. Safe to call more than once.
pub fn restore() {
    // Errors are ignored: this runs on the way out (possibly inside a panic) and there is nothing
    // better to do than try every step.
    let _ = execute!(stdout(), DisableBracketedPaste, LeaveAlternateScreen, Show);
    let _ = disable_raw_mode();
}

impl Tui {
    /// Take over the terminal and install the panic hook.
    pub fn enter() -> std::io::Result<Tui> {
        let previous: Hook = Arc::from(panic::take_hook());
        let for_hook = Arc::clone(&previous);
        panic::set_hook(Box::new(move |info| {
            restore();
            for_hook(info);
        }));
        let tui = Tui {
            terminal: Terminal::new(CrosstermBackend::new(stdout()))?,
            previous_hook: Some(previous),
        };
        enable_raw_mode()?;
        // A plain clear, not `Terminal::clear()`: that one asks the terminal for the cursor position
        // (ESC[6n) and fails after 2 s on a terminal that never answers; the first frame paints
        // every cell anyway, since the terminal's buffers start empty.
        execute!(
            stdout(),
            EnterAlternateScreen,
            EnableBracketedPaste,
            Hide,
            Clear(ClearType::All)
        )?;
        Ok(tui)
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        restore();
        // Put the previous panic hook back so a panic after the console is reported as before.
        if let Some(previous) = self.previous_hook.take() {
            let _ = panic::take_hook();
            panic::set_hook(Box::new(move |info| previous(info)));
        }
    }
}
