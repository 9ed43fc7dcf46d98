#!/usr/bin/env python3
"""Regenerates sdk-vectors.json: signed requests made with the providers'
official SDKs (stripe, standardwebhooks, svix, slack-sdk, twilio) and, for
providers without a Python SDK, with Python's hmac from the documented
construction. Each scheme gets valid, tampered, expired, too-new, rotated
and wrong-secret cases where it has the notion.

    pip install stripe standardwebhooks svix slack-sdk twilio
    python3 Tests/HooktopSignaturesTests/Fixtures/generate.py
"""
import base64, datetime, hashlib, hmac, json, os

import stripe
import standardwebhooks
import svix.webhooks
from slack_sdk.signature import SignatureVerifier
from twilio.request_validator import RequestValidator

NOW = 1767225600  # 2026-01-01T00:00:00Z
out = []


def case(id, scheme, secrets, headers, body, expect, url=None, now=NOW, **extra):
    out.append(dict(id=id, scheme=scheme, secrets=secrets, headers=headers, body=body,
                    url=url, now=now, expect=expect, **extra))


def h(key, msg, algo=hashlib.sha256):
    return hmac.new(key.encode() if isinstance(key, str) else key, msg.encode() if isinstance(msg, str) else msg, algo)


# --- Stripe (stripe-python) ---------------------------------------------------
body = json.dumps({"id": "evt_1", "object": "event", "type": "invoice.paid"})
sec, other = "whsec_stripe_primary_0123456789", "whsec_stripe_rotated_9876543210"
sig = lambda ts, payload=body, s=sec: stripe.WebhookSignature.generate_signature_header(payload, s, timestamp=ts)
case("stripe-valid", "stripe", [sec], {"Stripe-Signature": sig(NOW - 10)}, body, "valid")
case("stripe-tampered-body", "stripe", [sec], {"Stripe-Signature": sig(NOW - 10)}, body.replace("paid", "void"), "invalid")
case("stripe-tampered-timestamp", "stripe", [sec], {"Stripe-Signature": sig(NOW - 10).replace(f"t={NOW - 10}", f"t={NOW - 5}")}, body, "invalid")
case("stripe-expired", "stripe", [sec], {"Stripe-Signature": sig(NOW - 301)}, body, "expired")
case("stripe-too-new", "stripe", [sec], {"Stripe-Signature": sig(NOW + 400)}, body, "expired")
case("stripe-rotated-secret", "stripe", [other, sec], {"Stripe-Signature": sig(NOW)}, body, "valid")
two = sig(NOW, s=other) + ",v1=" + sig(NOW).split("v1=")[1]
case("stripe-two-signatures", "stripe", [sec], {"Stripe-Signature": two}, body, "valid")
case("stripe-wrong-secret", "stripe", [other], {"Stripe-Signature": sig(NOW)}, body, "invalid")
case("stripe-malformed", "stripe", [sec], {"Stripe-Signature": "v1=abc"}, body, "invalid")

# --- Standard Webhooks and Svix (their SDKs) ------------------------------------
for scheme, module, prefix in (("standard", standardwebhooks.Webhook, "webhook"), ("svix", svix.webhooks.Webhook, "svix")):
    secret = "whsec_" + base64.b64encode(f"{scheme}-secret-0123456789abcdef".encode()).decode()
    rotated = "whsec_" + base64.b64encode(f"{scheme}-rotated-0123456789abcd".encode()).decode()
    payload = json.dumps({"type": "invoice.paid", "data": {"id": "in_1"}})

    def signed(ts, s=secret, msg_id="msg_2Lh9KRb0pzN4LePd3XiA4xKE"):
        signature = module(s).sign(msg_id, datetime.datetime.fromtimestamp(ts, tz=datetime.timezone.utc), payload)
        return {f"{prefix}-id": msg_id, f"{prefix}-timestamp": str(ts), f"{prefix}-signature": signature}

    case(f"{scheme}-valid", scheme, [secret], signed(NOW - 5), payload, "valid")
    case(f"{scheme}-tampered-body", scheme, [secret], signed(NOW), payload + " ", "invalid")
    t = signed(NOW); t[f"{prefix}-timestamp"] = str(NOW + 1)
    case(f"{scheme}-tampered-timestamp", scheme, [secret], t, payload, "invalid")
    case(f"{scheme}-expired", scheme, [secret], signed(NOW - 600), payload, "expired")
    case(f"{scheme}-too-new", scheme, [secret], signed(NOW + 600), payload, "expired")
    case(f"{scheme}-rotated-secret", scheme, [rotated, secret], signed(NOW), payload, "valid")
    multi = signed(NOW); multi[f"{prefix}-signature"] = signed(NOW, s=rotated)[f"{prefix}-signature"] + " " + multi[f"{prefix}-signature"]
    case(f"{scheme}-several-signatures", scheme, [secret], multi, payload, "valid")
    case(f"{scheme}-wrong-secret", scheme, [rotated], signed(NOW), payload, "invalid")

