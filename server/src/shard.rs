//! Shards: threads of their own (one per core by default), each running the
//! WebSocket connections given to it on a single-threaded runtime, so that a
//! connection's task, socket and outbox stay on one core instead of moving
//! between worker threads with every wake-up, and a publish crosses to each
//! other shard once, not once per subscriber: [`Hub::deliver`](crate::hub::Hub::deliver)
//! queues the frame for the subscribers of its own shard and hands each other
//! shard a job that queues it for that shard's. This is the shard-per-core
//! pattern of uWebSockets and Seastar; the rest of the server (HTTP, the
//! upgrade, the cluster, timers) stays on the runtime that runs it.
//!
//! A shard queues a publish's frames without waking the connections' tasks
//! ([`later`]) and, once the jobs waiting for it are done, writes each
//! connection's queue straight to its socket ([`Outbox::flush`](crate::outbox::Outbox::flush)):
//! a batch of publishes costs each subscriber one vectored write, and its task
//! runs only when the socket is full.

use crate::conn::Conn;
use std::cell::{Cell, RefCell};
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

thread_local! {
    /// The shard this thread runs, if it is one.
    static CURRENT: Cell<Option<usize>> = const { Cell::new(None) };
    /// This shard's connections with frames queued since its last flush.
    static QUEUED: RefCell<Vec<Arc<Conn>>> = const { RefCell::new(Vec::new()) };
    /// This shard is running its jobs (and flushes after them).
    static IN_JOBS: Cell<bool> = const { Cell::new(false) };
    /// This shard's own job queue, to have it flush after a publish made here.
    static OWN: RefCell<Option<mpsc::UnboundedSender<Job>>> = const { RefCell::new(None) };
}

/// Has this shard write `conn`'s queue once the work in hand is done
/// (`conn` runs here; called when its queue was empty, so once per batch).
pub(crate) fn later(conn: &Arc<Conn>) {
    let first = QUEUED.with(|q| {
        let mut q = q.borrow_mut();
        q.push(conn.clone());
        q.len() == 1
    });
    if first && !IN_JOBS.with(Cell::get) {
        // The flush follows the jobs in the queue: one empty job makes sure
        // there is one, for a publish made by a connection of this shard.
        let sent = OWN.with(|own| own.borrow().as_ref().is_some_and(|o| o.send(Box::new(|| {})).is_ok()));
        if !sent {
            flush();
        }
    }
}

/// Writes every queue [`later`] collected.
fn flush() {
    let mut conns = QUEUED.with(|q| std::mem::take(&mut *q.borrow_mut()));
    for c in conns.drain(..) {
        c.outbox().flush();
    }
    // The list's memory serves the next batch.
    QUEUED.with(|q| {
        let mut q = q.borrow_mut();
        if q.is_empty() {
            *q = conns;
        }
    });
}

/// The shard the calling thread runs, if it is one.
pub(crate) fn current() -> Option<usize> {
    CURRENT.with(Cell::get)
}

/// The connections of a publish that live on one shard, to be written there.
pub(crate) type Queued = Vec<Arc<Conn>>;

/// Work a shard does for a publish made elsewhere.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// The running shards, shared by everything that places or wakes a connection.
#[derive(Debug)]
pub(crate) struct Shards {
    shards: Vec<Shard>,
    /// The next shard a connection goes to (round robin).
    next: AtomicUsize,
}

#[derive(Debug)]
struct Shard {
    jobs: mpsc::UnboundedSender<Job>,
}

/// Stops the shards when dropped: held by [`Server::run`](crate::Server::run),
/// so they end with it (the connections still on them are dropped, as the
/// runtime's own would be when it ends).
#[derive(Debug)]
pub(crate) struct Running {
    stops: Vec<oneshot::Sender<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        for stop in self.stops.drain(..) {
            let _ = stop.send(());
        }
    }
}

impl Shards {
    /// Starts `count` shard threads (at least one: without shards, connections
    /// run on the caller's runtime and nothing here is started).
    pub(crate) fn start(count: usize) -> io::Result<(Arc<Shards>, Running)> {
        let mut shards = Vec::with_capacity(count);
        let mut stops = Vec::with_capacity(count);
        for i in 0..count {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let (jobs, mut queued) = mpsc::unbounded_channel::<Job>();
            let (stop, mut stopped) = oneshot::channel();
            let own = jobs.clone();
            shards.push(Shard { jobs });
            stops.push(stop);
            std::thread::Builder::new()
                .name(format!("lhttpd-shard-{i}"))
                .spawn(move || {
                    CURRENT.with(|c| c.set(Some(i)));
                    OWN.with(|o| *o.borrow_mut() = Some(own));
                    runtime.block_on(async {
                        loop {
                            tokio::select! {
                                _ = &mut stopped => break,
                                job = queued.recv() => match job {
                                    Some(job) => {
                                        IN_JOBS.with(|j| j.set(true));
                                        job();
                                        // Every job waiting now, then one write per connection.
                                        while let Ok(job) = queued.try_recv() {
                                            job();
                                        }
                                        IN_JOBS.with(|j| j.set(false));
                                        flush();
                                    }
                                    None => break,
                                },
                            }
                        }
                    });
                    // Its own sender would keep the queue open for ever.
                    OWN.with(|o| o.borrow_mut().take());
                })?;
        }
        let shards = Arc::new(Shards {
            shards,
            next: AtomicUsize::new(0),
        });
        Ok((shards, Running { stops }))
    }

    /// The shard for a new connection.
    pub(crate) fn pick(&self) -> usize {
        self.next.fetch_add(1, Ordering::Relaxed) % self.shards.len()
    }

    /// How many shards run.
    pub(crate) fn len(&self) -> usize {
        self.shards.len()
    }

    /// Runs `job` on shard `shard` (here, when the shards have stopped, so
    /// that nothing waits for a job that never runs).
    pub(crate) fn run(&self, shard: usize, job: Job) {
        if let Err(mpsc::error::SendError(job)) = self.shards[shard].jobs.send(job) {
            job();
        }
    }

    /// Has shard `shard` write the queues of `conns`, all of them its own
    /// (or wake their tasks, for what the socket does not take).
    pub(crate) fn write(&self, shard: usize, conns: Queued) {
        self.run(shard, Box::new(move || conns.iter().for_each(later)));
    }
}
