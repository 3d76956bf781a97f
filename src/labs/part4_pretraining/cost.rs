//! What a training run costs and how fast that grows (lesson 19): FLOPs from C ≈ 6·N·D,
//! GPU-hours at a chosen peak speed and utilisation, money at a chosen price, energy at a
//! chosen power and PUE, the years until a run's cost reaches a budget at a chosen growth rate,
//! and when growing datasets meet the stock of public human text.

/// A run described by the learner's choices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Run {
    pub params: f64,
    pub tokens: f64,
    /// Peak FLOP/s of one GPU at the training precision (e.g. 312e12 for an A100 in bf16).
    pub peak_flops: f64,
    /// Model FLOPs utilisation: the share of peak the run actually sustains.
    pub mfu: f64,
    pub price_per_gpu_hour: f64,
    /// Power drawn per GPU in kilowatts.
    pub gpu_kw: f64,
    /// Power usage effectiveness: the data centre's total power over the IT power (≥ 1).
    pub pue: f64,
}

/// The costs of one run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunCost {
    pub flops: f64,
    pub gpu_hours: f64,
    pub dollars: f64,
    pub kwh: f64,
}

impl Run {
    pub fn cost(&self) -> RunCost {
        let flops = 6.0 * self.params * self.tokens;
        let gpu_hours = flops / (self.peak_flops * self.mfu) / 3600.0;
        RunCost {
            flops,
            gpu_hours,
            dollars: gpu_hours * self.price_per_gpu_hour,
            kwh: gpu_hours * self.gpu_kw * self.pue,
        }
    }
}

/// Wall-clock days for `gpu_hours` spread over `gpus` GPUs.
pub fn days_on(gpu_hours: f64, gpus: f64) -> f64 {
    gpu_hours / gpus.max(1.0) / 24.0
}

/// Years until something worth `now` today, growing `growth`× a year, reaches `target`:
/// now·g^t = target ⇒ t = ln(target/now)/ln g. Zero if already there; `None` without growth.
pub fn years_until(now: f64, target: f64, growth: f64) -> Option<f64> {
    if now >= target {
        return Some(0.0);
    }
    (growth > 1.0 && now > 0.0).then(|| (target / now).ln() / growth.ln())
}

/// `value`·growth^(year − from): a quantity growing at a constant rate.
pub fn grown(value: f64, growth: f64, from: f64, year: f64) -> f64 {
    value * growth.powf(year - from)
}

/// Epoch AI's effective stock of public human text (facts.md §2): ~300T tokens, 90% CI
/// ~100T to ~1,000T.
pub const STOCK_TOKENS: f64 = 300e12;
pub const STOCK_LOW: f64 = 100e12;
pub const STOCK_HIGH: f64 = 1000e12;

/// The year a dataset of `size` tokens in `year0`, growing `growth`× a year, reaches `stock`.
pub fn crossing_year(size: f64, year0: f64, growth: f64, stock: f64) -> Option<f64> {
    years_until(size, stock, growth).map(|t| year0 + t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gpt3() -> Run {
        Run {
            params: 175e9,
            tokens: 300e9,
            peak_flops: 312e12,
            mfu: 0.4,
            price_per_gpu_hour: 2.0,
            gpu_kw: 0.7,
            pue: 1.2,
        }
    }

    /// python3: 6·175e9·300e9 = 3.15e23 FLOPs; / (312e12 · 0.4) / 3600 = 701,121.8 GPU-hours;
    /// × $2 = $1,402,243.6; × 0.7 kW × PUE 1.2 = 588,942.3 kWh; on 1,024 GPUs 28.53 days.
    #[test]
    fn gpt3_by_hand() {
        let c = gpt3().cost();
        assert_eq!(c.flops, 3.15e23);
        assert!((c.gpu_hours - 701_121.79).abs() < 0.01);
        assert!((c.dollars - 1_402_243.59).abs() < 0.01);
        assert!((c.kwh - 588_942.31).abs() < 0.01);
        assert!((days_on(c.gpu_hours, 1024.0) - 28.5287).abs() < 1e-4);
    }

    /// python3: ln(10)/ln(2.4) = 2.63012 years for a 10× budget at 2.4×/yr;
    /// 15T tokens in 2024 growing 2.5×/yr meets 300T at 2024 + ln(20)/ln(2.5) = 2027.269,
    /// 100T at 2026.070 and 1,000T at 2028.583.
    #[test]
    fn growth_by_hand() {
        assert!((years_until(1e8, 1e9, 2.4).unwrap() - 2.63012).abs() < 1e-5);
        assert_eq!(years_until(2e9, 1e9, 2.4), Some(0.0));
        assert_eq!(years_until(1e8, 1e9, 1.0), None);
        let year = |stock| crossing_year(15e12, 2024.0, 2.5, stock).unwrap();
        assert!((year(STOCK_TOKENS) - 2027.2694).abs() < 1e-4);
        assert!((year(STOCK_LOW) - 2026.0704).abs() < 1e-4);
        assert!((year(STOCK_HIGH) - 2028.5834).abs() < 1e-4);
        assert!((grown(15e12, 2.5, 2024.0, 2026.0) - 93.75e12).abs() < 1.0);
    }
}