# --- Slack (slack-sdk) ----------------------------------------------------------
slack_secret = "8f742231b10e8888abcd99yyyzzz85a5"
slack_body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&command=%2Fweather&text=94070"
def slack(ts, s=slack_secret):
    return {"X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": SignatureVerifier(s).generate_signature(timestamp=str(ts), body=slack_body)}
case("slack-valid", "slack", [slack_secret], slack(NOW), slack_body, "valid")
case("slack-tampered-body", "slack", [slack_secret], slack(NOW), slack_body + "0", "invalid")
t = slack(NOW); t["X-Slack-Request-Timestamp"] = str(NOW - 1)
case("slack-tampered-timestamp", "slack", [slack_secret], t, slack_body, "invalid")
case("slack-expired", "slack", [slack_secret], slack(NOW - 301), slack_body, "expired")
case("slack-too-new", "slack", [slack_secret], slack(NOW + 301), slack_body, "expired")
case("slack-rotated-secret", "slack", ["old-signing-secret", slack_secret], slack(NOW), slack_body, "valid")
case("slack-wrong-secret", "slack", ["not-the-secret"], slack(NOW), slack_body, "invalid")

# --- Twilio (twilio-python) -----------------------------------------------------
token = "twilio-auth-token-0123456789ab"
validator = RequestValidator(token)
url = "https://hooks.example.com/twilio/sms?account=7"
params = {"From": "+14155550100", "Body": "Hello ü & bye", "To": "+14155550199", "MessageSid": "SM123"}
form = "&".join(f"{k}={v}" for k, v in [(k, __import__('urllib.parse').parse.quote_plus(v)) for k, v in params.items()])
twsig = validator.compute_signature(url, params)
tw_headers = {"X-Twilio-Signature": twsig, "Content-Type": "application/x-www-form-urlencoded"}
case("twilio-form-valid", "twilio", [token], tw_headers, form, "valid", url=url, now=None)
case("twilio-form-tampered", "twilio", [token], tw_headers, form.replace("bye", "bye!"), "invalid", url=url, now=None)
case("twilio-url-mismatch", "twilio", [token], tw_headers, form, "invalid", url=url.replace("hooks.", "www."), now=None)
case("twilio-rotated", "twilio", ["old-token", token], tw_headers, form, "valid", url=url, now=None)
case("twilio-wrong-secret", "twilio", ["old-token"], tw_headers, form, "invalid", url=url, now=None)
case("twilio-default-port", "twilio", [token], tw_headers, form, "valid", url=url.replace(".com/", ".com:443/"), now=None)

# --- Providers without an official Python SDK: documented constructions ------------
key = "provider-secret-abc123"
js = json.dumps({"event": "thing.happened", "id": "42"})
hexsig = lambda m, k=key, a=hashlib.sha256: h(k, m, a).hexdigest()
b64sig = lambda m, k=key, a=hashlib.sha256: base64.b64encode(h(k, m, a).digest()).decode()

def trio(scheme, headers_for, body=js, tolerance_cases=False, ts=NOW, **kw):
    case(f"{scheme}-valid", scheme, [key], headers_for(body, ts), body, "valid", **kw)
    case(f"{scheme}-tampered-body", scheme, [key], headers_for(body, ts), body + " ", "invalid", **kw)
    case(f"{scheme}-wrong-secret", scheme, ["wrong-" + key], headers_for(body, ts), body, "invalid", **kw)
    case(f"{scheme}-rotated-secret", scheme, ["wrong-" + key, key], headers_for(body, ts), body, "valid", **kw)
    if tolerance_cases:
        case(f"{scheme}-expired", scheme, [key], headers_for(body, NOW - 3600), body, "expired", **kw)
        case(f"{scheme}-too-new", scheme, [key], headers_for(body, NOW + 3600), body, "expired", **kw)

