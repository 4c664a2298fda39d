/// A validation failure tied to one input field, with a message in Russian and
/// English so every layer above can show it to a person as is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message_ru: String,
    pub message_en: String,
}

impl FieldError {
    pub fn new(
        field: &str,
        code: &'static str,
        ru: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self {
            field: field.to_string(),
            code,
            message_ru: ru.into(),
            message_en: en.into(),
        }
    }

    pub fn required(field: &str) -> Self {
        Self::new(
            field,
            "required",
            "Обязательное поле",
            "This field is required",
        )
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message_en)
    }
}
