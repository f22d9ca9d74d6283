//! CPU-heavy work (searches, traces, allocation, tiles, grids, plumes) runs off the async
//! threads, a few at a time: when every turn stays taken for longer than a moment, the caller
//! is told to come back (503 with Retry-After) instead of the server stalling.

use std::sync::OnceLock;
use std::time::Duration;

use tokio::sync::Semaphore;

/// How long a job waits for a turn before it is refused.
const WAIT: Duration = Duration::from_secs(10);

/// Why a job was not done.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// Every turn is taken: the server is saturated.
    #[error("the server is busy with other computations; try again in a few seconds")]
    Busy,
    /// The job panicked (its panic is logged).
    #[error("the computation failed")]
    Failed,
}

/// Jobs that may run at once: two per core (a job may wait on nothing but the CPU).
pub fn turns() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get() * 2).clamp(2, 64)
}

fn semaphore() -> &'static Semaphore {
    static TURNS: OnceLock<Semaphore> = OnceLock::new();
    TURNS.get_or_init(|| Semaphore::new(turns()))
}

/// Runs `job` on a blocking thread once a turn is free (waiting at most [`WAIT`]).
pub async fn run<T: Send + 'static>(
    what: &'static str,
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Refused> {
    run_within(what, WAIT, job).await
}

/// As [`run`], waiting at most `wait` for a turn.
pub async fn run_within<T: Send + 'static>(
    what: &'static str,
    wait: Duration,
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Refused> {
    let turn = match tokio::time::timeout(wait, semaphore().acquire()).await {
        Ok(Ok(turn)) => turn,
        _ => {
            tracing::warn!(what, "refused: every turn for computations is taken");
            return Err(Refused::Busy);
        }
    };
    let done = tokio::task::spawn_blocking(job).await;
    drop(turn);
    done.map_err(|e| {
        tracing::error!(what, error = %e, "a computation failed");
        Refused::Failed
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_saturated_pool_refuses_and_a_panic_is_a_failure_not_a_crash() {
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let hold = std::sync::Arc::new(std::sync::Mutex::new(hold));
        let mut busy = Vec::new();
        for _ in 0..turns() {
            let hold = hold.clone();
            busy.push(tokio::spawn(run("hold", move || _ = hold.lock().unwrap().recv())));
        }
        while semaphore().available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let refused = run_within("one more", Duration::from_millis(50), || 1).await;
        assert!(matches!(refused, Err(Refused::Busy)), "{refused:?}");
        for _ in 0..turns() {
            release.send(()).unwrap();
        }
        for job in busy {
            job.await.unwrap().unwrap();
        }
        assert_eq!(run("after", || 2).await.unwrap(), 2);
        let failed = run("panics", || -> u8 { panic!("a bug in a computation") }).await;
        assert!(matches!(failed, Err(Refused::Failed)));
        assert_eq!(semaphore().available_permits(), turns(), "every turn is given back");
    }
}