trio("github", lambda b, t: {"X-Hub-Signature-256": "sha256=" + hexsig(b), "X-GitHub-Event": "push"})
case("github-legacy-sha1", "github", [key], {"X-Hub-Signature": "sha1=" + hexsig(js, a=hashlib.sha1), "X-GitHub-Event": "push"}, js, "valid")
trio("shopify", lambda b, t: {"X-Shopify-Hmac-Sha256": b64sig(b)})
trio("paddle", lambda b, t: {"Paddle-Signature": f"ts={t};h1=" + hexsig(f"{t}:{b}")}, tolerance_cases=True)
trio("zoom", lambda b, t: {"x-zm-request-timestamp": str(t), "x-zm-signature": "v0=" + hexsig(f"v0:{t}:{b}")}, tolerance_cases=True)
trio("calendly", lambda b, t: {"Calendly-Webhook-Signature": f"t={t},v1=" + hexsig(f"{t}.{b}")}, tolerance_cases=True)
trio("pagerduty", lambda b, t: {"X-PagerDuty-Signature": "v1=" + hexsig(b, k="old") + ",v1=" + hexsig(b)})
trio("linear", lambda b, t: {"Linear-Signature": hexsig(b)})
trio("intercom", lambda b, t: {"X-Hub-Signature": "sha1=" + hexsig(b, a=hashlib.sha1)})
trio("typeform", lambda b, t: {"Typeform-Signature": "sha256=" + b64sig(b)})
trio("dropbox", lambda b, t: {"X-Dropbox-Signature": hexsig(b)})
trio("asana", lambda b, t: {"X-Hook-Signature": hexsig(b)})
trio("x", lambda b, t: {"x-twitter-webhooks-signature": "sha256=" + b64sig(b)})
twitch_time = lambda t: datetime.datetime.fromtimestamp(t, tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.123456789Z")
trio("twitch", lambda b, t: {"Twitch-Eventsub-Message-Id": "e76c6bd4-55c9-4987-8304-da1588d8988b",
                             "Twitch-Eventsub-Message-Timestamp": twitch_time(t),
                             "Twitch-Eventsub-Message-Signature": "sha256=" + hexsig("e76c6bd4-55c9-4987-8304-da1588d8988b" + twitch_time(t) + b)},
     tolerance_cases=True)
trio("box", lambda b, t: {"BOX-DELIVERY-TIMESTAMP": twitch_time(t)[:19] + "Z",
                          "BOX-SIGNATURE-PRIMARY": b64sig(b + twitch_time(t)[:19] + "Z"),
                          "BOX-SIGNATURE-SECONDARY": b64sig(b + twitch_time(t)[:19] + "Z", k="secondary")}, tolerance_cases=True)
square_url = "https://hooks.example.com/square"
trio("square", lambda b, t: {"x-square-hmacsha256-signature": b64sig(square_url + b)}, url=square_url)
mg = lambda b, t: {"Content-Type": "application/json"}
mg_body = lambda k=key, ts=NOW: json.dumps({"signature": {"timestamp": str(ts), "token": "tok123", "signature": hexsig(f"{ts}tok123", k=k)},
                                       "event-data": {"event": "delivered"}})
case("mailgun-valid", "mailgun", [key], mg(0, 0), mg_body(), "valid")
case("mailgun-wrong-secret", "mailgun", ["nope"], mg(0, 0), mg_body(), "invalid")
case("mailgun-form-valid", "mailgun", [key], {"Content-Type": "application/x-www-form-urlencoded"},
     f"timestamp={NOW}&token=tok123&signature={hexsig(f'{NOW}tok123')}&event=delivered", "valid")
case("gitlab-wrong-token", "gitlab", ["right"], {"X-Gitlab-Token": "wrong"}, js, "invalid")
case("msgraph-clientstate-valid", "msgraph", ["SecretClientState"], {"Content-Type": "application/json"},
     json.dumps({"value": [{"clientState": "SecretClientState", "resource": "me/messages"}]}), "valid")
case("msgraph-clientstate-invalid", "msgraph", ["SecretClientState"], {"Content-Type": "application/json"},
     json.dumps({"value": [{"clientState": "Forged", "resource": "me/messages"}]}), "invalid")
case("hmac-generic-valid", "hmac", [key], {"X-Acme-Timestamp": str(NOW), "X-Acme-Signature": "sha512=" + hexsig(f"{NOW}:POST:{js}", a=hashlib.sha512)},
     js, "valid", hmac={"header": "X-Acme-Signature", "algorithm": "sha512", "encoding": "hex", "prefix": "sha512=",
                        "signed": "{timestamp}:{method}:{body}", "timestamp_header": "X-Acme-Timestamp"})
case("hmac-generic-expired", "hmac", [key], {"X-Acme-Timestamp": str(NOW - 900), "X-Acme-Signature": "sha512=" + hexsig(f"{NOW - 900}:POST:{js}", a=hashlib.sha512)},
     js, "expired", hmac={"header": "X-Acme-Signature", "algorithm": "sha512", "encoding": "hex", "prefix": "sha512=",
                          "signed": "{timestamp}:{method}:{body}", "timestamp_header": "X-Acme-Timestamp"})

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "sdk-vectors.json"), "w") as f:
    json.dump(out, f, indent=1, ensure_ascii=False)
    f.write("\n")
print(f"wrote {len(out)} cases")
