//! Replacement shipments on the pages: the form's pricing choice, the lines
//! taken from the return, and what the shipment's card says.

use super::forms::Values;
use crate::auth::UiActor;
use crate::error::Lang;
use crate::AppState;
use kupets_app::replacement::{Mode, ReplacementInfo};
use kupets_domain::{Money, Qty};
use kupets_store::queries::P;
use maud::{html, Markup};

/// Fills a new replacement shipment from the return: its warehouse and its
/// lines (product and quantity), unless the form already has lines.
pub async fn prefill(s: &AppState, _ui: &UiActor, ret: &str, v: &mut Values) {
    let Ok(ret) = ret.parse::<i64>() else { return };
    let wh = s
        .app
        .store
        .read_rows(
            "SELECT warehouse_id AS w FROM documents WHERE id = $1 AND kind = 'return'".into(),
            vec![P::from(ret)],
            |r| r.opt_int("w"),
        )
        .await
        .unwrap_or_default();
    if let Some(Some(w)) = wh.first() {
        v.insert("warehouse_id".into(), w.to_string());
    }
    let lines = s
        .app
        .store
        .read_rows(
            "SELECT product_id AS p, qty AS q FROM document_lines WHERE document_id = $1 ORDER BY line_no".into(),
            vec![P::from(ret)],
            |r| (r.int("p"), r.int("q")),
        )
        .await
        .unwrap_or_default();
    for (i, (p, q)) in lines.iter().enumerate() {
        v.insert(format!("l{i}_product"), p.to_string());
        v.insert(format!("l{i}_qty"), Qty(*q).to_api());
    }
}

/// The pricing choice of a replacement shipment.
pub fn form_fields(lang: Lang, mode: &str, reason: &str) -> Markup {
    let mode = if mode.is_empty() {
        Mode::Returned.code()
    } else {
        mode
    };
    html! {
        dt { (lang.t("Цена замены", "Replacement price")) }
        dd {
            select name="replacement_pricing" {
                @for m in Mode::ALL { option value=(m.code()) selected[m.code() == mode] { (m.label(lang.ru())) } }
            }
            " " span.muted { (lang.t("по цене возврата — пара документов взаимно погашается; бесплатно или по текущей цене — только руководитель, с причиной", "at the returned price the pair nets to zero; free or at the current price: a head only, with a reason")) }
        }
        dt { (lang.t("Причина", "Reason")) }
        dd { input type="text" name="replacement_reason" value=(reason) style="width:100%"; }
    }
}

/// What a replacement shipment's card says about it.
pub fn card_rows(lang: Lang, r: &ReplacementInfo) -> Markup {
    let label = Mode::parse(&r.pricing)
        .map(|m| m.label(lang.ru()))
        .unwrap_or("");
    html! {
        dt { (lang.t("Цена замены", "Replacement price")) }
        dd {
            (label) " · " a href=(format!("/returns/{}", r.return_id)) { (if lang.ru() { r.print_ru.clone() } else { format!("replaces return {}", r.return_number) }) }
            @if !r.reason.is_empty() { br; (lang.t("Причина: ", "Reason: ")) (r.reason) }
            @if r.pricing == "free" { br; (lang.t("Себестоимость (сохранена): ", "Cost (kept): ")) (Money::parse(&r.cost).unwrap_or_default().to_ru()) }
        }
    }
}
