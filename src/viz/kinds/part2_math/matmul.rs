//! The matmul stepper: C = A·B one output cell at a time, with the row of A and the column of
//! B behind the cell lit up and its dot product written out.

use crate::labs::fmt_num;
use crate::labs::part2_math::flops::matmul_flops;
use crate::labs::rng::Rng;
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::KindDef;
use crate::viz::view::{MatrixView, Part};
use crate::viz::{Controls, Knobs, Panel, Scale, Visual, SEED};
use ndarray::Array2;

/// Each dimension of A and B, a control and a parameter.
const DIM: Scale = Scale::linear(1.0, 6.0, 1.0, 0);

/// The `matmul` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "matmul",
    title: "Matrix multiplication, cell by cell",
    about: "steps through the cells of C = A·B; the row of A and column of B behind the cell light up and the dot product is written out",
    params: &[DIM.int("m", 3, "rows of A"), DIM.int("k", 4, "columns of A and rows of B"), DIM.int("n", 3, "columns of B"), SEED.int("seed", 1, "seed of the random entries")],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(MatMul::new(p)?))
}

pub struct MatMul {
    m: usize,
    k: usize,
    n: usize,
    seed: u64,
    /// The output cell shown, in row-major order.
    cell: usize,
}

impl MatMul {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let m = p.int("m")? as usize;
        let k = p.int("k")? as usize;
        let n = p.int("n")? as usize;
        let seed = p.int("seed")? as u64;
        p.finish()?;
        Ok(Self {
            m,
            k,
            n,
            seed,
            cell: 0,
        })
    }

    /// Small whole numbers, so a learner can check every product in their head.
    fn operands(&self) -> (Array2<f64>, Array2<f64>) {
        let mut rng = Rng::new(self.seed);
        let a = Array2::from_shape_fn((self.m, self.k), |_| rng.int(-3, 3) as f64);
        let b = Array2::from_shape_fn((self.k, self.n), |_| rng.int(-3, 3) as f64);
        (a, b)
    }
}

fn labels(prefix: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}{i}")).collect()
}

fn signed(x: f64) -> String {
    if x < 0.0 {
        format!("({x})")
    } else {
        format!("{x}")
    }
}

impl Controls for MatMul {
    fn declare(&self, k: &mut Knobs<Self>) {
        let cells = (0..self.m * self.n)
            .map(|c| format!("C[{},{}]", c / self.n + 1, c % self.n + 1))
            .collect();
        k.choice("output cell", cells, self.cell, |a, i| a.cell = i);
        // A smaller product keeps the cell inside it.
        k.count("m (rows of A)", self.m, DIM, |a, m| {
            a.m = m;
            a.cell = a.cell.min(a.m * a.n - 1);
        });
        k.count("k (inner)", self.k, DIM, |a, k| a.k = k);
        k.count("n (cols of B)", self.n, DIM, |a, n| {
            a.n = n;
            a.cell = a.cell.min(a.m * a.n - 1);
        });
        k.seed("seed", self.seed, |a, s| a.seed = s);
    }
}

impl Visual for MatMul {
    fn parts(&self) -> Vec<Part> {
        let (a, b) = self.operands();
        let full = a.dot(&b);
        let (i, j) = (self.cell / self.n, self.cell % self.n);
        // Cells after the current one are not computed yet.
        let c = Array2::from_shape_fn((self.m, self.n), |(r, s)| {
            if r * self.n + s <= self.cell {
                full[[r, s]]
            } else {
                f64::NAN
            }
        });
        let terms: Vec<String> = (0..self.k)
            .map(|p| format!("{}·{}", signed(a[[i, p]]), signed(b[[p, j]])))
            .collect();
        let a_view = MatrixView {
            title: format!("A ({}×{})", self.m, self.k),
            row_labels: labels("r", self.m),
            col_labels: labels("", self.k),
            values: a,
            decimals: 0,
            cell: None,
            row: Some(i),
            col: None,
        };
        let b_view = MatrixView {
            title: format!("B ({}×{})", self.k, self.n),
            row_labels: labels("", self.k),
            col_labels: labels("c", self.n),
            values: b,
            decimals: 0,
            cell: None,
            row: None,
            col: Some(j),
        };
        let c_view = MatrixView {
            title: format!("C = A·B ({}×{})", self.m, self.n),
            row_labels: labels("r", self.m),
            col_labels: labels("c", self.n),
            values: c,
            decimals: 0,
            cell: Some((i, j)),
            row: None,
            col: None,
        };
        let flops = matmul_flops(self.m as f64, self.k as f64, self.n as f64);
        vec![
            Part::Columns(vec![
                Part::Matrix(a_view),
                Part::Matrix(b_view),
                Part::Matrix(c_view),
            ]),
            Part::Text(vec![
                // r1·c2 names the highlighted row of A and column of B by their labels.
                format!(
                    "C[{},{}] = r{}·c{} = {} = {}",
                    i + 1,
                    j + 1,
                    i + 1,
                    j + 1,
                    terms.join(" + "),
                    full[[i, j]]
                ),
                format!(
                    "Whole product: {}·{} = {} dot products of {} terms = 2·m·k·n = {} FLOPs",
                    self.m,
                    self.n,
                    self.m * self.n,
                    self.k,
                    fmt_num(flops)
                ),
            ]),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    #[test]
    fn the_written_dot_product_equals_the_cell() {
        let mut lab = MatMul::new(Params::new(&Map::new(), &KIND)).unwrap();
        lab.adjust(0, 4); // C[2,2] of a 3×3 result
        let (a, b) = lab.operands();
        let want: f64 = (0..4).map(|p| a[[1, p]] * b[[p, 1]]).sum();
        let parts = lab.parts();
        let Part::Text(lines) = &parts[1] else {
            panic!()
        };
        assert!(lines[0].starts_with("C[2,2] = r2·c2 = "), "{}", lines[0]);
        assert!(lines[0].ends_with(&format!("= {want}")), "{}", lines[0]);
        assert!(lines[1].contains("= 72 FLOPs"));
        let Part::Columns(cols) = &parts[0] else {
            panic!()
        };
        let Part::Matrix(c) = &cols[2] else { panic!() };
        assert_eq!(c.cell, Some((1, 1)));
        assert!(
            c.values[[1, 2]].is_nan(),
            "later cells are not computed yet"
        );
        assert_eq!(c.values[[0, 0]], a.row(0).dot(&b.column(0)));
    }

    #[test]
    fn shrinking_keeps_the_cell_inside() {
        let mut lab = MatMul::new(Params::new(&Map::new(), &KIND)).unwrap();
        lab.adjust(0, 100);
        lab.adjust(1, -5);
        lab.adjust(3, -5);
        assert_eq!(lab.cell, 0);
        assert_eq!(lab.parts().len(), 2);
    }
}
