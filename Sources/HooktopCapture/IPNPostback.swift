import HooktopConfig
import HooktopCore
import HooktopDelivery
import HooktopSignatures
import HooktopStore
import Logging

/// Verifies stored PayPal IPN messages by posting them back to PayPal (or
/// the source's `verify_url`) and records the verdict.
struct IPNPostback: Sendable {
    let transport: any HTTPTransport
    let writer: any StoreWriting
    let config: Config
    let timeoutMicros: Int64
    let logger: Logger

    /// Starts the postback of every IPN in a committed batch that waits for one.
    func verify(_ batch: [CapturedRequest]) {
        for i in batch.indices where PayPalIPN.isPending(batch[i].signature) {
            let request = batch[i]
            Task { await verify(request) }
        }
    }

    func verify(_ request: CapturedRequest) async {
        let url = config.source(of: request)?.verifyURL ?? PayPalIPN.defaultVerifyURL
        let answer = await transport.send(OutboundRequest(
            method: "POST", url: url,
            headers: HeaderList([("Content-Type", "application/x-www-form-urlencoded"), ("User-Agent", "hooktop-ipn-verifier")]),
            body: PayPalIPN.postback(request.body), timeoutMicros: timeoutMicros))
        let verdict = PayPalIPN.verdict(status: answer.status, body: answer.body, error: answer.error, url: url)
        do {
            try await writer.apply(.setSignature(requestID: request.id, verdict))
        } catch {
            logger.error("cannot record a PayPal IPN verdict", metadata: ["request": "\(request.id)", "error": "\(error)"])
        }
    }
}
