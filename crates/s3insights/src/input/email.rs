//! Email addresses SES can send to and from.
//!
//! SES does not support SMTPUTF8 (RFC 6531): "the email address string must be 7-bit ASCII"; a
//! domain with Unicode characters must be written in Punycode (RFC 3492), and Punycode is not
//! permitted in the local part (SESv2 API Reference, `Destination`; SES Developer Guide, "Sending
//! formatted email using the Amazon SES API"). SES answers "Local address contains control or
//! whitespace" for the rest. So an address is refused when any character is outside printable
//! 7-bit ASCII (a control character, a space, an invisible format character such as U+200B or
//! U+202E, or any other non-ASCII character), naming that character, or when it is not shaped like
//! `local@domain.tld`.

/// Longest local part (RFC 5321, 4.5.3.1.1).
const MAX_LOCAL_PART: usize = 64;
/// Longest address (RFC 5321's path limit less the angle brackets).
const MAX_ADDRESS: usize = 254;

/// True for an address SES can send to and from (see [`email_address_problem`]).
pub fn is_email_address(s: &str) -> bool {
    email_address_problem(s).is_none()
}

/// Why SES cannot use `address`, or `None` when it can. The reason names the first offending
/// character as `U+XXXX` and says which part of the address holds it.
pub fn email_address_problem(address: &str) -> Option<String> {
    let at = address.rfind('@');
    if let Some(problem) = character_problem(address, at) {
        return Some(problem);
    }
    let Some(at) = at else {
        return Some(format!(
            "{} is not an email address (no '@')",
            escaped(address)
        ));
    };
    let (local, domain) = (&address[..at], &address[at + 1..]);
    let shape = if local.is_empty() {
        Some("has nothing before the '@'".to_string())
    } else if local.len() > MAX_LOCAL_PART {
        Some(format!(
            "has a local part of {} characters; at most {MAX_LOCAL_PART}",
            local.len()
        ))
    } else if address.len() > MAX_ADDRESS {
        Some(format!(
            "is {} characters long; at most {MAX_ADDRESS}",
            address.len()
        ))
    } else if local.contains('@') {
        Some("has more than one '@'".into())
    } else if !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains("..")
    {
        Some(format!(
            "has the domain {domain:?}, which is not a dotted domain name such as example.com"
        ))
    } else {
        address
            .chars()
            .find(|ch| "<>()[],;:\"\\".contains(*ch))
            .map(|ch| format!("contains {ch:?}, which an address may not hold unquoted"))
    };
    shape.map(|why| format!("{} {why}", escaped(address)))
}

/// The first character outside printable 7-bit ASCII, named, with the part that holds it.
fn character_problem(address: &str, at: Option<usize>) -> Option<String> {
    let (offset, ch) = address
        .char_indices()
        .find(|(_, ch)| !(ch.is_ascii_graphic()))?;
    let in_domain = at.is_some_and(|at| offset > at);
    let part = if in_domain { "domain" } else { "local part" };
    let shown = escaped(address);
    let named = describe(ch);
    let why = if ch.is_ascii() || is_invisible(ch) {
        "SES refuses control, space and invisible characters in an address".to_string()
    } else if in_domain {
        "SES sends only to and from 7-bit ASCII addresses: write an internationalised domain in \
         Punycode (RFC 3492, xn--…)"
            .to_string()
    } else {
        "SES sends only to and from 7-bit ASCII addresses (it does not support SMTPUTF8, RFC \
         6531), and a local part cannot be written in Punycode"
            .to_string()
    };
    Some(format!("{shown} contains {named} in its {part}; {why}"))
}

