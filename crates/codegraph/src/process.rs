//! Process utilities for long-lived programs that embed the library: the
//! priority of indexing threads and the resident memory figure the watcher
//! reports.

/// Sets the calling thread to the lowest CPU priority (Linux: nice 19;
/// threads it starts later inherit it). Elsewhere, nothing.
pub fn lower_thread_priority() {
    #[cfg(target_os = "linux")]
    {
        let tid = rustix::thread::gettid();
        match rustix::process::setpriority_process(Some(tid), 19) {
            Ok(()) => tracing::debug!("indexing thread at nice 19"),
            Err(e) => tracing::warn!(error = %e, "cannot lower the indexing thread's priority"),
        }
    }
}

/// The resident set size of this process, from `/proc/self/status`.
pub fn resident_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    #[cfg(target_os = "linux")]
    #[test]
    fn background_priority_applies_to_the_thread_and_what_it_starts() {
        let this_thread = || rustix::process::getpriority_process(Some(rustix::thread::gettid()));
        let before = this_thread().expect("this thread");
        let (own, child) = std::thread::spawn(|| {
            super::lower_thread_priority();
            let own = rustix::process::getpriority_process(Some(rustix::thread::gettid()));
            let child = std::thread::spawn(|| {
                rustix::process::getpriority_process(Some(rustix::thread::gettid()))
            })
            .join()
            .expect("child thread");
            (own.expect("own"), child.expect("child"))
        })
        .join()
        .expect("thread");
        assert_eq!(own, 19);
        assert_eq!(child, 19);
        // The rest of the process keeps its priority.
        assert_eq!(this_thread().expect("this thread"), before);
    }

    #[test]
    fn resident_memory_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(super::resident_memory().is_some_and(|b| b > 0));
        }
    }
}
