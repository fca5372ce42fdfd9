//! QuickBooks answers in XML unless asked for JSON, and the published fixtures are XML. This
//! turns an XML response into the JSON shape QuickBooks uses for the same data, so one set of
//! types reads both: an element with children becomes an object (repeated names an array), a
//! text element a string, and a text element with attributes (`<CurrencyRef name="…">USD`) an
//! object with the text as `value`, as in QuickBooks' JSON.

use serde_json::{Map, Value};

/// Why a body is not usable XML; `cut_short` when it ends before the document does.
#[derive(Debug)]
pub struct XmlError {
    pub cut_short: bool,
    pub message: String,
}

/// The root element's name and its JSON form.
pub fn to_json(text: &str) -> Result<(String, Value), XmlError> {
    let doc =
        credence_plugin_sdk::xml::roxmltree::Document::parse(text.trim_start_matches('\u{feff}'))
            .map_err(|e| XmlError {
            cut_short: matches!(
                e,
                credence_plugin_sdk::xml::roxmltree::Error::UnexpectedEndOfStream
                    | credence_plugin_sdk::xml::roxmltree::Error::UnclosedRootNode
                    | credence_plugin_sdk::xml::roxmltree::Error::NoRootNode
            ),
            message: e.to_string(),
        })?;
    let root = doc.root_element();
    Ok((root.tag_name().name().to_string(), element(root)))
}

fn element(node: credence_plugin_sdk::xml::roxmltree::Node<'_, '_>) -> Value {
    let children: Vec<_> = node.children().filter(|c| c.is_element()).collect();
    let attributes: Vec<_> = node
        .attributes()
        .filter(|a| a.namespace().is_none())
        .collect();
    if children.is_empty() {
        let text = node.text().unwrap_or_default().trim().to_string();
        if attributes.is_empty() {
            return Value::String(text);
        }
        let mut object = Map::new();
        object.insert("value".into(), Value::String(text));
        for a in attributes {
            object.insert(a.name().into(), Value::String(a.value().into()));
        }
        return Value::Object(object);
    }
    let mut object = Map::new();
    for a in attributes {
        object.insert(a.name().into(), Value::String(a.value().into()));
    }
    for child in children {
        let name = child.tag_name().name().to_string();
        let value = element(child);
        match object.get_mut(&name) {
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None => {
                object.insert(name, value);
            }
        }
    }
    Value::Object(object)
}
