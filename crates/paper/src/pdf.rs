//! PDF rendering: the blocks are first laid out into pages of drawing
//! operations (text at a baseline, stroked cell borders, filled QR modules),
//! then written with krilla. Grids break across pages and repeat their
//! header rows.

use crate::{Align, Block, Form};
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};
use krilla::Document;
use std::collections::HashMap;
use std::sync::OnceLock;

static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSansCondensed.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSansCondensed-Bold.ttf");

/// Advance widths in ems, per character, read once from each font.
struct Widths(HashMap<char, f32>);

impl Widths {
    fn load(data: &[u8]) -> Widths {
        use skrifa::instance::{LocationRef, Size};
        use skrifa::MetadataProvider;
        let mut map = HashMap::new();
        if let Ok(f) = skrifa::FontRef::new(data) {
            let upem = f
                .metrics(Size::unscaled(), LocationRef::default())
                .units_per_em as f32;
            let gm = f.glyph_metrics(Size::unscaled(), LocationRef::default());
            for (cp, gid) in f.charmap().mappings() {
                if let (Some(c), Some(w)) = (char::from_u32(cp), gm.advance_width(gid)) {
                    map.insert(c, w / upem);
                }
            }
        }
        Widths(map)
    }
    fn width(&self, s: &str, size: f32) -> f32 {
        s.chars()
            .map(|c| self.0.get(&c).copied().unwrap_or(0.55))
            .sum::<f32>()
            * size
    }
}

fn widths(bold: bool) -> &'static Widths {
    static R: OnceLock<Widths> = OnceLock::new();
    static B: OnceLock<Widths> = OnceLock::new();
    if bold {
        B.get_or_init(|| Widths::load(BOLD))
    } else {
        R.get_or_init(|| Widths::load(REGULAR))
    }
}

fn text_width(s: &str, size: f32, bold: bool) -> f32 {
    widths(bold).width(s, size)
}

/// Greedy word wrap; a word longer than the line is cut by characters.
fn wrap(text: &str, size: f32, bold: bool, width: f32) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split(' ') {
            let cand = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if text_width(&cand, size, bold) <= width || line.is_empty() && word.is_empty() {
                line = cand;
                continue;
            }
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            // The word alone: cut it if it is still too long.
            let mut piece = String::new();
            for ch in word.chars() {
                piece.push(ch);
                if text_width(&piece, size, bold) > width && piece.chars().count() > 1 {
                    piece.pop();
                    out.push(std::mem::take(&mut piece));
                    piece.push(ch);
                }
            }
            line = piece;
        }
        out.push(line);
    }
    out
}

enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        text: String,
    },
    Frame {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
    Squares(Vec<(f32, f32, f32)>),
}

/// A grid row laid out: each cell as (x, width, lines, bold, align), and the row's height.
type Laid = (Vec<(f32, f32, Vec<String>, bool, Align)>, f32);

const MARGIN: f32 = 28.0;
const LEADING: f32 = 1.22;
const PAD: f32 = 2.0;

struct Layout {
    w: f32,
    h: f32,
    y: f32,
    pages: Vec<Vec<Op>>,
}

