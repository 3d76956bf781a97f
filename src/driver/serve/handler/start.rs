//! Starting a signed-in student's session: its thread, its place among the live sessions,
//! and the task that carries its output to the channel at the pace the client reads.

use super::{log, Connection, Live, Shared};
use crate::driver::serve::driver::{self, Input, Link, Output, Start};
use crate::driver::serve::identity;
use crate::driver::serve::quickack::QuickAck;
use russh::server::Msg;
use russh::ChannelWriteHalf;
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc, PoisonError};
use std::time::Instant;

impl Connection {
    /// Starts the student's session thread and the task that carries its output.
    pub(super) fn start_session(&mut self, size: (u16, u16)) -> bool {
        let (Some(student), Some(writer)) = (self.student.clone(), self.writer.take()) else {
            return false;
        };
        let (input_tx, input_rx) = mpsc::channel();
        let link = Arc::new(Link::default());
        let label = identity::shown(&student.label);
        {
            let mut sessions = self
                .shared
                .sessions
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if sessions.len() >= self.shared.max_sessions {
                return false;
            }
            let live = Live {
                input: input_tx.clone(),
                link: Arc::clone(&link),
                label: label.clone(),
            };
            sessions.insert(self.id, live);
        }
        self.input = Some(input_tx.clone());
        self.link = Some(Arc::clone(&link));
        // Unbounded in type only: the session sends one frame and waits for `Sent` before
        // the next, so this holds at most a frame, a goodbye and the end.
        let (out_tx, out_rx) = tokio::sync::mpsc::unbounded_channel();
        self.shared.sending.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(forward(
            writer,
            out_rx,
            self.shared.clone(),
            self.quick.clone(),
            (Arc::clone(&link), input_tx),
        ));
        let start = Start {
            student: student.clone(),
            course: self.shared.course.clone(),
            class: self.shared.class.clone(),
            size,
            ascii: self.ascii(),
            no_color: self.shared.looks.no_color,
            idle: self.shared.idle,
            waker: {
                // The session's background work wakes its thread through its own input
                // channel, so a student's training run redraws only that student's screen;
                // one queued wake-up covers any number of posts.
                let wake = (self.input.clone(), Arc::clone(&link));
                crate::jobs::Waker::new(move || {
                    if let (Some(tx), link) = &wake {
                        link.wake(tx);
                    }
                })
            },
            link,
        };
        let shared = self.shared.clone();
        let id = self.id;
        let ended_link = Arc::clone(&start.link);
        log(&format!(
            "session    {label} started at {}x{} ({} live)",
            size.0,
            size.1,
            shared.live_sessions()
        ));
        let spawned = std::thread::Builder::new()
            .name(format!("llmf-session-{id}"))
            .spawn(move || {
                let began = Instant::now();
                let ending = driver::run(start, input_rx, out_tx);
                shared
                    .sessions
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&id);
                let saved = if ended_link.saved() {
                    "progress saved"
                } else {
                    "progress NOT saved (its last save stays)"
                };
                log(&format!(
                    "session    {label} ended: {} after {} s, {saved}",
                    ending.describe(),
                    began.elapsed().as_secs()
                ));
            });
        if let Err(e) = spawned {
            log(&format!("cannot start a session thread: {e}"));
            self.shared
                .sessions
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&self.id);
            return false;
        }
        true
    }
}

/// Carries a session's output to its channel; at the end, the exit status and the close.
/// Once the session's first output (its start and first frame follow at once) is handed over,
/// the stream stops asking for quick acknowledgements.
async fn forward(
    writer: ChannelWriteHalf<Msg>,
    mut output: tokio::sync::mpsc::UnboundedReceiver<Output>,
    shared: Arc<Shared>,
    quick: QuickAck,
    (link, input): (Arc<Link>, mpsc::Sender<Input>),
) {
    while let Some(out) = output.recv().await {
        match out {
            Output::Data(bytes) => {
                // Returns once the client's window has taken every byte: a client that does
                // not read holds up its own next frame, and nothing piles up behind it.
                if writer.data_bytes(bytes).await.is_err() {
                    break;
                }
                link.sent(&input);
                quick.stop();
            }
            Output::End(status) => {
                let _ = writer.exit_status(status).await;
                let _ = writer.eof().await;
                let _ = writer.close().await;
                break;
            }
        }
    }
    shared.sending.fetch_sub(1, Ordering::SeqCst);
}
