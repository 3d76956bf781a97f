//! Resident memory each large table the panels load adds when first built (Linux): what
//! `llmf check` and a classroom server hold while a panel uses it.
//! `cargo run --release --example cache_sizes`

use std::hint::black_box;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn rss_mb() -> f64 {
    llmf::check::resident().0 as f64 / 1e6
}

fn main() {
    llmf::labs::lm::threads::set_at_start();
    use llmf::labs::part1_text::{fertility, glitch, shared, tokenize::Pretrained};
    let mut last = rss_mb();
    let mut step = |what: &str| {
        let now = rss_mb();
        println!("{:>7.1} MB {:>7.1} MB  {what}", now - last, now);
        last = now;
    };
    step("start");
    black_box(shared::course_text().len());
    step("course text");
    // Held, as a panel that shows them holds them.
    let mut held = Vec::new();
    for p in Pretrained::ALL {
        held.push(p.load());
        step(p.name());
    }
    black_box(glitch::r50k_usage().len());
    step("r50k usage");
    black_box(fertility::fertility_table().len());
    step("fertility table");
    drop(held);
    step("the three encodings let go");
    black_box(shared::word_vectors().vectors.len());
    step("word vectors (with what building them left in the allocator)");
    black_box(shared::bm25().idf("the"));
    step("bm25");
    black_box(shared::train_trio(1000).map(|t| t.len()).ok());
    step("tokenizers trained at 1,000");
    black_box(llmf::labs::lm::Data::corpus().train.len());
    step("lm corpus");
    black_box(llmf::labs::lm::base_model().map(|m| m.param_count()).ok());
    step("shipped model");
    black_box(llmf::labs::lm::text_reward::dictionary().len());
    step("dictionary");
}
