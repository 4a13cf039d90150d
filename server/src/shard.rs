//! Shards: threads of their own (one per core by default), each running the
//! WebSocket connections given to it on a single-threaded runtime, so that a
//! connection's task, socket and outbox stay on one core instead of moving
//! between worker threads with every wake-up, and a publish crosses to each
//! other shard once, not once per subscriber: [`Hub::deliver`](crate::hub::Hub::deliver)
//! queues the frame for the subscribers of its own shard and hands each other
//! shard a job that queues it for that shard's. This is the shard-per-core
//! pattern of uWebSockets and Seastar; the rest of the server (HTTP, the
//! upgrade, the cluster, timers) stays on the runtime that runs it.

use crate::conn::Conn;
use std::cell::Cell;
use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

thread_local! {
    /// The shard this thread runs, if it is one.
    static CURRENT: Cell<Option<usize>> = const { Cell::new(None) };
}

/// The shard the calling thread runs, if it is one.
pub(crate) fn current() -> Option<usize> {
    CURRENT.with(Cell::get)
}

/// The connections of a publish that live on one shard, to be woken there.
pub(crate) type Wakes = Vec<Arc<Conn>>;

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
    runtime: tokio::runtime::Handle,
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
            shards.push(Shard {
                runtime: runtime.handle().clone(),
                jobs,
            });
            stops.push(stop);
            std::thread::Builder::new()
                .name(format!("lhttpd-shard-{i}"))
                .spawn(move || {
                    CURRENT.with(|c| c.set(Some(i)));
                    runtime.block_on(async {
                        loop {
                            tokio::select! {
                                _ = &mut stopped => break,
                                job = queued.recv() => match job {
                                    Some(job) => job(),
                                    None => break,
                                },
                            }
                        }
                    });
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

    /// Runs `task` on shard `shard` (dropped if the shards have stopped).
    pub(crate) fn spawn<F>(&self, shard: usize, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(self.shards[shard].runtime.spawn(task));
    }

    /// Runs `job` on shard `shard` (here, when the shards have stopped, so
    /// that nothing waits for a job that never runs).
    pub(crate) fn run(&self, shard: usize, job: Job) {
        if let Err(mpsc::error::SendError(job)) = self.shards[shard].jobs.send(job) {
            job();
        }
    }

    /// Wakes `conns`, all of shard `shard`, there.
    pub(crate) fn wake(&self, shard: usize, conns: Wakes) {
        self.run(shard, Box::new(move || conns.iter().for_each(|c| c.outbox().wake())));
    }
}
