use super::*;
use crate::jobs::Sink;
use std::sync::mpsc;

/// Work that sends 0, 1, 2… until told to stop, each only after the test says go.
fn stepper(run: &mut Run<u32>) -> mpsc::Sender<()> {
    let (go, wait) = mpsc::channel::<()>();
    run.start(move |tx| {
        for i in 0.. {
            if wait.recv().is_err() || tx.send(i).is_err() {
                return;
            }
        }
    });
    go
}

/// Polls until `n` events came or the run ended.
fn collect(run: &mut Run<u32>, n: usize) -> Vec<u32> {
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while out.len() < n && Instant::now() < deadline {
        out.extend(run.poll(&Waker::none()).0);
        std::thread::yield_now();
    }
    out
}

#[test]
fn a_paused_run_waits_at_its_next_report_and_goes_on_from_there() {
    let lab = Lab::new();
    let mut run = Run::<u32>::new("test", &lab);
    assert!(run.idle() && run.status("3 steps", "").starts_with("Not started"));
    let go = stepper(&mut run);
    go.send(()).unwrap();
    assert_eq!(collect(&mut run, 1), vec![0]);
    run.leave();
    assert_eq!(run.phase(), &Phase::Paused { on_leave: true });
    assert!(!run.running());
    assert_eq!(
        run.status("", "step 1"),
        "paused when you left this step, at step 1: press → on \"run\" to resume"
    );
    // The work is let through its own wait, then waits at the gate: nothing arrives.
    go.send(()).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    assert!(
        run.poll(&Waker::none()).0.is_empty(),
        "paused work sends nothing"
    );
    assert!(!run.toggle(), "the key resumes, it does not start anew");
    assert!(run.running());
    assert_eq!(collect(&mut run, 1), vec![1], "from where it was");
    // Pausing by key says so in its own words.
    assert!(!run.toggle());
    assert_eq!(
        run.status("", "step 2"),
        format!("paused at step 2: {RESUME}")
    );
}

#[test]
fn a_lab_lets_only_a_few_runs_wait_and_the_oldest_says_it_stopped() {
    let lab = Lab::new();
    let mut runs: Vec<Run<u32>> = (0..=MAX_PAUSED).map(|_| Run::new("test", &lab)).collect();
    let mut gos = Vec::new();
    for run in &mut runs {
        let go = stepper(run);
        run.leave();
        // Let the work through its own wait: it then waits at the run's gate.
        go.send(()).unwrap();
        gos.push(go);
    }
    // The oldest was stopped: its thread ends, and its poll says so.
    let oldest = &mut runs[0];
    let deadline = Instant::now() + Duration::from_secs(20);
    while oldest.phase() != &Phase::Stopped && Instant::now() < deadline {
        oldest.poll(&Waker::none());
        std::thread::yield_now();
    }
    assert_eq!(oldest.phase(), &Phase::Stopped);
    assert!(oldest.status("", "step 0").starts_with("stopped at step 0"));
    assert!(oldest.toggle(), "a stopped run starts anew");
    for run in &runs[1..] {
        assert!(matches!(run.phase(), Phase::Paused { .. }), "{run:?}");
    }
    assert_eq!(lab.paused(), MAX_PAUSED);
}

#[test]
fn work_started_by_a_key_wakes_the_driver_whose_waker_the_poll_gave_and_ends_once() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let wakes = Arc::new(AtomicUsize::new(0));
    let w = Arc::clone(&wakes);
    let waker = Waker::new(move || {
        w.fetch_add(1, Ordering::SeqCst);
    });
    let mut run = Run::<u8>::new("test", &Lab::new());
    assert_eq!(run.poll(&waker), (Vec::new(), false), "nothing started yet");
    run.start(|tx| {
        let _ = tx.send(7);
    });
    while wakes.load(Ordering::SeqCst) < 2 {
        std::thread::yield_now();
    }
    assert_eq!(run.poll(&waker), (vec![7], true));
    assert!(run.finished());
    assert_eq!(
        run.poll(&waker),
        (Vec::new(), false),
        "the end is news once"
    );
}

#[test]
fn dropping_a_paused_run_ends_its_work() {
    let (ended_tx, ended) = mpsc::channel();
    let mut run = Run::<u32>::new("test", &Lab::new());
    run.start(move |tx| {
        while tx.send(0).is_ok() {}
        ended_tx.send(()).unwrap();
    });
    run.leave();
    drop(run);
    // Work still queued for its CPU turn (other tests' runs hold the process's gate) is
    // dropped unstarted; either way `ended_tx` goes, so only a timeout is a failure.
    assert!(!matches!(
        ended.recv_timeout(Duration::from_secs(20)),
        Err(mpsc::RecvTimeoutError::Timeout)
    ));
}

#[test]
fn the_estimate_of_what_remains_follows_the_share_done() {
    assert_eq!(
        remaining(Duration::from_secs(10), 0.5),
        Some(Duration::from_secs(10))
    );
    assert_eq!(
        remaining(Duration::from_secs(10), 0.25),
        Some(Duration::from_secs(30))
    );
    assert_eq!(remaining(Duration::from_secs(10), 0.0), None);
    assert_eq!(remaining(Duration::from_secs(10), 1.0), None);
    assert_eq!(clock(Duration::from_secs(65)), "1 min 05 s");
    assert_eq!(clock(Duration::from_millis(7600)), "8 s");
    assert_eq!(label(&[("r=", "4".into())], &[("r=", "8".into())]), "r=4");
}

/// Waiting for a turn at the CPU (a busy classroom server, or other tests training) changes
/// the progress line but not the panel's height: the queued line is no longer than the
/// running line of the same plan.
#[test]
fn the_queued_line_is_no_longer_than_the_running_line() {
    let mut run = Run::<u32>::new("test", &Lab::new());
    let plan = "4 runs × 100 steps";
    let at = "LoRA r=8 (3 of 4), step 112/140";
    run.phase = Phase::Running;
    run.done = 0.5;
    run.since = Some(Instant::now());
    let running = run.status(plan, at);
    run.queue.set(12);
    let queued = run.status(plan, at);
    assert!(queued.starts_with("queued: 12 ahead"), "{queued}");
    assert!(
        queued.chars().count() <= running.chars().count(),
        "{queued:?} is longer than {running:?}"
    );
}