impl Layout {
    fn content_w(&self) -> f32 {
        self.w - 2.0 * MARGIN
    }
    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        self.pages.last_mut().expect("a page")
    }
    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
    }
    /// Starts a new page unless `h` more points fit on this one.
    fn ensure(&mut self, h: f32) {
        if self.y + h > self.h - MARGIN && self.y > MARGIN + 0.5 {
            self.new_page();
        }
    }
    /// Lines of text from `top`, aligned within [x, x + w].
    #[allow(clippy::too_many_arguments)]
    fn lines(
        &mut self,
        lines: &[String],
        x: f32,
        w: f32,
        top: f32,
        size: f32,
        bold: bool,
        a: Align,
    ) {
        for (i, l) in lines.iter().enumerate() {
            if l.is_empty() {
                continue;
            }
            let tw = text_width(l, size, bold);
            let lx = match a {
                Align::Left => x,
                Align::Center => x + (w - tw) / 2.0,
                Align::Right => x + w - tw,
            };
            let y = top + size * 0.95 + i as f32 * size * LEADING;
            self.ops().push(Op::Text {
                x: lx,
                y,
                size,
                bold,
                text: l.clone(),
            });
        }
    }
    fn paragraph(&mut self, text: &str, size: f32, bold: bool, a: Align) {
        let cw = self.content_w();
        let lines = wrap(text, size, bold, cw);
        for l in lines {
            let h = size * LEADING;
            self.ensure(h);
            let y = self.y;
            self.lines(&[l], MARGIN, cw, y, size, bold, a);
            self.y += h;
        }
        self.y += 2.0;
    }

    fn grid(&mut self, b: &Block) {
        let Block::Grid {
            cols,
            rows,
            border,
            size,
        } = b
        else {
            return;
        };
        let size = *size;
        let total: f32 = cols.iter().map(|c| c.width).sum::<f32>().max(0.001);
        let cw = self.content_w();
        let xs: Vec<f32> = cols
            .iter()
            .scan(MARGIN, |x, c| {
                let at = *x;
                *x += c.width / total * cw;
                Some(at)
            })
            .chain(std::iter::once(MARGIN + cw))
            .collect();
        // Each row laid out once.
        let lay = |r: &crate::Row| -> Laid {
            let mut ci = 0;
            let mut cells = Vec::new();
            let mut h: f32 = 0.0;
            for c in &r.cells {
                let span = c.span.max(1);
                let end = (ci + span).min(cols.len());
                let (x, w) = (xs[ci.min(cols.len())], xs[end] - xs[ci.min(cols.len())]);
                let a = c
                    .align
                    .unwrap_or(cols.get(ci).map(|c| c.align).unwrap_or_default());
                let lines = wrap(&c.text, size, c.bold, (w - 2.0 * PAD).max(4.0));
                h = h.max(lines.len() as f32 * size * LEADING + 2.0 * PAD);
                cells.push((x, w, lines, c.bold, a));
                ci = end;
            }
            (cells, h.max(size * LEADING + 2.0 * PAD))
        };
        let headers: Vec<Laid> = rows.iter().filter(|r| r.header).map(lay).collect();
        let header_h: f32 = headers.iter().map(|h| h.1).sum();
        let mut first = true;
        for r in rows {
            if r.header {
                continue;
            }
            let row = lay(r);
            let need = row.1 + if first { header_h } else { 0.0 };
            let before = self.pages.len();
            self.ensure(need);
            if first || self.pages.len() != before {
                for h in &headers {
                    self.draw_row(h, *border, size);
                }
            }
            first = false;
            self.draw_row(&row, *border, size);
        }
        if first {
            // Only headers: draw them anyway.
            for h in &headers {
                self.draw_row(h, *border, size);
            }
        }
        self.y += 3.0;
    }

    fn draw_row(&mut self, row: &Laid, border: bool, size: f32) {
        let top = self.y;
        for (x, w, lines, bold, a) in &row.0 {
            if border {
                self.ops().push(Op::Frame {
                    x: *x,
                    y: top,
                    w: *w,
                    h: row.1,
                });
            }
            self.lines(lines, x + PAD, w - 2.0 * PAD, top + PAD, size, *bold, *a);
        }
        self.y += row.1;
    }

    fn signatures(&mut self, signs: &[crate::Sign]) {
        let cw = self.content_w();
        for pair in signs.chunks(2) {
            let h = 26.0;
            self.ensure(h);
            for (i, s) in pair.iter().enumerate() {
                let x = MARGIN + i as f32 * cw / 2.0;
                let t = format!("{} ______________ / {} /", s.role, s.name);
                let lines = wrap(&t, 9.0, false, cw / 2.0 - 8.0);
                let y = self.y + 8.0;
                self.lines(&lines, x, cw / 2.0 - 8.0, y, 9.0, false, Align::Left);
            }
            self.y += h;
        }
    }

    fn qr(&mut self, payload: &str, caption: &str) {
        let Some((n, dark)) = crate::qr_modules(payload) else {
            return;
        };
        let side = 110.0;
        let m = side / (n as f32 + 8.0);
        self.ensure(side + 4.0);
        let (x0, y0) = (MARGIN, self.y);
        let mut squares = Vec::new();
        for y in 0..n {
            for x in 0..n {
                if dark[y * n + x] {
                    squares.push((x0 + (x as f32 + 4.0) * m, y0 + (y as f32 + 4.0) * m, m));
                }
            }
        }
        self.ops().push(Op::Squares(squares));
        let cw = self.content_w() - side - 10.0;
        let lines = wrap(caption, 8.0, false, cw);
        self.lines(
            &lines,
            x0 + side + 10.0,
            cw,
            y0 + 10.0,
            8.0,
            false,
            Align::Left,
        );
        self.y += side + 4.0;
    }
}

