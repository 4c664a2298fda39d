//! Form fields and tables shared by every page.

use super::refusal::Refusal;
use crate::error::Lang;
use maud::{html, Markup};
use std::collections::HashMap;

pub type Values = HashMap<String, String>;

pub enum Kind {
    Text,
    Textarea,
    Password,
    Date,
    Check,
    Select(Vec<(String, String)>),
}

/// One form field: input name, Russian and English label, kind, and a hint.
pub struct Field {
    pub name: &'static str,
    pub ru: &'static str,
    pub en: &'static str,
    pub kind: Kind,
    pub required: bool,
    pub hint: Option<(&'static str, &'static str)>,
}

impl Field {
    pub fn new(name: &'static str, ru: &'static str, en: &'static str, kind: Kind) -> Field {
        Field {
            name,
            ru,
            en,
            kind,
            required: false,
            hint: None,
        }
    }
    pub fn required(mut self) -> Field {
        self.required = true;
        self
    }
    pub fn hint(mut self, ru: &'static str, en: &'static str) -> Field {
        self.hint = Some((ru, en));
        self
    }
}

/// Options with an empty "—" choice first.
pub fn options(
    empty: bool,
    items: impl IntoIterator<Item = (String, String)>,
) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = if empty {
        vec![(String::new(), "—".into())]
    } else {
        vec![]
    };
    v.extend(items);
    v
}

pub fn render_fields(lang: Lang, fields: &[Field], values: &Values, refusal: &Refusal) -> Markup {
    html! {
        @for f in fields {
            @let v = values.get(f.name).map(String::as_str).unwrap_or("");
            @let id = format!("f_{}", f.name);
            label.l for=(id) { (lang.t(f.ru, f.en)) @if f.required { " *" } }
            div.f {
                @match &f.kind {
                    Kind::Text => input type="text" id=(id) name=(f.name) value=(v);
                    Kind::Password => input type="password" id=(id) name=(f.name) value="" autocomplete="new-password";
                    Kind::Date => input type="date" id=(id) name=(f.name) value=(v);
                    Kind::Textarea => textarea id=(id) name=(f.name) { (v) }
                    Kind::Check => input type="checkbox" id=(id) name=(f.name) value="true" checked[matches!(v, "true" | "1" | "on")];
                    Kind::Select(opts) => select id=(id) name=(f.name) {
                        @for (val, label) in opts { option value=(val) selected[val == v] { (label) } }
                    }
                }
                @if let Some((ru, en)) = f.hint { div.hint { (lang.t(ru, en)) } }
                (refusal.at(lang, f.name))
            }
        }
    }
}

/// A whole POST form with CSRF token and a submit button; after a refusal,
/// the summary on top and each message at its field.
pub fn form(
    lang: Lang,
    action: &str,
    csrf: &str,
    fields: &[Field],
    values: &Values,
    refusal: &Refusal,
    submit: (&str, &str),
) -> Markup {
    html! {
        (refusal.summary(lang, &|name: &str| fields.iter().any(|f| f.name == name)))
        form.grid method="post" action=(action) {
            input type="hidden" name="csrf" value=(csrf);
            (render_fields(lang, fields, values, refusal))
            div.actions { button.btn type="submit" { (lang.t(submit.0, submit.1)) } }
        }
    }
}

/// A small POST form that is just one button (archive, post, …).
pub fn button_form(action: &str, csrf: &str, label: &str, class: &str) -> Markup {
    // Archiving asks first (the page's script shows the question).
    let lang = crate::error::current_lang();
    let confirm = action.ends_with("/archive").then(|| {
        lang.t(
            "Переместить в архив? Запись пропадёт из списков и выбора.",
            "Move to the archive? It leaves the lists and choices.",
        )
    });
    html! {
        form method="post" action=(action) style="display:inline" {
            input type="hidden" name="csrf" value=(csrf);
            button type="submit" class=(class) data-confirm=[confirm] { (label) }
        }
    }
}

/// Turns a serialized record into form values.
pub fn values_of<T: serde::Serialize>(v: &T) -> Values {
    let mut out = Values::new();
    if let Ok(serde_json::Value::Object(m)) = serde_json::to_value(v) {
        for (k, v) in m {
            let s = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            };
            out.insert(k, s);
        }
    }
    out
}

/// Turns submitted form values into an app input struct.
pub fn input_of<T: serde::de::DeserializeOwned + Default>(v: &Values) -> T {
    let m: serde_json::Map<String, serde_json::Value> = v
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    serde_json::from_value(serde_json::Value::Object(m)).unwrap_or_default()
}

/// Builds a query string, skipping empty values.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", crate::auth::urlencode(v)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}
