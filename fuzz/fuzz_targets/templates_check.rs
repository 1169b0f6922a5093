// What `fuzz_targets/templates.rs` checks, shared with its regression replay
// (`tests/cli/fuzz_regressions.rs`) through `include!`. Needs `serde_json` and `bindery`.

/// A Go template, a JSONPath template and the shape of a service's status.
pub struct FuzzInput {
    pub template: String,
    pub jsonpath: String,
    pub shape: Vec<u8>,
    /// Derived from the whole input, so the template cannot spell it.
    pub secret: String,
}

impl FuzzInput {
    /// `template NUL jsonpath NUL shape` (missing parts are empty).
    pub fn from_bytes(data: &[u8]) -> Self {
        let mut parts = data.splitn(3, |&b| b == 0);
        let text = |b: Option<&[u8]>| String::from_utf8_lossy(b.unwrap_or_default()).into_owned();
        let template = text(parts.next());
        let jsonpath = text(parts.next());
        let shape = parts.next().unwrap_or_default().to_vec();
        // FNV-1a of the input.
        let hash = data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
        FuzzInput { template, jsonpath, shape, secret: format!("Zq{hash:016x}Qz") }
    }
}

/// A status generated from `shape`: each byte opens a map or a list, adds a string, a number,
/// a deep chain or a wide list, or closes the current collection. At most ~5,000 nodes.
pub fn generated_status(shape: &[u8]) -> serde_json::Value {
    use serde_json::{json, Map, Value};
    enum Open {
        Map(Map<String, Value>, String),
        List(Vec<Value>),
    }
    fn add(stack: &mut [Open], v: Value) {
        match stack.last_mut() {
            Some(Open::Map(m, key)) => {
                let k = format!("{key}{}", m.len());
                m.insert(k, v);
            }
            Some(Open::List(l)) => l.push(v),
            None => {}
        }
    }
    fn close(stack: &mut Vec<Open>) {
        if stack.len() > 1 {
            let v = match stack.pop() {
                Some(Open::Map(m, _)) => Value::Object(m),
                Some(Open::List(l)) => Value::Array(l),
                None => return,
            };
            add(stack, v);
        }
    }
    let mut stack = vec![Open::Map(Map::new(), "a".into())];
    let mut nodes = 0usize;
    for (i, &b) in shape.iter().enumerate() {
        if nodes > 4_000 {
            break;
        }
        let n = usize::from(b >> 3);
        match b & 7 {
            0 if stack.len() < 100 => stack.push(Open::Map(Map::new(), ["a", "b", "name", "x"][n % 4].into())),
            1 if stack.len() < 100 => stack.push(Open::List(Vec::new())),
            2 => add(&mut stack, json!(format!("s{i}"))),
            3 => add(&mut stack, json!(n)),
            4 => {
                // A chain `a: {a: {…}}` 150 deep, built by moving (`json!` with a `Value` inside
                // serializes a copy of it: quadratic in the depth).
                let mut v = json!("end");
                for _ in 0..150 {
                    v = Value::Object(Map::from_iter([("a".to_string(), v)]));
                }
                nodes += 150;
                add(&mut stack, v);
            }
            5 => {
                let wide: Vec<Value> = (0..(n * 10)).map(|j| json!({ "a": j, "name": format!("n{j}") })).collect();
                nodes += n * 30;
                add(&mut stack, Value::Array(wide));
            }
            _ => close(&mut stack),
        }
        nodes += 1;
    }
    while stack.len() > 1 {
        close(&mut stack);
    }
    match stack.pop() {
        Some(Open::Map(m, _)) => Value::Object(m),
        _ => Value::Null,
    }
}

/// The checks (panics on a violation).
pub fn check_templates(input: &FuzzInput) {
    use bindery::bindings::sbo::gotemplate::{Escape, Template};
    let secret = input.secret.as_str();
    let status = generated_status(&input.shape);
    let status_value: bindery::doc::value::Value = status.clone().into();

    // The template alone, over the service (id `s`) and the Secret's entry `password`.
    let data: bindery::doc::value::Value = serde_json::json!({ "s": { "status": status.clone() }, "password": secret }).into();
    if let Ok(t) = Template::parse(&input.template) {
        for escape in [Escape::None, Escape::Html] {
            match t.render(&data, escape) {
                Ok(r) => assert!(
                    !r.text.contains(secret) || r.keys_read.contains("password"),
                    "output holds the Secret's value, but the template does not count as reading it: {:?}",
                    input.template
                ),
                Err(e) => assert!(!e.message.contains(secret), "error prints the value: {}", e.message),
            }
        }
    }

    // The JSONPath alone, over a status holding the Secret's value too.
    let mut with_secret = status.clone();
    if let Some(m) = with_secret.as_object_mut() {
        m.insert("token".into(), serde_json::json!(secret));
    }
    let with_secret: bindery::doc::value::Value = with_secret.into();
    match bindery::kube::jsonpath::eval_template(&input.jsonpath, &with_secret) {
        Ok(bindery::kube::jsonpath::TemplateResult::Values(v)) => assert!(v.len() <= bindery::kube::jsonpath::MAX_RESULTS),
        Ok(bindery::kube::jsonpath::TemplateResult::Text(_)) => {}
        Err(e) => assert!(!e.to_string().contains(secret), "error prints the value: {e}"),
    }
    let _ = bindery::kube::jsonpath::eval_template(&input.jsonpath, &status_value);

    // Through the pipeline.
    let list = serde_json::json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            { "apiVersion": "v1", "kind": "Secret", "metadata": { "name": "creds" }, "stringData": { "password": secret } },
            {
                "apiVersion": "shop.example.com/v1",
                "kind": "Shop",
                "metadata": { "name": "till", "annotations": { "service.binding/x": format!("path={}", input.jsonpath) } },
                "status": status
            },
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": { "name": "app" },
                "spec": { "template": { "spec": { "containers": [{ "name": "app", "image": "app:1" }] } } }
            },
            {
                "apiVersion": "binding.operators.coreos.com/v1alpha1",
                "kind": "ServiceBinding",
                "metadata": { "name": "till" },
                "spec": {
                    "bindAsFiles": false,
                    "services": [
                        { "group": "shop.example.com", "version": "v1", "kind": "Shop", "name": "till", "id": "s" },
                        { "group": "", "version": "v1", "kind": "Secret", "name": "creds", "id": "c" }
                    ],
                    "mappings": [{ "name": "M", "value": input.template }],
                    "application": { "group": "apps", "version": "v1", "kind": "Deployment", "name": "app" }
                }
            }
        ]
    });
    let text = serde_json::to_string(&list).expect("serializes");
    let Ok((file, documents)) = bindery::load::parse_file("f.json".into(), "f.json".into(), text.into_bytes()) else { return };
    let rendered = bindery::render(bindery::load::Loaded { files: vec![file], documents }, &bindery::resolve::Options::default());
    for p in rendered.problems() {
        assert!(!p.message.contains(secret), "a problem prints the value: {}", p.message);
        assert!(!p.help.as_deref().unwrap_or_default().contains(secret), "a help prints the value: {:?}", p.help);
    }
    for doc in rendered.emitted(false, false) {
        let v = doc.doc.value();
        if v.get("kind").and_then(bindery::doc::value::Value::as_str) == Some("Secret") {
            continue;
        }
        let shown = bindery::doc::yaml_out::to_string(&v);
        assert!(!shown.contains(secret), "a rendered document that is not a Secret holds the value:\n{shown}");
    }
}
