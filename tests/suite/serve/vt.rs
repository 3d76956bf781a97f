//! Just enough of a terminal to read what the server drew: cursor moves (`CSI row;col H`),
//! clearing (`CSI 2J`), leaving the alternate screen, CR/LF, and printed characters (wide
//! ones take two cells). Colours, modes and everything else are skipped.
//!
//! Also read by the session driver's unit tests (src/driver/serve/driver/tests.rs), which use less
//! of it.
#![allow(dead_code)]

use unicode_width::UnicodeWidthChar;

pub struct Vt {
    cols: usize,
    rows: usize,
    cells: Vec<Vec<char>>,
    row: usize,
    col: usize,
    /// An escape sequence cut by a packet boundary, kept for the next bytes.
    pending: Vec<u8>,
}

impl Vt {
    pub fn new(cols: u16, rows: u16) -> Self {
        let (cols, rows) = (usize::from(cols), usize::from(rows));
        Self {
            cols,
            rows,
            cells: vec![vec![' '; cols]; rows],
            row: 0,
            col: 0,
            pending: Vec::new(),
        }
    }

    /// A new size, as a real terminal gets when its window changes (the content is kept
    /// where it fits; the server redraws anyway).
    pub fn resize(&mut self, cols: u16, rows: u16) {
        let mut next = Vt::new(cols, rows);
        for (r, line) in self.cells.iter().enumerate().take(next.rows) {
            for (c, ch) in line.iter().enumerate().take(next.cols) {
                next.cells[r][c] = *ch;
            }
        }
        *self = next;
    }

    pub fn text(&self) -> String {
        let mut out = String::new();
        for line in &self.cells {
            out.extend(line.iter().filter(|c| **c != '\0'));
            out.push('\n');
        }
        out
    }

    pub fn row_text(&self, row: usize) -> String {
        self.cells[row].iter().filter(|c| **c != '\0').collect()
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        let mut buf = std::mem::take(&mut self.pending);
        buf.extend_from_slice(bytes);
        // A character cut by a packet boundary waits for its other bytes.
        if let Err(e) = std::str::from_utf8(&buf) {
            if e.error_len().is_none() {
                self.pending = buf.split_off(e.valid_up_to());
            }
        }
        let carried = std::mem::take(&mut self.pending);
        let text = String::from_utf8_lossy(&buf).into_owned();
        self.pending = carried.clone();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\x1b' => {
                    let mut seq = String::from(c);
                    match chars.next() {
                        Some('[') => {
                            seq.push('[');
                            let mut done = false;
                            for n in chars.by_ref() {
                                seq.push(n);
                                if ('\x40'..='\x7e').contains(&n) {
                                    done = true;
                                    break;
                                }
                            }
                            if !done {
                                self.pending = [seq.into_bytes(), carried].concat();
                                return;
                            }
                            self.csi(&seq[2..]);
                        }
                        Some(_) => {}
                        None => {
                            self.pending = [seq.into_bytes(), carried].concat();
                            return;
                        }
                    }
                }
                '\r' => self.col = 0,
                '\n' => self.row = (self.row + 1).min(self.rows - 1),
                c if c.is_control() => {}
                c => self.print(c),
            }
        }
    }

    fn csi(&mut self, body: &str) {
        let (params, last) = body.split_at(body.len() - 1);
        let nums: Vec<usize> = params.split(';').map(|p| p.parse().unwrap_or(1)).collect();
        match last {
            "H" if !params.starts_with('?') => {
                self.row = nums.first().copied().unwrap_or(1).max(1) - 1;
                self.col = nums.get(1).copied().unwrap_or(1).max(1) - 1;
                self.row = self.row.min(self.rows - 1);
                self.col = self.col.min(self.cols - 1);
            }
            "J" if params == "2" => self.cells = vec![vec![' '; self.cols]; self.rows],
            // Leaving the alternate screen: here, a blank main screen with the cursor home.
            "l" if params == "?1049" => {
                self.cells = vec![vec![' '; self.cols]; self.rows];
                (self.row, self.col) = (0, 0);
            }
            _ => {}
        }
    }

    fn print(&mut self, c: char) {
        let width = c.width().unwrap_or(0);
        if width == 0 || self.col + width > self.cols {
            return;
        }
        self.cells[self.row][self.col] = c;
        if width == 2 {
            self.cells[self.row][self.col + 1] = '\0';
        }
        self.col += width;
    }
}
