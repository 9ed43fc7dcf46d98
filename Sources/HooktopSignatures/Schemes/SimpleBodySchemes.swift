// Providers that sign the raw body with one HMAC in one header.


/// Intercom: `X-Hub-Signature: sha1=HEX` of the body with the client secret.
/// GitHub's legacy header has the same name; GitHub is detected first by its
/// `X-GitHub-*` headers, so a bare `X-Hub-Signature` is taken as Intercom's.
let intercomScheme = GitHubScheme.prefixed(name: "intercom", header: "X-Hub-Signature", prefix: "sha1=", algorithm: .sha1)

/// Typeform: `Typeform-Signature: sha256=BASE64` of the body.
let typeformScheme = GitHubScheme.prefixed(name: "typeform", header: "Typeform-Signature", prefix: "sha256=",
                                           algorithm: .sha256, encoding: .base64)

/// Dropbox: `X-Dropbox-Signature: HEX` HMAC-SHA256 of the body with the app secret.
let dropboxScheme = GitHubScheme.prefixed(name: "dropbox", header: "X-Dropbox-Signature", prefix: "", algorithm: .sha256)

/// Asana: `X-Hook-Signature: HEX` HMAC-SHA256 of the body with the handshake's X-Hook-Secret.
let asanaScheme = GitHubScheme.prefixed(name: "asana", header: "X-Hook-Signature", prefix: "", algorithm: .sha256,
                                        detectWith: ["X-Hook-Signature", "X-Hook-Secret"])

/// X (Twitter) Account Activity: `x-twitter-webhooks-signature: sha256=BASE64` of the body with the consumer secret.
let xScheme = GitHubScheme.prefixed(name: "x", header: "x-twitter-webhooks-signature", prefix: "sha256=",
                                    algorithm: .sha256, encoding: .base64)
