//! The HTML print view of a form: the same blocks as the PDF, styled for a
//! browser's print dialog.

use crate::{Align, Block, Form};

pub(crate) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '"' => o.push_str("&quot;"),
            c => o.push(c),
        }
    }
    o
}

fn align(a: Align) -> &'static str {
    match a {
        Align::Left => "left",
        Align::Center => "center",
        Align::Right => "right",
    }
}

const CSS: &str = "body{font:12px/1.3 'DejaVu Sans Condensed','Arial Narrow',Arial,sans-serif;margin:24px;color:#000}\
h2{font-size:15px;text-align:center;margin:10px 0}p{margin:4px 0;white-space:pre-wrap}\
table{border-collapse:collapse;width:100%;margin:4px 0}table.b td{border:1px solid #000;padding:2px 4px;vertical-align:top}\
table.p td{padding:1px 4px;vertical-align:top}td.h{font-weight:bold;text-align:center}\
.sign{display:flex;flex-wrap:wrap;margin-top:18px}.sign div{width:50%;margin-bottom:14px}\
.qr{display:flex;gap:12px;align-items:center;margin:8px 0}\
.noprint{margin-bottom:12px}@media print{.noprint{display:none}body{margin:0}}\
@page{size:A4 portrait;margin:12mm}";

/// The whole page; `nav` is HTML put above the form and hidden in print
/// (links back, to print, to the PDF).
pub fn render_html(form: &Form, nav: &str) -> String {
    let mut o = String::with_capacity(4096);
    o.push_str("<!DOCTYPE html><html lang=\"ru\"><head><meta charset=\"utf-8\"><title>");
    o.push_str(&esc(&form.title));
    o.push_str("</title><style>");
    if form.landscape {
        o.push_str(&CSS.replace("A4 portrait", "A4 landscape"));
    } else {
        o.push_str(CSS);
    }
    o.push_str("</style></head><body>");
    if !nav.is_empty() {
        o.push_str("<div class=\"noprint\">");
        o.push_str(nav);
        o.push_str("</div>");
    }
    for b in &form.blocks {
        match b {
            Block::Title(t) => o.push_str(&format!("<h2>{}</h2>", esc(t))),
            Block::Text {
                text,
                bold,
                size,
                align: a,
            } => o.push_str(&format!(
                "<p style=\"text-align:{};font-size:{}px{}\">{}</p>",
                align(*a),
                (size * 1.33).round(),
                if *bold { ";font-weight:bold" } else { "" },
                esc(text)
            )),
            Block::Grid {
                cols,
                rows,
                border,
                size,
            } => {
                o.push_str(&format!(
                    "<table class=\"{}\" style=\"font-size:{}px\"><colgroup>",
                    if *border { "b" } else { "p" },
                    (size * 1.33).round()
                ));
                let total: f32 = cols.iter().map(|c| c.width).sum::<f32>().max(0.001);
                for c in cols {
                    o.push_str(&format!(
                        "<col style=\"width:{:.1}%\">",
                        c.width / total * 100.0
                    ));
                }
                o.push_str("</colgroup>");
                for r in rows {
                    o.push_str("<tr>");
                    let mut ci = 0;
                    for cell in &r.cells {
                        let a = cell
                            .align
                            .unwrap_or(cols.get(ci).map(|c| c.align).unwrap_or_default());
                        o.push_str(&format!(
                            "<td{} style=\"text-align:{}{}\">{}</td>",
                            if cell.span > 1 {
                                format!(" colspan=\"{}\"", cell.span)
                            } else {
                                String::new()
                            },
                            align(a),
                            if cell.bold { ";font-weight:bold" } else { "" },
                            esc(&cell.text).replace('\n', "<br>")
                        ));
                        ci += cell.span.max(1);
                    }
                    o.push_str("</tr>");
                }
                o.push_str("</table>");
            }
            Block::Signatures(signs) => {
                o.push_str("<div class=\"sign\">");
                for s in signs {
                    o.push_str(&format!(
                        "<div>{} ______________ / {} /</div>",
                        esc(&s.role),
                        esc(&s.name)
                    ));
                }
                o.push_str("</div>");
            }
            Block::Qr { payload, caption } => {
                o.push_str("<div class=\"qr\">");
                o.push_str(&crate::qr_svg(payload, 132));
                o.push_str(&format!("<div>{}</div></div>", esc(caption)));
            }
            Block::Space(pt) => o.push_str(&format!("<div style=\"height:{pt}px\"></div>")),
        }
    }
    o.push_str("</body></html>");
    o
}