/// The form as a PDF (A4).
pub fn render_pdf(form: &Form) -> Result<Vec<u8>, String> {
    let (w, h) = if form.landscape {
        (841.89, 595.28)
    } else {
        (595.28, 841.89)
    };
    let mut l = Layout {
        w,
        h,
        y: MARGIN,
        pages: vec![Vec::new()],
    };
    for b in &form.blocks {
        match b {
            Block::Title(t) => {
                l.y += 4.0;
                l.paragraph(t, 12.0, true, Align::Center);
                l.y += 4.0;
            }
            Block::Text {
                text,
                bold,
                size,
                align,
            } => l.paragraph(text, *size, *bold, *align),
            Block::Grid { .. } => l.grid(b),
            Block::Signatures(s) => l.signatures(s),
            Block::Qr { payload, caption } => l.qr(payload, caption),
            Block::Space(pt) => l.y += pt,
        }
    }
    let regular = Font::new(REGULAR.into(), 0).ok_or("font")?;
    let bold = Font::new(BOLD.into(), 0).ok_or("font")?;
    let mut doc = Document::new();
    doc.set_metadata(
        krilla::metadata::Metadata::new()
            .title(form.title.clone())
            .creator("kupets".into()),
    );
    let settings = PageSettings::from_wh(w, h).ok_or("page size")?;
    for ops in &l.pages {
        let mut page = doc.start_page_with(settings.clone());
        let mut s = page.surface();
        // Borders first (thin black strokes), then the QR squares, then text.
        let mut frames = PathBuilder::new();
        let mut any_frame = false;
        for op in ops {
            if let Op::Frame { x, y, w, h } = op {
                if let Some(r) = Rect::from_xywh(*x, *y, *w, *h) {
                    frames.push_rect(r);
                    any_frame = true;
                }
            }
        }
        if any_frame {
            if let Some(p) = frames.finish() {
                s.set_fill(None);
                s.set_stroke(Some(Stroke {
                    width: 0.5,
                    ..Stroke::default()
                }));
                s.draw_path(&p);
                s.set_stroke(None);
            }
        }
        s.set_fill(Some(Fill::default()));
        for op in ops {
            if let Op::Squares(sq) = op {
                let mut pb = PathBuilder::new();
                for (x, y, m) in sq {
                    // A hair wider so adjacent modules leave no seam.
                    if let Some(r) = Rect::from_xywh(*x, *y, m + 0.02, m + 0.02) {
                        pb.push_rect(r);
                    }
                }
                if let Some(p) = pb.finish() {
                    s.draw_path(&p);
                }
            }
        }
        for op in ops {
            if let Op::Text {
                x,
                y,
                size,
                bold: b,
                text,
            } = op
            {
                let f = if *b { bold.clone() } else { regular.clone() };
                s.draw_text(
                    Point::from_xy(*x, *y),
                    f,
                    *size,
                    text,
                    false,
                    TextDirection::Auto,
                );
            }
        }
        s.finish();
        page.finish();
    }
    doc.finish().map_err(|e| format!("{e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn wraps_within_width() {
        let lines = wrap("один два три четыре пять шесть", 10.0, false, 60.0);
        assert!(lines.len() > 1);
        for l in &lines {
            assert!(text_width(l, 10.0, false) <= 60.0, "{l}");
        }
        assert_eq!(lines.join(" "), "один два три четыре пять шесть");
    }
}
