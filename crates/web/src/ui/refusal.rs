//! A refused form keeps the work: whatever the refusal (validation, conflict,
//! rights), the page that sent the form shows it again with what was typed,
//! each message next to its field or line in words («Строка 2, Количество:
//! …»), and a summary on top that links to them. Every page with a form
//! (ours and those of the import and report pages) builds on this.

use crate::error::{status_of, Lang};
use axum::http::StatusCode;
use kupets_app::AppError;
use kupets_domain::FieldError;
use maud::{html, Markup};
use std::collections::HashMap;

/// What was refused: per-field messages and, for refusals that name no field
/// (a conflict, missing rights), one general message.
#[derive(Default, Clone)]
pub struct Refusal {
    pub general: Option<String>,
    pub fields: Vec<FieldError>,
    /// The status the page answers with (422 for validation, 409 for a
    /// conflict, 403 for rights), so clients and tests see a refusal.
    pub status: StatusCode,
    /// The form that was sent (its action) and what was typed in it, so a
    /// page with several small forms fills the one that was refused.
    pub form: String,
    pub typed: HashMap<String, String>,
}

/// Field names as people call them. The API names fields by their JSON
/// names; the pages say what the label beside the field says.
const LABELS: &[(&str, &str, &str)] = &[
    ("product_id", "Товар", "Product"),
    ("qty", "Количество", "Quantity"),
    ("price", "Цена", "Price"),
    ("special_discount", "Спец. скидка", "Special discount"),
    ("serials", "Серийные номера", "Serials"),
    ("base_line_id", "Строка основания", "Base line"),
    ("order_line_id", "Строка заказа", "Order line"),
    ("counterparty_id", "Контрагент", "Counterparty"),
    ("warehouse_id", "Склад", "Warehouse"),
    ("date", "Дата", "Date"),
    ("order_id", "Заказ", "Order"),
    ("base_id", "Документ-основание", "Base document"),
    ("invoice_id", "Счёт на оплату", "Invoice"),
    ("amount", "Сумма", "Amount"),
    ("direction", "Направление", "Direction"),
    ("comment", "Комментарий", "Comment"),
    ("lines", "Строки", "Lines"),
    ("name", "Наименование", "Name"),
    ("inn", "ИНН", "INN"),
    ("kpp", "КПП", "KPP"),
    ("sku", "Артикул", "SKU"),
    ("unit", "Единица", "Unit"),
    ("responsible_id", "Ответственный", "Responsible"),
    (
        "replacement_for_id",
        "Замена по возврату",
        "Replaces return",
    ),
    (
        "replacement_reason",
        "Причина цены замены",
        "Replacement price reason",
    ),
    (
        "override_reason",
        "Причина превышения лимита",
        "Override reason",
    ),
    ("reason", "Причина", "Reason"),
    ("serial", "Серийный номер", "Serial"),
    ("login", "Логин", "Login"),
    ("password", "Пароль", "Password"),
    ("role", "Роль", "Role"),
    ("department_id", "Отдел", "Department"),
    ("email", "Эл. почта", "E-mail"),
    ("phone", "Телефон", "Phone"),
    ("credit_limit", "Кредитный лимит", "Credit limit"),
    ("price_type_id", "Тип цен", "Price type"),
    ("group_id", "Группа", "Group"),
    ("vat_rate", "Ставка НДС", "VAT rate"),
    ("due_date", "Оплатить до", "Due date"),
    ("bank_account_id", "Счёт для оплаты", "Bank account"),
    ("effective_date", "Действует с", "Effective from"),
    ("complaint", "Жалоба", "Complaint"),
    ("work", "Работы", "Work"),
    ("cost", "Себестоимость", "Cost"),
    ("warranty", "Гарантийный", "Warranty"),
    ("defect_category_id", "Категория дефекта", "Defect category"),
    ("unit_id", "Изделие", "Unit"),
    ("state", "Состояние", "State"),
    ("lot", "Партия", "Lot"),
    ("replaces_serial", "Заменяет", "Replaces"),
    ("replaces_lot", "Заменяет партию", "Replaces lot"),
    ("batch", "Партия", "Batch"),
    ("count", "Количество", "Count"),
    ("serial_pattern", "Шаблон номера", "Serial pattern"),
    ("work_cost", "Стоимость работ", "Work cost"),
    ("units", "Изделия", "Units"),
    ("to", "Адрес", "Address"),
    ("subject", "Тема", "Subject"),
    ("paper", "Документ", "Paper"),
    ("employee_id", "Сотрудник", "Employee"),
    ("deputy_id", "Заместитель", "Deputy"),
    ("from", "С", "From"),
    ("till", "По", "Till"),
    ("code", "Код", "Code"),
    ("position", "Должность", "Position"),
];

/// One path segment in words: `qty` → «Количество»; unknown names as they are.
pub fn word(lang: Lang, name: &str) -> String {
    LABELS
        .iter()
        .find(|(k, _, _)| *k == name)
        .map(|(_, ru, en)| lang.t(ru, en).to_string())
        .unwrap_or_else(|| name.to_string())
}

/// `lines[1].qty` (or `lines.1.qty`) → («Строка 2, Количество»): rows are
/// counted from one, as the page shows them.
pub fn label(lang: Lang, field: &str) -> String {
    let norm = field.replace('[', ".").replace(']', "");
    let mut parts = Vec::new();
    let mut it = norm.split('.').filter(|s| !s.is_empty()).peekable();
    while let Some(seg) = it.next() {
        if let Some(n) = it.peek().and_then(|n| n.parse::<usize>().ok()) {
            it.next();
            let row = if seg == "lines" {
                lang.t("Строка", "Line")
            } else {
                lang.t("Позиция", "Item")
            };
            parts.push(format!("{row} {}", n + 1));
        } else {
            parts.push(word(lang, seg));
        }
    }
    parts.join(", ")
}

