//! QR codes: the modules (dark or light squares) of a payload, as drawn by
//! the PDF renderer, and as SVG for the HTML print view.

use qrcode::{EcLevel, QrCode};

/// The square matrix of modules (`true` = dark), without the quiet zone.
/// Level M, as banks print on invoices.
pub fn qr_modules(payload: &str) -> Option<(usize, Vec<bool>)> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M).ok()?;
    let w = code.width();
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    Some((w, dark))
}

/// An SVG of the code with a 4-module quiet zone, `px` pixels square.
pub fn qr_svg(payload: &str, px: u32) -> String {
    let Some((w, dark)) = qr_modules(payload) else {
        return String::new();
    };
    let n = w + 8;
    let mut path = String::new();
    for y in 0..w {
        for x in 0..w {
            if dark[y * w + x] {
                path.push_str(&format!("M{} {}h1v1h-1z", x + 4, y + 4));
            }
        }
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{px}\" height=\"{px}\" viewBox=\"0 0 {n} {n}\" shape-rendering=\"crispEdges\"><rect width=\"{n}\" height=\"{n}\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    )
}
