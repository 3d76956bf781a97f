use super::*;
use crate::labs::lm::finetune::Method;
use crate::viz::lab::Lab;

/// A series' results without the timings, which differ from run to run.
fn results(runs: &Runs) -> Vec<(usize, Vec<Point>, bool, Option<f32>)> {
    runs.logs
        .iter()
        .map(|l| {
            let points = l
                .points
                .iter()
                .map(|p| Point {
                    ms_per_step: 0.0,
                    ..*p
                })
                .collect();
            (l.trainable, points, l.done, l.merge_diff)
        })
        .collect()
}

fn series(lab: &Lab, configs: Vec<FtConfig>) -> Runs {
    let mut runs = Runs::new("forgetting", lab);
    runs.start(configs, DataSet::Small(4), None);
    runs.wait();
    runs
}

#[test]
fn a_run_shared_between_two_panels_reports_what_it_reports_alone() {
    let cfg = |method: Method, lr: f64| {
        let mut c = FtConfig::new(method, 3, lr);
        c.eval_every = 2;
        c.eval_chars = 256;
        c
    };
    let full = cfg(Method::Full, 1e-3);
    let lora = cfg(Method::lora(2, &crate::labs::lm::lora::QV), 3e-3);
    let alone = series(&Lab::new(), vec![full.clone(), lora.clone()]);
    assert!(alone.run.finished(), "{:?}", alone.run.phase());
    // Two panels of one check: the second finds the LoRA run done by the first, at
    // another place in its series, and does only its own full run at another rate.
    let shared = Shared::new();
    let first = series(&Lab::sharing(&shared), vec![full.clone(), lora.clone()]);
    let other = cfg(Method::Full, 1e-4);
    let second = series(&Lab::sharing(&shared), vec![lora.clone(), other.clone()]);
    assert_eq!(results(&first), results(&alone));
    let lone_other = series(&Lab::new(), vec![other]);
    assert_eq!(results(&second)[0], results(&alone)[1]);
    assert_eq!(results(&second)[1], results(&lone_other)[0]);
    assert!(second.run.finished(), "{:?}", second.run.phase());
    // Two panels started together with two runs in common: each takes first a run the
    // other has not begun, so neither waits while the other trains; both report, in their
    // own order, what they report alone.
    let shared = Shared::new();
    let both = [
        vec![full.clone(), lora.clone(), lone_cfg(1e-4)],
        vec![full.clone(), lora.clone(), lone_cfg(3e-4)],
    ];
    let together: Vec<Runs> = std::thread::scope(|s| {
        let handles: Vec<_> = both
            .iter()
            .map(|configs| s.spawn(|| series(&Lab::sharing(&shared), configs.clone())))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (runs, configs) in together.iter().zip(&both) {
        assert!(runs.run.finished(), "{:?}", runs.run.phase());
        assert_eq!(
            results(runs),
            results(&series(&Lab::new(), configs.clone()))
        );
    }
}

fn lone_cfg(lr: f64) -> FtConfig {
    let mut c = FtConfig::new(Method::Full, 3, lr);
    c.eval_every = 2;
    c.eval_chars = 256;
    c
}