/// The element id a message sits at; the summary links to it.
pub fn anchor(field: &str) -> String {
    let s: String = field
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("err-{}", s.trim_matches('-'))
}

/// The row a field belongs to: `lines[3].qty` → Some(3).
pub fn row_of(field: &str, list: &str) -> Option<usize> {
    let rest = field.strip_prefix(list)?;
    let rest = rest.strip_prefix('[').or_else(|| rest.strip_prefix('.'))?;
    let n: String = rest.chars().take_while(char::is_ascii_digit).collect();
    n.parse().ok()
}

impl Refusal {
    pub fn none() -> Refusal {
        Refusal::default()
    }

    /// The refusal of the form sent to `action` with `typed` in it.
    pub fn of_form(
        lang: Lang,
        e: &AppError,
        action: &str,
        typed: &HashMap<String, String>,
    ) -> Refusal {
        let mut r = Refusal::of(lang, e);
        r.form = action.to_string();
        r.typed = typed.clone();
        r.typed.remove("csrf");
        r
    }

    /// What was typed into field `name` of the form at `action`, if that
    /// form was the one refused.
    pub fn kept(&self, action: &str, name: &str) -> Option<&str> {
        (self.form == action)
            .then(|| self.typed.get(name).map(String::as_str))
            .flatten()
    }

    /// The value a field of the form at `action` shows: what was typed if
    /// that form was refused, else `default`.
    pub fn value(&self, action: &str, name: &str, default: &str) -> String {
        self.kept(action, name).unwrap_or(default).to_string()
    }

    /// Any refusal of the app, for a page that shows its form again.
    pub fn of(lang: Lang, e: &AppError) -> Refusal {
        match e {
            AppError::Validation(errs) => Refusal {
                general: None,
                fields: errs.clone(),
                status: status_of(e),
                ..Refusal::default()
            },
            other => Refusal {
                general: Some(other.message(lang.ru())),
                fields: vec![],
                status: status_of(e),
                ..Refusal::default()
            },
        }
    }

    /// The page answers with the refusal's status, so clients and tests
    /// see that nothing was saved.
    pub fn apply(&self, mut r: axum::response::Response) -> axum::response::Response {
        if !self.is_empty() {
            *r.status_mut() = self.status;
        }
        r
    }

    pub fn is_empty(&self) -> bool {
        self.general.is_none() && self.fields.is_empty()
    }

    fn text(lang: Lang, e: &FieldError) -> &str {
        if lang.ru() {
            &e.message_ru
        } else {
            &e.message_en
        }
    }

    /// The summary on top: the general message and a link to each field's
    /// message. `placed` says which fields the page shows next to a field or
    /// row; the others are explained here in full.
    pub fn summary(&self, lang: Lang, placed: &dyn Fn(&str) -> bool) -> Markup {
        html! {
            @if !self.is_empty() {
                div.alert.refusal role="alert" id="refusal" {
                    @if let Some(g) = &self.general { div { (g) } }
                    @if !self.fields.is_empty() {
                        div { (lang.t("Не сохранено — исправьте:", "Not saved — please correct:")) }
                        ul {
                            @for e in &self.fields {
                                li {
                                    @if placed(&e.field) {
                                        a href=(format!("#{}", anchor(&e.field))) { (label(lang, &e.field)) } ": " (Self::text(lang, e))
                                    } @else {
                                        (label(lang, &e.field)) ": " (Self::text(lang, e))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The messages of one field, placed under it.
    pub fn at(&self, lang: Lang, field: &str) -> Markup {
        html! {
            @for e in self.fields.iter().filter(|e| e.field == field) {
                div.err id=(anchor(&e.field)) { (Self::text(lang, e)) }
            }
        }
    }

    /// The messages of one field of the form at `action`, only if that form
    /// was the one refused (a page may carry several small forms).
    pub fn at_form(&self, lang: Lang, action: &str, field: &str) -> Markup {
        if self.form == action {
            self.at(lang, field)
        } else {
            html! {}
        }
    }

    /// The messages of row `i` of `list` (`lines`), each naming its column.
    pub fn row(&self, lang: Lang, list: &str, i: usize) -> Markup {
        html! {
            @for e in self.fields.iter().filter(|e| row_of(&e.field, list) == Some(i)) {
                div.err id=(anchor(&e.field)) { (label(lang, &e.field)) ": " (Self::text(lang, e)) }
            }
        }
    }

    /// Whether row `i` of `list` has a message (to mark the row).
    pub fn row_has(&self, list: &str, i: usize) -> bool {
        self.fields
            .iter()
            .any(|e| row_of(&e.field, list) == Some(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_in_words() {
        assert_eq!(label(Lang::Ru, "lines[1].qty"), "Строка 2, Количество");
        assert_eq!(label(Lang::En, "lines.0.price"), "Line 1, Price");
        assert_eq!(label(Lang::Ru, "order_id"), "Заказ");
        assert_eq!(anchor("lines[1].qty"), "err-lines-1--qty");
        assert_eq!(row_of("lines[12].qty", "lines"), Some(12));
        assert_eq!(row_of("lines", "lines"), None);
    }
}
