//! A strict RFC 8259 JSON parser for token headers, payloads and JWKs.
//! Stricter than serde_json where JWT verifiers have been fooled: duplicate member names
//! (after unescaping) are an error, nesting depth is capped, lone surrogates and a BOM are
//! rejected, and numbers keep their exact text so NumericDates compare exactly.

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// The number's source text, already checked against the JSON grammar.
    Number(String),
    String(String),
    Array(Vec<Value>),
    /// Members in source order; names are unique.
    Object(Vec<(String, Value)>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonError {
    Syntax,
    TooDeep,
    DuplicateMember,
}

impl Value {
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }
}

/// Parses one JSON text. `max_depth` counts arrays and objects: `{}` is depth 1.
pub fn parse(input: &[u8], max_depth: usize) -> Result<Value, JsonError> {
    // Invalid UTF-8 anywhere is a syntax error, not something to replace.
    let text = std::str::from_utf8(input).map_err(|_| JsonError::Syntax)?;
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
        max_depth,
    };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(JsonError::Syntax);
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    max_depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn bump(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }
    fn literal(&mut self, lit: &[u8]) -> Result<(), JsonError> {
        let end = self.i.checked_add(lit.len()).ok_or(JsonError::Syntax)?;
        if self.s.get(self.i..end) == Some(lit) {
            self.i = end;
            Ok(())
        } else {
            Err(JsonError::Syntax)
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, JsonError> {
        match self.peek().ok_or(JsonError::Syntax)? {
            b'{' => self.object(depth + 1),
            b'[' => self.array(depth + 1),
            b'"' => Ok(Value::String(self.string()?)),
            b't' => self.literal(b"true").map(|_| Value::Bool(true)),
            b'f' => self.literal(b"false").map(|_| Value::Bool(false)),
            b'n' => self.literal(b"null").map(|_| Value::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(JsonError::Syntax),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, JsonError> {
        if depth > self.max_depth {
            return Err(JsonError::TooDeep);
        }
        self.i += 1; // '{'
        let mut members: Vec<(String, Value)> = Vec::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(JsonError::Syntax);
            }
            let name = self.string()?;
            self.ws();
            if self.bump() != Some(b':') {
                return Err(JsonError::Syntax);
            }
            self.ws();
            let v = self.value(depth)?;
            members.push((name, v));
            self.ws();
            match self.bump() {
                Some(b',') => continue,
                Some(b'}') => break,
                _ => return Err(JsonError::Syntax),
            }
        }
        if has_duplicates(&members) {
            return Err(JsonError::DuplicateMember);
        }
        Ok(Value::Object(members))
    }

    fn array(&mut self, depth: usize) -> Result<Value, JsonError> {
        if depth > self.max_depth {
            return Err(JsonError::TooDeep);
        }
        self.i += 1; // '['
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.ws();
            items.push(self.value(depth)?);
            self.ws();
            match self.bump() {
                Some(b',') => continue,
                Some(b']') => break,
                _ => return Err(JsonError::Syntax),
            }
        }
        Ok(Value::Array(items))
    }

    fn number(&mut self) -> Result<Value, JsonError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.bump() {
            Some(b'0') => {}
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(JsonError::Syntax),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            self.one_or_more_digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            self.one_or_more_digits()?;
        }
        let text = self.s.get(start..self.i).ok_or(JsonError::Syntax)?;
        // The bytes are ASCII digits and signs, so this cannot fail; keep it checked anyway.
        let text = std::str::from_utf8(text).map_err(|_| JsonError::Syntax)?;
        Ok(Value::Number(text.to_owned()))
    }
    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
    }
    fn one_or_more_digits(&mut self) -> Result<(), JsonError> {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(JsonError::Syntax);
        }
        self.digits();
        Ok(())
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.i += 1; // opening quote
        let mut out = String::new();
        loop {
            // Copy the run of plain characters in one go.
            let run_start = self.i;
            while let Some(c) = self.peek() {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.i += 1;
            }
            let run = self.s.get(run_start..self.i).ok_or(JsonError::Syntax)?;
            // The input is valid UTF-8 and the run stops only at ASCII bytes.
            out.push_str(std::str::from_utf8(run).map_err(|_| JsonError::Syntax)?);
            match self.bump() {
                Some(b'"') => return Ok(out),
                Some(b'\\') => self.escape(&mut out)?,
                _ => return Err(JsonError::Syntax), // control character or end of input
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), JsonError> {
        let c = match self.bump().ok_or(JsonError::Syntax)? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = self.hex4()?;
                let cp = if (0xD800..0xDC00).contains(&hi) {
                    // A high surrogate must be followed by an escaped low surrogate.
                    self.literal(b"\\u")?;
                    let lo = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err(JsonError::Syntax);
                    }
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else if (0xDC00..0xE000).contains(&hi) {
                    return Err(JsonError::Syntax);
                } else {
                    hi
                };
                char::from_u32(cp).ok_or(JsonError::Syntax)?
            }
            _ => return Err(JsonError::Syntax),
        };
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.bump().ok_or(JsonError::Syntax)? {
                c @ b'0'..=b'9' => c - b'0',
                c @ b'a'..=b'f' => c - b'a' + 10,
                c @ b'A'..=b'F' => c - b'A' + 10,
                _ => return Err(JsonError::Syntax),
            };
            v = (v << 4) | u32::from(d);
        }
        Ok(v)
    }
}

