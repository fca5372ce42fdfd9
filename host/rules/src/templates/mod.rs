//! The message templates compiled in: customer templates per language and the internal ones
//! (tasks and notes for the user's own people). The policy checks its ladder against this
//! catalogue; [`crate::dunning::render`] renders them (a home's own templates win).

/// Languages with customer templates.
pub const LANGUAGES: &[&str] = &["en", "fr", "de", "el", "lv", "cs", "ro"];
/// Customer message templates (every language has each).
pub const TEMPLATE_NAMES: &[&str] = &[
    "receipt",
    "pre-due",
    "reminder",
    "final-notice",
    "late-payment",
];
/// Templates of tasks and notes for the user's own people (English).
pub const INTERNAL_NAMES: &[&str] = &[
    "call",
    "sales-rep",
    "hold",
    "collections",
    "claim",
    "dissolved",
    "insurer",
];

macro_rules! built_in {
    ($($lang:literal),*) => {
        &[$(
            ($lang, "receipt", include_str!(concat!($lang, "/receipt.txt"))),
            ($lang, "pre-due", include_str!(concat!($lang, "/pre-due.txt"))),
            ($lang, "reminder", include_str!(concat!($lang, "/reminder.txt"))),
            ($lang, "final-notice", include_str!(concat!($lang, "/final-notice.txt"))),
            ($lang, "late-payment", include_str!(concat!($lang, "/late-payment.txt"))),
        )*]
    };
}

pub(crate) const CUSTOMER_TEMPLATES: &[(&str, &str, &str)] =
    built_in!("en", "fr", "de", "el", "lv", "cs", "ro");
pub(crate) const INTERNAL_TEMPLATES: &[(&str, &str)] = &[
    ("call", include_str!("internal/call.txt")),
    ("sales-rep", include_str!("internal/sales-rep.txt")),
    ("hold", include_str!("internal/hold.txt")),
    ("collections", include_str!("internal/collections.txt")),
    ("claim", include_str!("internal/claim.txt")),
    ("dissolved", include_str!("internal/dissolved.txt")),
    ("insurer", include_str!("internal/insurer.txt")),
];

/// Whether a customer template of that name exists.
pub fn has_template(name: &str) -> bool {
    TEMPLATE_NAMES.contains(&name)
}

/// The language of a customer (BCP 47, e.g. "fr-BE" -> "fr"), or the fallback.
pub fn language_for(tag: Option<&str>, fallback: &str) -> String {
    tag.and_then(|t| t.split(['-', '_']).next())
        .map(|l| l.trim().to_ascii_lowercase())
        .filter(|l| LANGUAGES.contains(&l.as_str()))
        .unwrap_or_else(|| fallback.to_string())
}
