//! Reading vendor XML (feature `xml`): `roxmltree` plus helpers that address elements by local
//! name, so a path reads like the vendor's documentation (`AccountingCustomerParty/Party/Name`)
//! whatever namespace prefixes the sender used.

/// The XML parser the helpers work on, for connectors that need more than they offer.
pub use roxmltree;
use roxmltree::Node;

/// The first child element called `name`.
pub fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

/// Every child element called `name`, in document order.
pub fn children<'a, 'i: 'a>(
    node: Node<'a, 'i>,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

/// The element at a `/`-separated path of local names below `node` (first match at each step).
pub fn at<'a, 'i>(node: Node<'a, 'i>, path: &str) -> Option<Node<'a, 'i>> {
    path.split('/').try_fold(node, |n, step| child(n, step))
}

/// The trimmed text of the element at `path`, when present and not empty.
pub fn text(node: Node<'_, '_>, path: &str) -> Option<String> {
    at(node, path).and_then(own_text)
}

/// The trimmed text of `node` itself, when not empty.
pub fn own_text(node: Node<'_, '_>) -> Option<String> {
    let t = node.text()?.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// The value of attribute `name` (no namespace) of the element at `path`.
pub fn attr(node: Node<'_, '_>, path: &str, name: &str) -> Option<String> {
    at(node, path)
        .and_then(|n| n.attribute(name))
        .map(|v| v.trim().to_string())
}
