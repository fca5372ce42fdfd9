//! JSON Schemas of the common model and of the configuration files, generated from the Rust
//! types. The copies in `schemas/json/` are checked by a test, so they never go stale:
//! regenerate them with `credence schema --write schemas/json`.

use schemars::schema_for;

/// Every published schema: (file name, schema).
pub fn all() -> Vec<(&'static str, serde_json::Value)> {
    let value = |s: schemars::Schema| s.to_value();
    vec![
        (
            "record.schema.json",
            value(schema_for!(credence_model::Record)),
        ),
        (
            "credence-config.schema.json",
            value(schema_for!(crate::home::CredenceConfig)),
        ),
        (
            "plugin-manifest.schema.json",
            value(schema_for!(credence_runtime::packages::Manifest)),
        ),
        (
            "customers.schema.json",
            value(schema_for!(Vec<crate::views::CustomerView>)),
        ),
        (
            "customer.schema.json",
            value(schema_for!(crate::views::CustomerView)),
        ),
        (
            "credit-policy.schema.json",
            value(schema_for!(credence_rules::credit::Policy)),
        ),
        (
            "evaluation.schema.json",
            value(schema_for!(credence_rules::credit::Evaluation)),
        ),
        (
            "credit-decision.schema.json",
            value(schema_for!(credence_rules::credit::Decision)),
        ),
        (
            "invoices.schema.json",
            value(schema_for!(Vec<crate::views::InvoiceView>)),
        ),
        (
            "dunning-plan.schema.json",
            value(schema_for!(credence_rules::dunning::Plan)),
        ),
        (
            "outbox.schema.json",
            value(schema_for!(Vec<credence_model::dunning::OutboxEntry>)),
        ),
    ]
}

/// The schema files' text, as written to `schemas/json/`.
pub fn rendered() -> Vec<(&'static str, String)> {
    all()
        .into_iter()
        .map(|(name, schema)| {
            (
                name,
                serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n",
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_schemas_in_the_repository_are_up_to_date() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/json");
        for (name, text) in super::rendered() {
            let committed = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
            assert!(
                committed == text,
                "schemas/json/{name} is stale: run `cargo run --release -p credence -- schema --write schemas/json` and commit it"
            );
        }
    }
}
