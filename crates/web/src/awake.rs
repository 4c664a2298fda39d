//! Keeping the processor cores awake for a moment after a request.
//!
//! On a virtual machine an idle core halts, and waking it costs the host a
//! round trip: tens to hundreds of microseconds for every thread that sleeps
//! between two steps of one request (the worker waiting for the next request,
//! the SQLite writer waiting for a job, the worker waiting for the writer's
//! answer). The order-to-cash cycle of one client makes four requests and
//! three commits; measured on the project machine, a third of its time was
//! these wake-ups (3.65 ms a cycle; 2.62 ms with the cores kept busy by
//! other programs).
//!
//! So for a short window after the last request began or ended (2 ms by
//! default, `--busy-poll-us`), one thread per core spins in the idle
//! scheduling class (`SCHED_IDLE`, else nice 19): any thread woken then finds
//! its core running and takes it at once, and the spinner gets only what
//! nobody else wants.
//! Outside the window the spinners sleep; a quiet server uses no processor.
//! With as many requests in flight as cores they sleep too, and for a window
//! after that was last seen: the cores have work, and spinners there cost
//! throughput (16 clients: 760 → 680 cycles/s when they spun regardless).
//! Without that window they spun whenever the count dipped between two
//! requests of many clients: a tenth of the processor in the search list's
//! steady state and a third at its start. Zero turns it off.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

pub struct Awake {
    epoch: Instant,
    /// Microseconds since `epoch` at the last request's start or end.
    last: AtomicU64,
    window_us: u64,
    /// Requests begun and not ended.
    in_flight: AtomicUsize,
    /// Microseconds since `epoch` when `in_flight` last reached `cores`.
    busy_at: AtomicU64,
    cores: usize,
    /// Some spinner waits on `wake` (`touch` must then notify).
    sleeping: AtomicBool,
    /// The server has stopped: the spinners end.
    stopped: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
}

impl Awake {
    /// Starts one spinner per core; `None` when `window` is zero.
    pub fn start(window: Duration) -> Option<Arc<Awake>> {
        if window.is_zero() {
            return None;
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let a = Arc::new(Awake {
            epoch: Instant::now(),
            last: AtomicU64::new(0),
            window_us: window.as_micros() as u64,
            in_flight: AtomicUsize::new(0),
            busy_at: AtomicU64::new(0),
            cores,
            sleeping: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
            lock: Mutex::new(()),
            wake: Condvar::new(),
        });
        for i in 0..cores {
            let me = a.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("kupets-awake-{i}"))
                .spawn(move || spin(me));
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "busy-poll thread");
            }
        }
        Some(a)
    }

    fn now_us(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }

    /// A request began.
    pub fn begin(&self) {
        if self.in_flight.fetch_add(1, Ordering::AcqRel) + 1 >= self.cores {
            self.busy_at.store(self.now_us(), Ordering::Relaxed);
        }
        self.touch();
    }

    /// A request ended.
    pub fn end(&self) {
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.touch();
    }

    fn touch(&self) {
        self.last.store(self.now_us(), Ordering::Relaxed);
        if self.in_flight.load(Ordering::Acquire) < self.cores
            && self.sleeping.swap(false, Ordering::AcqRel)
        {
            let _held = self.lock.lock();
            self.wake.notify_all();
        }
    }

    /// Ends the spinners (the server has stopped).
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
        let _held = self.lock.lock();
        self.wake.notify_all();
    }

    /// Whether the spinners should spin now: a request began or ended
    /// within the window, a core is free, and none has been short of one
    /// for the window.
    pub fn recent(&self) -> bool {
        let now = self.now_us();
        self.in_flight.load(Ordering::Acquire) < self.cores
            && now.saturating_sub(self.last.load(Ordering::Relaxed)) < self.window_us
            && now.saturating_sub(self.busy_at.load(Ordering::Relaxed)) >= self.window_us
    }
}

