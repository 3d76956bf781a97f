//! The core a driver runs: terminal events in, frames out, and nothing about which terminal.
//!
//! `term` drives a [`Session`] from the local terminal; `serve` drives one per SSH
//! connection from the channel's events and draws into a backend that writes to the channel. The driver
//! decides when to draw: after a batch of events of which at least one asked for it.

use crate::app::{Action, App};
use crate::jobs::Waker;
use crate::keymap::{self, Context};
use crate::ui::{self, theme::Theme};
use ratatui::crossterm::event::Event;
use ratatui::Frame;

pub struct Session {
    app: App,
    theme: Theme,
}

impl Session {
    /// A session whose panels' background work calls `waker` when it has something to show;
    /// the driver then calls [`Session::tick`] on its own thread.
    pub fn new(mut app: App, theme: Theme, waker: Waker) -> Self {
        app.set_waker(waker);
        Self { app, theme }
    }

    /// Applies one terminal event; whether the screen needs drawing again.
    pub fn handle(&mut self, event: &Event) -> bool {
        // A paste is text for whatever takes text, never a run of keys.
        if let Event::Paste(text) = event {
            return self.app.paste(text);
        }
        match keymap::action_for(event, Context::of(&self.app)) {
            Some(action) => self.app.update(action),
            None => false,
        }
    }

    /// Collects what background work has posted; whether the screen needs drawing again.
    /// The driver calls it when the waker it gave [`Session::new`] has fired.
    pub fn tick(&mut self) -> bool {
        self.app.update(Action::Tick)
    }

    /// Whether background work is under way.
    pub fn busy(&self) -> bool {
        self.app.busy()
    }

    /// Draws the whole screen into the frame.
    pub fn draw(&self, frame: &mut Frame) {
        ui::render(&self.app, frame.area(), frame.buffer_mut(), &self.theme);
    }

    pub fn quit_requested(&self) -> bool {
        self.app.quit_requested()
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    pub fn app_mut(&mut self) -> &mut App {
        &mut self.app
    }

    /// The app back, when the session ends.
    pub fn into_app(self) -> App {
        self.app
    }
}
