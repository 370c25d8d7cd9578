//! Links to a query execution in the Athena console.

use super::error::CatalogueError;

/// The Athena console page of one query execution, for the report.
///
/// The current console serves query history at
/// `https://{region}.console.aws.amazon.com/athena/home?region={region}#/query-editor/history/{id}`
/// (the original's `#query/history/{id}` is the retired console's anchor). `region` must look like an
/// AWS region (lower-case letters, digits, `-`); the id is percent-encoded, so the link is always a
/// well-formed `https` URL we built, safe to put in an `href`.
pub fn console_link(region: &str, query_execution_id: &str) -> Result<String, CatalogueError> {
    let region_ok = !region.is_empty()
        && region.len() <= 32
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !region.starts_with('-')
        && !region.ends_with('-');
    if !region_ok {
        return Err(CatalogueError::InvalidRegion(region.to_owned()));
    }
    if query_execution_id.is_empty() {
        return Err(CatalogueError::EmptyExecutionId);
    }
    Ok(format!(
        "https://{region}.console.aws.amazon.com/athena/home?region={region}#/query-editor/history/{}",
        percent_encode(query_execution_id)
    ))
}

/// Percent-encodes every byte outside RFC 3986's unreserved set.
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_to_the_query_history_page() {
        assert_eq!(
            console_link("eu-west-1", "1b856f66-eec5-4539-86be-ba904bf9922d").unwrap(),
            "https://eu-west-1.console.aws.amazon.com/athena/home?region=eu-west-1#/query-editor/history/1b856f66-eec5-4539-86be-ba904bf9922d"
        );
    }

    #[test]
    fn never_builds_a_link_from_hostile_parts() {
        for region in [
            "",
            "EU-WEST-1",
            "eu west",
            "evil.com/",
            "-x",
            "x\"><script>",
        ] {
            assert_eq!(
                console_link(region, "id"),
                Err(CatalogueError::InvalidRegion(region.into()))
            );
        }
        assert_eq!(
            console_link("us-east-1", ""),
            Err(CatalogueError::EmptyExecutionId)
        );
        let link = console_link("us-east-1", "a\"><script>/é").unwrap();
        assert!(
            link.ends_with("/history/a%22%3E%3Cscript%3E%2F%C3%A9"),
            "{link}"
        );
    }
}
