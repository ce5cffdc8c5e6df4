//! A part loaded on first use, once: the one mechanism every lazily loaded
//! part of a [`crate::Reader`] goes through.

use std::sync::{Mutex, OnceLock};

/// A value loaded on first use. Concurrent first users wait for one load
/// instead of each building a copy; a failed load stores nothing, so the
/// next user tries again.
#[derive(Debug)]
pub(crate) struct Lazy<T> {
    value: OnceLock<T>,
    loading: Mutex<()>,
}

impl<T> Default for Lazy<T> {
    fn default() -> Self {
        Lazy {
            value: OnceLock::new(),
            loading: Mutex::new(()),
        }
    }
}

impl<T> Lazy<T> {
    /// Already loaded with `value`.
    pub(crate) fn with(value: T) -> Lazy<T> {
        let lazy = Lazy::default();
        let _ = lazy.value.set(value);
        lazy
    }

    /// Loaded with `value` when it is `Some`, else empty.
    pub(crate) fn from_option(value: Option<T>) -> Lazy<T> {
        value.map_or_else(Lazy::default, Lazy::with)
    }

    /// The value, if loaded, taken out.
    pub(crate) fn into_inner(self) -> Option<T> {
        self.value.into_inner()
    }

    /// The value, if loaded.
    pub(crate) fn get(&self) -> Option<&T> {
        self.value.get()
    }

    /// The value, loading it with `load` first if needed.
    pub(crate) fn get_or_try_load<E>(&self, load: impl FnOnce() -> Result<T, E>) -> Result<&T, E> {
        if let Some(v) = self.value.get() {
            return Ok(v);
        }
        // A poisoned lock still serialises: a panicking load stored nothing.
        let _loading = self.loading.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(v) = self.value.get() {
            return Ok(v);
        }
        let v = load()?;
        Ok(self.value.get_or_init(|| v))
    }

    /// The value, loading it with `load` first if needed.
    pub(crate) fn get_or_load(&self, load: impl FnOnce() -> T) -> &T {
        match self.get_or_try_load(|| Ok::<T, std::convert::Infallible>(load())) {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn concurrent_first_uses_load_once() {
        let lazy: Lazy<u64> = Lazy::default();
        let loads = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    let v = lazy.get_or_load(|| {
                        loads.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        42
                    });
                    assert_eq!(*v, 42);
                });
            }
        });
        assert_eq!(loads.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_failed_load_is_tried_again() {
        let lazy: Lazy<String> = Lazy::default();
        assert_eq!(lazy.get_or_try_load(|| Err("no")), Err("no"));
        assert!(lazy.get().is_none());
        assert_eq!(
            lazy.get_or_try_load(|| Ok::<_, ()>("yes".to_owned()))
                .unwrap(),
            "yes"
        );
        assert_eq!(lazy.get().map(String::as_str), Some("yes"));
        assert_eq!(Lazy::from_option(Some(1)).get(), Some(&1));
        assert_eq!(Lazy::<i32>::from_option(None).get(), None);
    }
}
