//! The work of a series of fine-tuning runs, on a background thread: each run of
//! [`finetune::run`] reports its points, its before/after samples and how far merging the
//! adapters moves the loss; in `llmf check`, panels that share runs take turns at them.

use super::*;

/// Sampling settings of the before/after samples: mild temperature, fixed seed.
const SAMPLE_CHARS: usize = 90;

fn sample(model: &Model, prompt: &str) -> Result<String, String> {
    let filters = Filters {
        temperature: 0.5,
        ..Filters::default()
    };
    lm::generate(model, prompt, SAMPLE_CHARS, &filters, &mut Rng::new(7))
        .map(|g| g.text())
        .map_err(|e| e.to_string())
}

fn merge_gap(ft: &finetune::Finetuner, data: &FtData) -> candle_core::Result<Option<f32>> {
    let Some(lora) = &ft.lora else {
        return Ok(None);
    };
    let t = ft.model.config.context.min(data.held_out.len());
    let ids = candle_core::Tensor::from_slice(
        &data.held_out.ids[..t],
        (1, t),
        &candle_core::Device::Cpu,
    )?;
    let merged = lora.merged(&ft.model)?.forward(&ids)?;
    let adapted = ft.model.forward_lora(&ids, lora)?;
    let gap = (merged - adapted)?.abs()?.flatten_all()?.max(0)?;
    Ok(Some(gap.to_scalar()?))
}

/// Runs `configs` one after the other from the shipped model, posting their points; with
/// `prompt`, a sample before and after each run. Stops within one training step (or one stage
/// of setting up) once `tx` is closed, and waits there while it is paused.
/// The first `skip` configs are not run (their results are kept from an earlier series).
/// With `shared` (`llmf check`'s panels), a run that another panel has already done with the
/// same settings and data is not done again: its reports are posted as they came.
pub(super) fn work(
    configs: Vec<FtConfig>,
    skip: usize,
    which: DataSet,
    prompt: Option<String>,
    shared: Option<Shared>,
    tx: &dyn Sink<FtEvent>,
) {
    let fail = |e: String| {
        let _ = tx.send(FtEvent::Failed(e));
    };
    let data = match course_data(which) {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    if tx.closed() {
        return;
    }
    let base = match lm::base_model() {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    if let Some(p) = &prompt {
        match sample(base, p) {
            Ok(text) => {
                if tx.send(FtEvent::Sample { run: None, text }).is_err() {
                    return;
                }
            }
            Err(e) => return fail(e),
        }
    }
    let prompt = prompt.as_deref();
    if let Some(shared) = &shared {
        return shared_work(configs, skip, which, prompt, &data, base, shared, tx);
    }
    for (run, cfg) in configs.into_iter().enumerate().skip(skip) {
        if tx.closed() || !one_run(base, cfg, &data, prompt, run, tx) {
            return;
        }
    }
}

/// [`work`] for `llmf check`'s panels, which share runs: a run another panel has done with the
/// same settings and data is not done again, its reports posted as they came. The runs nobody
/// has begun go first, one claimed at a time, and those another panel is doing are waited for
/// last: two panels sharing runs (lesson 22's) then train side by side, neither waiting while
/// the other trains. The reports are posted in the series' order.
#[allow(clippy::too_many_arguments)]
fn shared_work(
    configs: Vec<FtConfig>,
    skip: usize,
    which: DataSet,
    prompt: Option<&str>,
    data: &FtData,
    base: &Model,
    shared: &Shared,
    tx: &dyn Sink<FtEvent>,
) {
    let key = |cfg: &FtConfig| format!("fine-tuning run: {which:?}, prompt {prompt:?}, {cfg:?}");
    let mut left: Vec<(usize, FtConfig)> = configs.into_iter().enumerate().skip(skip).collect();
    let mut done: std::collections::BTreeMap<usize, Arc<Vec<FtEvent>>> = Default::default();
    let mut posted = skip;
    while !left.is_empty() {
        if tx.closed() {
            return;
        }
        let next = left
            .iter()
            .position(|(_, cfg)| shared.claim(&key(cfg)))
            .unwrap_or(0);
        let (run, cfg) = left.remove(next);
        // Computed as run 0 to the end (nobody closes the collecting channel), then posted as
        // this series' run `run`.
        let reports = shared.get_or_compute(key(&cfg), || {
            let (sender, reports) = std::sync::mpsc::channel();
            one_run(base, cfg, data, prompt, 0, &sender);
            reports.try_iter().collect::<Vec<FtEvent>>()
        });
        let Some(reports) = reports else {
            let _ = tx.send(FtEvent::Failed(
                "a shared run was stored as something else".into(),
            ));
            return;
        };
        done.insert(run, reports);
        while let Some(reports) = done.remove(&posted) {
            for e in reports.iter() {
                if tx.send(e.as_run(posted)).is_err() || matches!(e, FtEvent::Failed(_)) {
                    return;
                }
            }
            posted += 1;
        }
    }
}

/// One run of a series (its index `run`), reported to `tx`: whether it ended and the series
/// may go on (not when `tx` closed or the run failed, which it reports).
fn one_run(
    base: &Model,
    cfg: FtConfig,
    data: &FtData,
    prompt: Option<&str>,
    run: usize,
    tx: &dyn Sink<FtEvent>,
) -> bool {
    let fail = |e: String| {
        let _ = tx.send(FtEvent::Failed(e));
        false
    };
    let trainable = match finetune::Finetuner::new(base, cfg.clone()) {
        Ok(f) => f.trainable(),
        Err(e) => return fail(e.to_string()),
    };
    if tx.send(FtEvent::Started { run, trainable }).is_err() {
        return false;
    }
    let result = finetune::run_while(
        base,
        cfg,
        data,
        |point| tx.send(FtEvent::Point { run, point }).is_ok(),
        || !tx.closed(),
    );
    let ft = match result {
        Ok(ft) => ft,
        Err(e) => return fail(e.to_string()),
    };
    if tx.closed() {
        return false;
    }
    let merge_diff = match merge_gap(&ft, data) {
        Ok(d) => d,
        Err(e) => return fail(e.to_string()),
    };
    if let Some(p) = prompt {
        let text = ft
            .current()
            .map_err(|e| e.to_string())
            .and_then(|m| sample(&m, p));
        match text {
            Ok(text) => {
                let _ = tx.send(FtEvent::Sample {
                    run: Some(run),
                    text,
                });
            }
            Err(e) => return fail(e),
        }
    }
    tx.send(FtEvent::Done { run, merge_diff }).is_ok()
}
