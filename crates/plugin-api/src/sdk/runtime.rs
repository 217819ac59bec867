//! The plugin-owned async runtime (feature `runtime`).
//!
//! Each plugin `.so` has its own copy of tokio; the host's runtime is invisible
//! to it. A plugin that needs async I/O calls [`block_on`] inside its
//! (synchronous) FFI methods: the future runs on this small multi-thread
//! runtime, created on first use and kept for the life of the process. The
//! host calls plugins from plain worker threads, never from inside its own
//! async tasks, so blocking here is sound.
use std::future::Future;
use std::sync::OnceLock;
use tokio::runtime::{Builder, Runtime};

/// The plugin's runtime (two worker threads, I/O and timers enabled).
pub fn runtime() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("bbb-migrate-plugin")
            .enable_all()
            .build()
            .expect("cannot start the plugin's tokio runtime")
    })
}

/// Runs `fut` to completion on the plugin's runtime. It is spawned there (not
/// polled on the caller's thread), so it may use tokio I/O and timers freely.
pub fn block_on<F>(fut: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let rt = runtime();
    match rt.block_on(rt.spawn(fut)) {
        Ok(v) => v,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("plugin task cancelled: {e}"),
    }
}
