//! One language per page: what the database keeps as codes and ISO text
//! (audit actions, entities, price types, timestamps, months) said the way
//! the page's reader says it.

use crate::error::Lang;

/// `2026-11-29T05:07:33Z` → «29.11.2026 05:07» (Russian) or
/// «2026-11-29 05:07» (English); anything else as it is.
pub fn datetime(lang: Lang, s: &str) -> String {
    let (Some(d), Some(t)) = (s.get(..10), s.get(11..16)) else {
        return s.to_string();
    };
    if lang.ru() {
        let p: Vec<&str> = d.split('-').collect();
        if let [y, m, dd] = p.as_slice() {
            return format!("{dd}.{m}.{y} {t}");
        }
    }
    format!("{d} {t}")
}

const MONTHS_RU: [&str; 12] = [
    "янв.",
    "февр.",
    "март",
    "апр.",
    "май",
    "июнь",
    "июль",
    "авг.",
    "сент.",
    "окт.",
    "нояб.",
    "дек.",
];
const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `2026-10` → «окт. 2026» / «Oct 2026»; anything else as it is.
pub fn month(lang: Lang, s: &str) -> String {
    let Some((y, m)) = s.split_once('-') else {
        return s.to_string();
    };
    match m.parse::<usize>() {
        Ok(m @ 1..=12) if y.len() == 4 && s.len() == 7 => {
            let name = if lang.ru() {
                MONTHS_RU[m - 1]
            } else {
                MONTHS_EN[m - 1]
            };
            format!("{name} {y}")
        }
        _ => s.to_string(),
    }
}

const ACTIONS: &[(&str, &str, &str)] = &[
    ("login", "вход", "log in"),
    ("logout", "выход", "log out"),
    ("login_failed", "неудачный вход", "failed login"),
    ("login_throttled", "вход заблокирован", "login locked"),
    ("create", "создание", "create"),
    ("update", "изменение", "update"),
    ("post", "проведение", "post"),
    ("cancel", "отмена проведения", "cancel"),
    ("archive", "в архив", "archive"),
    ("unarchive", "из архива", "restore"),
    ("delete", "удаление", "delete"),
    ("password", "смена пароля", "password change"),
    (
        "credit_limit_override",
        "превышение кредитного лимита",
        "credit limit override",
    ),
    ("status", "статус", "status"),
    ("handover", "передача дел", "hand-over"),
    ("demo", "демо-данные", "demo data"),
    ("queue", "в очередь отправки", "queued"),
    ("send", "отправка", "send"),
    ("sent", "отправлено", "sent"),
    ("mail_failed", "письмо не отправлено", "mail failed"),
    ("close_line", "закрытие остатка строки", "line closed"),
    ("responsible", "смена ответственного", "responsible changed"),
];

const ENTITIES: &[(&str, &str, &str)] = &[
    ("counterparty", "контрагент", "counterparty"),
    ("product", "товар", "product"),
    ("product_group", "группа товаров", "product group"),
    ("price", "цена", "price"),
    ("price_type", "тип цен", "price type"),
    ("warehouse", "склад", "warehouse"),
    ("employee", "сотрудник", "employee"),
    ("department", "отдел", "department"),
    ("document", "документ", "document"),
    ("session", "сеанс", "session"),
    ("unit", "серийная единица", "unit"),
    ("repair", "ремонт", "repair"),
    ("invoice", "счёт", "invoice"),
    ("contact", "контактное лицо", "contact"),
    ("outbox", "исходящее письмо", "outgoing e-mail"),
    ("mail_settings", "настройки почты", "mail settings"),
    ("setting", "настройка", "setting"),
    ("database", "база данных", "database"),
    ("status", "статус", "status"),
    ("absence", "отсутствие", "absence"),
    ("company", "реквизиты компании", "company card"),
];

fn lookup(table: &[(&str, &str, &str)], lang: Lang, code: &str) -> String {
    table
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, ru, en)| lang.t(ru, en).to_string())
        .unwrap_or_else(|| code.replace('_', " "))
}

/// An audit action in words (`post` → «проведение»).
pub fn action(lang: Lang, code: &str) -> String {
    lookup(ACTIONS, lang, code)
}

/// An audited entity in words (`counterparty` → «контрагент»).
pub fn entity(lang: Lang, code: &str) -> String {
    // A document kind is said as its kind («Заказ покупателя»).
    match kupets_domain::DocKind::parse(code) {
        Some(k) if !ENTITIES.iter().any(|e| e.0 == code) => k.label(lang.ru()).to_string(),
        _ => lookup(ENTITIES, lang, code),
    }
}

/// A built-in price type by its code, in words; others keep their name.
pub fn price_type(lang: Lang, code: &str) -> String {
    match code {
        "retail" => lang.t("розничная", "retail").into(),
        "wholesale" => lang.t("оптовая", "wholesale").into(),
        "dealer" => lang.t("дилерская", "dealer").into(),
        other => other.into(),
    }
}

/// An audit row's details (`login=admin; name: А → Б`) with the field names
/// said in words (`Логин=admin; Наименование: А → Б`); values as they are.
pub fn details(lang: Lang, s: &str) -> String {
    let field = |part: &str| -> String {
        match part.find(['=', ':']) {
            Some(i)
                if i > 0
                    && part[..i]
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                format!("{}{}", super::refusal::word(lang, &part[..i]), &part[i..])
            }
            _ => part.to_string(),
        }
    };
    s.split("; ")
        .map(|p| p.split(", ").map(field).collect::<Vec<_>>().join(", "))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn said_as_people_say_it() {
        assert_eq!(
            datetime(Lang::Ru, "2026-11-29T05:07:33Z"),
            "29.11.2026 05:07"
        );
        assert_eq!(
            datetime(Lang::En, "2026-11-29T05:07:33Z"),
            "2026-11-29 05:07"
        );
        assert_eq!(month(Lang::Ru, "2026-10"), "окт. 2026");
        assert_eq!(month(Lang::En, "2026-10"), "Oct 2026");
        assert_eq!(month(Lang::Ru, "прочее"), "прочее");
        assert_eq!(action(Lang::Ru, "post"), "проведение");
        assert_eq!(price_type(Lang::Ru, "wholesale"), "оптовая");
        assert_eq!(
            details(Lang::Ru, "login=admin; name: А → Б"),
            "Логин=admin; Наименование: А → Б"
        );
        assert_eq!(details(Lang::Ru, "web"), "web");
    }
}