/// Puts the calling thread in the class that runs only when a core has
/// nothing else to run. `SCHED_IDLE`: a woken ordinary thread takes the core
/// from it at once. Nice 19 is not enough on newer kernels (EEVDF, 6.6 on):
/// there a woken thread may wait for the spinner's time slice to end —
/// measured on a 6.18 kernel, every step of a request waited for it, and the
/// order-to-cash cycle of one client took twice as long as with no spinners
/// at all. Where the class is refused, nice 19 (the lowest priority) stands.
fn lowest_class() -> Result<(), String> {
    use thread_priority::{
        set_thread_priority_and_policy, thread_native_id, NormalThreadSchedulePolicy,
        ThreadPriority, ThreadSchedulePolicy,
    };
    let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
    match set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, idle) {
        Ok(()) => Ok(()),
        Err(idle_refused) => {
            rustix::process::setpriority_process(Some(rustix::thread::gettid()), 19)
                .map_err(|e| format!("SCHED_IDLE: {idle_refused:?}; nice 19: {e}"))
        }
    }
}

fn spin(a: Arc<Awake>) {
    // This thread only fills time no one else wants; where its priority
    // cannot be lowered at all, it does not spin.
    if let Err(e) = lowest_class() {
        tracing::warn!(error = %e, "busy-poll thread priority");
        return;
    }
    while !a.stopped.load(Ordering::Acquire) {
        if a.recent() {
            for _ in 0..256 {
                std::hint::spin_loop();
            }
            continue;
        }
        let Ok(mut held) = a.lock.lock() else { return };
        a.sleeping.store(true, Ordering::Release);
        // Checked again under the lock: a `touch` in between notifies only
        // once it can take the lock, i.e. once this thread waits.
        while !a.recent() && !a.stopped.load(Ordering::Acquire) {
            held = match a.wake.wait(held) {
                Ok(h) => h,
                Err(_) => return,
            };
            a.sleeping.store(true, Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spins_only_in_the_window_and_below_the_cores() {
        assert!(Awake::start(Duration::ZERO).is_none(), "zero turns it off");
        let a = Awake::start(Duration::from_millis(40)).expect("started");
        // One request on a machine of more cores: spin while it runs and
        // for the window after it ends.
        let spare = a.cores > 1;
        std::thread::sleep(Duration::from_millis(60));
        a.begin();
        assert_eq!(a.recent(), spare, "a request in flight on a free core");
        a.end();
        assert_eq!(a.recent(), spare, "just ended: still in the window");
        std::thread::sleep(Duration::from_millis(60));
        assert!(!a.recent(), "window over: the spinners sleep");
        // As many requests as cores: the cores have work, no spinning —
        // nor for the window after, while the count dips between requests.
        for _ in 0..a.cores {
            a.begin();
        }
        assert!(!a.recent());
        a.end();
        assert!(!a.recent(), "the cores were all busy a moment ago");
        for _ in 1..a.cores {
            a.end();
        }
        std::thread::sleep(Duration::from_millis(60));
        a.begin();
        assert_eq!(a.recent(), spare, "busy long ago: one request spins again");
        a.end();
        a.stop();
    }

    /// The spinners are in the idle class, which any thread may enter: with
    /// nice 19 alone a woken thread may wait for a spinner's time slice.
    #[cfg(target_os = "linux")]
    #[test]
    fn spinners_run_in_the_idle_class() {
        const SCHED_IDLE: &str = "5";
        let a = Awake::start(Duration::from_millis(5)).expect("started");
        let mut policies = Vec::new();
        for _ in 0..200 {
            policies.clear();
            for task in std::fs::read_dir("/proc/self/task")
                .expect("tasks")
                .flatten()
            {
                let dir = task.path();
                let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
                if !comm.starts_with("kupets-awake") {
                    continue;
                }
                let stat = std::fs::read_to_string(dir.join("stat")).unwrap_or_default();
                // Fields after the name in brackets start at the third;
                // the scheduling policy is the 41st.
                let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
                policies.push(
                    after
                        .split_whitespace()
                        .nth(41 - 3)
                        .unwrap_or("")
                        .to_string(),
                );
            }
            if policies.len() == a.cores && policies.iter().all(|p| p == SCHED_IDLE) {
                break;
            }
            // A spinner sets its class as it starts.
            std::thread::sleep(Duration::from_millis(5));
        }
        a.stop();
        assert_eq!(policies.len(), a.cores, "one spinner per core");
        assert!(
            policies.iter().all(|p| p == SCHED_IDLE),
            "policies {policies:?}"
        );
    }
}
