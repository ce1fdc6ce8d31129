//! The inference thread: one named OS thread owns the [`Engine`] and takes jobs from a bounded
//! queue. Callers never wait for a slot: a full queue is [`Error::Busy`]. Tokens stream back
//! over a bounded channel per job; dropping the receiver cancels that job at the next token,
//! and a reader that leaves the channel full for 30 s gets its job cancelled.
//! The thread ends when the last [`WorkerHandle`] is dropped.

use std::ops::ControlFlow;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::engine::{Engine, GenRequest, Generation};
use crate::{Error, Result};

/// Tokens buffered per job before the inference thread waits for the reader.
const EVENTS_PER_JOB: usize = 256;

/// How long the inference thread waits for a reader whose buffer is full before it cancels
/// the job (a stalled client must not hold the model).
const READER_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends `event`, waiting at most [`READER_TIMEOUT`] for room; false when the reader is gone
/// or too slow.
fn send_or_give_up(tx: &SyncSender<Event>, mut event: Event) -> bool {
    let start = Instant::now();
    loop {
        match tx.try_send(event) {
            Ok(()) => return true,
            Err(TrySendError::Disconnected(_)) => return false,
            Err(TrySendError::Full(e)) => {
                if start.elapsed() > READER_TIMEOUT {
                    tracing::warn!("token reader stalled; cancelling the generation");
                    return false;
                }
                event = e;
                // A plain OS thread, not async: parking briefly is the intended wait.
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }
}

/// What a job sends back, in order: zero or more `Token`s, then exactly one `Done`.
#[derive(Debug)]
pub enum Event {
    /// A piece of generated text.
    Token(String),
    /// The end of the job.
    Done(Result<Generation>),
}

enum Job {
    Generate(GenRequest, SyncSender<Event>),
    SetPrefix(String, SyncSender<Result<usize>>),
}

/// Sends jobs to the inference thread. Cheap to clone.
#[derive(Debug, Clone)]
pub struct WorkerHandle {
    tx: SyncSender<Job>,
}

/// Spawns the inference thread.
#[derive(Debug)]
pub struct Worker;

impl Worker {
    /// Moves `engine` onto a new thread named `llm`, with room for `queue_len` waiting jobs
    /// (besides the one running).
    ///
    /// # Errors
    /// [`Error::Io`] if the thread cannot be spawned.
    pub fn spawn(mut engine: Engine, queue_len: usize) -> Result<(WorkerHandle, JoinHandle<()>)> {
        let (tx, rx) = mpsc::sync_channel::<Job>(queue_len);
        let join = std::thread::Builder::new()
            .name("llm".into())
            .spawn(move || {
                // Ends when every WorkerHandle (sender) is dropped.
                while let Ok(job) = rx.recv() {
                    match job {
                        Job::Generate(req, events) => {
                            let result = engine.generate_until(req, |piece| {
                                if send_or_give_up(&events, Event::Token(piece.to_string())) {
                                    ControlFlow::Continue(())
                                } else {
                                    ControlFlow::Break(())
                                }
                            });
                            if let Err(e) = &result {
                                tracing::warn!(error = %e, "generation failed");
                            }
                            send_or_give_up(&events, Event::Done(result));
                        }
                        Job::SetPrefix(prefix, reply) => {
                            let _ = reply.send(engine.set_prefix(&prefix));
                        }
                    }
                }
            })?;
        Ok((WorkerHandle { tx }, join))
    }
}

impl WorkerHandle {
    /// Queues a generation and returns the stream of its events.
    ///
    /// # Errors
    /// [`Error::Busy`] when the queue is full; [`Error::WorkerGone`] if the thread ended.
    pub fn try_submit(&self, req: GenRequest) -> Result<Receiver<Event>> {
        let (tx, rx) = mpsc::sync_channel(EVENTS_PER_JOB);
        self.send(Job::Generate(req, tx))?;
        Ok(rx)
    }

    /// Queues a prefix change (prefilled on the inference thread); the receiver gets the
    /// prefix token count once done.
    ///
    /// # Errors
    /// [`Error::Busy`] when the queue is full; [`Error::WorkerGone`] if the thread ended.
    pub fn try_set_prefix(&self, prefix: impl Into<String>) -> Result<Receiver<Result<usize>>> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.send(Job::SetPrefix(prefix.into(), tx))?;
        Ok(rx)
    }

    fn send(&self, job: Job) -> Result<()> {
        self.tx.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => Error::Busy,
            TrySendError::Disconnected(_) => Error::WorkerGone,
        })
    }
}

/// Collects a job's events into the final [`Generation`], calling `on_token` for each piece.
///
/// # Errors
/// The job's own error, or [`Error::WorkerGone`] if the stream ended without `Done`.
pub fn collect(rx: &Receiver<Event>, mut on_token: impl FnMut(&str)) -> Result<Generation> {
    for event in rx.iter() {
        match event {
            Event::Token(t) => on_token(&t),
            Event::Done(r) => return r,
        }
    }
    Err(Error::WorkerGone)
}
