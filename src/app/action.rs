//! What the learner can ask for. Keys, the mouse, the terminal and background work all become
//! an [`Action`]; the app's one `update` applies it. A module of its own so the state modules
//! (the app, a question) and the key table can all name actions without importing each other.

/// Everything the learner can ask for. Keys, the mouse and the terminal map onto these.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    Quit,
    NextStep,
    PrevStep,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Mouse wheel over the screen: scroll the prose.
    ScrollUp,
    ScrollDown,
    FocusNext,
    FocusPrev,
    ToggleOutline,
    /// Scroll the panel's content (when it is taller than its box).
    PanelUp,
    PanelDown,
    /// Forget the focused panel's kept runs (the finished runs drawn faint for comparison).
    ClearRuns,
    /// Open the lesson picker (any lesson, at any terminal size).
    OpenPicker,
    /// Show the step's panel on the whole terminal, or back.
    ToggleZoom,
    ToggleHelp,
    /// Esc: close whatever is open.
    Back,
    Enter,
    /// A digit or number character typed (numeric answers, choice numbers), or any character
    /// while a text field has the keys.
    Char(char),
    Backspace,
    /// An editing key in a text field (cursor moves, word deletes, undo).
    Edit(Edit),
    Resize(u16, u16),
    /// Background work posted something (its job woke the driver): collect it.
    Tick,
}

/// Editing keys of a text field, beyond typing a character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Left,
    Right,
    WordLeft,
    WordRight,
    Home,
    End,
    Backspace,
    Delete,
    /// The word before the cursor (Ctrl-W).
    DeleteWord,
    /// Everything before the cursor (Ctrl-U).
    DeleteToStart,
    /// Everything after the cursor (Ctrl-K).
    DeleteToEnd,
    Undo,
    Redo,
}