fn has_duplicates(members: &[(String, Value)]) -> bool {
    if members.len() <= 16 {
        return members
            .iter()
            .enumerate()
            .any(|(i, (k, _))| members.iter().skip(i + 1).any(|(k2, _)| k == k2));
    }
    let mut names: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    names.windows(2).any(|w| w.first() == w.get(1))
}

/// Writes `s` as a JSON string literal. Runs of characters that need no escape are copied
/// whole (this is on every request's path).
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    let mut rest = s;
    while let Some(i) =
        rest.find(|c: char| c < ' ' || c == '"' || c == '\\' || c == '\u{2028}' || c == '\u{2029}')
    {
        let (plain, tail) = rest.split_at(i);
        out.push_str(plain);
        let mut chars = tail.chars();
        match chars.next() {
            Some('"') => out.push_str("\\\""),
            Some('\\') => out.push_str("\\\\"),
            Some('\n') => out.push_str("\\n"),
            Some('\r') => out.push_str("\\r"),
            Some('\t') => out.push_str("\\t"),
            Some(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            None => break,
        }
        rest = chars.as_str();
    }
    out.push_str(rest);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Value {
        parse(s.as_bytes(), 64).unwrap()
    }
    fn err(s: &[u8]) -> JsonError {
        parse(s, 64).unwrap_err()
    }

    #[test]
    fn parses_the_grammar() {
        assert!(ok(" {\"a\" : [1, -0.5e+3, true, false, null, \"x\"]} ")
            .get("a")
            .is_some());
        assert_eq!(
            ok("\"\\u00e9\\ud83d\\ude00\\n\""),
            Value::String("é😀\n".into())
        );
        assert_eq!(ok("0"), Value::Number("0".into()));
    }

    #[test]
    fn rejects_what_lenient_parsers_accept() {
        for bad in [
            &b"\xef\xbb\xbf{}"[..], // BOM
            b"{\"a\":1,}",          // trailing comma
            b"[1,]",
            b"{'a':1}",
            b"{\"a\":01}",
            b"{\"a\":1.}",
            b"{\"a\":.5}",
            b"{\"a\":+1}",
            b"{\"a\":NaN}",
            b"{\"a\":Infinity}",
            b"{\"a\":\"\\ud800\"}", // lone high surrogate
            b"{\"a\":\"\\udc00\"}", // lone low surrogate
            b"{\"a\":\"\\x41\"}",
            b"{\"a\":\"\t\"}",   // raw control character
            b"{\"a\":\"\xff\"}", // invalid UTF-8
            b"{} {}",
            b"",
            b"{\"a\"}",
            b"nul",
        ] {
            assert_eq!(
                err(bad),
                JsonError::Syntax,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn duplicate_names_are_compared_after_unescaping() {
        assert_eq!(
            err(b"{\"alg\":\"HS256\",\"alg\":\"none\"}"),
            JsonError::DuplicateMember
        );
        assert_eq!(
            err(b"{\"role\":1,\"\\u0072ole\":2}"),
            JsonError::DuplicateMember
        );
        assert_eq!(
            err(b"{\"a\":{\"b\":1,\"b\":1}}"),
            JsonError::DuplicateMember
        );
        // The sorted path, for large objects.
        let mut big: String = (0..40).map(|i| format!("\"k{i}\":{i},")).collect();
        big.push_str("\"k7\":0");
        assert_eq!(
            err(format!("{{{big}}}").as_bytes()),
            JsonError::DuplicateMember
        );
    }

    #[test]
    fn depth_is_capped_without_recursion_blowup() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(parse(deep(64).as_bytes(), 64).is_ok());
        assert_eq!(
            parse(deep(65).as_bytes(), 64).unwrap_err(),
            JsonError::TooDeep
        );
        assert_eq!(
            parse(deep(100_000).as_bytes(), 64).unwrap_err(),
            JsonError::TooDeep
        );
        let objs = format!("{}1{}", "{\"a\":".repeat(65), "}".repeat(65));
        assert_eq!(parse(objs.as_bytes(), 64).unwrap_err(), JsonError::TooDeep);
    }

    #[test]
    fn write_string_round_trips() {
        let s = "a\"b\\c\n\u{1}\u{2028}é";
        let mut out = String::new();
        write_string(&mut out, s);
        assert_eq!(ok(&out), Value::String(s.into()));
    }
}
