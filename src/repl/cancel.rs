//! Ctrl-C while a query runs: the query's task is aborted, which drops DataFusion's future and
//! so cancels the query (its streams, and the tasks they spawned, go with it).
//!
//! Ctrl-C is heard on a thread of its own, with a small runtime of its own: the signal reaches
//! a tokio program through a runtime's driver, and the query's runtime may have every worker
//! busy in a computation.

use std::future::Future;
use std::sync::Once;
use std::time::Duration;

use futures::FutureExt;
use tokio::sync::Notify;

/// Woken at each Ctrl-C that comes outside the line editor.
static INTERRUPTS: Notify = Notify::const_new();

/// Installs the Ctrl-C handler and starts the thread that listens for it. Called before the
/// first line is read: the line editor puts back, after each line, the handler it found.
pub fn listen() {
    static STARTED: Once = Once::new();
    STARTED.call_once(|| {
        // Installs tokio's handler for good (polling the future once registers it), so that a
        // Ctrl-C outside a query no longer ends the process.
        let _ = tokio::signal::ctrl_c().now_or_never();
        let spawned = std::thread::Builder::new()
            .name("whalewatch-ctrl-c".into())
            .spawn(|| {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async {
                    while tokio::signal::ctrl_c().await.is_ok() {
                        INTERRUPTS.notify_waiters();
                    }
                });
            });
        if let Err(error) = spawned {
            tracing::warn!("Ctrl-C will not cancel queries: {error}");
        }
    });
}

/// Leaves at once: the query does not stop, and the history is already written.
fn leave() -> ! {
    eprintln!("\nleaving");
    std::process::exit(130);
}

/// Runs `work` as a task of the runtime unless Ctrl-C comes first (None).
pub async fn cancellable<T: Send + 'static>(
    work: impl Future<Output = T> + Send + 'static,
) -> Option<T> {
    let mut task = tokio::spawn(work);
    tokio::select! {
        joined = &mut task => return match joined {
            Ok(outcome) => Some(outcome),
            // A panic in the query is the REPL's, as it was before the query had a task.
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(_) => None,
        },
        () = INTERRUPTS.notified() => {}
    }
    task.abort();
    // The task stops at its next pause, normally at once. An operator that computes long
    // without one (a huge cross join) cannot be stopped sooner, so a second Ctrl-C leaves.
    let again = INTERRUPTS.notified();
    tokio::pin!(again);
    again.as_mut().enable();
    // Counted on this thread: with every worker busy, the runtime's timers would not fire.
    for _ in 0..20 {
        if task.is_finished() {
            return None;
        }
        if again.as_mut().now_or_never().is_some() {
            leave();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!("\nthe query has not stopped yet; Ctrl-C again to leave");
    tokio::select! {
        _ = &mut task => None,
        () = again => leave(),
    }
}