/// The address with every character outside printable ASCII written `\u{XXXX}`, so that invisible
/// ones show in messages.
fn escaped(address: &str) -> String {
    let mut out = String::from("\"");
    for ch in address.chars() {
        match ch {
            '"' | '\\' => {
                out.push('\\');
                out.push(ch);
            }
            c if c.is_ascii_graphic() || c == ' ' => out.push(c),
            c => out.push_str(&format!("\\u{{{:04X}}}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Characters that render as nothing (or change the direction of what follows).
fn is_invisible(ch: char) -> bool {
    name(ch).is_some() || ch.is_whitespace() || ch.is_control()
}

fn name(ch: char) -> Option<&'static str> {
    Some(match ch {
        '\u{00A0}' => "NO-BREAK SPACE",
        '\u{00AD}' => "SOFT HYPHEN",
        '\u{061C}' => "ARABIC LETTER MARK",
        '\u{180E}' => "MONGOLIAN VOWEL SEPARATOR",
        '\u{200B}' => "ZERO WIDTH SPACE",
        '\u{200C}' => "ZERO WIDTH NON-JOINER",
        '\u{200D}' => "ZERO WIDTH JOINER",
        '\u{200E}' => "LEFT-TO-RIGHT MARK",
        '\u{200F}' => "RIGHT-TO-LEFT MARK",
        '\u{202A}' => "LEFT-TO-RIGHT EMBEDDING",
        '\u{202B}' => "RIGHT-TO-LEFT EMBEDDING",
        '\u{202C}' => "POP DIRECTIONAL FORMATTING",
        '\u{202D}' => "LEFT-TO-RIGHT OVERRIDE",
        '\u{202E}' => "RIGHT-TO-LEFT OVERRIDE",
        '\u{2060}' => "WORD JOINER",
        '\u{2061}'..='\u{2064}' => "INVISIBLE OPERATOR",
        '\u{2066}' => "LEFT-TO-RIGHT ISOLATE",
        '\u{2067}' => "RIGHT-TO-LEFT ISOLATE",
        '\u{2068}' => "FIRST STRONG ISOLATE",
        '\u{2069}' => "POP DIRECTIONAL ISOLATE",
        '\u{FEFF}' => "ZERO WIDTH NO-BREAK SPACE",
        _ => return None,
    })
}

/// `U+200B (ZERO WIDTH SPACE)`, `U+0001 (a control character)`, `U+00E9 'é'`.
fn describe(ch: char) -> String {
    let code = format!("U+{:04X}", ch as u32);
    match name(ch) {
        Some(name) => format!("{code} ({name})"),
        None if ch == ' ' => format!("{code} (SPACE)"),
        None if ch.is_control() => format!("{code} (a control character)"),
        None if ch.is_whitespace() => format!("{code} (a space character)"),
        None => format!("{code} {ch:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ascii_addresses_pass() {
        for ok in [
            "ops@example.com",
            "first.last+tag@mail.example.co.uk",
            "o'brien@example.com",
            "x@xn--bcher-kva.example",
            "a!#$%&*=?^_`{|}~-@sub-domain.example.org",
        ] {
            assert_eq!(email_address_problem(ok), None, "{ok}");
            assert!(is_email_address(ok));
        }
    }

    #[test]
    fn invisible_and_control_characters_are_named() {
        let cases = [
            (
                "s3insights\u{200B}@example.com",
                "U+200B (ZERO WIDTH SPACE)",
                "local part",
            ),
            (
                "ops\u{202E}@example.com",
                "U+202E (RIGHT-TO-LEFT OVERRIDE)",
                "local part",
            ),
            (
                "ops@exa\u{FEFF}mple.com",
                "U+FEFF (ZERO WIDTH NO-BREAK SPACE)",
                "domain",
            ),
            (
                "ops@example.com\u{0001}",
                "U+0001 (a control character)",
                "domain",
            ),
            ("o ps@example.com", "U+0020 (SPACE)", "local part"),
            (
                "ops\t@example.com",
                "U+0009 (a control character)",
                "local part",
            ),
            (
                "ops\u{00A0}@example.com",
                "U+00A0 (NO-BREAK SPACE)",
                "local part",
            ),
            (
                "ops@example.com\u{7F}",
                "U+007F (a control character)",
                "domain",
            ),
        ];
        for (address, named, part) in cases {
            let why = email_address_problem(address).unwrap_or_else(|| panic!("{address:?}"));
            assert!(why.contains(named), "{why}");
            assert!(why.contains(&format!("in its {part}")), "{why}");
            assert!(why.contains("invisible"), "{why}");
            assert!(
                why.is_ascii(),
                "the message shows the character escaped: {why}"
            );
        }
    }

    #[test]
    fn non_ascii_is_refused_with_what_ses_needs_instead() {
        let local = email_address_problem("op\u{E9}@example.com").unwrap();
        assert!(local.contains("U+00E9"), "{local}");
        assert!(local.contains("SMTPUTF8"), "{local}");
        assert!(local.contains("local part"), "{local}");
        let domain = email_address_problem("ops@b\u{FC}cher.example").unwrap();
        assert!(domain.contains("U+00FC"), "{domain}");
        assert!(domain.contains("Punycode"), "{domain}");
        assert!(domain.contains("in its domain"), "{domain}");
        let emoji = email_address_problem("\u{1F600}@example.com").unwrap();
        assert!(emoji.contains("U+1F600"), "{emoji}");
    }

    #[test]
    fn shapes_that_are_not_addresses_are_refused() {
        for bad in [
            "",
            "s3insights",
            "@example.com",
            "ops@",
            "ops@localhost",
            "ops@.example.com",
            "ops@example.com.",
            "ops@example..com",
            "a@b@example.com",
            "<script>@example.com",
            "ops@exa\"mple.com",
            "\"quoted\"@example.com",
        ] {
            assert!(email_address_problem(bad).is_some(), "{bad:?} was accepted");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(email_address_problem(&long_local).unwrap().contains("64"));
        let long = format!("a@{}.com", "b".repeat(250));
        assert!(email_address_problem(&long).unwrap().contains("254"));
    }
}
