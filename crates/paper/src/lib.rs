//! Printable forms as one model, rendered two ways: HTML (the print view in
//! the browser) and PDF (downloaded or attached to an e-mail). The app fills
//! a [`Form`] — titles, paragraphs, bordered grids, signatures, a payment QR
//! code — and both renderers lay out the same blocks, so the PDF never says
//! something the HTML view does not.
//!
//! PDF: krilla, with DejaVu Sans Condensed embedded (subset, with a ToUnicode
//! map so the text can be searched and copied); see `fonts/LICENSE`.

mod html;
mod pdf;
mod qr;

pub use html::render_html;
pub use pdf::render_pdf;
pub use qr::{qr_modules, qr_svg};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

/// A cell of a grid row; `span` columns wide.
#[derive(Debug, Clone, Default)]
pub struct Cell {
    pub text: String,
    pub span: usize,
    pub bold: bool,
    pub align: Option<Align>,
}

impl Cell {
    pub fn new(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            span: 1,
            ..Cell::default()
        }
    }
    pub fn span(mut self, n: usize) -> Cell {
        self.span = n.max(1);
        self
    }
    pub fn bold(mut self) -> Cell {
        self.bold = true;
        self
    }
    pub fn align(mut self, a: Align) -> Cell {
        self.align = Some(a);
        self
    }
}

impl<T: Into<String>> From<T> for Cell {
    fn from(t: T) -> Cell {
        Cell::new(t)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Row {
    pub cells: Vec<Cell>,
    /// Header rows repeat at the top of each PDF page the grid runs onto.
    pub header: bool,
}

impl Row {
    pub fn new(cells: Vec<Cell>) -> Row {
        Row {
            cells,
            header: false,
        }
    }
    pub fn header(cells: Vec<Cell>) -> Row {
        Row {
            cells: cells
                .into_iter()
                .map(|c| c.bold().align(Align::Center))
                .collect(),
            header: true,
        }
    }
}

/// A column: its share of the width and how its cells align.
#[derive(Debug, Clone, Copy)]
pub struct Col {
    pub width: f32,
    pub align: Align,
}

impl Col {
    pub fn left(width: f32) -> Col {
        Col {
            width,
            align: Align::Left,
        }
    }
    pub fn right(width: f32) -> Col {
        Col {
            width,
            align: Align::Right,
        }
    }
    pub fn center(width: f32) -> Col {
        Col {
            width,
            align: Align::Center,
        }
    }
}

/// A signature line: who signs (position), a blank for the hand, the name.
#[derive(Debug, Clone, Default)]
pub struct Sign {
    pub role: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub enum Block {
    /// Centered, bold, larger.
    Title(String),
    /// A paragraph, wrapped to the width.
    Text {
        text: String,
        bold: bool,
        size: f32,
        align: Align,
    },
    /// A grid of cells, with or without borders.
    Grid {
        cols: Vec<Col>,
        rows: Vec<Row>,
        border: bool,
        size: f32,
    },
    /// Signature lines, two in a row.
    Signatures(Vec<Sign>),
    /// A payment QR code with text beside it.
    Qr { payload: String, caption: String },
    /// Vertical space, in points.
    Space(f32),
}

impl Block {
    pub fn text(t: impl Into<String>) -> Block {
        Block::Text {
            text: t.into(),
            bold: false,
            size: 9.0,
            align: Align::Left,
        }
    }
    pub fn bold(t: impl Into<String>) -> Block {
        Block::Text {
            text: t.into(),
            bold: true,
            size: 9.0,
            align: Align::Left,
        }
    }
    pub fn small(t: impl Into<String>) -> Block {
        Block::Text {
            text: t.into(),
            bold: false,
            size: 7.0,
            align: Align::Left,
        }
    }
    pub fn right(t: impl Into<String>, bold: bool) -> Block {
        Block::Text {
            text: t.into(),
            bold,
            size: 9.0,
            align: Align::Right,
        }
    }
    pub fn grid(cols: Vec<Col>, rows: Vec<Row>) -> Block {
        Block::Grid {
            cols,
            rows,
            border: true,
            size: 8.0,
        }
    }
    pub fn plain_grid(cols: Vec<Col>, rows: Vec<Row>) -> Block {
        Block::Grid {
            cols,
            rows,
            border: false,
            size: 9.0,
        }
    }
}

/// A printable form.
#[derive(Debug, Clone, Default)]
pub struct Form {
    /// The document title (PDF metadata, HTML `<title>`).
    pub title: String,
    /// A4 landscape (УПД, ТОРГ-12) or portrait.
    pub landscape: bool,
    pub blocks: Vec<Block>,
}

impl Form {
    pub fn new(title: impl Into<String>, landscape: bool) -> Form {
        Form {
            title: title.into(),
            landscape,
            blocks: Vec::new(),
        }
    }
    pub fn push(&mut self, b: Block) -> &mut Form {
        self.blocks.push(b);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Form {
        let mut f = Form::new("Счёт на оплату № 1", false);
        f.push(Block::Title("Счёт на оплату № СЧ-2026-000001".into()));
        f.push(Block::text("Поставщик: ООО «Купец», ИНН 7707083893"));
        let mut rows = vec![Row::header(vec![
            "№".into(),
            "Товар".into(),
            "Сумма".into(),
        ])];
        for i in 1..=120 {
            rows.push(Row::new(vec![
                Cell::new(i.to_string()),
                Cell::new(format!("Дрель ударная модель {i} с длинным названием, которое переносится на вторую строку таблицы")),
                Cell::new("1 234,50"),
            ]));
        }
        f.push(Block::grid(
            vec![Col::center(0.1), Col::left(0.7), Col::right(0.2)],
            rows,
        ));
        f.push(Block::Qr {
            payload: "ST00012|Name=ООО «Купец»|Sum=100".into(),
            caption: "Оплата по QR".into(),
        });
        f.push(Block::Signatures(vec![Sign {
            role: "Руководитель".into(),
            name: "Иванов И. И.".into(),
        }]));
        f
    }

    #[test]
    fn pdf_has_pages_and_embedded_font() {
        let pdf = render_pdf(&sample()).expect("pdf");
        assert!(pdf.starts_with(b"%PDF-"));
        if let Ok(path) = std::env::var("KUPETS_PAPER_SAMPLE") {
            std::fs::write(path, &pdf).expect("write sample");
        }
        let s = String::from_utf8_lossy(&pdf);
        assert!(s.contains("FontFile2"), "a TrueType font is embedded");
        // 120 two-line rows do not fit one A4 page.
        assert!(s.matches("/Type /Page").count() + s.matches("/Type/Page").count() > 2);
    }

    #[test]
    fn html_escapes_text() {
        let mut f = Form::new("x", false);
        f.push(Block::text("<b>&"));
        let h = render_html(&f, "");
        assert!(h.contains("&lt;b&gt;&amp;"));
    }
}
