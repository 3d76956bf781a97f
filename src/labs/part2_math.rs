//! Part II — The math you need (lessons 05–07).

pub mod attention;
pub mod flops;
pub mod rnn;
pub mod softmax;
