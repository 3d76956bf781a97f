//! Part II — The math you need (lessons 05–07).

pub mod attention;
pub mod flops;
pub mod matmul;
pub mod rnn_gradient;
pub mod rnn_vs_attention;
pub mod shapes;
pub mod softmax;
